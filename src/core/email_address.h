// Email addresses as account identifiers: one normal form, and a key that confusable
// spellings share.
//
// Two spellings of "the same" address must not make two accounts, and a look-alike must not
// pass for someone else's. So an address is normalized with Unicode NFKC case folding (ICU):
// full-width letters, ligatures and case variants become one form; then its confusable
// skeleton (Unicode TS #39, ICU's spoof checker) is taken: `pаypal@x.io` with a Cyrillic `а`
// and `paypal@x.io` have the same skeleton. Accounts are unique by skeleton; the normalized
// form is what is stored and shown. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace bakery::core {

inline constexpr std::size_t kMaxEmailBytes = 254;  // RFC 5321's path limit

struct EmailAddress {
  std::string normalized;  // NFKC-casefolded, e.g. "ada@example.com"
  std::string skeleton;    // the uniqueness key: equal for confusable addresses
};

// ValidationException naming `field` when `text` is not valid UTF-8, longer than
// kMaxEmailBytes, has no single '@' with a non-empty local part and a dotted domain, or
// contains whitespace, control characters or characters outside the address syntax.
Result<EmailAddress> normalizeEmail(std::string_view text, std::string_view field = "email");

}  // namespace bakery::core
