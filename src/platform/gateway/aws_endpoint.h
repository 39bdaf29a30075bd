// AwsEndpoint: the AWS-compatible listener (`--aws-listen`).
//
// It speaks the AWS JSON 1.0 protocol: POST / with `X-Amz-Target: <prefix>.<Operation>`, a
// JSON body, and errors shaped {"__type", "message"} with x-amzn-RequestId. Every request is
// authenticated with AWS Signature Version 4 against the configured access keys before any
// service sees it (AWS's own error types: MissingAuthenticationTokenException,
// IncompleteSignatureException, InvalidSignatureException, UnrecognizedClientException).
// Services (DynamoDB; later EventBridge, SQS, ...) are mounted by target prefix; a target no
// service claims gets UnknownOperationException, as AWS answers an operation it does not
// know. Thread-safe once services are added; the destructor lets requests in flight finish.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/result.h"
#include "platform/gateway/http_message.h"
#include "platform/runtime/worker_pool.h"

namespace bakery::aws {
class Verifier;
struct Caller;
}  // namespace bakery::aws

namespace bakery::gateway {

// An AWS JSON-protocol service mounted on the endpoint.
class AwsJsonService {
 public:
  virtual ~AwsJsonService() = default;
  // The X-Amz-Target prefix before the '.', e.g. "DynamoDB_20120810".
  virtual std::string_view targetPrefix() const = 0;
  // The SigV4 signing name the credential scope must carry, e.g. "dynamodb".
  virtual std::string_view signingName() const = 0;
  // Runs `operation` on the request document `body` for the verified `accessKeyId`; the
  // response document's text, or an error (Error::details() holds extra members).
  virtual core::Result<std::string> call(std::string_view operation, std::string_view body,
                                         std::string_view accessKeyId) = 0;
  // The wire `__type` of an error type name (namespace-qualified as the service does).
  virtual std::string errorType(std::string_view type) const = 0;
  // Extra response headers for `error` (SQS names its query-protocol code in
  // `x-amzn-query-error`, which the SDKs read).
  virtual std::vector<HttpHeader> errorHeaders(const core::Error& error) const {
    (void)error;
    return {};
  }
  // Whether `operation` may wait (on a disk sync, a lock): such calls run on the endpoint's
  // worker threads; the others run on the event loop, saving a thread hand-off.
  virtual bool mayBlock(std::string_view operation) const {
    (void)operation;
    return true;
  }
};

// A service reached without X-Amz-Target: a REST API (EventBridge Scheduler) or the query
// protocol (form-encoded POST with Action=, as older SQS clients send). The endpoint routes
// such a request by the service name in its SigV4 credential scope, verifies the signature,
// and hands it over whole; the service answers in its own wire shape.
class AwsHttpService {
 public:
  virtual ~AwsHttpService() = default;
  // The SigV4 signing name that routes requests here, e.g. "scheduler".
  virtual std::string_view signingName() const = 0;
  // The response to `request`, authenticated as `accessKeyId`.
  virtual ServerResponse serve(const ServerRequest& request, std::string_view accessKeyId) = 0;
  // The response for `error` raised before the service saw the request (authentication,
  // throttling), in the service's error shape.
  virtual ServerResponse errorResponse(const ServerRequest& request, const core::Error& error,
                                       std::string_view requestId) = 0;
};

// The JSON request document of an AWS JSON-protocol call: an empty body is an empty
// document; anything but a JSON object is AWS's SerializationException.
core::Result<json::object> parseRequestDocument(std::string_view body);

struct AwsAccessKey {
  std::string accessKeyId;
  std::string secretAccessKey;
};

struct AwsEndpointOptions {
  // Accepted access keys; the default pair is the local-development convention test/test.
  std::vector<AwsAccessKey> accessKeys{{"test", "test"}};
  std::chrono::seconds allowedSkew{15 * 60};
  // Requests run on their own threads, off the event loop: a write waits for its fsync, and
  // many writes waiting together share one (group commit). Past `maxInFlight` requests at
  // once the endpoint answers ThrottlingException, which the AWS SDKs retry with backoff.
  int workers = 32;
  int maxInFlight = 1024;
};

class AwsEndpoint final : public RequestHandler {
 public:
  AwsEndpoint(core::IdGenerator& ids, core::Clock& clock, AwsEndpointOptions options = {});
  ~AwsEndpoint() override;

  // Mounts `service` (not owned; it must outlive the endpoint). Call before serving.
  void addService(AwsJsonService& service);
  // Mounts a service routed by its signing name (not owned; it must outlive the endpoint).
  void addHttpService(AwsHttpService& service);

  void handle(ServerRequest request, Responder respond) override;
  ServerResponse refusal(int status, std::string_view type, std::string_view message) override;

 private:
  ServerResponse errorResponse(const core::Error& error, const AwsJsonService* service);
  ServerResponse serve(const ServerRequest& request, std::size_t serviceIndex);
  void handleHttp(ServerRequest request, Responder respond);
  // Checks the SigV4 signature of `request`: the verified caller, or AWS's error.
  core::Result<aws::Caller> verify(const aws::Verifier& verifier,
                                   const ServerRequest& request) const;
  std::unique_ptr<aws::Verifier> makeVerifier(std::string_view signingName) const;

  core::IdGenerator& ids_;
  core::Clock& clock_;
  AwsEndpointOptions options_;
  std::vector<AwsJsonService*> services_;
  std::vector<std::unique_ptr<aws::Verifier>> verifiers_;  // one per service, same order
  std::vector<AwsHttpService*> httpServices_;
  std::vector<std::unique_ptr<aws::Verifier>> httpVerifiers_;  // same order
  std::atomic<int> inFlight_{0};
  runtime::WorkerPool pool_;  // last: stopped (drained) first
};

}  // namespace bakery::gateway
