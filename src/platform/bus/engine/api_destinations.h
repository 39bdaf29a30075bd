// ApiDestinations: EventBridge's connections and API destinations, and the HTTP calls that
// deliver events to them. Internal to the bus engine.
//
// A connection holds how to authenticate (API_KEY: a header and its value; BASIC: a user
// and password); an API destination holds the endpoint, the HTTP method, the connection and
// a rate limit (invocations per second, enforced with a token bucket on the injected clock).
// Secrets are stored in the data directory and never returned by Describe* or logged.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/mutex.h"
#include "core/result.h"

namespace bakery::storage {
class Storage;
}

namespace bakery::bus {

class ApiDestinations {
 public:
  ApiDestinations(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids,
                  std::string region, std::string accountId);

  core::Result<void> open();

  // CreateConnection, DescribeConnection, DeleteConnection, CreateApiDestination,
  // DescribeApiDestination, DeleteApiDestination; nullopt for other operations.
  std::optional<core::Result<json::object>> call(std::string_view owner, std::string_view op,
                                                 const json::object& request);

  // The outcome of one delivery attempt. kThrottled: the destination's rate limit has no
  // token now (try again at `retryAfter`, not counted as an attempt).
  struct Outcome {
    enum class Kind { kDelivered, kFailed, kThrottled } kind = Kind::kDelivered;
    std::string errorCode;  // THROTTLING, TIMEOUT, SDK_CLIENT_ERROR, NO_RESOURCE, ...
    std::string errorMessage;
    bool retryable = true;
    std::chrono::milliseconds retryAfter{0};
  };
  Outcome deliver(std::string_view owner, std::string_view destinationArn, std::string_view body);

 private:
  struct Connection;
  struct Destination;
  core::Result<json::object> createConnection(std::string_view owner, const json::object& r);
  core::Result<json::object> describeConnection(std::string_view owner, const json::object& r);
  core::Result<json::object> deleteConnection(std::string_view owner, const json::object& r);
  core::Result<json::object> createDestination(std::string_view owner, const json::object& r);
  core::Result<json::object> describeDestination(std::string_view owner, const json::object& r);
  core::Result<json::object> deleteDestination(std::string_view owner, const json::object& r);
  core::Result<void> store(std::string key, const json::object& value);
  core::Result<void> erase(std::string key);

  storage::Storage& storage_;
  core::Clock& clock_;
  core::IdGenerator& ids_;
  std::string region_;
  std::string accountId_;
  core::Mutex mu_;
  std::map<std::string, std::shared_ptr<Connection>> connections_ GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Destination>> destinations_ GUARDED_BY(mu_);
};

}  // namespace bakery::bus
