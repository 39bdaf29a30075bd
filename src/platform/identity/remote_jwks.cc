#include "platform/identity/remote_jwks.h"

#include <curl/curl.h>
#include <fmt/format.h>

namespace bakery::identity {
namespace {

struct Body {
  std::string text;
  std::size_t limit = 0;
  bool overflow = false;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  std::size_t n = size * count;
  if (body->text.size() + n > body->limit) {
    body->overflow = true;
    return 0;  // aborts the transfer
  }
  body->text.append(data, n);
  return n;
}

core::Error fetchError(std::string message) {
  return core::Error("ServiceUnavailable", 503, std::move(message));
}

}  // namespace

HttpFetch curlFetch(std::chrono::milliseconds timeout, std::size_t maxBytes) {
  return [timeout, maxBytes](const std::string& url) -> core::Result<std::string> {
    CURL* curl = curl_easy_init();
    if (!curl) return fetchError("cannot create an HTTP client");
    Body body{{}, maxBytes, false};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (body.overflow) return fetchError(fmt::format("{}: more than {} bytes", url, maxBytes));
    if (rc != CURLE_OK) return fetchError(fmt::format("{}: {}", url, curl_easy_strerror(rc)));
    if (status != 200) return fetchError(fmt::format("{}: HTTP {}", url, status));
    return std::move(body.text);
  };
}

RemoteJwks::RemoteJwks(std::string url, HttpFetch fetch, const core::Clock& clock,
                       RemoteJwksOptions options)
    : url_(std::move(url)), fetch_(std::move(fetch)), clock_(clock), options_(options) {}

std::shared_ptr<const core::jwt::KeySet> RemoteJwks::keys() {
  core::MutexLock lock(mu_);
  bool stale = !fetchedAt_ || clock_.monoNow() - *fetchedAt_ >= options_.ttl;
  return stale ? fetchLocked() : keys_;
}

std::shared_ptr<const core::jwt::KeySet> RemoteJwks::refresh() {
  core::MutexLock lock(mu_);
  return fetchLocked();
}

std::shared_ptr<const core::jwt::KeySet> RemoteJwks::fetchLocked() {
  auto now = clock_.monoNow();
  if (attemptedAt_ && now - *attemptedAt_ < options_.minRefreshInterval) {
    return keys_ ? keys_ : std::make_shared<const core::jwt::KeySet>();
  }
  attemptedAt_ = now;
  auto body = fetch_(url_);
  if (body) {
    auto doc = core::parseJson(*body, "jwks");
    if (doc) {
      auto set = core::jwt::KeySet::fromJwks(*doc);
      if (set) {
        keys_ = std::make_shared<const core::jwt::KeySet>(std::move(set).value());
        fetchedAt_ = now;
      }
    }
  }
  return keys_ ? keys_ : std::make_shared<const core::jwt::KeySet>();
}

}  // namespace bakery::identity
