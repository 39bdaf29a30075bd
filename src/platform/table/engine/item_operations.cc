// Item operations: PutItem, GetItem, UpdateItem, DeleteItem, BatchGetItem, BatchWriteItem,
// TransactWriteItems, TransactGetItems.
#include <algorithm>
#include <set>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/encoding.h"
#include "platform/table/codec/attribute_json.h"
#include "platform/table/codec/item_codec.h"
#include "platform/table/codec/item_size.h"
#include "platform/table/engine/engine_internal.h"
#include "platform/table/engine/table_engine.h"

namespace bakery::table::engine {

using namespace detail;  // NOLINT(google-build-using-namespace)

namespace {

constexpr std::size_t kMaxTransactItems = 100;
constexpr std::size_t kMaxTransactBytes = 4 * 1024 * 1024;
constexpr std::size_t kMaxBatchGetKeys = 100;
constexpr std::size_t kMaxBatchWrites = 25;
constexpr double kTokenLifetimeSeconds = 600;

core::Result<std::string> enumField(const json::object& o, std::string_view key,
                                    std::initializer_list<std::string_view> allowed,
                                    std::string_view fallback) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::string(fallback);
  if (!v->is_string()) return codec::serializationError("Unexpected field type");
  std::string_view s = v->get_string();
  for (std::string_view a : allowed) {
    if (a == s) return std::string(s);
  }
  std::string set;
  for (std::string_view a : allowed) {
    if (!set.empty()) set += ", ";
    set += a;
  }
  std::string member(key);
  member[0] = static_cast<char>(member[0] - 'A' + 'a');
  return invalid(fmt::format(
      "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member must "
      "satisfy enum value set: [{}]",
      s, member, set));
}

// TransactItems: present, an array of 1 to 100 actions.
core::Result<const json::array*> readTransactItems(const json::object& request) {
  const json::value* itemsValue = request.if_contains("TransactItems");
  if (!itemsValue) {
    return invalid("The parameter 'TransactItems' is required but was not present in the request");
  }
  if (!itemsValue->is_array()) return codec::serializationError("Unexpected field type");
  const json::array& items = itemsValue->get_array();
  if (items.empty() || items.size() > kMaxTransactItems) {
    return invalid(
        fmt::format("1 validation error detected: Value '{}' at 'transactItems' failed to satisfy "
                    "constraint: Member must have length {} {}",
                    core::toJson(*itemsValue),
                    items.empty() ? "greater than or equal to" : "less than or equal to",
                    items.empty() ? 1 : 100));
  }
  return &items;
}

core::Result<std::string> readReturnValues(const json::object& request, bool update) {
  auto rv = enumField(request, "ReturnValues",
                      {"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"}, "NONE");
  if (!rv) return rv.error();
  if (!update && *rv != "ALL_OLD" && *rv != "NONE") {
    return invalid("ReturnValues can only be ALL_OLD or NONE");
  }
  return rv;
}

core::Result<bool> readReturnOldOnFailure(const json::object& request) {
  auto v = enumField(request, "ReturnValuesOnConditionCheckFailure", {"ALL_OLD", "NONE"}, "NONE");
  if (!v) return v.error();
  return *v == "ALL_OLD";
}

// Checks that an update does not write a key attribute, or into one, as DynamoDB refuses it.
core::Result<void> checkUpdateTargets(const TableSchema& schema,
                                      const std::vector<expression::Path>& targets) {
  for (const expression::Path& p : targets) {
    if (p.size() == 1 && schema.isKeyAttribute(p.front().name)) {
      return invalid(
          fmt::format("One or more parameter values were invalid: Cannot update attribute {}. This "
                      "attribute is part of the key",
                      p.front().name));
    }
  }
  return checkKeyPaths(schema, targets);
}

std::size_t sizeOf(const std::optional<AttributeMap>& item) {
  return item ? codec::itemSize(*item) : 0;
}

json::object toJson(const AttributeMap& m) { return codec::attributeMapToJson(m); }

// The parts of one write request (a PutItem, an UpdateItem, a transaction action) once
// parsed and validated, before any item is read.
struct WriteAction {
  enum class Kind { kPut, kUpdate, kDelete, kConditionCheck } kind = Kind::kPut;
  std::shared_ptr<const TableEngine::Table> table;
  AttributeMap key;
  std::optional<AttributeMap> item;  // Put
  std::optional<expression::UpdatePlan> update;
  std::optional<expression::Condition> condition;
  std::string storageKey;
  bool returnOldOnFailure = false;
};

}  // namespace

// Engine access for the helpers below, which need the private table lookup.
struct EngineAccess {
  static core::Result<std::shared_ptr<const TableEngine::Table>> table(const TableEngine& e,
                                                                       const json::object& r) {
    return e.requireTable(r);
  }
};

namespace {

// Parses one Put / Update / Delete / ConditionCheck request body (PutItem's request, or a
// transaction action) into a WriteAction.
core::Result<WriteAction> parseWriteAction(const TableEngine& engine, WriteAction::Kind kind,
                                           std::string_view tenant, const json::object& request) {
  WriteAction a;
  a.kind = kind;
  ExpressionInputs in;
  std::vector<std::string_view> expressions;
  if (kind == WriteAction::Kind::kUpdate) expressions.push_back("UpdateExpression");
  expressions.push_back("ConditionExpression");
  std::vector<std::string_view> legacy{"Expected"};
  if (kind == WriteAction::Kind::kUpdate) legacy.insert(legacy.begin(), "AttributeUpdates");
  if (auto r = readExpressionInputs(request, expressions, legacy, in); !r) return r.error();
  if (kind == WriteAction::Kind::kUpdate) {
    if (auto text = stringField(request, "UpdateExpression")) {
      auto plan = expression::parseUpdate(*text, *in.placeholders);
      if (!plan) return plan.error();
      a.update = std::move(*plan);
    }
  }
  auto condition = readCondition(request, "ConditionExpression", in);
  if (!condition) return condition.error();
  a.condition = std::move(*condition);
  if (kind == WriteAction::Kind::kConditionCheck && !a.condition) {
    return invalid(
        "The parameter 'ConditionExpression' is required but was not present in the request");
  }
  if (auto r = in.placeholders->checkAllUsed(); !r) return r.error();
  auto old = readReturnOldOnFailure(request);
  if (!old) return old.error();
  a.returnOldOnFailure = *old;
  // The item is decoded (and its size checked) before the table is looked up, the order in
  // which DynamoDB reports errors.
  std::optional<AttributeMap> decoded;
  if (kind == WriteAction::Kind::kPut) {
    const json::value* item = request.if_contains("Item");
    if (!item) {
      return invalid("The parameter 'Item' is required but was not present in the request");
    }
    auto m = codec::attributeMapFromJson(*item);
    if (!m) return m.error();
    if (auto r = checkItemSize(*m); !r) return r.error();
    decoded = std::move(*m);
  }
  auto table = EngineAccess::table(engine, request);
  if (!table) return table.error();
  a.table = *table;
  const TableSchema& schema = a.table->schema;
  if (kind == WriteAction::Kind::kPut) {
    if (auto r = checkItem(schema, *decoded); !r) return r.error();
    a.key = keyOf(schema, *decoded);
    a.item = std::move(decoded);
  } else {
    auto key = readKey(schema, request.if_contains("Key"));
    if (!key) return key.error();
    a.key = std::move(*key);
  }
  if (a.update) {
    if (auto r = checkUpdateTargets(schema, expression::targets(*a.update)); !r) return r.error();
  }
  a.storageKey = itemKey(schema, tenant, a.key);
  return a;
}

// The new image an action produces from `old`, or an error (a runtime update error).
// nullopt for a delete or a condition check.
core::Result<std::optional<AttributeMap>> applyAction(const WriteAction& a,
                                                      const std::optional<AttributeMap>& old) {
  switch (a.kind) {
    case WriteAction::Kind::kPut:
      return std::optional<AttributeMap>(*a.item);
    case WriteAction::Kind::kDelete:
    case WriteAction::Kind::kConditionCheck:
      return std::optional<AttributeMap>();
    case WriteAction::Kind::kUpdate: {
      AttributeMap next = old ? *old : a.key;
      if (a.update) {
        if (auto r = expression::apply(*a.update, next); !r) return r.error();
      }
      if (codec::itemSize(next) > codec::kMaxItemBytes) {
        return invalid("Item size to update has exceeded the maximum allowed size");
      }
      if (auto r = checkItem(a.table->schema, next); !r) return r.error();
      return std::optional<AttributeMap>(std::move(next));
    }
  }
  return std::optional<AttributeMap>();
}

bool conditionHolds(const WriteAction& a, const std::optional<AttributeMap>& old) {
  if (!a.condition) return true;
  static const AttributeMap kEmpty;
  return expression::evaluate(*a.condition, old ? *old : kEmpty);
}

// The item a single-item write replaces (`loaded`, read under the item's lock), once the
// action's condition holds on it; ConditionalCheckFailedException otherwise.
core::Result<std::optional<AttributeMap>> checkedOld(
    const WriteAction& a, core::Result<std::optional<AttributeMap>> loaded) {
  if (!loaded) return loaded.error();
  if (!conditionHolds(a, *loaded)) {
    return conditionalCheckFailed(a.returnOldOnFailure && *loaded ? &**loaded : nullptr);
  }
  return loaded;
}

}  // namespace

core::Result<json::object> TableEngine::putItem(std::string_view tenant,
                                                const json::object& request) {
  auto returnValues = readReturnValues(request, false);
  if (!returnValues) return returnValues.error();
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  auto action = parseWriteAction(*this, WriteAction::Kind::kPut, tenant, request);
  if (!action) return action.error();
  std::optional<AttributeMap> old;
  // A blind put (no condition, no old image wanted, no index or stream to maintain) need
  // not read the item it replaces: one RocksDB read saved on the commonest write.
  const TableSchema& schema = action->table->schema;
  bool needsOld = action->condition || *returnValues == "ALL_OLD" ||
                  *capacity != CapacityMode::kNone || !schema.indexes.empty() ||
                  schema.streamEnabled;
  {
    std::lock_guard lock(stripeFor(action->storageKey));
    auto checked = checkedOld(
        *action, needsOld ? loadItem(action->storageKey) : std::optional<AttributeMap>());
    if (!checked) return checked.error();
    old = std::move(*checked);
    WriteContext w;
    recordChange(w, *action->table, tenant, action->storageKey, old ? &*old : nullptr,
                 &*action->item);
    if (auto r = commit(w); !r) return r.error();
  }
  json::object out;
  if (*returnValues == "ALL_OLD" && old) out["Attributes"] = toJson(*old);
  if (*capacity != CapacityMode::kNone) {
    out["ConsumedCapacity"] = consumedCapacity(
        action->table->schema.name,
        writeUnits(std::max(codec::itemSize(*action->item), sizeOf(old))), *capacity);
  }
  return out;
}

core::Result<json::object> TableEngine::deleteItem(std::string_view tenant,
                                                   const json::object& request) {
  auto returnValues = readReturnValues(request, false);
  if (!returnValues) return returnValues.error();
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  auto action = parseWriteAction(*this, WriteAction::Kind::kDelete, tenant, request);
  if (!action) return action.error();
  std::optional<AttributeMap> old;
  {
    std::lock_guard lock(stripeFor(action->storageKey));
    auto checked = checkedOld(*action, loadItem(action->storageKey));
    if (!checked) return checked.error();
    old = std::move(*checked);
    if (old) {
      WriteContext w;
      recordChange(w, *action->table, tenant, action->storageKey, &*old, nullptr);
      if (auto r = commit(w); !r) return r.error();
    }
  }
  json::object out;
  if (*returnValues == "ALL_OLD" && old) out["Attributes"] = toJson(*old);
  if (*capacity != CapacityMode::kNone) {
    out["ConsumedCapacity"] =
        consumedCapacity(action->table->schema.name, writeUnits(sizeOf(old)), *capacity);
  }
  return out;
}

core::Result<json::object> TableEngine::updateItem(std::string_view tenant,
                                                   const json::object& request) {
  auto returnValues = readReturnValues(request, true);
  if (!returnValues) return returnValues.error();
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  auto action = parseWriteAction(*this, WriteAction::Kind::kUpdate, tenant, request);
  if (!action) return action.error();
  std::optional<AttributeMap> old;
  std::optional<AttributeMap> next;
  {
    std::lock_guard lock(stripeFor(action->storageKey));
    auto checked = checkedOld(*action, loadItem(action->storageKey));
    if (!checked) return checked.error();
    old = std::move(*checked);
    auto applied = applyAction(*action, old);
    if (!applied) return applied.error();
    next = std::move(*applied);
    WriteContext w;
    recordChange(w, *action->table, tenant, action->storageKey, old ? &*old : nullptr, &*next);
    if (auto r = commit(w); !r) return r.error();
  }
  json::object out;
  const std::string& rv = *returnValues;
  if (rv == "ALL_OLD" && old) {
    out["Attributes"] = toJson(*old);
  } else if (rv == "ALL_NEW") {
    out["Attributes"] = toJson(*next);
  } else if (rv == "UPDATED_OLD" || rv == "UPDATED_NEW") {
    expression::Projection updated;
    if (action->update) updated.paths = expression::targets(*action->update);
    const std::optional<AttributeMap>& source = rv == "UPDATED_OLD" ? old : next;
    if (source) {
      AttributeMap projected = expression::project(updated, *source);
      if (!projected.empty()) out["Attributes"] = toJson(projected);
    }
  }
  if (*capacity != CapacityMode::kNone) {
    out["ConsumedCapacity"] =
        consumedCapacity(action->table->schema.name,
                         writeUnits(std::max(codec::itemSize(*next), sizeOf(old))), *capacity);
  }
  return out;
}

core::Result<json::object> TableEngine::getItem(std::string_view tenant,
                                                const json::object& request) {
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  ExpressionInputs in;
  if (auto r = readExpressionInputs(request, {"ProjectionExpression"}, {"AttributesToGet"}, in); !r)
    return r.error();
  auto projection = readProjection(request, in);
  if (!projection) return projection.error();
  if (auto r = in.placeholders->checkAllUsed(); !r) return r.error();
  auto consistent = boolField(request, "ConsistentRead");
  if (!consistent) return consistent.error();
  auto table = requireTable(request);
  if (!table) return table.error();
  if (auto r = checkKeyPaths((*table)->schema, *projection); !r) return r.error();
  auto key = readKey((*table)->schema, request.if_contains("Key"));
  if (!key) return key.error();
  auto item = loadItem(itemKey((*table)->schema, tenant, *key));
  if (!item) return item.error();
  json::object out;
  if (*item) {
    out["Item"] = toJson(*projection ? expression::project(**projection, **item) : **item);
  }
  if (*capacity != CapacityMode::kNone) {
    out["ConsumedCapacity"] = consumedCapacity(
        (*table)->schema.name, readUnits(sizeOf(*item), consistent->value_or(false)), *capacity);
  }
  return out;
}

core::Result<json::object> TableEngine::batchGetItem(std::string_view tenant,
                                                     const json::object& request) {
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  const json::value* requestItems = request.if_contains("RequestItems");
  if (!requestItems) {
    return invalid("The parameter 'RequestItems' is required but was not present in the request");
  }
  if (!requestItems->is_object()) return codec::serializationError("Unexpected field type");
  if (requestItems->get_object().empty()) {
    return invalid(
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1");
  }
  struct TableRead {
    std::shared_ptr<const Table> table;
    std::vector<AttributeMap> keys;
    std::optional<expression::Projection> projection;
    bool consistent = false;
  };
  std::vector<TableRead> reads;
  std::size_t total = 0;
  for (const auto& entry : requestItems->get_object()) {
    if (!entry.value().is_object()) return codec::serializationError("Unexpected field type");
    const json::object& spec = entry.value().get_object();
    TableRead read;
    ExpressionInputs in;
    if (auto r = readExpressionInputs(spec, {"ProjectionExpression"}, {"AttributesToGet"}, in); !r)
      return r.error();
    auto projection = readProjection(spec, in);
    if (!projection) return projection.error();
    if (auto r = in.placeholders->checkAllUsed(); !r) return r.error();
    read.projection = std::move(*projection);
    auto consistent = boolField(spec, "ConsistentRead");
    if (!consistent) return consistent.error();
    read.consistent = consistent->value_or(false);
    const json::value* keys = spec.if_contains("Keys");
    if (!keys || !keys->is_array()) return codec::serializationError("Unexpected field type");
    if (keys->get_array().empty()) {
      return invalid(fmt::format(
          "1 validation error detected: Value '[]' at 'requestItems.{}.member.keys' failed to "
          "satisfy constraint: Member must have length greater than or equal to 1",
          std::string_view(entry.key())));
    }
    if (keys->get_array().size() > kMaxBatchGetKeys) {
      return invalid(fmt::format(
          "1 validation error detected: Value '{}' at 'requestItems.{}.member.keys' failed to "
          "satisfy constraint: Member must have length less than or equal to 100",
          core::toJson(*keys), std::string_view(entry.key())));
    }
    std::set<std::string> seen;
    for (const json::value& k : keys->get_array()) {
      auto m = codec::attributeMapFromJson(k);
      if (!m) return m.error();
      std::string canonical = codec::encodeItem(*m);
      if (!seen.insert(canonical).second) {
        return invalid("Provided list of item keys contains duplicates");
      }
      if (++total > kMaxBatchGetKeys) {
        return invalid("Too many items requested for the BatchGetItem call");
      }
      read.keys.push_back(std::move(*m));
    }
    json::object named{{"TableName", entry.key()}};
    auto table = requireTable(named);
    if (!table) return table.error();
    read.table = *table;
    if (auto r = checkKeyPaths(read.table->schema, read.projection); !r) return r.error();
    for (AttributeMap& k : read.keys) {
      json::value asJson = toJson(k);
      auto key = readKey(read.table->schema, &asJson);
      if (!key) return key.error();
    }
    reads.push_back(std::move(read));
  }
  json::object responses;
  json::array consumed;
  for (const TableRead& read : reads) {
    json::array items;
    double units = 0;  // each item is charged on its own, rounded up to 4 KB; a miss too
    for (const AttributeMap& k : read.keys) {
      auto item = loadItem(itemKey(read.table->schema, tenant, k));
      if (!item) return item.error();
      units += readUnits(sizeOf(*item), read.consistent);
      if (!*item) continue;
      items.push_back(
          toJson(read.projection ? expression::project(*read.projection, **item) : **item));
    }
    responses[read.table->schema.name] = std::move(items);
    if (*capacity != CapacityMode::kNone) {
      consumed.push_back(consumedCapacity(read.table->schema.name, units, *capacity));
    }
  }
  json::object out{{"Responses", std::move(responses)}, {"UnprocessedKeys", json::object()}};
  if (*capacity != CapacityMode::kNone) out["ConsumedCapacity"] = std::move(consumed);
  return out;
}

core::Result<json::object> TableEngine::batchWriteItem(std::string_view tenant,
                                                       const json::object& request) {
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  const json::value* requestItems = request.if_contains("RequestItems");
  if (!requestItems) {
    return invalid("The parameter 'RequestItems' is required but was not present in the request");
  }
  if (!requestItems->is_object()) return codec::serializationError("Unexpected field type");
  if (requestItems->get_object().empty()) {
    return invalid(
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1");
  }
  std::size_t total = 0;
  for (const auto& entry : requestItems->get_object()) {
    if (!entry.value().is_array()) return codec::serializationError("Unexpected field type");
    total += entry.value().get_array().size();
  }
  if (total > kMaxBatchWrites || total == 0) {
    return invalid(fmt::format(
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
        "Member must have length greater than or equal to 1]",
        core::toJson(*requestItems)));
  }
  struct Write {
    std::shared_ptr<const Table> table;
    std::string storageKey;
    std::optional<AttributeMap> item;  // put; nullopt for delete
  };
  std::vector<Write> writes;
  for (const auto& entry : requestItems->get_object()) {
    for (const json::value& r : entry.value().get_array()) {
      if (!r.is_object()) return codec::serializationError("Unexpected field type");
      const json::object& o = r.get_object();
      const json::value* put = o.if_contains("PutRequest");
      const json::value* del = o.if_contains("DeleteRequest");
      if ((put != nullptr) == (del != nullptr)) {
        return invalid(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes");
      }
      if (put) {
        if (!put->is_object()) return codec::serializationError("Unexpected field type");
        auto m = codec::attributeMapFromJson(put->get_object().contains("Item")
                                                 ? put->get_object().at("Item")
                                                 : json::value(json::object()));
        if (!m) return m.error();
        if (auto c = checkItemSize(*m); !c) return c.error();
      }
    }
  }
  for (const auto& entry : requestItems->get_object()) {
    json::object named{{"TableName", entry.key()}};
    auto table = requireTable(named);
    if (!table) return table.error();
    for (const json::value& r : entry.value().get_array()) {
      const json::object& o = r.get_object();
      Write w;
      w.table = *table;
      if (const json::value* put = o.if_contains("PutRequest")) {
        // A put's key is checked as a key: a missing or mistyped key attribute is "does not
        // match the schema" here, not PutItem's "Missing the key".
        const json::value* itemJson = put->get_object().if_contains("Item");
        auto decoded =
            codec::attributeMapFromJson(itemJson ? *itemJson : json::value(json::object()));
        if (!decoded) return decoded.error();
        for (const KeyElement* e : {&w.table->schema.partition,
                                    w.table->schema.sort ? &*w.table->schema.sort : nullptr}) {
          if (!e) continue;
          auto it = decoded->find(e->name);
          if (it == decoded->end() || it->second.type() != e->type) {
            return invalid("The provided key element does not match the schema");
          }
        }
        auto item = readItem(w.table->schema, itemJson);
        if (!item) return item.error();
        w.storageKey = itemKey(w.table->schema, tenant, keyOf(w.table->schema, *item));
        w.item = std::move(*item);
      } else {
        const json::value& del = o.at("DeleteRequest");
        if (!del.is_object()) return codec::serializationError("Unexpected field type");
        auto key = readKey(w.table->schema, del.get_object().if_contains("Key"));
        if (!key) return key.error();
        w.storageKey = itemKey(w.table->schema, tenant, *key);
      }
      writes.push_back(std::move(w));
    }
  }
  std::set<std::string_view> seen;
  for (const Write& w : writes) {
    if (!seen.insert(w.storageKey).second) {
      return invalid("Provided list of item keys contains duplicates");
    }
  }
  // Each put and delete is atomic on its own; committing them in one batch (one fsync) is
  // stronger than DynamoDB promises and much faster.
  std::vector<std::string_view> keys;
  for (const Write& w : writes) keys.push_back(w.storageKey);
  std::map<std::string, double> unitsByTable;
  {
    auto locks = lockStripes(keys);
    WriteContext context;
    for (const Write& w : writes) {
      auto old = loadItem(w.storageKey);
      if (!old) return old.error();
      if (!w.item && !*old) {
        unitsByTable[w.table->schema.name] += 1;
        continue;
      }
      recordChange(context, *w.table, tenant, w.storageKey, *old ? &**old : nullptr,
                   w.item ? &*w.item : nullptr);
      unitsByTable[w.table->schema.name] +=
          writeUnits(std::max(w.item ? codec::itemSize(*w.item) : 0, sizeOf(*old)));
    }
    if (auto r = commit(context); !r) return r.error();
  }
  json::object out{{"UnprocessedItems", json::object()}};
  if (*capacity != CapacityMode::kNone) {
    json::array consumed;
    for (const auto& [name, units] : unitsByTable) {
      consumed.push_back(consumedCapacity(name, units, *capacity));
    }
    out["ConsumedCapacity"] = std::move(consumed);
  }
  return out;
}

core::Result<json::object> TableEngine::transactWriteItems(std::string_view tenant,
                                                           const json::object& request,
                                                           const Outbox& outbox) {
  return transactWriteItems(tenant, request, &outbox);
}

core::Result<json::object> TableEngine::transactWriteItems(std::string_view tenant,
                                                           const json::object& request,
                                                           const Outbox* outbox) {
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  auto itemsRead = readTransactItems(request);
  if (!itemsRead) return itemsRead.error();
  const json::array& items = **itemsRead;
  std::string token;
  if (const json::value* t = request.if_contains("ClientRequestToken"); t && !t->is_null()) {
    if (!t->is_string()) return codec::serializationError("Unexpected field type");
    token = std::string(t->get_string());
    if (token.empty() || token.size() > 36) {
      return invalid(fmt::format(
          "1 validation error detected: Value '{}' at 'clientRequestToken' failed to satisfy "
          "constraint: Member must have length {} {}",
          token, token.empty() ? "greater than or equal to" : "less than or equal to",
          token.empty() ? 1 : 36));
    }
  }
  if (json::serialize(items).size() > kMaxTransactBytes) {
    return invalid("Transaction request size has exceeded the maximum allowed size of 4 MB");
  }
  std::vector<WriteAction> actions;
  actions.reserve(items.size());
  for (const json::value& entry : items) {
    if (!entry.is_object() || entry.get_object().size() != 1) {
      return invalid("TransactItems can only contain one of Check, Put, Update or Delete");
    }
    const auto& member = *entry.get_object().begin();
    WriteAction::Kind kind;
    if (member.key() == "Put") {
      kind = WriteAction::Kind::kPut;
    } else if (member.key() == "Update") {
      kind = WriteAction::Kind::kUpdate;
      if (!member.value().is_object() ||
          !member.value().get_object().contains("UpdateExpression")) {
        return invalid(
            "The parameter 'UpdateExpression' is required but was not present in the request");
      }
    } else if (member.key() == "Delete") {
      kind = WriteAction::Kind::kDelete;
    } else if (member.key() == "ConditionCheck") {
      kind = WriteAction::Kind::kConditionCheck;
    } else {
      return invalid("TransactItems can only contain one of Check, Put, Update or Delete");
    }
    if (!member.value().is_object()) return codec::serializationError("Unexpected field type");
    auto action = parseWriteAction(*this, kind, tenant, member.value().get_object());
    if (!action) return action.error();
    actions.push_back(std::move(*action));
  }
  std::set<std::string_view> seen;
  for (const WriteAction& a : actions) {
    if (!seen.insert(a.storageKey).second) {
      return invalid("Transaction request cannot include multiple operations on one item");
    }
  }
  std::string tokenKey;
  std::string requestHash;
  if (!token.empty()) {
    tokenKey = "token/" + std::string(tenant) + '\0' + token;
    requestHash = core::sha256Hex(json::serialize(items));
  }
  std::vector<std::string_view> keys;
  for (const WriteAction& a : actions) keys.push_back(a.storageKey);
  if (!tokenKey.empty()) keys.push_back(tokenKey);
  std::map<std::string, double> unitsByTable;
  {
    auto locks = lockStripes(keys);
    double now = nowSeconds();
    if (!tokenKey.empty()) {
      std::string stored;
      rocksdb::Status s = storage_.db().Get(
          rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta), tokenKey, &stored);
      if (s.ok()) {
        auto record = core::parseJson(stored, "token record");
        if (record && record->is_object()) {
          const json::object& o = record->get_object();
          double expires = o.at("expires").to_number<double>();
          if (expires > now) {
            if (core::stringMember(o, "hash").value_or("") != requestHash) {
              return core::Error("IdempotentParameterMismatchException", 400,
                                 "Request parameters do not match the previous request with "
                                 "the same client token");
            }
            // Already applied within the last ten minutes: succeed without applying again.
            json::object out;
            if (*capacity != CapacityMode::kNone) {
              json::array consumed;
              for (const WriteAction& a : actions) {
                consumed.push_back(consumedCapacity(a.table->schema.name, 2, *capacity));
              }
              out["ConsumedCapacity"] = std::move(consumed);
            }
            return out;
          }
        }
      }
    }
    std::vector<std::optional<AttributeMap>> olds(actions.size());
    std::vector<std::optional<AttributeMap>> nexts(actions.size());
    json::array reasons;
    bool cancelled = false;
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const WriteAction& a = actions[i];
      auto loaded = loadItem(a.storageKey);
      if (!loaded) return loaded.error();
      olds[i] = std::move(*loaded);
      json::object reason{{"Code", "None"}};
      if (!conditionHolds(a, olds[i])) {
        cancelled = true;
        reason = json::object{{"Code", "ConditionalCheckFailed"},
                              {"Message", "The conditional request failed"}};
        if (a.returnOldOnFailure && olds[i]) reason["Item"] = toJson(*olds[i]);
      } else {
        auto next = applyAction(a, olds[i]);
        if (!next) {
          cancelled = true;
          reason = json::object{{"Code", "ValidationError"}, {"Message", next.error().message()}};
        } else {
          nexts[i] = std::move(*next);
        }
      }
      reasons.push_back(std::move(reason));
    }
    if (cancelled) {
      std::string codes;
      for (const json::value& r : reasons) {
        if (!codes.empty()) codes += ", ";
        codes += r.at("Code").get_string();
      }
      return core::Error("TransactionCanceledException", 400,
                         fmt::format("Transaction cancelled, please refer cancellation reasons "
                                     "for specific reasons [{}]",
                                     codes))
          .withDetails(core::toJson(json::object{{"CancellationReasons", std::move(reasons)}}));
    }
    WriteContext w;
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const WriteAction& a = actions[i];
      unitsByTable[a.table->schema.name] +=
          2 * writeUnits(std::max(sizeOf(nexts[i]), sizeOf(olds[i])));
      if (a.kind == WriteAction::Kind::kConditionCheck) continue;
      if (a.kind == WriteAction::Kind::kDelete && !olds[i]) continue;
      recordChange(w, *a.table, tenant, a.storageKey, olds[i] ? &*olds[i] : nullptr,
                   nexts[i] ? &*nexts[i] : nullptr);
    }
    if (!tokenKey.empty()) {
      w.batch.Put(storage_.family(storage::Family::kMeta), tokenKey,
                  core::toJson(json::object{{"hash", requestHash},
                                            {"expires", now + kTokenLifetimeSeconds}}));
    }
    std::function<void()> afterCommit;
    if (outbox) {
      auto staged = (*outbox)(w.batch);
      if (!staged) return staged.error();
      afterCommit = std::move(staged).value();
    }
    if (auto r = commit(w); !r) return r.error();
    if (afterCommit) afterCommit();
  }
  json::object out;
  if (*capacity != CapacityMode::kNone) {
    json::array consumed;
    for (const auto& [name, units] : unitsByTable) {
      json::object c = consumedCapacity(name, units, *capacity);
      c["WriteCapacityUnits"] = units;
      consumed.push_back(std::move(c));
    }
    out["ConsumedCapacity"] = std::move(consumed);
  }
  return out;
}

core::Result<json::object> TableEngine::transactGetItems(std::string_view tenant,
                                                         const json::object& request) {
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  auto itemsRead = readTransactItems(request);
  if (!itemsRead) return itemsRead.error();
  const json::array& items = **itemsRead;
  struct Read {
    std::shared_ptr<const Table> table;
    std::string storageKey;
    std::optional<expression::Projection> projection;
  };
  std::vector<Read> reads;
  for (const json::value& entry : items) {
    const json::value* get = entry.is_object() ? entry.get_object().if_contains("Get") : nullptr;
    if (!get || !get->is_object()) {
      return invalid(
          "1 validation error detected: Value null at 'transactItems.1.member.get' failed to "
          "satisfy constraint: Member must not be null");
    }
    const json::object& spec = get->get_object();
    Read read;
    ExpressionInputs in;
    if (auto r = readExpressionInputs(spec, {"ProjectionExpression"}, {"AttributesToGet"}, in); !r)
      return r.error();
    auto projection = readProjection(spec, in);
    if (!projection) return projection.error();
    if (auto r = in.placeholders->checkAllUsed(); !r) return r.error();
    read.projection = std::move(*projection);
    auto table = requireTable(spec);
    if (!table) return table.error();
    read.table = *table;
    if (auto r = checkKeyPaths(read.table->schema, read.projection); !r) return r.error();
    auto key = readKey(read.table->schema, spec.if_contains("Key"));
    if (!key) return key.error();
    read.storageKey = itemKey(read.table->schema, tenant, *key);
    reads.push_back(std::move(read));
  }
  std::set<std::string_view> seen;
  for (const Read& r : reads) {
    if (!seen.insert(r.storageKey).second) {
      return invalid("Transaction request cannot include multiple operations on one item");
    }
  }
  std::vector<std::string_view> keys;
  for (const Read& r : reads) keys.push_back(r.storageKey);
  json::array responses;
  std::map<std::string, double> unitsByTable;
  {
    // Holding every item's lock makes the reads one serializable snapshot with respect to
    // writes and transactions.
    auto locks = lockStripes(keys);
    for (const Read& r : reads) {
      auto item = loadItem(r.storageKey);
      if (!item) return item.error();
      unitsByTable[r.table->schema.name] += 2 * readUnits(sizeOf(*item), true);
      if (*item) {
        responses.push_back(json::object{
            {"Item", toJson(r.projection ? expression::project(*r.projection, **item) : **item)}});
      } else {
        responses.push_back(json::object());
      }
    }
  }
  json::object out{{"Responses", std::move(responses)}};
  if (*capacity != CapacityMode::kNone) {
    json::array consumed;
    for (const auto& [name, units] : unitsByTable) {
      json::object c = consumedCapacity(name, units, *capacity);
      c["ReadCapacityUnits"] = units;
      consumed.push_back(std::move(c));
    }
    out["ConsumedCapacity"] = std::move(consumed);
  }
  return out;
}

}  // namespace bakery::table::engine
