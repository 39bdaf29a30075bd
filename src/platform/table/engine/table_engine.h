// TableEngine: DynamoDB's semantics on the embedded RocksDB store.
//
// Every DynamoDB operation of table_service.h runs here, with DynamoDB's validation and
// messages, on items stored in the `table.items` family. Secondary-index entries and
// change-stream records are written in the same atomic batch as the item they derive from,
// so an acknowledged write is never seen without them and a crash never leaves them apart.
// Writes to one item are serialized (striped locks taken in a global order, so
// transactions over many items cannot deadlock); a write is acknowledged only after
// Storage::write() made it durable.
//
// Tenant scoping: every call carries a tenant, and the tenant is part of every storage key
// (items, index entries), so a handle scoped to one tenant cannot name, read or scan
// another tenant's items. Table definitions are shared; the empty tenant is the system
// scope used by the AWS endpoint and system functions.
//
// Storage layout (all integers big-endian):
//   items    [u32 table id][tenant][u16 hash(pk)][pk][sk]              -> item
//   indexes  [u32 index id][tenant][u16 hash(ipk)][ipk][isk][pk][sk]    -> projected item
//   streams  [u32 table id][u64 sequence]                              -> stream record JSON
//   default  "table/<name>" -> stored table; "token/<token>" -> transaction token record
// The partition hash gives Scan DynamoDB's hash order and parallel-scan segments that are
// contiguous key ranges.
//
// Thread-safe. The engine must outlive the services it hands out.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <bakery/table/attribute_value.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/result.h"
#include "platform/storage/storage.h"
#include "platform/table/engine/table_schema.h"
#include "platform/table/table_service.h"

namespace bakery::table::engine {

struct EngineOptions {
  std::string region = "us-east-1";
  std::string accountId = "000000000000";
  // How often the background sweeper deletes items past their TTL (a scan of each table
  // with TTL enabled) and trims stream records and transaction tokens; zero disables it.
  std::chrono::milliseconds ttlSweepInterval{std::chrono::seconds(30)};
};

// One change of one item, as DynamoDB Streams reports it.
struct StreamRecord {
  std::uint64_t sequence = 0;
  json::object record;  // eventID, eventName, dynamodb{Keys, NewImage, OldImage, ...}
};

class TableEngine {
 public:
  TableEngine(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids,
              EngineOptions options = {});
  ~TableEngine();
  TableEngine(const TableEngine&) = delete;
  TableEngine& operator=(const TableEngine&) = delete;

  // Loads the stored tables and starts the TTL sweeper. Call once, before anything else.
  core::Result<void> open();
  // Stops the sweeper; calls made after stop() still work.
  void stop();

  core::Result<json::object> call(std::string_view tenant, Operation op,
                                  const json::object& request);
  // A TableService bound to one tenant ("" = system scope).
  std::unique_ptr<TableService> service(std::string tenant);
  // GetItem without the JSON round trip, for the SDK's typed handles in process: the item
  // (strongly consistent), nullopt when absent, DynamoDB's errors otherwise.
  core::Result<std::optional<AttributeMap>> getItem(std::string_view tenant, std::string_view table,
                                                    const AttributeMap& key);

  // What else a transaction's batch carries (the outbox: the events a handler puts with its
  // writes): called with the batch after every condition held, under the items' locks; its
  // callback runs once the batch is durable. An error cancels the transaction.
  using Outbox = std::function<core::Result<std::function<void()>>(rocksdb::WriteBatch&)>;
  // TransactWriteItems (the request document) committed together with what `outbox` stages.
  core::Result<json::object> transactWriteItems(std::string_view tenant,
                                                const json::object& request, const Outbox& outbox);

  // Up to `limit` records of `table`'s change stream with a sequence above `after`, in order.
  core::Result<std::vector<StreamRecord>> readStream(std::string_view table, std::uint64_t after,
                                                     std::size_t limit);
  // Deletes every item past its TTL now; the number deleted. The sweeper calls this.
  std::size_t sweepExpired();
  // Drops stream records older than 24 hours (DynamoDB Streams' retention) and transaction
  // tokens past their ten minutes; the number of records dropped. The sweeper calls this.
  std::size_t trimRetained();

  struct Table;  // a loaded table: schema and description (table_engine.cc)
  struct WriteContext;

 private:
  friend struct EngineAccess;

  std::shared_ptr<const Table> findTable(std::string_view name) const;
  core::Result<std::shared_ptr<const Table>> requireTable(
      const json::object& request, std::string_view field = "TableName") const;

  // Table operations (table_operations.cc).
  core::Result<json::object> createTable(const json::object& request);
  core::Result<json::object> deleteTable(const json::object& request);
  core::Result<json::object> describeTable(const json::object& request);
  core::Result<json::object> listTables(const json::object& request);
  core::Result<json::object> updateTable(const json::object& request);
  core::Result<json::object> updateTimeToLive(const json::object& request);
  core::Result<json::object> describeTimeToLive(const json::object& request);
  core::Result<void> persistTable(const Table& table);
  json::object describe(const Table& table) const;

  // Item operations (item_operations.cc).
  core::Result<json::object> putItem(std::string_view tenant, const json::object& request);
  core::Result<json::object> getItem(std::string_view tenant, const json::object& request);
  core::Result<json::object> updateItem(std::string_view tenant, const json::object& request);
  core::Result<json::object> deleteItem(std::string_view tenant, const json::object& request);
  core::Result<json::object> batchGetItem(std::string_view tenant, const json::object& request);
  core::Result<json::object> batchWriteItem(std::string_view tenant, const json::object& request);
  core::Result<json::object> transactWriteItems(std::string_view tenant,
                                                const json::object& request, const Outbox* outbox);
  core::Result<json::object> transactGetItems(std::string_view tenant, const json::object& request);

  // Reads (query_operations.cc).
  core::Result<json::object> query(std::string_view tenant, const json::object& request);
  core::Result<json::object> scan(std::string_view tenant, const json::object& request);

  // Adds one item change to `w`: the item itself, its index entries, its stream record.
  void recordChange(WriteContext& w, const Table& table, std::string_view tenant,
                    const std::string& key, const AttributeMap* oldItem,
                    const AttributeMap* newItem, bool byTtl = false);
  core::Result<void> commit(WriteContext& w);
  core::Result<std::optional<AttributeMap>> loadItem(const std::string& key) const;

  std::mutex& stripeFor(std::string_view itemKey);
  std::vector<std::unique_lock<std::mutex>> lockStripes(std::vector<std::string_view> itemKeys);
  std::uint64_t nextSequence() { return ++streamSequence_; }
  double nowSeconds() const;
  std::string arnPrefix() const;
  void sweeperLoop();

  storage::Storage& storage_;
  core::Clock& clock_;
  core::IdGenerator& ids_;
  EngineOptions options_;

  mutable std::shared_mutex tablesMu_;
  std::map<std::string, std::shared_ptr<const Table>, std::less<>> tables_;
  std::mutex ddlMu_;          // serializes table creation, deletion and updates
  std::uint32_t nextId_ = 1;  // guarded by ddlMu_

  static constexpr std::size_t kStripes = 1024;
  std::array<std::mutex, kStripes> stripes_;
  std::atomic<std::uint64_t> streamSequence_{0};

  std::mutex sweeperMu_;
  std::condition_variable sweeperWake_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace bakery::table::engine
