#include <algorithm>

#include <bakery/table/attribute_value.h>
#include <bakery/table/number.h>

namespace bakery::table {

std::string_view typeName(AttributeType type) {
  switch (type) {
    case AttributeType::kS:
      return "S";
    case AttributeType::kN:
      return "N";
    case AttributeType::kB:
      return "B";
    case AttributeType::kBool:
      return "BOOL";
    case AttributeType::kNull:
      return "NULL";
    case AttributeType::kM:
      return "M";
    case AttributeType::kL:
      return "L";
    case AttributeType::kSS:
      return "SS";
    case AttributeType::kNS:
      return "NS";
    case AttributeType::kBS:
      return "BS";
  }
  return "?";
}

AttributeValue AttributeValue::map(AttributeMap m) {
  return {AttributeType::kM, MapPtr(std::move(m))};
}

AttributeValue AttributeValue::list(AttributeList l) { return {AttributeType::kL, std::move(l)}; }

AttributeValue AttributeValue::set(AttributeType setType, std::vector<std::string> elements) {
  if (setType == AttributeType::kNS) {
    std::sort(elements.begin(), elements.end(),
              [](const std::string& a, const std::string& b) { return compareNumbers(a, b) < 0; });
    elements.erase(std::unique(elements.begin(), elements.end(),
                               [](const std::string& a, const std::string& b) {
                                 return compareNumbers(a, b) == 0;
                               }),
                   elements.end());
  } else {
    // std::string compares as unsigned bytes (char_traits<char>::compare uses memcmp
    // semantics), which is DynamoDB's order for S and B.
    std::sort(elements.begin(), elements.end());
    elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  }
  return {setType, Elements{std::move(elements)}};
}

AttributeValue AttributeValue::stringSet(std::vector<std::string> elements) {
  return set(AttributeType::kSS, std::move(elements));
}
AttributeValue AttributeValue::numberSet(std::vector<std::string> elements) {
  return set(AttributeType::kNS, std::move(elements));
}
AttributeValue AttributeValue::binarySet(std::vector<std::string> elements) {
  return set(AttributeType::kBS, std::move(elements));
}

bool operator==(const AttributeValue& a, const AttributeValue& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case AttributeType::kS:
    case AttributeType::kB:
    case AttributeType::kN:  // canonical text: equal numbers are equal strings
      return a.scalar() == b.scalar();
    case AttributeType::kBool:
      return a.boolean() == b.boolean();
    case AttributeType::kNull:
      return true;
    case AttributeType::kM:
      return a.asMap() == b.asMap();
    case AttributeType::kL:
      return a.asList() == b.asList();
    case AttributeType::kSS:
    case AttributeType::kBS:
    case AttributeType::kNS:
      return a.elements() == b.elements();
  }
  return false;
}

}  // namespace bakery::table
