#include "platform/table/codec/attribute_json.h"

#include <string>
#include <unordered_set>
#include <vector>

#include <bakery/table/number.h>

#include "core/encoding.h"

namespace bakery::table::codec {
namespace {

constexpr int kMaxDepth = 32;

core::Error invalid(std::string message) { return core::Error::validation(std::move(message)); }

std::optional<AttributeType> typeFromName(std::string_view name) {
  static constexpr std::pair<std::string_view, AttributeType> kTypes[] = {
      {"S", AttributeType::kS},       {"N", AttributeType::kN},       {"B", AttributeType::kB},
      {"BOOL", AttributeType::kBool}, {"NULL", AttributeType::kNull}, {"M", AttributeType::kM},
      {"L", AttributeType::kL},       {"SS", AttributeType::kSS},     {"NS", AttributeType::kNS},
      {"BS", AttributeType::kBS}};
  for (const auto& [n, t] : kTypes) {
    if (n == name) return t;
  }
  return std::nullopt;
}

core::Result<std::string> decodeBinary(const json::value& v) {
  if (!v.is_string()) return serializationError("Unexpected field type");
  std::string_view text = v.get_string();
  if (text.size() % 4 != 0) {
    return serializationError(
        "Base64 encoded length is expected a multiple of 4 bytes but found: " +
        std::to_string(text.size()));
  }
  auto bytes = core::base64Decode(text);
  if (!bytes || core::base64Encode(*bytes) != text) {
    return serializationError("Invalid last non-pad Base64 character dectected");
  }
  return std::move(*bytes);
}

std::string setDisplay(const json::array& a) {
  std::string out = "[";
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i) out += ", ";
    if (a[i].is_string()) out += a[i].get_string();
  }
  return out + "]";
}

core::Result<AttributeValue> decode(const json::value& v, int depth);

core::Result<AttributeValue> decodeSet(AttributeType type, const json::value& v) {
  if (!v.is_array()) return serializationError("Unexpected field type");
  const json::array& a = v.get_array();
  if (a.empty()) {
    switch (type) {
      case AttributeType::kSS:
        return invalid(
            "One or more parameter values were invalid: An string set  may not be empty");
      case AttributeType::kNS:
        return invalid(
            "One or more parameter values were invalid: An number set  may not be empty");
      default:
        return invalid(
            "One or more parameter values were invalid: Binary sets should not be empty");
    }
  }
  std::vector<std::string> elements;
  elements.reserve(a.size());
  for (const json::value& e : a) {
    if (type == AttributeType::kBS) {
      auto bytes = decodeBinary(e);
      if (!bytes) return bytes.error();
      elements.push_back(std::move(*bytes));
      continue;
    }
    if (!e.is_string()) return serializationError("Unexpected field type");
    if (type == AttributeType::kNS) {
      auto n = normalizeNumber(e.get_string());
      if (!n) return n.error();
      elements.push_back(std::move(*n));
    } else {
      elements.emplace_back(e.get_string());
    }
  }
  std::size_t before = elements.size();
  AttributeValue set = AttributeValue::set(type, std::move(elements));
  if (set.elements().size() != before) {
    switch (type) {
      case AttributeType::kSS:
        return invalid("One or more parameter values were invalid: Input collection " +
                       setDisplay(a) + " contains duplicates.");
      case AttributeType::kNS:
        return invalid("Input collection contains duplicates");
      default:
        return invalid("One or more parameter values were invalid: Input collection " +
                       setDisplay(a) + "of type BS contains duplicates.");
    }
  }
  return set;
}

core::Result<AttributeValue> decode(const json::value& v, int depth) {
  if (!v.is_object()) return serializationError("Unexpected value type in payload");
  const json::object& o = v.get_object();
  if (o.empty()) {
    return invalid(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  }
  if (depth > kMaxDepth) {
    return invalid("Nesting Levels have exceeded supported limits");
  }
  std::optional<AttributeValue> result;
  for (const auto& member : o) {
    auto type = typeFromName(member.key());
    if (!type) continue;  // unknown members are ignored, as the service's parser does
    if (result) {
      return invalid(
          "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
          "the supported datatypes");
    }
    const json::value& x = member.value();
    switch (*type) {
      case AttributeType::kS:
        if (!x.is_string()) return serializationError("Unexpected field type");
        result = AttributeValue::string(std::string(x.get_string()));
        break;
      case AttributeType::kN: {
        if (!x.is_string()) return serializationError("Unexpected field type");
        auto n = normalizeNumber(x.get_string());
        if (!n) return n.error();
        result = AttributeValue::number(std::move(*n));
        break;
      }
      case AttributeType::kB: {
        auto bytes = decodeBinary(x);
        if (!bytes) return bytes.error();
        result = AttributeValue::binary(std::move(*bytes));
        break;
      }
      case AttributeType::kBool:
        if (!x.is_bool()) return serializationError("Unexpected field type");
        result = AttributeValue::boolean(x.get_bool());
        break;
      case AttributeType::kNull:
        if (!x.is_bool()) return serializationError("Unexpected field type");
        if (!x.get_bool()) {
          return invalid(
              "One or more parameter values were invalid: Null attribute value types must have "
              "the value of true");
        }
        result = AttributeValue::null();
        break;
      case AttributeType::kM: {
        if (!x.is_object()) return serializationError("Unexpected field type");
        AttributeMap m;
        for (const auto& child : x.get_object()) {
          auto value = decode(child.value(), depth + 1);
          if (!value) return value.error();
          m.emplace(std::string(child.key()), std::move(*value));
        }
        result = AttributeValue::map(std::move(m));
        break;
      }
      case AttributeType::kL: {
        if (!x.is_array()) return serializationError("Unexpected field type");
        AttributeList l;
        l.reserve(x.get_array().size());
        for (const json::value& child : x.get_array()) {
          auto value = decode(child, depth + 1);
          if (!value) return value.error();
          l.push_back(std::move(*value));
        }
        result = AttributeValue::list(std::move(l));
        break;
      }
      case AttributeType::kSS:
      case AttributeType::kNS:
      case AttributeType::kBS: {
        auto set = decodeSet(*type, x);
        if (!set) return set.error();
        result = std::move(*set);
        break;
      }
    }
  }
  if (!result) {
    return invalid(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  }
  return std::move(*result);
}

json::array elementsToJson(const AttributeValue& v) {
  json::array a;
  a.reserve(v.elements().size());
  for (const std::string& e : v.elements()) {
    a.emplace_back(v.is(AttributeType::kBS) ? json::string(core::base64Encode(e))
                                            : json::string(e));
  }
  return a;
}

}  // namespace

core::Error serializationError(std::string message) {
  return core::Error("SerializationException", 400, std::move(message));
}

core::Result<AttributeValue> attributeFromJson(const json::value& v) { return decode(v, 1); }

core::Result<AttributeMap> attributeMapFromJson(const json::value& v) {
  if (!v.is_object()) return serializationError("Unexpected field type");
  AttributeMap m;
  for (const auto& member : v.get_object()) {
    auto value = decode(member.value(), 1);
    if (!value) return value.error();
    m.emplace(std::string(member.key()), std::move(*value));
  }
  return m;
}

json::value attributeToJson(const AttributeValue& v) {
  json::object o;
  std::string_view type = typeName(v.type());
  switch (v.type()) {
    case AttributeType::kS:
    case AttributeType::kN:
      o.emplace(type, v.scalar());
      break;
    case AttributeType::kB:
      o.emplace(type, core::base64Encode(v.scalar()));
      break;
    case AttributeType::kBool:
      o.emplace(type, v.boolean());
      break;
    case AttributeType::kNull:
      o.emplace(type, true);
      break;
    case AttributeType::kM:
      o.emplace(type, attributeMapToJson(v.asMap()));
      break;
    case AttributeType::kL: {
      json::array a;
      a.reserve(v.asList().size());
      for (const AttributeValue& e : v.asList()) a.push_back(attributeToJson(e));
      o.emplace(type, std::move(a));
      break;
    }
    case AttributeType::kSS:
    case AttributeType::kNS:
    case AttributeType::kBS:
      o.emplace(type, elementsToJson(v));
      break;
  }
  return o;
}

json::object attributeMapToJson(const AttributeMap& m) {
  json::object o;
  o.reserve(m.size());
  for (const auto& [name, value] : m) o.emplace(name, attributeToJson(value));
  return o;
}

}  // namespace bakery::table::codec
