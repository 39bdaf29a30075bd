#include "apps/bakery/serve_config.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/config_reader.h"
#include "core/jwt.h"
#include "platform/observability/logger.h"

namespace bakery::app {

core::Result<HostPort> parseHostPort(std::string_view text, std::string_view field) {
  auto bad = [&] {
    return core::Error::validation(
        fmt::format("{}: expected HOST:PORT (e.g. 127.0.0.1:8080), got '{}'", field, text),
        std::string(field));
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.back() != ']') return bad();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad();  // an IPv6 address needs brackets: [::1]:8080
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535 || host.empty()) {
    return bad();
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

namespace {

void readHostPort(core::ConfigReader& r, std::string_view key, HostPort& out) {
  const json::value* v = r.raw(key);
  if (!v) return;
  if (!v->is_string()) return r.fail(key, "must be a string HOST:PORT");
  auto parsed = parseHostPort(std::string_view(v->get_string()), r.pathOf(key));
  if (!parsed) return r.fail(key, "expected HOST:PORT, e.g. 127.0.0.1:8080");
  out = *parsed;
}

void readLimits(core::ConfigReader& r, gateway::HttpLimits& l) {
  std::int64_t v = static_cast<std::int64_t>(l.maxHeaderBytes);
  r.readInt("maxHeaderBytes", 1024, 1 << 20, v);
  l.maxHeaderBytes = static_cast<std::size_t>(v);
  v = static_cast<std::int64_t>(l.maxUrlBytes);
  r.readInt("maxUrlBytes", 256, 1 << 20, v);
  l.maxUrlBytes = static_cast<std::size_t>(v);
  v = static_cast<std::int64_t>(l.maxBodyBytes);
  r.readInt("maxBodyBytes", 0, std::int64_t{1} << 32, v);
  l.maxBodyBytes = static_cast<std::uint64_t>(v);
  r.readMillis("headerTimeoutMs", 1, 3'600'000, l.headerTimeout);
  r.readMillis("bodyTimeoutMs", 1, 3'600'000, l.bodyTimeout);
  r.readMillis("idleTimeoutMs", 1, 3'600'000, l.idleTimeout);
  r.readMillis("writeTimeoutMs", 1, 3'600'000, l.writeTimeout);
  v = l.maxConnections;
  r.readInt("maxConnections", 1, 1'000'000, v);
  l.maxConnections = static_cast<int>(v);
}

void readCors(core::ConfigReader& r, gateway::CorsConfig& c) {
  r.readStringList("allowOrigins", c.allowOrigins);
  r.readStringList("allowMethods", c.allowMethods);
  r.readStringList("allowHeaders", c.allowHeaders);
  r.readStringList("exposeHeaders", c.exposeHeaders);
  r.readBool("allowCredentials", c.allowCredentials);
  std::int64_t maxAge = c.maxAge.count();
  r.readInt("maxAgeSeconds", 0, 86'400, maxAge);
  c.maxAge = std::chrono::seconds(maxAge);
  if (c.allowCredentials &&
      std::find(c.allowOrigins.begin(), c.allowOrigins.end(), "*") != c.allowOrigins.end()) {
    r.fail("allowCredentials", "cannot be true when allowOrigins contains \"*\"");
  }
}

void readFunction(core::ConfigReader& r, runtime::FunctionOverrides& f) {
  std::chrono::milliseconds timeout{0};
  r.readMillis("timeoutMs", 1, runtime::FunctionCatalog::kMaxTimeout.count(), timeout);
  if (timeout.count() > 0) f.timeout = timeout;
  std::int64_t reserved = -1;
  r.readInt("reservedConcurrency", 0, 100'000, reserved);
  if (reserved >= 0) f.reservedConcurrency = static_cast<int>(reserved);
  r.readStringMap("environment", f.environment);
  std::string execution;
  r.readString("execution", execution);
  if (execution == "inline") {
    f.execution = Execution::kInline;
  } else if (execution == "pool") {
    f.execution = Execution::kPool;
  } else if (!execution.empty()) {
    r.fail("execution", "must be \"pool\" or \"inline\"");
  }
}

// `queueTriggers` is an array: each entry gets a reader of its own (ConfigReader reads
// objects), and the first error among them is returned after the root's.
std::optional<core::Error> readQueueTriggers(core::ConfigReader& root,
                                             std::vector<QueueTriggerConfig>& out) {
  const json::value* v = root.raw("queueTriggers");
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    root.fail("queueTriggers", "must be an array of objects");
    return std::nullopt;
  }
  std::vector<QueueTriggerConfig> triggers;
  const json::array& entries = v->get_array();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string path = fmt::format("queueTriggers[{}]", i);
    if (!entries[i].is_object()) {
      root.fail(path, "must be an object");
      return std::nullopt;
    }
    core::ConfigReader r(entries[i].get_object(), path);
    QueueTriggerConfig& t = triggers.emplace_back();
    r.readString("queue", t.queue);
    r.readString("function", t.function);
    std::int64_t n = t.batchSize;
    r.readInt("batchSize", 1, 10, n);
    t.batchSize = static_cast<int>(n);
    n = t.maximumBatchingWindowSeconds;
    r.readInt("maximumBatchingWindowSeconds", 0, 300, n);
    t.maximumBatchingWindowSeconds = static_cast<int>(n);
    r.readBool("reportBatchItemFailures", t.reportBatchItemFailures);
    if (t.queue.empty()) r.fail("queue", "is required");
    if (t.function.empty()) r.fail("function", "is required");
    if (t.maximumBatchingWindowSeconds > 0 && t.queue.ends_with(".fifo")) {
      r.fail("maximumBatchingWindowSeconds", "must be 0 for a FIFO queue");
    }
    if (auto read = r.finish(); !read) return read.error();
  }
  out = std::move(triggers);
  return std::nullopt;
}

// `auth`: the capability's settings and the authorizer's trusted issuers (an array: each
// entry gets its own reader, as queueTriggers do).
std::optional<core::Error> readAuth(core::ConfigReader& a, AuthConfig& out) {
  a.readBool("enabled", out.enabled);
  a.readString("issuer", out.issuer);
  a.readString("audience", out.audience);
  a.readString("algorithm", out.algorithm);
  if (!core::jwt::parseAlgorithm(out.algorithm)) {
    a.fail("algorithm", "must be EdDSA, RS256 or HS256");
  }
  if (out.issuer.empty()) a.fail("issuer", "must not be empty");
  std::int64_t minutes = out.accessTokenLifetime.count() / 60;
  a.readInt("accessTokenMinutes", 1, 24 * 60, minutes);
  out.accessTokenLifetime = std::chrono::minutes(minutes);
  std::int64_t days = out.keyRotation.count() / 86400;
  a.readInt("keyRotationDays", 1, 3650, days);
  out.keyRotation = std::chrono::hours(24 * days);
  a.readString("keysFile", out.keysFile);
  if (auto cost = a.child("passwordCost")) {
    cost->readInt("iterations", 1, 100, out.passwordIterations);
    cost->readInt("memoryKiB", 8, 4 * 1024 * 1024, out.passwordMemoryKiB);
    cost->readInt("maxConcurrent", 1, 1024, out.passwordMaxConcurrent);
    cost->close();
  }
  a.readInt("signupsPerIpPerHour", 1, 1'000'000, out.signupsPerIpPerHour);
  a.readInt("accountFailuresBeforeLockout", 1, 1000, out.accountFailuresBeforeLockout);
  a.readInt("ipFailuresBeforeLockout", 1, 1'000'000, out.ipFailuresBeforeLockout);
  const json::value* v = a.raw("trustedIssuers");
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    a.fail("trustedIssuers", "must be an array of objects");
    return std::nullopt;
  }
  std::vector<gateway::TrustedIssuer> issuers;
  const json::array& entries = v->get_array();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string path = fmt::format("auth.trustedIssuers[{}]", i);
    if (!entries[i].is_object()) {
      a.fail(fmt::format("trustedIssuers[{}]", i), "must be an object");
      return std::nullopt;
    }
    core::ConfigReader r(entries[i].get_object(), path);
    gateway::TrustedIssuer& t = issuers.emplace_back();
    r.readString("issuer", t.issuer);
    r.readString("jwksUri", t.jwksUri);
    r.readString("audience", t.audience);
    r.readString("tenant", t.tenant);
    r.readString("rolesClaim", t.rolesClaim);
    if (t.issuer.empty()) r.fail("issuer", "is required");
    if (t.tenant.empty()) r.fail("tenant", "is required");
    if (!t.jwksUri.starts_with("http://") && !t.jwksUri.starts_with("https://")) {
      r.fail("jwksUri", "must be an http(s) URL");
    }
    if (t.issuer == out.issuer) r.fail("issuer", "must differ from auth.issuer");
    if (auto read = r.finish(); !read) return read.error();
  }
  out.trustedIssuers = std::move(issuers);
  return std::nullopt;
}

}  // namespace

core::Result<void> applyConfigFile(const json::value& document, ServeConfig& config) {
  if (!document.is_object()) return core::Error::validation("config: must be a JSON object", "");
  core::ConfigReader root(document.get_object(), "");
  readHostPort(root, "listen", config.listen);
  readHostPort(root, "awsListen", config.awsListen);
  root.readString("dataDir", config.dataDir);
  root.readString("logLevel", config.logLevel);
  if (!observability::parseLogLevel(config.logLevel)) {
    root.fail("logLevel", "must be one of debug, info, warn, error");
  }
  root.readBool("diag", config.diag);
  std::int64_t v = config.ioThreads;
  root.readInt("ioThreads", 0, 256, v);
  config.ioThreads = static_cast<int>(v);
  root.readMillis("shutdownGraceMs", 0, 600'000, config.shutdownGrace);
  if (auto rt = root.child("runtime")) {
    v = config.workers;
    rt->readInt("workers", 1, 10'000, v);
    config.workers = static_cast<int>(v);
    rt->close();
  }
  if (auto gw = root.child("gateway")) {
    gw->readString("accountId", config.api.accountId);
    gw->readString("apiId", config.api.apiId);
    gw->readString("stage", config.api.stage);
    gw->readStringMap("stageVariables", config.api.stageVariables);
    if (auto limits = gw->child("limits")) {
      readLimits(*limits, config.limits);
      limits->close();
    }
    if (auto cors = gw->child("cors")) {
      gateway::CorsConfig c;
      readCors(*cors, c);
      cors->close();
      config.cors = std::move(c);
    }
    gw->close();
  }
  if (auto st = root.child("storage")) {
    std::string sync;
    st->readString("sync", sync);
    if (!sync.empty()) {
      if (auto policy = storage::syncPolicyFromName(sync)) {
        config.sync = *policy;
      } else {
        st->fail("sync", "must be \"fsync\" or \"none\"");
      }
    }
    st->readInt("blockCacheMb", 1, 1'000'000, config.blockCacheMb);
    st->close();
  }
  if (auto aws = root.child("aws")) {
    aws->readString("region", config.region);
    if (auto keys = aws->child("accessKeys")) {
      config.accessKeys.clear();
      for (const auto& id : keys->keys()) {
        if (auto k = keys->child(id)) {
          AccessKeyConfig& key = config.accessKeys[id];
          k->readString("secretAccessKey", key.secretAccessKey);
          k->readString("tenant", key.tenant);
          if (key.secretAccessKey.empty()) k->fail("secretAccessKey", "is required");
          k->close();
        }
      }
      keys->close();
    }
    aws->close();
  }
  if (auto tables = root.child("tables")) {
    tables->readMillis("ttlSweepMs", 0, 86'400'000, config.ttlSweep);
    tables->close();
  }
  if (auto fns = root.child("functions")) {
    for (const auto& name : fns->keys()) {
      if (auto f = fns->child(name)) {
        readFunction(*f, config.functions[name]);
        f->close();
      }
    }
    fns->close();
  }
  std::optional<core::Error> triggerError = readQueueTriggers(root, config.queueTriggers);
  std::optional<core::Error> authError;
  if (auto auth = root.child("auth")) {
    authError = readAuth(*auth, config.auth);
    auth->close();
  }
  if (auto read = root.finish(); !read) return read;
  if (triggerError) return *triggerError;
  if (authError) return *authError;
  return {};
}

core::Result<void> loadConfigFile(const std::string& path, ServeConfig& config) {
  std::ifstream in(path);
  if (!in) return core::Error::validation(fmt::format("config: cannot read '{}'", path), "config");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = core::parseJson(text.str(), "config file");
  if (!doc) return doc.error();
  return applyConfigFile(*doc, config);
}

}  // namespace bakery::app
