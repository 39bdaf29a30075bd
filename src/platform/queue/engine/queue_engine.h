// QueueEngine: Amazon SQS's semantics on the embedded RocksDB store.
//
// Standard and FIFO queues with SQS's attributes, limits, digests and errors: visibility
// timeouts, delays, long polling, receive counts and redrive to a dead-letter queue,
// retention, purge, FIFO message groups (a group's messages are delivered in order, and not
// while one of them is in flight) and five-minute deduplication, batches with per-entry
// results. Every acknowledged send, delete and visibility change is durable (Storage::write)
// before the call returns, and the queues survive reopening the engine on the same data
// directory.
//
// Owners: every call is scoped by `owner`, the account or tenant that owns the queue; an
// owner's queues, messages and receipt handles are invisible to every other owner. The
// account in a queue's ARN and URL is the owner ("" = the system scope, shown as
// EngineOptions::accountId). A dead-letter queue belongs to the same owner as its source.
//
// In memory the engine keeps an index of every message's visibility and group (not bodies),
// rebuilt by open(): a receive touches only the messages it returns, never the whole queue.
//
// Producers in other engines (the event bus) enqueue inside their own WriteBatch with
// stageSend(), so their bookkeeping and the message commit atomically; commitStaged() then
// publishes the message to receivers.
//
// Thread-safe. Consumers of one queue (receive, delete, change visibility, purge) are
// serialized around their storage writes; sends are not. open() before anything else;
// start()/stop() run the optional retention sweeper, and stop() also ends long polls.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/mutex.h"
#include "core/result.h"
#include "core/thread_annotations.h"
#include "platform/queue/engine/queue_attributes.h"
#include "platform/queue/engine/queue_types.h"
#include "platform/storage/storage.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace bakery::queue {

namespace detail {
struct Queue;
}  // namespace detail

struct EngineOptions {
  std::string region = "us-east-1";
  // The account shown in ARNs and URLs of the system owner's ("") queues.
  std::string accountId = "000000000000";
  // Queue URLs are <endpoint>/<account>/<name>.
  std::string endpoint = "http://localhost:8080";
  // How often the sweeper started by start() drops expired messages and deduplication ids.
  std::chrono::milliseconds sweepInterval{std::chrono::seconds(60)};
};

class QueueEngine {
 public:
  QueueEngine(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids,
              EngineOptions options = {});
  ~QueueEngine();
  QueueEngine(const QueueEngine&) = delete;
  QueueEngine& operator=(const QueueEngine&) = delete;

  // Loads the queues and rebuilds the message index. Call once, before anything else.
  core::Result<void> open();
  // Starts the retention sweeper (when sweepInterval is positive).
  void start();
  // Stops the sweeper and ends every long poll (they answer what they have, usually nothing);
  // later receives do not wait. Everything else keeps working.
  void stop();

  // --- Queues ---------------------------------------------------------------------------
  // The URL of the new queue, or of the existing one when every attribute given has the same
  // value (QueueNameExists otherwise).
  core::Result<std::string> createQueue(std::string_view owner, std::string_view name,
                                        const QueueAttributeMap& attributes = {});
  core::Result<std::string> getQueueUrl(std::string_view owner, std::string_view name);
  // The owner's queues in name order, those starting with `prefix`; at most `maxResults`
  // (1-1000) with a nextToken when more remain, or up to 1000 without one.
  core::Result<ListQueuesResult> listQueues(std::string_view owner, std::string_view prefix = {},
                                            std::optional<int> maxResults = std::nullopt,
                                            std::string_view nextToken = {});
  core::Result<void> deleteQueue(std::string_view owner, std::string_view name);
  // Deletes every message sent before the call; one purge per queue every 60 seconds.
  core::Result<void> purgeQueue(std::string_view owner, std::string_view name);
  // `names`: attribute names or "All"; none answers nothing, as in SQS.
  core::Result<QueueAttributeMap> getQueueAttributes(std::string_view owner, std::string_view name,
                                                     const std::vector<std::string>& names);
  core::Result<void> setQueueAttributes(std::string_view owner, std::string_view name,
                                        const QueueAttributeMap& attributes);
  std::string queueUrl(std::string_view owner, std::string_view name) const;
  // The base of queue URLs, once the listener's port is known (port 0 picks one at start).
  void setEndpoint(std::string endpoint);
  std::string queueArn(std::string_view owner, std::string_view name) const;

  // --- Messages -------------------------------------------------------------------------
  core::Result<SendResult> sendMessage(std::string_view owner, std::string_view queue,
                                       const SendRequest& request);
  // Entries that fail validation fail alone; the others commit in one write.
  core::Result<SendBatchResult> sendMessageBatch(std::string_view owner, std::string_view queue,
                                                 const std::vector<SendBatchEntry>& entries);
  // Up to maxNumberOfMessages visible messages, each with a new receipt handle; when none is
  // visible, waits up to waitTimeSeconds for one (a send, an expiring visibility timeout).
  // A message received more often than its queue's redrive maxReceiveCount moves to the
  // dead-letter queue instead of being returned.
  core::Result<std::vector<ReceivedMessage>> receiveMessage(std::string_view owner,
                                                            std::string_view queue,
                                                            const ReceiveRequest& request);
  // Deleting a message that is already gone succeeds; on a standard queue any receipt handle
  // of the message deletes it, on a FIFO queue only the current one while in flight.
  core::Result<void> deleteMessage(std::string_view owner, std::string_view queue,
                                   std::string_view receiptHandle);
  core::Result<BatchResult> deleteMessageBatch(std::string_view owner, std::string_view queue,
                                               const std::vector<DeleteBatchEntry>& entries);
  // Makes an in-flight message visible `visibilityTimeout` seconds from now (0: now), with
  // the receipt handle of its latest receive.
  core::Result<void> changeMessageVisibility(std::string_view owner, std::string_view queue,
                                             std::string_view receiptHandle, int visibilityTimeout);
  core::Result<BatchResult> changeMessageVisibilityBatch(
      std::string_view owner, std::string_view queue,
      const std::vector<ChangeVisibilityBatchEntry>& entries);

  // --- Sends inside another engine's batch ------------------------------------------------
  // Validates `request` as sendMessage() does and adds the message's records to `batch`.
  // After the caller wrote `batch`, commitStaged() makes the message receivable; if the write
  // failed, drop the StagedSend (its FIFO deduplication reservation lapses with it).
  core::Result<StagedSend> stageSend(std::string_view owner, std::string_view queue,
                                     const SendRequest& request, rocksdb::WriteBatch& batch);
  void commitStaged(const StagedSend& staged);

  // Drops messages past their queue's retention period and deduplication ids older than five
  // minutes; the number of messages dropped. The sweeper calls this; so may the owner.
  std::size_t sweepExpired();

 private:
  std::shared_ptr<detail::Queue> findQueue(std::string_view owner, std::string_view name) const;
  core::Result<std::shared_ptr<detail::Queue>> requireQueue(std::string_view owner,
                                                            std::string_view name) const;
  core::Result<void> checkRedrive(std::string_view owner, const QueueAttributes& attributes) const;
  core::Result<void> persistQueue(const detail::Queue& queue, const QueueAttributes& attributes,
                                  std::int64_t createdMs, std::int64_t lastModifiedMs);
  core::Result<std::uint64_t> allocateSeq();
  core::Result<void> checkSend(const QueueAttributes& attributes, const SendRequest& request) const;
  core::Result<StagedSend> stage(const std::shared_ptr<detail::Queue>& queue,
                                 const QueueAttributes& attributes, const SendRequest& request,
                                 rocksdb::WriteBatch& batch);
  // One attempt: picks what is visible now and commits the receive. `progressed`: messages
  // were expired or moved, so another attempt may find more without waiting; `seenChanges`:
  // the queue's change count the pick saw (what a long poll waits to move).
  core::Result<std::vector<ReceivedMessage>> receiveOnce(const std::shared_ptr<detail::Queue>& q,
                                                         const ReceiveRequest& request,
                                                         bool& progressed,
                                                         std::uint64_t& seenChanges);
  std::size_t sweepQueue(detail::Queue& queue);
  std::string accountOf(std::string_view owner) const;
  std::int64_t nowMs() const;
  void sweeperLoop();

  storage::Storage& storage_;
  core::Clock& clock_;
  core::IdGenerator& ids_;
  EngineOptions options_;  // endpoint guarded by endpointMu_
  mutable core::Mutex endpointMu_;

  mutable core::Mutex queuesMu_;
  // By detail::queueKey(owner, name): an owner's queues are adjacent, in name order.
  std::map<std::string, std::shared_ptr<detail::Queue>, std::less<>> queues_ GUARDED_BY(queuesMu_);
  core::Mutex ddlMu_;  // serializes creating, deleting and reconfiguring queues

  // Queue ids and message sequence numbers come from one counter; blocks of it are reserved
  // in storage (kSeqCeilingKey) so that nothing handed out is ever handed out again.
  core::Mutex seqMu_;
  std::uint64_t nextSeq_ GUARDED_BY(seqMu_) = 1;
  std::uint64_t seqCeiling_ GUARDED_BY(seqMu_) = 0;

  std::atomic<bool> stopping_{false};
  core::Mutex sweeperMu_;
  std::condition_variable sweeperWake_;
  bool sweeperStop_ GUARDED_BY(sweeperMu_) = false;
  std::thread sweeper_;
};

}  // namespace bakery::queue
