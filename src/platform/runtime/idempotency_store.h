// IdempotencyStore: the records behind the idempotency middleware, with the semantics of
// Powertools for AWS Lambda's idempotency utility.
//
// A record moves in-progress -> completed and expires; the middleware claims a key before the
// handler runs, completes it with the response afterwards, and releases (deletes) it when the
// invocation fails. Each claim gets a token, so a late completion or release from an
// invocation that already lost its claim (it timed out and the key was released) does nothing.
// The interface is the seam for a durable store (the table engine); MemoryIdempotencyStore
// keeps records in memory. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/json.h"
#include "core/mutex.h"
#include "core/result.h"

namespace bakery::runtime {

struct IdempotencyClaim {
  enum class Kind {
    kClaimed,          // the caller owns the key now and must complete or release it
    kInProgress,       // another invocation with this key is running
    kCompleted,        // a stored response exists: return it
    kPayloadMismatch,  // the key was used with a different payload
  };
  Kind kind;
  std::uint64_t token = 0;  // kClaimed
  json::value response;     // kCompleted
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;
  // Claims `key` unless a live record exists. An in-progress record is live until
  // `inProgressUntil` of its claimer (its deadline), a completed one until its expiry.
  virtual core::Result<IdempotencyClaim> claim(std::string_view key, std::string_view payloadHash,
                                               core::Clock::WallTime inProgressUntil) = 0;
  virtual core::Result<void> complete(std::string_view key, std::uint64_t token,
                                      json::value response, core::Clock::WallTime expiresAt) = 0;
  virtual core::Result<void> release(std::string_view key, std::uint64_t token) = 0;
};

class MemoryIdempotencyStore final : public IdempotencyStore {
 public:
  explicit MemoryIdempotencyStore(const core::Clock& clock, std::size_t maxRecords = 100'000)
      : clock_(clock), maxRecords_(maxRecords) {}

  core::Result<IdempotencyClaim> claim(std::string_view key, std::string_view payloadHash,
                                       core::Clock::WallTime inProgressUntil) override;
  core::Result<void> complete(std::string_view key, std::uint64_t token, json::value response,
                              core::Clock::WallTime expiresAt) override;
  core::Result<void> release(std::string_view key, std::uint64_t token) override;

  std::size_t sizeForTest();

 private:
  struct Record {
    bool completed = false;
    std::string payloadHash;
    json::value response;
    core::Clock::WallTime liveUntil;
    std::uint64_t token = 0;
  };
  void sweepExpired(core::Clock::WallTime now) REQUIRES(mu_);

  const core::Clock& clock_;
  const std::size_t maxRecords_;
  core::Mutex mu_;
  std::unordered_map<std::string, Record> records_ GUARDED_BY(mu_);
  std::uint64_t nextToken_ GUARDED_BY(mu_) = 1;
};

}  // namespace bakery::runtime
