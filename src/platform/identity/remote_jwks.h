// RemoteJwks: the public keys of an external OIDC issuer, fetched from its JWKS URL.
//
// The set is cached for `ttl`; a token naming a kid the set lacks asks for a refresh, which
// fetches again unless the last fetch is younger than `minRefreshInterval` (so a stream of
// tokens with made-up kids cannot turn into a stream of requests to the issuer). A failed
// fetch keeps the previous set. Fetches run on the calling thread, under a lock: a cold or
// stale cache costs the first caller one HTTP round trip (at most `timeout` of the fetch).
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/jwt.h"
#include "core/mutex.h"
#include "core/result.h"

namespace bakery::identity {

// GETs `url`; the body on a 200, an error otherwise.
using HttpFetch = std::function<core::Result<std::string>(const std::string& url)>;

// libcurl, http and https only, no redirects, at most `maxBytes` of body.
HttpFetch curlFetch(std::chrono::milliseconds timeout = std::chrono::seconds(3),
                    std::size_t maxBytes = 256 * 1024);

struct RemoteJwksOptions {
  std::chrono::seconds ttl{std::chrono::minutes(10)};
  std::chrono::seconds minRefreshInterval{30};
};

class RemoteJwks {
 public:
  RemoteJwks(std::string url, HttpFetch fetch, const core::Clock& clock,
             RemoteJwksOptions options = {});

  // The cached set, fetched first when there is none or it is older than the ttl.
  std::shared_ptr<const core::jwt::KeySet> keys();
  // After an unknown kid: the set fetched anew, unless the last fetch was too recent.
  std::shared_ptr<const core::jwt::KeySet> refresh();
  const std::string& url() const { return url_; }

 private:
  std::shared_ptr<const core::jwt::KeySet> fetchLocked() REQUIRES(mu_);

  std::string url_;
  HttpFetch fetch_;
  const core::Clock& clock_;
  RemoteJwksOptions options_;
  core::Mutex mu_;
  std::shared_ptr<const core::jwt::KeySet> keys_ GUARDED_BY(mu_);
  std::optional<core::Clock::MonoTime> fetchedAt_ GUARDED_BY(mu_);    // last success
  std::optional<core::Clock::MonoTime> attemptedAt_ GUARDED_BY(mu_);  // last attempt
};

}  // namespace bakery::identity
