// Table operations: CreateTable, DeleteTable, DescribeTable, ListTables, UpdateTable,
// UpdateTimeToLive, DescribeTimeToLive.
#include <algorithm>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "core/time_format.h"
#include "platform/table/codec/attribute_json.h"
#include "platform/table/codec/item_codec.h"
#include "platform/table/codec/item_size.h"
#include "platform/table/engine/engine_internal.h"
#include "platform/table/engine/table_engine.h"

namespace bakery::table::engine {

using namespace detail;  // NOLINT(google-build-using-namespace)

namespace {

core::Error tableNotFound(std::string_view name) {
  return core::Error("ResourceNotFoundException", 400,
                     fmt::format("Requested resource not found: Table: {} not found", name));
}

std::string metaKey(std::string_view name) { return "table/" + std::string(name); }

std::string endOf(std::string prefix) {
  // The smallest key above every key starting with `prefix` (prefix never ends in 0xff here:
  // it is a table id).
  for (std::size_t i = prefix.size(); i-- > 0;) {
    if (static_cast<unsigned char>(prefix[i]) != 0xff) {
      prefix[i] = static_cast<char>(static_cast<unsigned char>(prefix[i]) + 1);
      prefix.resize(i + 1);
      return prefix;
    }
  }
  return prefix + '\xff';
}

std::string idPrefix(std::uint32_t id) {
  std::string p;
  codec::appendUint32(p, id);
  return p;
}

}  // namespace

core::Result<void> TableEngine::persistTable(const Table& table) {
  json::object indexIds;
  for (const IndexSchema& i : table.schema.indexes) indexIds[i.name] = i.id;
  json::object stored{{"description", table.description},
                      {"id", table.schema.id},
                      {"indexIds", std::move(indexIds)},
                      {"ttlAttribute", table.schema.ttlAttribute}};
  rocksdb::WriteBatch batch;
  batch.Put(storage_.family(storage::Family::kMeta), metaKey(table.schema.name),
            core::toJson(stored));
  std::string next;
  codec::appendUint64(next, nextId_);
  batch.Put(storage_.family(storage::Family::kMeta), "next-id", next);
  return storage_.write(batch);
}

json::object TableEngine::describe(const Table& table) const {
  json::object d = table.description;
  // Item counts and sizes: DynamoDB refreshes them about every six hours; counting on
  // request gives the exact figure at the cost of a scan, fine for a describe call.
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::string prefix = idPrefix(table.schema.id);
  std::string end = endOf(prefix);
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(end);
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_.db().NewIterator(ro, storage_.family(storage::Family::kItems)));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    ++count;
    auto item = codec::decodeItem(it->value().ToStringView());
    if (item) bytes += codec::itemSize(*item);
  }
  d["ItemCount"] = count;
  d["TableSizeBytes"] = bytes;
  return d;
}

core::Result<json::object> TableEngine::createTable(const json::object& request) {
  auto description = validateCreateTable(request, nowSeconds(), arnPrefix());
  if (!description) return description.error();
  std::lock_guard ddl(ddlMu_);
  std::string name(request.at("TableName").get_string());
  if (findTable(name)) {
    return core::Error("ResourceInUseException", 400,
                       fmt::format("Table already exists: {}", name));
  }
  json::object& d = *description;
  d["TableId"] = ids_.uuid();
  if (d.contains("StreamSpecification")) {
    std::string label = core::rfc3339Micro(clock_.wallNow());
    label.resize(std::min<std::size_t>(label.size(), 23));  // yyyy-mm-ddThh:mm:ss.mmm
    d["LatestStreamLabel"] = label;
    d["LatestStreamArn"] = arnPrefix() + name + "/stream/" + label;
  }
  json::object ids;
  std::uint32_t tableId = nextId_++;
  for (std::string_view kind : {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"}) {
    if (const json::value* list = d.if_contains(kind)) {
      for (const json::value& index : list->get_array()) {
        ids[index.at("IndexName").get_string()] = nextId_++;
      }
    }
  }
  auto schema = schemaFromDescription(d, tableId, ids, "");
  if (!schema) return schema.error();
  auto table = std::make_shared<Table>();
  table->schema = std::move(*schema);
  table->description = d;
  if (auto r = persistTable(*table); !r) return r.error();
  {
    std::unique_lock lock(tablesMu_);
    tables_[name] = table;
  }
  // DynamoDB answers CreateTable with CREATING; the table here is usable at once, and the
  // next DescribeTable says ACTIVE (clients wait for that, e.g. `aws dynamodb wait`).
  d["TableStatus"] = "CREATING";
  if (json::value* gsis = d.if_contains("GlobalSecondaryIndexes")) {
    for (json::value& index : gsis->as_array()) index.as_object()["IndexStatus"] = "CREATING";
  }
  return json::object{{"TableDescription", std::move(d)}};
}

core::Result<json::object> TableEngine::deleteTable(const json::object& request) {
  if (auto r = validateTableName(request.if_contains("TableName"), "TableName"); !r) {
    return r.error();
  }
  std::lock_guard ddl(ddlMu_);
  std::string name(request.at("TableName").get_string());
  auto table = findTable(name);
  if (!table) return tableNotFound(name);
  json::object d = describe(*table);
  d["TableStatus"] = "DELETING";
  // Drop the definition and every record of the table in one batch. Ids are never reused,
  // so a table re-created under the same name starts empty even before compaction.
  rocksdb::WriteBatch batch;
  batch.Delete(storage_.family(storage::Family::kMeta), metaKey(name));
  auto dropRange = [&](storage::Family family, std::uint32_t id) {
    std::string prefix = idPrefix(id);
    batch.DeleteRange(storage_.family(family), prefix, endOf(prefix));
  };
  dropRange(storage::Family::kItems, table->schema.id);
  dropRange(storage::Family::kStreams, table->schema.id);
  for (const IndexSchema& i : table->schema.indexes) dropRange(storage::Family::kIndexes, i.id);
  if (auto r = storage_.write(batch); !r) return r.error();
  {
    std::unique_lock lock(tablesMu_);
    tables_.erase(name);
  }
  return json::object{{"TableDescription", std::move(d)}};
}

core::Result<json::object> TableEngine::describeTable(const json::object& request) {
  if (auto r = validateTableName(request.if_contains("TableName"), "TableName"); !r) {
    return r.error();
  }
  std::string_view name = request.at("TableName").get_string();
  auto table = findTable(name);
  if (!table) return tableNotFound(name);
  return json::object{{"Table", describe(*table)}};
}

core::Result<json::object> TableEngine::listTables(const json::object& request) {
  std::int64_t limit = 100;
  if (const json::value* v = request.if_contains("Limit"); v && !v->is_null()) {
    auto n = core::integerValue(*v);
    if (!n) return codec::serializationError("Unexpected field type");
    if (*n < 1 || *n > 100) {
      return invalid(fmt::format(
          "1 validation error detected: Value '{}' at 'limit' failed to satisfy constraint: "
          "Member must have value {} {}",
          *n, *n < 1 ? "greater than or equal to" : "less than or equal to", *n < 1 ? 1 : 100));
    }
    limit = *n;
  }
  std::string start;
  if (const json::value* v = request.if_contains("ExclusiveStartTableName"); v && !v->is_null()) {
    if (auto r = validateNameMember(v, "exclusiveStartTableName"); !r) return r.error();
    start = std::string(v->get_string());
  }
  json::array names;
  std::string last;
  bool more = false;
  {
    std::shared_lock lock(tablesMu_);
    auto it = start.empty() ? tables_.begin() : tables_.upper_bound(start);
    for (; it != tables_.end(); ++it) {
      if (static_cast<std::int64_t>(names.size()) == limit) {
        more = true;
        break;
      }
      names.emplace_back(it->first);
      last = it->first;
    }
  }
  json::object out{{"TableNames", std::move(names)}};
  if (more) out["LastEvaluatedTableName"] = last;
  return out;
}

core::Result<json::object> TableEngine::updateTable(const json::object& request) {
  if (auto r = validateTableName(request.if_contains("TableName"), "TableName"); !r) {
    return r.error();
  }
  std::lock_guard ddl(ddlMu_);
  std::string name(request.at("TableName").get_string());
  auto current = findTable(name);
  if (!current) return tableNotFound(name);
  const json::value* updates = request.if_contains("GlobalSecondaryIndexUpdates");
  const json::value* billing = request.if_contains("BillingMode");
  const json::value* throughput = request.if_contains("ProvisionedThroughput");
  const json::value* stream = request.if_contains("StreamSpecification");
  if (!updates && !billing && !throughput && !stream) {
    return invalid(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
        "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
  }
  auto table = std::make_shared<Table>(*current);
  json::object& d = table->description;
  std::vector<IndexSchema*> backfill;
  std::vector<std::uint32_t> droppedIndexes;
  if (updates) {
    if (!updates->is_array()) return codec::serializationError("Unexpected field type");
    std::size_t structural = 0;
    for (const json::value& u : updates->get_array()) {
      if (u.is_object() &&
          (u.get_object().contains("Create") || u.get_object().contains("Delete"))) {
        ++structural;
      }
    }
    if (structural > 1) {
      return core::Error("LimitExceededException", 400,
                         "Subscriber limit exceeded: Only 1 online index can be created or deleted "
                         "simultaneously per table");
    }
    for (const json::value& u : updates->get_array()) {
      if (!u.is_object()) return codec::serializationError("Unexpected field type");
      const json::object& update = u.get_object();
      if (const json::value* create = update.if_contains("Create")) {
        if (!create->is_object()) return codec::serializationError("Unexpected field type");
        const json::value* defs = request.if_contains("AttributeDefinitions");
        const json::array* defsArray = defs && defs->is_array() ? &defs->get_array() : nullptr;
        auto index = validateCreateIndex(create->get_object(), d, defsArray, arnPrefix());
        if (!index) return index.error();
        if (defsArray) {
          json::array merged = d["AttributeDefinitions"].as_array();
          for (const json::value& def : *defsArray) {
            bool present = std::any_of(merged.begin(), merged.end(), [&](const json::value& m) {
              return m.at("AttributeName") == def.at("AttributeName");
            });
            if (!present) merged.push_back(def);
          }
          d["AttributeDefinitions"] = std::move(merged);
        }
        if (!d.contains("GlobalSecondaryIndexes")) d["GlobalSecondaryIndexes"] = json::array();
        d["GlobalSecondaryIndexes"].as_array().push_back(std::move(*index));
      } else if (const json::value* del = update.if_contains("Delete")) {
        std::string indexName(core::stringMember(del->as_object(), "IndexName").value_or(""));
        json::array* list = d.contains("GlobalSecondaryIndexes")
                                ? &d["GlobalSecondaryIndexes"].as_array()
                                : nullptr;
        auto it = list ? std::find_if(list->begin(), list->end(),
                                      [&](const json::value& i) {
                                        return i.at("IndexName").get_string() == indexName;
                                      })
                       : json::array::iterator{};
        if (!list || it == list->end()) {
          return core::Error("ResourceNotFoundException", 400,
                             fmt::format("Requested resource not found: Index: {} not found "
                                         "for table: {}",
                                         indexName, name));
        }
        list->erase(it);
        if (list->empty()) d.erase("GlobalSecondaryIndexes");
        if (const IndexSchema* old = current->schema.index(indexName)) {
          droppedIndexes.push_back(old->id);
        }
      } else if (update.contains("Update")) {
        // Provisioned throughput of an index: accepted, nothing to enforce locally.
      }
    }
  }
  if (billing && billing->is_string()) {
    if (billing->get_string() == "PAY_PER_REQUEST") {
      d["BillingModeSummary"] = json::object{{"BillingMode", "PAY_PER_REQUEST"},
                                             {"LastUpdateToPayPerRequestDateTime", nowSeconds()}};
      d["ProvisionedThroughput"] = json::object{
          {"NumberOfDecreasesToday", 0}, {"ReadCapacityUnits", 0}, {"WriteCapacityUnits", 0}};
    } else {
      d.erase("BillingModeSummary");
    }
  }
  if (throughput && throughput->is_object()) {
    json::object t = throughput->get_object();
    t["NumberOfDecreasesToday"] = 0;
    d["ProvisionedThroughput"] = std::move(t);
  }
  if (stream && stream->is_object()) {
    const json::value* enabled = stream->get_object().if_contains("StreamEnabled");
    if (enabled && enabled->is_bool() && enabled->get_bool()) {
      if (current->schema.streamEnabled) {
        return invalid(fmt::format("Table already has an enabled stream: {}",
                                   core::stringMember(d, "LatestStreamArn").value_or("")));
      }
      std::string view(core::stringMember(stream->get_object(), "StreamViewType").value_or(""));
      d["StreamSpecification"] = json::object{{"StreamEnabled", true}, {"StreamViewType", view}};
      std::string label = core::rfc3339Micro(clock_.wallNow());
      label.resize(std::min<std::size_t>(label.size(), 23));
      d["LatestStreamLabel"] = label;
      d["LatestStreamArn"] = arnPrefix() + name + "/stream/" + label;
    } else {
      d.erase("StreamSpecification");
    }
  }
  json::object ids;
  for (const IndexSchema& i : current->schema.indexes) ids[i.name] = i.id;
  if (const json::value* list = d.if_contains("GlobalSecondaryIndexes")) {
    for (const json::value& index : list->get_array()) {
      std::string_view indexName = index.at("IndexName").get_string();
      if (!ids.contains(indexName)) ids[indexName] = nextId_++;
    }
  }
  auto schema = schemaFromDescription(d, current->schema.id, ids, current->schema.ttlAttribute);
  if (!schema) return schema.error();
  table->schema = std::move(*schema);
  for (IndexSchema& i : table->schema.indexes) {
    if (!current->schema.index(i.name)) backfill.push_back(&i);
  }
  if (auto r = persistTable(*table); !r) return r.error();
  // Publish the new schema first, so writes from now on maintain the new index; then fill
  // the index from the existing items under each item's lock.
  {
    std::unique_lock lock(tablesMu_);
    tables_[name] = table;
  }
  rocksdb::WriteBatch drop;
  for (std::uint32_t id : droppedIndexes) {
    std::string prefix = idPrefix(id);
    drop.DeleteRange(storage_.family(storage::Family::kIndexes), prefix, endOf(prefix));
  }
  if (drop.Count() > 0) {
    if (auto r = storage_.write(drop); !r) return r.error();
  }
  if (!backfill.empty()) {
    std::string prefix = idPrefix(table->schema.id);
    std::string end = endOf(prefix);
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(
        storage_.db().NewIterator(ro, storage_.family(storage::Family::kItems)));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      std::string key = it->key().ToString();
      std::string tenant = tenantOfItemKey(key);
      std::lock_guard lock(stripeFor(key));
      auto item = loadItem(key);
      if (!item) return item.error();
      if (!*item) continue;
      rocksdb::WriteBatch batch;
      for (IndexSchema* index : backfill) {
        if (auto k = indexKey(table->schema, *index, tenant, **item)) {
          batch.Put(storage_.family(storage::Family::kIndexes), *k,
                    codec::encodeItem(projectForIndex(table->schema, *index, **item)));
        }
      }
      if (batch.Count() > 0) {
        if (auto r = storage_.write(batch); !r) return r.error();
      }
    }
  }
  return json::object{{"TableDescription", describe(*table)}};
}

core::Result<json::object> TableEngine::updateTimeToLive(const json::object& request) {
  if (auto r = validateTableName(request.if_contains("TableName"), "TableName"); !r) {
    return r.error();
  }
  const json::value* spec = request.if_contains("TimeToLiveSpecification");
  if (!spec) {
    return invalid(
        "The parameter 'TimeToLiveSpecification' is required but was not present in the request");
  }
  if (!spec->is_object()) return codec::serializationError("Unexpected field type");
  auto attribute = core::stringMember(spec->get_object(), "AttributeName");
  auto enabled = boolField(spec->get_object(), "Enabled");
  if (!enabled) return enabled.error();
  if (!attribute || attribute->empty() || !*enabled) {
    return invalid(
        "One or more parameter values were invalid: TimeToLiveSpecification requires both "
        "AttributeName and Enabled");
  }
  std::lock_guard ddl(ddlMu_);
  std::string name(request.at("TableName").get_string());
  auto current = findTable(name);
  if (!current) return tableNotFound(name);
  bool enable = **enabled;
  if (enable && !current->schema.ttlAttribute.empty()) {
    return invalid("TimeToLive is already enabled");
  }
  if (!enable && current->schema.ttlAttribute.empty()) {
    return invalid("TimeToLive is already disabled");
  }
  if (!enable && current->schema.ttlAttribute != *attribute) {
    return invalid("TimeToLive is active on a different AttributeName: current AttributeName is " +
                   current->schema.ttlAttribute);
  }
  auto table = std::make_shared<Table>(*current);
  table->schema.ttlAttribute = enable ? std::string(*attribute) : std::string();
  if (auto r = persistTable(*table); !r) return r.error();
  {
    std::unique_lock lock(tablesMu_);
    tables_[name] = table;
  }
  return json::object{{"TimeToLiveSpecification",
                       json::object{{"AttributeName", *attribute}, {"Enabled", enable}}}};
}

core::Result<json::object> TableEngine::describeTimeToLive(const json::object& request) {
  if (auto r = validateTableName(request.if_contains("TableName"), "TableName"); !r) {
    return r.error();
  }
  std::string_view name = request.at("TableName").get_string();
  auto table = findTable(name);
  if (!table) return tableNotFound(name);
  json::object description;
  if (table->schema.ttlAttribute.empty()) {
    description["TimeToLiveStatus"] = "DISABLED";
  } else {
    description["TimeToLiveStatus"] = "ENABLED";
    description["AttributeName"] = table->schema.ttlAttribute;
  }
  return json::object{{"TimeToLiveDescription", std::move(description)}};
}

}  // namespace bakery::table::engine
