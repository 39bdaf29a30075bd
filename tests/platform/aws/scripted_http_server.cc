#include "platform/aws/scripted_http_server.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bakery::aws::testing {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool sendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::optional<std::string> RecordedRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (equalsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

struct ScriptedHttpServer::State {
  int listenFd = -1;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::thread acceptor;

  mutable std::mutex mu;
  std::deque<ScriptedResponse> queue;
  std::vector<RecordedRequest> recorded;
  std::vector<int> connectionFds;
  std::vector<std::thread> workers;
  int accepted = 0;

  ScriptedResponse next() {
    std::lock_guard<std::mutex> lock(mu);
    if (queue.empty()) return ScriptedResponse{};
    ScriptedResponse r = std::move(queue.front());
    queue.pop_front();
    return r;
  }

  void serve(int fd, int connection) {
    std::string buffer;
    char chunk[4096];
    while (!stopping) {
      std::size_t headerEnd;
      while ((headerEnd = buffer.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      RecordedRequest request;
      request.connection = connection;
      std::string_view head(buffer.data(), headerEnd);
      std::size_t lineEnd = head.find("\r\n");
      std::string_view requestLine = head.substr(0, lineEnd);
      std::size_t sp1 = requestLine.find(' ');
      std::size_t sp2 = requestLine.rfind(' ');
      request.method = std::string(requestLine.substr(0, sp1));
      request.target = std::string(requestLine.substr(sp1 + 1, sp2 - sp1 - 1));
      std::size_t contentLength = 0;
      std::size_t pos = lineEnd == std::string_view::npos ? head.size() : lineEnd + 2;
      while (pos < head.size()) {
        std::size_t end = head.find("\r\n", pos);
        if (end == std::string_view::npos) end = head.size();
        std::string_view line = head.substr(pos, end - pos);
        std::size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
          std::string name(trim(line.substr(0, colon)));
          std::string value(trim(line.substr(colon + 1)));
          if (equalsIgnoreCase(name, "content-length")) contentLength = std::stoul(value);
          request.headers.emplace_back(std::move(name), std::move(value));
        }
        pos = end + 2;
      }
      buffer.erase(0, headerEnd + 4);
      while (buffer.size() < contentLength) {
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      request.body = buffer.substr(0, contentLength);
      buffer.erase(0, contentLength);
      {
        std::lock_guard<std::mutex> lock(mu);
        recorded.push_back(std::move(request));
      }
      ScriptedResponse response = next();
      if (response.closeWithoutAnswer) {
        ::shutdown(fd, SHUT_RDWR);
        return;
      }
      std::string out =
          "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) + "\r\n";
      for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
      out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
      out += response.body;
      if (!sendAll(fd, out)) return;
    }
  }

  void acceptLoop() {
    while (!stopping) {
      pollfd p{listenFd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listenFd, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> lock(mu);
      int connection = ++accepted;
      connectionFds.push_back(fd);
      workers.emplace_back([this, fd, connection] { serve(fd, connection); });
    }
  }
};

ScriptedHttpServer::ScriptedHttpServer() : state_(std::make_shared<State>()) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 64) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("ScriptedHttpServer: cannot listen on 127.0.0.1");
    std::abort();
  }
  state_->listenFd = fd;
  state_->port = ntohs(addr.sin_port);
  state_->acceptor = std::thread([s = state_.get()] { s->acceptLoop(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  state_->stopping = true;
  state_->acceptor.join();
  ::close(state_->listenFd);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    // Unblocks the workers' recv(); the descriptors are closed once they have returned.
    for (int fd : state_->connectionFds) ::shutdown(fd, SHUT_RDWR);
    workers.swap(state_->workers);
  }
  for (std::thread& t : workers) t.join();
  for (int fd : state_->connectionFds) ::close(fd);
}

std::uint16_t ScriptedHttpServer::port() const { return state_->port; }

std::string ScriptedHttpServer::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(state_->port);
}

void ScriptedHttpServer::enqueue(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->queue.push_back(std::move(response));
}

std::vector<RecordedRequest> ScriptedHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->recorded;
}

int ScriptedHttpServer::connectionsAccepted() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->accepted;
}

std::uint16_t unusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("unusedPort");
    std::abort();
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace bakery::aws::testing
