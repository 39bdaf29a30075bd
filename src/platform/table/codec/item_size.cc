#include "platform/table/codec/item_size.h"

#include <cstdlib>

namespace bakery::table::codec {
namespace {

std::size_t numberSize(std::string_view canonical) {
  bool negative = !canonical.empty() && canonical.front() == '-';
  if (negative) canonical.remove_prefix(1);
  std::size_t point = canonical.find('.');
  std::string_view intPart = canonical.substr(0, point);
  std::string_view fracPart =
      point == std::string_view::npos ? std::string_view{} : canonical.substr(point + 1);
  std::size_t digits = 0;
  int magnitude = 0;
  if (intPart != "0") {
    std::string_view all = intPart;
    magnitude = static_cast<int>(intPart.size()) - 1;
    // Trailing zeros of an integer are not significant digits.
    std::size_t lastNonZero = fracPart.empty() ? all.find_last_not_of('0') : std::string_view::npos;
    digits = fracPart.empty() ? lastNonZero + 1 : intPart.size() + fracPart.size();
  } else {
    std::size_t first = fracPart.find_first_not_of('0');
    if (first == std::string_view::npos) return 1;  // zero
    magnitude = -static_cast<int>(first) - 1;
    digits = fracPart.size() - first;
  }
  std::size_t size = 1 + (digits + 1) / 2;
  if (digits % 2 == 0 && magnitude % 2 == 0) size += 1;
  if (negative) size += 1;
  return size;
}

std::size_t storedValueSize(const AttributeValue& v, bool compact);

std::size_t storedMapSize(const AttributeMap& m, bool compact, std::string_view sortKeyName,
                          std::size_t* sortKeySize) {
  std::size_t total = 0;
  for (const auto& [name, value] : m) {
    bool isSortKey = compact && !sortKeyName.empty() && name == sortKeyName;
    std::size_t size = storedValueSize(value, compact && !isSortKey);
    if (isSortKey) {
      if (sortKeySize) *sortKeySize = size;
      continue;
    }
    total += size + (compact ? 1 : name.size());
  }
  return total;
}

std::size_t rawSize(const AttributeValue& v, bool compact) {
  switch (v.type()) {
    case AttributeType::kS:
    case AttributeType::kB:
      return v.scalar().size();
    case AttributeType::kN:
      return numberSize(v.scalar());
    case AttributeType::kBool:
    case AttributeType::kNull:
      return 1;
    case AttributeType::kSS:
    case AttributeType::kBS: {
      std::size_t n = 0;
      for (const std::string& e : v.elements()) n += e.size();
      return n;
    }
    case AttributeType::kNS: {
      std::size_t n = 0;
      for (const std::string& e : v.elements()) n += numberSize(e);
      return n;
    }
    case AttributeType::kL: {
      std::size_t n = 3;
      for (const AttributeValue& e : v.asList()) n += 1 + storedValueSize(e, compact);
      return n;
    }
    case AttributeType::kM:
      return 3 + v.asMap().size() + storedMapSize(v.asMap(), compact, {}, nullptr);
  }
  return 0;
}

std::size_t storedValueSize(const AttributeValue& v, bool compact) {
  std::size_t size = rawSize(v, compact);
  if (!compact) return size;
  switch (v.type()) {
    case AttributeType::kS:
      return size + (size < 128 ? 1 : size < 16384 ? 2 : 3);
    case AttributeType::kB:
    case AttributeType::kN:
      return size + 1;
    case AttributeType::kSS:
    case AttributeType::kBS:
    case AttributeType::kNS:
      return size + v.elements().size() + 1;
    case AttributeType::kNull:
      return 0;
    case AttributeType::kBool:
      return 1;
    case AttributeType::kL:
    case AttributeType::kM:
      return size;
  }
  return size;
}

}  // namespace

std::size_t valueSize(const AttributeValue& value) { return storedValueSize(value, false); }

std::size_t itemSize(const AttributeMap& item) { return storedMapSize(item, false, {}, nullptr); }

std::size_t storedSize(const AttributeMap& item, std::string_view sortKeyName) {
  std::size_t sortKeySize = 0;
  std::size_t size = storedMapSize(item, true, sortKeyName, &sortKeySize);
  return 2 + size + (1 + (1 + size) / 3072) * (18 + sortKeySize);
}

}  // namespace bakery::table::codec
