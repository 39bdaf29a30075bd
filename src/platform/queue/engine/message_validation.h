// SQS's rules for what a message may carry: the body's characters, message attributes (names,
// types, values, at most ten), FIFO group and deduplication ids, batch entry ids. Each check
// answers the error SQS answers, with its message. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "platform/queue/engine/queue_types.h"

namespace bakery::queue {

inline constexpr std::size_t kMaxMessageAttributes = 10;
inline constexpr std::size_t kMaxBatchEntries = 10;
inline constexpr std::size_t kMaxBatchPayloadBytes = 262144;

// True when `text` is UTF-8 made only of the characters SQS accepts:
// #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
bool hasOnlyAllowedCharacters(std::string_view text);

// A non-empty body of allowed characters (MissingParameter, InvalidMessageContents).
core::Result<void> checkMessageBody(std::string_view body);

// At most ten attributes; names of [A-Za-z0-9_.-] up to 256 bytes, not beginning with "AWS."
// or "Amazon.", no leading, trailing or doubled period; types String, Number or Binary with an
// optional custom suffix; non-empty values; numbers that parse as numbers.
core::Result<void> checkMessageAttributes(const MessageAttributes& attributes);

// What counts against MaximumMessageSize: the body plus every attribute's name, type and value.
std::size_t messagePayloadSize(const SendRequest& request);

// MessageGroupId / MessageDeduplicationId: 1-128 alphanumeric or punctuation characters.
core::Result<void> checkFifoToken(std::string_view value, std::string_view parameter);

// The entries of a batch call: at least one (EmptyBatchRequest; `entryType` names the entry
// shape, e.g. "SendMessageBatchRequestEntry"), at most ten (TooManyEntriesInBatchRequest), ids
// of 1-80 [A-Za-z0-9_-] (InvalidBatchEntryId), pairwise distinct (BatchEntryIdsNotDistinct).
core::Result<void> checkBatchEntryIds(const std::vector<std::string_view>& ids,
                                      std::string_view entryType);

}  // namespace bakery::queue
