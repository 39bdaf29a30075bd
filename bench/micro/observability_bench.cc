// Micro-benchmarks of observability on the hot path, each beside its baseline:
//   Histogram::observe   vs a bare std::atomic fetch_add (the floor for any shared counter)
//   Counter::inc         vs the same
//   Logger::log (redact + serialize + enqueue) vs fmt::format of a line with the same fields
#include <atomic>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "core/clock.h"
#include "platform/observability/logger.h"
#include "platform/observability/metrics_registry.h"

namespace bakery::observability {
namespace {

void BM_HistogramObserve(benchmark::State& state) {
  MetricsRegistry registry;
  Histogram& h = registry.histogram("bench_seconds", "bench");
  double v = 0.00042;
  for (auto _ : state) {
    h.observe(v);
    v = v < 1 ? v * 1.01 : 0.00001;
  }
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

void BM_CounterInc(benchmark::State& state) {
  static MetricsRegistry registry;
  Counter& c = registry.counter("bench_total", "bench");
  for (auto _ : state) c.inc();
}
BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_Baseline_AtomicFetchAdd(benchmark::State& state) {
  static std::atomic<std::uint64_t> n{0};
  for (auto _ : state) n.fetch_add(1, std::memory_order_relaxed);
}
BENCHMARK(BM_Baseline_AtomicFetchAdd)->Threads(1)->Threads(2);

class NullSink final : public LogSink {
 public:
  void write(std::string_view lines) override { benchmark::DoNotOptimize(lines.data()); }
};

void BM_LoggerInvocationLine(benchmark::State& state) {
  core::SystemClock clock;
  Logger logger(LogLevel::kInfo, std::make_unique<NullSink>(), clock);
  for (auto _ : state) {
    json::object line;
    line["msg"] = "invocation";
    line["requestId"] = "c0a8e6c2-1f0b-4d9e-8f43-9b1d2a7e5c10";
    line["traceId"] = "4bf92f3577b34da6a3ce929d0e0e4736";
    line["function"] = "diag.echo";
    line["route"] = "ANY /v1/diag/echo";
    line["status"] = 200;
    line["durationMs"] = 0.123;
    line["coldStart"] = false;
    line["bytesIn"] = 0;
    line["bytesOut"] = 858;
    logger.log(LogLevel::kInfo, std::move(line));
  }
  logger.flush();
}
BENCHMARK(BM_LoggerInvocationLine);

void BM_Baseline_FormatLine(benchmark::State& state) {
  for (auto _ : state) {
    auto s = fmt::format(
        R"({{"time":"{}","level":"info","msg":"invocation","requestId":"{}","traceId":"{}","function":"{}","route":"{}","status":{},"durationMs":{},"coldStart":{},"bytesIn":{},"bytesOut":{}}})",
        "2026-11-25T15:41:38.601097Z", "c0a8e6c2-1f0b-4d9e-8f43-9b1d2a7e5c10",
        "4bf92f3577b34da6a3ce929d0e0e4736", "diag.echo", "ANY /v1/diag/echo", 200, 0.123, false, 0,
        858);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Baseline_FormatLine);

}  // namespace
}  // namespace bakery::observability

BENCHMARK_MAIN();
