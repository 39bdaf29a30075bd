#include "platform/table/engine/table_engine.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "core/time_format.h"
#include "platform/table/codec/attribute_json.h"
#include "platform/table/codec/item_codec.h"
#include "platform/table/codec/item_size.h"
#include "platform/table/engine/engine_internal.h"

namespace bakery::table::engine {

using namespace detail;  // NOLINT(google-build-using-namespace): the engine's own internals

namespace {

constexpr std::string_view kTablePrefix = "table/";
constexpr std::string_view kNextIdKey = "next-id";

class ScopedService final : public TableService {
 public:
  ScopedService(TableEngine& engine, std::string tenant)
      : engine_(engine), tenant_(std::move(tenant)) {}
  core::Result<json::object> call(Operation op, const json::object& request) override {
    return engine_.call(tenant_, op, request);
  }

 private:
  TableEngine& engine_;
  std::string tenant_;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// detail: keys, readers, projections

namespace detail {

core::Error resourceNotFound() {
  return core::Error("ResourceNotFoundException", 400, "Requested resource not found");
}

core::Error conditionalCheckFailed(const AttributeMap* item) {
  core::Error e("ConditionalCheckFailedException", 400, "The conditional request failed");
  if (item) {
    return std::move(e).withDetails(
        core::toJson(json::object{{"Item", codec::attributeMapToJson(*item)}}));
  }
  return e;
}

std::string tablePrefix(std::uint32_t tableId, std::string_view tenant) {
  std::string key;
  key.reserve(16 + tenant.size());
  codec::appendUint32(key, tableId);
  codec::appendEscaped(key, tenant);
  return key;
}

std::string indexPrefix(std::uint32_t indexId, std::string_view tenant) {
  return tablePrefix(indexId, tenant);
}

std::string tenantOfItemKey(std::string_view key) {
  std::string tenant;
  std::string_view rest = key.substr(std::min<std::size_t>(4, key.size()));
  for (std::size_t i = 0; i + 1 < rest.size(); ++i) {
    if (rest[i] == '\0' && rest[i + 1] == '\1') break;
    tenant.push_back(rest[i]);
    if (rest[i] == '\0') ++i;  // an escaped NUL: 0x00 0xff
  }
  return tenant;
}

namespace {

void appendPartitioned(std::string& key, const AttributeValue& partition,
                       const AttributeValue* sort) {
  std::string encoded;
  codec::appendKey(encoded, partition);
  std::uint16_t hash = codec::partitionHash(encoded);
  key.push_back(static_cast<char>(hash >> 8));
  key.push_back(static_cast<char>(hash & 0xff));
  key += encoded;
  if (sort) codec::appendKey(key, *sort);
}

const AttributeValue* typedMember(const AttributeMap& item, const KeyElement& element) {
  auto it = item.find(element.name);
  if (it == item.end() || it->second.type() != element.type) return nullptr;
  return &it->second;
}

}  // namespace

std::string itemKey(const TableSchema& schema, std::string_view tenant, const AttributeMap& key) {
  std::string out = tablePrefix(schema.id, tenant);
  const AttributeValue& pk = key.at(schema.partition.name);
  const AttributeValue* sk = schema.sort ? &key.at(schema.sort->name) : nullptr;
  appendPartitioned(out, pk, sk);
  return out;
}

std::optional<std::string> indexKey(const TableSchema& schema, const IndexSchema& index,
                                    std::string_view tenant, const AttributeMap& item) {
  const AttributeValue* ipk = typedMember(item, index.partition);
  if (!ipk) return std::nullopt;
  const AttributeValue* isk = nullptr;
  if (index.sort) {
    isk = typedMember(item, *index.sort);
    if (!isk) return std::nullopt;
  }
  std::string out = indexPrefix(index.id, tenant);
  appendPartitioned(out, *ipk, isk);
  // The table's primary key makes the entry unique: index keys need not be.
  codec::appendKey(out, item.at(schema.partition.name));
  if (schema.sort) codec::appendKey(out, item.at(schema.sort->name));
  return out;
}

AttributeMap keyOf(const TableSchema& schema, const AttributeMap& item) {
  AttributeMap key;
  key.emplace(schema.partition.name, item.at(schema.partition.name));
  if (schema.sort) key.emplace(schema.sort->name, item.at(schema.sort->name));
  return key;
}

AttributeMap keyOf(const TableSchema& schema, const IndexSchema* index, const AttributeMap& item) {
  AttributeMap key = keyOf(schema, item);
  if (index) {
    for (const KeyElement* e : {&index->partition, index->sort ? &*index->sort : nullptr}) {
      if (!e) continue;
      auto it = item.find(e->name);
      if (it != item.end()) key.insert_or_assign(e->name, it->second);
    }
  }
  return key;
}

AttributeMap projectForIndex(const TableSchema& schema, const IndexSchema& index,
                             const AttributeMap& item) {
  if (index.projection == ProjectionType::kAll) return item;
  AttributeMap out = keyOf(schema, &index, item);
  if (index.projection == ProjectionType::kInclude) {
    for (const std::string& name : index.nonKeyAttributes) {
      auto it = item.find(name);
      if (it != item.end()) out.insert_or_assign(name, it->second);
    }
  }
  return out;
}

std::optional<std::string_view> stringField(const json::object& o, std::string_view key) {
  return core::stringMember(o, key);
}

core::Result<std::optional<bool>> boolField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<bool>();
  if (!v->is_bool()) return codec::serializationError("Unexpected field type");
  return std::optional<bool>(v->get_bool());
}

core::Result<std::optional<AttributeMap>> attributeMapField(const json::object& o,
                                                            std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<AttributeMap>();
  auto m = codec::attributeMapFromJson(*v);
  if (!m) return m.error();
  return std::optional<AttributeMap>(std::move(*m));
}

namespace {

// `inItem`: the value came in an Item (PutItem) rather than a Key, which DynamoDB words
// differently.
core::Result<void> checkKeyValue(const AttributeValue& v, const KeyElement& element, bool partition,
                                 bool inItem) {
  if (v.type() != AttributeType::kN && v.scalar().empty()) {
    return invalid(fmt::format(
        "One or more parameter values {} The AttributeValue for a key attribute cannot contain "
        "an empty {} value. Key: {}",
        inItem ? "are not valid." : "were invalid:",
        v.type() == AttributeType::kS ? "string" : "binary", element.name));
  }
  if (v.type() != AttributeType::kN) {
    if (partition && v.scalar().size() > 2048) {
      return invalid(
          "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
          "size limit of2048 bytes");
    }
    if (!partition && v.scalar().size() > 1024) {
      return invalid(
          "One or more parameter values were invalid: Aggregated size of all range keys has "
          "exceeded the size limit of 1024 bytes");
    }
  }
  return {};
}

}  // namespace

core::Result<void> checkKey(const TableSchema& schema, const AttributeMap& key) {
  std::size_t expected = schema.sort ? 2 : 1;
  if (key.size() != expected) return invalid("The provided key element does not match the schema");
  for (const KeyElement* e : {&schema.partition, schema.sort ? &*schema.sort : nullptr}) {
    if (!e) continue;
    auto it = key.find(e->name);
    if (it == key.end() || it->second.type() != e->type) {
      return invalid("The provided key element does not match the schema");
    }
    if (auto r = checkKeyValue(it->second, *e, e == &schema.partition, false); !r) {
      return r.error();
    }
  }
  return {};
}

core::Result<AttributeMap> readKey(const TableSchema& schema, const json::value* key) {
  if (!key) {
    return invalid("The parameter 'Key' is required but was not present in the request");
  }
  auto m = codec::attributeMapFromJson(*key);
  if (!m) return m.error();
  if (auto r = checkKey(schema, *m); !r) return r.error();
  return std::move(*m);
}

core::Result<void> checkItemSize(const AttributeMap& item) {
  if (codec::itemSize(item) > codec::kMaxItemBytes) {
    return invalid("Item size has exceeded the maximum allowed size");
  }
  return {};
}

core::Result<void> checkItem(const TableSchema& schema, const AttributeMap& item) {
  for (const KeyElement* e : {&schema.partition, schema.sort ? &*schema.sort : nullptr}) {
    if (!e) continue;
    auto it = item.find(e->name);
    if (it == item.end()) {
      return invalid(fmt::format(
          "One or more parameter values were invalid: Missing the key {} in the item", e->name));
    }
    if (it->second.type() != e->type) {
      return invalid(fmt::format(
          "One or more parameter values were invalid: Type mismatch for key {} expected: {} "
          "actual: {}",
          e->name, typeName(e->type), typeName(it->second.type())));
    }
    if (auto r = checkKeyValue(it->second, *e, e == &schema.partition, true); !r) {
      return r.error();
    }
  }
  for (const IndexSchema& index : schema.indexes) {
    for (const KeyElement* e : {&index.partition, index.sort ? &*index.sort : nullptr}) {
      if (!e) continue;
      auto it = item.find(e->name);
      if (it == item.end()) continue;
      if (it->second.type() != e->type) {
        return invalid(
            fmt::format("One or more parameter values were invalid: Type mismatch for Index Key {} "
                        "Expected: {} Actual: {} IndexName: {}",
                        e->name, typeName(e->type), typeName(it->second.type()), index.name));
      }
      if (it->second.type() != AttributeType::kN && it->second.scalar().empty()) {
        return invalid(fmt::format(
            "One or more parameter values are not valid. A value specified for a secondary index "
            "key is not supported. The AttributeValue for a key attribute cannot contain an "
            "empty {} value. IndexName: {}, IndexKey: {}",
            it->second.type() == AttributeType::kS ? "string" : "binary", index.name, e->name));
      }
    }
  }
  return checkItemSize(item);
}

core::Result<AttributeMap> readItem(const TableSchema& schema, const json::value* item) {
  if (!item) {
    return invalid("The parameter 'Item' is required but was not present in the request");
  }
  auto m = codec::attributeMapFromJson(*item);
  if (!m) return m.error();
  if (auto r = checkItem(schema, *m); !r) return r.error();
  return std::move(*m);
}

core::Result<void> readExpressionInputs(const json::object& request,
                                        const std::vector<std::string_view>& expressions,
                                        const std::vector<std::string_view>& nonExpressions,
                                        ExpressionInputs& out) {
  bool anyExpression = false;
  bool anyValueExpression = false;
  std::string present;
  for (std::string_view e : expressions) {
    const json::value* v = request.if_contains(e);
    if (v && !v->is_null()) {
      anyExpression = true;
      if (e != "ProjectionExpression") anyValueExpression = true;
      if (!present.empty()) present += ", ";
      present += e;
    }
  }
  std::string legacy;
  for (std::string_view e : nonExpressions) {
    const json::value* v = request.if_contains(e);
    if (v && !v->is_null()) {
      if (!legacy.empty()) legacy += ", ";
      legacy += e;
    }
  }
  if (!legacy.empty()) {
    if (anyExpression) {
      return invalid(fmt::format(
          "Can not use both expression and non-expression parameters in the same request: "
          "Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
          legacy, present));
    }
    // The legacy parameters (Expected, AttributeUpdates, KeyConditions, ...) are not
    // implemented; ignoring one would silently drop a condition, so refuse the request.
    return invalid(fmt::format(
        "Legacy parameters are not supported by this endpoint: {{{}}}; use the expression "
        "parameters instead",
        legacy));
  }
  const json::value* names = request.if_contains("ExpressionAttributeNames");
  const json::value* values = request.if_contains("ExpressionAttributeValues");
  if (names && names->is_null()) names = nullptr;
  if (values && values->is_null()) values = nullptr;
  if (names && !anyExpression) {
    return invalid("ExpressionAttributeNames can only be specified when using expressions");
  }
  if (values && !anyValueExpression) {
    std::vector<std::string_view> valueExpressions;
    for (std::string_view e : expressions) {
      if (e != "ProjectionExpression") valueExpressions.push_back(e);
    }
    std::string list;
    for (std::size_t i = 0; i < valueExpressions.size(); ++i) {
      if (i) list += " and ";
      list += valueExpressions[i];
    }
    return invalid(fmt::format(
        "ExpressionAttributeValues can only be specified when using expressions: {} {} null", list,
        valueExpressions.size() > 1 ? "are" : "is"));
  }
  auto validKey = [](std::string_view k, char lead) {
    if (k.size() < 2 || k[0] != lead) return false;
    return std::all_of(k.begin() + 1, k.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
  };
  if (names) {
    if (!names->is_object()) return codec::serializationError("Unexpected field type");
    if (names->get_object().empty()) return invalid("ExpressionAttributeNames must not be empty");
    Names n;
    for (const auto& m : names->get_object()) {
      if (!validKey(m.key(), '#')) {
        return invalid(
            fmt::format("ExpressionAttributeNames contains invalid key: Syntax error; key: \"{}\"",
                        std::string_view(m.key())));
      }
      if (!m.value().is_string()) return codec::serializationError("Unexpected field type");
      n.emplace(std::string(m.key()), std::string(m.value().get_string()));
    }
    out.names = std::move(n);
  }
  if (values) {
    if (!values->is_object()) return codec::serializationError("Unexpected field type");
    if (values->get_object().empty()) {
      return invalid("ExpressionAttributeValues must not be empty");
    }
    for (const auto& m : values->get_object()) {
      if (!validKey(m.key(), ':')) {
        return invalid(
            fmt::format("ExpressionAttributeValues contains invalid key: Syntax error; key: \"{}\"",
                        std::string_view(m.key())));
      }
    }
    AttributeMap v;
    for (const auto& m : values->get_object()) {
      auto value = codec::attributeFromJson(m.value());
      if (!value) {
        if (value.error().type() != "ValidationException") return value.error();
        return invalid(
            fmt::format("ExpressionAttributeValues contains invalid value: {} for key {}",
                        value.error().message(), std::string_view(m.key())));
      }
      v.emplace(std::string(m.key()), std::move(*value));
    }
    out.values = std::move(v);
  }
  out.placeholders.emplace(out.names ? &*out.names : nullptr, out.values ? &*out.values : nullptr);
  return {};
}

core::Result<std::optional<expression::Condition>> readCondition(const json::object& request,
                                                                 std::string_view member,
                                                                 ExpressionInputs& in) {
  auto text = stringField(request, member);
  if (!text) return std::optional<expression::Condition>();
  auto c = expression::parseCondition(*text, member, *in.placeholders);
  if (!c) return c.error();
  return std::optional<expression::Condition>(std::move(*c));
}

core::Result<std::optional<expression::Projection>> readProjection(const json::object& request,
                                                                   ExpressionInputs& in) {
  auto text = stringField(request, "ProjectionExpression");
  if (!text) return std::optional<expression::Projection>();
  auto p = expression::parseProjection(*text, *in.placeholders);
  if (!p) return p.error();
  return std::optional<expression::Projection>(std::move(*p));
}

core::Result<void> checkKeyPaths(const TableSchema& schema,
                                 const std::optional<expression::Projection>& projection) {
  return projection ? checkKeyPaths(schema, projection->paths) : core::Result<void>();
}

core::Result<void> checkKeyPaths(const TableSchema& schema,
                                 const std::vector<expression::Path>& paths) {
  for (const expression::Path& p : paths) {
    if (p.size() < 2) continue;
    const std::string& top = p.front().name;
    if (schema.isKeyAttribute(top)) {
      return invalid(fmt::format(
          "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
          "allowed: Key: {}",
          top));
    }
    for (const IndexSchema& index : schema.indexes) {
      if (index.partition.name == top || (index.sort && index.sort->name == top)) {
        return invalid(fmt::format(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are "
            "not allowed: IndexKey: {}",
            top));
      }
    }
  }
  return {};
}

core::Result<CapacityMode> readCapacityMode(const json::object& request) {
  auto mode = stringField(request, "ReturnConsumedCapacity");
  if (!mode || *mode == "NONE") return CapacityMode::kNone;
  if (*mode == "TOTAL") return CapacityMode::kTotal;
  if (*mode == "INDEXES") return CapacityMode::kIndexes;
  return invalid(fmt::format(
      "1 validation error detected: Value '{}' at 'returnConsumedCapacity' failed to satisfy "
      "constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
      *mode));
}

double writeUnits(std::size_t bytes) {
  return std::max(1.0, std::ceil(static_cast<double>(bytes) / 1024.0));
}

double readUnits(std::size_t bytes, bool consistent) {
  double units = std::max(1.0, std::ceil(static_cast<double>(bytes) / 4096.0));
  return consistent ? units : units / 2;
}

json::object consumedCapacity(std::string_view table, double units, CapacityMode mode,
                              const json::object* indexes) {
  json::object c{{"TableName", table}, {"CapacityUnits", units}};
  if (mode == CapacityMode::kIndexes) {
    double tableUnits = units;
    if (indexes) {
      for (const auto& kind : *indexes) {
        for (const auto& i : kind.value().as_object()) {
          tableUnits -= i.value().as_object().at("CapacityUnits").to_number<double>();
        }
        c[kind.key()] = kind.value();
      }
    }
    c["Table"] = json::object{{"CapacityUnits", tableUnits}};
  }
  return c;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// TableEngine

TableEngine::TableEngine(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids,
                         EngineOptions options)
    : storage_(storage), clock_(clock), ids_(ids), options_(std::move(options)) {}

TableEngine::~TableEngine() { stop(); }

core::Result<void> TableEngine::open() {
  rocksdb::DB& db = storage_.db();
  std::string value;
  rocksdb::Status s = db.Get(rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta),
                             std::string(kNextIdKey), &value);
  if (s.ok()) nextId_ = static_cast<std::uint32_t>(codec::readUint64(value));
  std::unique_ptr<rocksdb::Iterator> it(
      db.NewIterator(rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta)));
  for (it->Seek(std::string(kTablePrefix)); it->Valid() && it->key().starts_with(kTablePrefix);
       it->Next()) {
    auto stored = core::parseJson(it->value().ToStringView(), "stored table");
    if (!stored || !stored->is_object()) return core::Error::internal("corrupt stored table");
    const json::object& o = stored->get_object();
    auto schema = schemaFromDescription(
        o.at("description").as_object(),
        static_cast<std::uint32_t>(o.at("id").to_number<std::int64_t>()),
        o.at("indexIds").as_object(), core::stringMember(o, "ttlAttribute").value_or(""));
    if (!schema) return schema.error();
    auto table = std::make_shared<Table>();
    table->schema = std::move(*schema);
    table->description = o.at("description").as_object();
    tables_.emplace(table->schema.name, std::move(table));
  }
  // The stream sequence continues after the highest one stored: the last record of each
  // table's range (sequences are global, so the maximum over tables), one seek per table.
  std::unique_ptr<rocksdb::Iterator> streams(
      db.NewIterator(rocksdb::ReadOptions(), storage_.family(storage::Family::kStreams)));
  std::uint64_t highest = 0;
  for (streams->SeekToFirst(); streams->Valid();) {
    std::string table = streams->key().ToString().substr(0, 4);
    std::string last = table;
    codec::appendUint64(last, ~std::uint64_t{0});
    streams->SeekForPrev(last);
    std::string_view k = streams->key().ToStringView();
    if (k.size() >= 12) highest = std::max(highest, codec::readUint64(k.substr(4)));
    last.push_back('\xff');
    streams->Seek(last);
  }
  streamSequence_ = highest;
  if (options_.ttlSweepInterval.count() > 0) sweeper_ = std::thread([this] { sweeperLoop(); });
  return {};
}

void TableEngine::stop() {
  {
    std::lock_guard lock(sweeperMu_);
    stopping_ = true;
  }
  sweeperWake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

void TableEngine::sweeperLoop() {
  std::unique_lock lock(sweeperMu_);
  while (!stopping_) {
    sweeperWake_.wait_for(lock, options_.ttlSweepInterval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    sweepExpired();
    trimRetained();
    lock.lock();
  }
}

core::Result<std::optional<AttributeMap>> TableEngine::getItem(std::string_view tenant,
                                                               std::string_view tableName,
                                                               const AttributeMap& key) {
  auto table = findTable(tableName);
  if (!table) return resourceNotFound();
  if (auto r = checkKey(table->schema, key); !r) return r.error();
  return loadItem(itemKey(table->schema, tenant, key));
}

std::unique_ptr<TableService> TableEngine::service(std::string tenant) {
  return std::make_unique<ScopedService>(*this, std::move(tenant));
}

core::Result<json::object> TableEngine::call(std::string_view tenant, Operation op,
                                             const json::object& request) {
  switch (op) {
    case Operation::kCreateTable:
      return createTable(request);
    case Operation::kDeleteTable:
      return deleteTable(request);
    case Operation::kDescribeTable:
      return describeTable(request);
    case Operation::kListTables:
      return listTables(request);
    case Operation::kUpdateTable:
      return updateTable(request);
    case Operation::kUpdateTimeToLive:
      return updateTimeToLive(request);
    case Operation::kDescribeTimeToLive:
      return describeTimeToLive(request);
    case Operation::kPutItem:
      return putItem(tenant, request);
    case Operation::kGetItem:
      return getItem(tenant, request);
    case Operation::kUpdateItem:
      return updateItem(tenant, request);
    case Operation::kDeleteItem:
      return deleteItem(tenant, request);
    case Operation::kQuery:
      return query(tenant, request);
    case Operation::kScan:
      return scan(tenant, request);
    case Operation::kBatchGetItem:
      return batchGetItem(tenant, request);
    case Operation::kBatchWriteItem:
      return batchWriteItem(tenant, request);
    case Operation::kTransactWriteItems:
      return transactWriteItems(tenant, request, nullptr);
    case Operation::kTransactGetItems:
      return transactGetItems(tenant, request);
  }
  return core::Error("UnknownOperationException", 400, "Unknown operation");
}

std::shared_ptr<const TableEngine::Table> TableEngine::findTable(std::string_view name) const {
  std::shared_lock lock(tablesMu_);
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second;
}

core::Result<std::shared_ptr<const TableEngine::Table>> TableEngine::requireTable(
    const json::object& request, std::string_view field) const {
  std::string member(field);
  member[0] = static_cast<char>(member[0] - 'A' + 'a');
  if (auto r = validateNameMember(request.if_contains(field), member); !r) return r.error();
  auto table = findTable(request.at(field).get_string());
  if (!table) return resourceNotFound();
  return table;
}

double TableEngine::nowSeconds() const {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.wallNow().time_since_epoch())
          .count();
  return static_cast<double>(micros / 1000) / 1000.0;
}

std::string TableEngine::arnPrefix() const {
  return fmt::format("arn:aws:dynamodb:{}:{}:table/", options_.region, options_.accountId);
}

std::mutex& TableEngine::stripeFor(std::string_view itemKey) {
  return stripes_[std::hash<std::string_view>{}(itemKey) % kStripes];
}

std::vector<std::unique_lock<std::mutex>> TableEngine::lockStripes(
    std::vector<std::string_view> itemKeys) {
  std::vector<std::size_t> indexes;
  for (std::string_view k : itemKeys)
    indexes.push_back(std::hash<std::string_view>{}(k) % kStripes);
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(indexes.size());
  for (std::size_t i : indexes) locks.emplace_back(stripes_[i]);
  return locks;
}

core::Result<std::optional<AttributeMap>> TableEngine::loadItem(const std::string& key) const {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = storage_.db().Get(rocksdb::ReadOptions(),
                                        storage_.family(storage::Family::kItems), key, &value);
  if (s.IsNotFound()) return std::optional<AttributeMap>();
  if (!s.ok()) return core::Error::internal("storage read failed: " + s.ToString());
  auto item = codec::decodeItem(value.ToStringView());
  if (!item) return item.error();
  return std::optional<AttributeMap>(std::move(*item));
}

void TableEngine::recordChange(WriteContext& w, const Table& table, std::string_view tenant,
                               const std::string& key, const AttributeMap* oldItem,
                               const AttributeMap* newItem, bool byTtl) {
  const TableSchema& schema = table.schema;
  rocksdb::ColumnFamilyHandle* items = storage_.family(storage::Family::kItems);
  rocksdb::ColumnFamilyHandle* indexes = storage_.family(storage::Family::kIndexes);
  if (newItem) {
    w.batch.Put(items, key, codec::encodeItem(*newItem));
  } else {
    w.batch.Delete(items, key);
  }
  for (const IndexSchema& index : schema.indexes) {
    std::optional<std::string> oldKey =
        oldItem ? indexKey(schema, index, tenant, *oldItem) : std::nullopt;
    std::optional<std::string> newKey =
        newItem ? indexKey(schema, index, tenant, *newItem) : std::nullopt;
    if (oldKey && oldKey != newKey) w.batch.Delete(indexes, *oldKey);
    if (newKey) {
      AttributeMap projected = projectForIndex(schema, index, *newItem);
      if (oldKey == newKey && projectForIndex(schema, index, *oldItem) == projected) continue;
      w.batch.Put(indexes, *newKey, codec::encodeItem(projected));
    }
  }
  if (!schema.streamEnabled || (!oldItem && !newItem)) return;
  const AttributeMap& any = newItem ? *newItem : *oldItem;
  json::object change;
  change["ApproximateCreationDateTime"] = std::floor(nowSeconds());
  change["Keys"] = codec::attributeMapToJson(keyOf(schema, any));
  const std::string& view = schema.streamViewType;
  if (newItem && (view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES")) {
    change["NewImage"] = codec::attributeMapToJson(*newItem);
  }
  if (oldItem && (view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES")) {
    change["OldImage"] = codec::attributeMapToJson(*oldItem);
  }
  change["SizeBytes"] = static_cast<std::int64_t>(codec::itemSize(any));
  change["StreamViewType"] = view;
  json::object record;
  record["eventID"] = ids_.uuid();
  record["eventName"] = !oldItem ? "INSERT" : (!newItem ? "REMOVE" : "MODIFY");
  record["eventVersion"] = "1.1";
  record["eventSource"] = "aws:dynamodb";
  record["awsRegion"] = options_.region;
  record["dynamodb"] = std::move(change);
  record["eventSourceARN"] = core::stringMember(table.description, "LatestStreamArn").value_or("");
  if (byTtl) {
    record["userIdentity"] =
        json::object{{"type", "Service"}, {"principalId", "dynamodb.amazonaws.com"}};
  }
  w.streamRecords.emplace_back(schema.id, std::move(record));
}

core::Result<void> TableEngine::commit(WriteContext& w) {
  // Sequence numbers are taken under the items' stripe locks, so the records of one item
  // are numbered in the order its changes commit.
  for (auto& [tableId, record] : w.streamRecords) {
    std::uint64_t seq = nextSequence();
    record["dynamodb"].as_object()["SequenceNumber"] = fmt::format("{:021}", seq);
    std::string key;
    codec::appendUint32(key, tableId);
    codec::appendUint64(key, seq);
    w.batch.Put(storage_.family(storage::Family::kStreams), key, core::toJson(record));
  }
  return storage_.write(w.batch);
}

core::Result<std::vector<StreamRecord>> TableEngine::readStream(std::string_view tableName,
                                                                std::uint64_t after,
                                                                std::size_t limit) {
  auto table = findTable(tableName);
  if (!table) return resourceNotFound();
  std::string start;
  codec::appendUint32(start, table->schema.id);
  std::string prefix = start;
  codec::appendUint64(start, after + 1);
  std::vector<StreamRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(storage_.db().NewIterator(
      rocksdb::ReadOptions(), storage_.family(storage::Family::kStreams)));
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix) && out.size() < limit;
       it->Next()) {
    auto record = core::parseJson(it->value().ToStringView(), "stream record");
    if (!record || !record->is_object()) return core::Error::internal("corrupt stream record");
    out.push_back(
        {codec::readUint64(it->key().ToStringView().substr(4)), std::move(record->get_object())});
  }
  return out;
}

std::size_t TableEngine::trimRetained() {
  constexpr double kStreamRetentionSeconds = 24 * 3600;
  double now = nowSeconds();
  std::size_t dropped = 0;
  rocksdb::DB& db = storage_.db();
  rocksdb::WriteBatch batch;
  // Stream records: per table, sequence order is time order, so the expired records are a
  // prefix of the table's range.
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db.NewIterator(rocksdb::ReadOptions(), storage_.family(storage::Family::kStreams)));
    it->SeekToFirst();
    while (it->Valid()) {
      std::string table = it->key().ToString().substr(0, 4);
      std::string firstKept;
      std::string start = it->key().ToString();
      std::size_t expired = 0;
      for (; it->Valid() && it->key().starts_with(table); it->Next()) {
        auto record = core::parseJson(it->value().ToStringView(), "stream record");
        double created = 0;
        if (record && record->is_object()) {
          const json::value* d = record->get_object().if_contains("dynamodb");
          const json::value* t = d && d->is_object()
                                     ? d->get_object().if_contains("ApproximateCreationDateTime")
                                     : nullptr;
          if (t && t->is_number()) created = t->to_number<double>();
        }
        if (created >= now - kStreamRetentionSeconds) {
          firstKept = it->key().ToString();
          break;
        }
        ++expired;
      }
      if (expired > 0) {
        std::string end = firstKept;
        if (end.empty()) {
          // Every record of this table expired: up to the next table id.
          end = table;
          codec::appendUint64(end, ~std::uint64_t{0});
          end.push_back('\xff');
        }
        batch.DeleteRange(storage_.family(storage::Family::kStreams), start, end);
        dropped += expired;
      }
      // Skip to the next table.
      std::string next = table;
      codec::appendUint64(next, ~std::uint64_t{0});
      next.push_back('\xff');
      it->Seek(next);
    }
  }
  // Transaction tokens past their lifetime.
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db.NewIterator(rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta)));
    auto expired = [now](std::string_view value) {
      auto record = core::parseJson(value, "token record");
      const json::value* expires =
          record && record->is_object() ? record->get_object().if_contains("expires") : nullptr;
      return !expires || !expires->is_number() || expires->to_number<double>() <= now;
    };
    for (it->Seek("token/"); it->Valid() && it->key().starts_with("token/"); it->Next()) {
      if (!expired(it->value().ToStringView())) continue;
      // Under the token's lock, as transactions read and write it: a transaction that has
      // just reused the token must keep its fresh record.
      std::string key = it->key().ToString();
      std::lock_guard lock(stripeFor(key));
      std::string value;
      if (!db.Get(rocksdb::ReadOptions(), storage_.family(storage::Family::kMeta), key, &value)
               .ok() ||
          !expired(value)) {
        continue;
      }
      rocksdb::WriteBatch one;
      one.Delete(storage_.family(storage::Family::kMeta), key);
      if (storage_.write(one)) ++dropped;
    }
  }
  if (batch.Count() > 0 && !storage_.write(batch)) return 0;
  return dropped;
}

std::size_t TableEngine::sweepExpired() {
  std::vector<std::shared_ptr<const Table>> tables;
  {
    std::shared_lock lock(tablesMu_);
    for (const auto& [name, t] : tables_) {
      if (!t->schema.ttlAttribute.empty()) tables.push_back(t);
    }
  }
  double now = nowSeconds();
  constexpr double kFiveYears = 5.0 * 365 * 24 * 3600;
  auto expired = [&](const Table& t, const AttributeMap& item) {
    auto it = item.find(t.schema.ttlAttribute);
    if (it == item.end() || !it->second.is(AttributeType::kN)) return false;
    double when = std::strtod(it->second.scalar().c_str(), nullptr);
    return when <= now && when >= now - kFiveYears;
  };
  std::size_t deleted = 0;
  for (const auto& table : tables) {
    std::string prefix;
    codec::appendUint32(prefix, table->schema.id);
    std::unique_ptr<rocksdb::Iterator> it(storage_.db().NewIterator(
        rocksdb::ReadOptions(), storage_.family(storage::Family::kItems)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto item = codec::decodeItem(it->value().ToStringView());
      if (!item || !expired(*table, *item)) continue;
      std::string key = it->key().ToString();
      std::string tenant = tenantOfItemKey(key);
      std::lock_guard lock(stripeFor(key));
      auto current = loadItem(key);
      if (!current || !*current || !expired(*table, **current)) continue;
      WriteContext w;
      recordChange(w, *table, tenant, key, &**current, nullptr, /*byTtl=*/true);
      if (commit(w)) ++deleted;
    }
  }
  return deleted;
}

}  // namespace bakery::table::engine
