// QueueEngine: sending, receiving, deleting and changing the visibility of messages.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/crypto.h"
#include "core/encoding.h"
#include "platform/queue/engine/engine_internal.h"
#include "platform/queue/engine/message_digest.h"
#include "platform/queue/engine/message_validation.h"
#include "platform/queue/engine/queue_engine.h"
#include "platform/queue/engine/queue_errors.h"
#include "platform/queue/engine/storage_format.h"

namespace bakery::queue {

using detail::LiveMessage;
using detail::MessageBody;
using detail::MessageState;
using detail::Queue;

namespace {

// A long poll re-reads the clock at least this often, so that a clock that jumps (a test's
// ManualClock) ends the wait on time; between, it sleeps until the next message may become
// visible or a send wakes it.
constexpr std::chrono::milliseconds kWaitSlice{100};
constexpr int kMaxVisibilitySeconds = 43200;

// A receipt handle names one receive of one message: [version][queue id][seq][receive count],
// base64. A later receive of the message has a higher count, which is how stale handles are
// told from current ones.
struct ReceiptHandle {
  std::uint64_t queueId = 0;
  std::uint64_t seq = 0;
  std::uint32_t receiveCount = 0;
};

constexpr char kHandleVersion = 1;

std::string encodeHandle(const ReceiptHandle& h) {
  std::string raw(1, kHandleVersion);
  detail::appendUint64(raw, h.queueId);
  detail::appendUint64(raw, h.seq);
  for (int shift = 24; shift >= 0; shift -= 8) {
    raw.push_back(static_cast<char>((h.receiveCount >> shift) & 0xff));
  }
  return core::base64Encode(raw);
}

std::optional<ReceiptHandle> decodeHandle(std::string_view text) {
  auto raw = core::base64Decode(text);
  if (!raw || raw->size() != 21 || (*raw)[0] != kHandleVersion) return std::nullopt;
  ReceiptHandle h;
  std::string_view bytes(*raw);
  h.queueId = detail::readUint64(bytes.substr(1));
  h.seq = detail::readUint64(bytes.substr(9));
  for (char c : bytes.substr(17))
    h.receiveCount = (h.receiveCount << 8) | static_cast<unsigned char>(c);
  if (h.receiveCount == 0) return std::nullopt;
  return h;
}

std::string sequenceNumber(std::uint64_t seq) { return fmt::format("{:020}", seq); }

bool wants(const std::vector<std::string>& names, std::string_view name) {
  for (const std::string& n : names) {
    if (n == "All" || n == name) return true;
  }
  return false;
}

// MessageAttributeNames: "All" or ".*" selects everything, "prefix.*" the names beginning
// with "prefix.", anything else one name.
MessageAttributes selectAttributes(const MessageAttributes& all,
                                   const std::vector<std::string>& names) {
  MessageAttributes out;
  for (const auto& [name, value] : all) {
    for (const std::string& n : names) {
      bool match = n == "All" || n == ".*" || n == name;
      if (!match && n.size() > 2 && n.ends_with(".*")) {
        match = name.starts_with(std::string_view(n).substr(0, n.size() - 1));
      }
      if (match) {
        out.emplace(name, value);
        break;
      }
    }
  }
  return out;
}

struct Picked {
  std::uint64_t seq = 0;
  MessageState state;
};

core::Result<void> checkVisibilityTimeout(int seconds) {
  if (seconds < 0 || seconds > kMaxVisibilitySeconds) {
    return detail::invalidParameter(std::to_string(seconds), "VisibilityTimeout",
                                    "Must be between 0 and 43200, if provided.");
  }
  return {};
}

BatchResultError batchError(std::string id, const core::Error& e) {
  return BatchResultError{std::move(id), e.type(), e.message(), e.status() < 500};
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Send

core::Result<void> QueueEngine::checkSend(const QueueAttributes& a,
                                          const SendRequest& request) const {
  if (request.body.empty()) return detail::missingParameter("MessageBody");
  if (messagePayloadSize(request) > static_cast<std::size_t>(a.maximumMessageSize)) {
    return detail::invalidParameterValue(fmt::format(
        "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
        a.maximumMessageSize));
  }
  if (auto r = checkMessageBody(request.body); !r) return r;
  if (auto r = checkMessageAttributes(request.attributes); !r) return r;
  if (request.delaySeconds) {
    int d = *request.delaySeconds;
    if (d < 0 || d > 900) {
      return detail::invalidParameter(std::to_string(d), "DelaySeconds",
                                      "DelaySeconds must be >= 0 and <= 900.");
    }
    if (a.fifoQueue && d != 0) {
      return detail::invalidParameter(
          std::to_string(d), "DelaySeconds",
          "The request include parameter that is not valid for this queue type.");
    }
  }
  if (!a.fifoQueue && request.messageDeduplicationId) {
    return detail::invalidParameter(
        *request.messageDeduplicationId, "MessageDeduplicationId",
        "The request includes a parameter that is not valid for this queue type.");
  }
  if (request.messageGroupId) {
    if (auto r = checkFifoToken(*request.messageGroupId, "MessageGroupId"); !r) return r;
  }
  if (a.fifoQueue) {
    if (!request.messageGroupId) return detail::missingParameter("MessageGroupId");
    if (request.messageDeduplicationId) {
      if (auto r = checkFifoToken(*request.messageDeduplicationId, "MessageDeduplicationId"); !r) {
        return r;
      }
    } else if (!a.contentBasedDeduplication) {
      return detail::invalidParameterValue(
          "The queue should either have ContentBasedDeduplication enabled or "
          "MessageDeduplicationId provided explicitly");
    }
  }
  return {};
}

core::Result<StagedSend> QueueEngine::stage(const std::shared_ptr<Queue>& q,
                                            const QueueAttributes& a, const SendRequest& request,
                                            rocksdb::WriteBatch& batch) {
  std::int64_t now = nowMs();
  MessageBody body;
  body.messageId = ids_.uuid();
  body.body = request.body;
  body.attributes = request.attributes;
  body.md5OfBody = md5OfBody(request.body);
  body.md5OfMessageAttributes = md5OfMessageAttributes(request.attributes);
  body.sentAtMs = now;
  body.senderId = request.senderId.empty() ? accountOf(q->owner) : request.senderId;

  MessageState state;
  state.enqueuedAtMs = now;
  int delay = a.fifoQueue ? a.delaySeconds : request.delaySeconds.value_or(a.delaySeconds);
  state.visibleAtMs = now + std::int64_t{delay} * 1000;
  state.groupId = request.messageGroupId.value_or("");

  StagedSend staged;
  staged.result = SendResult{body.messageId, body.md5OfBody, body.md5OfMessageAttributes, {}};
  auto pending = std::make_shared<detail::PendingMessage>();
  pending->queue = q;
  pending->state = state;
  rocksdb::ColumnFamilyHandle* family = storage_.family(storage::Family::kQueues);

  std::uint64_t seq = 0;
  if (a.fifoQueue) {
    body.deduplicationId = request.messageDeduplicationId
                               ? *request.messageDeduplicationId
                               : core::hexEncode(core::sha256(request.body));
    std::string key = a.deduplicationScope == "messageGroup"
                          ? state.groupId + '\0' + body.deduplicationId
                          : body.deduplicationId;
    core::MutexLock lock(q->mu);
    if (q->deleted) return detail::queueDoesNotExist();
    if (auto it = q->dedup.find(key); it != q->dedup.end()) {
      const detail::DedupEntry& e = it->second;
      bool live = e.committed || !e.pending.expired();
      if (live && e.record.sentAtMs + detail::kDedupWindowMs > now) {
        // A duplicate: accepted, and answered with the original's ids; nothing is enqueued.
        staged.result.messageId = e.record.messageId;
        staged.result.sequenceNumber = e.record.sequenceNumber;
        staged.duplicate = true;
        return staged;
      }
    }
    // Under the queue's lock, so that sequence numbers follow the order of deduplication.
    auto allocated = allocateSeq();
    if (!allocated) return allocated.error();
    seq = *allocated;
    body.sequenceNumber = sequenceNumber(seq);
    staged.result.sequenceNumber = body.sequenceNumber;
    detail::DedupEntry entry;
    entry.record = detail::DedupRecord{body.messageId, body.sequenceNumber, now};
    entry.pending = pending;
    batch.Put(family, detail::dedupKey(q->id, now, key), detail::encodeDedup(entry.record));
    q->dedup.insert_or_assign(key, std::move(entry));
    pending->dedupKey = std::move(key);
  } else {
    auto allocated = allocateSeq();
    if (!allocated) return allocated.error();
    seq = *allocated;
  }
  pending->seq = seq;
  batch.Put(family, detail::messageKey(detail::kBodyTag, q->id, seq), detail::encodeBody(body));
  batch.Put(family, detail::messageKey(detail::kStateTag, q->id, seq), detail::encodeState(state));
  staged.pending = std::move(pending);
  return staged;
}

core::Result<StagedSend> QueueEngine::stageSend(std::string_view owner, std::string_view queue,
                                                const SendRequest& request,
                                                rocksdb::WriteBatch& batch) {
  auto q = requireQueue(owner, queue);
  if (!q) return q.error();
  QueueAttributes a;
  {
    core::MutexLock lock((*q)->mu);
    if ((*q)->deleted) return detail::queueDoesNotExist();
    a = (*q)->attributes;
  }
  if (auto r = checkSend(a, request); !r) return r.error();
  return stage(*q, a, request, batch);
}

void QueueEngine::commitStaged(const StagedSend& staged) {
  if (staged.duplicate || !staged.pending) return;
  const detail::PendingMessage& p = *staged.pending;
  Queue& q = *p.queue;
  bool purgedMeanwhile = false;
  {
    core::MutexLock lock(q.mu);
    if (q.deleted) return;
    purgedMeanwhile = p.seq < q.purgedBelow;
  }
  if (purgedMeanwhile) {
    // Staged before a purge and written around it: the purge's range deletion may or may not
    // have covered the message, so ask storage.
    std::string value;
    rocksdb::Status s =
        storage_.db().Get(rocksdb::ReadOptions(), storage_.family(storage::Family::kQueues),
                          detail::messageKey(detail::kStateTag, q.id, p.seq), &value);
    if (!s.ok()) return;
  }
  core::MutexLock lock(q.mu);
  if (q.deleted || q.messages.contains(p.seq)) return;
  q.insert(p.seq, p.state);
  if (!p.dedupKey.empty()) {
    auto it = q.dedup.find(p.dedupKey);
    if (it != q.dedup.end() && it->second.pending.lock() == staged.pending) {
      it->second.committed = true;
      it->second.pending.reset();
    }
  }
  q.notify();
}

core::Result<SendResult> QueueEngine::sendMessage(std::string_view owner, std::string_view queue,
                                                  const SendRequest& request) {
  rocksdb::WriteBatch batch;
  auto staged = stageSend(owner, queue, request, batch);
  if (!staged) return staged.error();
  if (staged->duplicate) return staged->result;
  if (auto r = storage_.write(batch); !r) return r.error();
  commitStaged(*staged);
  return staged->result;
}

core::Result<SendBatchResult> QueueEngine::sendMessageBatch(
    std::string_view owner, std::string_view queue, const std::vector<SendBatchEntry>& entries) {
  auto q = requireQueue(owner, queue);
  if (!q) return q.error();
  std::vector<std::string_view> ids;
  std::size_t total = 0;
  for (const SendBatchEntry& e : entries) {
    ids.push_back(e.id);
    total += messagePayloadSize(e.request);
  }
  if (auto r = checkBatchEntryIds(ids, "SendMessageBatchRequestEntry"); !r) return r.error();
  if (total > kMaxBatchPayloadBytes) {
    return detail::sqsError("BatchRequestTooLong",
                            fmt::format("Batch requests cannot be longer than {} bytes. You have "
                                        "sent {} bytes.",
                                        kMaxBatchPayloadBytes, total));
  }
  QueueAttributes a;
  {
    core::MutexLock lock((*q)->mu);
    if ((*q)->deleted) return detail::queueDoesNotExist();
    a = (*q)->attributes;
  }
  SendBatchResult result;
  rocksdb::WriteBatch batch;
  std::vector<std::pair<std::string, StagedSend>> staged;
  for (const SendBatchEntry& e : entries) {
    auto checked = checkSend(a, e.request);
    if (!checked) {
      result.failed.push_back(batchError(e.id, checked.error()));
      continue;
    }
    auto s = stage(*q, a, e.request, batch);
    if (!s) {
      result.failed.push_back(batchError(e.id, s.error()));
      continue;
    }
    staged.emplace_back(e.id, std::move(*s));
  }
  if (batch.Count() > 0) {
    if (auto r = storage_.write(batch); !r) return r.error();
  }
  for (auto& [id, s] : staged) {
    commitStaged(s);
    result.successful.push_back({id, std::move(s.result)});
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Receive

core::Result<std::vector<ReceivedMessage>> QueueEngine::receiveMessage(
    std::string_view owner, std::string_view queue, const ReceiveRequest& request) {
  if (request.maxNumberOfMessages < 1 || request.maxNumberOfMessages > 10) {
    return detail::invalidParameter(std::to_string(request.maxNumberOfMessages),
                                    "MaxNumberOfMessages",
                                    "Must be between 1 and 10, if provided.");
  }
  if (request.visibilityTimeout) {
    if (auto r = checkVisibilityTimeout(*request.visibilityTimeout); !r) return r.error();
  }
  if (request.waitTimeSeconds && (*request.waitTimeSeconds < 0 || *request.waitTimeSeconds > 20)) {
    return detail::invalidParameter(std::to_string(*request.waitTimeSeconds), "WaitTimeSeconds",
                                    "Must be >= 0 and <= 20, if provided.");
  }
  auto found = requireQueue(owner, queue);
  if (!found) return found.error();
  const std::shared_ptr<Queue>& q = *found;
  int waitSeconds = 0;
  {
    core::MutexLock lock(q->mu);
    waitSeconds = request.waitTimeSeconds.value_or(q->attributes.receiveMessageWaitTimeSeconds);
  }
  auto deadline = clock_.monoNow() + std::chrono::seconds(waitSeconds);
  for (;;) {
    bool progressed = false;
    std::uint64_t seen = 0;
    auto received = receiveOnce(q, request, progressed, seen);
    if (!received || !received->empty()) return received;
    if (progressed) continue;
    if (stopping_) return received;
    core::MutexLock lock(q->mu);
    if (q->deleted) return detail::queueDoesNotExist();
    auto remaining = deadline - clock_.monoNow();
    if (remaining <= std::chrono::nanoseconds::zero()) return received;
    std::chrono::nanoseconds sleep = std::min<std::chrono::nanoseconds>(remaining, kWaitSlice);
    // Sleep no longer than until the next message or group may become receivable.
    std::int64_t now = nowMs();
    const auto& order = q->attributes.fifoQueue ? q->groupSchedule : q->schedule;
    auto next = order.upper_bound({now, UINT64_MAX});
    if (next != order.end()) {
      sleep =
          std::min<std::chrono::nanoseconds>(sleep, std::chrono::milliseconds(next->first - now));
    }
    q->changed.wait_for(lock.native(), sleep, [&]() NO_THREAD_SAFETY_ANALYSIS {
      return q->changes != seen || q->deleted || stopping_;
    });
  }
}

core::Result<std::vector<ReceivedMessage>> QueueEngine::receiveOnce(const std::shared_ptr<Queue>& q,
                                                                    const ReceiveRequest& request,
                                                                    bool& progressed,
                                                                    std::uint64_t& seenChanges) {
  core::MutexLock write(q->writeMu);
  std::int64_t now = nowMs();
  std::optional<RedrivePolicy> redrive;
  int visibility = 0;
  bool fifo = false;
  std::int64_t retentionMs = 0;
  {
    core::MutexLock lock(q->mu);
    if (q->deleted) return detail::queueDoesNotExist();
    redrive = q->attributes.redrivePolicy;
    visibility = request.visibilityTimeout.value_or(q->attributes.visibilityTimeout);
    fifo = q->attributes.fifoQueue;
    retentionMs = std::int64_t{q->attributes.messageRetentionPeriod} * 1000;
  }
  std::shared_ptr<Queue> dlq;
  bool dlqFifo = false;
  if (redrive) {
    dlq = findQueue(q->owner, redrive->queueName);
    if (dlq) {
      core::MutexLock lock(dlq->mu);
      dlqFifo = dlq->attributes.fifoQueue;
    }
    if (dlqFifo != fifo) dlq.reset();  // replaced by a queue of the other type: deliver
  }

  auto max = static_cast<std::size_t>(request.maxNumberOfMessages);
  std::vector<Picked> deliver;
  std::vector<Picked> moves;
  std::vector<std::uint64_t> expired;
  {
    core::MutexLock lock(q->mu);
    seenChanges = q->changes;
    // Takes one visible message: expires it, moves it to the dead-letter queue, or receives it.
    auto take = [&](std::uint64_t seq) NO_THREAD_SAFETY_ANALYSIS {
      LiveMessage& m = q->messages.at(seq);
      if (m.state.enqueuedAtMs + retentionMs <= now) {
        expired.push_back(seq);
        q->erase(seq);
        return;
      }
      if (dlq && m.state.receiveCount >= static_cast<std::uint32_t>(redrive->maxReceiveCount)) {
        moves.push_back({seq, m.state});
        q->erase(seq);
        return;
      }
      std::int64_t old = m.state.visibleAtMs;
      ++m.state.receiveCount;
      if (m.state.firstReceiveAtMs == 0) m.state.firstReceiveAtMs = now;
      m.state.lastReceiveAtMs = now;
      q->setVisibleAt(seq, old, now + std::int64_t{visibility} * 1000);
      deliver.push_back({seq, m.state});
    };
    if (fifo) {
      // Groups in the order they became ready; from each, its messages in order while visible
      // (SQS returns as many of one group as it can).
      std::set<std::string> visited;
      auto git = q->groupSchedule.begin();
      while (deliver.size() < max && git != q->groupSchedule.end() && git->first <= now) {
        std::string groupId = q->messages.at(git->second).group->id;
        ++git;
        if (!visited.insert(groupId).second) continue;
        std::uint64_t from = 0;
        while (deliver.size() < max) {
          auto g = q->groups.find(groupId);
          if (g == q->groups.end()) break;
          auto sit = g->second.seqs.lower_bound(from);
          if (sit == g->second.seqs.end()) break;
          std::uint64_t seq = *sit;
          from = seq + 1;
          if (q->messages.at(seq).state.visibleAtMs > now) break;
          take(seq);
        }
      }
    } else {
      std::set<std::uint64_t> visited;
      auto it = q->schedule.begin();
      while (deliver.size() < max && it != q->schedule.end() && it->first <= now) {
        std::uint64_t seq = it->second;
        ++it;
        if (visited.insert(seq).second) take(seq);
      }
    }
  }
  if (deliver.empty() && moves.empty() && expired.empty()) return std::vector<ReceivedMessage>{};

  rocksdb::DB& db = storage_.db();
  rocksdb::ColumnFamilyHandle* family = storage_.family(storage::Family::kQueues);
  auto readBody = [&](std::uint64_t queueId, std::uint64_t seq) -> std::optional<MessageBody> {
    std::string value;
    rocksdb::Status s = db.Get(rocksdb::ReadOptions(), family,
                               detail::messageKey(detail::kBodyTag, queueId, seq), &value);
    if (!s.ok()) return std::nullopt;
    return detail::decodeBody(value);
  };
  rocksdb::WriteBatch batch;
  auto deleteMessage = [&](std::uint64_t seq) {
    batch.Delete(family, detail::messageKey(detail::kBodyTag, q->id, seq));
    batch.Delete(family, detail::messageKey(detail::kStateTag, q->id, seq));
  };
  std::vector<ReceivedMessage> out;
  std::vector<std::uint64_t> ghosts;  // indexed, but no longer stored (see commitStaged)
  for (const Picked& p : deliver) {
    auto body = readBody(q->id, p.seq);
    if (!body) {
      ghosts.push_back(p.seq);
      deleteMessage(p.seq);
      continue;
    }
    batch.Put(family, detail::messageKey(detail::kStateTag, q->id, p.seq),
              detail::encodeState(p.state));
    ReceivedMessage m;
    m.messageId = body->messageId;
    m.receiptHandle = encodeHandle({q->id, p.seq, p.state.receiveCount});
    m.md5OfBody = body->md5OfBody;
    std::map<std::string, std::string> system;
    system["SenderId"] = body->senderId;
    system["SentTimestamp"] = std::to_string(body->sentAtMs);
    system["ApproximateReceiveCount"] = std::to_string(p.state.receiveCount);
    system["ApproximateFirstReceiveTimestamp"] = std::to_string(p.state.firstReceiveAtMs);
    if (!p.state.groupId.empty()) system["MessageGroupId"] = p.state.groupId;
    if (fifo) {
      system["MessageDeduplicationId"] = body->deduplicationId;
      system["SequenceNumber"] = body->sequenceNumber;
    }
    if (!body->deadLetterQueueSourceArn.empty()) {
      system["DeadLetterQueueSourceArn"] = body->deadLetterQueueSourceArn;
    }
    for (auto& [name, value] : system) {
      if (wants(request.attributeNames, name)) m.attributes.emplace(name, std::move(value));
    }
    m.messageAttributes = selectAttributes(body->attributes, request.messageAttributeNames);
    m.md5OfMessageAttributes = md5OfMessageAttributes(m.messageAttributes);
    m.body = std::move(body->body);
    out.push_back(std::move(m));
  }
  for (std::uint64_t seq : expired) deleteMessage(seq);
  std::vector<std::pair<std::uint64_t, MessageState>> moved;  // into the dead-letter queue
  for (const Picked& p : moves) {
    deleteMessage(p.seq);
    auto body = readBody(q->id, p.seq);
    if (!body) continue;
    auto seq = allocateSeq();
    if (!seq) return seq.error();
    body->deadLetterQueueSourceArn = queueArn(q->owner, q->name);
    MessageState state;
    state.visibleAtMs = now;
    // A standard queue's messages keep their enqueue time in the dead-letter queue (retention
    // counts from the original send); a FIFO queue's start over.
    state.enqueuedAtMs = dlqFifo ? now : p.state.enqueuedAtMs;
    state.groupId = p.state.groupId;
    if (dlqFifo) body->sequenceNumber = sequenceNumber(*seq);
    batch.Put(family, detail::messageKey(detail::kBodyTag, dlq->id, *seq),
              detail::encodeBody(*body));
    batch.Put(family, detail::messageKey(detail::kStateTag, dlq->id, *seq),
              detail::encodeState(state));
    moved.emplace_back(*seq, state);
  }
  if (auto r = storage_.write(batch); !r) return r.error();
  progressed = !expired.empty() || !moves.empty() || !ghosts.empty();
  if (!ghosts.empty()) {
    core::MutexLock lock(q->mu);
    for (std::uint64_t seq : ghosts) q->erase(seq);
  }
  if (!moved.empty()) {
    core::MutexLock lock(dlq->mu);
    if (!dlq->deleted) {
      for (const auto& [seq, state] : moved) dlq->insert(seq, state);
      dlq->notify();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Delete and change visibility

core::Result<void> QueueEngine::deleteMessage(std::string_view owner, std::string_view queue,
                                              std::string_view receiptHandle) {
  auto found = requireQueue(owner, queue);
  if (!found) return found.error();
  Queue& q = **found;
  auto handle = decodeHandle(receiptHandle);
  if (!handle || handle->queueId != q.id) return detail::receiptHandleIsInvalid(receiptHandle);
  core::MutexLock write(q.writeMu);
  std::int64_t now = nowMs();
  {
    core::MutexLock lock(q.mu);
    if (q.deleted) return detail::queueDoesNotExist();
    auto it = q.messages.find(handle->seq);
    if (it == q.messages.end()) return {};  // already deleted (or expired): SQS succeeds
    const MessageState& s = it->second.state;
    if (handle->receiveCount > s.receiveCount) return detail::receiptHandleIsInvalid(receiptHandle);
    if (q.attributes.fifoQueue &&
        (handle->receiveCount != s.receiveCount || s.visibleAtMs <= now)) {
      return detail::invalidParameter(receiptHandle, "ReceiptHandle",
                                      "The receipt handle has expired.");
    }
  }
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* family = storage_.family(storage::Family::kQueues);
  batch.Delete(family, detail::messageKey(detail::kBodyTag, q.id, handle->seq));
  batch.Delete(family, detail::messageKey(detail::kStateTag, q.id, handle->seq));
  if (auto r = storage_.write(batch); !r) return r.error();
  core::MutexLock lock(q.mu);
  q.erase(handle->seq);
  q.notify();  // the next message of a FIFO group may be receivable now
  return {};
}

core::Result<void> QueueEngine::changeMessageVisibility(std::string_view owner,
                                                        std::string_view queue,
                                                        std::string_view receiptHandle,
                                                        int visibilityTimeout) {
  if (auto r = checkVisibilityTimeout(visibilityTimeout); !r) return r;
  auto found = requireQueue(owner, queue);
  if (!found) return found.error();
  Queue& q = **found;
  auto handle = decodeHandle(receiptHandle);
  if (!handle || handle->queueId != q.id) return detail::receiptHandleIsInvalid(receiptHandle);
  core::MutexLock write(q.writeMu);
  std::int64_t now = nowMs();
  MessageState updated;
  {
    core::MutexLock lock(q.mu);
    if (q.deleted) return detail::queueDoesNotExist();
    auto it = q.messages.find(handle->seq);
    if (it == q.messages.end()) {
      return detail::invalidParameter(
          receiptHandle, "ReceiptHandle",
          "Message does not exist or is not available for visibility timeout change.");
    }
    const MessageState& s = it->second.state;
    if (handle->receiveCount > s.receiveCount) return detail::receiptHandleIsInvalid(receiptHandle);
    if (handle->receiveCount != s.receiveCount || s.visibleAtMs <= now) {
      return detail::sqsError("MessageNotInflight", "The message referred to isn't in flight.");
    }
    // The visibility timeout runs from now, but no message stays invisible longer than 12
    // hours after the receive that returned it.
    if (now - s.lastReceiveAtMs + std::int64_t{visibilityTimeout} * 1000 >
        std::int64_t{kMaxVisibilitySeconds} * 1000) {
      return detail::invalidParameter(
          std::to_string(visibilityTimeout), "VisibilityTimeout",
          "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]");
    }
    updated = s;
    updated.visibleAtMs = now + std::int64_t{visibilityTimeout} * 1000;
  }
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kQueues),
            detail::messageKey(detail::kStateTag, q.id, handle->seq), detail::encodeState(updated));
  if (auto r = storage_.write(batch); !r) return r.error();
  core::MutexLock lock(q.mu);
  auto it = q.messages.find(handle->seq);
  if (it != q.messages.end()) {
    q.setVisibleAt(handle->seq, it->second.state.visibleAtMs, updated.visibleAtMs);
  }
  q.notify();
  return {};
}

core::Result<BatchResult> QueueEngine::deleteMessageBatch(
    std::string_view owner, std::string_view queue, const std::vector<DeleteBatchEntry>& entries) {
  if (auto q = requireQueue(owner, queue); !q) return q.error();
  std::vector<std::string_view> ids;
  for (const DeleteBatchEntry& e : entries) ids.push_back(e.id);
  if (auto r = checkBatchEntryIds(ids, "DeleteMessageBatchRequestEntry"); !r) return r.error();
  BatchResult result;
  for (const DeleteBatchEntry& e : entries) {
    if (auto r = deleteMessage(owner, queue, e.receiptHandle); r) {
      result.successful.push_back(e.id);
    } else {
      result.failed.push_back(batchError(e.id, r.error()));
    }
  }
  return result;
}

core::Result<BatchResult> QueueEngine::changeMessageVisibilityBatch(
    std::string_view owner, std::string_view queue,
    const std::vector<ChangeVisibilityBatchEntry>& entries) {
  if (auto q = requireQueue(owner, queue); !q) return q.error();
  std::vector<std::string_view> ids;
  for (const ChangeVisibilityBatchEntry& e : entries) ids.push_back(e.id);
  if (auto r = checkBatchEntryIds(ids, "ChangeMessageVisibilityBatchRequestEntry"); !r) {
    return r.error();
  }
  BatchResult result;
  for (const ChangeVisibilityBatchEntry& e : entries) {
    if (auto r = changeMessageVisibility(owner, queue, e.receiptHandle, e.visibilityTimeout); r) {
      result.successful.push_back(e.id);
    } else {
      result.failed.push_back(batchError(e.id, r.error()));
    }
  }
  return result;
}

}  // namespace bakery::queue
