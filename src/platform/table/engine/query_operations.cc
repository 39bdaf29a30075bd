// Query and Scan: range reads over the items family or an index, with DynamoDB's paging
// (Limit counts items read, 1 MB pages measured before the filter), filters, projections,
// Select and parallel-scan segments.
#include <cmath>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "platform/table/codec/attribute_json.h"
#include "platform/table/codec/item_codec.h"
#include "platform/table/codec/item_size.h"
#include "platform/table/engine/engine_internal.h"
#include "platform/table/engine/table_engine.h"

namespace bakery::table::engine {

using namespace detail;  // NOLINT(google-build-using-namespace)

namespace {

constexpr std::size_t kPageBytes = 1024 * 1024;

// The smallest key greater than every key that starts with `prefix`.
std::string prefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(8, '\xff');
}

// Common request members of Query and Scan.
struct ReadRequest {
  std::shared_ptr<const TableEngine::Table> table;
  const IndexSchema* index = nullptr;
  std::string
      select;  // resolved: ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES, COUNT
  std::optional<std::int64_t> limit;
  bool consistent = false;
  bool forward = true;
  std::optional<AttributeMap> exclusiveStartKey;
  std::optional<expression::Condition> filter;
  std::optional<expression::Projection> projection;
  std::optional<expression::KeyCondition> keyCondition;
  CapacityMode capacity = CapacityMode::kNone;
  bool fetchFromTable = false;  // LSI query for attributes outside the projection
};

core::Result<void> readCommon(const json::object& request, ReadRequest& r) {
  auto capacity = readCapacityMode(request);
  if (!capacity) return capacity.error();
  r.capacity = *capacity;
  if (const json::value* v = request.if_contains("Limit"); v && !v->is_null()) {
    auto n = core::integerValue(*v);
    if (!n) return codec::serializationError("Unexpected field type");
    if (*n < 1) {
      return invalid(fmt::format(
          "1 validation error detected: Value '{}' at 'limit' failed to satisfy constraint: "
          "Member must have value greater than or equal to 1",
          *n));
    }
    r.limit = *n;
  }
  auto consistent = boolField(request, "ConsistentRead");
  if (!consistent) return consistent.error();
  r.consistent = consistent->value_or(false);
  auto forward = boolField(request, "ScanIndexForward");
  if (!forward) return forward.error();
  r.forward = forward->value_or(true);
  if (const json::value* v = request.if_contains("Select"); v && !v->is_null()) {
    if (!v->is_string()) return codec::serializationError("Unexpected field type");
    std::string_view s = v->get_string();
    if (s != "ALL_ATTRIBUTES" && s != "ALL_PROJECTED_ATTRIBUTES" && s != "SPECIFIC_ATTRIBUTES" &&
        s != "COUNT") {
      return invalid(fmt::format(
          "1 validation error detected: Value '{}' at 'select' failed to satisfy constraint: "
          "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, "
          "ALL_PROJECTED_ATTRIBUTES]",
          s));
    }
    r.select = std::string(s);
  }
  if (const json::value* v = request.if_contains("ExclusiveStartKey"); v && !v->is_null()) {
    auto key = codec::attributeMapFromJson(*v);
    if (!key) {
      const std::string& m = key.error().message();
      bool bare = m.find("contains duplicates") != std::string::npos ||
                  m.find("number set") != std::string::npos ||
                  m.find("numeric value") != std::string::npos ||
                  m.find("significant digits") != std::string::npos ||
                  m.find("number with magnitude") != std::string::npos;
      if (bare || key.error().type() != "ValidationException") return key.error();
      return invalid("The provided starting key is invalid: " + m);
    }
    r.exclusiveStartKey = std::move(*key);
  }
  return {};
}

// Resolves the table, the index and Select; checks the combinations DynamoDB refuses.
core::Result<void> resolveTarget(const json::object& request,
                                 std::shared_ptr<const TableEngine::Table> table, ReadRequest& r) {
  r.table = std::move(table);
  if (auto name = stringField(request, "IndexName")) {
    r.index = r.table->schema.index(*name);
    if (!r.index) {
      return invalid(fmt::format("The table does not have the specified index: {}", *name));
    }
    if (r.index->global && r.consistent) {
      return invalid("Consistent reads are not supported on global secondary indexes");
    }
  }
  bool hasProjection = r.projection.has_value();
  if (r.select.empty()) {
    r.select = hasProjection ? "SPECIFIC_ATTRIBUTES"
               : r.index     ? "ALL_PROJECTED_ATTRIBUTES"
                             : "ALL_ATTRIBUTES";
  } else if (hasProjection && r.select != "SPECIFIC_ATTRIBUTES") {
    return invalid(fmt::format(
        "One or more parameter values were invalid: Select type {} is not supported when "
        "ProjectionExpression is specified",
        r.select));
  }
  if (r.select == "ALL_PROJECTED_ATTRIBUTES" && !r.index) {
    return invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  }
  if (r.index && r.select == "ALL_ATTRIBUTES" && r.index->projection != ProjectionType::kAll) {
    if (r.index->global) {
      return invalid(fmt::format(
          "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
          "supported for global secondary index {} because its projection type is not ALL",
          r.index->name));
    }
    r.fetchFromTable = true;
  }
  return {};
}

// Key attribute names a page's LastEvaluatedKey carries: the table's, plus the index's.
std::vector<const KeyElement*> startKeyElements(const ReadRequest& r) {
  const TableSchema& s = r.table->schema;
  std::vector<const KeyElement*> out{&s.partition};
  if (s.sort) out.push_back(&*s.sort);
  if (r.index) {
    for (const KeyElement* e : {&r.index->partition, r.index->sort ? &*r.index->sort : nullptr}) {
      if (e && !s.isKeyAttribute(e->name)) out.push_back(e);
    }
  }
  return out;
}

core::Result<std::string> startStorageKey(const ReadRequest& r, std::string_view tenant) {
  const AttributeMap& k = *r.exclusiveStartKey;
  auto elements = startKeyElements(r);
  // Without an index a start key that names other attributes "does not match the schema";
  // on an index DynamoDB says only that it is invalid.
  auto mismatch = [&] {
    return invalid(r.index ? "The provided starting key is invalid"
                           : "The provided starting key is invalid: The provided key element "
                             "does not match the schema");
  };
  if (k.size() != elements.size()) return mismatch();
  for (const KeyElement* e : elements) {
    auto it = k.find(e->name);
    if (it == k.end()) return mismatch();
    if (it->second.type() != e->type) {
      return invalid(
          "The provided starting key is invalid: The provided key element does not "
          "match the schema");
    }
  }
  if (r.index) {
    auto key = indexKey(r.table->schema, *r.index, tenant, k);
    if (!key) return invalid("The provided starting key is invalid");
    return std::move(*key);
  }
  return itemKey(r.table->schema, tenant, k);
}

struct Page {
  json::array items;
  std::int64_t count = 0;
  std::int64_t scanned = 0;
  std::optional<AttributeMap> lastKey;
  std::size_t bytesRead = 0;
};

}  // namespace

// Reads [lower, upper) of the table or index in `r`, forward or backward, applying Limit,
// the 1 MB page rule, the filter and the projection.
struct RangeReader {
  storage::Storage& storage;
  const ReadRequest& r;
  std::string_view tenant;

  core::Result<Page> read(const std::string& lower, const std::string& upper,
                          const std::optional<std::string>& exclusiveStart,
                          const std::function<bool(const AttributeMap&)>& inRange) const {
    Page page;
    rocksdb::ReadOptions ro;
    rocksdb::Slice lowerSlice(lower);
    rocksdb::Slice upperSlice(upper);
    ro.iterate_lower_bound = &lowerSlice;
    ro.iterate_upper_bound = &upperSlice;
    auto family = storage.family(r.index ? storage::Family::kIndexes : storage::Family::kItems);
    std::unique_ptr<rocksdb::Iterator> it(storage.db().NewIterator(ro, family));
    if (r.forward) {
      if (exclusiveStart) {
        it->Seek(*exclusiveStart);
        if (it->Valid() && it->key() == rocksdb::Slice(*exclusiveStart)) it->Next();
      } else {
        it->SeekToFirst();
      }
    } else {
      if (exclusiveStart) {
        it->SeekForPrev(*exclusiveStart);
        if (it->Valid() && it->key() == rocksdb::Slice(*exclusiveStart)) it->Prev();
      } else {
        it->SeekToLast();
      }
    }
    const std::string sortKeyName =
        r.index ? (r.index->sort ? r.index->sort->name : std::string())
                : (r.table->schema.sort ? r.table->schema.sort->name : std::string());
    std::size_t pageSize = 0;
    // The stored bytes of the last item read: its key is needed only if the page stops
    // there, so it is decoded once at the end rather than built for every item.
    std::string last;
    bool stopped = false;
    for (; it->Valid(); r.forward ? it->Next() : it->Prev()) {
      if ((r.limit && page.scanned >= *r.limit) || pageSize >= kPageBytes) {
        stopped = true;
        break;
      }
      auto decoded = codec::decodeItem(it->value().ToStringView());
      if (!decoded) return decoded.error();
      AttributeMap item = std::move(*decoded);
      if (inRange && !inRange(item)) continue;
      ++page.scanned;
      pageSize += codec::storedSize(item, sortKeyName);
      page.bytesRead += codec::itemSize(item);
      last.assign(it->value().data(), it->value().size());
      if (r.fetchFromTable) {
        auto full = loadFull(item);
        if (!full) return full.error();
        if (!*full) continue;
        item = std::move(**full);
      }
      if (r.filter && !expression::evaluate(*r.filter, item)) continue;
      ++page.count;
      if (r.select == "COUNT") continue;
      if (r.projection) item = expression::project(*r.projection, item);
      page.items.push_back(codec::attributeMapToJson(item));
    }
    if (!it->status().ok()) return core::Error::internal("storage read failed");
    // Like the service, a page that ends exactly at the limit (or at 1 MB) still carries a
    // LastEvaluatedKey: only the next call can tell that nothing follows.
    if ((r.limit && page.scanned >= *r.limit) || pageSize >= kPageBytes) stopped = true;
    if (stopped && page.scanned > 0) {
      auto lastItem = codec::decodeItem(last);
      if (!lastItem) return lastItem.error();
      page.lastKey = keyOf(r.table->schema, r.index, *lastItem);
    }
    return page;
  }

  core::Result<std::optional<AttributeMap>> loadFull(const AttributeMap& projected) const;
};

namespace {

json::object pageResult(const ReadRequest& r, Page page) {
  json::object out;
  if (r.select != "COUNT") out["Items"] = std::move(page.items);
  out["Count"] = page.count;
  out["ScannedCount"] = page.scanned;
  if (page.lastKey) out["LastEvaluatedKey"] = codec::attributeMapToJson(*page.lastKey);
  if (r.capacity != CapacityMode::kNone) {
    double units =
        std::ceil(static_cast<double>(page.bytesRead) / 4096.0) * (r.consistent ? 1.0 : 0.5);
    json::object indexes;
    if (r.index) {
      indexes[r.index->global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes"] =
          json::object{{r.index->name, json::object{{"CapacityUnits", units}}}};
    }
    out["ConsumedCapacity"] =
        consumedCapacity(r.table->schema.name, units, r.capacity, r.index ? &indexes : nullptr);
  }
  return out;
}

}  // namespace

core::Result<std::optional<AttributeMap>> RangeReader::loadFull(
    const AttributeMap& projected) const {
  std::string key = itemKey(r.table->schema, tenant, keyOf(r.table->schema, projected));
  rocksdb::PinnableSlice value;
  rocksdb::Status s = storage.db().Get(rocksdb::ReadOptions(),
                                       storage.family(storage::Family::kItems), key, &value);
  if (s.IsNotFound()) return std::optional<AttributeMap>();
  if (!s.ok()) return core::Error::internal("storage read failed: " + s.ToString());
  auto item = codec::decodeItem(value.ToStringView());
  if (!item) return item.error();
  return std::optional<AttributeMap>(std::move(*item));
}

core::Result<json::object> TableEngine::query(std::string_view tenant,
                                              const json::object& request) {
  ReadRequest r;
  if (auto c = readCommon(request, r); !c) return c.error();
  ExpressionInputs in;
  if (auto c = readExpressionInputs(
          request, {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"},
          {"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"}, in);
      !c) {
    return c.error();
  }
  auto keyText = stringField(request, "KeyConditionExpression");
  if (!keyText) {
    return invalid(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request.");
  }
  auto table = requireTable(request);
  if (!table) return table.error();
  const TableSchema& schema = (*table)->schema;
  const IndexSchema* index = nullptr;
  if (auto name = stringField(request, "IndexName")) {
    index = schema.index(*name);
    if (!index)
      return invalid(fmt::format("The table does not have the specified index: {}", *name));
  }
  expression::KeySchemaView view;
  const KeyElement& partition = index ? index->partition : schema.partition;
  const std::optional<KeyElement>& sort = index ? index->sort : schema.sort;
  view.partitionKey = partition.name;
  view.partitionType = partition.type;
  if (sort) {
    view.sortKey = sort->name;
    view.sortType = sort->type;
  }
  auto keyCondition = expression::parseKeyCondition(*keyText, *in.placeholders, view);
  if (!keyCondition) return keyCondition.error();
  r.keyCondition = std::move(*keyCondition);
  auto filter = readCondition(request, "FilterExpression", in);
  if (!filter) return filter.error();
  r.filter = std::move(*filter);
  auto projection = readProjection(request, in);
  if (!projection) return projection.error();
  r.projection = std::move(*projection);
  if (auto c = in.placeholders->checkAllUsed(); !c) return c.error();
  if (auto c = resolveTarget(request, *table, r); !c) return c.error();
  if (auto c = checkKeyPaths((*table)->schema, r.projection); !c) return c.error();
  if (r.filter) {
    for (const std::string& name : expression::topLevelNames(*r.filter)) {
      if (name == partition.name || (sort && name == sort->name)) {
        return invalid(fmt::format(
            "Filter Expression can only contain non-primary key attributes: Primary key "
            "attribute: {}",
            name));
      }
    }
  }
  // The partition: [base][hash][pk]; the sort-key condition narrows it.
  AttributeMap partitionOnly{{partition.name, r.keyCondition->partitionValue}};
  std::string base = r.index ? indexPrefix(r.index->id, tenant) : tablePrefix(schema.id, tenant);
  std::string encodedPk;
  codec::appendKey(encodedPk, r.keyCondition->partitionValue);
  std::uint16_t hash = codec::partitionHash(encodedPk);
  std::string prefix = base;
  prefix.push_back(static_cast<char>(hash >> 8));
  prefix.push_back(static_cast<char>(hash & 0xff));
  prefix += encodedPk;
  std::string lower = prefix;
  std::string upper = prefixEnd(prefix);
  std::function<bool(const AttributeMap&)> inRange;
  if (r.keyCondition->sort) {
    const expression::SortKeyCondition& c = *r.keyCondition->sort;
    std::string at = prefix;
    codec::appendKey(at, c.low);
    using Op = expression::SortKeyCondition::Op;
    switch (c.op) {
      case Op::kEq:
        lower = at;
        upper = prefixEnd(at);
        break;
      case Op::kLt:
        upper = at;
        break;
      case Op::kLe:
        upper = prefixEnd(at);
        break;
      case Op::kGt:
        lower = prefixEnd(at);
        break;
      case Op::kGe:
        lower = at;
        break;
      case Op::kBetween: {
        lower = at;
        std::string high = prefix;
        codec::appendKey(high, c.high);
        upper = prefixEnd(high);
        break;
      }
      case Op::kBeginsWith: {
        // The escaped form of a prefix without its terminator is a prefix of the escaped form
        // of every string (or binary) starting with it.
        std::string begins = prefix;
        codec::appendEscaped(begins, c.low.scalar());
        begins.resize(begins.size() - 2);
        lower = begins;
        upper = prefixEnd(begins);
        break;
      }
    }
    std::string sortName = sort->name;
    inRange = [sortName, &c](const AttributeMap& item) {
      auto it = item.find(sortName);
      return it != item.end() && expression::matches(c, it->second);
    };
  }
  std::optional<std::string> start;
  if (r.exclusiveStartKey) {
    auto k = startStorageKey(r, tenant);
    if (!k) return k.error();
    start = std::move(*k);
    // A start key must lie within what the key condition selects.
    const AttributeMap& esk = *r.exclusiveStartKey;
    if (r.keyCondition->sort) {
      auto sk = esk.find(sort->name);
      if (sk == esk.end() || !expression::matches(*r.keyCondition->sort, sk->second)) {
        return invalid("The provided starting key does not match the range key predicate");
      }
    }
    if (esk.at(partition.name) != r.keyCondition->partitionValue) {
      return invalid(r.keyCondition->sort
                         ? "The query can return at most one row and cannot be restarted"
                         : "The provided starting key is outside query boundaries based on "
                           "provided conditions");
    }
  }
  RangeReader reader{storage_, r, tenant};
  auto page = reader.read(lower, upper, start, inRange);
  if (!page) return page.error();
  return pageResult(r, std::move(*page));
}

core::Result<json::object> TableEngine::scan(std::string_view tenant, const json::object& request) {
  ReadRequest r;
  if (auto c = readCommon(request, r); !c) return c.error();
  // GCC 12 misreads std::optional<std::int64_t> here (maybe-uninitialized); plain values
  // with presence flags say the same.
  const json::value* segmentValue = request.if_contains("Segment");
  const json::value* totalValue = request.if_contains("TotalSegments");
  bool hasSegment = segmentValue && !segmentValue->is_null();
  bool hasTotal = totalValue && !totalValue->is_null();
  std::int64_t segment = hasSegment ? core::integerValue(*segmentValue).value_or(-1) : 0;
  std::int64_t total = hasTotal ? core::integerValue(*totalValue).value_or(0) : 1;
  if (hasTotal && (total < 1 || total > 1000000)) {
    return invalid(
        fmt::format("1 validation error detected: Value '{}' at 'totalSegments' failed to satisfy "
                    "constraint: Member must have value {} {}",
                    total, total < 1 ? "greater than or equal to" : "less than or equal to",
                    total < 1 ? 1 : 1000000));
  }
  if (hasSegment && (segment < 0 || segment > 999999)) {
    return invalid(fmt::format(
        "1 validation error detected: Value '{}' at 'segment' failed to satisfy constraint: "
        "Member must have value {} {}",
        segment, segment < 0 ? "greater than or equal to" : "less than or equal to",
        segment < 0 ? 0 : 999999));
  }
  if (hasSegment && segment > 0 && !hasTotal) {
    return invalid(
        "The TotalSegments parameter is required but was not present in the request when "
        "Segment parameter is present");
  }
  if (hasTotal) {
    if (!hasSegment) {
      return invalid(
          "The Segment parameter is required but was not present in the request when parameter "
          "TotalSegments is present");
    }
    if (segment >= total) {
      return invalid(fmt::format(
          "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
          "Segment: {} is not less than TotalSegments: {}",
          segment, total));
    }
  }
  ExpressionInputs in;
  if (auto c = readExpressionInputs(request, {"ProjectionExpression", "FilterExpression"},
                                    {"AttributesToGet", "ScanFilter", "ConditionalOperator"}, in);
      !c) {
    return c.error();
  }
  auto filter = readCondition(request, "FilterExpression", in);
  if (!filter) return filter.error();
  r.filter = std::move(*filter);
  auto projection = readProjection(request, in);
  if (!projection) return projection.error();
  r.projection = std::move(*projection);
  if (auto c = in.placeholders->checkAllUsed(); !c) return c.error();
  auto table = requireTable(request);
  if (!table) return table.error();
  if (auto c = resolveTarget(request, *table, r); !c) return c.error();
  if (auto c = checkKeyPaths((*table)->schema, r.projection); !c) return c.error();
  if (!r.forward) r.forward = true;  // ScanIndexForward does not apply to Scan
  std::string base =
      r.index ? indexPrefix(r.index->id, tenant) : tablePrefix((*table)->schema.id, tenant);
  std::string lower = base;
  std::string upper = prefixEnd(base);
  if (total > 1) {
    // Segment s of n covers partition hashes [s * 65536 / n, (s + 1) * 65536 / n).
    auto from = static_cast<std::uint32_t>(segment * 65536 / total);
    auto to = static_cast<std::uint32_t>((segment + 1) * 65536 / total);
    auto bound = [&](std::uint32_t h) {
      std::string k = base;
      if (h >= 65536) return prefixEnd(base);
      k.push_back(static_cast<char>(h >> 8));
      k.push_back(static_cast<char>(h & 0xff));
      return k;
    };
    lower = bound(from);
    upper = bound(to);
  }
  std::optional<std::string> start;
  if (r.exclusiveStartKey) {
    auto k = startStorageKey(r, tenant);
    if (!k) return k.error();
    start = std::move(*k);
  }
  RangeReader reader{storage_, r, tenant};
  auto page = reader.read(lower, upper, start, nullptr);
  if (!page) return page.error();
  return pageResult(r, std::move(*page));
}

}  // namespace bakery::table::engine
