// Password policy: what a new password must satisfy before it is hashed.
//
// At least 12 characters (Unicode code points, so a passphrase in any script counts what a
// person counts), at most 1024 bytes (Argon2id's input is bounded so a request cannot buy
// unbounded work), valid UTF-8, and not on the bundled list of common passwords (compared
// case-insensitively, ASCII letters folded). The list is compiled into the binary from
// common_passwords.txt; nothing is fetched at run time. Immutable once built; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/result.h"

namespace bakery::handlers::auth {

inline constexpr std::size_t kMinPasswordChars = 12;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

class CommonPasswordList {
 public:
  // Parses `text`: one password per line; blank lines and lines starting with '#' are skipped.
  explicit CommonPasswordList(std::string_view text);
  // The list compiled into the binary.
  static CommonPasswordList bundled();

  bool contains(std::string_view password) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::unordered_set<std::string> entries_;
};

// Unicode code points in valid UTF-8 `text` (continuation bytes are not counted).
std::size_t countCodePoints(std::string_view text);

// ValidationException naming `field` when `password` breaks the policy.
core::Result<void> checkPasswordPolicy(std::string_view password, const CommonPasswordList& common,
                                       std::string_view field);

}  // namespace bakery::handlers::auth
