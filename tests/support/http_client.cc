#include "support/http_client.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bakery::testing {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

size_t onBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* result = static_cast<HttpResult*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    result->headers.clear();  // a 100 Continue precedes the final response
  } else if (auto colon = line.find(':'); colon != std::string::npos) {
    result->headers.emplace_back(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return size * n;
}

}  // namespace

std::optional<std::string> HttpResult::header(std::string_view lowerName) const {
  for (const auto& [k, v] : headers) {
    if (k == lowerName) return v;
  }
  return std::nullopt;
}

std::vector<std::string> HttpResult::headerValues(std::string_view lowerName) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == lowerName) out.push_back(v);
  }
  return out;
}

HttpResult httpRequest(const HttpRequestSpec& spec) {
  CURL* curl = curl_easy_init();
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  HttpResult result;
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : spec.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, spec.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, spec.method.c_str());
  if (spec.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (spec.body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, spec.body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(spec.body->size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(spec.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw std::runtime_error(std::string("http: ") + curl_easy_strerror(rc));
  return result;
}

HttpResult httpGet(const std::string& url) { return httpRequest({.url = url}); }

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    throw std::runtime_error("connect failed");
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

void RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the peer may already have closed; readResponse tells the test
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool RawConnection::fill(std::chrono::steady_clock::time_point deadline) {
  if (closed_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[16384];
  ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<HttpResult> RawConnection::readResponse(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto end = buffer_.find("\r\n\r\n");
    if (end != std::string::npos) {
      HttpResult r;
      std::string head = buffer_.substr(0, end);
      std::size_t lineEnd = head.find("\r\n");
      std::string statusLine = head.substr(0, lineEnd);
      r.status = std::stol(statusLine.substr(9, 3));
      std::size_t pos = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
      std::size_t length = 0;
      while (pos < head.size()) {
        std::size_t next = head.find("\r\n", pos);
        if (next == std::string::npos) next = head.size();
        std::string line = head.substr(pos, next - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = lower(line.substr(0, colon));
          std::string value = trim(line.substr(colon + 1));
          if (name == "content-length") length = std::stoul(value);
          r.headers.emplace_back(name, value);
        }
        pos = next + 2;
      }
      while (buffer_.size() < end + 4 + length) {
        if (!fill(deadline)) return std::nullopt;
      }
      r.body = buffer_.substr(end + 4, length);
      buffer_.erase(0, end + 4 + length);
      return r;
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

bool RawConnection::waitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    if (!fill(deadline) && !closed_) return false;
  }
  return true;
}

}  // namespace bakery::testing
