#include "apps/bakery/application.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "apps/bakery/platform_targets.h"
#include "handlers/auth/auth.h"
#include "platform/bus/engine/engine_bus.h"
#include "platform/bus/facade/eventbridge_facade.h"
#include "platform/queue/engine/queue_engine.h"
#include "platform/queue/facade/sqs_facade.h"
#include "platform/queue/trigger/queue_trigger.h"
#include "platform/scheduler/engine/scheduler_engine.h"
#include "platform/scheduler/facade/scheduler_facade.h"

namespace bakery::app {
namespace {

double residentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

std::string endpointText(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

}  // namespace

Application::Application(ServeConfig config) : config_(std::move(config)) {}

Application::~Application() {
  for (auto& trigger : queueTriggers_) trigger->stop();
  if (appServer_) appServer_->stop();
  if (awsServer_) awsServer_->stop();
  if (tables_) tables_->stop();
}

core::Result<std::unique_ptr<Application>> Application::create(
    ServeConfig config, const std::vector<Capability>& capabilities, int logFd) {
  auto level = observability::parseLogLevel(config.logLevel);
  if (!level) {
    return core::Error::validation("--log-level must be one of debug, info, warn, error",
                                   "logLevel");
  }
  std::unique_ptr<Application> app(new Application(std::move(config)));
  Application& a = *app;
  a.logger_ = std::make_unique<observability::Logger>(
      *level, std::make_unique<observability::FdLogSink>(logFd), a.clock_);
  a.metrics_ = std::make_unique<observability::MetricsRegistry>();
  a.metrics_->gaugeCallback("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                            residentBytes);
  double started = std::chrono::duration<double>(a.clock_.wallNow().time_since_epoch()).count();
  a.metrics_->gaugeCallback("process_start_time_seconds",
                            "Start time of the process since the Unix epoch in seconds.", {},
                            [started] { return started; });

  // Our access tokens: signed by the key ring (opened with the data directory), verified by
  // the gateway's authorizer, which also trusts the configured external issuers.
  const AuthConfig& auth = a.config_.auth;
  identity::KeyRingOptions ring;
  ring.algorithm = *core::jwt::parseAlgorithm(auth.algorithm);
  ring.issuer = auth.issuer;
  ring.audience = auth.audience;
  ring.accessTokenLifetime = auth.accessTokenLifetime;
  ring.rotationPeriod = auth.keyRotation;
  ring.keysFile =
      auth.keysFile.empty() ? a.config_.dataDir + "/keys/signing-keys.json" : auth.keysFile;
  a.keyRing_ = std::make_unique<identity::KeyRing>(std::move(ring), a.clock_);
  gateway::AuthorizerOptions authorizerOptions;
  authorizerOptions.issuer = auth.issuer;
  authorizerOptions.audience = auth.audience;
  authorizerOptions.trustedIssuers = auth.trustedIssuers;
  a.authorizer_ = std::make_unique<gateway::Authorizer>(
      std::move(authorizerOptions), [&a] { return a.keyRing_->verificationKeys(); },
      identity::curlFetch(), a.clock_);

  a.catalog_ = std::make_unique<runtime::FunctionCatalog>(*a.metrics_);
  CapabilityServices services{*a.keyRing_, a.clock_, a.config_};
  for (const auto& capability : capabilities) capability.wire(*a.catalog_, services);
  for (const auto& [name, overrides] : a.config_.functions) {
    if (auto configured = a.catalog_->configure(name, overrides); !configured) {
      return configured.error();
    }
  }
  a.idempotency_ = std::make_unique<runtime::MemoryIdempotencyStore>(a.clock_);
  runtime::InvokerOptions invokerOptions;
  invokerOptions.workers = a.config_.workers;
  // Handlers reach the table engine through their Context, scoped to the caller's tenant.
  // The engine opens with the data directory (serve()); before that, tables() is unavailable.
  invokerOptions.tables = [&a](std::string_view tenant) -> std::unique_ptr<table::Tables> {
    if (!a.tables_) return nullptr;
    return std::make_unique<table::engine::EngineTables>(*a.tables_, std::string(tenant));
  };
  invokerOptions.bus = [&a](std::string_view tenant) -> std::unique_ptr<Bus> {
    if (!a.bus_) return nullptr;
    return std::make_unique<bus::EngineBus>(*a.bus_, a.tables_.get(), std::string(tenant));
  };
  a.invoker_ = std::make_unique<runtime::Invoker>(std::move(invokerOptions), a.clock_, *a.logger_,
                                                  *a.metrics_, *a.idempotency_);
  gateway::ApiConfig api{a.config_.api, a.config_.cors, 0, {}};
  api.identity.region = a.config_.region;
  if (auth.enabled && a.catalog_->find(handlers::auth::kAuthorizerFunction)) {
    api.apiKeyAuthorizer = handlers::auth::kAuthorizerFunction;
  }
  auto gw = gateway::ApiGateway::create(
      std::move(api), gateway::ApiGateway::Deps{*a.catalog_, *a.invoker_, *a.logger_, *a.metrics_,
                                                a.clock_, a.ids_, a.authorizer_.get()});
  if (!gw) return gw.error();
  a.api_ = std::move(gw).value();
  return app;
}

core::Result<void> Application::serve() {
  std::error_code ec;
  std::filesystem::create_directories(config_.dataDir, ec);
  if (ec || access(config_.dataDir.c_str(), W_OK) != 0) {
    return core::Error::validation(
        fmt::format("--data-dir '{}' cannot be created or written: {}", config_.dataDir,
                    ec ? ec.message() : "permission denied"),
        "dataDir");
  }
  api_->addReadinessCheck(
      {"dataDir", [dir = config_.dataDir] { return access(dir.c_str(), W_OK) == 0; }});

  auto storage = storage::Storage::open(
      storage::StorageOptions{config_.dataDir + "/db", config_.sync,
                              static_cast<std::size_t>(config_.blockCacheMb) * 1024 * 1024});
  if (!storage) return storage.error();
  storage_ = std::move(*storage);
  table::engine::EngineOptions engineOptions;
  engineOptions.region = config_.region;
  engineOptions.accountId = config_.api.accountId;
  engineOptions.ttlSweepInterval = config_.ttlSweep;
  tables_ = std::make_unique<table::engine::TableEngine>(*storage_, clock_, ids_, engineOptions);
  if (auto opened = tables_->open(); !opened) return opened.error();
  if (auto created = createDeclaredTables(); !created) return created.error();
  if (config_.auth.enabled) {
    if (auto opened = keyRing_->open(); !opened) return opened.error();
  }
  authorizer_->prefetchTrustedKeys();
  std::map<std::string, std::string> tenants;
  gateway::AwsEndpointOptions awsOptions;
  awsOptions.accessKeys.clear();
  for (const auto& [id, key] : config_.accessKeys) {
    awsOptions.accessKeys.push_back({id, key.secretAccessKey});
    if (!key.tenant.empty()) tenants[id] = key.tenant;
  }
  dynamodb_ = std::make_unique<table::DynamoDbFacade>(*tables_, tenants);

  // Queues, then the bus that delivers into them and into functions.
  queue::EngineOptions queueOptions;
  queueOptions.region = config_.region;
  queueOptions.accountId = config_.api.accountId;
  queueOptions.endpoint = "http://" + endpointText(config_.awsListen.host, config_.awsListen.port);
  queues_ = std::make_unique<queue::QueueEngine>(*storage_, clock_, ids_, queueOptions);
  if (auto opened = queues_->open(); !opened) return opened.error();
  queues_->start();
  targets_ = std::make_unique<PlatformTargets>(*queues_, catalog_.get(), invoker_.get(), ids_);
  bus::BusOptions busOptions;
  busOptions.region = config_.region;
  busOptions.accountId = config_.api.accountId;
  bus_ = std::make_unique<bus::BusEngine>(*storage_, clock_, ids_, *targets_, busOptions,
                                          metrics_.get());
  if (auto opened = bus_->open(); !opened) return opened.error();
  eventbridge_ = std::make_unique<bus::EventBridgeFacade>(*bus_, tenants);
  sqsJson_ = std::make_unique<queue::SqsJsonService>(*queues_, tenants);
  sqsQuery_ = std::make_unique<queue::SqsQueryService>(*queues_, ids_, tenants);
  // EventBridge Scheduler fires its schedules through the bus's delivery (retries, DLQ).
  scheduler::SchedulerOptions schedulerOptions;
  schedulerOptions.region = config_.region;
  schedulerOptions.accountId = config_.api.accountId;
  scheduler_ = std::make_unique<scheduler::SchedulerEngine>(*storage_, clock_, ids_, *bus_,
                                                            schedulerOptions);
  if (auto opened = scheduler_->open(); !opened) return opened.error();
  scheduler_->start();
  schedulerFacade_ = std::make_unique<scheduler::SchedulerFacade>(*scheduler_, ids_, tenants);
  // Queue triggers invoke functions, whose Context reaches the bus: start them once it is set.
  if (auto started = startQueueTriggers(); !started) return started.error();

  aws_ = std::make_unique<gateway::AwsEndpoint>(ids_, clock_, std::move(awsOptions));
  aws_->addService(*dynamodb_);
  aws_->addService(*eventbridge_);
  aws_->addService(*sqsJson_);
  aws_->addHttpService(*sqsQuery_);
  aws_->addHttpService(*schedulerFacade_);

  int threads = config_.ioThreads > 0
                    ? config_.ioThreads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  appServer_ = std::make_unique<gateway::HttpServer>(
      gateway::HttpServerOptions{config_.listen.host, config_.listen.port, threads, config_.limits,
                                 "app"},
      *api_, *metrics_);
  auto appPort = appServer_->start();
  if (!appPort) return appPort.error();
  api_->setListenPort(*appPort);

  // The AWS endpoint carries the table store's data traffic: as many loops as the app's
  // (requests themselves run on the endpoint's worker threads).
  awsServer_ = std::make_unique<gateway::HttpServer>(
      gateway::HttpServerOptions{config_.awsListen.host, config_.awsListen.port, threads,
                                 config_.limits, "aws"},
      *aws_, *metrics_);
  auto awsPort = awsServer_->start();
  if (!awsPort) return awsPort.error();
  queues_->setEndpoint("http://" + endpointText(config_.awsListen.host, *awsPort));

  std::printf("listening http://%s\n", endpointText(config_.listen.host, *appPort).c_str());
  std::printf("listening aws http://%s\n", endpointText(config_.awsListen.host, *awsPort).c_str());
  std::fflush(stdout);
  logger_->log(LogLevel::kDebug, "serving",
               {{"functions", catalog_->all().size()},
                {"ioThreads", threads},
                {"workers", config_.workers}});
  return {};
}

void Application::shutdown() {
  auto deadline = clock_.monoNow() + config_.shutdownGrace;
  auto left = [&] {
    return std::max(
        std::chrono::milliseconds(0),
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.monoNow()));
  };
  logger_->log(LogLevel::kInfo, "shutting down", {{"graceMs", config_.shutdownGrace.count()}});
  api_->setDraining(true);
  for (auto& trigger : queueTriggers_) trigger->requestStop();  // no new invocations
  if (appServer_) appServer_->stopAccepting();
  if (awsServer_) awsServer_->stopAccepting();
  bool drained =
      (!appServer_ || appServer_->drain(left())) && (!awsServer_ || awsServer_->drain(left()));
  drained = invoker_->drain(left()) && drained;
  if (appServer_) appServer_->stop();
  if (awsServer_) awsServer_->stop();
  if (!drained) {
    // A handler still running past the grace period cannot be interrupted; leave it behind.
    logger_->log(LogLevel::kWarn, "grace period over with work in flight",
                 {{"runningInvocations", invoker_->running()}});
    logger_->flush();
    std::fflush(stdout);
    std::_Exit(0);
  }
  // The bus stops delivering before the runtime and the queues it delivers to.
  if (scheduler_) scheduler_->stop();
  if (bus_) bus_->stop();
  for (auto& trigger : queueTriggers_) trigger->stop();
  if (queues_) queues_->stop();
  invoker_->stop();
  if (tables_) tables_->stop();
  logger_->log(LogLevel::kInfo, "stopped");
  logger_->flush();
}

core::Result<void> Application::createDeclaredTables() {
  for (const auto& spec : catalog_->tables()) {
    json::object request = runtime::tableJson(spec);
    auto created = tables_->call("", table::Operation::kCreateTable, request);
    if (!created && created.error().type() != "ResourceInUseException") return created.error();
    if (created && !spec.ttlAttribute.empty()) {
      auto ttl = tables_->call(
          "", table::Operation::kUpdateTimeToLive,
          json::object{{"TableName", spec.name},
                       {"TimeToLiveSpecification",
                        json::object{{"Enabled", true}, {"AttributeName", spec.ttlAttribute}}}});
      if (!ttl) return ttl.error();
    }
  }
  return {};
}

// --- Queue triggers -------------------------------------------------------------------------

core::Result<void> Application::startQueueTriggers() {
  for (std::size_t i = 0; i < config_.queueTriggers.size(); ++i) {
    const QueueTriggerConfig& t = config_.queueTriggers[i];
    std::string path = fmt::format("queueTriggers[{}]", i);
    runtime::RegisteredFunction* fn = catalog_->find(t.function);
    if (!fn) {
      return core::Error::validation(
          fmt::format("config: {}.function: no such function '{}'", path, t.function),
          path + ".function");
    }
    // A trigger's queue exists from start-up on: created empty (standard, or FIFO for a
    // *.fifo name) when missing, so that local development needs no set-up step.
    if (!queues_->getQueueUrl("", t.queue)) {
      queue::QueueAttributeMap attributes;
      if (t.queue.ends_with(".fifo")) attributes["FifoQueue"] = "true";
      if (auto created = queues_->createQueue("", t.queue, attributes); !created) {
        return core::Error::validation(
            fmt::format("config: {}.queue: {}", path, created.error().message()), path + ".queue");
      }
    }
    queue::QueueTriggerOptions options;
    options.queue = t.queue;
    options.batchSize = t.batchSize;
    options.maximumBatchingWindowSeconds = t.maximumBatchingWindowSeconds;
    options.reportBatchItemFailures = t.reportBatchItemFailures;
    auto invoke = [this, fn](const json::value& event) -> core::Result<json::value> {
      runtime::InvocationRequest request;
      request.requestId = ids_.uuid();
      request.trace.traceId = ids_.traceId();
      request.trace.spanId = ids_.spanId();
      request.event = event;
      runtime::InvocationResult result = invoker_->invokeSync(*fn, std::move(request));
      if (result.error) return *result.error;
      return std::move(result.response);
    };
    auto report = [this, queue = t.queue, function = t.function](const core::Error& e) {
      logger_->log(LogLevel::kWarn, "queue trigger",
                   {{"queue", queue}, {"function", function}, {"error", e.message()}});
    };
    auto trigger = queue::QueueTrigger::create(*queues_, clock_, std::move(options),
                                               std::move(invoke), std::move(report));
    if (!trigger) {
      return core::Error::validation(fmt::format("config: {}.{}", path, trigger.error().message()),
                                     path + "." + trigger.error().field());
    }
    queueTriggers_.push_back(std::move(trigger).value());
    queueTriggers_.back()->start();
  }
  return {};
}

}  // namespace bakery::app
