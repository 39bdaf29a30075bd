// API keys: `bk_<id>_<secret>`. The id (16 hex digits) is public and shown in lists as the
// prefix `bk_<id>`; the secret is 32 random bytes (base64url), returned once at creation and
// stored only as its SHA-256. The key's record lives in its tenant's scope
// (`auth-api-keys`); the system scope's `auth-api-key-index` maps the id to the tenant so
// the gateway's authorizer can find it without a tenant.
#include <string>

#include "core/encoding.h"
#include "core/random.h"
#include "handlers/auth/audit.h"
#include "handlers/auth/model.h"
#include "handlers/auth/store.h"
#include "handlers/auth/timestamps.h"

namespace bakery::handlers::auth::detail {

using table::attr;
using table::AttributeMap;
using table::Condition;
using table::S;
using table::TransactionAction;

namespace {

constexpr StringRule kKeyNameRule{.minChars = 1, .maxChars = 64, .maxBytes = 256};
constexpr StringRule kTimeRule{.minChars = 1, .maxChars = 64, .maxBytes = 64};
constexpr std::size_t kIdHexDigits = 16;
constexpr std::chrono::seconds kMaxKeyLifetime{std::chrono::hours(24 * 365)};

bool isKeyId(std::string_view id) {
  return id.size() == kIdHexDigits && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

struct ParsedKey {
  std::string id;
  std::string secret;
};

// `bk_<16 hex>_<secret>`; a leading "Bearer " is tolerated (the key may come from the
// Authorization header).
std::optional<ParsedKey> parseKey(std::string_view text) {
  if (text.starts_with("Bearer ")) text.remove_prefix(7);
  if (text.size() > 256 || !text.starts_with("bk_")) return std::nullopt;
  text.remove_prefix(3);
  if (text.size() < kIdHexDigits + 2 || text[kIdHexDigits] != '_') return std::nullopt;
  std::string_view id = text.substr(0, kIdHexDigits);
  if (!isKeyId(id)) return std::nullopt;
  return ParsedKey{std::string(id), std::string(text.substr(kIdHexDigits + 1))};
}

json::object keyView(const AttributeMap& item) {
  std::string id = str(item, "keyId");
  json::object o{{"id", id},
                 {"name", str(item, "name")},
                 {"prefix", "bk_" + id},
                 {"scopes", jsonStrings(strings(item, "scopes"))},
                 {"createdAt", str(item, "createdAt")},
                 {"createdBy", str(item, "createdBy")}};
  std::string expires = str(item, "expiresAtText");
  o["expiresAt"] = expires.empty() ? json::value(nullptr) : json::value(expires);
  return o;
}

json::value unauthorized() { return json::object{{"isAuthorized", false}}; }

}  // namespace

json::value createApiKey(Call& call) {
  const Identity& id = *call.identity();
  auto body = readBody(call, {"name", "scopes", "expiresAt"});
  if (!body) return call.fail(body.error());
  auto name = requiredString(*body, "name", {}, kKeyNameRule);
  if (!name) return call.fail(name.error());
  auto scopes = scopesField(*body, id.scopes, "key");
  if (!scopes) return call.fail(scopes.error());
  auto expiresText = stringField(*body, "expiresAt", {}, kTimeRule, false);
  if (!expiresText) return call.fail(expiresText.error());
  auto expires = call.now() + kMaxKeyLifetime;  // the default and the limit
  if (*expiresText) {
    auto parsed = parseTimestamp(**expiresText);
    if (!parsed) {
      return call.fail(
          core::Error::validation("expiresAt must be an ISO-8601 timestamp", "expiresAt"));
    }
    if (*parsed <= call.now() || *parsed > call.now() + kMaxKeyLifetime) {
      return call.fail(core::Error::validation(
          "expiresAt must lie in the future, at most one year ahead", "expiresAt"));
    }
    expires = *parsed;
  }
  std::int64_t expiresSeconds =
      std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count();

  std::string keyId = core::hexEncode(core::randomBytes(kIdHexDigits / 2));
  std::string secret = core::randomToken(32);
  std::string key = "bk_" + keyId + "_" + secret;
  std::string createdAt = isoTime(call.now());
  auto index = call.systemTables().open(kApiKeyIndexTable);
  auto indexed = index->put({{"keyId", S(keyId)}, {"tenant", S(id.tenant)}},
                            {.condition = Condition::notExists(attr("keyId"))});
  if (!indexed) return call.internal("indexing an API key failed", indexed.error());
  AttributeMap record{{"keyId", S(keyId)},
                      {"name", S(*name)},
                      {"secretHash", S(core::sha256Hex(secret))},
                      {"scopes", stringList(*scopes)},
                      {"expiresAt", numberValue(expiresSeconds)},
                      {"expiresAtText", S(isoTime(expires))},
                      {"createdAt", S(createdAt)},
                      {"createdBy", S(id.subject)}};
  json::object view = keyView(record);
  auto done =
      commitAudited(call, id.tenant, {TransactionAction::put(kApiKeysTable, std::move(record))},
                    {.action = "api_key_created",
                     .actor = id.subject,
                     .target = keyId,
                     .detail = json::object{{"keyId", keyId}, {"scopes", jsonStrings(*scopes)}}});
  if (!done) {
    (void)index->remove({{"keyId", S(keyId)}});
    return call.internal("creating an API key failed", done.error());
  }
  view["key"] = key;
  return call.respond(201, view);
}

json::value listApiKeys(Call& call) {
  auto page = readPage(call, {"keyId"});
  if (!page) return call.fail(page.error());
  auto result = call.ctx()
                    .tables()
                    .open(kApiKeysTable)
                    ->scan({.limit = page->limit, .consistent = true, .startKey = page->startKey});
  if (!result) return call.internal("listing API keys failed", result.error());
  json::array items;
  for (const auto& item : result->items) items.push_back(keyView(item));
  json::object body{{"items", std::move(items)}};
  if (auto next = encodeNextToken(result->lastKey)) body["nextToken"] = *next;
  return call.respond(200, body);
}

json::value revokeApiKey(Call& call) {
  const Identity& id = *call.identity();
  auto keyId = call.http().pathParam("id");
  core::Error notFound = core::Error::notFound("API key not found");
  if (!keyId || !isKeyId(*keyId)) return call.fail(notFound);
  std::string kid(*keyId);
  // Removing the tenant's record revokes the key at once (the authorizer needs both); the
  // index entry goes after it.
  auto done = commitAudited(call, id.tenant,
                            {TransactionAction::remove(kApiKeysTable, {{"keyId", S(kid)}},
                                                       Condition::exists(attr("keyId")))},
                            {.action = "api_key_revoked",
                             .actor = id.subject,
                             .target = kid,
                             .detail = json::object{{"keyId", kid}}});
  if (!done) {
    if (isConditionFailure(done.error())) return call.fail(notFound);
    return call.internal("revoking an API key failed", done.error());
  }
  (void)call.systemTables().open(kApiKeyIndexTable)->remove({{"keyId", S(kid)}});
  return call.noContent();
}

json::value authorizeApiKey(const json::value& event, Context& ctx, const Services& services) {
  const json::object* e = event.if_object();
  if (e == nullptr) return unauthorized();
  auto sources = e->find("identitySource");
  if (sources == e->end() || !sources->value().is_array() || sources->value().get_array().empty() ||
      !sources->value().get_array()[0].is_string()) {
    return unauthorized();
  }
  auto parsed = parseKey(sources->value().get_array()[0].get_string());
  if (!parsed) return unauthorized();

  auto index = ctx.tablesOf("")
                   .open(kApiKeyIndexTable)
                   ->get({{"keyId", S(parsed->id)}}, {.consistent = true});
  if (!index || !*index) return unauthorized();
  std::string tenant = str(**index, "tenant");
  if (tenant.empty()) return unauthorized();
  auto record = ctx.tablesOf(tenant)
                    .open(kApiKeysTable)
                    ->get({{"keyId", S(parsed->id)}}, {.consistent = true});
  if (!record || !*record) return unauthorized();
  if (!core::constantTimeEquals(core::sha256Hex(parsed->secret), str(**record, "secretHash"))) {
    return unauthorized();
  }
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         services.options.clock->wallNow().time_since_epoch())
                         .count();
  std::int64_t expires = num(**record, "expiresAt");
  if (expires != 0 && expires <= now) return unauthorized();
  return json::object{{"isAuthorized", true},
                      {"context", json::object{{"tenant", tenant},
                                               {"subject", parsed->id},
                                               {"scopes", jsonStrings(strings(**record, "scopes"))},
                                               {"roles", json::array()}}}};
}

}  // namespace bakery::handlers::auth::detail
