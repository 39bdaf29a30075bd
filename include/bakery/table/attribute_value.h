// AttributeValue: one DynamoDB attribute value (S, N, B, BOOL, NULL, M, L, SS, NS, BS).
//
// A plain value type: copyable, movable, comparable for equality, safe to share between
// threads when not mutated. Numbers are kept as their canonical decimal text (see number.h),
// never as a double, so 38 significant digits survive every round trip. Binary values hold
// raw bytes (base64 is a wire concern). Sets hold unique elements in a canonical order
// (bytewise for SS and BS, numeric for NS), so two equal sets compare equal whatever order
// they were built in. Constructors do not validate: codecs and the engine do, with
// DynamoDB's messages.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bakery::table {

enum class AttributeType : std::uint8_t { kS, kN, kB, kBool, kNull, kM, kL, kSS, kNS, kBS };

// The wire name of a type: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
std::string_view typeName(AttributeType type);

class AttributeValue;
// An item, or the value of an M attribute: names to values, ordered by name.
using AttributeMap = std::map<std::string, AttributeValue, std::less<>>;
using AttributeList = std::vector<AttributeValue>;

class AttributeValue {
 public:
  // NULL.
  AttributeValue() : type_(AttributeType::kNull) {}

  static AttributeValue string(std::string s) { return {AttributeType::kS, std::move(s)}; }
  // `canonical` must already be canonical number text (number.h: normalizeNumber).
  static AttributeValue number(std::string canonical) {
    return {AttributeType::kN, std::move(canonical)};
  }
  static AttributeValue binary(std::string bytes) { return {AttributeType::kB, std::move(bytes)}; }
  static AttributeValue boolean(bool b) { return {AttributeType::kBool, b}; }
  static AttributeValue null() { return {}; }
  static AttributeValue map(AttributeMap m);
  static AttributeValue list(AttributeList l);
  // Sets: elements are sorted and made unique here. NS elements must be canonical.
  static AttributeValue stringSet(std::vector<std::string> elements);
  static AttributeValue numberSet(std::vector<std::string> elements);
  static AttributeValue binarySet(std::vector<std::string> elements);
  static AttributeValue set(AttributeType setType, std::vector<std::string> elements);

  AttributeType type() const { return type_; }
  bool is(AttributeType t) const { return type_ == t; }
  bool isSet() const {
    return type_ == AttributeType::kSS || type_ == AttributeType::kNS ||
           type_ == AttributeType::kBS;
  }
  // Scalar payloads: the string of S, the canonical text of N, the bytes of B.
  const std::string& scalar() const { return std::get<std::string>(v_); }
  bool boolean() const { return std::get<bool>(v_); }
  const AttributeMap& asMap() const { return *std::get<MapPtr>(v_); }
  AttributeMap& asMap() { return *std::get<MapPtr>(v_); }
  const AttributeList& asList() const { return std::get<AttributeList>(v_); }
  AttributeList& asList() { return std::get<AttributeList>(v_); }
  // Elements of SS, NS or BS, in canonical order.
  const std::vector<std::string>& elements() const { return std::get<Elements>(v_).items; }

  friend bool operator==(const AttributeValue& a, const AttributeValue& b);

 private:
  struct Elements {
    std::vector<std::string> items;
  };
  // The map lives behind a pointer because AttributeValue is incomplete inside itself; the
  // pointer is deep-copied so values never share state.
  struct MapPtr {
    std::unique_ptr<AttributeMap> p;
    MapPtr() : p(std::make_unique<AttributeMap>()) {}
    explicit MapPtr(AttributeMap m) : p(std::make_unique<AttributeMap>(std::move(m))) {}
    MapPtr(const MapPtr& o) : p(std::make_unique<AttributeMap>(*o.p)) {}
    MapPtr(MapPtr&&) noexcept = default;
    MapPtr& operator=(const MapPtr& o) {
      if (this != &o) p = std::make_unique<AttributeMap>(*o.p);
      return *this;
    }
    MapPtr& operator=(MapPtr&&) noexcept = default;
    AttributeMap& operator*() const { return *p; }
  };
  using Storage = std::variant<std::monostate, std::string, bool, MapPtr, AttributeList, Elements>;

  template <class T>
  AttributeValue(AttributeType type, T v) : type_(type), v_(std::move(v)) {}

  AttributeType type_;
  Storage v_;
};

inline bool operator!=(const AttributeValue& a, const AttributeValue& b) { return !(a == b); }

}  // namespace bakery::table
