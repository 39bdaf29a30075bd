// DynamoDB expressions from arbitrary bytes: every parser must accept or refuse cleanly, and
// whatever parses must evaluate, project and apply against a fixed item without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <bakery/table/attribute_value.h>

#include "platform/table/expression/expression.h"

namespace {

using bakery::table::AttributeList;
using bakery::table::AttributeMap;
using bakery::table::AttributeType;
using bakery::table::AttributeValue;
namespace expr = bakery::table::expression;

AttributeMap sampleItem() {
  AttributeMap nested{{"b", AttributeValue::string("deep")},
                      {"l", AttributeValue::list({AttributeValue::number("1"),
                                                  AttributeValue::stringSet({"x", "y"})})}};
  return AttributeMap{
      {"pk", AttributeValue::string("p")},
      {"sk", AttributeValue::number("5")},
      {"a", AttributeValue::map(nested)},
      {"n", AttributeValue::number("12.5")},
      {"s", AttributeValue::string("abc")},
      {"l", AttributeValue::list({AttributeValue::string("x"), AttributeValue::map(nested),
                                  AttributeValue::null()})},
      {"ss", AttributeValue::stringSet({"a", "b"})},
      {"ns", AttributeValue::numberSet({"1", "2"})},
      {"bs", AttributeValue::binarySet({"\x01"})},
      {"bin", AttributeValue::binary(std::string("\x00\xff", 2))},
      {"t", AttributeValue::boolean(true)},
  };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const expr::NameMap names{{"#a", "a"}, {"#n", "n"}, {"#s", "status"}, {"#l", "l"}};
  static const AttributeMap values{
      {":s", AttributeValue::string("ab")},
      {":n", AttributeValue::number("3")},
      {":big", AttributeValue::number("99999999999999999999999999999999999999")},
      {":b", AttributeValue::binary("\x01")},
      {":t", AttributeValue::string("SS")},
      {":l", AttributeValue::list({AttributeValue::number("7")})},
      {":m", AttributeValue::map({{"k", AttributeValue::boolean(false)}})},
      {":ss", AttributeValue::stringSet({"a", "z"})},
      {":ns", AttributeValue::numberSet({"2", "3"})},
      {":null", AttributeValue::null()},
  };
  static const AttributeMap item = sampleItem();
  static const expr::KeySchemaView schema{"pk", AttributeType::kS, "sk", AttributeType::kN};

  expr::Placeholders ph(&names, &values);
  if (auto c = expr::parseCondition(text, "ConditionExpression", ph); c.ok()) {
    (void)expr::evaluate(*c, item);
    (void)expr::topLevelNames(*c);
  }
  if (auto u = expr::parseUpdate(text, ph); u.ok()) {
    AttributeMap copy = item;
    (void)expr::targets(*u);
    (void)expr::apply(*u, copy);
    AttributeMap empty;
    (void)expr::apply(*u, empty);
  }
  if (auto p = expr::parseProjection(text, ph); p.ok()) (void)expr::project(*p, item);
  if (auto k = expr::parseKeyCondition(text, ph, schema); k.ok() && k->sort) {
    (void)expr::matches(*k->sort, item.at("sk"));
  }
  (void)ph.checkAllUsed();
  return 0;
}
