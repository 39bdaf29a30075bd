// Micro-benchmarks of the request path, each beside the baseline it is judged against:
//   Router::match          vs an exact-key std::unordered_map lookup (the cheapest router)
//   buildEvent (payload 2.0) vs boost::json::parse of the same event text (what a Lambda
//                            runtime pays to read the event it receives)
//   mapResult              vs serializing the same result
#include <string>
#include <unordered_map>
#include <variant>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>

#include "platform/gateway/payload_v2.h"
#include "platform/gateway/router.h"

namespace bakery::gateway {
namespace {

Router makeRouter() {
  Router r;
  for (int i = 0; i < 50; ++i) {
    (void)r.add("GET /v1/res" + std::to_string(i) + "/{id}", "f");
    (void)r.add("POST /v1/res" + std::to_string(i), "f");
  }
  (void)r.add("ANY /v1/diag/echo", "diag.echo");
  (void)r.add("ANY /v1/files/{path+}", "files");
  return r;
}

void BM_RouterMatch(benchmark::State& state) {
  Router r = makeRouter();
  for (auto _ : state) {
    auto m = r.match("GET", "/v1/res42/abc123");
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_RouterMatch);

void BM_Baseline_UnorderedMapExactLookup(benchmark::State& state) {
  std::unordered_map<std::string, std::string> routes;
  for (int i = 0; i < 101; ++i) routes.emplace("GET /v1/res" + std::to_string(i) + "/abc123", "f");
  std::string key = "GET /v1/res42/abc123";
  for (auto _ : state) {
    auto it = routes.find(key);
    benchmark::DoNotOptimize(it);
  }
}
BENCHMARK(BM_Baseline_UnorderedMapExactLookup);

ServerRequest typicalRequest() {
  ServerRequest req;
  req.method = "POST";
  req.target = "/v1/orders/o-123?expand=items&expand=customer";
  req.headers = {{"Host", "api.example.com"},
                 {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"},
                 {"Accept", "application/json"},
                 {"Content-Type", "application/json"},
                 {"Cookie", "session=abc; theme=dark"},
                 {"X-Request-Id", "req-1"},
                 {"Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  req.body = R"({"sku":"ABC-1","quantity":2,"note":"leave at the door"})";
  req.sourceIp = "127.0.0.1";
  return req;
}

void BM_BuildEventV2(benchmark::State& state) {
  ServerRequest req = typicalRequest();
  RouteMatch route{"POST /v1/orders/{id}", "orders.update", {{"id", "o-123"}}};
  ApiIdentity api;
  auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    // As the gateway does it: one arena per event.
    auto event =
        buildEvent(EventInputs{req, route, api, "req-1", now, 8080, nullptr},
                   boost::json::make_shared_resource<boost::json::monotonic_resource>(4096));
    benchmark::DoNotOptimize(event);
  }
}
BENCHMARK(BM_BuildEventV2);

void BM_Baseline_ParseEventJson(benchmark::State& state) {
  ServerRequest req = typicalRequest();
  RouteMatch route{"POST /v1/orders/{id}", "orders.update", {{"id", "o-123"}}};
  ApiIdentity api;
  std::string text = boost::json::serialize(buildEvent(
      EventInputs{req, route, api, "req-1", std::chrono::system_clock::now(), 8080, nullptr}));
  for (auto _ : state) {
    // The same arena, so the comparison is of the work and not of the allocator.
    auto v = boost::json::parse(
        text, boost::json::make_shared_resource<boost::json::monotonic_resource>(4096));
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_Baseline_ParseEventJson);

void BM_MapStructuredResult(benchmark::State& state) {
  auto result = boost::json::parse(
      R"({"statusCode":201,"headers":{"content-type":"application/json","x-a":"1"},
          "cookies":["a=1"],"body":"{\"id\":\"o-123\",\"status\":\"created\"}"})");
  for (auto _ : state) {
    auto r = mapResult(result);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_MapStructuredResult);

void BM_Baseline_SerializeResult(benchmark::State& state) {
  auto result = boost::json::parse(
      R"({"statusCode":201,"headers":{"content-type":"application/json","x-a":"1"},
          "cookies":["a=1"],"body":"{\"id\":\"o-123\",\"status\":\"created\"}"})");
  for (auto _ : state) {
    auto s = boost::json::serialize(result);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Baseline_SerializeResult);

}  // namespace
}  // namespace bakery::gateway

BENCHMARK_MAIN();
