// The embedded table engine beside raw RocksDB on the same data, in the same run.
//
//   BM_Baseline_RocksDbGet / BM_Baseline_RocksDbPut   raw Get (+ decoding the item, which any
//                                                     reader must do) / Put of the stored bytes,
//                                                     on a Storage with the same options
//   BM_Engine_GetItem / BM_Engine_PutItem             the engine's JSON-level call
//   BM_Typed_GetItem / BM_Typed_PutItem               the SDK's typed handle (what handlers use:
//                                                     EngineTables, as ctx.tables() gives them)
//   BM_Engine_Query100 / BM_Baseline_RocksDbScan100   Query of one 100-item partition vs a
//                                                     raw 100-key iteration
//
// Every benchmark reports p50/p99 latency (µs) besides Google Benchmark's mean. The table
// holds BAKERY_BENCH_ITEMS items (default 1,000,000: 10,000 partitions of 100 items of ~200
// bytes), loaded once per process. Writes use the sync policy named in BAKERY_BENCH_SYNC
// ("none" by default, so the ratio shows CPU overhead rather than the disk's fsync time).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <bakery/table/table.h>

#include "core/clock.h"
#include "core/ids.h"
#include "platform/storage/storage.h"
#include "platform/table/codec/attribute_json.h"
#include "platform/table/codec/item_codec.h"
#include "platform/table/engine/engine_tables.h"
#include "platform/table/engine/table_engine.h"

namespace {

using namespace bakery;  // NOLINT(google-build-using-namespace)
using table::AttributeMap;
using table::AttributeValue;

constexpr int kItemsPerPartition = 100;

std::size_t itemCount() {
  const char* v = std::getenv("BAKERY_BENCH_ITEMS");
  return v ? std::strtoull(v, nullptr, 10) : 1'000'000;
}

std::string pk(std::size_t partition) { return "user#" + std::to_string(partition); }

AttributeMap makeItem(std::size_t partition, int sort) {
  return {{"pk", AttributeValue::string(pk(partition))},
          {"sk", AttributeValue::number(std::to_string(sort))},
          {"status", AttributeValue::string(sort % 3 ? "open" : "closed")},
          {"total", AttributeValue::number("1234.56")},
          {"note", AttributeValue::string(std::string(150, 'x'))}};
}

// One engine and one raw RocksDB instance holding the same items, shared by all benchmarks.
struct World {
  std::string dir;
  core::SystemClock clock;
  core::RandomIdGenerator ids;
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<table::engine::TableEngine> engine;
  std::unique_ptr<table::TableService> service;
  std::unique_ptr<table::engine::EngineTables> tables;
  std::unique_ptr<table::Table> orders;
  std::unique_ptr<storage::Storage> rawStorage;
  rocksdb::DB* raw = nullptr;
  rocksdb::WriteOptions rawWrite;
  std::size_t partitions = 0;

  World() {
    dir = (std::filesystem::temp_directory_path() / "bakery-table-bench").string();
    std::filesystem::remove_all(dir);
    const char* sync = std::getenv("BAKERY_BENCH_SYNC");
    auto policy =
        storage::syncPolicyFromName(sync ? sync : "none").value_or(storage::SyncPolicy::kNone);
    storage = std::move(storage::Storage::open({dir + "/engine", policy, 256u << 20}).value());
    table::engine::EngineOptions options;
    options.ttlSweepInterval = std::chrono::milliseconds(0);
    engine = std::make_unique<table::engine::TableEngine>(*storage, clock, ids, options);
    (void)engine->open();
    service = engine->service("");
    tables = std::make_unique<table::engine::EngineTables>(*engine, "");
    (void)service->call(table::Operation::kCreateTable,
                        core::parseJson(R"({"TableName":"orders","BillingMode":"PAY_PER_REQUEST",
          "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                                  {"AttributeName":"sk","AttributeType":"N"}],
          "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
                       {"AttributeName":"sk","KeyType":"RANGE"}]})",
                                        "create")
                            ->as_object());
    orders = tables->open("orders");

    // The baseline is a second Storage: the very same RocksDB options (block cache, bloom
    // filters, no compression), used directly.
    rawStorage = std::move(storage::Storage::open({dir + "/raw", policy, 256u << 20}).value());
    raw = &rawStorage->db();
    rawWrite.sync = policy == storage::SyncPolicy::kFsync;

    partitions = std::max<std::size_t>(1, itemCount() / kItemsPerPartition);
    // Load through BatchWriteItem (25 items per call) into the engine; the same bytes under
    // equally long keys into raw RocksDB.
    for (std::size_t p = 0; p < partitions; ++p) {
      rocksdb::WriteBatch rawBatch;
      for (int s = 0; s < kItemsPerPartition; s += 25) {
        json::array puts;
        for (int i = s; i < s + 25; ++i) {
          AttributeMap item = makeItem(p, i);
          rawBatch.Put(rawKey(p, i), table::codec::encodeItem(item));
          puts.push_back(json::object{
              {"PutRequest", json::object{{"Item", table::codec::attributeMapToJson(item)}}}});
        }
        (void)service->call(
            table::Operation::kBatchWriteItem,
            json::object{{"RequestItems", json::object{{"orders", std::move(puts)}}}});
      }
      rocksdb::WriteOptions loadOptions;
      (void)raw->Write(loadOptions, &rawBatch);
    }
  }

  ~World() {
    rawStorage.reset();
    orders.reset();
    tables.reset();
    service.reset();
    engine.reset();
    storage.reset();
    std::filesystem::remove_all(dir);
  }

  // As long as the engine's key for the same item: table id, tenant, hash, pk, sk.
  static std::string rawKey(std::size_t partition, int sort) {
    char tail[32];
    int n = std::snprintf(tail, sizeof tail, "user#%08zu/%05d", partition, sort);
    return std::string("\0\0\0\1\0\1\0\0", 8) + std::string(tail, static_cast<std::size_t>(n));
  }
};

World& world() {
  static World w;  // built once, on first use, so every benchmark shares the same data
  return w;
}

// Records per-operation latency and reports percentiles.
class Latencies {
 public:
  explicit Latencies(std::size_t reserve) { samples_.reserve(reserve); }
  template <class F>
  void time(F&& f) {
    auto start = std::chrono::steady_clock::now();
    f();
    samples_.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  void report(benchmark::State& state) {
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    state.counters["p50_us"] = samples_[samples_.size() / 2];
    state.counters["p99_us"] = samples_[samples_.size() * 99 / 100];
  }

 private:
  std::vector<double> samples_;
};

std::mt19937_64& rng() {
  static std::mt19937_64 r(42);
  return r;
}

void BM_Baseline_RocksDbGet(benchmark::State& state) {
  World& w = world();
  std::uniform_int_distribution<std::size_t> part(0, w.partitions - 1);
  std::uniform_int_distribution<int> sort(0, kItemsPerPartition - 1);
  Latencies lat(1 << 20);
  rocksdb::PinnableSlice value;
  for (auto _ : state) {
    std::string key = World::rawKey(part(rng()), sort(rng()));
    lat.time([&] {
      value.Reset();
      (void)w.raw->Get(rocksdb::ReadOptions(), w.raw->DefaultColumnFamily(), key, &value);
      auto item = table::codec::decodeItem(value.ToStringView());
      benchmark::DoNotOptimize(item);
    });
  }
  lat.report(state);
}

void BM_Engine_GetItem(benchmark::State& state) {
  World& w = world();
  std::uniform_int_distribution<std::size_t> part(0, w.partitions - 1);
  std::uniform_int_distribution<int> sort(0, kItemsPerPartition - 1);
  Latencies lat(1 << 20);
  for (auto _ : state) {
    json::object request{
        {"TableName", "orders"},
        {"Key", json::object{{"pk", json::object{{"S", pk(part(rng()))}}},
                             {"sk", json::object{{"N", std::to_string(sort(rng()))}}}}}};
    lat.time([&] {
      auto r = w.service->call(table::Operation::kGetItem, request);
      benchmark::DoNotOptimize(r);
    });
  }
  lat.report(state);
}

void BM_Typed_GetItem(benchmark::State& state) {
  World& w = world();
  std::uniform_int_distribution<std::size_t> part(0, w.partitions - 1);
  std::uniform_int_distribution<int> sort(0, kItemsPerPartition - 1);
  Latencies lat(1 << 20);
  for (auto _ : state) {
    AttributeMap key{{"pk", AttributeValue::string(pk(part(rng())))},
                     {"sk", AttributeValue::number(std::to_string(sort(rng())))}};
    lat.time([&] {
      auto r = w.orders->get(key);
      benchmark::DoNotOptimize(r);
    });
  }
  lat.report(state);
}

void BM_Baseline_RocksDbPut(benchmark::State& state) {
  World& w = world();
  std::uniform_int_distribution<std::size_t> part(0, w.partitions - 1);
  std::uniform_int_distribution<int> sort(0, kItemsPerPartition - 1);
  Latencies lat(1 << 20);
  for (auto _ : state) {
    std::size_t p = part(rng());
    int s = sort(rng());
    AttributeMap item = makeItem(p, s);
    std::string key = World::rawKey(p, s);
    lat.time([&] { (void)w.raw->Put(w.rawWrite, key, table::codec::encodeItem(item)); });
  }
  lat.report(state);
}

void BM_Engine_PutItem(benchmark::State& state) {
  World& w = world();
  std::uniform_int_distribution<std::size_t> part(0, w.partitions - 1);
  std::uniform_int_distribution<int> sort(0, kItemsPerPartition - 1);
  Latencies lat(1 << 20);
  for (auto _ : state) {
    json::object item{{"pk", json::object{{"S", pk(part(rng()))}}},
                      {"sk", json::object{{"N", std::to_string(sort(rng()))}}},
                      {"status", json::object{{"S", "open"}}},
                      {"total", json::object{{"N", "1234.56"}}},
                      {"note", json::object{{"S", std::string(150, 'x')}}}};
    json::object request{{"TableName", "orders"}, {"Item", std::move(item)}};
    lat.time([&] {
      auto r = w.service->call(table::Operation::kPutItem, request);
      benchmark::DoNotOptimize(r);
    });
  }
  lat.report(state);
}

void BM_Typed_PutItem(benchmark::State& state) {
  World& w = world();
  std::uniform_int_distribution<std::size_t> part(0, w.partitions - 1);
  std::uniform_int_distribution<int> sort(0, kItemsPerPartition - 1);
  Latencies lat(1 << 20);
  for (auto _ : state) {
    AttributeMap item = makeItem(part(rng()), sort(rng()));
    lat.time([&] {
      auto r = w.orders->put(item);
      benchmark::DoNotOptimize(r);
    });
  }
  lat.report(state);
}

void BM_Baseline_RocksDbScan100(benchmark::State& state) {
  World& w = world();
  std::uniform_int_distribution<std::size_t> part(0, w.partitions - 1);
  Latencies lat(1 << 20);
  for (auto _ : state) {
    std::size_t p = part(rng());
    std::string start = World::rawKey(p, 0);
    std::string end = World::rawKey(p + 1, 0);
    lat.time([&] {
      rocksdb::ReadOptions ro;
      rocksdb::Slice upper(end);
      ro.iterate_upper_bound = &upper;
      std::unique_ptr<rocksdb::Iterator> it(w.raw->NewIterator(ro));
      int n = 0;
      for (it->Seek(start); it->Valid(); it->Next()) {
        auto item = table::codec::decodeItem(it->value().ToStringView());
        benchmark::DoNotOptimize(item);
        ++n;
      }
      benchmark::DoNotOptimize(n);
    });
  }
  lat.report(state);
}

void BM_Engine_Query100(benchmark::State& state) {
  World& w = world();
  std::uniform_int_distribution<std::size_t> part(0, w.partitions - 1);
  Latencies lat(1 << 20);
  for (auto _ : state) {
    json::object request{
        {"TableName", "orders"},
        {"KeyConditionExpression", "pk = :p"},
        {"ExpressionAttributeValues", json::object{{":p", json::object{{"S", pk(part(rng()))}}}}}};
    lat.time([&] {
      auto r = w.service->call(table::Operation::kQuery, request);
      benchmark::DoNotOptimize(r);
    });
  }
  lat.report(state);
}

BENCHMARK(BM_Baseline_RocksDbGet);
BENCHMARK(BM_Engine_GetItem);
BENCHMARK(BM_Typed_GetItem);
BENCHMARK(BM_Baseline_RocksDbPut);
BENCHMARK(BM_Engine_PutItem);
BENCHMARK(BM_Typed_PutItem);
BENCHMARK(BM_Baseline_RocksDbScan100);
BENCHMARK(BM_Engine_Query100);

}  // namespace

BENCHMARK_MAIN();
