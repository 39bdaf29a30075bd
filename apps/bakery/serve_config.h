// ServeConfig: everything `bakery serve` can be told, from the JSON file given by --config,
// then from flags (which win). Unknown keys are rejected with their path named.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "platform/gateway/api_gateway.h"
#include "platform/gateway/http_server.h"
#include "platform/runtime/function_catalog.h"
#include "platform/storage/storage.h"

namespace bakery::app {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// An access key the AWS endpoint accepts; requests signed with it run in `tenant`'s scope
// (empty: the system scope).
struct AccessKeyConfig {
  std::string secretAccessKey;
  std::string tenant;
};

// A queue that triggers a function (Lambda's SQS event source mapping), in the system scope.
// The ranges are Lambda's for batches of one receive; see platform/queue/trigger.
struct QueueTriggerConfig {
  std::string queue;                     // created at start-up when missing
  std::string function;                  // a registered function
  int batchSize = 10;                    // 1-10
  int maximumBatchingWindowSeconds = 0;  // 0-300; 0 for a FIFO queue
  bool reportBatchItemFailures = false;
};

// The auth capability and the gateway's authorizer.
struct AuthConfig {
  bool enabled = true;
  std::string issuer = "bakery";    // the `iss` of our access tokens
  std::string audience = "bakery";  // their `aud`
  std::string algorithm = "EdDSA";  // EdDSA, RS256 or HS256
  std::chrono::seconds accessTokenLifetime{std::chrono::minutes(15)};
  std::chrono::seconds keyRotation{std::chrono::hours(24 * 30)};
  std::string keysFile;  // empty: <dataDir>/keys/signing-keys.json
  std::int64_t passwordIterations = 2;
  std::int64_t passwordMemoryKiB = 19456;
  std::int64_t passwordMaxConcurrent = 8;  // hashes at once: bounds log-in memory
  std::int64_t signupsPerIpPerHour = 10;
  std::int64_t accountFailuresBeforeLockout = 5;
  std::int64_t ipFailuresBeforeLockout = 50;
  std::vector<gateway::TrustedIssuer> trustedIssuers;
};

struct ServeConfig {
  HostPort listen{"127.0.0.1", 8080};
  HostPort awsListen{"127.0.0.1", 4566};
  std::string dataDir = "./var";
  std::string logLevel = "info";
  bool diag = true;
  int ioThreads = 0;  // 0: one per core
  int workers = 64;   // concurrent invocations in all
  std::chrono::milliseconds shutdownGrace{10'000};
  gateway::HttpLimits limits;
  gateway::ApiIdentity api;
  std::optional<gateway::CorsConfig> cors;
  std::map<std::string, runtime::FunctionOverrides> functions;
  // Storage: "fsync" acknowledges a write once its WAL record is on disk; "none" once the OS
  // has it (survives kill -9, not a power cut).
  storage::SyncPolicy sync = storage::SyncPolicy::kFsync;
  std::int64_t blockCacheMb = 64;
  // The AWS endpoint: region for ARNs, accepted access keys (default: test / test).
  std::string region = "us-east-1";
  std::map<std::string, AccessKeyConfig> accessKeys{{"test", {"test", ""}}};
  std::chrono::milliseconds ttlSweep{30'000};
  std::vector<QueueTriggerConfig> queueTriggers;
  AuthConfig auth;
};

// "HOST:PORT" (IPv6 as "[::1]:PORT"); the error names `field`.
core::Result<HostPort> parseHostPort(std::string_view text, std::string_view field);
// Reads a configuration document over the defaults in `config`.
core::Result<void> applyConfigFile(const json::value& document, ServeConfig& config);
core::Result<void> loadConfigFile(const std::string& path, ServeConfig& config);

}  // namespace bakery::app
