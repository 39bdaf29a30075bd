#include "platform/bus/engine/bus_engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/mutex.h"
#include "platform/bus/engine/api_destinations.h"
#include "platform/bus/engine/bus_validation.h"
#include "platform/bus/input/target_input.h"
#include "platform/bus/pattern/pattern_automaton.h"
#include "platform/observability/metrics_registry.h"
#include "platform/scheduler/schedule_expression.h"
#include "platform/storage/storage.h"

namespace bakery::bus {
namespace {

using Micros = std::int64_t;
constexpr std::string_view kDefaultBus = "default";
constexpr std::size_t kMaxTargetsPerRule = 5;
constexpr std::size_t kMaxEntrySize = 256 * 1024;

Micros toMicros(core::Clock::WallTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

void appendBigEndian(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

std::uint64_t readBigEndian(std::string_view s) {
  std::uint64_t v = 0;
  for (char c : s.substr(0, 8)) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

std::string deliveryKey(Micros due, std::uint64_t seq) {
  std::string key = "d";
  appendBigEndian(key, static_cast<std::uint64_t>(std::max<Micros>(due, 0)));
  appendBigEndian(key, seq);
  return key;
}

std::string archiveKey(std::uint64_t archive, Micros time, std::uint64_t seq) {
  std::string key = "a";
  appendBigEndian(key, archive);
  appendBigEndian(key, static_cast<std::uint64_t>(std::max<Micros>(time, 0)));
  appendBigEndian(key, seq);
  return key;
}

// "owner\0name": owners never share a key.
std::string scoped(std::string_view prefix, std::string_view owner, std::string_view name) {
  std::string key(prefix);
  key += owner;
  key += '\0';
  key += name;
  return key;
}

std::string envelopeTime(core::Clock::WallTime t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::time_point_cast<std::chrono::seconds>(t));
}

double epochSeconds(Micros m) { return static_cast<double>(m) / 1e6; }

struct RetryPolicy {
  std::int64_t maxAgeSeconds = 86400;
  std::int64_t maxAttempts = 185;
};

struct Target {
  std::string id;
  std::string arn;
  TargetInput input;
  RetryPolicy retry;
  std::string deadLetterArn;
  json::object spec;  // as PutTargets gave it, for ListTargetsByRule
};

struct Rule {
  RuleId id = 0;
  std::string owner;
  std::string bus;
  std::string name;
  std::string arn;
  std::string description;
  std::string eventPattern;  // text, as given
  std::string scheduleExpression;
  bool enabled = true;
  std::string roleArn;
  std::vector<Target> targets;
  std::shared_ptr<const EventPattern> pattern;
};

struct Archive {
  std::uint64_t id = 0;
  std::string owner;
  std::string name;
  std::string arn;
  std::string busName;
  std::string sourceArn;
  std::string description;
  std::string eventPattern;
  std::shared_ptr<const EventPattern> pattern;
  std::int64_t retentionDays = 0;
  Micros created = 0;
};

// What PutEvents matches against: one immutable view of a bus's enabled rules, swapped
// whole when they change.
struct BusSnapshot {
  std::string owner;
  std::string name;
  std::shared_ptr<const PatternAutomaton> automaton;
  std::map<RuleId, std::shared_ptr<const Rule>> rules;
  std::vector<std::shared_ptr<const Archive>> archives;
};

struct Bus {
  std::string owner;
  std::string name;
  std::string arn;
  Micros created = 0;
  std::string description;
  std::map<std::string, std::shared_ptr<const Rule>> rules;  // by name
  std::atomic<std::shared_ptr<const BusSnapshot>> snapshot;
};

// One pending attempt to hand an event to a target.
struct Delivery {
  std::string key;
  std::string owner;
  std::string ruleArn;  // or the schedule's ARN, see sourceAttribute
  std::string sourceAttribute = "RULE_ARN";
  std::string targetId;
  std::string targetArn;
  std::string payload;
  std::string deadLetterArn;
  Micros ingested = 0;
  std::int64_t attempt = 0;  // attempts made so far
  RetryPolicy retry;

  json::object toJson() const {
    return {{"owner", owner},
            {"ruleArn", ruleArn},
            {"targetId", targetId},
            {"targetArn", targetArn},
            {"payload", payload},
            {"dlq", deadLetterArn},
            {"ingested", ingested},
            {"attempt", attempt},
            {"maxAge", retry.maxAgeSeconds},
            {"maxAttempts", retry.maxAttempts},
            {"sourceAttribute", sourceAttribute}};
  }
  static std::optional<Delivery> fromJson(std::string key, std::string_view text) {
    auto doc = core::parseJson(text, "delivery record");
    if (!doc || !doc->is_object()) return std::nullopt;
    const json::object& o = doc->get_object();
    Delivery d;
    d.key = std::move(key);
    auto str = [&](std::string_view name) {
      return std::string(core::stringMember(o, name).value_or(""));
    };
    auto num = [&](std::string_view name) {
      auto it = o.find(name);
      return it == o.end() ? 0 : core::integerValue(it->value()).value_or(0);
    };
    d.owner = str("owner");
    d.ruleArn = str("ruleArn");
    d.sourceAttribute = str("sourceAttribute");
    if (d.sourceAttribute.empty()) d.sourceAttribute = "RULE_ARN";
    d.targetId = str("targetId");
    d.targetArn = str("targetArn");
    d.payload = str("payload");
    d.deadLetterArn = str("dlq");
    d.ingested = num("ingested");
    d.attempt = num("attempt");
    d.retry.maxAgeSeconds = num("maxAge");
    d.retry.maxAttempts = num("maxAttempts");
    return d;
  }
};

enum class TargetKind { kQueue, kFunction, kBus, kApiDestination, kUnknown };

TargetKind targetKind(std::string_view arn) {
  if (arn.starts_with("arn:aws:sqs:")) return TargetKind::kQueue;
  if (arn.starts_with("arn:aws:lambda:")) return TargetKind::kFunction;
  if (arn.starts_with("arn:aws:events:") && arn.find(":event-bus/") != std::string_view::npos) {
    return TargetKind::kBus;
  }
  if (arn.starts_with("arn:aws:events:") &&
      arn.find(":api-destination/") != std::string_view::npos) {
    return TargetKind::kApiDestination;
  }
  return TargetKind::kUnknown;
}

std::string_view lastSegment(std::string_view arn, char separator) {
  std::size_t at = arn.rfind(separator);
  return at == std::string_view::npos ? arn : arn.substr(at + 1);
}

}  // namespace

class BusEngine::Impl {
 public:
  Impl(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids, TargetSinks& sinks,
       BusOptions options, observability::MetricsRegistry* metrics)
      : storage_(storage),
        clock_(clock),
        ids_(ids),
        sinks_(sinks),
        options_(std::move(options)),
        metrics_(metrics),
        apiDestinations_(storage, clock, ids, options_.region, options_.accountId),
        random_(std::random_device{}()) {}

  ~Impl() { stop(); }

  core::Result<void> open();
  void stop();
  core::Result<json::object> call(std::string_view owner, std::string_view operation,
                                  const json::object& request);
  core::Result<json::object> putEvents(std::string_view owner, const json::object& request);
  core::Result<StagedPutEvents> stagePutEvents(std::string_view owner, const json::object& request,
                                               rocksdb::WriteBatch& batch);
  std::size_t dispatchDue();
  std::function<void()> stageDelivery(const DeliveryRequest& request, rocksdb::WriteBatch& batch) {
    Delivery d;
    Micros now = toMicros(clock_.wallNow());
    d.key = deliveryKey(now, nextSeq());
    d.owner = request.owner;
    d.ruleArn = request.sourceArn;
    d.sourceAttribute = request.sourceAttribute;
    d.targetArn = request.targetArn;
    d.payload = request.payload;
    d.deadLetterArn = request.deadLetterArn;
    d.ingested = now;
    d.retry = {request.maxAgeSeconds, request.maxAttempts};
    batch.Put(storage_.family(storage::Family::kBus), d.key, core::toJson(d.toJson()));
    return [this, d = std::move(d)]() mutable { enqueue({std::move(d)}); };
  }
  std::size_t pending() const {
    core::MutexLock lock(deliveryMu_);
    return pending_.size();
  }

 private:
  // Control plane.
  core::Result<json::object> putRule(std::string_view owner, const json::object& r);
  core::Result<json::object> describeRule(std::string_view owner, const json::object& r);
  core::Result<json::object> listRules(std::string_view owner, const json::object& r);
  core::Result<json::object> setRuleState(std::string_view owner, const json::object& r,
                                          bool enabled);
  core::Result<json::object> deleteRule(std::string_view owner, const json::object& r);
  core::Result<json::object> putTargets(std::string_view owner, const json::object& r);
  core::Result<json::object> listTargets(std::string_view owner, const json::object& r);
  core::Result<json::object> removeTargets(std::string_view owner, const json::object& r);
  core::Result<json::object> testEventPattern(const json::object& r);
  core::Result<json::object> createBus(std::string_view owner, const json::object& r);
  core::Result<json::object> describeBus(std::string_view owner, const json::object& r);
  core::Result<json::object> listBuses(std::string_view owner, const json::object& r);
  core::Result<json::object> deleteBus(std::string_view owner, const json::object& r);
  core::Result<json::object> createArchive(std::string_view owner, const json::object& r);
  core::Result<json::object> describeArchive(std::string_view owner, const json::object& r);
  core::Result<json::object> startReplay(std::string_view owner, const json::object& r);
  core::Result<json::object> describeReplay(std::string_view owner, const json::object& r);

  Bus& defaultBus(std::string_view owner) REQUIRES(mu_);
  core::Result<Bus*> findBus(std::string_view owner, std::string_view nameOrArn) REQUIRES(mu_);
  core::Result<std::shared_ptr<const Rule>> findRule(std::string_view owner, Bus& bus,
                                                     std::string_view name) REQUIRES(mu_);
  // The rule a request names (its `member`, "Name" or "Rule", and EventBusName).
  struct RuleAt {
    Bus* bus;
    std::shared_ptr<const Rule> rule;
  };
  core::Result<RuleAt> ruleOf(std::string_view owner, const json::object& r,
                              std::string_view member) REQUIRES(mu_);
  core::Result<void> storeRule(const Rule& rule) REQUIRES(mu_);
  void publish(Bus& bus) REQUIRES(mu_);
  std::string busArn(std::string_view name) const {
    return fmt::format("arn:aws:events:{}:{}:event-bus/{}", options_.region, options_.accountId,
                       name);
  }
  std::string ruleArn(std::string_view bus, std::string_view name) const {
    if (bus == kDefaultBus) {
      return fmt::format("arn:aws:events:{}:{}:rule/{}", options_.region, options_.accountId, name);
    }
    return fmt::format("arn:aws:events:{}:{}:rule/{}/{}", options_.region, options_.accountId, bus,
                       name);
  }
  json::object describe(const Rule& rule) const;

  // Data plane.
  struct Staged {
    std::vector<Delivery> deliveries;
    std::size_t archived = 0;
  };
  void stageEvent(const BusSnapshot& bus, const json::value& event, Micros now,
                  rocksdb::WriteBatch& batch, Staged& staged,
                  const std::vector<std::string>* onlyRules);
  void stageForRule(const Rule& rule, const json::value& event, Micros now,
                    rocksdb::WriteBatch& batch, Staged& staged);
  // Scheduled rules.
  core::Result<void> validateSchedule(const std::string& expression);
  void scheduleChanged(const Rule& rule) REQUIRES(mu_);
  void fireSchedules(Micros now);
  std::optional<Micros> nextScheduleDue() const;
  // Replays.
  void runReplay(std::string owner, std::string name);
  void enqueue(std::vector<Delivery> deliveries);
  enum class Outcome { kDelivered, kRetry, kDeadLetter, kDropped };
  struct Attempt {
    Delivery delivery;
    Outcome outcome = Outcome::kDelivered;
    std::string errorCode;
    std::string errorMessage;
    std::string exhausted;
    std::function<void()> afterCommit;
    bool throttledOnly = false;  // rescheduled by a rate limit, no attempt spent
  };
  void attempt(Attempt& a, rocksdb::WriteBatch& batch, std::vector<Delivery>& forwarded);
  void deadLetter(Attempt& a, rocksdb::WriteBatch& batch);
  std::chrono::milliseconds backoff(std::int64_t attempt);
  void dispatcherLoop();
  std::uint64_t nextSeq() { return seq_.fetch_add(1); }
  observability::Counter* counter(std::string_view name, std::string_view help,
                                  const std::string& ruleArn, const std::string& targetId);

  storage::Storage& storage_;
  core::Clock& clock_;
  core::IdGenerator& ids_;
  TargetSinks& sinks_;
  BusOptions options_;
  observability::MetricsRegistry* metrics_;
  ApiDestinations apiDestinations_;

  core::Mutex mu_;  // control plane: buses, rules, archives
  std::map<std::string, std::unique_ptr<Bus>> buses_ GUARDED_BY(mu_);  // scoped(owner, name)
  std::map<std::string, std::shared_ptr<const Archive>> archives_ GUARDED_BY(mu_);
  std::uint64_t nextId_ GUARDED_BY(mu_) = 1;
  struct Scheduled {
    std::string owner;
    std::string bus;
    std::string rule;
    std::shared_ptr<const scheduler::ScheduleExpression> expression;
    Micros anchor = 0;
    Micros next = 0;
  };
  mutable core::Mutex scheduleMu_;
  std::map<std::string, Scheduled> schedules_ GUARDED_BY(scheduleMu_);  // by rule ARN + owner
  std::vector<std::thread> replays_ GUARDED_BY(mu_);

  mutable core::Mutex deliveryMu_;
  std::map<std::string, Delivery> pending_ GUARDED_BY(deliveryMu_);  // by key: due order
  std::condition_variable wake_;
  bool stopping_ GUARDED_BY(deliveryMu_) = false;
  std::thread dispatcher_;
  std::mt19937_64 random_;  // dispatcher thread only
  std::atomic<std::uint64_t> seq_{1};
};

namespace {

using detail::integerField;
using detail::stringField;

core::Error notFound(std::string message) {
  return core::Error("ResourceNotFoundException", 400, std::move(message));
}

core::Result<std::shared_ptr<const EventPattern>> compilePattern(const std::string& text) {
  auto parsed = parseEventPattern(text);
  if (!parsed) return parsed.error();
  return std::make_shared<const EventPattern>(std::move(parsed).value());
}

json::array stringArray(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_array()) return {};
  return it->value().get_array();
}

// The members of a stored target (as PutTargets got them) turned back into a Target.
core::Result<Target> targetFromSpec(const json::object& spec) {
  Target t;
  t.spec = spec;
  auto id = stringField(spec, "Id", true, 1, 64, true);
  if (!id) return id.error();
  t.id = **id;
  auto arn = stringField(spec, "Arn", true, 1, 1600);
  if (!arn) return arn.error();
  t.arn = **arn;
  TargetInputFields fields;
  if (auto input = core::stringMember(spec, "Input")) fields.input = std::string(*input);
  if (auto path = core::stringMember(spec, "InputPath")) fields.inputPath = std::string(*path);
  if (auto it = spec.find("InputTransformer"); it != spec.end() && it->value().is_object()) {
    const json::object& tr = it->value().get_object();
    InputTransformer transformer;
    if (auto m = tr.find("InputPathsMap"); m != tr.end() && m->value().is_object()) {
      for (const auto& [k, v] : m->value().get_object()) {
        if (!v.is_string()) {
          return core::Error::validation("InputPathsMap values must be strings",
                                         "InputTransformer.InputPathsMap");
        }
        transformer.pathsMap[std::string(k)] = std::string(v.get_string());
      }
    }
    auto templ = core::stringMember(tr, "InputTemplate");
    if (!templ) return detail::missing("InputTransformer.InputTemplate");
    transformer.templateText = std::string(*templ);
    fields.inputTransformer = std::move(transformer);
  }
  auto input = TargetInput::create(std::move(fields), t.id);
  if (!input) return input.error();
  t.input = std::move(input).value();
  if (auto it = spec.find("RetryPolicy"); it != spec.end() && it->value().is_object()) {
    const json::object& rp = it->value().get_object();
    auto age = integerField(rp, "MaximumEventAgeInSeconds", 60, 86400);
    if (!age) return age.error();
    auto attempts = integerField(rp, "MaximumRetryAttempts", 0, 185);
    if (!attempts) return attempts.error();
    if (*age) t.retry.maxAgeSeconds = **age;
    if (*attempts) t.retry.maxAttempts = **attempts;
  }
  if (auto it = spec.find("DeadLetterConfig"); it != spec.end() && it->value().is_object()) {
    if (auto dlq = core::stringMember(it->value().get_object(), "Arn")) {
      if (!dlq->starts_with("arn:aws:sqs:") || dlq->ends_with(".fifo")) {
        return core::Error::validation(
            "The dead-letter queue must be a standard SQS queue: DeadLetterConfig.Arn",
            "DeadLetterConfig.Arn");
      }
      t.deadLetterArn = std::string(*dlq);
    }
  }
  return t;
}

}  // namespace

core::Result<void> BusEngine::Impl::open() {
  if (auto opened = apiDestinations_.open(); !opened) return opened.error();
  rocksdb::ReadOptions read;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_.db().NewIterator(read, storage_.family(storage::Family::kMeta)));
  core::MutexLock lock(mu_);
  std::vector<std::pair<std::string, std::string>> rules;
  for (it->Seek("bus/"); it->Valid() && it->key().starts_with("bus/"); it->Next()) {
    auto doc = core::parseJson(it->value().ToStringView(), "stored bus");
    if (!doc || !doc->is_object()) return core::Error::internal("corrupt bus record");
    const json::object& o = doc->get_object();
    auto bus = std::make_unique<Bus>();
    bus->owner = std::string(core::stringMember(o, "owner").value_or(""));
    bus->name = std::string(core::stringMember(o, "name").value_or(""));
    bus->arn = busArn(bus->name);
    bus->description = std::string(core::stringMember(o, "description").value_or(""));
    bus->created = core::integerValue(o.at("created")).value_or(0);
    buses_[scoped("", bus->owner, bus->name)] = std::move(bus);
  }
  for (it->Seek("rule/"); it->Valid() && it->key().starts_with("rule/"); it->Next()) {
    auto doc = core::parseJson(it->value().ToStringView(), "stored rule");
    if (!doc || !doc->is_object()) return core::Error::internal("corrupt rule record");
    const json::object& o = doc->get_object();
    auto rule = std::make_shared<Rule>();
    auto str = [&](std::string_view name) {
      return std::string(core::stringMember(o, name).value_or(""));
    };
    rule->id = static_cast<RuleId>(core::integerValue(o.at("id")).value_or(0));
    rule->owner = str("owner");
    rule->bus = str("bus");
    rule->name = str("name");
    rule->arn = ruleArn(rule->bus, rule->name);
    rule->description = str("description");
    rule->eventPattern = str("eventPattern");
    rule->scheduleExpression = str("scheduleExpression");
    rule->roleArn = str("roleArn");
    rule->enabled = o.at("enabled").as_bool();
    if (!rule->eventPattern.empty()) {
      auto pattern = compilePattern(rule->eventPattern);
      if (!pattern) return core::Error::internal("stored rule pattern no longer parses");
      rule->pattern = *pattern;
    }
    for (const json::value& spec : stringArray(o, "targets")) {
      auto target = targetFromSpec(spec.as_object());
      if (!target) return core::Error::internal("stored target no longer valid");
      rule->targets.push_back(std::move(target).value());
    }
    nextId_ = std::max<std::uint64_t>(nextId_, rule->id + 1);
    Bus& bus = *findBus(rule->owner, rule->bus).value();
    bus.rules[rule->name] = std::move(rule);
  }
  for (it->Seek("archive/"); it->Valid() && it->key().starts_with("archive/"); it->Next()) {
    auto doc = core::parseJson(it->value().ToStringView(), "stored archive");
    if (!doc || !doc->is_object()) return core::Error::internal("corrupt archive record");
    const json::object& o = doc->get_object();
    auto archive = std::make_shared<Archive>();
    archive->id = static_cast<std::uint64_t>(core::integerValue(o.at("id")).value_or(0));
    archive->owner = std::string(core::stringMember(o, "owner").value_or(""));
    archive->name = std::string(core::stringMember(o, "name").value_or(""));
    archive->busName = std::string(core::stringMember(o, "bus").value_or(""));
    archive->sourceArn = busArn(archive->busName);
    archive->arn = fmt::format("arn:aws:events:{}:{}:archive/{}", options_.region,
                               options_.accountId, archive->name);
    archive->description = std::string(core::stringMember(o, "description").value_or(""));
    archive->eventPattern = std::string(core::stringMember(o, "eventPattern").value_or(""));
    archive->retentionDays = core::integerValue(o.at("retentionDays")).value_or(0);
    archive->created = core::integerValue(o.at("created")).value_or(0);
    if (!archive->eventPattern.empty()) {
      auto pattern = compilePattern(archive->eventPattern);
      if (!pattern) return core::Error::internal("stored archive pattern no longer parses");
      archive->pattern = *pattern;
    }
    nextId_ = std::max<std::uint64_t>(nextId_, archive->id + 1);
    archives_[scoped("", archive->owner, archive->name)] = std::move(archive);
  }
  for (auto& [key, bus] : buses_) publish(*bus);

  // Pending deliveries, and a sequence above every one stored.
  std::unique_ptr<rocksdb::Iterator> records(
      storage_.db().NewIterator(read, storage_.family(storage::Family::kBus)));
  std::uint64_t maxSeq = 0;
  std::vector<Delivery> loaded;
  for (records->Seek("d"); records->Valid() && records->key().starts_with("d"); records->Next()) {
    std::string key = records->key().ToString();
    maxSeq = std::max(maxSeq, readBigEndian(std::string_view(key).substr(9)));
    auto d = Delivery::fromJson(key, records->value().ToStringView());
    if (d) loaded.push_back(std::move(*d));
  }
  seq_ =
      std::max<std::uint64_t>(maxSeq + 1, static_cast<std::uint64_t>(toMicros(clock_.wallNow())));
  {
    core::MutexLock dl(deliveryMu_);
    for (Delivery& d : loaded) pending_.emplace(d.key, std::move(d));
  }
  if (options_.startDispatcher) dispatcher_ = std::thread([this] { dispatcherLoop(); });
  return {};
}

void BusEngine::Impl::stop() {
  {
    core::MutexLock lock(deliveryMu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  std::vector<std::thread> replays;
  {
    core::MutexLock lock(mu_);
    replays.swap(replays_);
  }
  for (std::thread& t : replays) t.join();
}

core::Result<json::object> BusEngine::Impl::call(std::string_view owner, std::string_view op,
                                                 const json::object& r) {
  if (op == "PutEvents") return putEvents(owner, r);
  if (op == "PutRule") return putRule(owner, r);
  if (op == "DescribeRule") return describeRule(owner, r);
  if (op == "ListRules") return listRules(owner, r);
  if (op == "EnableRule") return setRuleState(owner, r, true);
  if (op == "DisableRule") return setRuleState(owner, r, false);
  if (op == "DeleteRule") return deleteRule(owner, r);
  if (op == "PutTargets") return putTargets(owner, r);
  if (op == "ListTargetsByRule") return listTargets(owner, r);
  if (op == "RemoveTargets") return removeTargets(owner, r);
  if (op == "TestEventPattern") return testEventPattern(r);
  if (op == "CreateEventBus") return createBus(owner, r);
  if (op == "DescribeEventBus") return describeBus(owner, r);
  if (op == "ListEventBuses") return listBuses(owner, r);
  if (op == "DeleteEventBus") return deleteBus(owner, r);
  if (op == "CreateArchive") return createArchive(owner, r);
  if (op == "DescribeArchive") return describeArchive(owner, r);
  if (op == "StartReplay") return startReplay(owner, r);
  if (op == "DescribeReplay") return describeReplay(owner, r);
  if (auto handled = apiDestinations_.call(owner, op, r)) return std::move(*handled);
  return core::Error("UnknownOperationException", 400, fmt::format("Unknown operation {}", op));
}

Bus& BusEngine::Impl::defaultBus(std::string_view owner) {
  auto& slot = buses_[scoped("", owner, kDefaultBus)];
  if (!slot) {
    slot = std::make_unique<Bus>();
    slot->owner = std::string(owner);
    slot->name = std::string(kDefaultBus);
    slot->arn = busArn(kDefaultBus);
    publish(*slot);
  }
  return *slot;
}

core::Result<Bus*> BusEngine::Impl::findBus(std::string_view owner, std::string_view nameOrArn) {
  std::string_view name = nameOrArn;
  if (name.starts_with("arn:")) {
    std::size_t at = name.find(":event-bus/");
    if (at == std::string_view::npos) {
      return core::Error::validation(fmt::format("Invalid event bus ARN: {}", nameOrArn),
                                     "EventBusName");
    }
    name = name.substr(at + 11);
  }
  if (name.empty() || name == kDefaultBus) return &defaultBus(owner);
  auto it = buses_.find(scoped("", owner, name));
  if (it == buses_.end()) return notFound(fmt::format("Event bus {} does not exist.", name));
  return it->second.get();
}

core::Result<std::shared_ptr<const Rule>> BusEngine::Impl::findRule(std::string_view owner,
                                                                    Bus& bus,
                                                                    std::string_view name) {
  (void)owner;
  auto it = bus.rules.find(std::string(name));
  if (it == bus.rules.end()) {
    return notFound(fmt::format("Rule {} does not exist on EventBus {}.", name, bus.name));
  }
  return it->second;
}

core::Result<BusEngine::Impl::RuleAt> BusEngine::Impl::ruleOf(std::string_view owner,
                                                              const json::object& r,
                                                              std::string_view member) {
  auto name = stringField(r, member, true, 1, 64, true);
  if (!name) return name.error();
  auto busName = stringField(r, "EventBusName", false, 1, 1600);
  if (!busName) return busName.error();
  auto bus = findBus(owner, busName->value_or(""));
  if (!bus) return bus.error();
  auto rule = findRule(owner, **bus, **name);
  if (!rule) return rule.error();
  return RuleAt{*bus, *rule};
}

void BusEngine::Impl::publish(Bus& bus) {
  auto snapshot = std::make_shared<BusSnapshot>();
  snapshot->owner = bus.owner;
  snapshot->name = bus.name;
  std::map<RuleId, std::shared_ptr<const EventPattern>> patterns;
  for (const auto& [name, rule] : bus.rules) {
    if (!rule->enabled || !rule->pattern) continue;
    patterns[rule->id] = rule->pattern;
    snapshot->rules[rule->id] = rule;
  }
  snapshot->automaton = PatternAutomaton::build(patterns);
  for (const auto& [key, archive] : archives_) {
    if (archive->owner == bus.owner && archive->busName == bus.name) {
      snapshot->archives.push_back(archive);
    }
  }
  bus.snapshot.store(std::move(snapshot));
}

json::object BusEngine::Impl::describe(const Rule& rule) const {
  json::object o{{"Name", rule.name},
                 {"Arn", rule.arn},
                 {"State", rule.enabled ? "ENABLED" : "DISABLED"},
                 {"EventBusName", rule.bus},
                 {"CreatedBy", options_.accountId}};
  if (!rule.eventPattern.empty()) o["EventPattern"] = rule.eventPattern;
  if (!rule.scheduleExpression.empty()) o["ScheduleExpression"] = rule.scheduleExpression;
  if (!rule.description.empty()) o["Description"] = rule.description;
  if (!rule.roleArn.empty()) o["RoleArn"] = rule.roleArn;
  return o;
}

core::Result<void> BusEngine::Impl::storeRule(const Rule& rule) {
  json::array targets;
  for (const Target& t : rule.targets) targets.push_back(t.spec);
  json::object o{{"id", rule.id},
                 {"owner", rule.owner},
                 {"bus", rule.bus},
                 {"name", rule.name},
                 {"description", rule.description},
                 {"eventPattern", rule.eventPattern},
                 {"scheduleExpression", rule.scheduleExpression},
                 {"roleArn", rule.roleArn},
                 {"enabled", rule.enabled},
                 {"targets", std::move(targets)}};
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kMeta),
            scoped("rule/", rule.owner, rule.bus + '\0' + rule.name), core::toJson(o));
  return storage_.write(batch);
}

core::Result<json::object> BusEngine::Impl::putRule(std::string_view owner, const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 64, true);
  if (!name) return name.error();
  auto pattern = stringField(r, "EventPattern", false, 0, 4096);
  if (!pattern) return pattern.error();
  auto schedule = stringField(r, "ScheduleExpression", false, 0, 256);
  if (!schedule) return schedule.error();
  auto state = stringField(r, "State", false, 0, 64);
  if (!state) return state.error();
  auto description = stringField(r, "Description", false, 0, 512);
  if (!description) return description.error();
  auto role = stringField(r, "RoleArn", false, 1, 1600);
  if (!role) return role.error();
  auto busName = stringField(r, "EventBusName", false, 1, 1600);
  if (!busName) return busName.error();
  bool hasPattern = pattern->has_value() && !(*pattern)->empty();
  bool hasSchedule = schedule->has_value() && !(*schedule)->empty();
  if (!hasPattern && !hasSchedule) {
    return core::Error::validation(
        "Parameter(s) EventPattern or ScheduleExpression must be specified.", "EventPattern");
  }
  if (state->has_value() && **state != "ENABLED" && **state != "DISABLED") {
    return detail::constraint("state", **state,
                              "Member must satisfy enum value set: [ENABLED, DISABLED]");
  }
  std::shared_ptr<const EventPattern> compiled;
  if (hasPattern) {
    auto c = compilePattern(**pattern);
    if (!c) return c.error();
    compiled = *c;
  }
  if (hasSchedule) {
    auto checked = validateSchedule(**schedule);
    if (!checked) return checked.error();
  }
  core::MutexLock lock(mu_);
  auto bus = findBus(owner, busName->value_or(""));
  if (!bus) return bus.error();
  if (hasSchedule && (*bus)->name != kDefaultBus) {
    return core::Error::validation("ScheduleExpression is supported only on the default event bus.",
                                   "ScheduleExpression");
  }
  auto rule = std::make_shared<Rule>();
  if (auto existing = (*bus)->rules.find(**name); existing != (*bus)->rules.end()) {
    *rule = *existing->second;  // PutRule updates in place, keeping the targets
  } else {
    rule->id = nextId_++;
  }
  rule->owner = std::string(owner);
  rule->bus = (*bus)->name;
  rule->name = **name;
  rule->arn = ruleArn(rule->bus, rule->name);
  rule->eventPattern = hasPattern ? **pattern : std::string();
  rule->pattern = compiled;
  rule->scheduleExpression = hasSchedule ? **schedule : std::string();
  rule->enabled = !state->has_value() || **state == "ENABLED";
  rule->description = description->value_or("");
  rule->roleArn = role->value_or("");
  if (auto stored = storeRule(*rule); !stored) return stored.error();
  (*bus)->rules[rule->name] = rule;
  publish(**bus);
  if (hasSchedule) scheduleChanged(*rule);
  return json::object{{"RuleArn", rule->arn}};
}

core::Result<json::object> BusEngine::Impl::describeRule(std::string_view owner,
                                                         const json::object& r) {
  core::MutexLock lock(mu_);
  auto at = ruleOf(owner, r, "Name");
  if (!at) return at.error();
  return describe(*at->rule);
}

core::Result<json::object> BusEngine::Impl::listRules(std::string_view owner,
                                                      const json::object& r) {
  auto prefix = stringField(r, "NamePrefix", false, 1, 64, true);
  if (!prefix) return prefix.error();
  auto busName = stringField(r, "EventBusName", false, 1, 1600);
  if (!busName) return busName.error();
  auto limit = integerField(r, "Limit", 1, 100);
  if (!limit) return limit.error();
  auto token = stringField(r, "NextToken", false, 1, 2048);
  if (!token) return token.error();
  core::MutexLock lock(mu_);
  auto bus = findBus(owner, busName->value_or(""));
  if (!bus) return bus.error();
  json::array rules;
  std::string next;
  std::size_t max = static_cast<std::size_t>(limit->value_or(100));
  auto it = token->has_value() ? (*bus)->rules.lower_bound(**token) : (*bus)->rules.begin();
  for (; it != (*bus)->rules.end(); ++it) {
    if (prefix->has_value() && !it->first.starts_with(**prefix)) continue;
    if (rules.size() == max) {
      next = it->first;
      break;
    }
    rules.push_back(describe(*it->second));
  }
  json::object out{{"Rules", std::move(rules)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

core::Result<json::object> BusEngine::Impl::setRuleState(std::string_view owner,
                                                         const json::object& r, bool enabled) {
  core::MutexLock lock(mu_);
  auto at = ruleOf(owner, r, "Name");
  if (!at) return at.error();
  auto changed = std::make_shared<Rule>(*at->rule);
  changed->enabled = enabled;
  if (auto stored = storeRule(*changed); !stored) return stored.error();
  at->bus->rules[changed->name] = changed;
  publish(*at->bus);
  if (!changed->scheduleExpression.empty()) scheduleChanged(*changed);
  return json::object{};
}

core::Result<json::object> BusEngine::Impl::deleteRule(std::string_view owner,
                                                       const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 64, true);
  if (!name) return name.error();
  auto busName = stringField(r, "EventBusName", false, 1, 1600);
  if (!busName) return busName.error();
  core::MutexLock lock(mu_);
  auto bus = findBus(owner, busName->value_or(""));
  if (!bus) return bus.error();
  auto found = (*bus)->rules.find(**name);
  if (found == (*bus)->rules.end()) return json::object{};  // DeleteRule is idempotent
  if (!found->second->targets.empty()) {
    return core::Error::validation("Rule can't be deleted since it has targets.", "Name");
  }
  rocksdb::WriteBatch batch;
  batch.Delete(storage_.family(storage::Family::kMeta),
               scoped("rule/", owner, (*bus)->name + '\0' + **name));
  if (auto w = storage_.write(batch); !w) return w.error();
  Rule removed = *found->second;
  (*bus)->rules.erase(found);
  publish(**bus);
  removed.scheduleExpression.clear();
  scheduleChanged(removed);
  return json::object{};
}

core::Result<json::object> BusEngine::Impl::putTargets(std::string_view owner,
                                                       const json::object& r) {
  auto name = stringField(r, "Rule", true, 1, 64, true);
  if (!name) return name.error();
  auto busName = stringField(r, "EventBusName", false, 1, 1600);
  if (!busName) return busName.error();
  auto it = r.find("Targets");
  if (it == r.end() || !it->value().is_array()) return detail::missing("Targets");
  const json::array& specs = it->value().get_array();
  if (specs.empty() || specs.size() > 10) {
    return detail::constraint("targets", std::to_string(specs.size()),
                              "Member must have length less than or equal to 10 and greater "
                              "than or equal to 1");
  }
  std::vector<Target> targets;
  for (const json::value& spec : specs) {
    if (!spec.is_object())
      return core::Error::validation("Each target must be an object", "Targets");
    auto t = targetFromSpec(spec.get_object());
    if (!t) return t.error();
    targets.push_back(std::move(t).value());
  }
  core::MutexLock lock(mu_);
  auto bus = findBus(owner, busName->value_or(""));
  if (!bus) return bus.error();
  auto rule = findRule(owner, **bus, **name);
  if (!rule) return rule.error();
  auto changed = std::make_shared<Rule>(**rule);
  json::array failed;
  for (Target& t : targets) {
    auto same = std::find_if(changed->targets.begin(), changed->targets.end(),
                             [&](const Target& o) { return o.id == t.id; });
    if (same != changed->targets.end()) {
      *same = std::move(t);
    } else if (changed->targets.size() >= kMaxTargetsPerRule) {
      failed.push_back(json::object{
          {"TargetId", t.id},
          {"ErrorCode", "LimitExceededException"},
          {"ErrorMessage", "The requested resource exceeds the maximum number allowed."}});
    } else {
      changed->targets.push_back(std::move(t));
    }
  }
  if (auto stored = storeRule(*changed); !stored) return stored.error();
  (*bus)->rules[changed->name] = changed;
  publish(**bus);
  if (!changed->scheduleExpression.empty()) scheduleChanged(*changed);
  std::size_t failures = failed.size();
  return json::object{{"FailedEntryCount", static_cast<std::int64_t>(failures)},
                      {"FailedEntries", std::move(failed)}};
}

core::Result<json::object> BusEngine::Impl::listTargets(std::string_view owner,
                                                        const json::object& r) {
  core::MutexLock lock(mu_);
  auto at = ruleOf(owner, r, "Rule");
  if (!at) return at.error();
  json::array targets;
  for (const Target& t : at->rule->targets) targets.push_back(t.spec);
  return json::object{{"Targets", std::move(targets)}};
}

core::Result<json::object> BusEngine::Impl::removeTargets(std::string_view owner,
                                                          const json::object& r) {
  auto name = stringField(r, "Rule", true, 1, 64, true);
  if (!name) return name.error();
  auto busName = stringField(r, "EventBusName", false, 1, 1600);
  if (!busName) return busName.error();
  json::array ids = stringArray(r, "Ids");
  if (ids.empty() || ids.size() > 100) {
    return detail::constraint("ids", std::to_string(ids.size()),
                              "Member must have length less than or equal to 100 and greater "
                              "than or equal to 1");
  }
  core::MutexLock lock(mu_);
  auto bus = findBus(owner, busName->value_or(""));
  if (!bus) return bus.error();
  auto rule = findRule(owner, **bus, **name);
  if (!rule) return rule.error();
  auto changed = std::make_shared<Rule>(**rule);
  json::array failed;
  for (const json::value& id : ids) {
    std::string_view wanted = id.is_string() ? std::string_view(id.get_string()) : "";
    auto at = std::find_if(changed->targets.begin(), changed->targets.end(),
                           [&](const Target& t) { return t.id == wanted; });
    if (at == changed->targets.end()) {
      failed.push_back(
          json::object{{"TargetId", wanted},
                       {"ErrorCode", "ResourceNotFoundException"},
                       {"ErrorMessage", fmt::format("Target {} does not exist.", wanted)}});
      continue;
    }
    changed->targets.erase(at);
  }
  if (auto stored = storeRule(*changed); !stored) return stored.error();
  (*bus)->rules[changed->name] = changed;
  publish(**bus);
  std::size_t failures = failed.size();
  return json::object{{"FailedEntryCount", static_cast<std::int64_t>(failures)},
                      {"FailedEntries", std::move(failed)}};
}

core::Result<json::object> BusEngine::Impl::testEventPattern(const json::object& r) {
  auto pattern = stringField(r, "EventPattern", true, 1, 4096);
  if (!pattern) return pattern.error();
  auto event = stringField(r, "Event", true, 1, 256 * 1024);
  if (!event) return event.error();
  auto compiled = compilePattern(**pattern);
  if (!compiled) return compiled.error();
  auto doc = core::parseJson(**event, "Event");
  bool valid = doc && doc->is_object();
  if (valid) {
    for (std::string_view member : {"id", "account", "source", "time", "region", "detail-type"}) {
      if (!doc->get_object().contains(member)) valid = false;
    }
  }
  if (!valid) return core::Error::validation("Parameter Event is not valid.", "Event");
  return json::object{{"Result", matchesEvent(**compiled, *doc)}};
}

core::Result<json::object> BusEngine::Impl::createBus(std::string_view owner,
                                                      const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 256);
  if (!name) return name.error();
  if (!detail::isName(**name, true)) {
    return detail::constraint(
        "name", **name, "Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+");
  }
  auto description = stringField(r, "Description", false, 0, 512);
  if (!description) return description.error();
  if (**name == kDefaultBus) {
    return core::Error::validation("The event bus name 'default' is reserved.", "Name");
  }
  core::MutexLock lock(mu_);
  std::string key = scoped("", owner, **name);
  if (buses_.contains(key)) {
    return core::Error("ResourceAlreadyExistsException", 400,
                       fmt::format("Event bus {} already exists.", **name));
  }
  auto bus = std::make_unique<Bus>();
  bus->owner = std::string(owner);
  bus->name = **name;
  bus->arn = busArn(bus->name);
  bus->description = description->value_or("");
  bus->created = toMicros(clock_.wallNow());
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kMeta), scoped("bus/", owner, bus->name),
            core::toJson(json::object{{"owner", bus->owner},
                                      {"name", bus->name},
                                      {"description", bus->description},
                                      {"created", bus->created}}));
  if (auto w = storage_.write(batch); !w) return w.error();
  publish(*bus);
  std::string arn = bus->arn;
  buses_[key] = std::move(bus);
  return json::object{{"EventBusArn", arn}};
}

core::Result<json::object> BusEngine::Impl::describeBus(std::string_view owner,
                                                        const json::object& r) {
  auto name = stringField(r, "Name", false, 1, 1600);
  if (!name) return name.error();
  core::MutexLock lock(mu_);
  auto bus = findBus(owner, name->value_or(""));
  if (!bus) return bus.error();
  json::object out{{"Name", (*bus)->name}, {"Arn", (*bus)->arn}};
  if (!(*bus)->description.empty()) out["Description"] = (*bus)->description;
  if ((*bus)->created > 0) out["CreationTime"] = epochSeconds((*bus)->created);
  return out;
}

core::Result<json::object> BusEngine::Impl::listBuses(std::string_view owner,
                                                      const json::object& r) {
  auto prefix = stringField(r, "NamePrefix", false, 1, 256);
  if (!prefix) return prefix.error();
  auto limit = integerField(r, "Limit", 1, 100);
  if (!limit) return limit.error();
  core::MutexLock lock(mu_);
  defaultBus(owner);
  json::array buses;
  std::string from = scoped("", owner, "");
  for (auto it = buses_.lower_bound(from); it != buses_.end() && it->first.starts_with(from);
       ++it) {
    const Bus& bus = *it->second;
    if (prefix->has_value() && !bus.name.starts_with(**prefix)) continue;
    if (limit->has_value() && buses.size() >= static_cast<std::size_t>(**limit)) break;
    buses.push_back(json::object{{"Name", bus.name}, {"Arn", bus.arn}});
  }
  return json::object{{"EventBuses", std::move(buses)}};
}

core::Result<json::object> BusEngine::Impl::deleteBus(std::string_view owner,
                                                      const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 256);
  if (!name) return name.error();
  if (**name == kDefaultBus) {
    return core::Error::validation("Cannot delete event bus default.", "Name");
  }
  core::MutexLock lock(mu_);
  auto it = buses_.find(scoped("", owner, **name));
  if (it == buses_.end()) return json::object{};
  rocksdb::WriteBatch batch;
  batch.Delete(storage_.family(storage::Family::kMeta), scoped("bus/", owner, **name));
  for (const auto& [ruleName, rule] : it->second->rules) {
    batch.Delete(storage_.family(storage::Family::kMeta),
                 scoped("rule/", owner, **name + '\0' + ruleName));
  }
  if (auto w = storage_.write(batch); !w) return w.error();
  buses_.erase(it);
  return json::object{};
}

core::Result<json::object> BusEngine::Impl::putEvents(std::string_view owner,
                                                      const json::object& r) {
  rocksdb::WriteBatch batch;
  auto staged = stagePutEvents(owner, r, batch);
  if (!staged) return staged.error();
  if (batch.Count() > 0) {
    if (auto w = storage_.write(batch); !w) return w.error();
  }
  staged->afterCommit();
  return std::move(staged->response);
}

core::Result<StagedPutEvents> BusEngine::Impl::stagePutEvents(std::string_view owner,
                                                              const json::object& r,
                                                              rocksdb::WriteBatch& batch) {
  auto it = r.find("Entries");
  if (it == r.end() || !it->value().is_array()) return detail::missing("Entries");
  const json::array& entries = it->value().get_array();
  if (entries.empty() || entries.size() > 10) {
    return detail::constraint("entries", std::to_string(entries.size()),
                              "Member must have length less than or equal to 10 and greater "
                              "than or equal to 1");
  }
  // The documented size rule: Time counts 14 bytes, then the UTF-8 bytes of Source,
  // DetailType, Detail and each resource.
  std::size_t total = 0;
  for (const json::value& e : entries) {
    if (!e.is_object()) return core::Error::validation("Each entry must be an object", "Entries");
    const json::object& o = e.get_object();
    if (o.contains("Time")) total += 14;
    for (std::string_view m : {"Source", "DetailType", "Detail"}) {
      total += core::stringMember(o, m).value_or("").size();
    }
    for (const json::value& res : stringArray(o, "Resources")) {
      if (res.is_string()) total += res.get_string().size();
    }
  }
  if (total > kMaxEntrySize) {
    return core::Error::validation("Total size of the entries in the request is over the limit.",
                                   "Entries");
  }
  Micros now = toMicros(clock_.wallNow());
  json::array results;
  std::size_t failed = 0;
  Staged staged;
  auto fail = [&](std::string_view code, std::string message) {
    results.push_back(json::object{{"ErrorCode", code}, {"ErrorMessage", std::move(message)}});
    ++failed;
  };
  std::map<std::string, std::shared_ptr<const BusSnapshot>> snapshots;
  for (const json::value& e : entries) {
    const json::object& o = e.get_object();
    auto source = core::stringMember(o, "Source");
    auto detailType = core::stringMember(o, "DetailType");
    auto detail = core::stringMember(o, "Detail");
    if (!source || source->empty()) {
      fail("InvalidArgument",
           "Parameter Source is not valid. Reason: Source is a required argument.");
      continue;
    }
    if (!detailType || detailType->empty()) {
      fail("InvalidArgument",
           "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
      continue;
    }
    if (!detail) {
      fail("InvalidArgument",
           "Parameter Detail is not valid. Reason: Detail is a required argument.");
      continue;
    }
    if (source->size() > 256 || detailType->size() > 128) {
      fail("InvalidArgument",
           source->size() > 256
               ? "Parameter Source is not valid. Reason: longer than 256 characters."
               : "Parameter DetailType is not valid. Reason: longer than 128 characters.");
      continue;
    }
    if (source->starts_with("aws.")) {
      fail("NotAuthorizedForSourceException", "Not authorized for the source.");
      continue;
    }
    auto parsedDetail = core::parseJson(*detail, "Detail");
    if (!parsedDetail || !parsedDetail->is_object()) {
      fail("MalformedDetail", "Detail is malformed.");
      continue;
    }
    json::array resources;
    bool resourcesOk = true;
    for (const json::value& res : stringArray(o, "Resources")) {
      if (!res.is_string() || res.get_string().size() > 2048) resourcesOk = false;
      resources.push_back(res);
    }
    if (!resourcesOk) {
      fail("InvalidArgument", "Parameter Resources is not valid.");
      continue;
    }
    core::Clock::WallTime time = clock_.wallNow();
    if (auto t = o.find("Time"); t != o.end() && t->value().is_number()) {
      time = core::Clock::WallTime(std::chrono::duration_cast<core::Clock::WallTime::duration>(
          std::chrono::duration<double>(t->value().to_number<double>())));
    }
    std::string busName(core::stringMember(o, "EventBusName").value_or(""));
    auto& snapshot = snapshots[busName];
    if (!snapshot) {
      core::MutexLock lock(mu_);
      auto bus = findBus(owner, busName);
      if (!bus) {
        fail(bus.error().type() == "ResourceNotFoundException" ? "ResourceNotFoundException"
                                                               : "InvalidArgument",
             bus.error().message());
        snapshots.erase(busName);
        continue;
      }
      snapshot = (*bus)->snapshot.load();
    }
    std::string id = ids_.uuid();
    json::value event = json::object{{"version", "0"},
                                     {"id", id},
                                     {"detail-type", *detailType},
                                     {"source", *source},
                                     {"account", options_.accountId},
                                     {"time", envelopeTime(time)},
                                     {"region", options_.region},
                                     {"resources", std::move(resources)},
                                     {"detail", std::move(parsedDetail).value()}};
    stageEvent(*snapshot, event, now, batch, staged, nullptr);
    results.push_back(json::object{{"EventId", id}});
  }
  StagedPutEvents out;
  out.response = json::object{{"FailedEntryCount", static_cast<std::int64_t>(failed)},
                              {"Entries", std::move(results)}};
  out.afterCommit = [this, deliveries = std::move(staged.deliveries)]() mutable {
    enqueue(std::move(deliveries));
  };
  return out;
}

void BusEngine::Impl::stageEvent(const BusSnapshot& bus, const json::value& event, Micros now,
                                 rocksdb::WriteBatch& batch, Staged& staged,
                                 const std::vector<std::string>* onlyRules) {
  FlatEvent flat;
  std::vector<RuleId> matched;
  bus.automaton->match(event, flat, matched);
  for (RuleId id : matched) {
    const Rule& rule = *bus.rules.at(id);
    if (onlyRules &&
        std::find(onlyRules->begin(), onlyRules->end(), rule.arn) == onlyRules->end()) {
      continue;
    }
    if (auto* c = counter("bakery_bus_rule_matched_total", "Events a rule matched", rule.arn, "")) {
      c->inc();
    }
    stageForRule(rule, event, now, batch, staged);
  }
  if (event.as_object().contains("replay-name")) return;  // replays are not archived again
  for (const auto& archive : bus.archives) {
    if (archive->pattern && !matchesEvent(*archive->pattern, event)) continue;
    batch.Put(storage_.family(storage::Family::kBus), archiveKey(archive->id, now, nextSeq()),
              core::toJson(event));
    ++staged.archived;
  }
}

void BusEngine::Impl::stageForRule(const Rule& rule, const json::value& event, Micros now,
                                   rocksdb::WriteBatch& batch, Staged& staged) {
  std::string ingestion = envelopeTime(core::Clock::WallTime(std::chrono::microseconds(now)));
  for (const Target& target : rule.targets) {
    auto payload = renderTargetInput(target.input, event, {rule.arn, rule.name, ingestion});
    if (!payload) {
      if (auto* c = counter("bakery_bus_target_failures_total", "Failed deliveries to a target",
                            rule.arn, target.id)) {
        c->inc();
      }
      continue;
    }
    Delivery d;
    d.key = deliveryKey(now, nextSeq());
    d.owner = rule.owner;
    d.ruleArn = rule.arn;
    d.targetId = target.id;
    d.targetArn = target.arn;
    d.payload = std::move(payload).value();
    d.deadLetterArn = target.deadLetterArn;
    d.ingested = now;
    d.retry = target.retry;
    batch.Put(storage_.family(storage::Family::kBus), d.key, core::toJson(d.toJson()));
    staged.deliveries.push_back(std::move(d));
  }
}

void BusEngine::Impl::enqueue(std::vector<Delivery> deliveries) {
  if (deliveries.empty()) return;
  {
    core::MutexLock lock(deliveryMu_);
    for (Delivery& d : deliveries) {
      std::string key = d.key;
      pending_.emplace(std::move(key), std::move(d));
    }
  }
  wake_.notify_one();
}

std::chrono::milliseconds BusEngine::Impl::backoff(std::int64_t attempt) {
  double base = static_cast<double>(options_.retryBase.count());
  double cap = static_cast<double>(options_.retryCap.count());
  double ceiling = std::min(
      cap, base * std::pow(2.0, static_cast<double>(std::min<std::int64_t>(attempt - 1, 40))));
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(ceiling * jitter(random_)));
}

void BusEngine::Impl::attempt(Attempt& a, rocksdb::WriteBatch& batch,
                              std::vector<Delivery>& forwarded) {
  Delivery& d = a.delivery;
  Micros now = toMicros(clock_.wallNow());
  core::Result<void> result = {};
  switch (targetKind(d.targetArn)) {
    case TargetKind::kQueue: {
      auto staged = sinks_.stageQueueMessage(d.owner, d.targetArn, d.payload, {}, batch);
      if (staged) {
        a.afterCommit = std::move(staged).value();
      } else {
        result = staged.error();
      }
      break;
    }
    case TargetKind::kFunction:
      result = sinks_.invokeFunction(d.owner, d.targetArn, d.payload);
      break;
    case TargetKind::kBus: {
      std::shared_ptr<const BusSnapshot> snapshot;
      {
        core::MutexLock lock(mu_);
        auto it = buses_.find(scoped("", d.owner, lastSegment(d.targetArn, '/')));
        if (it != buses_.end()) snapshot = it->second->snapshot.load();
      }
      auto event = core::parseJson(d.payload, "event");
      if (!snapshot) {
        result = core::Error("NO_RESOURCE", 404, "The target event bus does not exist.");
      } else if (!event || !event->is_object()) {
        result = core::Error("INVALID_PARAMETER", 400, "The event sent to a bus must be an event.");
      } else {
        Staged staged;
        stageEvent(*snapshot, *event, now, batch, staged, nullptr);
        for (Delivery& next : staged.deliveries) forwarded.push_back(std::move(next));
      }
      break;
    }
    case TargetKind::kApiDestination: {
      auto outcome = apiDestinations_.deliver(d.owner, d.targetArn, d.payload);
      using Kind = ApiDestinations::Outcome::Kind;
      if (outcome.kind == Kind::kThrottled) {
        // The destination's own rate limit: wait for a token, without spending an attempt.
        a.outcome = Outcome::kRetry;
        d.key = deliveryKey(now + outcome.retryAfter.count() * 1000, nextSeq());
        batch.Put(storage_.family(storage::Family::kBus), d.key, core::toJson(d.toJson()));
        a.throttledOnly = true;
        return;
      }
      if (outcome.kind == Kind::kFailed) {
        result =
            core::Error(outcome.retryable ? outcome.errorCode : "NO_RESOURCE:" + outcome.errorCode,
                        500, outcome.errorMessage);
      }
      break;
    }
    case TargetKind::kUnknown:
      result = core::Error("NO_RESOURCE", 404, "The target type is not supported.");
      break;
  }
  ++d.attempt;
  if (result) {
    a.outcome = Outcome::kDelivered;
    return;
  }
  a.errorCode = result.error().type();
  a.errorMessage = result.error().message();
  bool retryable = a.errorCode != "NO_RESOURCE" && a.errorCode != "NO_PERMISSIONS" &&
                   a.errorCode != "INVALID_PARAMETER" && !a.errorCode.starts_with("NO_RESOURCE:");
  // A final HTTP answer is reported by its own code (HTTP_404, ...), not retried.
  if (a.errorCode.starts_with("NO_RESOURCE:")) a.errorCode = a.errorCode.substr(12);
  if (retryable) {
    Micros due =
        now + std::chrono::duration_cast<std::chrono::microseconds>(backoff(d.attempt)).count();
    if (d.attempt > d.retry.maxAttempts) {
      a.exhausted = "MaximumRetryAttempts";
    } else if (due - d.ingested > d.retry.maxAgeSeconds * 1'000'000) {
      a.exhausted = "MaximumEventAgeInSeconds";
    } else {
      a.outcome = Outcome::kRetry;
      d.key = deliveryKey(due, nextSeq());
      batch.Put(storage_.family(storage::Family::kBus), d.key, core::toJson(d.toJson()));
      return;
    }
  }
  deadLetter(a, batch);
}

void BusEngine::Impl::deadLetter(Attempt& a, rocksdb::WriteBatch& batch) {
  Delivery& d = a.delivery;
  if (d.deadLetterArn.empty()) {
    a.outcome = Outcome::kDropped;
    return;
  }
  std::vector<QueueMessageAttribute> attributes{{d.sourceAttribute, d.ruleArn},
                                                {"TARGET_ARN", d.targetArn},
                                                {"ERROR_CODE", a.errorCode},
                                                {"ERROR_MESSAGE", a.errorMessage},
                                                {"RETRY_ATTEMPTS", std::to_string(d.attempt - 1)}};
  if (!a.exhausted.empty()) attributes.push_back({"EXHAUSTED_RETRY_CONDITION", a.exhausted});
  auto staged = sinks_.stageQueueMessage(d.owner, d.deadLetterArn, d.payload, attributes, batch);
  if (staged) {
    a.outcome = Outcome::kDeadLetter;
    a.afterCommit = std::move(staged).value();
  } else {
    a.outcome = Outcome::kDropped;
  }
}

std::size_t BusEngine::Impl::dispatchDue() {
  Micros now = toMicros(clock_.wallNow());
  fireSchedules(now);
  constexpr std::size_t kMaxPerRound = 512;
  std::vector<Attempt> attempts;
  {
    core::MutexLock lock(deliveryMu_);
    std::string limit = deliveryKey(now + 1, 0);
    while (!pending_.empty() && attempts.size() < kMaxPerRound && pending_.begin()->first < limit) {
      attempts.push_back(Attempt{std::move(pending_.begin()->second)});
      pending_.erase(pending_.begin());
    }
  }
  if (attempts.empty()) return 0;
  rocksdb::WriteBatch batch;
  std::vector<Delivery> forwarded;
  for (Attempt& a : attempts) {
    batch.Delete(storage_.family(storage::Family::kBus), a.delivery.key);
    attempt(a, batch, forwarded);
  }
  if (!storage_.write(batch)) {
    // Nothing changed on disk: put every record back, to be tried again.
    core::MutexLock lock(deliveryMu_);
    for (Attempt& a : attempts) pending_.emplace(a.delivery.key, std::move(a.delivery));
    return attempts.size();
  }
  std::vector<Delivery> retries;
  for (Attempt& a : attempts) {
    if (a.afterCommit) a.afterCommit();
    const Delivery& d = a.delivery;
    auto count = [&](std::string_view name, std::string_view help) {
      if (auto* c = counter(name, help, d.ruleArn, d.targetId)) c->inc();
    };
    if (a.throttledOnly) {
      retries.push_back(std::move(a.delivery));
      continue;
    }
    count("bakery_bus_target_invocations_total", "Attempts to deliver to a target");
    switch (a.outcome) {
      case Outcome::kDelivered:
        if (metrics_) {
          metrics_
              ->histogram("bakery_bus_delivery_seconds",
                          "Time from PutEvents to delivery at a target", {{"rule", d.ruleArn}})
              .observe(static_cast<double>(toMicros(clock_.wallNow()) - d.ingested) / 1e6);
        }
        break;
      case Outcome::kRetry:
        count("bakery_bus_target_failures_total", "Failed deliveries to a target");
        count("bakery_bus_target_retries_total", "Deliveries rescheduled after a failure");
        retries.push_back(std::move(a.delivery));
        break;
      case Outcome::kDeadLetter:
        count("bakery_bus_target_failures_total", "Failed deliveries to a target");
        count("bakery_bus_target_dead_lettered_total", "Events sent to a dead-letter queue");
        break;
      case Outcome::kDropped:
        count("bakery_bus_target_failures_total", "Failed deliveries to a target");
        count("bakery_bus_target_dropped_total", "Events dropped after their last failure");
        break;
    }
  }
  for (Delivery& d : forwarded) retries.push_back(std::move(d));
  enqueue(std::move(retries));
  return attempts.size();
}

observability::Counter* BusEngine::Impl::counter(std::string_view name, std::string_view help,
                                                 const std::string& ruleArn,
                                                 const std::string& targetId) {
  if (!metrics_) return nullptr;
  observability::Labels labels{{"rule", ruleArn}};
  if (!targetId.empty()) labels.emplace_back("target", targetId);
  return &metrics_->counter(name, help, labels);
}

void BusEngine::Impl::dispatcherLoop() {
  while (true) {
    std::size_t n = dispatchDue();
    core::MutexLock lock(deliveryMu_);
    if (stopping_) return;
    if (n > 0) continue;
    auto wait = options_.idleWait;
    Micros now = toMicros(clock_.wallNow());
    std::optional<Micros> due;
    if (!pending_.empty())
      due = static_cast<Micros>(readBigEndian(std::string_view(pending_.begin()->first).substr(1)));
    if (auto s = nextScheduleDue(); s && (!due || *s < *due)) due = s;
    if (due) {
      auto until = std::chrono::milliseconds(std::max<Micros>(0, (*due - now) / 1000 + 1));
      wait = std::min(wait, until);
    }
    wake_.wait_for(lock.native(), wait);
    if (stopping_) return;
  }
}

core::Result<void> BusEngine::Impl::validateSchedule(const std::string& expression) {
  auto parsed = scheduler::parseScheduleExpression(expression, scheduler::ExpressionDialect::kRule);
  if (!parsed) {
    return core::Error::validation("Parameter ScheduleExpression is not valid.",
                                   "ScheduleExpression");
  }
  return {};
}

void BusEngine::Impl::scheduleChanged(const Rule& rule) {
  std::string key = scoped("", rule.owner, rule.arn);
  core::MutexLock lock(scheduleMu_);
  if (rule.scheduleExpression.empty() || !rule.enabled) {
    schedules_.erase(key);
    return;
  }
  auto parsed = scheduler::parseScheduleExpression(rule.scheduleExpression,
                                                   scheduler::ExpressionDialect::kRule);
  if (!parsed) return;
  Scheduled& s = schedules_[key];
  bool changed = !s.expression || s.expression->text() != parsed->text();
  s.owner = rule.owner;
  s.bus = rule.bus;
  s.rule = rule.name;
  if (!changed) return;
  s.expression = std::make_shared<const scheduler::ScheduleExpression>(std::move(parsed).value());
  // A rate counts from when the rule got its schedule; the last firing (stored with the
  // deliveries it caused) decides what is due after a restart.
  Micros now = toMicros(clock_.wallNow());
  Micros last = now;
  std::string stored;
  if (storage_.db()
          .Get(rocksdb::ReadOptions(), storage_.family(storage::Family::kSchedules),
               scoped("rule/", rule.owner, rule.arn), &stored)
          .ok()) {
    auto doc = core::parseJson(stored, "schedule state");
    if (doc && doc->is_object()) {
      s.anchor = core::integerValue(doc->get_object().at("anchor")).value_or(now);
      last = core::integerValue(doc->get_object().at("last")).value_or(now);
    }
  } else {
    s.anchor = now;
  }
  using WallTime = core::Clock::WallTime;
  auto next =
      scheduler::nextFiring(*s.expression, WallTime(std::chrono::microseconds(last)),
                            scheduler::TimeZone(), WallTime(std::chrono::microseconds(s.anchor)));
  s.next = next ? toMicros(*next) : std::numeric_limits<Micros>::max();
}

std::optional<Micros> BusEngine::Impl::nextScheduleDue() const {
  core::MutexLock lock(scheduleMu_);
  std::optional<Micros> best;
  for (const auto& [key, s] : schedules_) {
    if (!best || s.next < *best) best = s.next;
  }
  return best;
}

void BusEngine::Impl::fireSchedules(Micros now) {
  std::vector<Scheduled> due;
  {
    core::MutexLock lock(scheduleMu_);
    for (auto& [key, s] : schedules_) {
      if (s.next > now) continue;
      due.push_back(s);
      // Fire once for everything missed, then continue from now.
      using WallTime = core::Clock::WallTime;
      auto next = scheduler::nextFiring(*s.expression, WallTime(std::chrono::microseconds(now)),
                                        scheduler::TimeZone(),
                                        WallTime(std::chrono::microseconds(s.anchor)));
      s.next = next ? toMicros(*next) : std::numeric_limits<Micros>::max();
    }
  }
  for (const Scheduled& s : due) {
    std::shared_ptr<const Rule> rule;
    {
      core::MutexLock lock(mu_);
      auto bus = buses_.find(scoped("", s.owner, s.bus));
      if (bus == buses_.end()) continue;
      auto it = bus->second->rules.find(s.rule);
      if (it == bus->second->rules.end()) continue;
      rule = it->second;
    }
    json::value event =
        json::object{{"version", "0"},
                     {"id", ids_.uuid()},
                     {"detail-type", "Scheduled Event"},
                     {"source", "aws.events"},
                     {"account", options_.accountId},
                     {"time", envelopeTime(core::Clock::WallTime(std::chrono::microseconds(now)))},
                     {"region", options_.region},
                     {"resources", json::array{json::value(rule->arn)}},
                     {"detail", json::object{}}};
    rocksdb::WriteBatch batch;
    Staged staged;
    stageForRule(*rule, event, now, batch, staged);
    batch.Put(storage_.family(storage::Family::kSchedules), scoped("rule/", s.owner, rule->arn),
              core::toJson(json::object{{"anchor", s.anchor}, {"last", now}}));
    if (storage_.write(batch)) enqueue(std::move(staged.deliveries));
  }
}

core::Result<json::object> BusEngine::Impl::createArchive(std::string_view owner,
                                                          const json::object& r) {
  auto name = stringField(r, "ArchiveName", true, 1, 48, true);
  if (!name) return name.error();
  auto source = stringField(r, "EventSourceArn", true, 1, 1600);
  if (!source) return source.error();
  auto description = stringField(r, "Description", false, 0, 512);
  if (!description) return description.error();
  auto pattern = stringField(r, "EventPattern", false, 0, 4096);
  if (!pattern) return pattern.error();
  auto retention = integerField(r, "RetentionDays", 0, 1'000'000);
  if (!retention) return retention.error();
  std::shared_ptr<const EventPattern> compiled;
  if (pattern->has_value() && !(*pattern)->empty()) {
    auto c = compilePattern(**pattern);
    if (!c) return c.error();
    compiled = *c;
  }
  core::MutexLock lock(mu_);
  auto bus = findBus(owner, **source);
  if (!bus) return bus.error();
  std::string key = scoped("", owner, **name);
  if (archives_.contains(key)) {
    return core::Error("ResourceAlreadyExistsException", 400,
                       fmt::format("Archive {} already exists.", **name));
  }
  auto archive = std::make_shared<Archive>();
  archive->id = nextId_++;
  archive->owner = std::string(owner);
  archive->name = **name;
  archive->busName = (*bus)->name;
  archive->sourceArn = (*bus)->arn;
  archive->arn = fmt::format("arn:aws:events:{}:{}:archive/{}", options_.region, options_.accountId,
                             archive->name);
  archive->description = description->value_or("");
  archive->eventPattern = pattern->value_or("");
  archive->pattern = compiled;
  archive->retentionDays = retention->value_or(0);
  archive->created = toMicros(clock_.wallNow());
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kMeta), scoped("archive/", owner, archive->name),
            core::toJson(json::object{{"id", archive->id},
                                      {"owner", archive->owner},
                                      {"name", archive->name},
                                      {"bus", archive->busName},
                                      {"description", archive->description},
                                      {"eventPattern", archive->eventPattern},
                                      {"retentionDays", archive->retentionDays},
                                      {"created", archive->created}}));
  if (auto w = storage_.write(batch); !w) return w.error();
  archives_[key] = archive;
  publish(**bus);
  return json::object{{"ArchiveArn", archive->arn},
                      {"State", "ENABLED"},
                      {"CreationTime", epochSeconds(archive->created)}};
}

core::Result<json::object> BusEngine::Impl::describeArchive(std::string_view owner,
                                                            const json::object& r) {
  auto name = stringField(r, "ArchiveName", true, 1, 48, true);
  if (!name) return name.error();
  std::shared_ptr<const Archive> archive;
  {
    core::MutexLock lock(mu_);
    auto it = archives_.find(scoped("", owner, **name));
    if (it == archives_.end()) return notFound(fmt::format("Archive {} does not exist.", **name));
    archive = it->second;
  }
  std::string from = archiveKey(archive->id, 0, 0);
  std::string to = archiveKey(archive->id + 1, 0, 0);
  std::int64_t count = 0;
  std::int64_t bytes = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_.db().NewIterator(rocksdb::ReadOptions(), storage_.family(storage::Family::kBus)));
  for (it->Seek(from); it->Valid() && it->key().ToStringView() < to; it->Next()) {
    ++count;
    bytes += static_cast<std::int64_t>(it->value().size());
  }
  json::object out{{"ArchiveArn", archive->arn},
                   {"ArchiveName", archive->name},
                   {"EventSourceArn", archive->sourceArn},
                   {"State", "ENABLED"},
                   {"RetentionDays", archive->retentionDays},
                   {"SizeBytes", bytes},
                   {"EventCount", count},
                   {"CreationTime", epochSeconds(archive->created)}};
  if (!archive->description.empty()) out["Description"] = archive->description;
  if (!archive->eventPattern.empty()) out["EventPattern"] = archive->eventPattern;
  return out;
}

core::Result<json::object> BusEngine::Impl::startReplay(std::string_view owner,
                                                        const json::object& r) {
  auto name = stringField(r, "ReplayName", true, 1, 64, true);
  if (!name) return name.error();
  auto source = stringField(r, "EventSourceArn", true, 1, 1600);
  if (!source) return source.error();
  auto destination = r.find("Destination");
  if (destination == r.end() || !destination->value().is_object()) {
    return detail::missing("Destination");
  }
  auto destinationArn = stringField(destination->value().get_object(), "Arn", true, 1, 1600);
  if (!destinationArn) return destinationArn.error();
  auto start = r.find("EventStartTime");
  auto end = r.find("EventEndTime");
  if (start == r.end() || !start->value().is_number()) return detail::missing("EventStartTime");
  if (end == r.end() || !end->value().is_number()) return detail::missing("EventEndTime");
  double startSeconds = start->value().to_number<double>();
  double endSeconds = end->value().to_number<double>();
  if (!(startSeconds < endSeconds)) {
    return core::Error::validation(
        "Parameter EventStartTime is not valid. Reason: EventStartTime must be before "
        "EventEndTime.",
        "EventStartTime");
  }
  json::array filters = stringArray(destination->value().get_object(), "FilterArns");
  core::MutexLock lock(mu_);
  auto archiveIt = std::find_if(archives_.begin(), archives_.end(), [&](const auto& a) {
    return a.second->owner == owner && a.second->arn == **source;
  });
  if (archiveIt == archives_.end()) {
    return notFound(fmt::format("Archive {} does not exist.", lastSegment(**source, '/')));
  }
  auto bus = findBus(owner, **destinationArn);
  if (!bus) return bus.error();
  if ((*bus)->name != archiveIt->second->busName) {
    return core::Error::validation(
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
        "Destination.Arn");
  }
  std::string key = scoped("replay/", owner, **name);
  std::string existing;
  if (storage_.db()
          .Get(rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta), key, &existing)
          .ok()) {
    return core::Error("ResourceAlreadyExistsException", 400,
                       fmt::format("Replay {} already exists.", **name));
  }
  std::string arn =
      fmt::format("arn:aws:events:{}:{}:replay/{}", options_.region, options_.accountId, **name);
  Micros now = toMicros(clock_.wallNow());
  json::object record{{"ReplayName", **name},
                      {"ReplayArn", arn},
                      {"State", "STARTING"},
                      {"EventSourceArn", **source},
                      {"Destination", destination->value()},
                      {"EventStartTime", startSeconds},
                      {"EventEndTime", endSeconds},
                      {"ReplayStartTime", epochSeconds(now)},
                      {"archiveId", archiveIt->second->id},
                      {"bus", (*bus)->name}};
  if (auto d = core::stringMember(r, "Description")) record["Description"] = *d;
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kMeta), key, core::toJson(record));
  if (auto w = storage_.write(batch); !w) return w.error();
  replays_.emplace_back([this, o = std::string(owner), n = **name] { runReplay(o, n); });
  return json::object{
      {"ReplayArn", arn}, {"State", "STARTING"}, {"ReplayStartTime", epochSeconds(now)}};
}

void BusEngine::Impl::runReplay(std::string owner, std::string name) {
  std::string key = scoped("replay/", owner, name);
  std::string text;
  if (!storage_.db()
           .Get(rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta), key, &text)
           .ok())
    return;
  auto doc = core::parseJson(text, "replay");
  if (!doc || !doc->is_object()) return;
  json::object record = doc->get_object();
  auto save = [&](std::string_view state) {
    record["State"] = state;
    rocksdb::WriteBatch b;
    b.Put(storage_.family(storage::Family::kMeta), key, core::toJson(record));
    (void)storage_.write(b);
  };
  auto archiveId =
      static_cast<std::uint64_t>(core::integerValue(record.at("archiveId")).value_or(0));
  auto from = static_cast<Micros>(record.at("EventStartTime").to_number<double>() * 1e6);
  auto to = static_cast<Micros>(record.at("EventEndTime").to_number<double>() * 1e6);
  std::vector<std::string> filters;
  for (const json::value& f : stringArray(record.at("Destination").as_object(), "FilterArns")) {
    if (f.is_string()) filters.emplace_back(f.get_string());
  }
  std::shared_ptr<const BusSnapshot> snapshot;
  {
    core::MutexLock lock(mu_);
    auto bus =
        buses_.find(scoped("", owner, core::stringMember(record, "bus").value_or("default")));
    if (bus == buses_.end()) {
      if (std::string_view(core::stringMember(record, "bus").value_or("default")) == kDefaultBus) {
        snapshot = defaultBus(owner).snapshot.load();
      }
    } else {
      snapshot = bus->second->snapshot.load();
    }
  }
  if (!snapshot) {
    record["StateReason"] = "The destination event bus no longer exists.";
    save("FAILED");
    return;
  }
  save("RUNNING");
  std::unique_ptr<rocksdb::Iterator> it(
      storage_.db().NewIterator(rocksdb::ReadOptions(), storage_.family(storage::Family::kBus)));
  std::string end = archiveKey(archiveId, to, 0);
  rocksdb::WriteBatch batch;
  Staged staged;
  Micros last = 0;
  auto flush = [&] {
    if (batch.Count() > 0 && storage_.write(batch)) enqueue(std::move(staged.deliveries));
    batch.Clear();
    staged = Staged{};
    if (last > 0) record["EventLastReplayedTime"] = epochSeconds(last);
  };
  for (it->Seek(archiveKey(archiveId, from, 0)); it->Valid() && it->key().ToStringView() < end;
       it->Next()) {
    {
      core::MutexLock lock(deliveryMu_);
      if (stopping_) return;  // left RUNNING: a restart does not resume it
    }
    auto event = core::parseJson(it->value().ToStringView(), "archived event");
    if (!event || !event->is_object()) continue;
    event->as_object()["replay-name"] = name;
    last = static_cast<Micros>(readBigEndian(it->key().ToStringView().substr(9)));
    stageEvent(*snapshot, *event, toMicros(clock_.wallNow()), batch, staged,
               filters.empty() ? nullptr : &filters);
    if (batch.Count() >= 256) flush();
  }
  flush();
  record["ReplayEndTime"] = epochSeconds(toMicros(clock_.wallNow()));
  save("COMPLETED");
}

core::Result<json::object> BusEngine::Impl::describeReplay(std::string_view owner,
                                                           const json::object& r) {
  auto name = stringField(r, "ReplayName", true, 1, 64, true);
  if (!name) return name.error();
  std::string text;
  if (!storage_.db()
           .Get(rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta),
                scoped("replay/", owner, **name), &text)
           .ok()) {
    return notFound(fmt::format("Replay {} does not exist.", **name));
  }
  auto doc = core::parseJson(text, "replay");
  if (!doc || !doc->is_object()) return core::Error::internal();
  json::object out = doc->get_object();
  out.erase("archiveId");
  out.erase("bus");
  return out;
}

BusEngine::BusEngine(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids,
                     TargetSinks& sinks, BusOptions options,
                     observability::MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(storage, clock, ids, sinks, std::move(options), metrics)) {}
BusEngine::~BusEngine() = default;
core::Result<void> BusEngine::open() { return impl_->open(); }
void BusEngine::stop() { impl_->stop(); }
core::Result<json::object> BusEngine::call(std::string_view owner, std::string_view operation,
                                           const json::object& request) {
  return impl_->call(owner, operation, request);
}
core::Result<json::object> BusEngine::putEvents(std::string_view owner,
                                                const json::object& request) {
  return impl_->putEvents(owner, request);
}
std::size_t BusEngine::dispatchDueForTest() { return impl_->dispatchDue(); }
core::Result<StagedPutEvents> BusEngine::stagePutEvents(std::string_view owner,
                                                        const json::object& request,
                                                        rocksdb::WriteBatch& batch) {
  return impl_->stagePutEvents(owner, request, batch);
}
std::function<void()> BusEngine::stageDelivery(const DeliveryRequest& request,
                                               rocksdb::WriteBatch& batch) {
  return impl_->stageDelivery(request, batch);
}
std::size_t BusEngine::pendingDeliveries() const { return impl_->pending(); }

}  // namespace bakery::bus
