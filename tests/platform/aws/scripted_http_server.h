// ScriptedHttpServer: a tiny blocking HTTP/1.1 server on 127.0.0.1, port 0, for client tests.
//
// It answers requests with the responses queued by the test, in order (200 `{}` once the
// queue is empty), records every request with the connection it arrived on, and keeps
// connections alive, so a test sees exactly what a client sent and whether it reused its
// connection. A response may instead close the connection without answering, which a client
// sees as a transport failure. One thread per connection; thread-safe; stops in its
// destructor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakery::aws::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int connection = 0;  // 1 for the first connection accepted, 2 for the next, ...

  std::optional<std::string> header(std::string_view name) const;  // case-insensitive
};

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "{}";
  bool closeWithoutAnswer = false;
};

class ScriptedHttpServer {
 public:
  ScriptedHttpServer();  // binds and starts; aborts the test binary if it cannot bind
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::uint16_t port() const;
  std::string endpoint() const;  // "http://127.0.0.1:<port>"

  void enqueue(ScriptedResponse response);
  std::vector<RecordedRequest> requests() const;
  int connectionsAccepted() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
std::uint16_t unusedPort();

}  // namespace bakery::aws::testing
