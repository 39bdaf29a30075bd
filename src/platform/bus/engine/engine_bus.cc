#include "platform/bus/engine/engine_bus.h"

#include <optional>

#include <rocksdb/write_batch.h>

#include "platform/table/engine/table_engine.h"
#include "platform/table/service_tables.h"

namespace bakery::bus {

json::object putEventsRequest(const std::vector<EventEntry>& entries) {
  json::array list;
  for (const EventEntry& e : entries) {
    json::object entry{
        {"Source", e.source}, {"DetailType", e.detailType}, {"Detail", core::toJson(e.detail)}};
    if (!e.resources.empty()) {
      json::array resources;
      for (const std::string& r : e.resources) resources.push_back(json::value(r));
      entry["Resources"] = std::move(resources);
    }
    if (!e.eventBusName.empty()) entry["EventBusName"] = e.eventBusName;
    list.push_back(std::move(entry));
  }
  return json::object{{"Entries", std::move(list)}};
}

std::vector<PutEventResult> putEventsResults(const json::object& response) {
  std::vector<PutEventResult> results;
  auto it = response.find("Entries");
  if (it == response.end() || !it->value().is_array()) return results;
  for (const json::value& v : it->value().get_array()) {
    if (!v.is_object()) continue;
    const json::object& o = v.get_object();
    PutEventResult r;
    r.eventId = std::string(core::stringMember(o, "EventId").value_or(""));
    r.errorCode = std::string(core::stringMember(o, "ErrorCode").value_or(""));
    r.errorMessage = std::string(core::stringMember(o, "ErrorMessage").value_or(""));
    results.push_back(std::move(r));
  }
  return results;
}

EngineBus::EngineBus(BusEngine& bus, table::engine::TableEngine* tables, std::string owner)
    : bus_(bus), tables_(tables), owner_(std::move(owner)) {}

core::Result<std::vector<PutEventResult>> EngineBus::put(const std::vector<EventEntry>& entries) {
  auto response = bus_.putEvents(owner_, putEventsRequest(entries));
  if (!response) return response.error();
  return putEventsResults(*response);
}

core::Result<std::vector<PutEventResult>> EngineBus::putWithWrites(
    const std::vector<table::TransactionAction>& actions, const std::vector<EventEntry>& entries) {
  if (!tables_)
    return core::Error("ServiceUnavailableException", 503, "The table store is not available.");
  json::object request = putEventsRequest(entries);
  std::optional<json::object> response;
  auto written = tables_->transactWriteItems(
      owner_, table::transactWriteRequest(actions),
      [&](rocksdb::WriteBatch& batch) -> core::Result<std::function<void()>> {
        auto staged = bus_.stagePutEvents(owner_, request, batch);
        if (!staged) return staged.error();
        response = std::move(staged->response);
        return std::move(staged->afterCommit);
      });
  if (!written) return written.error();
  if (!response) return std::vector<PutEventResult>{};  // an idempotent replay: nothing new
  return putEventsResults(*response);
}

}  // namespace bakery::bus
