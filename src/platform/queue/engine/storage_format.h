// How the queue engine lays out its state in Storage. Internal to the engine.
//
// Family::kQueues (all integers big-endian, so keys sort numerically):
//   'b' [u64 queue id][u64 seq]    -> MessageBody: what was sent (immutable)
//   's' [u64 queue id][u64 seq]    -> MessageState: visibility, receive count, group (mutable)
//   'd' [u64 queue id][u64 sent at ms][dedup key]
//                                  -> DedupRecord: a FIFO deduplication id seen in the last
//                                     five minutes (the send time in the key keeps a newer
//                                     record of the same id apart from the one a sweep drops)
// Family::kMeta:
//   "queue/q/" [owner, escaped][name] -> the queue record (JSON: id, attributes, timestamps)
//   "queue/seq-ceiling"               -> u64: every id or sequence handed out is below it
//
// Queue ids are unique for the life of the data directory, so a queue deleted and created
// again never sees the old queue's messages, and deleting a queue is three range deletions.
// The owner is part of the queue record's key; message keys hold the queue id that record
// maps to, so no call scoped to one owner can reach another owner's messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform/queue/engine/queue_types.h"

namespace bakery::queue::detail {

inline constexpr std::string_view kQueueRecordPrefix = "queue/q/";
inline constexpr std::string_view kSeqCeilingKey = "queue/seq-ceiling";
inline constexpr char kBodyTag = 'b';
inline constexpr char kStateTag = 's';
inline constexpr char kDedupTag = 'd';

void appendUint64(std::string& out, std::uint64_t v);
std::uint64_t readUint64(std::string_view bytes);  // the first 8 bytes, big-endian

// "<escaped owner><name>": the in-memory and stored key of a queue. The owner is escaped
// (0x00 -> 0x00 0xff) and terminated by 0x00 0x01, so no owner is a prefix of another's key.
std::string queueKey(std::string_view owner, std::string_view name);
std::string queueRecordKey(std::string_view owner, std::string_view name);

// [tag][u64 queue id], the prefix of a queue's records of one kind; with a seq, one record.
std::string messagePrefix(char tag, std::uint64_t queueId);
std::string messageKey(char tag, std::uint64_t queueId, std::uint64_t seq);
std::string dedupKey(std::uint64_t queueId, std::int64_t sentAtMs, std::string_view key);

struct MessageBody {
  std::string messageId;
  std::string body;
  MessageAttributes attributes;
  std::string md5OfBody;
  std::string md5OfMessageAttributes;
  std::int64_t sentAtMs = 0;
  std::string senderId;
  std::string deduplicationId;           // FIFO
  std::string sequenceNumber;            // FIFO
  std::string deadLetterQueueSourceArn;  // set when moved to a dead-letter queue
};

struct MessageState {
  std::int64_t visibleAtMs = 0;   // when it may next be received (delay, visibility timeout)
  std::int64_t enqueuedAtMs = 0;  // what retention counts from
  std::int64_t firstReceiveAtMs = 0;
  std::int64_t lastReceiveAtMs = 0;
  std::uint32_t receiveCount = 0;
  std::string groupId;  // FIFO (and standard queues when sent with one)
};

struct DedupRecord {
  std::string messageId;
  std::string sequenceNumber;
  std::int64_t sentAtMs = 0;
};

std::string encodeBody(const MessageBody& m);
std::optional<MessageBody> decodeBody(std::string_view bytes);
std::string encodeState(const MessageState& s);
std::optional<MessageState> decodeState(std::string_view bytes);
std::string encodeDedup(const DedupRecord& d);
std::optional<DedupRecord> decodeDedup(std::string_view bytes);

}  // namespace bakery::queue::detail
