#include "platform/table/engine/table_schema.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace bakery::table::engine {
namespace {

core::Error invalid(std::string message) { return core::Error::validation(std::move(message)); }

core::Error invalidParameter(std::string detail) {
  return invalid("One or more parameter values were invalid: " + detail);
}

bool validNameChars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

std::string lowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z')
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += v[i];
  }
  return out;
}

const json::array* arrayMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

const json::object* objectMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

std::string stringOr(const json::object& o, std::string_view key, std::string_view fallback = {}) {
  auto s = core::stringMember(o, key);
  return std::string(s.value_or(fallback));
}

// KeySchema members as (name, keyType) pairs; shape errors are SerializationExceptions.
struct KeyPart {
  std::string name;
  std::string keyType;
};

core::Result<std::vector<KeyPart>> readKeySchema(const json::value* v, std::string_view field) {
  if (!v) {
    return invalid(
        fmt::format("The parameter '{}' is required but was not present in the request", field));
  }
  if (!v->is_array()) return core::Error("SerializationException", 400, "Unexpected field type");
  std::vector<KeyPart> parts;
  for (const json::value& e : v->get_array()) {
    if (!e.is_object()) return core::Error("SerializationException", 400, "Unexpected field type");
    parts.push_back(
        {stringOr(e.get_object(), "AttributeName"), stringOr(e.get_object(), "KeyType")});
  }
  if (parts.empty() || parts.size() > 2) {
    return invalid(fmt::format(
        "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member "
        "must have length {} {}",
        "[]", lowerFirst(field),
        parts.empty() ? "greater than or equal to" : "less than or equal to",
        parts.empty() ? 1 : 2));
  }
  return parts;
}

core::Result<void> checkKeyOrder(const std::vector<KeyPart>& keys) {
  if (keys.size() == 2 && keys[0].name == keys[1].name) {
    return invalid(
        "Both the Hash Key and the Range Key element in the KeySchema have the same name");
  }
  if (keys[0].keyType != "HASH") {
    return invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (keys.size() == 2 && keys[1].keyType != "RANGE") {
    return invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
  }
  return {};
}

core::Result<void> checkIndexKeysDefined(const std::vector<KeyPart>& keys,
                                         const std::vector<std::string>& defined) {
  std::vector<std::string> names;
  for (const auto& k : keys) names.push_back(k.name);
  for (const auto& k : keys) {
    if (std::find(defined.begin(), defined.end(), k.name) == defined.end()) {
      return invalidParameter(
          fmt::format("Some index key attributes are not defined in AttributeDefinitions. "
                      "Keys: [{}], AttributeDefinitions: [{}]",
                      join(names), join(defined)));
    }
  }
  return {};
}

// The IndexName and KeySchema of one index definition, checked against the defined
// attributes: what LSIs, GSIs and UpdateTable's Create share.
// `member` is the index's path in the request, e.g. "globalSecondaryIndexes.1.member".
core::Result<std::vector<KeyPart>> readIndexKeys(const json::value& v,
                                                 const std::vector<std::string>& defined,
                                                 std::string_view member) {
  if (!v.is_object()) return core::Error("SerializationException", 400, "Unexpected field type");
  const json::object& index = v.get_object();
  if (auto r =
          validateNameMember(index.if_contains("IndexName"), fmt::format("{}.indexName", member));
      !r) {
    return r.error();
  }
  auto keys = readKeySchema(index.if_contains("KeySchema"), "KeySchema");
  if (!keys) return keys.error();
  if (auto r = checkIndexKeysDefined(*keys, defined); !r) return r.error();
  if (auto r = checkKeyOrder(*keys); !r) return r.error();
  return keys;
}

core::Result<void> checkProjection(const json::object& index) {
  const json::object* projection = objectMember(index, "Projection");
  if (!projection) {
    return invalid(fmt::format(
        "1 validation error detected: Value null at 'projection' failed to satisfy constraint: "
        "Member must not be null"));
  }
  auto type = core::stringMember(*projection, "ProjectionType");
  if (!type) return invalidParameter("Unknown ProjectionType: null");
  if (*type != "ALL" && *type != "KEYS_ONLY" && *type != "INCLUDE") {
    return invalidParameter(fmt::format("Unknown ProjectionType: {}", *type));
  }
  if (projection->contains("NonKeyAttributes") && *type != "INCLUDE") {
    return invalidParameter(
        fmt::format("ProjectionType is {}, but NonKeyAttributes is specified", *type));
  }
  if (*type == "INCLUDE" && !projection->contains("NonKeyAttributes")) {
    return invalidParameter("ProjectionType is INCLUDE, but NonKeyAttributes is not specified");
  }
  return {};
}

json::object onDemandThroughput() {
  return {{"NumberOfDecreasesToday", 0}, {"ReadCapacityUnits", 0}, {"WriteCapacityUnits", 0}};
}

// The description of a new (validated) index: CreateTable's LSIs and GSIs, UpdateTable's
// Create.
json::object describeIndex(const json::object& in, bool global, std::string_view tableName,
                           std::string_view arnPrefix) {
  json::object index;
  index["IndexName"] = in.at("IndexName");
  index["KeySchema"] = in.at("KeySchema");
  index["Projection"] = in.at("Projection");
  if (global) {
    index["IndexStatus"] = "ACTIVE";
    if (const json::object* t = objectMember(in, "ProvisionedThroughput")) {
      json::object copy = *t;
      copy["NumberOfDecreasesToday"] = 0;
      index["ProvisionedThroughput"] = std::move(copy);
    } else {
      index["ProvisionedThroughput"] = onDemandThroughput();
    }
  }
  index["IndexSizeBytes"] = 0;
  index["ItemCount"] = 0;
  index["IndexArn"] = fmt::format("{}{}/index/{}", arnPrefix, tableName,
                                  std::string_view(in.at("IndexName").as_string()));
  return index;
}

}  // namespace

const IndexSchema* TableSchema::index(std::string_view indexName) const {
  for (const IndexSchema& i : indexes) {
    if (i.name == indexName) return &i;
  }
  return nullptr;
}

bool TableSchema::isKeyAttribute(std::string_view attribute) const {
  return partition.name == attribute || (sort && sort->name == attribute);
}

AttributeType keyTypeFromName(std::string_view name) {
  if (name == "N") return AttributeType::kN;
  if (name == "B") return AttributeType::kB;
  return AttributeType::kS;
}

core::Result<void> validateNameMember(const json::value* name, std::string_view member) {
  if (!name || name->is_null()) {
    return invalid(fmt::format(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member "
        "must not be null",
        member));
  }
  if (!name->is_string())
    return core::Error("SerializationException", 400, "Unexpected field type");
  std::string_view s = name->get_string();
  std::vector<std::string_view> violated;
  if (!validNameChars(s)) {
    violated.push_back("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  }
  if (s.size() < 3) violated.push_back("Member must have length greater than or equal to 3");
  if (s.size() > 255) violated.push_back("Member must have length less than or equal to 255");
  if (violated.empty()) return {};
  std::string message = fmt::format("{} validation error{} detected: ", violated.size(),
                                    violated.size() > 1 ? "s" : "");
  for (std::size_t i = 0; i < violated.size(); ++i) {
    if (i) message += "; ";
    message +=
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: {}", s, member, violated[i]);
  }
  return invalid(std::move(message));
}

core::Result<void> validateTableName(const json::value* name, std::string_view field) {
  if (!name) {
    return invalid(
        fmt::format("The parameter '{}' is required but was not present in the request", field));
  }
  if (!name->is_string())
    return core::Error("SerializationException", 400, "Unexpected field type");
  std::string_view s = name->get_string();
  if (s.size() < 3 || s.size() > 255) {
    return invalid(fmt::format(
        "{} must be at least 3 characters long and at most 255 characters long", field));
  }
  if (!validNameChars(s)) {
    return invalid(fmt::format(
        "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        s, lowerFirst(field)));
  }
  return {};
}

core::Result<TableSchema> schemaFromDescription(const json::object& d, std::uint32_t tableId,
                                                const json::object& indexIds,
                                                std::string_view ttlAttribute) {
  TableSchema s;
  s.name = stringOr(d, "TableName");
  s.id = tableId;
  s.ttlAttribute = std::string(ttlAttribute);
  auto typeOf = [&](const std::string& attr) {
    if (const json::array* defs = arrayMember(d, "AttributeDefinitions")) {
      for (const json::value& def : *defs) {
        if (def.is_object() && stringOr(def.get_object(), "AttributeName") == attr) {
          return keyTypeFromName(stringOr(def.get_object(), "AttributeType"));
        }
      }
    }
    return AttributeType::kS;
  };
  auto readKeys = [&](const json::object& o, KeyElement& partition,
                      std::optional<KeyElement>& sort) {
    if (const json::array* keys = arrayMember(o, "KeySchema")) {
      for (const json::value& k : *keys) {
        if (!k.is_object()) continue;
        std::string name = stringOr(k.get_object(), "AttributeName");
        if (stringOr(k.get_object(), "KeyType") == "HASH") {
          partition = {name, typeOf(name)};
        } else {
          sort = KeyElement{name, typeOf(name)};
        }
      }
    }
  };
  readKeys(d, s.partition, s.sort);
  for (std::string_view kind : {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"}) {
    const json::array* list = arrayMember(d, kind);
    if (!list) continue;
    for (const json::value& v : *list) {
      if (!v.is_object()) continue;
      const json::object& o = v.get_object();
      IndexSchema index;
      index.name = stringOr(o, "IndexName");
      index.global = kind == "GlobalSecondaryIndexes";
      const json::value* id = indexIds.if_contains(index.name);
      if (!id) return core::Error::internal("index without id: " + index.name);
      index.id = static_cast<std::uint32_t>(core::integerValue(*id).value_or(0));
      readKeys(o, index.partition, index.sort);
      if (const json::object* p = objectMember(o, "Projection")) {
        std::string type = stringOr(*p, "ProjectionType", "ALL");
        index.projection = type == "KEYS_ONLY" ? ProjectionType::kKeysOnly
                           : type == "INCLUDE" ? ProjectionType::kInclude
                                               : ProjectionType::kAll;
        if (const json::array* attrs = arrayMember(*p, "NonKeyAttributes")) {
          for (const json::value& a : *attrs) {
            if (a.is_string()) index.nonKeyAttributes.emplace_back(a.get_string());
          }
        }
      }
      s.indexes.push_back(std::move(index));
    }
  }
  if (const json::object* stream = objectMember(d, "StreamSpecification")) {
    const json::value* enabled = stream->if_contains("StreamEnabled");
    s.streamEnabled = enabled && enabled->is_bool() && enabled->get_bool();
    s.streamViewType = stringOr(*stream, "StreamViewType");
  }
  return s;
}

core::Result<json::object> validateCreateTable(const json::object& request, double now,
                                               std::string_view arnPrefix) {
  if (auto r = validateTableName(request.if_contains("TableName"), "TableName"); !r) {
    return r.error();
  }
  const json::value* defsValue = request.if_contains("AttributeDefinitions");
  if (!defsValue || defsValue->is_null()) {
    return invalid(
        "1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy "
        "constraint: Member must not be null");
  }
  if (const json::value* k = request.if_contains("KeySchema"); !k || k->is_null()) {
    return invalid(
        "1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: "
        "Member must not be null");
  }
  if (!defsValue->is_array()) {
    return core::Error("SerializationException", 400, "Unexpected field type");
  }
  auto keys = readKeySchema(request.if_contains("KeySchema"), "KeySchema");
  if (!keys) return keys.error();

  std::string billing = stringOr(request, "BillingMode", "PROVISIONED");
  if (billing != "PROVISIONED" && billing != "PAY_PER_REQUEST") {
    return invalid(fmt::format(
        "1 validation error detected: Value '{}' at 'billingMode' failed to satisfy constraint: "
        "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
        billing));
  }
  const json::object* throughput = objectMember(request, "ProvisionedThroughput");
  if (billing == "PAY_PER_REQUEST") {
    if (throughput) {
      return invalidParameter(
          "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
          "PAY_PER_REQUEST");
    }
  } else {
    auto units = [&](std::string_view k) -> std::int64_t {
      if (!throughput) return 0;
      const json::value* v = throughput->if_contains(k);
      return v ? core::integerValue(*v).value_or(0) : 0;
    };
    if (!throughput || units("ReadCapacityUnits") < 1 || units("WriteCapacityUnits") < 1) {
      return invalidParameter(
          "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is "
          "PROVISIONED");
    }
  }

  std::vector<std::string> defined;
  std::set<std::string> seen;
  for (const json::value& def : defsValue->get_array()) {
    if (!def.is_object())
      return core::Error("SerializationException", 400, "Unexpected field type");
    std::string name = stringOr(def.get_object(), "AttributeName");
    std::string type = stringOr(def.get_object(), "AttributeType");
    if (type != "S" && type != "N" && type != "B") {
      return invalid(fmt::format(
          "1 validation error detected: Value '{}' at 'attributeDefinitions.{}.member."
          "attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, "
          "N, S]",
          type, defined.size() + 1));
    }
    if (!seen.insert(name).second) {
      return invalidParameter("Duplicate AttributeName in AttributeDefinitions: " + name);
    }
    defined.push_back(name);
  }
  if (keys->size() > defined.size()) {
    return invalid("Invalid KeySchema: Some index key attribute have no definition");
  }
  std::vector<std::string> keyNames;
  for (const auto& k : *keys) keyNames.push_back(k.name);
  for (const auto& k : *keys) {
    if (std::find(defined.begin(), defined.end(), k.name) == defined.end()) {
      return invalidParameter(fmt::format(
          "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], "
          "AttributeDefinitions: [{}]",
          join(keyNames), join(defined)));
    }
  }
  if (auto r = checkKeyOrder(*keys); !r) return r.error();

  const json::array* lsis = arrayMember(request, "LocalSecondaryIndexes");
  const json::array* gsis = arrayMember(request, "GlobalSecondaryIndexes");
  std::set<std::string> used(keyNames.begin(), keyNames.end());
  std::set<std::string> indexNames;
  if (lsis) {
    if (lsis->empty()) return invalidParameter("List of LocalSecondaryIndexes is empty");
    if (keys->size() != 2) {
      return invalidParameter(
          "Table KeySchema does not have a range key, which is required when specifying a "
          "LocalSecondaryIndex");
    }
    for (std::size_t position = 0; position < lsis->size(); ++position) {
      const json::value& v = (*lsis)[position];
      auto indexKeys =
          readIndexKeys(v, defined, fmt::format("localSecondaryIndexes.{}.member", position + 1));
      if (!indexKeys) return indexKeys.error();
      const json::object& index = v.get_object();
      std::string name = stringOr(index, "IndexName");
      if (indexKeys->size() != 2) {
        return invalidParameter("Index KeySchema does not have a range key for index: " + name);
      }
      if ((*indexKeys)[0].name != (*keys)[0].name) {
        return invalidParameter(fmt::format(
            "Index KeySchema does not have the same leading hash key as table KeySchema for "
            "index: {}. index hash key: {}, table hash key: {}",
            name, (*indexKeys)[0].name, (*keys)[0].name));
      }
      if (auto r = checkProjection(index); !r) return r.error();
      if (!indexNames.insert(name).second) {
        return invalidParameter("Duplicate index name: " + name);
      }
      for (const auto& k : *indexKeys) used.insert(k.name);
    }
    if (lsis->size() > 5) {
      return invalidParameter("Number of LocalSecondaryIndexes exceeds per-table limit of 5");
    }
  }
  if (gsis) {
    if (gsis->empty()) return invalidParameter("List of GlobalSecondaryIndexes is empty");
    for (std::size_t position = 0; position < gsis->size(); ++position) {
      const json::value& v = (*gsis)[position];
      auto indexKeys =
          readIndexKeys(v, defined, fmt::format("globalSecondaryIndexes.{}.member", position + 1));
      if (!indexKeys) return indexKeys.error();
      const json::object& index = v.get_object();
      std::string name = stringOr(index, "IndexName");
      if (auto r = checkProjection(index); !r) return r.error();
      if (billing == "PAY_PER_REQUEST" && index.contains("ProvisionedThroughput")) {
        return invalidParameter(fmt::format(
            "ProvisionedThroughput should not be specified for index: {} when BillingMode is "
            "PAY_PER_REQUEST",
            name));
      }
      if (!indexNames.insert(name).second) {
        return invalidParameter("Duplicate index name: " + name);
      }
      for (const auto& k : *indexKeys) used.insert(k.name);
    }
    if (gsis->size() > 20) {
      return invalidParameter("GlobalSecondaryIndex count exceeds the per-table limit of 20");
    }
  }
  if (used.size() != defined.size()) {
    return invalidParameter(
        "Number of attributes in KeySchema does not exactly match number of attributes defined "
        "in AttributeDefinitions");
  }

  std::string tableName = stringOr(request, "TableName");
  json::object d;
  d["AttributeDefinitions"] = *defsValue;
  d["TableName"] = tableName;
  d["KeySchema"] = request.at("KeySchema");
  d["TableStatus"] = "ACTIVE";
  d["CreationDateTime"] = now;
  if (billing == "PAY_PER_REQUEST") {
    d["ProvisionedThroughput"] = onDemandThroughput();
    d["BillingModeSummary"] = json::object{{"BillingMode", "PAY_PER_REQUEST"},
                                           {"LastUpdateToPayPerRequestDateTime", now}};
  } else {
    json::object t = *throughput;
    t["NumberOfDecreasesToday"] = 0;
    d["ProvisionedThroughput"] = std::move(t);
  }
  d["TableSizeBytes"] = 0;
  d["ItemCount"] = 0;
  d["TableArn"] = std::string(arnPrefix) + tableName;
  auto describeIndexes = [&](const json::array* list, std::string_view kind, bool global) {
    if (!list) return;
    json::array out;
    for (const json::value& v : *list) {
      const json::object& in = v.get_object();
      out.push_back(describeIndex(in, global, tableName, arnPrefix));
    }
    d[kind] = std::move(out);
  };
  describeIndexes(lsis, "LocalSecondaryIndexes", false);
  describeIndexes(gsis, "GlobalSecondaryIndexes", true);
  if (const json::object* stream = objectMember(request, "StreamSpecification")) {
    const json::value* enabled = stream->if_contains("StreamEnabled");
    if (enabled && enabled->is_bool() && enabled->get_bool()) {
      std::string view = stringOr(*stream, "StreamViewType");
      if (view != "KEYS_ONLY" && view != "NEW_IMAGE" && view != "OLD_IMAGE" &&
          view != "NEW_AND_OLD_IMAGES") {
        return invalidParameter("You must specify a StreamViewType when enabling a stream");
      }
      // The engine adds LatestStreamLabel and LatestStreamArn.
      d["StreamSpecification"] = json::object{{"StreamEnabled", true}, {"StreamViewType", view}};
    }
  }
  d["DeletionProtectionEnabled"] = false;
  return d;
}

core::Result<json::object> validateCreateIndex(const json::object& create,
                                               const json::object& table,
                                               const json::array* attributeDefinitions,
                                               std::string_view arnPrefix) {
  std::string name = stringOr(create, "IndexName");
  std::vector<std::string> defined;
  auto addDefs = [&](const json::array* defs) {
    if (!defs) return;
    for (const json::value& d : *defs) {
      if (!d.is_object()) continue;
      std::string n = stringOr(d.get_object(), "AttributeName");
      if (std::find(defined.begin(), defined.end(), n) == defined.end()) defined.push_back(n);
    }
  };
  addDefs(arrayMember(table, "AttributeDefinitions"));
  addDefs(attributeDefinitions);
  auto keys =
      readIndexKeys(json::value(create), defined, "globalSecondaryIndexUpdates.1.member.create");
  if (!keys) return keys.error();
  if (auto r = checkProjection(create); !r) return r.error();
  for (std::string_view kind : {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"}) {
    if (const json::array* list = arrayMember(table, kind)) {
      for (const json::value& v : *list) {
        if (v.is_object() && stringOr(v.get_object(), "IndexName") == name) {
          return invalidParameter("Duplicate index name: " + name);
        }
      }
    }
  }
  return describeIndex(create, /*global=*/true, stringOr(table, "TableName"), arnPrefix);
}

}  // namespace bakery::table::engine
