// The `bakery` command line: manifest and invoke.
#include <filesystem>
#include <fstream>
#include <map>

#include "integration.h"

namespace bakery::testing {
namespace {

namespace json = boost::json;

TEST(CliTest, ManifestPrintsEveryFunctionRouteAndSetting) {
  auto r = runCommand({bakeryBinary(), "manifest"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto m = parse(r.out).as_object();
  std::map<std::string, json::object> fns;
  for (const auto& f : m.at("functions").as_array()) {
    fns[std::string(f.at("name").as_string())] = f.as_object();
  }
  ASSERT_TRUE(fns.contains("diag.echo"));
  ASSERT_TRUE(fns.contains("auth.api"));
  ASSERT_TRUE(fns.contains("auth.authorizer"));
  const auto& echo = fns["diag.echo"];
  EXPECT_EQ(echo.at("routes"), (json::array{"ANY /v1/diag/echo", "ANY /v1/diag/echo-authorized"}));
  EXPECT_EQ(echo.at("timeoutMs"), 3000);
  EXPECT_TRUE(echo.at("reservedConcurrency").is_null());
  EXPECT_EQ(fns["auth.api"].at("tenancy"), "system");
  std::map<std::string, json::value> routes;
  for (const auto& route : m.at("routes").as_array()) {
    routes[std::string(route.at("routeKey").as_string())] = route.at("authorization");
  }
  EXPECT_EQ(routes["ANY /v1/diag/echo"], (json::object{{"type", "NONE"}}));
  EXPECT_EQ(routes["ANY /v1/diag/echo-authorized"].at("type"), "JWT_OR_API_KEY");
  EXPECT_EQ(routes["POST /v1/auth/login"], (json::object{{"type", "NONE"}}));
  EXPECT_EQ(routes["GET /v1/users"].at("scopes"), (json::array{"users:read"}));
  // The tables the capabilities declared, as CreateTable documents.
  EXPECT_FALSE(m.at("tables").as_array().empty());
  EXPECT_EQ(m.at("gateway").at("payloadFormatVersion"), "2.0");
}

TEST(CliTest, ManifestReflectsTheConfiguration) {
  char tmpl[] = "/tmp/bakery-cli-XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  std::string off = std::string(tmpl) + "/off.json", tuned = std::string(tmpl) + "/tuned.json";
  std::ofstream(off) << R"({"diag": false, "auth": {"enabled": false}})";
  std::ofstream(tuned)
      << R"({"functions": {"diag.echo": {"timeoutMs": 500, "reservedConcurrency": 3, "environment": {"A": "b"}}}})";
  auto none = runCommand({bakeryBinary(), "manifest", "--config", off});
  ASSERT_EQ(none.exitCode, 0) << none.err;
  EXPECT_TRUE(parse(none.out).at("functions").as_array().empty());
  auto t = runCommand({bakeryBinary(), "manifest", "--config", tuned});
  ASSERT_EQ(t.exitCode, 0) << t.err;
  auto echo = parse(t.out).at("functions").as_array().at(0).as_object();
  EXPECT_EQ(echo.at("timeoutMs"), 500);
  EXPECT_EQ(echo.at("reservedConcurrency"), 3);
  EXPECT_EQ(echo.at("environment"), (json::object{{"A", "b"}}));
  std::filesystem::remove_all(tmpl);
}

TEST(CliTest, InvokeRunsOneFunctionWithAnEventFromStdinOrAFile) {
  auto fromStdin = runCommand({bakeryBinary(), "invoke", "diag.echo", "--event", "-"},
                              R"({"hello": "world", "n": [1, 2]})");
  ASSERT_EQ(fromStdin.exitCode, 0) << fromStdin.err;
  EXPECT_EQ(parse(fromStdin.out), parse(R"({"hello": "world", "n": [1, 2]})"));

  char tmpl[] = "/tmp/bakery-cli-XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  std::string event = std::string(tmpl) + "/event.json";
  std::ofstream(event) << R"({"version": "2.0", "body": "{\"result\": {\"statusCode\": 202}}",
      "requestContext": {"http": {"method": "POST", "path": "/x"}}, "isBase64Encoded": false})";
  auto fromFile = runCommand({testbedBinary(), "invoke", "test.respond", "--event", event});
  ASSERT_EQ(fromFile.exitCode, 0) << fromFile.err;
  EXPECT_EQ(parse(fromFile.out), parse(R"({"statusCode": 202})"));
  std::filesystem::remove_all(tmpl);
}

TEST(CliTest, InvokeReportsFailuresWithANonZeroExit) {
  auto unknown = runCommand({bakeryBinary(), "invoke", "no.such"});
  EXPECT_NE(unknown.exitCode, 0);
  EXPECT_NE(unknown.err.find("no.such"), std::string::npos);
  auto thrown = runCommand({testbedBinary(), "invoke", "test.throw"});
  EXPECT_EQ(thrown.exitCode, 1);
  EXPECT_EQ(parse(thrown.out).at("errorType"), "InternalServerException");
  EXPECT_NE(thrown.err.find("internal-detail-7f3a"), std::string::npos) << "detail in the log";
  auto badJson = runCommand({bakeryBinary(), "invoke", "diag.echo", "--event", "-"}, "{nope");
  EXPECT_EQ(badJson.exitCode, 2);
  EXPECT_NE(badJson.err.find("event"), std::string::npos);
}

}  // namespace
}  // namespace bakery::testing
