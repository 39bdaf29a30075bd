// The event bus end to end on the embedded store (storage.sync = fsync), beside raw RocksDB
// in the same run:
//   BM_PutEvents/threads:N        PutEvents of 10 entries matched to a queue target, N callers
//                                 at once: sustained durable events/s (items_per_second).
//   BM_Baseline_RocksDbBatch      one fsynced WriteBatch of 10 records of the same size.
//   BM_PutToQueueLatency          one event put, then received from the queue its rule sends it
//                                 to: p50/p99 microseconds of the whole path (two durable
//                                 writes: the put and the delivery, plus the dispatcher).
//   BM_Baseline_FsyncWrite        one fsynced write of one record: the unit of the above.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include "apps/bakery/platform_targets.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "platform/bus/engine/bus_engine.h"
#include "platform/queue/engine/queue_engine.h"
#include "platform/storage/storage.h"

namespace {

using namespace bakery;

constexpr std::string_view kDetail =
    R"({"orderId":"o-1","customer":{"id":"c-42","tier":"gold"},"total":250,"items":[{"sku":"A1","qty":2}]})";

// One store, queue engine and bus shared by every benchmark of the process.
struct World {
  World() {
    char dir[] = "/tmp/bakery-bus-bench-XXXXXX";
    path = mkdtemp(dir);
    storage = storage::Storage::open({path, storage::SyncPolicy::kFsync}).value();
    queues = std::make_unique<queue::QueueEngine>(*storage, clock, ids);
    (void)queues->open();
    targets = std::make_unique<app::PlatformTargets>(*queues, nullptr, nullptr, ids);
    bus = std::make_unique<bus::BusEngine>(*storage, clock, ids, *targets);
    (void)bus->open();
    (void)queues->createQueue("", "sink");
    (void)queues->createQueue("", "latency");
    call("PutRule", R"({"Name":"sink","EventPattern":"{\"source\":[\"bench.load\"]}"})");
    call("PutTargets", fmt::format(R"({{"Rule":"sink","Targets":[{{"Id":"q","Arn":"{}"}}]}})",
                                   queues->queueArn("", "sink")));
    call("PutRule", R"({"Name":"latency","EventPattern":"{\"source\":[\"bench.latency\"]}"})");
    call("PutTargets", fmt::format(R"({{"Rule":"latency","Targets":[{{"Id":"q","Arn":"{}"}}]}})",
                                   queues->queueArn("", "latency")));
  }
  ~World() {
    bus->stop();
    queues->stop();
    bus.reset();
    targets.reset();
    queues.reset();
    storage.reset();
    std::filesystem::remove_all(path);
  }
  void call(std::string_view op, std::string_view body) {
    auto r = bus->call("", op, core::parseJson(body, "request")->as_object());
    if (!r) throw std::runtime_error(r.error().message());
  }

  std::string path;
  core::SystemClock clock;
  core::RandomIdGenerator ids;
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<queue::QueueEngine> queues;
  std::unique_ptr<app::PlatformTargets> targets;
  std::unique_ptr<bus::BusEngine> bus;
};

World& world() {
  static World w;
  return w;
}

json::object putRequest(std::string_view source, int entries) {
  json::array list;
  for (int i = 0; i < entries; ++i) {
    list.push_back(
        json::object{{"Source", source}, {"DetailType", "OrderPlaced"}, {"Detail", kDetail}});
  }
  return json::object{{"Entries", std::move(list)}};
}

void BM_PutEvents(benchmark::State& state) {
  World& w = world();
  json::object request = putRequest("bench.load", 10);
  for (auto _ : state) {
    auto r = w.bus->putEvents("", request);
    if (!r) state.SkipWithError(r.error().message().c_str());
  }
  state.SetItemsProcessed(state.iterations() * 10);
  if (state.thread_index() == 0) {
    // Keep the sink from growing without bound between runs.
    (void)w.queues->purgeQueue("", "sink");
  }
}

void BM_Baseline_RocksDbBatch(benchmark::State& state) {
  World& w = world();
  std::string value(700, 'x');  // about a delivery record
  std::uint64_t n = static_cast<std::uint64_t>(state.thread_index()) << 40;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < 10; ++i) {
      batch.Put(w.storage->family(storage::Family::kBus), fmt::format("bench/{}", n++), value);
    }
    if (!w.storage->write(batch)) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * 10);
}

void reportPercentiles(benchmark::State& state, std::vector<double>& micros) {
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
}

void BM_PutToQueueLatency(benchmark::State& state) {
  World& w = world();
  json::object request = putRequest("bench.latency", 1);
  queue::ReceiveRequest receive;
  receive.maxNumberOfMessages = 1;
  receive.waitTimeSeconds = 5;
  std::vector<double> micros;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    if (!w.bus->putEvents("", request)) state.SkipWithError("put failed");
    auto got = w.queues->receiveMessage("", "latency", receive);
    auto end = std::chrono::steady_clock::now();
    if (!got || got->empty()) {
      state.SkipWithError("no message");
      break;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    (void)w.queues->deleteMessage("", "latency", (*got)[0].receiptHandle);
  }
  reportPercentiles(state, micros);
}

void BM_Baseline_FsyncWrite(benchmark::State& state) {
  World& w = world();
  std::string value(700, 'x');
  std::vector<double> micros;
  std::uint64_t n = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    rocksdb::WriteBatch batch;
    batch.Put(w.storage->family(storage::Family::kBus), fmt::format("single/{}", n++), value);
    if (!w.storage->write(batch)) state.SkipWithError("write failed");
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  reportPercentiles(state, micros);
}

}  // namespace

BENCHMARK(BM_PutEvents)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();
BENCHMARK(BM_Baseline_RocksDbBatch)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();
BENCHMARK(BM_PutToQueueLatency)->Iterations(2000)->UseRealTime();
BENCHMARK(BM_Baseline_FsyncWrite)->Iterations(2000)->UseRealTime();
BENCHMARK_MAIN();
