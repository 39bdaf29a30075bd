// Cryptographically secure randomness (libsodium's randombytes, the kernel's CSPRNG): for
// secrets, tokens, salts and keys. Thread-safe. Not a seam: tests that need predictability
// use IdGenerator, never weaker secrets.
#pragma once

#include <cstddef>
#include <string>

namespace bakery::core {

// `n` random bytes.
std::string randomBytes(std::size_t n);
// `n` random bytes as unpadded base64url: URL- and header-safe token text.
std::string randomToken(std::size_t n);

}  // namespace bakery::core
