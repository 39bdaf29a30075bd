#include "platform/bus/engine/api_destinations.h"

#include <algorithm>
#include <memory>

#include <curl/curl.h>
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/encoding.h"
#include "platform/bus/engine/bus_validation.h"
#include "platform/storage/storage.h"

namespace bakery::bus {
namespace {

using detail::integerField;
using detail::stringField;

constexpr std::string_view kConnectionPrefix = "connection/";
constexpr std::string_view kDestinationPrefix = "api-destination/";
constexpr std::chrono::seconds kHttpTimeout{5};

std::string scopedKey(std::string_view prefix, std::string_view owner, std::string_view name) {
  std::string key(prefix);
  key += owner;
  key += '\0';
  key += name;
  return key;
}

double epochSeconds(core::Clock::WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The resource name in an ARN: "name" in arn:aws:events:r:a:connection/name/uuid.
std::string_view arnName(std::string_view arn, std::string_view kind) {
  std::size_t at = arn.find(kind);
  if (at == std::string_view::npos) return {};
  std::string_view rest = arn.substr(at + kind.size());
  return rest.substr(0, rest.find('/'));
}

core::Error notFound(std::string message) {
  return core::Error("ResourceNotFoundException", 400, std::move(message));
}

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

struct ApiDestinations::Connection {
  std::string name;
  std::string arn;
  std::string authorizationType;  // API_KEY | BASIC
  std::string headerName;         // API_KEY: the header; BASIC: "Authorization"
  std::string headerValue;        // the secret
  double created = 0;
};

struct ApiDestinations::Destination {
  std::string name;
  std::string arn;
  std::string connectionName;
  std::string endpoint;
  std::string method;
  std::int64_t rateLimit = 300;  // invocations per second
  double created = 0;
  // Token bucket (guarded by mu_).
  double tokens = 0;
  core::Clock::MonoTime refilled{};
};

ApiDestinations::ApiDestinations(storage::Storage& storage, core::Clock& clock,
                                 core::IdGenerator& ids, std::string region, std::string accountId)
    : storage_(storage),
      clock_(clock),
      ids_(ids),
      region_(std::move(region)),
      accountId_(std::move(accountId)) {}

core::Result<void> ApiDestinations::open() {
  std::unique_ptr<rocksdb::Iterator> it(
      storage_.db().NewIterator(rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta)));
  core::MutexLock lock(mu_);
  for (it->Seek(kConnectionPrefix); it->Valid() && it->key().starts_with(kConnectionPrefix);
       it->Next()) {
    auto doc = core::parseJson(it->value().ToStringView(), "stored connection");
    if (!doc || !doc->is_object()) return core::Error::internal("corrupt connection record");
    const json::object& o = doc->get_object();
    auto c = std::make_shared<Connection>();
    auto str = [&](std::string_view m) {
      return std::string(core::stringMember(o, m).value_or(""));
    };
    c->name = str("name");
    c->arn = str("arn");
    c->authorizationType = str("authorizationType");
    c->headerName = str("headerName");
    c->headerValue = str("headerValue");
    c->created = o.contains("created") ? o.at("created").to_number<double>() : 0;
    connections_[it->key().ToString().substr(kConnectionPrefix.size())] = std::move(c);
  }
  for (it->Seek(kDestinationPrefix); it->Valid() && it->key().starts_with(kDestinationPrefix);
       it->Next()) {
    auto doc = core::parseJson(it->value().ToStringView(), "stored destination");
    if (!doc || !doc->is_object()) return core::Error::internal("corrupt destination record");
    const json::object& o = doc->get_object();
    auto d = std::make_shared<Destination>();
    auto str = [&](std::string_view m) {
      return std::string(core::stringMember(o, m).value_or(""));
    };
    d->name = str("name");
    d->arn = str("arn");
    d->connectionName = str("connection");
    d->endpoint = str("endpoint");
    d->method = str("method");
    d->rateLimit = core::integerValue(o.at("rateLimit")).value_or(300);
    d->created = o.contains("created") ? o.at("created").to_number<double>() : 0;
    d->tokens = static_cast<double>(d->rateLimit);
    d->refilled = clock_.monoNow();
    destinations_[it->key().ToString().substr(kDestinationPrefix.size())] = std::move(d);
  }
  return {};
}

std::optional<core::Result<json::object>> ApiDestinations::call(std::string_view owner,
                                                                std::string_view op,
                                                                const json::object& r) {
  if (op == "CreateConnection") return createConnection(owner, r);
  if (op == "DescribeConnection") return describeConnection(owner, r);
  if (op == "DeleteConnection") return deleteConnection(owner, r);
  if (op == "CreateApiDestination") return createDestination(owner, r);
  if (op == "DescribeApiDestination") return describeDestination(owner, r);
  if (op == "DeleteApiDestination") return deleteDestination(owner, r);
  return std::nullopt;
}

core::Result<void> ApiDestinations::store(std::string key, const json::object& value) {
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kMeta), key, core::toJson(value));
  return storage_.write(batch);
}

core::Result<void> ApiDestinations::erase(std::string key) {
  rocksdb::WriteBatch batch;
  batch.Delete(storage_.family(storage::Family::kMeta), key);
  return storage_.write(batch);
}

core::Result<json::object> ApiDestinations::createConnection(std::string_view owner,
                                                             const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 64, true);
  if (!name) return name.error();
  auto type = stringField(r, "AuthorizationType", true, 1, 64);
  if (!type) return type.error();
  auto params = r.find("AuthParameters");
  if (params == r.end() || !params->value().is_object()) return detail::missing("AuthParameters");
  const json::object& auth = params->value().get_object();
  auto c = std::make_shared<Connection>();
  c->name = **name;
  c->authorizationType = **type;
  if (**type == "API_KEY") {
    auto it = auth.find("ApiKeyAuthParameters");
    if (it == auth.end() || !it->value().is_object()) {
      return detail::missing("AuthParameters.ApiKeyAuthParameters");
    }
    auto key = stringField(it->value().get_object(), "ApiKeyName", true, 1, 512);
    if (!key) return key.error();
    auto value = stringField(it->value().get_object(), "ApiKeyValue", true, 1, 512);
    if (!value) return value.error();
    c->headerName = **key;
    c->headerValue = **value;
  } else if (**type == "BASIC") {
    auto it = auth.find("BasicAuthParameters");
    if (it == auth.end() || !it->value().is_object()) {
      return detail::missing("AuthParameters.BasicAuthParameters");
    }
    auto user = stringField(it->value().get_object(), "Username", true, 1, 512);
    if (!user) return user.error();
    auto password = stringField(it->value().get_object(), "Password", true, 1, 512);
    if (!password) return password.error();
    c->headerName = "Authorization";
    c->headerValue = "Basic " + core::base64Encode(**user + ":" + **password);
  } else {
    return detail::constraint("authorizationType", **type,
                              "Member must satisfy enum value set: [API_KEY, BASIC] (OAuth "
                              "client credentials are not supported here)");
  }
  c->arn = fmt::format("arn:aws:events:{}:{}:connection/{}/{}", region_, accountId_, c->name,
                       ids_.uuid());
  c->created = epochSeconds(clock_.wallNow());
  core::MutexLock lock(mu_);
  std::string key = scopedKey("", owner, c->name);
  if (connections_.contains(key)) {
    return core::Error("ResourceAlreadyExistsException", 400,
                       fmt::format("Connection {} already exists.", c->name));
  }
  auto stored = store(std::string(kConnectionPrefix) + key,
                      json::object{{"name", c->name},
                                   {"arn", c->arn},
                                   {"authorizationType", c->authorizationType},
                                   {"headerName", c->headerName},
                                   {"headerValue", c->headerValue},
                                   {"created", c->created}});
  if (!stored) return stored.error();
  connections_[key] = c;
  return json::object{{"ConnectionArn", c->arn},
                      {"ConnectionState", "AUTHORIZED"},
                      {"CreationTime", c->created},
                      {"LastModifiedTime", c->created}};
}

core::Result<json::object> ApiDestinations::describeConnection(std::string_view owner,
                                                               const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 64, true);
  if (!name) return name.error();
  core::MutexLock lock(mu_);
  auto it = connections_.find(scopedKey("", owner, **name));
  if (it == connections_.end()) {
    return notFound(fmt::format(
        "Failed to describe the connection(s). Connection '{}' does not exist.", **name));
  }
  const Connection& c = *it->second;
  // The secret stays out of every answer.
  json::object params;
  if (c.authorizationType == "API_KEY") {
    params["ApiKeyAuthParameters"] = json::object{{"ApiKeyName", c.headerName}};
  } else {
    params["BasicAuthParameters"] = json::object{{"Username", "(stored)"}};
  }
  return json::object{{"ConnectionArn", c.arn},
                      {"Name", c.name},
                      {"ConnectionState", "AUTHORIZED"},
                      {"AuthorizationType", c.authorizationType},
                      {"AuthParameters", std::move(params)},
                      {"CreationTime", c.created},
                      {"LastModifiedTime", c.created}};
}

core::Result<json::object> ApiDestinations::deleteConnection(std::string_view owner,
                                                             const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 64, true);
  if (!name) return name.error();
  core::MutexLock lock(mu_);
  std::string key = scopedKey("", owner, **name);
  auto it = connections_.find(key);
  if (it == connections_.end()) {
    return notFound(fmt::format("Connection '{}' does not exist.", **name));
  }
  if (auto e = erase(std::string(kConnectionPrefix) + key); !e) return e.error();
  std::string arn = it->second->arn;
  connections_.erase(it);
  return json::object{{"ConnectionArn", arn}, {"ConnectionState", "DELETING"}};
}

core::Result<json::object> ApiDestinations::createDestination(std::string_view owner,
                                                              const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 64, true);
  if (!name) return name.error();
  auto connectionArn = stringField(r, "ConnectionArn", true, 1, 1600);
  if (!connectionArn) return connectionArn.error();
  auto endpoint = stringField(r, "InvocationEndpoint", true, 1, 2048);
  if (!endpoint) return endpoint.error();
  auto method = stringField(r, "HttpMethod", true, 1, 16);
  if (!method) return method.error();
  auto rate = integerField(r, "InvocationRateLimitPerSecond", 1, 300);
  if (!rate) return rate.error();
  constexpr std::string_view kMethods[] = {"POST", "GET",   "HEAD",  "OPTIONS",
                                           "PUT",  "PATCH", "DELETE"};
  if (std::find(std::begin(kMethods), std::end(kMethods), **method) == std::end(kMethods)) {
    return detail::constraint("httpMethod", **method,
                              "Member must satisfy enum value set: [POST, GET, HEAD, OPTIONS, "
                              "PUT, PATCH, DELETE]");
  }
  if (!(*endpoint)->starts_with("https://") && !(*endpoint)->starts_with("http://")) {
    return core::Error::validation("InvocationEndpoint must be an http(s) URL.",
                                   "InvocationEndpoint");
  }
  auto d = std::make_shared<Destination>();
  d->name = **name;
  d->connectionName = std::string(arnName(**connectionArn, ":connection/"));
  d->endpoint = **endpoint;
  d->method = **method;
  d->rateLimit = rate->value_or(300);
  d->tokens = static_cast<double>(d->rateLimit);
  d->refilled = clock_.monoNow();
  d->arn = fmt::format("arn:aws:events:{}:{}:api-destination/{}/{}", region_, accountId_, d->name,
                       ids_.uuid());
  d->created = epochSeconds(clock_.wallNow());
  core::MutexLock lock(mu_);
  if (!connections_.contains(scopedKey("", owner, d->connectionName))) {
    return notFound(fmt::format("Connection '{}' does not exist.", d->connectionName));
  }
  std::string key = scopedKey("", owner, d->name);
  if (destinations_.contains(key)) {
    return core::Error("ResourceAlreadyExistsException", 400,
                       fmt::format("An api-destination '{}' already exists.", d->name));
  }
  auto stored =
      store(std::string(kDestinationPrefix) + key, json::object{{"name", d->name},
                                                                {"arn", d->arn},
                                                                {"connection", d->connectionName},
                                                                {"endpoint", d->endpoint},
                                                                {"method", d->method},
                                                                {"rateLimit", d->rateLimit},
                                                                {"created", d->created}});
  if (!stored) return stored.error();
  destinations_[key] = d;
  return json::object{{"ApiDestinationArn", d->arn},
                      {"ApiDestinationState", "ACTIVE"},
                      {"CreationTime", d->created},
                      {"LastModifiedTime", d->created}};
}

core::Result<json::object> ApiDestinations::describeDestination(std::string_view owner,
                                                                const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 64, true);
  if (!name) return name.error();
  core::MutexLock lock(mu_);
  auto it = destinations_.find(scopedKey("", owner, **name));
  if (it == destinations_.end()) {
    return notFound(fmt::format("An api-destination '{}' does not exist.", **name));
  }
  const Destination& d = *it->second;
  std::string connectionArn;
  if (auto c = connections_.find(scopedKey("", owner, d.connectionName)); c != connections_.end()) {
    connectionArn = c->second->arn;
  }
  return json::object{{"ApiDestinationArn", d.arn},
                      {"Name", d.name},
                      {"ApiDestinationState", "ACTIVE"},
                      {"ConnectionArn", connectionArn},
                      {"InvocationEndpoint", d.endpoint},
                      {"HttpMethod", d.method},
                      {"InvocationRateLimitPerSecond", d.rateLimit},
                      {"CreationTime", d.created},
                      {"LastModifiedTime", d.created}};
}

core::Result<json::object> ApiDestinations::deleteDestination(std::string_view owner,
                                                              const json::object& r) {
  auto name = stringField(r, "Name", true, 1, 64, true);
  if (!name) return name.error();
  core::MutexLock lock(mu_);
  std::string key = scopedKey("", owner, **name);
  if (!destinations_.contains(key)) {
    return notFound(fmt::format("An api-destination '{}' does not exist.", **name));
  }
  if (auto e = erase(std::string(kDestinationPrefix) + key); !e) return e.error();
  destinations_.erase(key);
  return json::object{};
}

ApiDestinations::Outcome ApiDestinations::deliver(std::string_view owner,
                                                  std::string_view destinationArn,
                                                  std::string_view body) {
  std::shared_ptr<Destination> d;
  std::shared_ptr<Connection> c;
  {
    core::MutexLock lock(mu_);
    auto it =
        destinations_.find(scopedKey("", owner, arnName(destinationArn, ":api-destination/")));
    if (it == destinations_.end()) {
      return {Outcome::Kind::kFailed, "NO_RESOURCE", "The API destination does not exist.", false};
    }
    d = it->second;
    auto conn = connections_.find(scopedKey("", owner, d->connectionName));
    if (conn == connections_.end()) {
      return {Outcome::Kind::kFailed, "NO_RESOURCE", "The connection does not exist.", false};
    }
    c = conn->second;
    // Token bucket: rateLimit tokens per second, at most one second's worth saved up.
    auto now = clock_.monoNow();
    double elapsed = std::chrono::duration<double>(now - d->refilled).count();
    d->tokens = std::min(static_cast<double>(d->rateLimit),
                         d->tokens + elapsed * static_cast<double>(d->rateLimit));
    d->refilled = now;
    if (d->tokens < 1) {
      auto wait = std::chrono::milliseconds(
          static_cast<std::int64_t>((1 - d->tokens) * 1000 / static_cast<double>(d->rateLimit)) +
          1);
      return {Outcome::Kind::kThrottled, "THROTTLING", "Rate limit of the API destination", true,
              wait};
    }
    d->tokens -= 1;
  }
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return {Outcome::Kind::kFailed, "SDK_CLIENT_ERROR", "cannot create an HTTP client"};
  CURL* h = curl.get();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
  std::string auth = c->headerName + ": " + c->headerValue;
  headers = curl_slist_append(headers, auth.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headerList(headers, curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_URL, d->endpoint.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, d->method.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headerList.get());
  if (d->method != "GET" && d->method != "HEAD") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (d->method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::chrono::milliseconds(kHttpTimeout).count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return {Outcome::Kind::kFailed, "TIMEOUT", "The API destination did not answer in time."};
  }
  if (rc != CURLE_OK) {
    return {Outcome::Kind::kFailed, "SDK_CLIENT_ERROR", curl_easy_strerror(rc)};
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return {};
  // As EventBridge does: 429 and 5xx are retried, other answers are final.
  bool retryable =
      status == 429 || status >= 500 || status == 401 || status == 407 || status == 409;
  return {Outcome::Kind::kFailed, status == 429 ? "THROTTLING" : fmt::format("HTTP_{}", status),
          fmt::format("The API destination answered {}.", status), retryable};
}

}  // namespace bakery::bus
