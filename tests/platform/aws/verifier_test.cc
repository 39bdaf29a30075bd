// The SigV4 verifier's refusals: each of AWS's error types with AWS's exact message, the
// 15-minute skew window at its edges, and session tokens.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "core/encoding.h"
#include "platform/aws/sigv4.h"

namespace bakery::aws {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kSigned = *parseAmzDate("20150830T123600Z");

// A DynamoDB-shaped request: the test edits its headers, then verifies it.
struct Request {
  std::vector<Header> headers = {{"Host", "dynamodb.us-east-1.amazonaws.com"},
                                 {"Content-Type", "application/x-amz-json-1.0"},
                                 {"X-Amz-Target", "DynamoDB_20120810.ListTables"}};
  std::string body = "{}";

  std::vector<HeaderView> views() const {
    std::vector<HeaderView> out;
    for (const Header& h : headers) out.push_back({h.name, h.value});
    return out;
  }

  RequestView view(const std::vector<HeaderView>& v) const { return {"POST", "/", "", v, body}; }

  void signWith(const Credentials& credentials, std::string region = "us-east-1",
                std::string service = "dynamodb", system_clock::time_point at = kSigned) {
    std::vector<HeaderView> v = views();
    SignedRequest s = sign(view(v), credentials, {std::move(region), std::move(service)}, at);
    for (Header& h : s.headers) headers.push_back(std::move(h));
  }

  void set(std::string_view name, std::string value) {
    for (Header& h : headers) {
      if (h.name == name) {
        h.value = std::move(value);
        return;
      }
    }
    headers.push_back({std::string(name), std::move(value)});
  }

  void remove(std::string_view name) {
    std::erase_if(headers, [&](const Header& h) { return h.name == name; });
  }
};

class VerifierTest : public ::testing::Test {
 protected:
  std::map<std::string, Credentials, std::less<>> keys_ = {
      {"AKIDEXAMPLE", {"AKIDEXAMPLE", "long-term-secret", ""}},
      {"ASIATEMP", {"ASIATEMP", "temporary-secret", "the-session-token"}},
  };
  Verifier verifier_{{.service = "dynamodb", .region = "us-east-1"},
                     [this](std::string_view id) -> std::optional<Credentials> {
                       auto it = keys_.find(id);
                       if (it == keys_.end()) return std::nullopt;
                       return it->second;
                     }};

  core::Result<Caller> verify(const Request& r, system_clock::time_point now = kSigned) {
    std::vector<HeaderView> v = r.views();
    return verifier_.verify(r.view(v), now);
  }

  static void expectError(const core::Result<Caller>& result, std::string_view type,
                          std::string_view message) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().type(), type);
    EXPECT_EQ(result.error().status(), 400);
    EXPECT_EQ(result.error().message(), message);
  }

  Credentials longTerm() const { return keys_.at("AKIDEXAMPLE"); }
};

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

TEST_F(VerifierTest, AcceptsASignedRequestAndNamesTheCaller) {
  Request r;
  r.signWith(longTerm());
  core::Result<Caller> caller = verify(r);
  ASSERT_TRUE(caller.ok()) << caller.error().message();
  EXPECT_EQ(caller->accessKeyId, "AKIDEXAMPLE");
  EXPECT_EQ(caller->region, "us-east-1");
  EXPECT_EQ(caller->service, "dynamodb");
}

TEST_F(VerifierTest, RequestWithoutAuthorizationIsMissingAuthenticationToken) {
  Request r;
  r.set("X-Amz-Date", "20150830T123600Z");
  expectError(verify(r), "MissingAuthenticationTokenException",
              "Request is missing Authentication Token");
}

TEST_F(VerifierTest, NonAws4AuthorizationIsMissingAuthenticationToken) {
  Request r;
  r.set("Authorization", "Bearer eyJhbGciOi");
  expectError(verify(r), "MissingAuthenticationTokenException",
              "Request is missing Authentication Token");
}

TEST_F(VerifierTest, AuthorizationWithoutParametersNamesEveryMissingOne) {
  Request r;
  r.set("Authorization", "AWS4-HMAC-SHA256");
  expectError(verify(r), "IncompleteSignatureException",
              "Authorization header requires 'Credential' parameter. Authorization header "
              "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
              "parameter. Authorization header requires existence of either a 'X-Amz-Date' or "
              "a 'Date' header. Authorization=AWS4-HMAC-SHA256");
}

TEST_F(VerifierTest, AuthorizationMissingOnlyTheSignatureNamesIt) {
  Request r;
  r.signWith(longTerm());
  r.set("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date");
  expectError(verify(r), "IncompleteSignatureException",
              "Authorization header requires 'Signature' parameter. "
              "Authorization=AWS4-HMAC-SHA256 "
              "Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
              "SignedHeaders=host;x-amz-date");
}

TEST_F(VerifierTest, MalformedDateIsIncompleteSignature) {
  Request r;
  r.signWith(longTerm());
  r.set("X-Amz-Date", "2015");
  expectError(verify(r), "IncompleteSignatureException",
              "Date must be in ISO-8601 'basic format'. Got '2015'. See "
              "http://en.wikipedia.org/wiki/ISO_8601");
}

TEST_F(VerifierTest, UnsupportedAlgorithmIsIncompleteSignature) {
  Request r;
  r.signWith(longTerm());
  std::string authorization = r.headers.back().value;
  r.set("Authorization", "AWS4-HMAC-SHA512" + authorization.substr(16));
  expectError(verify(r), "IncompleteSignatureException",
              "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ");
}

TEST_F(VerifierTest, CredentialWithoutFiveElementsIsIncompleteSignature) {
  Request r;
  r.signWith(longTerm());
  r.set("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb, "
        "SignedHeaders=host;x-amz-date, Signature=abc");
  expectError(verify(r), "IncompleteSignatureException",
              "Credential must have exactly 5 slash-delimited elements, e.g. "
              "keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/dynamodb'");
}

TEST_F(VerifierTest, WrongScopeNamesEveryWrongElement) {
  Request r;
  r.signWith(longTerm());
  r.set("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150829/eu-west-1/s3/aws4_req, "
        "SignedHeaders=host;x-amz-date, Signature=abc");
  expectError(verify(r), "InvalidSignatureException",
              "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should "
              "be scoped to correct service: 'dynamodb'. Credential should be scoped with a "
              "valid terminator: 'aws4_request', not 'aws4_req'. Date in Credential scope does "
              "not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150829' != "
              "'20150830', from '20150830T123600Z'.");
}

TEST_F(VerifierTest, HostMustBeASignedHeader) {
  Request r;
  r.signWith(longTerm());
  std::string authorization = r.headers.back().value;
  std::size_t at = authorization.find("SignedHeaders=");
  r.set("Authorization", authorization.substr(0, at) + "SignedHeaders=content-type;x-amz-date" +
                             authorization.substr(authorization.find(", Signature=")));
  expectError(verify(r), "InvalidSignatureException",
              "'Host' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(VerifierTest, UnknownAccessKeyIsUnrecognizedClient) {
  Request r;
  r.signWith({"AKIDUNKNOWN", "whatever", ""});
  expectError(verify(r), "UnrecognizedClientException",
              "The security token included in the request is invalid.");
}

TEST_F(VerifierTest, WrongSecretIsASignatureMismatch) {
  Request r;
  r.signWith({"AKIDEXAMPLE", "not-the-secret", ""});
  expectError(verify(r), "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, ChangedBodyIsASignatureMismatch) {
  Request r;
  r.signWith(longTerm());
  r.body = "{ }";
  expectError(verify(r), "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, ChangedSignedHeaderIsASignatureMismatch) {
  Request r;
  r.signWith(longTerm());
  r.set("X-Amz-Target", "DynamoDB_20120810.DeleteTable");
  expectError(verify(r), "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, UnsignedHeaderMayBeAddedAfterSigning) {
  Request r;
  r.signWith(longTerm());
  r.set("User-Agent", "added-by-a-proxy");
  EXPECT_TRUE(verify(r).ok());
}

TEST_F(VerifierTest, UpperCaseSignatureIsAMismatch) {
  Request r;
  r.signWith(longTerm());
  std::string authorization = r.headers.back().value;
  std::size_t at = authorization.find("Signature=") + 10;
  for (std::size_t i = at; i < authorization.size(); ++i) {
    if (authorization[i] >= 'a' && authorization[i] <= 'f') authorization[i] -= 32;
  }
  r.set("Authorization", authorization);
  expectError(verify(r), "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, AcceptsADateFifteenMinutesOldOrFifteenMinutesAhead) {
  Request r;
  r.signWith(longTerm());
  EXPECT_TRUE(verify(r, kSigned + minutes(15)).ok());
  EXPECT_TRUE(verify(r, kSigned - minutes(15)).ok());
}

TEST_F(VerifierTest, DateMoreThanFifteenMinutesOldHasExpired) {
  Request r;
  r.signWith(longTerm());
  expectError(verify(r, kSigned + minutes(15) + seconds(1)), "InvalidSignatureException",
              "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
              "(20150830T125101Z - 15 min.)");
}

TEST_F(VerifierTest, DateMoreThanFifteenMinutesAheadIsNotYetCurrent) {
  Request r;
  r.signWith(longTerm());
  expectError(verify(r, kSigned - minutes(15) - seconds(1)), "InvalidSignatureException",
              "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
              "(20150830T122059Z + 15 min.)");
}

TEST_F(VerifierTest, AcceptsAnHttpDateHeaderWhenThereIsNoAmzDate) {
  // Signed by hand from the building blocks: sign() always dates with X-Amz-Date.
  std::vector<HeaderView> headers = {{"Host", "dynamodb.us-east-1.amazonaws.com"},
                                     {"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}};
  RequestView unsignedView{"POST", "/", "", headers, "{}"};
  std::string toSign =
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/dynamodb/aws4_request\n" +
      core::sha256Hex(canonicalRequest(unsignedView, "date;host", true));
  std::string signature = core::hexEncode(core::hmacSha256(
      signingKey("long-term-secret", "20150830", "us-east-1", "dynamodb"), toSign));
  std::string authorization =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=date;host, Signature=" +
      signature;
  headers.push_back({"Authorization", authorization});
  RequestView view{"POST", "/", "", headers, "{}"};

  EXPECT_TRUE(verifier_.verify(view, kSigned).ok());
  expectError(verifier_.verify(view, kSigned + minutes(16)), "InvalidSignatureException",
              "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
              "(20150830T125200Z - 15 min.)");
}

TEST_F(VerifierTest, TemporaryCredentialsAreAcceptedWithTheirSessionToken) {
  Request r;
  r.signWith(keys_.at("ASIATEMP"));
  EXPECT_TRUE(verify(r).ok());
}

TEST_F(VerifierTest, TemporaryCredentialsWithoutTheirSessionTokenAreUnrecognized) {
  Request r;
  Credentials withoutToken = keys_.at("ASIATEMP");
  withoutToken.sessionToken.clear();
  r.signWith(withoutToken);
  expectError(verify(r), "UnrecognizedClientException",
              "The security token included in the request is invalid.");
}

TEST_F(VerifierTest, TemporaryCredentialsWithAnotherSessionTokenAreUnrecognized) {
  Request r;
  Credentials wrongToken = keys_.at("ASIATEMP");
  wrongToken.sessionToken = "a-forged-token";
  r.signWith(wrongToken);
  expectError(verify(r), "UnrecognizedClientException",
              "The security token included in the request is invalid.");
}

TEST_F(VerifierTest, LongTermKeyWithASessionTokenIsUnrecognized) {
  Request r;
  Credentials withToken = longTerm();
  withToken.sessionToken = "unexpected";
  r.signWith(withToken);
  expectError(verify(r), "UnrecognizedClientException",
              "The security token included in the request is invalid.");
}

TEST_F(VerifierTest, AnyRegionIsAcceptedWhenNoneIsConfigured) {
  Verifier anyRegion({.service = "dynamodb"}, [this](std::string_view id) {
    return std::optional<Credentials>(keys_.at(std::string(id)));
  });
  Request r;
  r.signWith(longTerm(), "ap-southeast-2");
  std::vector<HeaderView> v = r.views();
  core::Result<Caller> caller = anyRegion.verify(r.view(v), kSigned);
  ASSERT_TRUE(caller.ok()) << caller.error().message();
  EXPECT_EQ(caller->region, "ap-southeast-2");
}

}  // namespace
}  // namespace bakery::aws
