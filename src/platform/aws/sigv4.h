// AWS Signature Version 4: signing outgoing requests and verifying incoming ones.
//
// The algorithm is AWS's (the "Signature Version 4 signing process"), checked against AWS's
// published test suite (tests/data/sigv4): a canonical request (method, canonical URI,
// sorted canonical query, lower-cased and trimmed headers, signed-header list, SHA-256 of the
// body), a string to sign bound to a date/region/service scope, a signing key derived from
// the secret by four chained HMACs, and the hex HMAC of the string to sign under that key.
//
// Requests are described by RequestView, which borrows everything and depends on no HTTP
// library, so the libcurl client, the gateway and tests can all use it. Rules that differ by
// service are options: non-S3 services (the default) normalize the path (remove `.`, `..`
// and empty segments) and percent-encode the path as sent once more, which is what the AWS
// SDKs do; S3 does neither normalization nor (for an already-encoded path) re-encoding, and
// is not a target of this code. The payload is always hashed (no UNSIGNED-PAYLOAD), and
// query-string (presigned) authentication is not supported.
//
// Everything here is a pure function of its arguments, or (Verifier) immutable after
// construction: thread-safe. Secrets are only ever inputs to HMAC; nothing here logs, and
// no error message carries a secret, a signing key or a computed signature.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bakery::aws {

struct Credentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;  // empty for long-term keys
};

struct HeaderView {
  std::string_view name;  // any case; a name may repeat
  std::string_view value;
};

// One HTTP request as it is (or will be) sent. Views: the caller keeps the data alive.
struct RequestView {
  std::string_view method;              // "GET", "POST", ...
  std::string_view path;                // raw, as sent, without the query: "/", "/a%20b"
  std::string_view query;               // raw, without '?': "b=2&a=1"; empty when there is none
  std::span<const HeaderView> headers;  // must include Host
  std::string_view body;
};

struct Header {
  std::string name;
  std::string value;
};

struct SigningScope {
  std::string region;   // "us-east-1"
  std::string service;  // "dynamodb"
};

struct SigningOptions {
  // Remove `.`/`..` and empty path segments before encoding (every service except S3).
  bool normalizePath = true;
  // Sign X-Amz-Security-Token when the credentials carry one. False reproduces clients that
  // add the token after signing (the suite's post-sts-header-after case).
  bool signSessionToken = true;
};

// What sign() produces. `headers` are the headers to add to the request, in this order:
// X-Amz-Date (unless the request already has one, which is then signed as it is),
// X-Amz-Security-Token (when the credentials carry a token and the request has none), and
// Authorization. The intermediate texts are there for tests and diagnostics; none is secret.
struct SignedRequest {
  std::vector<Header> headers;
  std::string canonicalRequest;
  std::string stringToSign;
  std::string authorization;
};

// Signs `request` at time `now` (the caller's clock, so tests are deterministic).
SignedRequest sign(const RequestView& request, const Credentials& credentials,
                   const SigningScope& scope, std::chrono::system_clock::time_point now,
                   const SigningOptions& options = {});

// The building blocks, exposed for the test suite and for callers that sign other shapes.

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - . _ ~)
// pass, every other byte becomes %XX with upper-case hex; '/' passes when !encodeSlash.
std::string uriEncode(std::string_view bytes, bool encodeSlash);
// The canonical URI of a raw path (see the contract above for `normalize`).
std::string canonicalUri(std::string_view rawPath, bool normalize);
// The canonical query string of a raw query: each name and value percent-decoded, then
// encoded with uriEncode (so `%E1%88%B4` and the raw UTF-8 bytes agree), sorted by name then
// value, joined with '&'. A parameter without '=' has an empty value. '+' is taken literally
// (it is not form encoding's space), as the AWS SDKs send spaces as %20.
std::string canonicalQuery(std::string_view rawQuery);
// `20150830T123600Z` for a UTC time point (seconds; sub-seconds are dropped).
std::string amzDate(std::chrono::system_clock::time_point t);
// The inverse of amzDate(); nullopt unless `text` is exactly that form and a real time.
std::optional<std::chrono::system_clock::time_point> parseAmzDate(std::string_view text);
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"):
// 32 raw bytes. `date` is YYYYMMDD.
std::string signingKey(std::string_view secretAccessKey, std::string_view date,
                       std::string_view region, std::string_view service);

// The canonical request of `request` over the headers named in `signedHeaders` (lower-case,
// ';'-separated, as in the Authorization header). A named header the request lacks
// contributes an empty value.
std::string canonicalRequest(const RequestView& request, std::string_view signedHeaders,
                             bool normalizePath);

// Who signed a verified request.
struct Caller {
  std::string accessKeyId;
  std::string region;
  std::string service;
};

// The secret (and, for temporary credentials, the session token) of an access key id, or
// nullopt when the key is unknown. Called once per request; must be thread-safe.
using CredentialLookup = std::function<std::optional<Credentials>(std::string_view accessKeyId)>;

struct VerifierOptions {
  // The service the credential scope must name ("dynamodb"); empty accepts any.
  std::string service;
  // The region the credential scope must name; empty accepts any non-empty region.
  std::string region;
  // How far X-Amz-Date may be from now, either way (AWS: 15 minutes).
  std::chrono::seconds allowedSkew{15 * 60};
  bool normalizePath = true;
};

// Checks the Authorization header of incoming requests the way AWS services do, with AWS's
// error types and messages (all HTTP 400), in AWS's order of checks:
//   no header, or not an `AWS4-` one          MissingAuthenticationTokenException
//   missing Credential/Signature/SignedHeaders
//   or date header; bad date format;
//   unsupported algorithm; malformed Credential IncompleteSignatureException
//   date outside the skew window; Host not
//   signed; wrong scope; signature mismatch     InvalidSignatureException
//   unknown access key; wrong session token     UnrecognizedClientException
// Signatures are compared in constant time.
class Verifier {
 public:
  Verifier(VerifierOptions options, CredentialLookup lookup);

  core::Result<Caller> verify(const RequestView& request,
                              std::chrono::system_clock::time_point now) const;

 private:
  VerifierOptions options_;
  CredentialLookup lookup_;
};

}  // namespace bakery::aws
