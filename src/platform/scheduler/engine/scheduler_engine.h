// SchedulerEngine: EventBridge Scheduler's schedules on the embedded store, fired through the
// bus engine's dispatcher.
//
// call() runs one Scheduler operation (CreateSchedule, GetSchedule, UpdateSchedule,
// DeleteSchedule, ListSchedules) on its request document, with the member names of the
// botocore model (`Name`, `GroupName`, `ClientToken`, `NamePrefix`, `State`, `MaxResults`,
// `NextToken`) whether the REST API carries them in the URI, the query or the body; the
// facade folds them into one document. Timestamps are epoch seconds (numbers). Every call
// acts for an owner (an account or tenant); owners never see each other's schedules. Only the
// schedule group "default" exists: any other group is ResourceNotFoundException. Errors are
// Scheduler's: ValidationException (400), ResourceNotFoundException (404), ConflictException
// (409), InternalServerException (500).
//
// Targets: SQS standard queues, Lambda functions and EventBridge event buses (the latter with
// EventBridgeParameters; the input becomes the event's detail), the targets the bus engine
// delivers to. Other ARNs (ECS, universal targets, ...) are a ValidationException rather than
// a schedule whose every invocation would fail.
//
// Firing: an enabled schedule keeps its next scheduled time, computed in its time zone by
// nextFiring() (a rate counts from StartDate, or from creation, and fires at that anchor
// first) and bounded by StartDate and EndDate (recurring schedules only; a firing at or after
// EndDate never happens). A FLEXIBLE window delays each firing by a uniformly random offset
// in [0, MaximumWindowInMinutes). A firing stages the delivery (BusEngine::stageDelivery:
// retries, backoff and the dead-letter queue are the bus's) and the schedule's new firing
// state in one WriteBatch, so a firing is delivered exactly when its schedule moved on. The
// payload is Target.Input ("{}" when absent) with the context placeholders
// <aws.scheduler.schedule-arn>, <aws.scheduler.scheduled-time> (`2024-01-01T00:00:00Z`),
// <aws.scheduler.execution-id> (a fresh UUID per firing) and <aws.scheduler.attempt-number>
// (always 1: the bus retries the rendered payload) replaced. A firing more than a minute past
// its due time was missed (the node was down): the schedule fires once for the whole missed
// period and then continues after the present. When a schedule has no firing left
// (a one-time `at()` schedule that fired, a recurring one past its EndDate) and its
// ActionAfterCompletion is DELETE, it is deleted in the batch of its last firing.
//
// Storage: family `schedules`, "s/" owner \0 group \0 name -> the schedule (definition and
// firing state, JSON); the bus engine's "rule/" keys share the family. Schedules are held in
// memory, loaded by open().
//
// Thread-safe. The storage, clock, id generator and bus engine must outlive the engine; stop()
// (or the destructor) joins the firing thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/result.h"

namespace bakery::storage {
class Storage;
}
namespace bakery::bus {
class BusEngine;
}

namespace bakery::scheduler {

struct SchedulerOptions {
  // Schedule ARNs: arn:aws:scheduler:<region>:<accountId>:schedule/<group>/<name>.
  std::string region = "us-east-1";
  std::string accountId = "000000000000";
  // The firing thread's longest sleep; it is woken whenever a schedule is created or updated.
  std::chrono::milliseconds idleWait{1000};
  // Seeds the offsets of flexible time windows; unset: seeded from std::random_device.
  std::optional<std::uint64_t> randomSeed;
};

class SchedulerEngine {
 public:
  SchedulerEngine(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids,
                  bus::BusEngine& bus, SchedulerOptions options = {});
  ~SchedulerEngine();
  SchedulerEngine(const SchedulerEngine&) = delete;
  SchedulerEngine& operator=(const SchedulerEngine&) = delete;

  // Loads the stored schedules and their firing state. Call once, before anything else.
  [[nodiscard]] core::Result<void> open();
  // Starts the firing thread; stop() joins it (idempotent). Firings that came due while the
  // engine was stopped fire once on the thread's first round.
  void start();
  void stop();

  // One Scheduler operation ("CreateSchedule", ...) on behalf of `owner`; the response
  // document as the model shapes it.
  [[nodiscard]] core::Result<json::object> call(std::string_view owner, std::string_view operation,
                                                const json::object& request);

  // Fires every schedule due at the clock's present time and returns how many fired. The
  // firing thread calls it; tests call it with a ManualClock instead of start().
  std::size_t fireDueForTest();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bakery::scheduler
