// Password hashing with Argon2id (libsodium), in the PHC string format that carries its
// own parameters (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so the cost can be raised
// later and old hashes still verify; needsRehash() says when a stored hash is below the
// current cost. Thread-safe; each call allocates `memoryKiB` for its duration, and at most
// `maxConcurrent` run at once (the others wait their turn), so a burst of log-ins costs
// bounded memory (maxConcurrent x memoryKiB) instead of one allocation per request.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace bakery::core {

struct PasswordCost {
  std::uint32_t iterations = 2;     // Argon2's t
  std::uint32_t memoryKiB = 19456;  // Argon2's m: 19 MiB, about 50 ms on the reference machine
  std::uint32_t maxConcurrent = 8;  // hashes computed at once; more wait
};

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordCost cost = {});
  // The PHC string for `password` under a fresh random salt.
  Result<std::string> hash(std::string_view password) const;
  // True when `encoded` is a hash of `password`; false for a wrong password or an encoded
  // string that is not an Argon2id hash. Takes the time the encoded parameters cost, within
  // bounds: parameters above 1 GiB of memory, or above 4 GiB-passes of work (memory times
  // iterations), are refused unless this hasher's own cost is as high, so a corrupt stored hash
  // cannot exhaust the machine.
  bool verify(std::string_view encoded, std::string_view password) const;
  // True when `encoded` was made with other parameters than this hasher's.
  bool needsRehash(std::string_view encoded) const;
  // A hash of a random password under this cost: verifying against it costs what a real
  // verification costs, so a login for an unknown user takes as long as a wrong password.
  const std::string& decoy() const { return decoy_; }
  const PasswordCost& cost() const { return cost_; }

 private:
  struct Gate;  // a counting semaphore, shared by copies of this hasher
  PasswordCost cost_;
  std::shared_ptr<Gate> gate_;
  std::string decoy_;
};

}  // namespace bakery::core
