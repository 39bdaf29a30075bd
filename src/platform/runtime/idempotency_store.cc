#include "platform/runtime/idempotency_store.h"

namespace bakery::runtime {

core::Result<IdempotencyClaim> MemoryIdempotencyStore::claim(
    std::string_view key, std::string_view payloadHash, core::Clock::WallTime inProgressUntil) {
  core::Clock::WallTime now = clock_.wallNow();
  core::MutexLock lock(mu_);
  auto it = records_.find(std::string(key));
  if (it != records_.end() && it->second.liveUntil > now) {
    const Record& r = it->second;
    if (r.payloadHash != payloadHash)
      return IdempotencyClaim{IdempotencyClaim::Kind::kPayloadMismatch, 0, nullptr};
    if (!r.completed) return IdempotencyClaim{IdempotencyClaim::Kind::kInProgress, 0, nullptr};
    return IdempotencyClaim{IdempotencyClaim::Kind::kCompleted, 0, r.response};
  }
  if (it == records_.end() && records_.size() >= maxRecords_) {
    sweepExpired(now);
    if (records_.size() >= maxRecords_) {
      return core::Error("ServiceUnavailableException", 503,
                         "Too many idempotency records in flight; retry later");
    }
  }
  Record& r = records_[std::string(key)];
  r = Record{false, std::string(payloadHash), nullptr, inProgressUntil, nextToken_++};
  return IdempotencyClaim{IdempotencyClaim::Kind::kClaimed, r.token, nullptr};
}

core::Result<void> MemoryIdempotencyStore::complete(std::string_view key, std::uint64_t token,
                                                    json::value response,
                                                    core::Clock::WallTime expiresAt) {
  core::MutexLock lock(mu_);
  auto it = records_.find(std::string(key));
  if (it == records_.end() || it->second.token != token) return {};  // claim was lost
  it->second.completed = true;
  it->second.response = std::move(response);
  it->second.liveUntil = expiresAt;
  return {};
}

core::Result<void> MemoryIdempotencyStore::release(std::string_view key, std::uint64_t token) {
  core::MutexLock lock(mu_);
  auto it = records_.find(std::string(key));
  if (it != records_.end() && it->second.token == token) records_.erase(it);
  return {};
}

void MemoryIdempotencyStore::sweepExpired(core::Clock::WallTime now) {
  std::erase_if(records_, [now](const auto& kv) { return kv.second.liveUntil <= now; });
}

std::size_t MemoryIdempotencyStore::sizeForTest() {
  core::MutexLock lock(mu_);
  return records_.size();
}

}  // namespace bakery::runtime
