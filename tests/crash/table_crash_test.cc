// Crash consistency of the table store: a real `bakery serve` (storage.sync = fsync) is
// killed with SIGKILL while client threads hammer it with conditional writes and
// transactions, then restarted on the same data directory, round after round. After every
// restart:
//   - every acknowledged write is there: an item holds its last acknowledged value, or the
//     value of the one write that was in flight when the server died (never anything else);
//   - no transaction is half-applied: both items of a pair carry the same sequence number;
//   - the global secondary index matches the table exactly, projected attributes included.
// A request that got no answer is unacknowledged and may or may not have been applied. Every
// random choice comes from a seeded PRNG; the kill is triggered by a number of acknowledged
// writes, not by the clock.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <signal.h>

#include "core/clock.h"
#include "core/json.h"
#include "platform/aws/aws_json_client.h"
#include "platform/table/remote/remote_table_service.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace bakery::testing {
namespace {

using table::Operation;
using table::TableService;

constexpr const char* kBakery = BAKERY_BIN_PATH;
constexpr std::string_view kTable = "Ledger";
constexpr std::string_view kIndex = "byBucket";
constexpr std::uint32_t kSeed = 20240611;
constexpr int kRounds = 8;
constexpr int kCounterThreads = 3;
constexpr int kCountersPerThread = 4;
constexpr int kPairThreads = 2;
constexpr int kPairsPerThread = 3;

json::value S(std::string_view s) { return json::object{{"S", s}}; }
json::value N(std::int64_t n) { return json::object{{"N", std::to_string(n)}}; }
std::int64_t numberOf(const json::value& attribute) {
  return std::stoll(std::string(attribute.at("N").as_string()));
}

// What the item of a write with value `v` looks like. Items move between index keys as `v`
// changes and leave the (sparse) index when v % 3 == 0, so the index is rewritten on
// almost every write: the GSI key is `g`, its sort key `v`, and only `payload` is projected
// besides the keys (`extra` is not).
json::object itemFor(std::string_view pk, std::int64_t v) {
  json::object item{{"pk", S(pk)},
                    {"v", N(v)},
                    {"payload", S("p" + std::to_string(v))},
                    {"extra", S(std::string(16 + v % 32, 'x'))}};
  if (v % 3 != 0) item["g"] = S("b" + std::to_string(v % 4));
  return item;
}

// The index's view of a table item: nullopt when the item has no index key.
std::optional<json::object> indexProjection(const json::object& item) {
  if (!item.contains("g") || !item.contains("v")) return std::nullopt;
  json::object projected;
  for (std::string_view name : {"pk", "g", "v", "payload"}) {
    if (const auto* value = item.if_contains(name)) projected[name] = *value;
  }
  return projected;
}

// What the test knows about one item: its last acknowledged value (0: never written), and
// the value of a write that got no answer since (its outcome is unknown).
struct Expectation {
  std::int64_t acked = 0;
  std::optional<std::int64_t> unknown;
};

// Starts `bakery serve` on a data directory that survives the process, so every restart
// reopens what the killed process left behind.
class DurableServer {
 public:
  explicit DurableServer(const TempDir& dir) : dataDir_(dir.path() + "/var") {}

  void start() {
    service_.reset();
    process_ = std::make_unique<ServerProcess>(kBakery, R"({"storage": {"sync": "fsync"}})",
                                               std::vector<std::string>{}, dataDir_);
    auto options = table::dynamoDbClientOptions(
        "http://127.0.0.1:" + std::to_string(process_->awsPort()), "us-east-1");
    // One attempt per call: a retried write would blur which attempt was acknowledged.
    options.retry.maxAttempts = 1;
    options.connectTimeout = std::chrono::seconds(2);
    options.requestTimeout = std::chrono::seconds(20);
    auto client = aws::AwsJsonClient::create(options, {"test", "test", ""}, clock_);
    if (!client) throw std::runtime_error(client.error().message());
    service_ = std::make_unique<table::RemoteTableService>(std::move(*client));
  }

  // SIGKILL, and waits until the process is gone.
  void kill() {
    process_->signal(SIGKILL);
    process_->waitExit(std::chrono::seconds(20));
  }

  TableService& tables() { return *service_; }
  const std::string& dataDir() const { return dataDir_; }
  std::string stderrText() { return process_ ? process_->stderrText() : ""; }

 private:
  std::string dataDir_;
  core::SystemClock clock_;
  std::unique_ptr<ServerProcess> process_;
  std::unique_ptr<TableService> service_;
};

// Load of one round: the writer threads, the acknowledgement count that triggers the kill,
// and whatever went wrong while the server was still up.
class RoundLoad {
 public:
  explicit RoundLoad(std::int64_t killAfterAcks) : killAfterAcks_(killAfterAcks) {}

  void acknowledged() {
    std::lock_guard lock(mu_);
    ++acks_;
    if (acks_ >= killAfterAcks_) reached_.notify_all();
  }
  // An answer other than success. Before the kill there is no excuse for one.
  void failed(const std::string& what, const core::Error& error) {
    if (killed_.load()) return;
    std::lock_guard lock(mu_);
    problems_.push_back(what + ": " + error.type() + " (" + std::to_string(error.status()) + ") " +
                        error.message());
    reached_.notify_all();
  }
  // A violated expectation seen by a writer (e.g. a failed condition on an item only it
  // writes): always a bug, killed or not.
  void violated(const std::string& what) {
    std::lock_guard lock(mu_);
    problems_.push_back(what);
    reached_.notify_all();
  }
  bool waitForKillPoint(std::chrono::seconds bound) {
    std::unique_lock lock(mu_);
    return reached_.wait_for(lock, bound, [&] {
      return acks_ >= killAfterAcks_ || !problems_.empty();
    }) && problems_.empty();
  }
  void markKilled() { killed_.store(true); }
  bool stopped() const { return stop_.load(); }
  void stop() { stop_.store(true); }
  std::vector<std::string> problems() {
    std::lock_guard lock(mu_);
    return problems_;
  }
  std::int64_t acks() {
    std::lock_guard lock(mu_);
    return acks_;
  }

 private:
  std::int64_t killAfterAcks_;
  std::atomic<bool> killed_{false};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable reached_;
  std::int64_t acks_ = 0;
  std::vector<std::string> problems_;
};

std::string counterKey(int thread, int i) {
  return "ctr#" + std::to_string(thread) + "#" + std::to_string(i);
}
std::string pairKey(char side, int k) {
  return std::string("pair") + side + "#" + std::to_string(k);
}

// The condition "the item still holds `prev`" (or does not exist yet).
void addCondition(json::object& request, std::int64_t prev) {
  if (prev == 0) {
    request["ConditionExpression"] = "attribute_not_exists(pk)";
  } else {
    request["ConditionExpression"] = "v = :prev";
    request["ExpressionAttributeValues"] = json::object{{":prev", N(prev)}};
  }
}

// One conditional write moving `pk` from `prev` to `next`: a PutItem or an UpdateItem.
json::object counterWrite(const std::string& pk, std::int64_t prev, std::int64_t next, bool put,
                          Operation& op) {
  json::object request{{"TableName", kTable}};
  addCondition(request, prev);
  json::object item = itemFor(pk, next);
  if (put) {
    op = Operation::kPutItem;
    request["Item"] = item;
    return request;
  }
  op = Operation::kUpdateItem;
  request["Key"] = json::object{{"pk", S(pk)}};
  json::object values = request.contains("ExpressionAttributeValues")
                            ? request["ExpressionAttributeValues"].as_object()
                            : json::object{};
  values[":v"] = item["v"];
  values[":p"] = item["payload"];
  values[":e"] = item["extra"];
  std::string expression = "SET v = :v, payload = :p, extra = :e";
  if (item.contains("g")) {
    values[":g"] = item["g"];
    expression += ", g = :g";
  } else {
    expression += " REMOVE g";
  }
  request["UpdateExpression"] = expression;
  request["ExpressionAttributeValues"] = values;
  return request;
}

// Runs until told to stop or until a write gets no acknowledgement: from then on the
// server is presumably gone, and this thread's items are in doubt anyway.
void runCounters(TableService& tables, RoundLoad& load, std::uint32_t seed, int thread,
                 std::vector<Expectation>& items) {
  std::mt19937 rng(seed);
  while (!load.stopped()) {
    int i = static_cast<int>(rng() % items.size());
    Expectation& e = items[static_cast<std::size_t>(i)];
    std::int64_t next = e.acked + 1;
    Operation op;
    json::object request = counterWrite(counterKey(thread, i), e.acked, next, rng() % 2 == 0, op);
    auto r = tables.call(op, request);
    if (r.ok()) {
      e.acked = next;
      load.acknowledged();
      continue;
    }
    e.unknown = next;
    if (r.error().type() == "ConditionalCheckFailedException") {
      load.violated(counterKey(thread, i) + " failed its condition v = " + std::to_string(e.acked) +
                    ", yet only this thread writes it");
    } else {
      load.failed(std::string(table::operationName(op)) + " " + counterKey(thread, i), r.error());
    }
    return;
  }
}

// TransactWriteItems putting pairA#k and pairB#k with the same sequence number `next`.
json::object pairWrite(int k, std::int64_t prev, std::int64_t next) {
  json::object putA{{"TableName", kTable}, {"Item", itemFor(pairKey('A', k), next)}};
  addCondition(putA, prev);
  json::object putB{{"TableName", kTable}, {"Item", itemFor(pairKey('B', k), next)}};
  addCondition(putB, prev);
  return json::object{
      {"TransactItems", json::array{json::object{{"Put", putA}}, json::object{{"Put", putB}}}}};
}

void runPairs(TableService& tables, RoundLoad& load, std::uint32_t seed, int thread,
              std::vector<Expectation>& pairs) {
  std::mt19937 rng(seed);
  while (!load.stopped()) {
    int i = static_cast<int>(rng() % pairs.size());
    int k = thread * kPairsPerThread + i;
    Expectation& e = pairs[static_cast<std::size_t>(i)];
    std::int64_t next = e.acked + 1;
    auto r = tables.call(Operation::kTransactWriteItems, pairWrite(k, e.acked, next));
    if (r.ok()) {
      e.acked = next;
      load.acknowledged();
      continue;
    }
    e.unknown = next;
    if (r.error().type() == "TransactionCanceledException") {
      load.violated("pair " + std::to_string(k) + " cancelled at sequence " + std::to_string(next) +
                    ": " + r.error().message() + " " + r.error().details());
    } else {
      load.failed("TransactWriteItems pair " + std::to_string(k), r.error());
    }
    return;
  }
}

// Every item of the table (or of the index), read page by page.
std::vector<json::object> scanAll(TableService& tables, std::optional<std::string_view> index) {
  std::vector<json::object> items;
  json::object request{{"TableName", kTable}, {"Limit", 7}};
  if (index) {
    request["IndexName"] = *index;
  } else {
    request["ConsistentRead"] = true;
  }
  for (int page = 0; page < 1000; ++page) {
    auto r = tables.call(Operation::kScan, request);
    if (!r.ok()) throw std::runtime_error("Scan failed: " + r.error().message());
    for (const auto& item : r->at("Items").as_array()) items.push_back(item.as_object());
    if (!r->contains("LastEvaluatedKey")) return items;
    request["ExclusiveStartKey"] = r->at("LastEvaluatedKey");
  }
  throw std::runtime_error("Scan never ended");
}

std::map<std::string, json::object> byKey(const std::vector<json::object>& items,
                                          std::vector<std::string>& duplicates) {
  std::map<std::string, json::object> out;
  for (const auto& item : items) {
    std::string pk(item.at("pk").at("S").as_string());
    if (!out.emplace(pk, item).second) duplicates.push_back(pk);
  }
  return out;
}

// `stored` (the item's value, 0 when absent) is what the expectation allows. True when it is
// the value of the write that was in flight (applied, though never acknowledged).
bool expectAcknowledgedValue(const std::string& pk, std::int64_t stored, const Expectation& e,
                             int round) {
  EXPECT_TRUE(stored == e.acked || (e.unknown && stored == *e.unknown))
      << "round " << round << ": " << pk << " holds " << stored << ", last acknowledged " << e.acked
      << ", in flight " << (e.unknown ? std::to_string(*e.unknown) : "none");
  return stored != e.acked && e.unknown && stored == *e.unknown;
}

class TableCrashTest : public ::testing::Test {
 protected:
  void createTable() {
    auto created = server_.tables().call(Operation::kCreateTable, json::parse(R"({
      "TableName": "Ledger",
      "BillingMode": "PAY_PER_REQUEST",
      "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                               {"AttributeName": "g", "AttributeType": "S"},
                               {"AttributeName": "v", "AttributeType": "N"}],
      "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
      "GlobalSecondaryIndexes": [{
        "IndexName": "byBucket",
        "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                      {"AttributeName": "v", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["payload"]}}]
    })")
                                                                      .as_object());
    ASSERT_TRUE(created.ok()) << created.error().message();
    ASSERT_NO_FATAL_FAILURE(expectTableActive());
  }

  void expectTableActive() {
    std::string status;
    for (int i = 0; i < 200 && status != "ACTIVE"; ++i) {
      auto described =
          server_.tables().call(Operation::kDescribeTable, json::object{{"TableName", kTable}});
      ASSERT_TRUE(described.ok()) << described.error().message();
      const auto& t = described->at("Table");
      status = t.at("TableStatus").as_string();
      ASSERT_EQ(t.at("GlobalSecondaryIndexes").as_array().size(), 1u);
      ASSERT_EQ(std::string_view(t.at("GlobalSecondaryIndexes").at(0).at("IndexName").as_string()),
                kIndex);
    }
    ASSERT_EQ(status, "ACTIVE");
  }

  // Checks the state after a restart against what was acknowledged, and takes the stored
  // values as the starting point of the next round.
  void verifyAfterRestart(int round) {
    std::vector<std::string> duplicates;
    auto items = byKey(scanAll(server_.tables(), std::nullopt), duplicates);
    EXPECT_TRUE(duplicates.empty()) << "round " << round << ": the table scan repeats items";

    auto storedValue = [&](const std::string& pk) -> std::int64_t {
      auto it = items.find(pk);
      if (it == items.end()) return 0;
      // The item is exactly what the write of its value wrote, attributes and all.
      std::int64_t v = numberOf(it->second.at("v"));
      EXPECT_EQ(it->second, itemFor(pk, v)) << "round " << round << ": " << pk;
      return v;
    };
    std::size_t expectedItems = 0;
    for (int t = 0; t < kCounterThreads; ++t) {
      for (int i = 0; i < kCountersPerThread; ++i) {
        auto& e = counters_[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
        std::int64_t stored = storedValue(counterKey(t, i));
        inFlightApplied_ += expectAcknowledgedValue(counterKey(t, i), stored, e, round);
        e = {.acked = stored};
        expectedItems += stored != 0;
      }
    }
    for (int t = 0; t < kPairThreads; ++t) {
      for (int i = 0; i < kPairsPerThread; ++i) {
        int k = t * kPairsPerThread + i;
        auto& e = pairs_[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
        std::int64_t a = storedValue(pairKey('A', k));
        std::int64_t b = storedValue(pairKey('B', k));
        EXPECT_EQ(a, b) << "round " << round << ": transaction " << k << " is half-applied";
        inFlightApplied_ += expectAcknowledgedValue(pairKey('A', k), a, e, round);
        e = {.acked = a};
        expectedItems += (a != 0) + (b != 0);
      }
    }
    EXPECT_EQ(items.size(), expectedItems) << "round " << round << ": items nobody wrote";

    // The index holds exactly the projection of every table item that has the index key.
    std::map<std::string, json::object> expectedIndex;
    std::map<std::string, std::size_t> perBucket;
    for (const auto& [pk, item] : items) {
      if (auto projected = indexProjection(item)) {
        ++perBucket[std::string(projected->at("g").at("S").as_string())];
        expectedIndex.emplace(pk, std::move(*projected));
      }
    }
    auto indexItems = byKey(scanAll(server_.tables(), kIndex), duplicates);
    EXPECT_TRUE(duplicates.empty()) << "round " << round << ": the index repeats items";
    EXPECT_EQ(indexItems, expectedIndex) << "round " << round << ": the index differs from the "
                                         << "table (index scan vs. projected table scan)";

    // And a Query of each bucket returns that bucket's items in sort key order.
    for (const auto& [bucket, count] : perBucket) {
      auto r = server_.tables().call(
          Operation::kQuery,
          json::object{{"TableName", kTable},
                       {"IndexName", kIndex},
                       {"KeyConditionExpression", "g = :g"},
                       {"ExpressionAttributeValues", json::object{{":g", S(bucket)}}}});
      ASSERT_TRUE(r.ok()) << r.error().message();
      const auto& found = r->at("Items").as_array();
      EXPECT_EQ(found.size(), count) << "round " << round << ": index query of " << bucket;
      std::int64_t last = -1;
      for (const auto& item : found) {
        std::string pk(item.at("pk").at("S").as_string());
        auto it = expectedIndex.find(pk);
        EXPECT_TRUE(it != expectedIndex.end() && it->second == item.as_object())
            << "round " << round << ": index query of " << bucket << " returned "
            << json::serialize(item);
        std::int64_t v = numberOf(item.at("v"));
        EXPECT_GE(v, last) << "round " << round << ": index query out of sort key order";
        last = v;
      }
    }
  }

  int inFlightApplied_ = 0;
  TempDir dir_;
  DurableServer server_{dir_};
  std::vector<std::vector<Expectation>> counters_ = std::vector<std::vector<Expectation>>(
      kCounterThreads, std::vector<Expectation>(kCountersPerThread));
  std::vector<std::vector<Expectation>> pairs_ = std::vector<std::vector<Expectation>>(
      kPairThreads, std::vector<Expectation>(kPairsPerThread));
};

TEST_F(TableCrashTest, KillNineUnderLoadLosesNoAcknowledgedWriteNorHalfATransactionNorIndexSync) {
  ASSERT_NO_THROW(server_.start());
  ASSERT_NO_FATAL_FAILURE(createTable());
  std::mt19937 rng(kSeed);
  std::int64_t totalAcks = 0;
  for (int round = 1; round <= kRounds; ++round) {
    std::uniform_int_distribution<std::int64_t> killPoint(20, 300);
    RoundLoad load(killPoint(rng));
    std::vector<std::thread> writers;
    for (int t = 0; t < kCounterThreads; ++t) {
      writers.emplace_back(runCounters, std::ref(server_.tables()), std::ref(load), rng(), t,
                           std::ref(counters_[static_cast<std::size_t>(t)]));
    }
    for (int t = 0; t < kPairThreads; ++t) {
      writers.emplace_back(runPairs, std::ref(server_.tables()), std::ref(load), rng(), t,
                           std::ref(pairs_[static_cast<std::size_t>(t)]));
    }
    bool reached = load.waitForKillPoint(std::chrono::seconds(60));
    load.markKilled();
    server_.kill();
    load.stop();
    for (auto& w : writers) w.join();
    totalAcks += load.acks();
    for (const auto& p : load.problems()) ADD_FAILURE() << "round " << round << ": " << p;
    ASSERT_TRUE(reached) << "round " << round << ": the load never reached its kill point\n"
                         << server_.stderrText();

    ASSERT_NO_THROW(server_.start()) << "round " << round << ": restart failed";
    ASSERT_NO_FATAL_FAILURE(expectTableActive());
    ASSERT_NO_FATAL_FAILURE(verifyAfterRestart(round));
    if (HasFailure()) break;
  }
  RecordProperty("acknowledged_writes", std::to_string(totalAcks));
  RecordProperty("unacknowledged_writes_found_applied", std::to_string(inFlightApplied_));
}

}  // namespace
}  // namespace bakery::testing
