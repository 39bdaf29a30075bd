#include "handlers/auth/audit.h"

#include "core/encoding.h"
#include "core/random.h"
#include "core/time_format.h"
#include "handlers/auth/store.h"

namespace bakery::handlers::auth::detail {

using table::AttributeMap;
using table::S;

namespace {

// The audit row and the event of one entry.
void addEntry(Call& call, const std::string& tenant, const AuditEntry& entry,
              std::vector<table::TransactionAction>& actions, std::vector<EventEntry>& events) {
  std::string at = core::rfc3339Micro(call.now());
  // The sort key orders rows by time; the random suffix keeps two rows of one microsecond apart.
  std::string sortKey = at + "#" + core::hexEncode(core::randomBytes(4));
  AttributeMap row{{"stream", S(kAuditStream)},
                   {"at", S(sortKey)},
                   {"time", S(at)},
                   {"action", S(entry.action)},
                   {"requestId", S(std::string(call.ctx().requestId()))},
                   {"sourceIp", S(std::string(call.sourceIp()))},
                   {"detail", fromJson(entry.detail)}};
  if (!entry.actor.empty()) row["actor"] = S(entry.actor);
  if (!entry.target.empty()) row["target"] = S(entry.target);
  actions.push_back(table::TransactionAction::put(kAuditTable, std::move(row)));

  json::object detail{{"action", entry.action},
                      {"tenant", tenant},
                      {"time", at},
                      {"actor", entry.actor},
                      {"target", entry.target},
                      {"sourceIp", call.sourceIp()},
                      {"requestId", call.ctx().requestId()}};
  for (const auto& kv : entry.detail) detail[kv.key()] = kv.value();
  events.push_back(EventEntry{
      .source = kEventSource, .detailType = "auth." + entry.action, .detail = std::move(detail)});
}

core::Result<void> commit(Bus& bus, Call& call,
                          const std::vector<table::TransactionAction>& actions,
                          const std::vector<EventEntry>& events) {
  auto put = bus.putWithWrites(actions, events);
  if (!put) return put.error();
  for (const auto& r : *put) {
    if (!r.ok()) {
      // The writes are committed; a refused event is a platform fault worth a loud log line.
      call.ctx().log(LogLevel::kError, "audit event refused",
                     json::object{{"errorCode", r.errorCode}, {"errorMessage", r.errorMessage}});
    }
  }
  return {};
}

}  // namespace

core::Result<void> commitAudited(Call& call, const std::string& tenant,
                                 std::vector<table::TransactionAction> actions,
                                 const AuditEntry& entry) {
  std::vector<EventEntry> events;
  addEntry(call, tenant, entry, actions, events);
  return commit(call.tenantBus(tenant), call, actions, events);
}

core::Result<void> commitDelivery(Call& call, table::TransactionAction tokenRecord,
                                  const std::string& action, json::object detail) {
  std::vector<EventEntry> events{EventEntry{
      .source = kEventSource, .detailType = "auth." + action, .detail = std::move(detail)}};
  return commit(call.ctx().busOf(""), call, {std::move(tokenRecord)}, events);
}

core::Result<void> commitAuditedAll(Call& call, const std::string& tenant,
                                    std::vector<table::TransactionAction> actions,
                                    const std::vector<AuditEntry>& entries) {
  std::vector<EventEntry> events;
  for (const auto& entry : entries) addEntry(call, tenant, entry, actions, events);
  return commit(call.tenantBus(tenant), call, actions, events);
}

json::value listAudit(Call& call) {
  auto page = readPage(call, {"stream", "at"});
  if (!page) return call.fail(page.error());
  auto audit = call.ctx().tables().open(kAuditTable);
  table::QueryOptions options{.limit = page->limit, .forward = false, .startKey = page->startKey};
  auto result = audit->query(table::KeyCondition("stream", S(kAuditStream)), options);
  if (!result) return call.internal("audit query failed", result.error());
  json::array items;
  for (const auto& row : result->items) {
    json::object o{{"time", str(row, "time")},         {"action", str(row, "action")},
                   {"actor", str(row, "actor")},       {"target", str(row, "target")},
                   {"sourceIp", str(row, "sourceIp")}, {"requestId", str(row, "requestId")}};
    auto d = row.find("detail");
    o["detail"] = d == row.end() ? json::value(json::object()) : toJson(d->second);
    items.push_back(std::move(o));
  }
  json::object body{{"items", std::move(items)}};
  if (auto next = encodeNextToken(result->lastKey)) body["nextToken"] = *next;
  return call.respond(200, body);
}

}  // namespace bakery::handlers::auth::detail
