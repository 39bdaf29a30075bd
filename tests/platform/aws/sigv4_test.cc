// SigV4 against AWS's published test suite (tests/data/sigv4, one folder per case): the
// signer must produce the suite's canonical request, string to sign and Authorization
// header byte for byte, and the verifier must accept each signed request and reject it once
// one byte of a signed header or of the body changes.
#include "platform/aws/sigv4.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "core/encoding.h"
#include "core/json.h"

namespace bakery::aws {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

constexpr const char* kSuiteDir = BAKERY_TEST_DATA_DIR "/sigv4";
constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

system_clock::time_point suiteTime() { return *parseAmzDate("20150830T123600Z"); }

// A .req file: request line, headers (a line starting with white space continues the header
// above it, joined by a space as HTTP's obsolete line folding means), blank line, body.
struct SuiteRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<Header> headers;
  std::string body;

  std::vector<HeaderView> views() const {
    std::vector<HeaderView> out;
    for (const Header& h : headers) out.push_back({h.name, h.value});
    return out;
  }
};

SuiteRequest parseRequest(const std::string& text) {
  SuiteRequest r;
  std::size_t blank = text.find("\n\n");
  std::string head = text.substr(0, blank);
  if (blank != std::string::npos) r.body = text.substr(blank + 2);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  while (std::getline(lines, line)) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      r.headers.back().value += " " + line;
      continue;
    }
    std::size_t colon = line.find(':');
    r.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  return r;
}

struct SuiteContext {
  std::string token;
  bool omitSessionToken = false;
  bool normalize = true;
};

SuiteContext readContext(const fs::path& dir) {
  SuiteContext c;
  fs::path file = dir / "context.json";
  if (!fs::exists(file)) return c;
  auto parsed = core::parseJson(readFile(file), "context.json");
  EXPECT_TRUE(parsed.ok());
  const json::object& o = parsed->as_object();
  if (auto token = core::stringMember(o, "token")) c.token = std::string(*token);
  if (const json::value* v = o.if_contains("omit_session_token")) c.omitSessionToken = v->as_bool();
  if (const json::value* v = o.if_contains("normalize")) c.normalize = v->as_bool();
  return c;
}

std::vector<std::string> suiteCases() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kSuiteDir)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class SigV4SuiteTest : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path dir() const { return fs::path(kSuiteDir) / GetParam(); }
  std::string file(std::string_view ext) const {
    return readFile(dir() / (GetParam() + std::string(ext)));
  }
};

TEST(SigV4SuiteDataTest, HoldsTheSuitesCases) {
  std::vector<std::string> names = suiteCases();
  EXPECT_GE(names.size(), 40u);
  for (const char* required : {"get-vanilla",
                               "get-vanilla-query",
                               "get-vanilla-query-order-key-case",
                               "get-vanilla-query-unreserved",
                               "get-vanilla-utf8-query",
                               "get-header-key-duplicate",
                               "get-header-value-multiline",
                               "get-header-value-order",
                               "get-header-value-trim",
                               "get-unreserved",
                               "get-utf8",
                               "get-space",
                               "get-slash",
                               "get-slashes",
                               "get-slash-dot-slash",
                               "get-slash-pointless-dot",
                               "post-vanilla",
                               "post-vanilla-query",
                               "post-x-www-form-urlencoded",
                               "post-x-www-form-urlencoded-parameters",
                               "post-header-key-case",
                               "post-header-key-sort",
                               "post-header-value-case",
                               "post-sts-header-after",
                               "post-sts-header-before"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  }
}

TEST_P(SigV4SuiteTest, SignerProducesTheSuitesCanonicalRequestStringToSignAndAuthorization) {
  SuiteRequest request = parseRequest(file(".req"));
  SuiteContext context = readContext(dir());
  std::vector<HeaderView> headers = request.views();
  RequestView view{request.method, request.path, request.query, headers, request.body};
  Credentials credentials{std::string(kAccessKey), std::string(kSecret), context.token};
  SigningOptions options{.normalizePath = context.normalize,
                         .signSessionToken = !context.omitSessionToken};

  SignedRequest signedRequest =
      sign(view, credentials, {"us-east-1", "service"}, suiteTime(), options);

  EXPECT_EQ(signedRequest.canonicalRequest, file(".creq"));
  EXPECT_EQ(signedRequest.stringToSign, file(".sts"));
  EXPECT_EQ(signedRequest.authorization, file(".authz"));
  ASSERT_FALSE(signedRequest.headers.empty());
  EXPECT_EQ(signedRequest.headers.back().name, "Authorization");
  EXPECT_EQ(signedRequest.headers.back().value, file(".authz"));
}

class SuiteVerification {
 public:
  SuiteVerification(const SuiteRequest& request, const SuiteContext& context,
                    const std::string& authorization)
      : request_(request), context_(context) {
    // The request as it reaches the service: the suite's headers, the token when the client
    // added one, and the Authorization header.
    if (!context.token.empty() &&
        std::none_of(request_.headers.begin(), request_.headers.end(),
                     [](const Header& h) { return h.name == "X-Amz-Security-Token"; })) {
      request_.headers.push_back({"X-Amz-Security-Token", context.token});
    }
    request_.headers.push_back({"Authorization", authorization});
  }

  SuiteRequest& request() { return request_; }

  core::Result<Caller> verify() const {
    Credentials stored{std::string(kAccessKey), std::string(kSecret), context_.token};
    Verifier verifier(
        {.service = "service", .region = "us-east-1", .normalizePath = context_.normalize},
        [stored](std::string_view id) -> std::optional<Credentials> {
          if (id == stored.accessKeyId) return stored;
          return std::nullopt;
        });
    std::vector<HeaderView> headers = request_.views();
    RequestView view{request_.method, request_.path, request_.query, headers, request_.body};
    return verifier.verify(view, suiteTime());
  }

 private:
  SuiteRequest request_;
  SuiteContext context_;
};

TEST_P(SigV4SuiteTest, VerifierAcceptsTheSignedRequest) {
  SuiteVerification v(parseRequest(file(".req")), readContext(dir()), file(".authz"));
  core::Result<Caller> caller = v.verify();
  ASSERT_TRUE(caller.ok()) << caller.error().type() << ": " << caller.error().message();
  EXPECT_EQ(caller->accessKeyId, kAccessKey);
  EXPECT_EQ(caller->region, "us-east-1");
  EXPECT_EQ(caller->service, "service");
}

void expectMismatch(const core::Result<Caller>& result) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "InvalidSignatureException");
  EXPECT_EQ(result.error().status(), 400);
  EXPECT_EQ(result.error().message(),
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.");
}

TEST_P(SigV4SuiteTest, VerifierRejectsTheRequestWithOneByteOfASignedHeaderChanged) {
  SuiteVerification v(parseRequest(file(".req")), readContext(dir()), file(".authz"));
  for (Header& h : v.request().headers) {
    if (h.name == "Host") h.value.back() = 'n';  // example.amazonaws.con
  }
  expectMismatch(v.verify());
}

TEST_P(SigV4SuiteTest, VerifierRejectsTheRequestWithOneByteOfTheBodyChanged) {
  SuiteVerification v(parseRequest(file(".req")), readContext(dir()), file(".authz"));
  std::string& body = v.request().body;
  if (body.empty()) {
    body = "x";
  } else {
    body[0] ^= 0x01;
  }
  expectMismatch(v.verify());
}

TEST_P(SigV4SuiteTest, VerifierRejectsTheRequestWithOneByteOfTheSignatureChanged) {
  std::string authorization = file(".authz");
  authorization.back() = authorization.back() == '0' ? '1' : '0';
  SuiteVerification v(parseRequest(file(".req")), readContext(dir()), authorization);
  expectMismatch(v.verify());
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteTest, ::testing::ValuesIn(suiteCases()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(SigV4Test, SigningKeyMatchesAwsDocumentedDerivation) {
  // "Examples of how to derive a signing key for Signature Version 4" in the AWS docs.
  EXPECT_EQ(core::hexEncode(signingKey(kSecret, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, UriEncodeKeepsUnreservedAndEscapesEverythingElseInUpperCaseHex) {
  EXPECT_EQ(uriEncode("AZaz09-._~", true), "AZaz09-._~");
  EXPECT_EQ(uriEncode("a b/c+d=e*f%", true), "a%20b%2Fc%2Bd%3De%2Af%25");
  EXPECT_EQ(uriEncode("a b/c", false), "a%20b/c");
  EXPECT_EQ(uriEncode("\xE1\x88\xB4", true), "%E1%88%B4");
}

TEST(SigV4Test, CanonicalUriEncodesAnAlreadyEncodedPathOnceMore) {
  // Non-S3 services: the SDKs encode the path as sent, so %20 on the wire signs as %2520.
  EXPECT_EQ(canonicalUri("/a%20b", true), "/a%2520b");
  EXPECT_EQ(canonicalUri("", true), "/");
  EXPECT_EQ(canonicalUri("/a/./b/../c//d/", true), "/a/c/d/");
  EXPECT_EQ(canonicalUri("/a/./b", false), "/a/./b");
}

TEST(SigV4Test, CanonicalQuerySortsByEncodedNameThenValue) {
  EXPECT_EQ(canonicalQuery(""), "");
  EXPECT_EQ(canonicalQuery("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(canonicalQuery("flag&x="), "flag=&x=");
  EXPECT_EQ(canonicalQuery("k=a+b&s=%2f&t=%zz"), "k=a%2Bb&s=%2F&t=%25zz");
  EXPECT_EQ(canonicalQuery("&&a=1&"), "a=1");
}

TEST(SigV4Test, AmzDateRoundTripsAndRejectsMalformedText) {
  system_clock::time_point t = suiteTime() + std::chrono::milliseconds(999);
  EXPECT_EQ(amzDate(t), "20150830T123600Z");
  EXPECT_EQ(parseAmzDate("20150830T123600Z"), suiteTime());
  EXPECT_EQ(amzDate(*parseAmzDate("20240229T235959Z")), "20240229T235959Z");
  for (const char* bad : {"", "2015", "20150830T123600", "20150830 123600Z", "20150230T000000Z",
                          "20150830T246000Z", "2015083OT123600Z"}) {
    EXPECT_FALSE(parseAmzDate(bad).has_value()) << bad;
  }
}

TEST(SigV4Test, SignerAddsDateTokenAndAuthorizationHeadersInThatOrder) {
  HeaderView headers[] = {{"Host", "dynamodb.us-east-1.amazonaws.com"},
                          {"X-Amz-Target", "DynamoDB_20120810.ListTables"}};
  RequestView view{"POST", "/", "", headers, "{}"};
  SignedRequest s = sign(view, {"AKID", "secret", "token"}, {"us-east-1", "dynamodb"}, suiteTime());
  ASSERT_EQ(s.headers.size(), 3u);
  EXPECT_EQ(s.headers[0].name, "X-Amz-Date");
  EXPECT_EQ(s.headers[0].value, "20150830T123600Z");
  EXPECT_EQ(s.headers[1].name, "X-Amz-Security-Token");
  EXPECT_EQ(s.headers[1].value, "token");
  EXPECT_EQ(s.headers[2].name, "Authorization");
  EXPECT_NE(
      s.authorization.find("Credential=AKID/20150830/us-east-1/dynamodb/aws4_request, "
                           "SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target,"),
      std::string::npos)
      << s.authorization;
  EXPECT_EQ(s.authorization.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace bakery::aws
