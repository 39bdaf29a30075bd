// AwsJsonClient: a client for AWS services that speak the AWS JSON 1.0 protocol (DynamoDB,
// and any compatible endpoint such as dynalite, Alternator or our own facade).
//
// call("PutItem", {...}) POSTs the JSON document to `/` of the endpoint with
// `X-Amz-Target: <targetPrefix>.PutItem` and `Content-Type: application/x-amz-json-1.0`,
// signed with SigV4 at the clock's current time, and returns the response document.
//
// Errors are values. An error document `{"__type":"com.amazonaws...#Name","message":"..."}`
// becomes Error(type "Name" — everything up to and including '#' removed —, the response's
// HTTP status, the `message` or `Message` member), with every other member of the document
// in Error::details() (DynamoDB's CancellationReasons, the Item of a failed condition).
// A request that got no HTTP response at all (connection refused or reset, DNS, TLS, timeout)
// becomes Error(kNetworkingError, 503, what went wrong); a 2xx whose body is not a JSON
// object becomes Error(kInvalidResponse, 502, ...).
//
// Retries follow the AWS SDKs' standard mode: throttling errors
// (ThrottlingException, ProvisionedThroughputExceededException, RequestLimitExceeded),
// TransactionInProgressException, any HTTP 5xx and networking errors are retried, with
// exponential backoff and full jitter: before retry n (1, 2, ...) the client sleeps a uniform
// random time in [0, min(cap, base * 2^(n-1))]. Every other error, and every 4xx in
// particular, is returned at once. Each attempt is signed afresh. A networking error on a
// non-idempotent operation may mean the first attempt was applied: the SDKs retry anyway,
// and so does this client. The random source and the sleep are injectable, so tests are
// instant and deterministic.
//
// Thread-safe: call() may run on many threads at once. Connections are kept alive and reused:
// the client keeps a pool of libcurl handles, each with its own connection cache, and a call
// borrows one for its duration. The clock must outlive the client. Credentials are held in
// memory only and never logged; error messages never contain them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "platform/aws/sigv4.h"

namespace bakery::aws {

// The error type of a request that received no HTTP response (the name the AWS SDK for
// JavaScript uses for the same condition). Status 503.
inline constexpr std::string_view kNetworkingError = "NetworkingError";
// The error type of a 2xx response whose body is not a JSON object. Status 502; not retried,
// since the service may have applied the request.
inline constexpr std::string_view kInvalidResponse = "InvalidResponse";

struct RetryPolicy {
  int maxAttempts = 10;  // attempts in all, the first included (the SDKs' DynamoDB default)
  std::chrono::milliseconds base{25};
  std::chrono::milliseconds cap{20'000};
};

struct AwsJsonClientOptions {
  // `scheme://host[:port]` with scheme http or https, optionally ending in '/':
  // "https://dynamodb.us-east-1.amazonaws.com", "http://127.0.0.1:4566".
  std::string endpoint;
  std::string region;        // signing region: "us-east-1"
  std::string service;       // signing name: "dynamodb"
  std::string targetPrefix;  // X-Amz-Target prefix: "DynamoDB_20120810"
  // AWS JSON 1.0 (DynamoDB, SQS) or 1.1 (EventBridge).
  std::string contentType = "application/x-amz-json-1.0";
  std::chrono::milliseconds connectTimeout{3'000};
  std::chrono::milliseconds requestTimeout{30'000};  // one attempt, connect included
  RetryPolicy retry;
};

// Returns how long to wait: a uniform random duration in [0, ceiling].
using BackoffJitter = std::function<std::chrono::milliseconds(std::chrono::milliseconds ceiling)>;
// Waits `d` (std::this_thread::sleep_for by default).
using Sleeper = std::function<void(std::chrono::milliseconds d)>;

class AwsJsonClient {
 public:
  // A ValidationException naming the field when the options are unusable: a malformed
  // endpoint, a missing region, service or target prefix, maxAttempts < 1.
  // Empty `jitter`/`sleep` select the real ones.
  static core::Result<std::unique_ptr<AwsJsonClient>> create(AwsJsonClientOptions options,
                                                             Credentials credentials,
                                                             const core::Clock& clock,
                                                             BackoffJitter jitter = {},
                                                             Sleeper sleep = {});
  ~AwsJsonClient();
  AwsJsonClient(const AwsJsonClient&) = delete;
  AwsJsonClient& operator=(const AwsJsonClient&) = delete;

  core::Result<json::object> call(std::string_view operation, const json::object& request);

  const AwsJsonClientOptions& options() const;

  struct Impl;  // opaque: keeps libcurl out of this header

 private:
  explicit AwsJsonClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The pieces of the policy above, exposed for tests.

// Whether `error` (from call()) is worth another attempt.
bool isRetryable(const core::Error& error);
// The ceiling of the jitter before retry `retry` (1-based): min(cap, base * 2^(retry-1)).
std::chrono::milliseconds backoffCeiling(const RetryPolicy& policy, int retry);
// The Error for a non-2xx response. `errorTypeHeader` is the x-amzn-ErrorType header (may be
// empty), used when the body has no `__type`.
core::Error parseErrorResponse(int status, std::string_view body, std::string_view errorTypeHeader);

}  // namespace bakery::aws
