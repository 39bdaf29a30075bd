#include "handlers/auth/store.h"

#include "core/encoding.h"
#include "core/random.h"

namespace bakery::handlers::auth::detail {

using table::AttributeMap;
using table::AttributeType;
using table::AttributeValue;

std::vector<TableSpec> tableSpecs() {
  auto simple = [](std::string name, std::string key, std::string ttl = {}) {
    TableSpec spec;
    spec.name = std::move(name);
    spec.partitionKey = {std::move(key), 'S'};
    spec.ttlAttribute = std::move(ttl);
    return spec;
  };
  std::vector<TableSpec> specs;
  specs.push_back(simple(kTenantsTable, "slug"));
  specs.push_back(simple(kApiKeyIndexTable, "keyId"));
  specs.push_back(simple(kOneTimeTokensTable, "tokenHash", kTtlAttribute));
  specs.push_back(simple(kThrottleTable, "key", kTtlAttribute));
  specs.push_back(simple(kRefreshTokensTable, "tokenHash", kTtlAttribute));
  specs.push_back(simple(kTenantProfileTable, "id"));
  specs.push_back(simple(kUsersTable, "userId"));
  specs.push_back(simple(kUserEmailsTable, "skeleton"));
  specs.push_back(simple(kSessionsTable, "familyId", kTtlAttribute));
  specs.push_back(simple(kApiKeysTable, "keyId"));
  specs.push_back(simple(kRolesTable, "name"));
  TableSpec audit = simple(kAuditTable, "stream");
  audit.sortKey = TableSpec::Key{"at", 'S'};
  specs.push_back(std::move(audit));
  return specs;
}

std::string str(const AttributeMap& item, std::string_view name) {
  auto it = item.find(name);
  if (it == item.end() || !it->second.is(AttributeType::kS)) return {};
  return it->second.scalar();
}

std::int64_t num(const AttributeMap& item, std::string_view name) {
  auto it = item.find(name);
  if (it == item.end() || !it->second.is(AttributeType::kN)) return 0;
  try {
    return std::stoll(it->second.scalar());
  } catch (...) {
    return 0;
  }
}

bool flag(const AttributeMap& item, std::string_view name) {
  auto it = item.find(name);
  return it != item.end() && it->second.is(AttributeType::kBool) && it->second.boolean();
}

std::vector<std::string> strings(const AttributeMap& item, std::string_view name) {
  std::vector<std::string> out;
  auto it = item.find(name);
  if (it == item.end()) return out;
  if (it->second.is(AttributeType::kL)) {
    for (const auto& v : it->second.asList()) {
      if (v.is(AttributeType::kS)) out.push_back(v.scalar());
    }
  } else if (it->second.is(AttributeType::kSS)) {
    out = it->second.elements();
  }
  return out;
}

AttributeValue numberValue(std::int64_t n) { return table::N(std::to_string(n)); }

AttributeValue stringList(const std::vector<std::string>& values) {
  table::AttributeList list;
  list.reserve(values.size());
  for (const auto& v : values) list.push_back(table::S(v));
  return AttributeValue::list(std::move(list));
}

json::array jsonStrings(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

AttributeValue fromJson(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return table::S(std::string(v.get_string()));
    case json::kind::bool_:
      return AttributeValue::boolean(v.get_bool());
    case json::kind::int64:
      return numberValue(v.get_int64());
    case json::kind::uint64:
      return table::N(std::to_string(v.get_uint64()));
    case json::kind::double_:
      // Audit details carry no fractions; keep the text rather than lose the value.
      return table::S(core::toJson(v));
    case json::kind::array: {
      table::AttributeList list;
      for (const auto& e : v.get_array()) list.push_back(fromJson(e));
      return AttributeValue::list(std::move(list));
    }
    case json::kind::object: {
      AttributeMap m;
      for (const auto& kv : v.get_object()) m.emplace(std::string(kv.key()), fromJson(kv.value()));
      return AttributeValue::map(std::move(m));
    }
    case json::kind::null:
      break;
  }
  return AttributeValue::null();
}

json::value toJson(const AttributeValue& v) {
  switch (v.type()) {
    case AttributeType::kS:
      return json::value(v.scalar());
    case AttributeType::kN: {
      try {
        std::size_t used = 0;
        long long n = std::stoll(v.scalar(), &used);
        if (used == v.scalar().size()) return json::value(static_cast<std::int64_t>(n));
      } catch (...) {
      }
      return json::value(v.scalar());
    }
    case AttributeType::kBool:
      return json::value(v.boolean());
    case AttributeType::kL: {
      json::array out;
      for (const auto& e : v.asList()) out.push_back(toJson(e));
      return out;
    }
    case AttributeType::kM: {
      json::object out;
      for (const auto& [k, e] : v.asMap()) out[k] = toJson(e);
      return out;
    }
    case AttributeType::kSS: {
      json::array out;
      for (const auto& e : v.elements()) out.emplace_back(e);
      return out;
    }
    default:
      return nullptr;
  }
}

bool isConditionFailure(const core::Error& error) {
  if (error.type() == "ConditionalCheckFailedException") return true;
  return error.type() == "TransactionCanceledException" && failedAction(error).has_value();
}

std::optional<std::size_t> failedAction(const core::Error& error) {
  if (error.type() != "TransactionCanceledException" || error.details().empty()) {
    return std::nullopt;
  }
  auto parsed = core::parseJson(error.details(), "details");
  if (!parsed || !parsed->is_object()) return std::nullopt;
  auto it = parsed->get_object().find("CancellationReasons");
  if (it == parsed->get_object().end() || !it->value().is_array()) return std::nullopt;
  const auto& reasons = it->value().get_array();
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    if (!reasons[i].is_object()) continue;
    auto code = core::stringMember(reasons[i].get_object(), "Code");
    if (code && *code == "ConditionalCheckFailed") return i;
  }
  return std::nullopt;
}

std::string toBase64Url(std::string_view bytes) {
  std::string out = core::base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> fromBase64Url(std::string_view text) {
  std::string padded(text);
  for (char& c : padded) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (padded.size() % 4 != 0) padded += '=';
  return core::base64Decode(padded);
}

std::string newId(std::string_view prefix, std::size_t bytes) {
  return std::string(prefix) + core::hexEncode(core::randomBytes(bytes));
}

}  // namespace bakery::handlers::auth::detail
