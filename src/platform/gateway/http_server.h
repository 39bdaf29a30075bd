// HttpServer: an HTTP/1.1 listener (Boost.Beast on Asio) with keep-alive and hard limits.
//
// One I/O thread per event loop; every loop has its own acceptor on the same port
// (SO_REUSEPORT), so the kernel spreads connections and loops share nothing on the hot path.
// Limits, each answered with the handler's refusal() shape and then the connection closed:
// request line + headers over maxHeaderBytes (431), URL over maxUrlBytes (414), body over
// maxBodyBytes (413, before reading it when Content-Length says so), a client that starts a
// request and does not finish its header within headerTimeout (408) or its body within
// bodyTimeout (408), a malformed message (400), more than maxConnections open (503).
// An idle keep-alive connection is closed quietly after idleTimeout.
//
// Lifecycle: start() binds and returns the port; stopAccepting() closes the acceptors and
// quietly closes idle connections, lets requests in flight finish (their responses carry
// `Connection: close`); drain() waits for them; stop() ends the loops. Thread-safe; the
// handler must outlive the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "platform/gateway/http_message.h"
#include "platform/observability/metrics_registry.h"

namespace bakery::gateway {

struct HttpLimits {
  std::size_t maxHeaderBytes = 10 * 1024;  // API Gateway's request line + headers quota
  std::size_t maxUrlBytes = 8 * 1024;
  std::uint64_t maxBodyBytes = 10 * 1024 * 1024;  // API Gateway's payload quota
  std::chrono::milliseconds headerTimeout{10'000};
  std::chrono::milliseconds bodyTimeout{30'000};
  std::chrono::milliseconds idleTimeout{60'000};
  std::chrono::milliseconds writeTimeout{30'000};
  int maxConnections = 10'000;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks a free port
  int ioThreads = 1;
  HttpLimits limits;
  std::string name = "app";  // the `listener` label of this server's metrics
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler& handler,
             observability::MetricsRegistry& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads; the bound port, or why it could not bind.
  core::Result<std::uint16_t> start();
  void stopAccepting();
  // Waits until no request is in flight, at most `grace`; true when none is left.
  bool drain(std::chrono::milliseconds grace);
  void stop();

  std::uint16_t port() const;
  int openConnections() const;

  struct Impl;  // opaque; public so the connection type in the .cc can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bakery::gateway
