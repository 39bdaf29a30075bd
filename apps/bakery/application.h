// Application: the object graph of one `bakery` process, built in dependency order and
// stopped in reverse (drain first). The one place that picks implementations.
//
//   clock, ids -> logger, metrics -> function catalog (capabilities wired) -> idempotency
//   store -> invoker -> API gateway; storage (serve) -> table engine -> DynamoDB facade ->
//   AWS endpoint -> HTTP servers
//
// Not thread-safe: one thread builds, starts and stops it.
#pragma once

#include <memory>
#include <vector>

#include "apps/bakery/capabilities.h"
#include "apps/bakery/serve_config.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "platform/bus/engine/bus_engine.h"
#include "platform/gateway/api_gateway.h"
#include "platform/gateway/authorizer.h"
#include "platform/gateway/aws_endpoint.h"
#include "platform/gateway/http_server.h"
#include "platform/identity/key_ring.h"
#include "platform/observability/logger.h"
#include "platform/observability/metrics_registry.h"
#include "platform/runtime/function_catalog.h"
#include "platform/runtime/idempotency_store.h"
#include "platform/runtime/invoker.h"
#include "platform/storage/storage.h"
#include "platform/table/engine/engine_tables.h"
#include "platform/table/engine/table_engine.h"
#include "platform/table/facade/dynamodb_facade.h"

namespace bakery::bus {
class BusEngine;
class EventBridgeFacade;
}  // namespace bakery::bus
namespace bakery::queue {
class QueueEngine;
class QueueTrigger;
class SqsJsonService;
class SqsQueryService;
}  // namespace bakery::queue

namespace bakery::scheduler {
class SchedulerEngine;
class SchedulerFacade;
}  // namespace bakery::scheduler

namespace bakery::app {

class Application {
 public:
  // Wires every capability into the catalog and applies the configuration's overrides.
  // `logFd` receives log lines (stdout for serve; stderr for invoke, whose stdout is the result).
  static core::Result<std::unique_ptr<Application>> create(
      ServeConfig config, const std::vector<Capability>& capabilities, int logFd = 1);
  ~Application();

  // Opens the data directory (storage and the table engine) and both listeners; prints one
  // `listening ...` line each.
  core::Result<void> serve();
  // Stops accepting, lets requests in flight finish within the grace period, flushes logs.
  void shutdown();

  runtime::FunctionCatalog& catalog() { return *catalog_; }
  runtime::Invoker& invoker() { return *invoker_; }
  observability::Logger& logger() { return *logger_; }
  core::IdGenerator& ids() { return ids_; }
  const ServeConfig& config() const { return config_; }

 private:
  explicit Application(ServeConfig config);
  // Starts config_.queueTriggers, creating queues they name that do not exist yet.
  core::Result<void> startQueueTriggers();
  // Creates the tables capabilities declared that do not exist yet.
  core::Result<void> createDeclaredTables();

  ServeConfig config_;
  core::SystemClock clock_;
  core::RandomIdGenerator ids_;
  std::unique_ptr<observability::Logger> logger_;
  std::unique_ptr<observability::MetricsRegistry> metrics_;
  std::unique_ptr<identity::KeyRing> keyRing_;
  std::unique_ptr<gateway::Authorizer> authorizer_;
  std::unique_ptr<runtime::FunctionCatalog> catalog_;
  std::unique_ptr<runtime::MemoryIdempotencyStore> idempotency_;
  std::unique_ptr<runtime::Invoker> invoker_;
  std::unique_ptr<gateway::ApiGateway> api_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<table::engine::TableEngine> tables_;
  std::unique_ptr<table::DynamoDbFacade> dynamodb_;
  std::unique_ptr<queue::QueueEngine> queues_;
  std::unique_ptr<bus::TargetSinks> targets_;
  std::unique_ptr<bus::BusEngine> bus_;
  std::unique_ptr<bus::EventBridgeFacade> eventbridge_;
  std::unique_ptr<queue::SqsJsonService> sqsJson_;
  std::unique_ptr<queue::SqsQueryService> sqsQuery_;
  std::unique_ptr<scheduler::SchedulerEngine> scheduler_;
  std::unique_ptr<scheduler::SchedulerFacade> schedulerFacade_;
  std::unique_ptr<gateway::AwsEndpoint> aws_;
  std::unique_ptr<gateway::HttpServer> appServer_;
  std::unique_ptr<gateway::HttpServer> awsServer_;
  // Last: destroyed first, before anything their invocations reach.
  std::vector<std::unique_ptr<queue::QueueTrigger>> queueTriggers_;
};

}  // namespace bakery::app
