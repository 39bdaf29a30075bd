#include "platform/gateway/aws_endpoint.h"

#include <fmt/format.h>

#include "core/json.h"
#include "platform/aws/sigv4.h"

namespace bakery::gateway {
namespace {

constexpr std::string_view kCoralPrefix = "com.amazon.coral.service#";

bool isProtocolError(std::string_view type) {
  return type == "UnknownOperationException" || type == "SerializationException" ||
         type == "MissingAuthenticationTokenException" || type == "InvalidSignatureException" ||
         type == "IncompleteSignatureException" || type == "UnrecognizedClientException" ||
         type == "AccessDeniedException";
}

}  // namespace

core::Result<json::object> parseRequestDocument(std::string_view body) {
  if (body.empty()) return json::object{};
  auto parsed = core::parseJson(body, "request body");
  if (!parsed || !parsed->is_object()) {
    return core::Error("SerializationException", 400,
                       "Start of structure or map found where not expected");
  }
  return std::move(parsed->get_object());
}

AwsEndpoint::AwsEndpoint(core::IdGenerator& ids, core::Clock& clock, AwsEndpointOptions options)
    : ids_(ids), clock_(clock), options_(std::move(options)), pool_(options_.workers) {}

AwsEndpoint::~AwsEndpoint() = default;

void AwsEndpoint::addService(AwsJsonService& service) {
  services_.push_back(&service);
  verifiers_.push_back(makeVerifier(service.signingName()));
}

void AwsEndpoint::addHttpService(AwsHttpService& service) {
  httpServices_.push_back(&service);
  httpVerifiers_.push_back(makeVerifier(service.signingName()));
}

std::unique_ptr<aws::Verifier> AwsEndpoint::makeVerifier(std::string_view signingName) const {
  aws::VerifierOptions verifierOptions;
  verifierOptions.service = std::string(signingName);
  verifierOptions.allowedSkew = options_.allowedSkew;
  auto keys = options_.accessKeys;
  return std::make_unique<aws::Verifier>(
      std::move(verifierOptions),
      [keys](std::string_view accessKeyId) -> std::optional<aws::Credentials> {
        for (const AwsAccessKey& k : keys) {
          if (k.accessKeyId == accessKeyId) {
            return aws::Credentials{k.accessKeyId, k.secretAccessKey, {}};
          }
        }
        return std::nullopt;
      });
}

ServerResponse AwsEndpoint::refusal(int status, std::string_view type, std::string_view message) {
  ServerResponse r;
  r.status = status;
  r.set("content-type", "application/x-amz-json-1.0");
  r.set("x-amzn-RequestId", ids_.uuid());
  r.body = core::toJson(
      json::object{{"__type", isProtocolError(type) ? std::string(kCoralPrefix) + std::string(type)
                                                    : std::string(type)},
                   {"message", message}});
  return r;
}

ServerResponse AwsEndpoint::errorResponse(const core::Error& error, const AwsJsonService* service) {
  ServerResponse r;
  r.status = error.status() == 0 ? 500 : error.status();
  r.set("content-type", "application/x-amz-json-1.0");
  r.set("x-amzn-RequestId", ids_.uuid());
  std::string type = isProtocolError(error.type()) || !service
                         ? std::string(kCoralPrefix) + error.type()
                         : service->errorType(error.type());
  json::object body{{"__type", type}};
  // TransactionCanceledException spells its message member with a capital M, as DynamoDB
  // does; the SDKs read either.
  body[error.type() == "TransactionCanceledException" ? "Message" : "message"] = error.message();
  if (!error.details().empty()) {
    auto details = core::parseJson(error.details(), "error details");
    if (details && details->is_object()) {
      for (const auto& member : details->get_object()) body[member.key()] = member.value();
    }
  }
  r.body = core::toJson(body);
  if (service) {
    for (HttpHeader& h : service->errorHeaders(error)) r.headers.push_back(std::move(h));
  }
  return r;
}

void AwsEndpoint::handle(ServerRequest request, Responder respond) {
  std::string_view target = request.header("x-amz-target").value_or("");
  if (target.empty() && !httpServices_.empty()) {
    handleHttp(std::move(request), std::move(respond));
    return;
  }
  std::string_view prefix = target.substr(0, target.find('.'));
  std::size_t index = 0;
  while (index < services_.size() && services_[index]->targetPrefix() != prefix) ++index;
  if (target.empty() || index == services_.size() || request.method != "POST") {
    std::string what =
        target.empty() ? fmt::format("{} {}", request.method, request.target) : std::string(target);
    respond(refusal(400, "UnknownOperationException",
                    fmt::format("Operation {} is not supported by this endpoint", what)));
    return;
  }
  if (!services_[index]->mayBlock(target.substr(target.find('.') + 1))) {
    respond(serve(request, index));
    return;
  }
  if (inFlight_.fetch_add(1) >= options_.maxInFlight) {
    inFlight_.fetch_sub(1);
    core::Error throttled("ThrottlingException", 400,
                          "Rate of requests exceeds the allowed throughput.");
    respond(errorResponse(throttled, services_[index]));
    return;
  }
  pool_.post([this, index, request = std::move(request), respond = std::move(respond)] {
    ServerResponse response = serve(request, index);
    inFlight_.fetch_sub(1);
    respond(std::move(response));
  });
}

namespace {

// The service named in the SigV4 credential scope (`Credential=AKID/date/region/service/
// aws4_request`, in the Authorization header or a presigned query); empty when absent.
std::string_view scopeService(const ServerRequest& request) {
  std::string_view text = request.header("authorization").value_or("");
  std::size_t at = text.find("Credential=");
  if (at != std::string_view::npos) {
    text = text.substr(at + 11);
  } else {
    std::string_view query = request.target;
    at = query.find("X-Amz-Credential=");
    if (at == std::string_view::npos) return {};
    text = query.substr(at + 17);  // percent-encoded slashes
    for (int i = 0; i < 3; ++i) {
      std::size_t slash = text.find("%2F");
      if (slash == std::string_view::npos) return {};
      text = text.substr(slash + 3);
    }
    return text.substr(0, text.find("%2F"));
  }
  for (int i = 0; i < 3; ++i) {
    std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return {};
    text = text.substr(slash + 1);
  }
  return text.substr(0, text.find('/'));
}

}  // namespace

core::Result<aws::Caller> AwsEndpoint::verify(const aws::Verifier& verifier,
                                              const ServerRequest& request) const {
  std::vector<aws::HeaderView> headers;
  headers.reserve(request.headers.size());
  for (const HttpHeader& h : request.headers) headers.push_back({h.name, h.value});
  std::string_view path = request.target;
  std::string_view query;
  if (std::size_t q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  aws::RequestView view{request.method, path, query, headers, request.body};
  return verifier.verify(view, clock_.wallNow());
}

void AwsEndpoint::handleHttp(ServerRequest request, Responder respond) {
  std::string_view service = scopeService(request);
  std::size_t index = 0;
  while (index < httpServices_.size() && httpServices_[index]->signingName() != service) ++index;
  if (index == httpServices_.size()) {
    respond(refusal(400, "UnknownOperationException",
                    fmt::format("Operation {} {} is not supported by this endpoint", request.method,
                                request.target)));
    return;
  }
  AwsHttpService& target = *httpServices_[index];
  if (inFlight_.fetch_add(1) >= options_.maxInFlight) {
    inFlight_.fetch_sub(1);
    core::Error throttled("ThrottlingException", 400,
                          "Rate of requests exceeds the allowed throughput.");
    respond(target.errorResponse(request, throttled, ids_.uuid()));
    return;
  }
  pool_.post([this, index, &target, request = std::move(request), respond = std::move(respond)] {
    auto caller = verify(*httpVerifiers_[index], request);
    ServerResponse response = caller ? target.serve(request, caller->accessKeyId)
                                     : target.errorResponse(request, caller.error(), ids_.uuid());
    inFlight_.fetch_sub(1);
    respond(std::move(response));
  });
}

ServerResponse AwsEndpoint::serve(const ServerRequest& request, std::size_t index) {
  AwsJsonService& service = *services_[index];
  std::string_view target = request.header("x-amz-target").value_or("");
  std::string_view operation = target.substr(target.find('.') + 1);
  auto caller = verify(*verifiers_[index], request);
  if (!caller) return errorResponse(caller.error(), &service);
  auto result = service.call(operation, request.body, caller->accessKeyId);
  if (!result) return errorResponse(result.error(), &service);
  ServerResponse r;
  r.set("content-type", "application/x-amz-json-1.0");
  r.set("x-amzn-RequestId", ids_.uuid());
  r.body = std::move(*result);
  return r;
}

}  // namespace bakery::gateway
