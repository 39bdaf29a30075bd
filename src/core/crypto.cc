#include "core/crypto.h"

#include <cstdlib>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace bakery::core {

std::string sha256(std::string_view data) {
  std::string out(kSha256Bytes, '\0');
  unsigned int len = 0;
  // EVP_Digest cannot fail for SHA-256 with the default provider short of memory exhaustion,
  // which is fatal anyway.
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != kSha256Bytes) {
    std::abort();
  }
  return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  std::string out(kSha256Bytes, '\0');
  unsigned int len = 0;
  // HMAC() with a null key pointer would mean "no key"; an empty key is valid HMAC input, so
  // pass a non-null pointer whatever the length.
  static constexpr unsigned char kEmpty = 0;
  const void* k = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr ||
      len != kSha256Bytes) {
    std::abort();
  }
  return out;
}

std::string md5(std::string_view data) {
  std::string out(kMd5Bytes, '\0');
  unsigned int len = 0;
  // MD5 is in OpenSSL 3's default provider; failing to fetch it is a broken installation.
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_md5(), nullptr) != 1 ||
      len != kMd5Bytes) {
    std::abort();
  }
  return out;
}

}  // namespace bakery::core
