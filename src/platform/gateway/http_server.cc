#include "platform/gateway/http_server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <optional>
#include <thread>
#include <unordered_set>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include "core/mutex.h"

namespace bakery::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

std::optional<std::string_view> ServerRequest::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (equalsIgnoreCase(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

}  // namespace

class Connection;

struct HttpServer::Impl {
  Impl(HttpServerOptions o, RequestHandler& h, observability::MetricsRegistry& metrics)
      : options(std::move(o)), handler(h) {
    observability::Labels l{{"listener", options.name}};
    connectionsOpen =
        &metrics.gauge("bakery_gateway_open_connections", "Open client connections.", l);
    connectionsTotal =
        &metrics.counter("bakery_gateway_connections_total", "Connections accepted.", l);
    refusedTotal = &metrics.counter("bakery_gateway_connections_refused_total",
                                    "Connections refused at maxConnections.", l);
    for (const char* cls : {"1xx", "2xx", "3xx", "4xx", "5xx"}) {
      observability::Labels rl = l;
      rl.emplace_back("class", cls);
      responses.push_back(&metrics.counter("bakery_gateway_responses_total",
                                           "Responses sent, by status class.", rl));
    }
  }

  void countResponse(int status) {
    int idx = status / 100 - 1;
    if (idx >= 0 && idx < 5) responses[idx]->inc();
  }
  struct Loop {
    std::unique_ptr<asio::io_context> context;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<asio::steady_timer> sweep;
    // Touched on this loop's thread only.
    std::unordered_set<Connection*> connections;
  };

  void accept(Loop& loop);
  void sweep(Loop& loop);
  void track(Loop& loop, Connection* c);
  void untrack(Loop& loop, Connection* c);
  void requestStarted() { inFlight.fetch_add(1); }
  void requestFinished() {
    if (inFlight.fetch_sub(1) == 1) {
      core::MutexLock lock(mu);
      idle.notify_all();
    }
  }

  HttpServerOptions options;
  RequestHandler& handler;
  std::vector<std::unique_ptr<Loop>> loops;
  std::vector<std::thread> threads;
  std::chrono::milliseconds sweepInterval{250};
  std::uint16_t port = 0;
  std::atomic<int> open{0};
  std::atomic<int> inFlight{0};
  std::atomic<bool> draining{false};
  core::Mutex mu;  // for `idle` only
  std::condition_variable idle;

  observability::Gauge* connectionsOpen;
  observability::Counter* connectionsTotal;
  observability::Counter* refusedTotal;
  std::vector<observability::Counter*> responses;
};

// One client connection: reads a request, hands it to the handler, writes the response,
// and repeats while keep-alive holds. All of its state is touched on its loop's thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Connection(HttpServer::Impl& server, HttpServer::Impl::Loop& loop, tcp::socket socket)
      : server_(server), loop_(loop), socket_(std::move(socket)) {}

  void start() {
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);  // read_some after readiness must never block the loop
    auto remote = socket_.remote_endpoint(ec);
    if (!ec) sourceIp_ = remote.address().to_string();
    awaitRequest();
  }

  // Called on this connection's loop when the server starts draining.
  void beginShutdown() {
    if (state_ == State::kIdle) close();
    // Otherwise the response in progress carries Connection: close.
  }

  // Called by the loop's sweep: acts on a passed deadline. Timeouts are checked in sweeps
  // rather than with a timer per request, so the request path makes no timer syscalls.
  void checkDeadline(TimePoint now) {
    if (now < deadline_ || state_ == State::kClosed) return;
    deadline_ = TimePoint::max();
    switch (state_) {
      case State::kIdle:
      case State::kReading: {
        timedOut_ = true;
        error_code ignored;
        socket_.cancel(ignored);  // the pending read completes with operation_aborted
        break;
      }
      case State::kWriting:
        close();  // a client that does not read its response
        break;
      default:
        break;
    }
  }

  void refuseAndClose(int status, std::string_view type, std::string_view message) {
    state_ = State::kWriting;
    keepAlive_ = false;
    writeResponse(server_.handler.refusal(status, type, message), /*countsAsRequest=*/false);
  }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kClosed };

  void awaitRequest() {
    if (server_.draining.load()) return close();
    state_ = State::kIdle;
    parser_.emplace();
    parser_->eager(true);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.limits.maxHeaderBytes));
    parser_->body_limit(server_.options.limits.maxBodyBytes);
    headerSeen_ = false;
    sentContinue_ = false;
    isHead_ = false;
    // Pipelined bytes already buffered start the next request at once.
    if (buffer_.size() > 0) {
      beginReading();
      return parse();
    }
    setDeadline(server_.options.limits.idleTimeout);
    read();
  }

  void beginReading() {
    state_ = State::kReading;
    setDeadline(server_.options.limits.headerTimeout);
  }

  // Waits for readability, then reads what is there. An async_read_some would first try a
  // speculative recv, which on a keep-alive connection almost always finds nothing yet (the
  // client is still reading our last response): one wasted syscall per request.
  void read() {
    auto self = shared_from_this();
    socket_.async_wait(tcp::socket::wait_read, [self](error_code ec) { self->onReadable(ec); });
  }

  void onReadable(error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec) {
      if (ec == asio::error::operation_aborted && timedOut_) return onTimeout();
      return close();
    }
    std::size_t n = socket_.read_some(buffer_.prepare(kReadChunk), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return read();
    if (ec) return close();  // includes end of stream
    buffer_.commit(n);
    if (state_ == State::kIdle) beginReading();
    parse();
  }

  void parse() {
    while (buffer_.size() > 0) {
      error_code ec;
      std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec) return onParseError(ec);
      if (parser_->is_header_done() && !headerSeen_) {
        headerSeen_ = true;
        if (!onHeader()) return;
      }
      if (parser_->is_done()) return dispatch();
      if (used == 0) break;
    }
    if (parser_->is_header_done() && !parser_->is_done()) maybeSendContinue();
    read();
  }

  // Checks made once the header is complete; false when the request was refused.
  bool onHeader() {
    const auto& req = parser_->get();
    if (req.target().size() > server_.options.limits.maxUrlBytes) {
      refuseAndClose(
          414, "UriTooLongException",
          fmt::format("Request URL exceeds {} bytes", server_.options.limits.maxUrlBytes));
      return false;
    }
    if (!parser_->is_done()) setDeadline(server_.options.limits.bodyTimeout);
    return true;
  }

  void maybeSendContinue() {
    if (sentContinue_) return;
    auto expect = parser_->get().find(http::field::expect);
    if (expect == parser_->get().end() || !equalsIgnoreCase(expect->value(), "100-continue"))
      return;
    sentContinue_ = true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    error_code ec;
    asio::write(socket_, asio::buffer(kContinue), ec);  // 25 bytes: never blocks in practice
  }

  void onParseError(error_code ec) {
    const auto& limits = server_.options.limits;
    if (ec == http::error::header_limit) {
      // A request line that alone does not fit is a long URL; otherwise the headers are.
      // Beast may already have taken the request line out of the buffer.
      std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      auto eol = data.find("\r\n");
      bool lineParsed = !parser_->get().target().empty();
      if (!lineParsed && (eol == std::string_view::npos || eol > limits.maxUrlBytes)) {
        return refuseAndClose(414, "UriTooLongException",
                              fmt::format("Request URL exceeds {} bytes", limits.maxUrlBytes));
      }
      return refuseAndClose(
          431, "RequestHeaderFieldsTooLargeException",
          fmt::format("Request line and headers exceed {} bytes", limits.maxHeaderBytes));
    }
    if (ec == http::error::body_limit) {
      return refuseAndClose(413, "PayloadTooLargeException",
                            fmt::format("Request body exceeds {} bytes", limits.maxBodyBytes));
    }
    refuseAndClose(400, "BadRequestException",
                   fmt::format("Malformed HTTP request: {}", ec.message()));
  }

  void onTimeout() {
    if (state_ == State::kIdle) return close();
    refuseAndClose(
        408, "RequestTimeoutException",
        headerSeen_ ? "Request body not received in time" : "Request header not received in time");
  }

  void setDeadline(std::chrono::milliseconds after) {
    timedOut_ = false;
    deadline_ = std::chrono::steady_clock::now() + after;
  }

  void dispatch() {
    deadline_ = TimePoint::max();
    state_ = State::kHandling;
    auto& msg = parser_->get();
    keepAlive_ = msg.keep_alive();
    isHead_ = msg.method() == http::verb::head;
    ServerRequest request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    request.protocol = msg.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    request.headers.reserve(16);
    for (const auto& field : msg) {
      request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    request.body = std::move(msg.body());
    request.sourceIp = sourceIp_;
    server_.requestStarted();
    auto self = shared_from_this();
    server_.handler.handle(std::move(request), [self](ServerResponse response) {
      asio::dispatch(self->socket_.get_executor(), [self, r = std::move(response)]() mutable {
        self->state_ = State::kWriting;
        self->writeResponse(std::move(r), /*countsAsRequest=*/true);
      });
    });
  }

  void writeResponse(ServerResponse response, bool countsAsRequest) {
    if (state_ == State::kClosed) {
      if (countsAsRequest) server_.requestFinished();
      return;
    }
    bool close = !keepAlive_ || server_.draining.load();
    head_.clear();
    auto reason = http::obsolete_reason(static_cast<http::status>(response.status));
    fmt::format_to(std::back_inserter(head_), "HTTP/1.1 {} {}\r\n", response.status,
                   std::string_view(reason.data(), reason.size()));
    for (const auto& h : response.headers) {
      head_ += h.name;
      head_ += ": ";
      head_ += h.value;
      head_ += "\r\n";
    }
    fmt::format_to(std::back_inserter(head_), "Content-Length: {}\r\n", response.body.size());
    if (close) head_ += "Connection: close\r\n";
    head_ += "\r\n";
    body_ = std::move(response.body);
    if (isHead_) body_.clear();  // HEAD: the length of the body a GET would get, no body
    server_.countResponse(response.status);

    setDeadline(server_.options.limits.writeTimeout);
    auto self = shared_from_this();
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(socket_, buffers, [self, close, countsAsRequest](error_code ec, std::size_t) {
      self->deadline_ = TimePoint::max();
      if (countsAsRequest) self->server_.requestFinished();
      if (ec || close) return self->close();
      self->awaitRequest();
    });
  }

  void close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    deadline_ = TimePoint::max();
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    server_.untrack(loop_, this);
  }

  HttpServer::Impl& server_;
  HttpServer::Impl::Loop& loop_;
  tcp::socket socket_;
  TimePoint deadline_ = TimePoint::max();
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string sourceIp_;
  std::string head_;
  std::string body_;
  State state_ = State::kIdle;
  bool keepAlive_ = true;
  bool isHead_ = false;
  bool headerSeen_ = false;
  bool sentContinue_ = false;
  bool timedOut_ = false;
};

void HttpServer::Impl::track(Loop& loop, Connection* c) {
  open.fetch_add(1);
  connectionsOpen->add(1);
  connectionsTotal->inc();
  loop.connections.insert(c);
}

void HttpServer::Impl::untrack(Loop& loop, Connection* c) {
  if (loop.connections.erase(c) > 0) {
    open.fetch_sub(1);
    connectionsOpen->add(-1);
  }
}

void HttpServer::Impl::accept(Loop& loop) {
  loop.acceptor->async_accept(*loop.context, [this, &loop](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !loop.acceptor->is_open()) return;
    if (!ec) {
      auto conn = std::make_shared<Connection>(*this, loop, std::move(socket));
      track(loop, conn.get());
      if (open.load() > options.limits.maxConnections) {
        refusedTotal->inc();
        conn->refuseAndClose(503, "ServiceUnavailableException",
                             "Too many open connections; retry later");
      } else {
        conn->start();
      }
    }
    accept(loop);
  });
}

void HttpServer::Impl::sweep(Loop& loop) {
  loop.sweep->expires_after(sweepInterval);
  loop.sweep->async_wait([this, &loop](error_code ec) {
    if (ec) return;
    auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Connection>> live;
    live.reserve(loop.connections.size());
    for (Connection* c : loop.connections) live.push_back(c->shared_from_this());
    for (auto& c : live) c->checkDeadline(now);
    sweep(loop);
  });
}

HttpServer::HttpServer(HttpServerOptions options, RequestHandler& handler,
                       observability::MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), handler, metrics)) {}

HttpServer::~HttpServer() { stop(); }

core::Result<std::uint16_t> HttpServer::start() {
  Impl& s = *impl_;
  error_code ec;
  auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) {
    return core::Error::validation(fmt::format("invalid listen host '{}'", s.options.host),
                                   "listen");
  }
  // Timeouts are enforced by a sweep; a quarter of the shortest one keeps them within 25 %.
  const auto& l = s.options.limits;
  auto shortest = std::min({l.headerTimeout, l.bodyTimeout, l.idleTimeout, l.writeTimeout});
  s.sweepInterval =
      std::clamp(shortest / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));

  std::uint16_t port = s.options.port;
  int n = std::max(1, s.options.ioThreads);
  for (int i = 0; i < n; ++i) {
    auto loop = std::make_unique<Impl::Loop>();
    loop->context = std::make_unique<asio::io_context>(1);
    loop->acceptor = std::make_unique<tcp::acceptor>(*loop->context);
    loop->sweep = std::make_unique<asio::steady_timer>(*loop->context);
    tcp::endpoint endpoint(address, port);
    auto& acceptor = *loop->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && n > 1) {
      // Every loop accepts on the same port; the kernel spreads connections across them.
      int one = 1;
      ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    }
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return core::Error(
          "ListenFailed", 500,
          fmt::format("cannot listen on {}:{}: {}", s.options.host, port, ec.message()));
    }
    port = acceptor.local_endpoint().port();  // the first acceptor fixes a port-0 choice
    s.loops.push_back(std::move(loop));
  }
  s.port = port;
  for (auto& loop : s.loops) {
    s.accept(*loop);
    s.sweep(*loop);
    s.threads.emplace_back([context = loop->context.get()] {
      auto guard = asio::make_work_guard(*context);
      context->run();
    });
  }
  return port;
}

void HttpServer::stopAccepting() {
  Impl& s = *impl_;
  if (s.draining.exchange(true)) return;
  for (auto& loop : s.loops) {
    asio::post(*loop->context, [l = loop.get()] {
      error_code ec;
      l->acceptor->close(ec);
      std::vector<std::shared_ptr<Connection>> live;
      for (Connection* c : l->connections) live.push_back(c->shared_from_this());
      for (auto& c : live) c->beginShutdown();
    });
  }
}

bool HttpServer::drain(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  core::MutexLock lock(s.mu);
  return s.idle.wait_for(lock.native(), grace, [&s] { return s.inFlight.load() == 0; });
}

void HttpServer::stop() {
  Impl& s = *impl_;
  for (auto& loop : s.loops) loop->context->stop();
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
  s.threads.clear();
}

std::uint16_t HttpServer::port() const { return impl_->port; }
int HttpServer::openConnections() const { return impl_->open.load(); }

}  // namespace bakery::gateway
