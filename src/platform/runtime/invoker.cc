#include "platform/runtime/invoker.h"

#include <condition_variable>
#include <exception>
#include <future>

#include <fmt/format.h>

#include <bakery/http.h>

#include "core/encoding.h"
#include "platform/runtime/deadline_queue.h"
#include "platform/runtime/worker_pool.h"

namespace bakery::runtime {
namespace {

constexpr std::size_t kMaxIdempotencyKeyBytes = 256;

// The table store of a process that has none, or of a tenant the function may not reach.
class UnavailableTables final : public table::Tables {
 public:
  explicit UnavailableTables(core::Error why) : why_(std::move(why)) {}
  std::unique_ptr<table::Table> open(std::string_view name) override {
    return std::make_unique<UnavailableTable>(std::string(name), why_);
  }
  core::Result<void> transactWrite(const std::vector<table::TransactionAction>&,
                                   std::string_view) override {
    return why_;
  }

 private:
  class UnavailableTable final : public table::Table {
   public:
    UnavailableTable(std::string name, core::Error why)
        : name_(std::move(name)), why_(std::move(why)) {}
    const std::string& name() const override { return name_; }
    core::Result<std::optional<table::AttributeMap>> put(const table::AttributeMap&,
                                                         const table::PutOptions&) override {
      return why_;
    }
    core::Result<std::optional<table::AttributeMap>> get(const table::AttributeMap&,
                                                         const table::GetOptions&) override {
      return why_;
    }
    core::Result<std::optional<table::AttributeMap>> update(const table::AttributeMap&,
                                                            const table::Update&,
                                                            const table::UpdateOptions&) override {
      return why_;
    }
    core::Result<std::optional<table::AttributeMap>> remove(const table::AttributeMap&,
                                                            const table::DeleteOptions&) override {
      return why_;
    }
    core::Result<table::Page> query(const table::KeyCondition&,
                                    const table::QueryOptions&) override {
      return why_;
    }
    core::Result<table::Page> scan(const table::ScanOptions&) override { return why_; }

   private:
    std::string name_;
    core::Error why_;
  };
  core::Error why_;
};

core::Error noTables() {
  return core::Error("ServiceUnavailable", 503, "No table store is configured in this process");
}

// The bus of a process that has none, or of a tenant the function may not reach.
class UnavailableBus final : public Bus {
 public:
  explicit UnavailableBus(core::Error why) : why_(std::move(why)) {}
  core::Result<std::vector<PutEventResult>> put(const std::vector<EventEntry>&) override {
    return why_;
  }
  core::Result<std::vector<PutEventResult>> putWithWrites(
      const std::vector<table::TransactionAction>&, const std::vector<EventEntry>&) override {
    return why_;
  }

 private:
  core::Error why_;
};

core::Error noBus() {
  return core::Error("ServiceUnavailable", 503, "No event bus is configured in this process");
}

core::Error notSystemFunction() {
  return core::Error("AccessDeniedException", 403,
                     "Only functions declared Tenancy::kSystem may name another tenant");
}

class InvocationContext final : public Context {
 public:
  InvocationContext(const RegisteredFunction& fn, const InvocationRequest& request,
                    core::Clock::MonoTime deadline, const core::Clock& clock,
                    observability::Logger& logger, const InvokerOptions& options)
      : fn_(fn),
        request_(request),
        deadline_(deadline),
        clock_(clock),
        logger_(logger),
        tablesProvider_(options.tables),
        busProvider_(options.bus) {}

  std::string_view requestId() const override { return request_.requestId; }
  std::string_view functionName() const override { return fn_.spec.name; }
  const TraceContext& trace() const override { return request_.trace; }
  std::chrono::milliseconds remaining() const override {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock_.monoNow());
    return std::max(left, std::chrono::milliseconds(0));
  }
  std::optional<std::string_view> env(std::string_view name) const override {
    auto it = fn_.spec.environment.find(std::string(name));
    if (it == fn_.spec.environment.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  void log(LogLevel level, std::string_view message, json::object fields) override {
    if (!logger_.enabled(level)) return;
    json::object line;
    line["msg"] = message;
    line["requestId"] = request_.requestId;
    line["traceId"] = request_.trace.traceId;
    line["function"] = fn_.spec.name;
    if (!request_.tenant.empty()) line["tenant"] = request_.tenant;
    for (auto& kv : fields) line[kv.key()] = std::move(kv.value());
    logger_.log(level, std::move(line));
  }
  table::Tables& tables() override { return scopeOf(request_.tenant).tables(*this); }
  Bus& bus() override { return scopeOf(request_.tenant).bus(*this); }
  const Identity* identity() const override {
    return request_.identity ? &*request_.identity : nullptr;
  }
  table::Tables& tablesOf(std::string_view tenant) override {
    if (fn_.spec.tenancy != Tenancy::kSystem) return denied_.tables(*this);
    return scopeOf(tenant).tables(*this);
  }
  Bus& busOf(std::string_view tenant) override {
    if (fn_.spec.tenancy != Tenancy::kSystem) return denied_.bus(*this);
    return scopeOf(tenant).bus(*this);
  }

 private:
  const RegisteredFunction& fn_;
  const InvocationRequest& request_;
  core::Clock::MonoTime deadline_;
  const core::Clock& clock_;
  observability::Logger& logger_;
  const std::function<std::unique_ptr<table::Tables>(std::string_view)>& tablesProvider_;
  const std::function<std::unique_ptr<Bus>(std::string_view)>& busProvider_;

  // The handles of one tenant, opened on first use.
  struct Scope {
    std::string tenant;
    bool denied = false;
    std::unique_ptr<table::Tables> tableHandles;
    std::unique_ptr<Bus> busHandle;

    table::Tables& tables(InvocationContext& ctx) {
      if (!tableHandles) {
        if (denied) {
          tableHandles = std::make_unique<UnavailableTables>(notSystemFunction());
        } else {
          if (ctx.tablesProvider_) tableHandles = ctx.tablesProvider_(tenant);
          if (!tableHandles) tableHandles = std::make_unique<UnavailableTables>(noTables());
        }
      }
      return *tableHandles;
    }
    Bus& bus(InvocationContext& ctx) {
      if (!busHandle) {
        if (denied) {
          busHandle = std::make_unique<UnavailableBus>(notSystemFunction());
        } else {
          if (ctx.busProvider_) busHandle = ctx.busProvider_(tenant);
          if (!busHandle) busHandle = std::make_unique<UnavailableBus>(noBus());
        }
      }
      return *busHandle;
    }
  };
  Scope& scopeOf(std::string_view tenant) {
    for (auto& scope : scopes_) {
      if (scope->tenant == tenant) return *scope;
    }
    scopes_.push_back(std::make_unique<Scope>(Scope{std::string(tenant), false, nullptr, nullptr}));
    return *scopes_.back();
  }
  std::vector<std::unique_ptr<Scope>> scopes_;  // few per invocation: a list beats a map
  Scope denied_{"", true, nullptr, nullptr};
};

bool isHttpEvent(const json::value& event) {
  if (!event.is_object()) return false;
  auto it = event.get_object().find("requestContext");
  return it != event.get_object().end() && it->value().is_object() &&
         it->value().get_object().contains("http");
}

// What the body schema and the idempotency key read: the JSON body of an HTTP event, or the
// event itself for any other trigger.
core::Result<json::value> payloadOf(const json::value& event) {
  if (!isHttpEvent(event)) return event;
  HttpRequest req(event);
  if (!event.get_object().contains("body")) {
    return core::Error::validation("Invalid request body: a JSON body is required", "body");
  }
  return req.jsonBody();
}

// The part of the request a repeated key must match: method, path and body.
std::string payloadHash(const json::value& event) {
  if (!isHttpEvent(event)) return core::sha256Hex(core::toJson(event));
  HttpRequest req(event);
  return core::sha256Hex(fmt::format("{} {}\n{}", req.method(), req.rawPath(), req.body()));
}

// The raw idempotency key: header first, then the configured body pointer. nullopt = no key.
core::Result<std::optional<std::string>> rawIdempotencyKey(const IdempotencyOptions& options,
                                                           const json::value& event) {
  if (isHttpEvent(event)) {
    if (auto header = HttpRequest(event).header("idempotency-key")) {
      if (header->empty() || header->size() > kMaxIdempotencyKeyBytes) {
        return core::Error::validation(
            fmt::format("Idempotency-Key must be 1 to {} bytes", kMaxIdempotencyKeyBytes),
            "Idempotency-Key");
      }
      return std::optional<std::string>(std::string(*header));
    }
  }
  if (!options.bodyKeyPointer.empty()) {
    auto payload = payloadOf(event);
    if (payload.ok()) {
      boost::system::error_code ec;
      const json::value* v = payload->find_pointer(options.bodyKeyPointer, ec);
      if (v && !v->is_null()) {
        return std::optional<std::string>(v->is_string() ? std::string(v->get_string())
                                                         : core::toJson(*v));
      }
    }
  }
  if (options.keyRequired) {
    return core::Error::validation("An idempotency key is required (Idempotency-Key header)",
                                   "Idempotency-Key");
  }
  return std::optional<std::string>();
}

bool isServerFailure(const json::value& response) {
  if (!response.is_object()) return false;
  auto it = response.get_object().find("statusCode");
  if (it == response.get_object().end()) return false;
  auto status = core::integerValue(it->value());
  return status && *status >= 500;
}

}  // namespace

struct Invoker::Shared {
  Shared(int workers, const core::Clock& clock) : pool(workers), deadlines(clock) {}
  WorkerPool pool;
  DeadlineQueue deadlines;
  core::Mutex mu;
  std::condition_variable idle;
};

struct Invoker::Call {
  RegisteredFunction* fn;
  InvocationRequest request;
  Done done;
  std::optional<std::pair<std::string, std::uint64_t>> claim;  // key, token
  bool coldStart = false;
  core::Clock::MonoTime started;
  core::Clock::MonoTime deadline;
  DeadlineQueue::Id deadlineId = 0;
  std::atomic<bool> settled{false};  // the first of {result, timeout} wins
};

Invoker::Invoker(InvokerOptions options, const core::Clock& clock, observability::Logger& logger,
                 observability::MetricsRegistry& metrics, IdempotencyStore& idempotency)
    : clock_(clock),
      logger_(logger),
      idempotency_(idempotency),
      options_(options),
      concurrencyGauge_(&metrics.gauge("bakery_runtime_concurrent_invocations",
                                       "Invocations admitted and not yet answered.")),
      shared_(std::make_unique<Shared>(options.workers, clock)) {}

Invoker::~Invoker() { stop(); }

void Invoker::invoke(RegisteredFunction& fn, InvocationRequest request, Done done) {
  auto reject = [&](core::Error error) {
    InvocationResult r;
    r.error = std::move(error);
    done(std::move(r));
  };

  if (fn.bodySchema) {
    auto payload = payloadOf(request.event);
    if (!payload) return reject(payload.error());
    if (auto valid = fn.bodySchema->validate(*payload); !valid) return reject(valid.error());
  }

  std::optional<std::pair<std::string, std::uint64_t>> claim;
  if (fn.spec.idempotency) {
    auto raw = rawIdempotencyKey(*fn.spec.idempotency, request.event);
    if (!raw) return reject(raw.error());
    if (raw->has_value()) {
      // Keys are the caller's tenant's: another tenant's same key is another request.
      std::string key = fn.spec.name + "#" + core::sha256Hex(request.tenant + '\n' + **raw);
      auto claimed =
          idempotency_.claim(key, payloadHash(request.event), clock_.wallNow() + fn.spec.timeout);
      if (!claimed) return reject(claimed.error());
      switch (claimed->kind) {
        case IdempotencyClaim::Kind::kInProgress:
          return reject(
              core::Error::conflict("IdempotencyAlreadyInProgressException",
                                    "A request with this idempotency key is already in progress"));
        case IdempotencyClaim::Kind::kPayloadMismatch:
          return reject(core::Error("IdempotentParameterMismatchException", 422,
                                    "This idempotency key was used with a different payload"));
        case IdempotencyClaim::Kind::kCompleted: {
          InvocationResult r;
          r.response = std::move(claimed->response);
          r.replayed = true;
          return done(std::move(r));
        }
        case IdempotencyClaim::Kind::kClaimed:
          claim.emplace(std::move(key), claimed->token);
          break;
      }
    }
  }

  int limit = fn.spec.reservedConcurrency.value_or(options_.workers);
  bool admitted = false;
  if (fn.inFlight.fetch_add(1) < limit) {
    if (admitted_.fetch_add(1) < options_.workers) {
      admitted = true;
    } else {
      admitted_.fetch_sub(1);
    }
  }
  if (!admitted) {
    fn.inFlight.fetch_sub(1);
    fn.throttles->inc();
    if (claim) (void)idempotency_.release(claim->first, claim->second);
    return reject(core::Error::throttled(
        fmt::format("Rate exceeded: function {} is at its concurrency limit", fn.spec.name)));
  }
  start(fn, std::move(request), std::move(done), std::move(claim));
}

void Invoker::start(RegisteredFunction& fn, InvocationRequest request, Done done,
                    std::optional<std::pair<std::string, std::uint64_t>> claim) {
  fn.invocations->inc();
  concurrencyGauge_->add(1);
  running_.fetch_add(1);
  auto call = std::make_shared<Call>();
  call->fn = &fn;
  call->request = std::move(request);
  call->done = std::move(done);
  call->claim = std::move(claim);
  call->coldStart = !fn.warm.exchange(true);
  call->started = clock_.monoNow();
  call->deadline = call->started + fn.spec.timeout;

  if (fn.spec.execution == Execution::kInline) {
    // No hand-off and no deadline timer: the handler never blocks, so the deadline is judged
    // when it returns.
    InvocationResult result = execute(*call);
    release(*call);
    if (clock_.monoNow() > call->deadline) {
      timeOut(call);
      finish(call, std::move(result));  // settled already: logged and dropped
    } else {
      finish(call, std::move(result));
    }
    endRun();
    return;
  }

  call->deadlineId = shared_->deadlines.add(call->deadline, [this, call] { timeOut(call); });
  shared_->pool.post([this, call] {
    InvocationResult result = execute(*call);
    release(*call);
    finish(call, std::move(result));
    endRun();
  });
}

InvocationResult Invoker::execute(Call& call) {
  InvocationResult r;
  r.coldStart = call.coldStart;
  InvocationContext ctx(*call.fn, call.request, call.deadline, clock_, logger_, options_);
  try {
    r.response = call.fn->spec.handler(std::move(call.request.event), ctx);
  } catch (const std::exception& e) {
    logger_.log(LogLevel::kError, "handler threw",
                {{"requestId", call.request.requestId},
                 {"traceId", call.request.trace.traceId},
                 {"function", call.fn->spec.name},
                 {"exception", e.what()}});
    r.error = core::Error::internal();
  } catch (...) {
    logger_.log(LogLevel::kError, "handler threw a non-exception",
                {{"requestId", call.request.requestId}, {"function", call.fn->spec.name}});
    r.error = core::Error::internal();
  }
  r.duration =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.monoNow() - call.started);
  call.fn->duration->observe(std::chrono::duration<double>(r.duration).count());
  return r;
}

void Invoker::timeOut(const std::shared_ptr<Call>& call) {
  if (call->settled.exchange(true)) return;
  call->fn->timeouts->inc();
  call->fn->errors->inc();
  if (call->claim) (void)idempotency_.release(call->claim->first, call->claim->second);
  InvocationResult r;
  r.error = core::Error("FunctionTimeoutException", 504,
                        fmt::format("Function {} timed out after {} ms", call->fn->spec.name,
                                    call->fn->spec.timeout.count()));
  r.duration = std::chrono::duration_cast<std::chrono::microseconds>(call->fn->spec.timeout);
  r.coldStart = call->coldStart;
  concurrencyGauge_->add(-1);
  call->done(std::move(r));
}

// The handler has returned: its concurrency slot is free again. Freed before the caller hears
// the outcome, so a caller that waits for each answer never finds its own slot still taken.
void Invoker::release(Call& call) {
  call.fn->inFlight.fetch_sub(1);
  admitted_.fetch_sub(1);
}

// The invocation is over, its outcome delivered: drain() may stop waiting for it.
void Invoker::endRun() {
  if (running_.fetch_sub(1) == 1) {
    core::MutexLock lock(shared_->mu);
    shared_->idle.notify_all();
  }
}

void Invoker::finish(const std::shared_ptr<Call>& call, InvocationResult result) {
  if (call->settled.exchange(true)) {
    logger_.log(LogLevel::kWarn, "late result dropped",
                {{"requestId", call->request.requestId}, {"function", call->fn->spec.name}});
    return;
  }
  if (call->deadlineId != 0) shared_->deadlines.cancel(call->deadlineId);
  bool failed = result.error.has_value() || isServerFailure(result.response);
  if (result.error) call->fn->errors->inc();
  if (call->claim) {
    const auto& [key, token] = *call->claim;
    if (failed) {
      (void)idempotency_.release(key, token);
    } else {
      (void)idempotency_.complete(key, token, result.response,
                                  clock_.wallNow() + call->fn->spec.idempotency->expiry);
    }
  }
  concurrencyGauge_->add(-1);
  call->done(std::move(result));
}

InvocationResult Invoker::invokeSync(RegisteredFunction& fn, InvocationRequest request) {
  std::promise<InvocationResult> promise;
  auto future = promise.get_future();
  invoke(fn, std::move(request),
         [&promise](InvocationResult r) { promise.set_value(std::move(r)); });
  return future.get();
}

bool Invoker::drain(std::chrono::milliseconds grace) {
  core::MutexLock lock(shared_->mu);
  return shared_->idle.wait_for(lock.native(), grace, [this] { return running_.load() == 0; });
}

void Invoker::stop() {
  shared_->deadlines.stop();
  shared_->pool.stop();
}

}  // namespace bakery::runtime
