#include "handlers/auth/passwords.h"

#include <string>

#include "core/encoding.h"

namespace bakery::handlers::auth {

namespace detail {
// Defined in the generated common_passwords_data.cc (see CMakeLists.txt).
std::string_view commonPasswordsText();
}  // namespace detail

namespace {

std::string foldAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

CommonPasswordList::CommonPasswordList(std::string_view text) {
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    entries_.insert(foldAscii(line));
  }
}

CommonPasswordList CommonPasswordList::bundled() {
  return CommonPasswordList(detail::commonPasswordsText());
}

bool CommonPasswordList::contains(std::string_view password) const {
  return entries_.count(foldAscii(password)) != 0;
}

std::size_t countCodePoints(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

core::Result<void> checkPasswordPolicy(std::string_view password, const CommonPasswordList& common,
                                       std::string_view field) {
  std::string f(field);
  if (password.size() > kMaxPasswordBytes) {
    return core::Error::validation(
        f + " must be at most " + std::to_string(kMaxPasswordBytes) + " bytes", f);
  }
  if (!core::isValidUtf8(password)) return core::Error::validation(f + " must be UTF-8", f);
  if (countCodePoints(password) < kMinPasswordChars) {
    return core::Error::validation(
        f + " must be at least " + std::to_string(kMinPasswordChars) + " characters", f);
  }
  if (common.contains(password)) {
    return core::Error::validation(f + " is too common; choose another", f);
  }
  return {};
}

}  // namespace bakery::handlers::auth
