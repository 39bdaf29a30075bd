// Test HTTP clients: HttpClient (libcurl, a real client) and RawConnection (a TCP socket for
// sending exactly the bytes a test needs: oversized headers, slow clients, pipelining).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bakery::testing {

struct HttpResult {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::optional<std::string> header(std::string_view lowerName) const;
  std::vector<std::string> headerValues(std::string_view lowerName) const;
};

struct HttpRequestSpec {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  std::chrono::milliseconds timeout{20'000};
};

// One request on a fresh connection. Throws on a transport failure.
HttpResult httpRequest(const HttpRequestSpec& spec);
HttpResult httpGet(const std::string& url);

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(std::string_view bytes);
  // Reads one HTTP/1.1 response (headers + Content-Length body). nullopt if the peer closed
  // first or nothing complete arrived before `timeout`.
  std::optional<HttpResult> readResponse(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the peer closes the connection before `timeout`.
  bool waitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
};

}  // namespace bakery::testing
