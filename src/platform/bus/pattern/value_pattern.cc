#include "platform/bus/pattern/value_pattern.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <fmt/format.h>

namespace bakery::bus {
namespace {

// Appends code point `cp` as UTF-8.
void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t foldCodePoint(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0xC0) return c;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;  // Latin-1
  if (c >= 0x100 && c <= 0x17F) {                            // Latin Extended-A pairs
    if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
    bool oddPairs = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (oddPairs) return (c % 2 == 1) ? c + 1 : c;
    return (c % 2 == 0) ? c + 1 : c;
  }
  if (c == 0x1E9E) return 0xDF;                               // capital sharp s
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;  // Greek
  if (c >= 0x410 && c <= 0x42F) return c + 32;                // Cyrillic
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

// Decodes one UTF-8 sequence at `i`; invalid bytes come back as themselves (never folded).
char32_t decodeUtf8(std::string_view s, std::size_t& i, std::size_t& length) {
  auto b = static_cast<unsigned char>(s[i]);
  int n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) {
    length = 1;
    return 0xFFFFFFFF;
  }
  char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      length = 1;
      return 0xFFFFFFFF;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  length = n;
  return cp;
}

bool isPrefixOf(std::string_view prefix, std::string_view s) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}
bool isSuffixOf(std::string_view suffix, std::string_view s) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The address bytes of `text` (IPv4: 4, IPv6: 16); 0 when it is not an address.
int parseAddress(std::string_view text, std::array<std::uint8_t, 16>& out) {
  if (text.empty() || text.size() > 45) return 0;
  char buffer[46];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  if (inet_pton(AF_INET, buffer, out.data()) == 1) return 4;
  if (inet_pton(AF_INET6, buffer, out.data()) == 1) return 16;
  return 0;
}

bool sameNumber(const FieldValue& v, double number, bool exactDouble, std::string_view text) {
  if (v.type != FieldValue::Type::kNumber) return false;
  if (exactDouble && v.exactDouble) return v.number == number;
  return !exactDouble && !v.exactDouble && v.text == text;
}

bool anythingButMatches(const AnythingBut& a, const FieldValue& v) {
  // Null is "anything but" every listed value; a value of another type passes a string or
  // numeric exclusion list.
  using K = AnythingBut::Kind;
  if (a.kind == K::kNumbers) {
    if (v.type != FieldValue::Type::kNumber) return true;
    for (double n : a.numbers) {
      if (v.exactDouble && v.number == n) return false;
    }
    for (const std::string& t : a.numberTexts) {
      if (!v.exactDouble && v.text == t) return false;
    }
    return true;
  }
  if (v.type != FieldValue::Type::kString) return true;
  switch (a.kind) {
    case K::kStrings:
      return std::find(a.strings.begin(), a.strings.end(), v.text) == a.strings.end();
    case K::kPrefixes:
      return std::none_of(a.strings.begin(), a.strings.end(),
                          [&](const std::string& p) { return isPrefixOf(p, v.text); });
    case K::kSuffixes:
      return std::none_of(a.strings.begin(), a.strings.end(),
                          [&](const std::string& p) { return isSuffixOf(p, v.text); });
    case K::kIgnoreCase: {
      std::string folded = foldCase(v.text);
      return std::find(a.strings.begin(), a.strings.end(), folded) == a.strings.end();
    }
    case K::kWildcards:
      return std::none_of(a.wildcards.begin(), a.wildcards.end(),
                          [&](const Wildcard& w) { return w.matches(v.text); });
    case K::kNumbers:
      break;
  }
  return true;
}

}  // namespace

NumberKey numberKey(std::int64_t v) {
  auto d = static_cast<double>(v);
  // 2^63 itself is out of range of int64: such a double is never equal to `v`.
  bool exact = d < 9223372036854775808.0 && static_cast<std::int64_t>(d) == v;
  if (exact) return {d, true, {}};
  return {d, false, std::to_string(v)};
}

NumberKey numberKey(std::uint64_t v) {
  auto d = static_cast<double>(v);
  bool exact = d < 18446744073709551616.0 && static_cast<std::uint64_t>(d) == v;
  if (exact) return {d, true, {}};
  return {d, false, std::to_string(v)};
}

NumberKey numberKey(double v) { return {v, true, {}}; }

std::string foldCase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out += static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
      ++i;
      continue;
    }
    std::size_t length = 1;
    char32_t cp = decodeUtf8(text, i, length);
    if (cp == 0xFFFFFFFF) {
      out += text[i];
    } else {
      appendUtf8(out, foldCodePoint(cp));
    }
    i += length;
  }
  return out;
}

Wildcard::Wildcard(std::string_view pattern) : source_(pattern) {
  // k unescaped stars split the pattern into k + 1 literal pieces (possibly empty).
  pieces_.emplace_back();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      pieces_.back() += pattern[++i];
    } else if (c == '*') {
      pieces_.emplace_back();
    } else {
      pieces_.back() += c;
    }
  }
}

bool Wildcard::matches(std::string_view s) const {
  // The first piece is a prefix, the last a suffix, and the middle ones are found leftmost
  // in order between them, which finds a match whenever one exists.
  if (pieces_.size() == 1) return s == pieces_[0];
  const std::string& head = pieces_.front();
  const std::string& tail = pieces_.back();
  if (s.size() < head.size() + tail.size()) return false;
  if (!isPrefixOf(head, s) || !isSuffixOf(tail, s)) return false;
  std::size_t begin = head.size();
  std::string_view middle = s.substr(0, s.size() - tail.size());
  for (std::size_t k = 1; k + 1 < pieces_.size(); ++k) {
    std::size_t at = middle.find(pieces_[k], begin);
    if (at == std::string_view::npos) return false;
    begin = at + pieces_[k].size();
  }
  return true;
}

bool CidrRange::contains(std::string_view address) const {
  std::array<std::uint8_t, 16> bytes{};
  int n = parseAddress(address, bytes);
  if (n != (v6 ? 16 : 4)) return false;
  int full = bits / 8;
  if (std::memcmp(bytes.data(), network.data(), full) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (bytes[full] & mask) == network[full];
}

bool ValuePattern::matches(const FieldValue& v) const {
  using T = FieldValue::Type;
  switch (kind) {
    case Kind::kString:
      return v.type == T::kString && v.text == text;
    case Kind::kNumber:
      return sameNumber(v, number, exactDouble, text);
    case Kind::kTrue:
      return v.type == T::kTrue;
    case Kind::kFalse:
      return v.type == T::kFalse;
    case Kind::kNull:
      return v.type == T::kNull;
    case Kind::kPrefix:
      return v.type == T::kString && isPrefixOf(text, v.text);
    case Kind::kPrefixIgnoreCase:
      return v.type == T::kString && isPrefixOf(text, foldCase(v.text));
    case Kind::kSuffix:
      return v.type == T::kString && isSuffixOf(text, v.text);
    case Kind::kSuffixIgnoreCase:
      return v.type == T::kString && isSuffixOf(text, foldCase(v.text));
    case Kind::kEqualsIgnoreCase:
      return v.type == T::kString && foldCase(v.text) == text;
    case Kind::kWildcard:
      return v.type == T::kString && wildcard.front().matches(v.text);
    case Kind::kNumeric:
      return v.type == T::kNumber && range.contains(v.number);
    case Kind::kCidr:
      return v.type == T::kString && cidr.contains(v.text);
    case Kind::kExists:
      return true;
    case Kind::kAbsent:
      return false;
    case Kind::kAnythingBut:
      return anythingButMatches(anythingBut, v);
  }
  return false;
}

std::string ValuePattern::canonical() const {
  auto quoted = [](std::string_view s) { return fmt::format("{}:{}", s.size(), s); };
  switch (kind) {
    case Kind::kString:
      return "s" + quoted(text);
    case Kind::kNumber:
      return exactDouble ? fmt::format("n{}", number) : "N" + text;
    case Kind::kTrue:
      return "t";
    case Kind::kFalse:
      return "f";
    case Kind::kNull:
      return "z";
    case Kind::kPrefix:
      return "p" + quoted(text);
    case Kind::kPrefixIgnoreCase:
      return "P" + quoted(text);
    case Kind::kSuffix:
      return "x" + quoted(text);
    case Kind::kSuffixIgnoreCase:
      return "X" + quoted(text);
    case Kind::kEqualsIgnoreCase:
      return "i" + quoted(text);
    case Kind::kWildcard:
      return "w" + quoted(wildcard.front().source());
    case Kind::kNumeric:
      return fmt::format("r{}{}:{}{}", range.lowInclusive ? '[' : '(', range.low, range.high,
                         range.highInclusive ? ']' : ')');
    case Kind::kCidr:
      return fmt::format("c{}/{}:{}", cidr.v6 ? 6 : 4, cidr.bits,
                         std::string_view(reinterpret_cast<const char*>(cidr.network.data()),
                                          cidr.network.size()));
    case Kind::kExists:
      return "e";
    case Kind::kAbsent:
      return "a";
    case Kind::kAnythingBut: {
      std::string out = fmt::format("b{}", static_cast<int>(anythingBut.kind));
      for (const std::string& s : anythingBut.strings) out += quoted(s);
      for (double n : anythingBut.numbers) out += fmt::format("n{};", n);
      for (const std::string& s : anythingBut.numberTexts) out += "N" + quoted(s);
      for (const Wildcard& w : anythingBut.wildcards) out += quoted(w.source());
      return out;
    }
  }
  return {};
}

}  // namespace bakery::bus
