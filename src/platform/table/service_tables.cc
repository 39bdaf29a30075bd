#include "platform/table/service_tables.h"

#include "platform/table/codec/attribute_json.h"

namespace bakery::table {
namespace {

// Adds ExpressionAttributeNames / Values to `request` when the expressions used any.
void addPlaceholders(json::object& request, const ExpressionWriter& w) {
  if (!w.names().empty()) {
    json::object names;
    for (const auto& [placeholder, name] : w.names()) names[placeholder] = name;
    request["ExpressionAttributeNames"] = std::move(names);
  }
  if (!w.values().empty())
    request["ExpressionAttributeValues"] = codec::attributeMapToJson(w.values());
}

core::Result<std::optional<AttributeMap>> attributesOf(const json::object& response,
                                                       std::string_view member) {
  const json::value* v = response.if_contains(member);
  if (!v) return std::optional<AttributeMap>();
  auto m = codec::attributeMapFromJson(*v);
  if (!m) return m.error();
  return std::optional<AttributeMap>(std::move(*m));
}

core::Result<Page> pageOf(const json::object& response) {
  Page page;
  if (const json::value* items = response.if_contains("Items")) {
    for (const json::value& item : items->as_array()) {
      auto m = codec::attributeMapFromJson(item);
      if (!m) return m.error();
      page.items.push_back(std::move(*m));
    }
  }
  if (const json::value* c = response.if_contains("Count"))
    page.count = c->to_number<std::int64_t>();
  if (const json::value* c = response.if_contains("ScannedCount")) {
    page.scanned = c->to_number<std::int64_t>();
  }
  auto last = attributesOf(response, "LastEvaluatedKey");
  if (!last) return last.error();
  page.lastKey = std::move(*last);
  return page;
}

std::string_view returnValuesName(ReturnValues rv) {
  switch (rv) {
    case ReturnValues::kNone:
      return "NONE";
    case ReturnValues::kAllOld:
      return "ALL_OLD";
    case ReturnValues::kUpdatedOld:
      return "UPDATED_OLD";
    case ReturnValues::kAllNew:
      return "ALL_NEW";
    case ReturnValues::kUpdatedNew:
      return "UPDATED_NEW";
  }
  return "NONE";
}

class ServiceTable final : public Table {
 public:
  ServiceTable(TableService& service, std::string name)
      : service_(service), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }

  core::Result<std::optional<AttributeMap>> put(const AttributeMap& item,
                                                const PutOptions& options) override {
    json::object request{{"TableName", name_}, {"Item", codec::attributeMapToJson(item)}};
    ExpressionWriter w;
    if (options.condition) request["ConditionExpression"] = options.condition->render(w);
    if (options.returnOld) request["ReturnValues"] = "ALL_OLD";
    addPlaceholders(request, w);
    auto response = service_.call(Operation::kPutItem, request);
    if (!response) return response.error();
    return attributesOf(*response, "Attributes");
  }

  core::Result<std::optional<AttributeMap>> get(const AttributeMap& key,
                                                const GetOptions& options) override {
    json::object request{{"TableName", name_}, {"Key", codec::attributeMapToJson(key)}};
    if (options.consistent) request["ConsistentRead"] = true;
    ExpressionWriter w;
    if (!options.projection.empty()) {
      request["ProjectionExpression"] = renderProjection(options.projection, w);
    }
    addPlaceholders(request, w);
    auto response = service_.call(Operation::kGetItem, request);
    if (!response) return response.error();
    return attributesOf(*response, "Item");
  }

  core::Result<std::optional<AttributeMap>> update(const AttributeMap& key, const Update& update,
                                                   const UpdateOptions& options) override {
    json::object request{{"TableName", name_}, {"Key", codec::attributeMapToJson(key)}};
    ExpressionWriter w;
    if (!update.empty()) request["UpdateExpression"] = update.render(w);
    if (options.condition) request["ConditionExpression"] = options.condition->render(w);
    if (options.returnValues != ReturnValues::kNone) {
      request["ReturnValues"] = returnValuesName(options.returnValues);
    }
    addPlaceholders(request, w);
    auto response = service_.call(Operation::kUpdateItem, request);
    if (!response) return response.error();
    return attributesOf(*response, "Attributes");
  }

  core::Result<std::optional<AttributeMap>> remove(const AttributeMap& key,
                                                   const DeleteOptions& options) override {
    json::object request{{"TableName", name_}, {"Key", codec::attributeMapToJson(key)}};
    ExpressionWriter w;
    if (options.condition) request["ConditionExpression"] = options.condition->render(w);
    if (options.returnOld) request["ReturnValues"] = "ALL_OLD";
    addPlaceholders(request, w);
    auto response = service_.call(Operation::kDeleteItem, request);
    if (!response) return response.error();
    return attributesOf(*response, "Attributes");
  }

  core::Result<Page> query(const KeyCondition& key, const QueryOptions& options) override {
    json::object request{{"TableName", name_}};
    ExpressionWriter w;
    request["KeyConditionExpression"] = key.render(w);
    if (!options.index.empty()) request["IndexName"] = options.index;
    if (options.filter) request["FilterExpression"] = options.filter->render(w);
    if (!options.projection.empty()) {
      request["ProjectionExpression"] = renderProjection(options.projection, w);
    }
    if (options.limit > 0) request["Limit"] = options.limit;
    if (!options.forward) request["ScanIndexForward"] = false;
    if (options.consistent) request["ConsistentRead"] = true;
    if (options.startKey)
      request["ExclusiveStartKey"] = codec::attributeMapToJson(*options.startKey);
    addPlaceholders(request, w);
    auto response = service_.call(Operation::kQuery, request);
    if (!response) return response.error();
    return pageOf(*response);
  }

  core::Result<Page> scan(const ScanOptions& options) override {
    json::object request{{"TableName", name_}};
    ExpressionWriter w;
    if (!options.index.empty()) request["IndexName"] = options.index;
    if (options.filter) request["FilterExpression"] = options.filter->render(w);
    if (!options.projection.empty()) {
      request["ProjectionExpression"] = renderProjection(options.projection, w);
    }
    if (options.limit > 0) request["Limit"] = options.limit;
    if (options.consistent) request["ConsistentRead"] = true;
    if (options.startKey)
      request["ExclusiveStartKey"] = codec::attributeMapToJson(*options.startKey);
    if (options.totalSegments > 0) {
      request["Segment"] = options.segment;
      request["TotalSegments"] = options.totalSegments;
    }
    addPlaceholders(request, w);
    auto response = service_.call(Operation::kScan, request);
    if (!response) return response.error();
    return pageOf(*response);
  }

 private:
  TableService& service_;
  std::string name_;
};

}  // namespace

std::unique_ptr<Table> ServiceTables::open(std::string_view name) {
  return std::make_unique<ServiceTable>(service_, std::string(name));
}

core::Result<void> ServiceTables::transactWrite(const std::vector<TransactionAction>& actions,
                                                std::string_view clientRequestToken) {
  auto response = service_.call(Operation::kTransactWriteItems,
                                transactWriteRequest(actions, clientRequestToken));
  if (!response) return response.error();
  return {};
}

json::object transactWriteRequest(const std::vector<TransactionAction>& actions,
                                  std::string_view clientRequestToken) {
  json::array items;
  for (const TransactionAction& a : actions) {
    json::object body{{"TableName", a.table}};
    ExpressionWriter w;
    std::string_view kind;
    switch (a.kind) {
      case TransactionAction::Kind::kPut:
        kind = "Put";
        body["Item"] = codec::attributeMapToJson(a.itemOrKey);
        break;
      case TransactionAction::Kind::kUpdate:
        kind = "Update";
        body["Key"] = codec::attributeMapToJson(a.itemOrKey);
        if (a.update) body["UpdateExpression"] = a.update->render(w);
        break;
      case TransactionAction::Kind::kDelete:
        kind = "Delete";
        body["Key"] = codec::attributeMapToJson(a.itemOrKey);
        break;
      case TransactionAction::Kind::kCheck:
        kind = "ConditionCheck";
        body["Key"] = codec::attributeMapToJson(a.itemOrKey);
        break;
    }
    if (a.condition) body["ConditionExpression"] = a.condition->render(w);
    addPlaceholders(body, w);
    items.push_back(json::object{{kind, std::move(body)}});
  }
  json::object request{{"TransactItems", std::move(items)}};
  if (!clientRequestToken.empty()) request["ClientRequestToken"] = clientRequestToken;
  return request;
}

}  // namespace bakery::table
