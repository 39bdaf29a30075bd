#include "support/testbed_functions.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/json/parse.hpp>

#include <bakery/http.h>

namespace bakery::testing {
namespace {

// Named gates a test opens over HTTP; handlers wait on them.
class Gates {
 public:
  // Waits until `name` is open or `limit` passes; true when it opened.
  bool wait(const std::string& name, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    auto& g = gates_[name];
    ++g.waiting;
    changed_.notify_all();
    bool opened = changed_.wait_for(lock, limit, [&] { return gates_[name].open; });
    --gates_[name].waiting;
    return opened;
  }
  void open(const std::string& name) {
    std::lock_guard lock(mu_);
    gates_[name].open = true;
    changed_.notify_all();
  }
  json::value state(const std::string& name) {
    std::lock_guard lock(mu_);
    auto& g = gates_[name];
    return json::object{{"waiting", g.waiting}, {"open", g.open}};
  }

 private:
  struct Gate {
    int waiting = 0;
    bool open = false;
  };
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Gate> gates_;
};

json::object bodyOf(const json::value& event) {
  auto body = HttpRequest(event).jsonBody();
  if (!body || !body->is_object()) return {};
  return body->get_object();
}

std::string stringField(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string())
                                                  : std::string();
}

std::int64_t intField(const json::object& o, std::string_view key, std::int64_t fallback) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_int64() ? it->value().get_int64() : fallback;
}

}  // namespace

void wireTestbed(FunctionRegistry& registry) {
  // State shared by the testbed's functions, owned by their handlers.
  auto gates = std::make_shared<Gates>();
  auto orderRuns = std::make_shared<std::atomic<int>>(0);
  registry.add(FunctionSpec{
      .name = "test.wait",
      .description = "Blocks until a named gate opens (or maxMs passes).",
      .handler = [gates](const json::value& event, Context&) -> json::value {
        auto body = bodyOf(event);
        bool opened = gates->wait(stringField(body, "gate"),
                                  std::chrono::milliseconds(intField(body, "maxMs", 5000)));
        return json::object{{"opened", opened}};
      },
      .routes = {{"POST /v1/test/wait", Authorization::none()}},
      .timeout = std::chrono::seconds(10),
  });
  registry.add(FunctionSpec{
      .name = "test.gate",
      .description = "Reads or opens a gate.",
      .handler = [gates](const json::value& event, Context&) -> json::value {
        HttpRequest req(event);
        std::string name(req.pathParam("gate").value_or(""));
        if (req.method() == "POST") gates->open(name);
        return gates->state(name);
      },
      .routes = {{"GET /v1/test/gates/{gate}", Authorization::none()},
                 {"POST /v1/test/gates/{gate}/open", Authorization::none()}},
  });
  registry.add(FunctionSpec{
      .name = "test.echo",
      .description = "Returns its event, on routes with path parameters.",
      .handler = [](const json::value& event, Context&) { return event; },
      .routes = {{"GET /v1/test/items/{id}", Authorization::none()},
                 {"GET /v1/test/items/special", Authorization::none()},
                 {"ANY /v1/test/files/{path+}", Authorization::none()},
                 {"DELETE /v1/test/items/{id}", Authorization::none()}},
  });
  registry.add(FunctionSpec{
      .name = "test.notes",
      .description = "Writes a note to table `notes` through Context::tables(), reads it back.",
      .handler = [](const json::value& event, Context& ctx) -> json::value {
        json::value body = bodyOf(event);
        std::string id(body.at("id").as_string());
        std::string text(body.at("text").as_string());
        auto notes = ctx.tables().open("notes");
        table::AttributeMap item{{"id", table::S(id)}, {"text", table::S(text)}};
        if (auto put = notes->put(item); !put) {
          return json::object{{"error", put.error().type() + ": " + put.error().message()}};
        }
        auto got = notes->get({{"id", table::S(id)}}, {.consistent = true});
        if (!got || !*got) return json::object{{"error", "not found after put"}};
        return json::object{{"id", id}, {"text", (**got).at("text").scalar()}};
      },
      .routes = {{"POST /v1/test/notes", Authorization::none()}},
  });
  registry.add(FunctionSpec{
      .name = "test.throw",
      .description = "Throws an exception with a detail that must stay in the log.",
      .handler = [](const json::value&, Context&) -> json::value {
        throw std::runtime_error("boom: internal-detail-7f3a");
      },
      .routes = {{"ANY /v1/test/throw", Authorization::none()}},
  });
  registry.add(FunctionSpec{
      .name = "test.validate",
      .description = "Echoes a body that satisfies its JSON Schema.",
      .handler = [](const json::value& event, Context&) -> json::value { return bodyOf(event); },
      .routes = {{"POST /v1/test/validate", Authorization::none()}},
      .bodySchema = json::parse(R"({
        "type": "object",
        "required": ["name", "owner"],
        "additionalProperties": false,
        "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 64},
          "owner": {
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"type": "string", "pattern": "^[^@]+@[^@]+$"}}
          },
          "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}
        }
      })"),
  });
  registry.add(FunctionSpec{
      .name = "test.orders",
      .description = "An idempotent order: counts its runs; can wait, fail or answer 5xx.",
      .handler = [gates, orderRuns](const json::value& event, Context&) -> json::value {
        auto body = bodyOf(event);
        int run = ++*orderRuns;
        if (auto gate = stringField(body, "gate"); !gate.empty()) {
          gates->wait(gate, std::chrono::milliseconds(5000));
        }
        if (intField(body, "fail", 0) != 0) throw std::runtime_error("order failed");
        int status = static_cast<int>(intField(body, "status", 201));
        return HttpResponse(status)
            .jsonBody(json::object{{"orderId", stringField(body, "orderId")}, {"run", run}})
            .toJson();
      },
      .routes = {{"POST /v1/test/orders", Authorization::none()}},
      .idempotency = IdempotencyOptions{.bodyKeyPointer = "/orderId"},
  });
  registry.add(FunctionSpec{
      .name = "test.respond",
      .description = "Returns the `result` member of its JSON body verbatim.",
      .handler = [](const json::value& event, Context&) -> json::value {
        auto body = bodyOf(event);
        auto it = body.find("result");
        return it == body.end() ? json::value(nullptr) : it->value();
      },
      .routes = {{"POST /v1/test/respond", Authorization::none()}},
  });
  registry.add(FunctionSpec{
      .name = "test.log",
      .description = "Logs the request headers and secret-looking fields through its context.",
      .handler = [](const json::value& event, Context& ctx) -> json::value {
        ctx.log(LogLevel::kInfo, "testbed log line",
                json::object{{"headers", event.at("headers")},
                             {"password", "hunter2-secret"},
                             {"nested", json::object{{"clientSecret", "s3cr3t-value"},
                                                     {"visible", "plain-value"}}}});
        return json::object{{"logged", true}};
      },
      .routes = {{"POST /v1/test/log", Authorization::none()}},
  });
  registry.add(FunctionSpec{
      .name = "test.sleep",
      .description = "Sleeps for `ms` milliseconds (a slow function).",
      .handler = [](const json::value& event, Context&) -> json::value {
        auto ms = intField(bodyOf(event), "ms", 100);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        return json::object{{"slept", ms}};
      },
      .routes = {{"POST /v1/test/sleep", Authorization::none()}},
      .timeout = std::chrono::seconds(30),
  });
  registry.add(FunctionSpec{
      .name = "test.context",
      .description = "Reports what its Context says.",
      .handler = [](const json::value&, Context& ctx) -> json::value {
        return json::object{{"requestId", ctx.requestId()},
                            {"function", ctx.functionName()},
                            {"traceId", ctx.trace().traceId},
                            {"spanId", ctx.trace().spanId},
                            {"parentSpanId", ctx.trace().parentSpanId},
                            {"remainingMs", ctx.remaining().count()},
                            {"greeting", ctx.env("GREETING").value_or("")}};
      },
      .routes = {{"GET /v1/test/context", Authorization::none()}},
      .timeout = std::chrono::seconds(2),
      .environment = {{"GREETING", "hello"}},
  });
}

}  // namespace bakery::testing
