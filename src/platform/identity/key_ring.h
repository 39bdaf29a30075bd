// KeyRing: the signing keys of this deployment's access tokens, kept in the data directory.
//
// The keys live in one file (`<data-dir>/keys/signing-keys.json` unless configured; mode
// 0600 in a 0700 directory, written atomically: temporary file, fsync, rename, fsync of the
// directory), never in the repository. The newest key signs. When it is older than the
// rotation period, or the configured algorithm changed, open() and sign() make a new one and
// retire the old; a retired key keeps verifying (and stays in the JWKS) until every token it
// can have signed has expired (retirement + token lifetime + leeway), then it is dropped.
//
// It is the TokenIssuer handed to the auth capability, and the verification key set the
// gateway reads (a snapshot swapped atomically, so verifiers never wait on a rotation).
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <bakery/tokens.h>

#include "core/clock.h"
#include "core/jwt.h"
#include "core/mutex.h"
#include "core/result.h"

namespace bakery::identity {

struct KeyRingOptions {
  core::jwt::Algorithm algorithm = core::jwt::Algorithm::kEdDSA;
  std::string issuer = "bakery";
  std::string audience = "bakery";
  std::chrono::seconds accessTokenLifetime{std::chrono::minutes(15)};
  std::chrono::seconds rotationPeriod{std::chrono::hours(24 * 30)};
  std::chrono::seconds leeway{30};  // the verifiers' clock-skew allowance
  std::string keysFile;             // required before open()
};

class KeyRing final : public TokenIssuer {
 public:
  KeyRing(KeyRingOptions options, const core::Clock& clock);

  // Loads the keys file (creating it, and the first key, when missing), rotating if due.
  core::Result<void> open();
  // Makes a new signing key now and retires the current one.
  core::Result<void> rotate();

  // The keys that verify our tokens (HS256 secrets included). Empty before open().
  std::shared_ptr<const core::jwt::KeySet> verificationKeys() const;

  core::Result<std::string> sign(const json::object& claims) override;
  json::object jwks() const override;
  const std::string& issuer() const override { return options_.issuer; }
  const std::string& audience() const override { return options_.audience; }
  std::string_view algorithm() const override;
  std::chrono::seconds accessTokenLifetime() const override { return options_.accessTokenLifetime; }

 private:
  struct Entry {
    core::jwt::Key key;
    std::int64_t createdAt = 0;  // unix seconds
    std::int64_t retiredAt = 0;  // 0: current
  };
  // A new key in memory; the previous one retired.
  core::Result<void> rotateLocked() REQUIRES(mu_);
  // rotateLocked(), saved and published; on a failed save the ring is left as it was.
  core::Result<void> rotateDurablyLocked() REQUIRES(mu_);
  core::Result<void> persistLocked() REQUIRES(mu_);
  void publishLocked() REQUIRES(mu_);
  bool rotationDueLocked(std::int64_t now) const REQUIRES(mu_);
  std::int64_t now() const;

  KeyRingOptions options_;
  const core::Clock& clock_;
  mutable core::Mutex mu_;
  std::vector<Entry> entries_ GUARDED_BY(mu_);  // oldest first; the last one signs
  // Read without the lock by verifiers: std::atomic_load / std::atomic_store only.
  std::shared_ptr<const core::jwt::KeySet> snapshot_;
};

}  // namespace bakery::identity
