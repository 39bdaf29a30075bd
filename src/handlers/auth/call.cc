#include "handlers/auth/call.h"

#include <algorithm>
#include <charconv>

#include "core/encoding.h"
#include "handlers/auth/roles.h"
#include "handlers/auth/store.h"

namespace bakery::handlers::auth::detail {
namespace {

constexpr StringRule kEmailRule{.minChars = 1, .maxChars = 1024, .maxBytes = 1024};

std::string_view sourceIpOf(const json::value& event) {
  const json::object& e = event.as_object();
  auto rc = e.find("requestContext");
  if (rc == e.end() || !rc->value().is_object()) return {};
  auto http = rc->value().get_object().find("http");
  if (http == rc->value().get_object().end() || !http->value().is_object()) return {};
  return core::stringMember(http->value().get_object(), "sourceIp").value_or("");
}

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

}  // namespace

Call::Call(const json::value& event, Context& ctx, const Services& services)
    : event_(event),
      http_(event),
      ctx_(ctx),
      services_(services),
      now_(services.options.clock->wallNow()),
      sourceIp_(sourceIpOf(event)) {}

std::int64_t Call::nowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count();
}

table::Tables& Call::tenantTables(std::string_view tenant) {
  const Identity* id = identity();
  if (id != nullptr && id->tenant == tenant) return ctx_.tables();
  return ctx_.tablesOf(tenant);
}

Bus& Call::tenantBus(std::string_view tenant) {
  const Identity* id = identity();
  if (id != nullptr && id->tenant == tenant) return ctx_.bus();
  return ctx_.busOf(tenant);
}

json::value Call::respond(int status, const json::value& body) const {
  return HttpResponse(status).header("cache-control", "no-store").jsonBody(body).toJson();
}

json::value Call::noContent() const {
  return HttpResponse(204).header("cache-control", "no-store").toJson();
}

json::value Call::fail(const core::Error& error) const {
  return HttpResponse(error.status())
      .header("cache-control", "no-store")
      .jsonBody(errorBody(error, ctx_.requestId()))
      .toJson();
}

json::value Call::throttled(std::chrono::seconds retryAfter, std::string message) const {
  auto seconds = std::max<std::int64_t>(1, retryAfter.count());
  return HttpResponse(429)
      .header("retry-after", std::to_string(seconds))
      .header("cache-control", "no-store")
      .jsonBody(errorBody(core::Error::throttled(std::move(message)), ctx_.requestId()))
      .toJson();
}

json::value Call::internal(std::string_view what, const core::Error& error) {
  ctx_.log(LogLevel::kError, what,
           json::object{{"errorType", error.type()}, {"errorMessage", error.message()}});
  return fail(core::Error::internal());
}

core::Result<json::object> readBody(const Call& call,
                                    std::initializer_list<std::string_view> allowed) {
  std::string text = call.http().body();
  if (text.size() > kMaxBodyBytes) {
    return core::Error(
        "RequestEntityTooLargeException", 413,
        "The request body must be at most " + std::to_string(kMaxBodyBytes) + " bytes", "body");
  }
  auto parsed = core::parseJson(text, "body");
  if (!parsed) return core::Error::validation("The request body is not valid JSON", "body");
  if (!parsed->is_object()) {
    return core::Error::validation("The request body must be a JSON object", "body");
  }
  for (const auto& kv : parsed->get_object()) {
    if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
      std::string name(kv.key().substr(0, 64));
      return core::Error::validation("Unknown field '" + name + "'", name);
    }
  }
  return std::move(parsed->as_object());
}

core::Result<std::optional<std::string>> stringField(const json::object& body,
                                                     std::string_view name, std::string_view path,
                                                     const StringRule& rule, bool required) {
  std::string field(path.empty() ? name : path);
  auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) {
    if (required) return core::Error::validation(field + " is required", field);
    return std::optional<std::string>();
  }
  if (!it->value().is_string()) return core::Error::validation(field + " must be a string", field);
  std::string_view s = it->value().get_string();
  if (s.size() > rule.maxBytes || !core::isValidUtf8(s)) {
    return core::Error::validation(field + " is too long", field);
  }
  std::size_t chars = countCodePoints(s);
  if (chars < rule.minChars || chars > rule.maxChars) {
    return core::Error::validation(field + " must be " + std::to_string(rule.minChars) + " to " +
                                       std::to_string(rule.maxChars) + " characters",
                                   field);
  }
  if (!rule.allowControl && hasControl(s)) {
    return core::Error::validation(field + " must not contain control characters", field);
  }
  return std::optional<std::string>(std::string(s));
}

core::Result<std::string> requiredString(const json::object& body, std::string_view name,
                                         std::string_view path, const StringRule& rule) {
  auto r = stringField(body, name, path, rule, true);
  if (!r) return r.error();
  return std::move(**r);
}

core::Result<std::optional<std::vector<std::string>>> stringListField(const json::object& body,
                                                                      std::string_view name,
                                                                      std::size_t maxItems,
                                                                      std::size_t maxItemBytes) {
  std::string field(name);
  auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) return std::optional<std::vector<std::string>>();
  if (!it->value().is_array()) {
    return core::Error::validation(field + " must be an array of strings", field);
  }
  const auto& arr = it->value().get_array();
  if (arr.size() > maxItems) {
    return core::Error::validation(
        field + " must have at most " + std::to_string(maxItems) + " items", field);
  }
  std::vector<std::string> out;
  for (const auto& v : arr) {
    if (!v.is_string() || v.get_string().empty() || v.get_string().size() > maxItemBytes ||
        hasControl(v.get_string())) {
      return core::Error::validation(field + " must be an array of short strings", field);
    }
    std::string s(v.get_string());
    if (std::find(out.begin(), out.end(), s) != out.end()) {
      return core::Error::validation(field + " must not repeat an item", field);
    }
    out.push_back(std::move(s));
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

core::Result<std::optional<bool>> boolField(const json::object& body, std::string_view name) {
  auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) return std::optional<bool>();
  if (!it->value().is_bool()) {
    return core::Error::validation(std::string(name) + " must be a boolean", std::string(name));
  }
  return std::optional<bool>(it->value().get_bool());
}

core::Result<core::EmailAddress> emailField(const json::object& body, std::string_view name,
                                            std::string_view path) {
  auto text = requiredString(body, name, path, kEmailRule);
  if (!text) return text.error();
  return core::normalizeEmail(*text, path.empty() ? name : path);
}

core::Result<std::vector<std::string>> scopesField(const json::object& body,
                                                   const std::vector<std::string>& callerScopes,
                                                   std::string_view carrier) {
  auto scopes = stringListField(body, "scopes", 32, 64);
  if (!scopes) return scopes.error();
  if (!*scopes || (*scopes)->empty()) {
    return core::Error::validation("scopes must name at least one scope", "scopes");
  }
  for (const auto& s : **scopes) {
    if (!isKnownScope(s)) return core::Error::validation("unknown scope", "scopes");
  }
  if (!coversAll(callerScopes, **scopes)) {
    return core::Error("AccessDeniedException", 403,
                       "A " + std::string(carrier) + " may carry only scopes the caller holds");
  }
  return std::move(**scopes);
}

core::Result<PageRequest> readPage(const Call& call,
                                   std::initializer_list<std::string_view> keyNames) {
  PageRequest page;
  if (auto limit = call.http().query("limit")) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 || n > 100) {
      return core::Error::validation("limit must be an integer from 1 to 100", "limit");
    }
    page.limit = n;
  }
  if (auto token = call.http().query("nextToken")) {
    auto bad = core::Error::validation("nextToken is not valid", "nextToken");
    if (token->size() > 1024) return bad;
    auto raw = fromBase64Url(*token);
    if (!raw) return bad;
    auto parsed = core::parseJson(*raw, "nextToken");
    if (!parsed || !parsed->is_object()) return bad;
    table::AttributeMap key;
    for (std::string_view name : keyNames) {
      auto v = core::stringMember(parsed->get_object(), name);
      if (!v || v->empty() || v->size() > 256) return bad;
      key.emplace(std::string(name), table::S(std::string(*v)));
    }
    if (parsed->get_object().size() != keyNames.size()) return bad;
    page.startKey = std::move(key);
  }
  return page;
}

std::optional<std::string> encodeNextToken(const std::optional<table::AttributeMap>& lastKey) {
  if (!lastKey) return std::nullopt;
  json::object o;
  for (const auto& [k, v] : *lastKey) {
    if (v.is(table::AttributeType::kS)) o[k] = v.scalar();
  }
  return toBase64Url(core::toJson(o));
}

}  // namespace bakery::handlers::auth::detail
