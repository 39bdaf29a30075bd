#include "platform/table/codec/item_codec.h"

#include <array>
#include <cstddef>

namespace bakery::table::codec {
namespace {

constexpr int kMaxDepth = 40;  // a little above DynamoDB's 32 so stored data always decodes

void appendVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void appendBytes(std::string& out, std::string_view s) {
  appendVarint(out, s.size());
  out.append(s);
}

void encodeValue(const AttributeValue& v, std::string& out);

void encodeMap(const AttributeMap& m, std::string& out) {
  appendVarint(out, m.size());
  for (const auto& [name, value] : m) {
    appendBytes(out, name);
    encodeValue(value, out);
  }
}

void encodeValue(const AttributeValue& v, std::string& out) {
  out.push_back(static_cast<char>(v.type()));
  switch (v.type()) {
    case AttributeType::kS:
    case AttributeType::kN:
    case AttributeType::kB:
      appendBytes(out, v.scalar());
      break;
    case AttributeType::kBool:
      out.push_back(v.boolean() ? 1 : 0);
      break;
    case AttributeType::kNull:
      break;
    case AttributeType::kM:
      encodeMap(v.asMap(), out);
      break;
    case AttributeType::kL:
      appendVarint(out, v.asList().size());
      for (const AttributeValue& e : v.asList()) encodeValue(e, out);
      break;
    case AttributeType::kSS:
    case AttributeType::kNS:
    case AttributeType::kBS:
      appendVarint(out, v.elements().size());
      for (const std::string& e : v.elements()) appendBytes(out, e);
      break;
  }
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : p_(bytes) {}

  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_.empty()) return false;
      auto b = static_cast<unsigned char>(p_.front());
      p_.remove_prefix(1);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool bytes(std::string& s) {
    std::uint64_t n = 0;
    if (!varint(n) || n > p_.size()) return false;
    s.assign(p_.substr(0, n));
    p_.remove_prefix(n);
    return true;
  }
  bool byte(unsigned char& b) {
    if (p_.empty()) return false;
    b = static_cast<unsigned char>(p_.front());
    p_.remove_prefix(1);
    return true;
  }
  // A count of elements that each take at least one byte: larger than what is left is corrupt
  // (and must not drive a huge reserve()).
  bool count(std::uint64_t& n) { return varint(n) && n <= p_.size(); }
  bool done() const { return p_.empty(); }

 private:
  std::string_view p_;
};

bool decodeValue(Reader& r, AttributeValue& out, int depth);

bool decodeMap(Reader& r, AttributeMap& m, int depth) {
  std::uint64_t n = 0;
  if (!r.count(n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string name;
    AttributeValue value;
    if (!r.bytes(name) || !decodeValue(r, value, depth + 1)) return false;
    m.insert_or_assign(std::move(name), std::move(value));
  }
  return true;
}

bool decodeValue(Reader& r, AttributeValue& out, int depth) {
  if (depth > kMaxDepth) return false;
  unsigned char tag = 0;
  if (!r.byte(tag) || tag > static_cast<unsigned char>(AttributeType::kBS)) return false;
  auto type = static_cast<AttributeType>(tag);
  switch (type) {
    case AttributeType::kS:
    case AttributeType::kN:
    case AttributeType::kB: {
      std::string s;
      if (!r.bytes(s)) return false;
      out = type == AttributeType::kS   ? AttributeValue::string(std::move(s))
            : type == AttributeType::kN ? AttributeValue::number(std::move(s))
                                        : AttributeValue::binary(std::move(s));
      return true;
    }
    case AttributeType::kBool: {
      unsigned char b = 0;
      if (!r.byte(b)) return false;
      out = AttributeValue::boolean(b != 0);
      return true;
    }
    case AttributeType::kNull:
      out = AttributeValue::null();
      return true;
    case AttributeType::kM: {
      AttributeMap m;
      if (!decodeMap(r, m, depth)) return false;
      out = AttributeValue::map(std::move(m));
      return true;
    }
    case AttributeType::kL: {
      std::uint64_t n = 0;
      if (!r.count(n)) return false;
      AttributeList l;
      l.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) {
        AttributeValue e;
        if (!decodeValue(r, e, depth + 1)) return false;
        l.push_back(std::move(e));
      }
      out = AttributeValue::list(std::move(l));
      return true;
    }
    case AttributeType::kSS:
    case AttributeType::kNS:
    case AttributeType::kBS: {
      std::uint64_t n = 0;
      if (!r.count(n)) return false;
      std::vector<std::string> elements(n);
      for (std::string& e : elements) {
        if (!r.bytes(e)) return false;
      }
      out = AttributeValue::set(type, std::move(elements));
      return true;
    }
  }
  return false;
}

// Splits canonical number text into sign, decimal exponent of the leading digit, and the
// significant digits.
struct NumberParts {
  bool negative = false;
  int magnitude = 0;
  std::string digits;
};

NumberParts splitNumber(std::string_view text) {
  NumberParts p;
  if (!text.empty() && text.front() == '-') {
    p.negative = true;
    text.remove_prefix(1);
  }
  std::size_t point = text.find('.');
  std::string_view intPart = text.substr(0, point);
  std::string_view fracPart = point == std::string_view::npos ? "" : text.substr(point + 1);
  if (intPart != "0" && !intPart.empty()) {
    p.magnitude = static_cast<int>(intPart.size()) - 1;
    p.digits.assign(intPart);
    p.digits.append(fracPart);
  } else {
    std::size_t firstNonZero = fracPart.find_first_not_of('0');
    if (firstNonZero == std::string_view::npos) return p;  // zero
    p.magnitude = -static_cast<int>(firstNonZero) - 1;
    p.digits.assign(fracPart.substr(firstNonZero));
  }
  while (!p.digits.empty() && p.digits.back() == '0') p.digits.pop_back();
  return p;
}

void appendNumberKey(std::string& out, std::string_view canonical) {
  NumberParts p = splitNumber(canonical);
  if (p.digits.empty()) {
    out.push_back(0x02);
    return;
  }
  // Magnitudes lie in [-130, 125]; offset them into two unsigned bytes.
  auto exponent = static_cast<std::uint16_t>(p.magnitude + 1000);
  if (!p.negative) {
    out.push_back(0x03);
    out.push_back(static_cast<char>(exponent >> 8));
    out.push_back(static_cast<char>(exponent & 0xff));
    out.append(p.digits);
    out.push_back(0x00);
  } else {
    out.push_back(0x01);
    auto inverted = static_cast<std::uint16_t>(0xffff - exponent);
    out.push_back(static_cast<char>(inverted >> 8));
    out.push_back(static_cast<char>(inverted & 0xff));
    for (char c : p.digits) out.push_back(static_cast<char>(0xff - static_cast<unsigned char>(c)));
    out.push_back(static_cast<char>(0xff));
  }
}

}  // namespace

void encodeItem(const AttributeMap& item, std::string& out) { encodeMap(item, out); }

std::string encodeItem(const AttributeMap& item) {
  std::string out;
  encodeMap(item, out);
  return out;
}

core::Result<AttributeMap> decodeItem(std::string_view bytes) {
  Reader r(bytes);
  AttributeMap m;
  if (!decodeMap(r, m, 0) || !r.done()) return core::Error::internal("corrupt item record");
  return m;
}

void appendEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    out.push_back(c);
    if (c == '\0') out.push_back(static_cast<char>(0xff));
  }
  out.push_back('\0');
  out.push_back('\1');
}

void appendKey(std::string& out, const AttributeValue& keyValue) {
  if (keyValue.is(AttributeType::kN)) {
    appendNumberKey(out, keyValue.scalar());
  } else {
    appendEscaped(out, keyValue.scalar());
  }
}

void appendUint32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void appendUint64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint64_t readUint64(std::string_view bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return v;
}

std::uint16_t partitionHash(std::string_view encodedPartitionKey) {
  // FNV-1a, 64 bits, folded: stable across builds and platforms, which std::hash is not.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : encodedPartitionKey) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return static_cast<std::uint16_t>((h >> 48) ^ (h >> 32) ^ (h >> 16) ^ h);
}

}  // namespace bakery::table::codec
