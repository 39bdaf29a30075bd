// The queue engine's in-memory state of one queue: its configuration and the index of its
// messages (visibility order, retention order, FIFO groups, deduplication ids). Bodies stay in
// storage. Internal to the engine.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "platform/queue/engine/queue_attributes.h"
#include "platform/queue/engine/storage_format.h"

namespace bakery::queue::detail {

inline constexpr std::int64_t kDedupWindowMs = 5 * 60 * 1000;
inline constexpr std::int64_t kPurgeIntervalMs = 60 * 1000;

using TimedSeq = std::pair<std::int64_t, std::uint64_t>;  // (time in ms, seq)

struct Group;

struct LiveMessage {
  MessageState state;
  Group* group = nullptr;  // FIFO queues only
};

// A FIFO message group: its messages in send order, and which of them have been received
// (those, while in flight, block the group).
struct Group {
  std::string id;
  std::set<std::uint64_t> seqs;
  std::set<TimedSeq> received;          // (visibleAt, seq) of messages with a receive count
  std::optional<TimedSeq> scheduledAs;  // its entry in Queue::groupSchedule
};

struct PendingMessage;

struct DedupEntry {
  DedupRecord record;
  // While the send that reserved the id is staged but not committed; a reservation whose
  // StagedSend was dropped has lapsed.
  std::weak_ptr<PendingMessage> pending;
  bool committed = false;
};

struct Queue {
  Queue(std::uint64_t queueId, std::string ownerName, std::string queueName)
      : id(queueId), owner(std::move(ownerName)), name(std::move(queueName)) {}

  const std::uint64_t id;
  const std::string owner;
  const std::string name;

  // Serializes the consumer side's storage writes (receive, delete, change visibility, purge,
  // sweep, queue deletion), so that the stored state of a message changes in the order its
  // in-memory state does. Taken before `mu`.
  core::Mutex writeMu;
  // Guards the state below; never held across a storage write.
  core::Mutex mu;
  // Notified whenever something may have become receivable, and on deletion and shutdown.
  std::condition_variable changed;

  QueueAttributes attributes GUARDED_BY(mu);
  std::int64_t createdMs GUARDED_BY(mu) = 0;
  std::int64_t lastModifiedMs GUARDED_BY(mu) = 0;
  bool deleted GUARDED_BY(mu) = false;
  std::uint64_t changes GUARDED_BY(mu) = 0;  // bumped with every notification of `changed`
  std::int64_t lastPurgeMs GUARDED_BY(mu) = std::numeric_limits<std::int64_t>::min() / 2;
  std::uint64_t purgedBelow GUARDED_BY(mu) = 0;  // messages with a lower seq were purged

  std::map<std::uint64_t, LiveMessage> messages GUARDED_BY(mu);
  std::set<TimedSeq> schedule GUARDED_BY(mu);    // (visibleAt, seq) of every message
  std::set<TimedSeq> byEnqueued GUARDED_BY(mu);  // (enqueuedAt, seq): retention order
  std::map<std::string, Group, std::less<>> groups GUARDED_BY(mu);  // FIFO
  // (ready at, head seq) of every non-empty group: it may deliver from then on, when its head
  // is visible and none of its received messages is in flight.
  std::set<TimedSeq> groupSchedule GUARDED_BY(mu);
  std::unordered_map<std::string, DedupEntry> dedup GUARDED_BY(mu);  // FIFO

  void insert(std::uint64_t seq, const MessageState& state) REQUIRES(mu);
  void erase(std::uint64_t seq) REQUIRES(mu);
  // Moves `seq` to `visibleAt` in the schedule (after its receive count changed, if it did).
  void setVisibleAt(std::uint64_t seq, std::int64_t oldVisibleAt, std::int64_t visibleAt)
      REQUIRES(mu);
  void refreshGroup(Group& group) REQUIRES(mu);
  void notify() REQUIRES(mu) {
    ++changes;
    changed.notify_all();
  }
};

// A staged send: what commitStaged() publishes.
struct PendingMessage {
  std::shared_ptr<Queue> queue;
  std::uint64_t seq = 0;
  MessageState state;
  std::string dedupKey;  // FIFO: the reservation to confirm
};

}  // namespace bakery::queue::detail
