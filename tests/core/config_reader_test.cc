#include "core/config_reader.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bakery::core {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

json::value parse(std::string_view text) {
  auto v = parseJson(text, "test document");
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value(json::object());
}

// The error finish() reports; fails the test when there is none.
Error finishError(ConfigReader& r) {
  auto done = r.finish();
  EXPECT_FALSE(done.ok());
  return done.ok() ? Error("", 0, "") : done.error();
}

TEST(ConfigReaderTest, ReadsEveryTypedGetter) {
  json::value doc = parse(R"({
    "name": "bakery", "enabled": true, "count": 7, "timeoutMs": 250,
    "origins": ["a", "b"], "env": {"K": "V", "L": "W"}})");
  ConfigReader r(doc.as_object(), "");
  std::string name;
  bool enabled = false;
  std::int64_t count = 0;
  std::chrono::milliseconds timeout{0};
  std::vector<std::string> origins;
  std::map<std::string, std::string> env;
  r.readString("name", name);
  r.readBool("enabled", enabled);
  r.readInt("count", 0, 10, count);
  r.readMillis("timeoutMs", 1, 1000, timeout);
  r.readStringList("origins", origins);
  r.readStringMap("env", env);
  ASSERT_TRUE(r.finish().ok());
  EXPECT_EQ(name, "bakery");
  EXPECT_TRUE(enabled);
  EXPECT_EQ(count, 7);
  EXPECT_EQ(timeout, 250ms);
  EXPECT_THAT(origins, ElementsAre("a", "b"));
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"K", "V"}, {"L", "W"}}));
}

TEST(ConfigReaderTest, AbsentKeysLeaveDefaultsUntouched) {
  json::value doc = parse("{}");
  ConfigReader r(doc.as_object(), "");
  std::string name = "default";
  bool enabled = true;
  std::int64_t count = 42;
  std::chrono::milliseconds timeout{99};
  std::vector<std::string> origins{"x"};
  std::map<std::string, std::string> env{{"A", "B"}};
  r.readString("name", name);
  r.readBool("enabled", enabled);
  r.readInt("count", 0, 10, count);
  r.readMillis("timeoutMs", 1, 1000, timeout);
  r.readStringList("origins", origins);
  r.readStringMap("env", env);
  EXPECT_FALSE(r.child("section").has_value());
  EXPECT_EQ(r.raw("schema"), nullptr);
  ASSERT_TRUE(r.finish().ok());
  EXPECT_EQ(name, "default");
  EXPECT_TRUE(enabled);
  EXPECT_EQ(count, 42);
  EXPECT_EQ(timeout, 99ms);
  EXPECT_THAT(origins, ElementsAre("x"));
  EXPECT_EQ(env.size(), 1u);
}

TEST(ConfigReaderTest, UnknownRootKeyIsRejectedByName) {
  json::value doc = parse(R"({"dataDir": "/tmp", "dataDri": "/var"})");
  ConfigReader r(doc.as_object(), "");
  std::string dir;
  r.readString("dataDir", dir);
  Error e = finishError(r);
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.field(), "dataDri");
  EXPECT_THAT(e.message(), HasSubstr("dataDri"));
  EXPECT_THAT(e.message(), HasSubstr("unknown key"));
}

TEST(ConfigReaderTest, UnknownNestedKeyIsRejectedWithItsFullDottedPath) {
  json::value doc = parse(R"({"gateway": {"limits": {"maxBodyBytes": 10, "maxBodyBytez": 5}}})");
  ConfigReader root(doc.as_object(), "");
  auto gateway = root.child("gateway");
  ASSERT_TRUE(gateway.has_value());
  auto limits = gateway->child("limits");
  ASSERT_TRUE(limits.has_value());
  std::int64_t maxBody = 0;
  limits->readInt("maxBodyBytes", 0, 100, maxBody);
  limits->close();
  gateway->close();
  Error e = finishError(root);
  EXPECT_EQ(e.field(), "gateway.limits.maxBodyBytez");
  EXPECT_THAT(e.message(), HasSubstr("gateway.limits.maxBodyBytez"));
}

TEST(ConfigReaderTest, ChildWithNonEmptyPathPrefixesEveryError) {
  json::value doc = parse(R"({"stray": 1})");
  ConfigReader r(doc.as_object(), "functions.diag.echo");
  EXPECT_EQ(r.pathOf("timeoutMs"), "functions.diag.echo.timeoutMs");
  Error e = finishError(r);
  EXPECT_EQ(e.field(), "functions.diag.echo.stray");
}

TEST(ConfigReaderTest, PathOfAtTheRootIsTheKeyItself) {
  json::value doc = parse("{}");
  ConfigReader r(doc.as_object(), "");
  EXPECT_EQ(r.pathOf("listen"), "listen");
}

TEST(ConfigReaderTest, StringTypeErrorNamesThePathAndLeavesTheDefault) {
  json::value doc = parse(R"({"section": {"name": 5}})");
  ConfigReader root(doc.as_object(), "");
  auto section = root.child("section");
  ASSERT_TRUE(section.has_value());
  std::string name = "kept";
  section->readString("name", name);
  section->close();
  Error e = finishError(root);
  EXPECT_EQ(e.field(), "section.name");
  EXPECT_THAT(e.message(), HasSubstr("section.name"));
  EXPECT_THAT(e.message(), HasSubstr("must be a string"));
  EXPECT_EQ(name, "kept");
}

TEST(ConfigReaderTest, BoolTypeErrorNamesThePath) {
  json::value doc = parse(R"({"diag": "yes"})");
  ConfigReader r(doc.as_object(), "");
  bool diag = true;
  r.readBool("diag", diag);
  Error e = finishError(r);
  EXPECT_EQ(e.field(), "diag");
  EXPECT_THAT(e.message(), HasSubstr("must be true or false"));
  EXPECT_TRUE(diag);
}

TEST(ConfigReaderTest, IntAcceptsBothEndsOfItsRange) {
  json::value doc = parse(R"({"low": 1, "high": 10})");
  ConfigReader r(doc.as_object(), "");
  std::int64_t low = 0, high = 0;
  r.readInt("low", 1, 10, low);
  r.readInt("high", 1, 10, high);
  ASSERT_TRUE(r.finish().ok());
  EXPECT_EQ(low, 1);
  EXPECT_EQ(high, 10);
}

TEST(ConfigReaderTest, IntBelowRangeIsRejectedWithTheRange) {
  json::value doc = parse(R"({"workers": 0})");
  ConfigReader r(doc.as_object(), "");
  std::int64_t workers = 64;
  r.readInt("workers", 1, 10000, workers);
  Error e = finishError(r);
  EXPECT_EQ(e.field(), "workers");
  EXPECT_THAT(e.message(), HasSubstr("between 1 and 10000"));
  EXPECT_EQ(workers, 64);
}

TEST(ConfigReaderTest, IntAboveRangeIsRejected) {
  json::value doc = parse(R"({"workers": 10001})");
  ConfigReader r(doc.as_object(), "");
  std::int64_t workers = 64;
  r.readInt("workers", 1, 10000, workers);
  EXPECT_EQ(finishError(r).field(), "workers");
  EXPECT_EQ(workers, 64);
}

TEST(ConfigReaderTest, NegativeIntBelowRangeIsRejected) {
  json::value doc = parse(R"({"n": -1})");
  ConfigReader r(doc.as_object(), "");
  std::int64_t n = 5;
  r.readInt("n", 0, 10, n);
  EXPECT_EQ(finishError(r).field(), "n");
}

TEST(ConfigReaderTest, IntRejectsFractionsStringsAndBooleans) {
  for (std::string_view text :
       {R"({"n": 1.5})", R"({"n": "5"})", R"({"n": true})", R"({"n": null})", R"({"n": [5]})"}) {
    json::value doc = parse(text);
    ConfigReader r(doc.as_object(), "");
    std::int64_t n = 3;
    r.readInt("n", 0, 10, n);
    Error e = finishError(r);
    EXPECT_EQ(e.field(), "n") << text;
    EXPECT_THAT(e.message(), HasSubstr("must be an integer")) << text;
    EXPECT_EQ(n, 3) << text;
  }
}

TEST(ConfigReaderTest, IntRejectsAnUnsignedValueBeyondInt64) {
  json::value doc = parse(R"({"n": 18446744073709551615})");
  ConfigReader r(doc.as_object(), "");
  std::int64_t n = 3;
  r.readInt("n", 0, 10, n);
  EXPECT_EQ(finishError(r).field(), "n");
  EXPECT_EQ(n, 3);
}

TEST(ConfigReaderTest, IntAcceptsAnUnsignedValueInRange) {
  json::object obj;
  obj["n"] = std::uint64_t{7};
  ConfigReader r(obj, "");
  std::int64_t n = 0;
  r.readInt("n", 0, 10, n);
  ASSERT_TRUE(r.finish().ok());
  EXPECT_EQ(n, 7);
}

TEST(ConfigReaderTest, MillisOutOfRangeIsRejectedAndLeavesTheDefault) {
  json::value doc = parse(R"({"timeoutMs": 0})");
  ConfigReader r(doc.as_object(), "");
  std::chrono::milliseconds timeout{3000};
  r.readMillis("timeoutMs", 1, 900000, timeout);
  Error e = finishError(r);
  EXPECT_EQ(e.field(), "timeoutMs");
  EXPECT_THAT(e.message(), HasSubstr("between 1 and 900000"));
  EXPECT_EQ(timeout, 3000ms);
}

TEST(ConfigReaderTest, StringListRejectsANonArray) {
  json::value doc = parse(R"({"origins": "*"})");
  ConfigReader r(doc.as_object(), "");
  std::vector<std::string> origins{"kept"};
  r.readStringList("origins", origins);
  Error e = finishError(r);
  EXPECT_EQ(e.field(), "origins");
  EXPECT_THAT(e.message(), HasSubstr("must be an array of strings"));
  EXPECT_THAT(origins, ElementsAre("kept"));
}

TEST(ConfigReaderTest, StringListRejectsANonStringElementWithoutPartialWrite) {
  json::value doc = parse(R"({"origins": ["a", 2, "c"]})");
  ConfigReader r(doc.as_object(), "");
  std::vector<std::string> origins{"kept"};
  r.readStringList("origins", origins);
  EXPECT_EQ(finishError(r).field(), "origins");
  EXPECT_THAT(origins, ElementsAre("kept"));
}

TEST(ConfigReaderTest, EmptyStringListReplacesTheDefault) {
  json::value doc = parse(R"({"origins": []})");
  ConfigReader r(doc.as_object(), "");
  std::vector<std::string> origins{"kept"};
  r.readStringList("origins", origins);
  ASSERT_TRUE(r.finish().ok());
  EXPECT_TRUE(origins.empty());
}

TEST(ConfigReaderTest, StringMapRejectsANonObject) {
  json::value doc = parse(R"({"env": ["A=B"]})");
  ConfigReader r(doc.as_object(), "");
  std::map<std::string, std::string> env;
  r.readStringMap("env", env);
  Error e = finishError(r);
  EXPECT_EQ(e.field(), "env");
  EXPECT_THAT(e.message(), HasSubstr("must be an object of strings"));
}

TEST(ConfigReaderTest, StringMapNamesTheMemberWithTheWrongType) {
  json::value doc = parse(R"({"fn": {"environment": {"TABLE": "items", "RETRIES": 3}}})");
  ConfigReader root(doc.as_object(), "");
  auto fn = root.child("fn");
  ASSERT_TRUE(fn.has_value());
  std::map<std::string, std::string> env{{"OLD", "x"}};
  fn->readStringMap("environment", env);
  fn->close();
  Error e = finishError(root);
  EXPECT_EQ(e.field(), "fn.environment.RETRIES");
  EXPECT_THAT(e.message(), HasSubstr("must be a string"));
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"OLD", "x"}}));
}

TEST(ConfigReaderTest, ChildThatIsNotAnObjectIsAnErrorAndAbsent) {
  json::value doc = parse(R"({"gateway": 5})");
  ConfigReader r(doc.as_object(), "");
  EXPECT_FALSE(r.child("gateway").has_value());
  Error e = finishError(r);
  EXPECT_EQ(e.field(), "gateway");
  EXPECT_THAT(e.message(), HasSubstr("must be an object"));
}

TEST(ConfigReaderTest, RawReturnsTheValueAndCountsAsRead) {
  json::value doc = parse(R"({"schema": {"type": "object"}})");
  ConfigReader r(doc.as_object(), "");
  const json::value* schema = r.raw("schema");
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(*schema, parse(R"({"type": "object"})"));
  EXPECT_TRUE(r.finish().ok());
}

TEST(ConfigReaderTest, KeysListsEveryMember) {
  json::value doc = parse(R"({"diag.echo": {}, "auth.login": {}})");
  ConfigReader r(doc.as_object(), "functions");
  EXPECT_THAT(r.keys(), UnorderedElementsAre("diag.echo", "auth.login"));
}

TEST(ConfigReaderTest, KeysOfAMapReadThroughChildrenAreNotUnknown) {
  json::value doc = parse(R"({"functions": {"diag.echo": {"timeoutMs": 5}}})");
  ConfigReader root(doc.as_object(), "");
  auto fns = root.child("functions");
  ASSERT_TRUE(fns.has_value());
  for (const auto& name : fns->keys()) {
    auto fn = fns->child(name);
    ASSERT_TRUE(fn.has_value());
    std::chrono::milliseconds timeout{0};
    fn->readMillis("timeoutMs", 1, 100, timeout);
    fn->close();
    EXPECT_EQ(timeout, 5ms);
  }
  fns->close();
  EXPECT_TRUE(root.finish().ok());
}

TEST(ConfigReaderTest, FailRecordsACustomMessageAtThePath) {
  json::value doc = parse(R"({"cors": {"allowCredentials": true}})");
  ConfigReader root(doc.as_object(), "");
  auto cors = root.child("cors");
  ASSERT_TRUE(cors.has_value());
  bool credentials = false;
  cors->readBool("allowCredentials", credentials);
  cors->fail("allowCredentials", "cannot be true here");
  cors->close();
  Error e = finishError(root);
  EXPECT_EQ(e.field(), "cors.allowCredentials");
  EXPECT_EQ(e.message(), "config: cors.allowCredentials: cannot be true here");
}

TEST(ConfigReaderTest, TheFirstErrorWins) {
  json::value doc = parse(R"({"a": "x", "b": "y", "typo": 1})");
  ConfigReader r(doc.as_object(), "");
  bool a = false, b = false;
  r.readBool("a", a);
  r.readBool("b", b);
  Error e = finishError(r);
  EXPECT_EQ(e.field(), "a");
}

TEST(ConfigReaderTest, AnErrorInAClosedChildReachesTheRoot) {
  json::value doc = parse(R"({"runtime": {"workers": "many"}})");
  ConfigReader root(doc.as_object(), "");
  {
    auto runtime = root.child("runtime");
    ASSERT_TRUE(runtime.has_value());
    std::int64_t workers = 1;
    runtime->readInt("workers", 1, 100, workers);
    runtime->close();
  }
  EXPECT_EQ(finishError(root).field(), "runtime.workers");
}

}  // namespace
}  // namespace bakery::core
