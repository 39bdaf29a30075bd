// QueueEngine: opening, the queues themselves, the in-memory index and the sweeper. Message
// operations are in message_operations.cc.
#include "platform/queue/engine/queue_engine.h"

#include <algorithm>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "core/encoding.h"
#include "core/json.h"
#include "platform/queue/engine/engine_internal.h"
#include "platform/queue/engine/queue_errors.h"
#include "platform/queue/engine/storage_format.h"

namespace bakery::queue {

using detail::Group;
using detail::Queue;

namespace {

constexpr std::uint64_t kSeqBlock = 1 << 20;
constexpr std::size_t kListLimit = 1000;

std::string seqCeilingValue(std::uint64_t v) {
  std::string out;
  detail::appendUint64(out, v);
  return out;
}

// The end of the key range that starts with `prefix`.
std::string rangeEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

void deleteQueueRecords(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family,
                        std::uint64_t queueId) {
  for (char tag : {detail::kBodyTag, detail::kStateTag, detail::kDedupTag}) {
    std::string begin = detail::messagePrefix(tag, queueId);
    batch.DeleteRange(family, begin, rangeEnd(begin));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The in-memory index of one queue.

namespace detail {

void Queue::insert(std::uint64_t seq, const MessageState& state) {
  LiveMessage& m = messages[seq];
  m.state = state;
  schedule.insert({state.visibleAtMs, seq});
  byEnqueued.insert({state.enqueuedAtMs, seq});
  if (!attributes.fifoQueue) return;
  auto it = groups.find(state.groupId);
  if (it == groups.end()) {
    it = groups.emplace(state.groupId, Group{}).first;
    it->second.id = state.groupId;
  }
  Group& g = it->second;
  m.group = &g;
  g.seqs.insert(seq);
  if (state.receiveCount > 0) g.received.insert({state.visibleAtMs, seq});
  refreshGroup(g);
}

void Queue::erase(std::uint64_t seq) {
  auto it = messages.find(seq);
  if (it == messages.end()) return;
  const MessageState& s = it->second.state;
  schedule.erase({s.visibleAtMs, seq});
  byEnqueued.erase({s.enqueuedAtMs, seq});
  Group* g = it->second.group;
  if (g) {
    g->seqs.erase(seq);
    g->received.erase({s.visibleAtMs, seq});
  }
  messages.erase(it);
  if (g) refreshGroup(*g);
}

void Queue::setVisibleAt(std::uint64_t seq, std::int64_t oldVisibleAt, std::int64_t visibleAt) {
  LiveMessage& m = messages.at(seq);
  schedule.erase({oldVisibleAt, seq});
  schedule.insert({visibleAt, seq});
  m.state.visibleAtMs = visibleAt;
  if (!m.group) return;
  m.group->received.erase({oldVisibleAt, seq});
  if (m.state.receiveCount > 0) m.group->received.insert({visibleAt, seq});
  refreshGroup(*m.group);
}

void Queue::refreshGroup(Group& g) {
  if (g.scheduledAs) {
    groupSchedule.erase(*g.scheduledAs);
    g.scheduledAs.reset();
  }
  if (g.seqs.empty()) {
    std::string groupId = g.id;  // not a reference into the node being erased
    groups.erase(groupId);       // destroys g
    return;
  }
  std::uint64_t head = *g.seqs.begin();
  std::int64_t ready = messages.at(head).state.visibleAtMs;
  if (!g.received.empty()) ready = std::max(ready, g.received.rbegin()->first);
  g.scheduledAs = TimedSeq{ready, head};
  groupSchedule.insert(*g.scheduledAs);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Life cycle

QueueEngine::QueueEngine(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids,
                         EngineOptions options)
    : storage_(storage), clock_(clock), ids_(ids), options_(std::move(options)) {}

QueueEngine::~QueueEngine() { stop(); }

core::Result<void> QueueEngine::open() {
  rocksdb::DB& db = storage_.db();
  rocksdb::ColumnFamilyHandle* meta = storage_.family(storage::Family::kMeta);
  rocksdb::ColumnFamilyHandle* family = storage_.family(storage::Family::kQueues);
  {
    std::string value;
    rocksdb::Status s =
        db.Get(rocksdb::ReadOptions(), meta, std::string(detail::kSeqCeilingKey), &value);
    if (!s.ok() && !s.IsNotFound()) return core::Error::internal("storage read failed");
    core::MutexLock lock(seqMu_);
    if (s.ok()) {
      // Whatever was handed out before lies below the stored ceiling; continue above it.
      seqCeiling_ = detail::readUint64(value);
      nextSeq_ = seqCeiling_;
    }
  }

  std::map<std::uint64_t, std::shared_ptr<Queue>> byId;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), meta));
  for (it->Seek(std::string(detail::kQueueRecordPrefix));
       it->Valid() && it->key().starts_with(detail::kQueueRecordPrefix); it->Next()) {
    auto stored = core::parseJson(it->value().ToStringView(), "stored queue");
    if (!stored || !stored->is_object()) return core::Error::internal("corrupt stored queue");
    const json::object& o = stored->get_object();
    auto id = core::integerValue(o.at("id"));
    auto owner = core::stringMember(o, "owner");
    auto name = core::stringMember(o, "name");
    const json::value* attrs = o.if_contains("attributes");
    if (!id || !owner || !name || !attrs || !attrs->is_object()) {
      return core::Error::internal("corrupt stored queue");
    }
    QueueAttributeMap map;
    for (const auto& [k, v] : attrs->get_object()) {
      if (v.is_string()) map.emplace(std::string(k), std::string(v.get_string()));
    }
    auto attributes = attributesForNewQueue(*name, map);
    if (!attributes) return core::Error::internal("corrupt stored queue attributes");
    auto q = std::make_shared<Queue>(static_cast<std::uint64_t>(*id), std::string(*owner),
                                     std::string(*name));
    {
      core::MutexLock lock(q->mu);
      q->attributes = std::move(*attributes);
      q->createdMs = core::integerValue(o.at("createdMs")).value_or(0);
      q->lastModifiedMs = core::integerValue(o.at("lastModifiedMs")).value_or(0);
    }
    byId.emplace(q->id, q);
    core::MutexLock lock(queuesMu_);
    queues_.emplace(detail::queueKey(q->owner, q->name), std::move(q));
  }

  // Message states (small: no bodies) rebuild the index; records of queues that no longer
  // exist (a send staged while its queue was deleted) are dropped.
  rocksdb::WriteBatch cleanup;
  std::set<std::uint64_t> orphans;
  std::unique_ptr<rocksdb::Iterator> states(db.NewIterator(rocksdb::ReadOptions(), family));
  std::string statePrefix(1, detail::kStateTag);
  for (states->Seek(statePrefix); states->Valid() && states->key().starts_with(statePrefix);
       states->Next()) {
    std::string_view key = states->key().ToStringView();
    if (key.size() != 17) return core::Error::internal("corrupt message key");
    std::uint64_t queueId = detail::readUint64(key.substr(1));
    std::uint64_t seq = detail::readUint64(key.substr(9));
    auto q = byId.find(queueId);
    if (q == byId.end()) {
      orphans.insert(queueId);
      continue;
    }
    auto state = detail::decodeState(states->value().ToStringView());
    if (!state) return core::Error::internal("corrupt message state");
    core::MutexLock lock(q->second->mu);
    q->second->insert(seq, *state);
  }

  std::int64_t now = nowMs();
  std::string dedupPrefix(1, detail::kDedupTag);
  std::unique_ptr<rocksdb::Iterator> dedups(db.NewIterator(rocksdb::ReadOptions(), family));
  for (dedups->Seek(dedupPrefix); dedups->Valid() && dedups->key().starts_with(dedupPrefix);
       dedups->Next()) {
    std::string_view key = dedups->key().ToStringView();
    if (key.size() <= 17) return core::Error::internal("corrupt deduplication key");
    std::uint64_t queueId = detail::readUint64(key.substr(1));
    auto q = byId.find(queueId);
    auto record = detail::decodeDedup(dedups->value().ToStringView());
    if (q == byId.end() || !record || record->sentAtMs + detail::kDedupWindowMs <= now) {
      if (q == byId.end()) orphans.insert(queueId);
      cleanup.Delete(family, dedups->key());
      continue;
    }
    core::MutexLock lock(q->second->mu);
    std::string dedupId(key.substr(17));  // after [tag][queue id][sent at]
    auto& entry = q->second->dedup[dedupId];
    if (!entry.committed || entry.record.sentAtMs < record->sentAtMs) {
      entry.record = std::move(*record);
      entry.committed = true;
    }
  }
  for (std::uint64_t queueId : orphans) deleteQueueRecords(cleanup, family, queueId);
  if (cleanup.Count() > 0) {
    if (auto r = storage_.write(cleanup); !r) return r.error();
  }
  return {};
}

void QueueEngine::start() {
  if (options_.sweepInterval.count() <= 0 || sweeper_.joinable()) return;
  {
    core::MutexLock lock(sweeperMu_);
    sweeperStop_ = false;
  }
  sweeper_ = std::thread([this] { sweeperLoop(); });
}

void QueueEngine::stop() {
  {
    core::MutexLock lock(sweeperMu_);
    sweeperStop_ = true;
  }
  sweeperWake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();

  stopping_ = true;
  std::vector<std::shared_ptr<Queue>> all;
  {
    core::MutexLock lock(queuesMu_);
    for (const auto& [key, q] : queues_) all.push_back(q);
  }
  for (const auto& q : all) {
    core::MutexLock lock(q->mu);
    q->notify();
  }
}

void QueueEngine::sweeperLoop() {
  core::MutexLock lock(sweeperMu_);
  while (!sweeperStop_) {
    sweeperWake_.wait_for(lock.native(), options_.sweepInterval,
                          [this]() NO_THREAD_SAFETY_ANALYSIS { return sweeperStop_; });
    if (sweeperStop_) break;
    lock.native().unlock();
    sweepExpired();
    lock.native().lock();
  }
}

// ---------------------------------------------------------------------------------------
// Helpers

std::string QueueEngine::accountOf(std::string_view owner) const {
  return owner.empty() ? options_.accountId : std::string(owner);
}

std::int64_t QueueEngine::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.wallNow().time_since_epoch())
      .count();
}

void QueueEngine::setEndpoint(std::string endpoint) {
  core::MutexLock lock(endpointMu_);
  options_.endpoint = std::move(endpoint);
}

std::string QueueEngine::queueUrl(std::string_view owner, std::string_view name) const {
  std::string endpoint;
  {
    core::MutexLock lock(endpointMu_);
    endpoint = options_.endpoint;
  }
  return fmt::format("{}/{}/{}", endpoint, accountOf(owner), name);
}

std::string QueueEngine::queueArn(std::string_view owner, std::string_view name) const {
  return fmt::format("arn:aws:sqs:{}:{}:{}", options_.region, accountOf(owner), name);
}

std::shared_ptr<Queue> QueueEngine::findQueue(std::string_view owner, std::string_view name) const {
  core::MutexLock lock(queuesMu_);
  auto it = queues_.find(detail::queueKey(owner, name));
  return it == queues_.end() ? nullptr : it->second;
}

core::Result<std::shared_ptr<Queue>> QueueEngine::requireQueue(std::string_view owner,
                                                               std::string_view name) const {
  auto q = findQueue(owner, name);
  if (!q) return detail::queueDoesNotExist();
  return q;
}

core::Result<std::uint64_t> QueueEngine::allocateSeq() {
  core::MutexLock lock(seqMu_);
  if (nextSeq_ >= seqCeiling_) {
    std::uint64_t ceiling = nextSeq_ + kSeqBlock;
    rocksdb::WriteBatch batch;
    batch.Put(storage_.family(storage::Family::kMeta), std::string(detail::kSeqCeilingKey),
              seqCeilingValue(ceiling));
    if (auto r = storage_.write(batch); !r) return r.error();
    seqCeiling_ = ceiling;
  }
  return nextSeq_++;
}

core::Result<void> QueueEngine::checkRedrive(std::string_view owner,
                                             const QueueAttributes& attributes) const {
  if (!attributes.redrivePolicy) return {};
  const RedrivePolicy& p = *attributes.redrivePolicy;
  std::string shown = settableAttributes(attributes).at("RedrivePolicy");
  std::shared_ptr<Queue> target;
  if (p.region == options_.region && p.account == accountOf(owner)) {
    target = findQueue(owner, p.queueName);
  }
  if (!target) {
    return detail::invalidParameter(shown, "RedrivePolicy", "Dead letter target does not exist.");
  }
  bool fifo = false;
  {
    core::MutexLock lock(target->mu);
    fifo = target->attributes.fifoQueue;
  }
  if (fifo != attributes.fifoQueue) {
    return detail::invalidParameter(shown, "RedrivePolicy",
                                    "Dead-letter queue must be same type of queue as the source.");
  }
  return {};
}

core::Result<void> QueueEngine::persistQueue(const Queue& q, const QueueAttributes& attributes,
                                             std::int64_t createdMs, std::int64_t lastModifiedMs) {
  json::object attrs;
  for (const auto& [k, v] : settableAttributes(attributes)) attrs[k] = v;
  json::object record;
  record["id"] = q.id;
  record["owner"] = q.owner;
  record["name"] = q.name;
  record["attributes"] = std::move(attrs);
  record["createdMs"] = createdMs;
  record["lastModifiedMs"] = lastModifiedMs;
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kMeta), detail::queueRecordKey(q.owner, q.name),
            core::toJson(record));
  return storage_.write(batch);
}

// ---------------------------------------------------------------------------------------
// Queues

core::Result<std::string> QueueEngine::createQueue(std::string_view owner, std::string_view name,
                                                   const QueueAttributeMap& attributes) {
  auto requested = attributesForNewQueue(name, attributes);
  if (!requested) return requested.error();
  core::MutexLock ddl(ddlMu_);
  if (auto existing = findQueue(owner, name)) {
    core::MutexLock lock(existing->mu);
    for (const auto& [key, value] : attributes) {
      if (comparableValue(*requested, key) != comparableValue(existing->attributes, key)) {
        return detail::sqsError(
            "QueueNameExists",
            fmt::format("A queue already exists with the same name and a different value for "
                        "attribute {}",
                        key));
      }
    }
    return queueUrl(owner, name);
  }
  if (auto r = checkRedrive(owner, *requested); !r) return r.error();
  auto id = allocateSeq();
  if (!id) return id.error();
  auto q = std::make_shared<Queue>(*id, std::string(owner), std::string(name));
  std::int64_t now = nowMs();
  {
    core::MutexLock lock(q->mu);
    q->attributes = *requested;
    q->createdMs = now;
    q->lastModifiedMs = now;
  }
  if (auto r = persistQueue(*q, *requested, now, now); !r) return r.error();
  core::MutexLock lock(queuesMu_);
  queues_.emplace(detail::queueKey(owner, name), std::move(q));
  return queueUrl(owner, name);
}

core::Result<std::string> QueueEngine::getQueueUrl(std::string_view owner, std::string_view name) {
  auto q = requireQueue(owner, name);
  if (!q) return q.error();
  return queueUrl(owner, name);
}

core::Result<ListQueuesResult> QueueEngine::listQueues(std::string_view owner,
                                                       std::string_view prefix,
                                                       std::optional<int> maxResults,
                                                       std::string_view nextToken) {
  if (maxResults && (*maxResults < 1 || *maxResults > static_cast<int>(kListLimit))) {
    return detail::invalidParameter(std::to_string(*maxResults), "MaxResults",
                                    "MaxResults must be an integer between 1 and 1000.");
  }
  std::string after;
  if (!nextToken.empty()) {
    auto decoded = core::base64Decode(nextToken);
    if (!decoded || decoded->empty()) {
      return detail::invalidParameterValue("Invalid NextToken value.");
    }
    after = std::move(*decoded);
  }
  std::size_t limit = maxResults ? static_cast<std::size_t>(*maxResults) : kListLimit;
  std::string base = detail::queueKey(owner, prefix);
  std::string start = after.empty() ? base : detail::queueKey(owner, after);
  ListQueuesResult result;
  core::MutexLock lock(queuesMu_);
  auto it = after.empty() ? queues_.lower_bound(start) : queues_.upper_bound(start);
  for (; it != queues_.end() && std::string_view(it->first).starts_with(base); ++it) {
    if (result.queues.size() == limit) {
      if (maxResults) result.nextToken = core::base64Encode(result.queues.back().name);
      break;
    }
    result.queues.push_back({it->second->name, queueUrl(owner, it->second->name)});
  }
  return result;
}

core::Result<void> QueueEngine::deleteQueue(std::string_view owner, std::string_view name) {
  core::MutexLock ddl(ddlMu_);
  auto q = requireQueue(owner, name);
  if (!q) return q.error();
  core::MutexLock write((*q)->writeMu);
  rocksdb::WriteBatch batch;
  batch.Delete(storage_.family(storage::Family::kMeta), detail::queueRecordKey(owner, name));
  deleteQueueRecords(batch, storage_.family(storage::Family::kQueues), (*q)->id);
  if (auto r = storage_.write(batch); !r) return r.error();
  {
    core::MutexLock lock(queuesMu_);
    queues_.erase(detail::queueKey(owner, name));
  }
  core::MutexLock lock((*q)->mu);
  (*q)->deleted = true;
  (*q)->notify();
  return {};
}

core::Result<void> QueueEngine::purgeQueue(std::string_view owner, std::string_view name) {
  auto found = requireQueue(owner, name);
  if (!found) return found.error();
  Queue& q = **found;
  core::MutexLock write(q.writeMu);
  std::int64_t now = nowMs();
  {
    core::MutexLock lock(q.mu);
    if (q.deleted) return detail::queueDoesNotExist();
    if (now - q.lastPurgeMs < detail::kPurgeIntervalMs) {
      return detail::sqsError(
          "PurgeQueueInProgress",
          fmt::format("Only one PurgeQueue operation on {} is allowed every 60 seconds.", q.name),
          403);
    }
  }
  // Everything sent before now has a lower seq than the next one handed out.
  auto limit = allocateSeq();
  if (!limit) return limit.error();
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* family = storage_.family(storage::Family::kQueues);
  for (char tag : {detail::kBodyTag, detail::kStateTag}) {
    batch.DeleteRange(family, detail::messagePrefix(tag, q.id),
                      detail::messageKey(tag, q.id, *limit));
  }
  if (auto r = storage_.write(batch); !r) return r.error();
  core::MutexLock lock(q.mu);
  while (!q.messages.empty() && q.messages.begin()->first < *limit) {
    q.erase(q.messages.begin()->first);
  }
  q.purgedBelow = *limit;
  q.lastPurgeMs = now;
  return {};
}

core::Result<QueueAttributeMap> QueueEngine::getQueueAttributes(
    std::string_view owner, std::string_view name, const std::vector<std::string>& names) {
  auto found = requireQueue(owner, name);
  if (!found) return found.error();
  bool all = false;
  for (const std::string& n : names) {
    if (n == "All") {
      all = true;
    } else if (!isKnownAttribute(n)) {
      return detail::invalidAttributeName(n);
    }
  }
  QueueAttributeMap out;
  if (names.empty()) return out;
  Queue& q = **found;
  std::int64_t now = nowMs();
  QueueAttributeMap full;
  {
    core::MutexLock lock(q.mu);
    if (q.deleted) return detail::queueDoesNotExist();
    full = settableAttributes(q.attributes);
    std::size_t delayed = 0;
    std::size_t inFlight = 0;
    for (auto it = q.schedule.upper_bound({now, UINT64_MAX}); it != q.schedule.end(); ++it) {
      if (q.messages.at(it->second).state.receiveCount == 0) {
        ++delayed;
      } else {
        ++inFlight;
      }
    }
    full["ApproximateNumberOfMessages"] = std::to_string(q.messages.size() - delayed - inFlight);
    full["ApproximateNumberOfMessagesNotVisible"] = std::to_string(inFlight);
    full["ApproximateNumberOfMessagesDelayed"] = std::to_string(delayed);
    full["CreatedTimestamp"] = std::to_string(q.createdMs / 1000);
    full["LastModifiedTimestamp"] = std::to_string(q.lastModifiedMs / 1000);
  }
  full["QueueArn"] = queueArn(owner, name);
  if (all) return full;
  for (const std::string& n : names) {
    if (auto it = full.find(n); it != full.end()) out.insert(*it);
  }
  return out;
}

core::Result<void> QueueEngine::setQueueAttributes(std::string_view owner, std::string_view name,
                                                   const QueueAttributeMap& attributes) {
  core::MutexLock ddl(ddlMu_);
  auto found = requireQueue(owner, name);
  if (!found) return found.error();
  Queue& q = **found;
  QueueAttributes current;
  std::int64_t created = 0;
  {
    core::MutexLock lock(q.mu);
    current = q.attributes;
    created = q.createdMs;
  }
  auto updated = attributesAfterSet(current, attributes);
  if (!updated) return updated.error();
  if (auto r = checkRedrive(owner, *updated); !r) return r.error();
  std::int64_t now = nowMs();
  if (auto r = persistQueue(q, *updated, created, now); !r) return r.error();
  core::MutexLock lock(q.mu);
  q.attributes = std::move(*updated);
  q.lastModifiedMs = now;
  q.notify();  // a shorter retention or a new redrive policy may matter to a waiting receive
  return {};
}

// ---------------------------------------------------------------------------------------
// Retention

std::size_t QueueEngine::sweepExpired() {
  std::vector<std::shared_ptr<Queue>> all;
  {
    core::MutexLock lock(queuesMu_);
    for (const auto& [key, q] : queues_) all.push_back(q);
  }
  std::size_t dropped = 0;
  for (const auto& q : all) dropped += sweepQueue(*q);
  return dropped;
}

std::size_t QueueEngine::sweepQueue(Queue& q) {
  core::MutexLock write(q.writeMu);
  std::int64_t now = nowMs();
  std::vector<std::uint64_t> expired;
  std::vector<std::pair<std::string, std::int64_t>> lapsed;  // dedup id, sent at
  {
    core::MutexLock lock(q.mu);
    if (q.deleted) return 0;
    std::int64_t retentionMs = std::int64_t{q.attributes.messageRetentionPeriod} * 1000;
    for (auto it = q.byEnqueued.begin(); it != q.byEnqueued.end() && it->first + retentionMs <= now;
         ++it) {
      expired.push_back(it->second);
    }
    for (auto it = q.dedup.begin(); it != q.dedup.end();) {
      const detail::DedupEntry& e = it->second;
      if (!e.committed && e.pending.expired()) {
        it = q.dedup.erase(it);  // a reservation whose send was never committed
        continue;
      }
      if (e.committed && e.record.sentAtMs + detail::kDedupWindowMs <= now) {
        lapsed.emplace_back(it->first, e.record.sentAtMs);
      }
      ++it;
    }
  }
  if (expired.empty() && lapsed.empty()) return 0;
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* family = storage_.family(storage::Family::kQueues);
  for (std::uint64_t seq : expired) {
    batch.Delete(family, detail::messageKey(detail::kBodyTag, q.id, seq));
    batch.Delete(family, detail::messageKey(detail::kStateTag, q.id, seq));
  }
  for (const auto& [id, sentAt] : lapsed) batch.Delete(family, detail::dedupKey(q.id, sentAt, id));
  if (!storage_.write(batch)) return 0;
  core::MutexLock lock(q.mu);
  for (std::uint64_t seq : expired) q.erase(seq);
  for (const auto& [id, sentAt] : lapsed) {
    auto it = q.dedup.find(id);
    // A send may have taken the id again meanwhile; that entry stays.
    if (it != q.dedup.end() && it->second.committed && it->second.record.sentAtMs == sentAt) {
      q.dedup.erase(it);
    }
  }
  return expired.size();
}

}  // namespace bakery::queue
