#include "platform/aws/sigv4.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "core/crypto.h"
#include "core/encoding.h"

namespace bakery::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

constexpr std::string_view kMissingToken = "Request is missing Authentication Token";
constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
constexpr std::string_view kInvalidToken = "The security token included in the request is invalid.";

core::Error missingToken() {
  return core::Error("MissingAuthenticationTokenException", 400, std::string(kMissingToken));
}
core::Error incomplete(std::string message) {
  return core::Error("IncompleteSignatureException", 400, std::move(message));
}
core::Error invalid(std::string message) {
  return core::Error("InvalidSignatureException", 400, std::move(message));
}
core::Error unrecognized() {
  return core::Error("UnrecognizedClientException", 400, std::string(kInvalidToken));
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// SigV4's "Trimall": leading and trailing white space removed, every run inside collapsed to
// one space (quoted strings included, as the suite's get-header-value-trim case shows).
void appendTrimmedAll(std::string& out, std::string_view value) {
  value = trim(value);
  bool inSpace = false;
  for (char c : value) {
    if (isSpace(c)) {
      inSpace = true;
      continue;
    }
    if (inSpace) out.push_back(' ');
    inSpace = false;
    out.push_back(c);
  }
}

std::optional<std::string_view> findHeader(const RequestView& request, std::string_view name) {
  for (const HeaderView& h : request.headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX becomes its byte; a '%' not followed by two hex digits stays as it is.
std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hexValue(s[i + 1]);
      int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

std::optional<std::chrono::system_clock::time_point> makeTime(int year, int month, int day,
                                                              int hour, int minute, int second) {
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return time_point_cast<system_clock::duration>(sys_days(ymd) + hours(hour) + minutes(minute) +
                                                 seconds(second));
}

// The IMF-fixdate of RFC 9110 (`Sun, 06 Nov 1994 08:49:37 GMT`), which AWS also accepts in a
// Date header when X-Amz-Date is absent.
std::optional<std::chrono::system_clock::time_point> parseHttpDate(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  std::string_view dd = s.substr(5, 2), mon = s.substr(8, 3), yyyy = s.substr(12, 4);
  std::string_view hh = s.substr(17, 2), mm = s.substr(20, 2), ss = s.substr(23, 2);
  if (!allDigits(dd) || !allDigits(yyyy) || !allDigits(hh) || !allDigits(mm) || !allDigits(ss)) {
    return std::nullopt;
  }
  for (int m = 0; m < 12; ++m) {
    if (mon == kMonths[m]) {
      return makeTime(number(yyyy), m + 1, number(dd), number(hh), number(mm), number(ss));
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

std::string scopeOf(std::string_view date, std::string_view region, std::string_view service) {
  return fmt::format("{}/{}/{}/{}", date, region, service, kTerminator);
}

std::string stringToSign(std::string_view date, std::string_view scope,
                         std::string_view canonical) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, date, scope, core::sha256Hex(canonical));
}

std::string signatureHex(std::string_view secret, std::string_view amzDateText,
                         std::string_view region, std::string_view service,
                         std::string_view toSign) {
  // The signing key depends only on (secret, day, region, service): derive it once per thread
  // and day instead of with four HMACs on every request. The copy of the secret lives no
  // longer than the thread, as the configured secrets do.
  struct DerivedKey {
    std::string secret, date, region, service, key;
  };
  thread_local DerivedKey cached;
  std::string_view date = amzDateText.substr(0, 8);
  if (cached.key.empty() || cached.secret != secret || cached.date != date ||
      cached.region != region || cached.service != service) {
    cached = {std::string(secret), std::string(date), std::string(region), std::string(service),
              signingKey(secret, date, region, service)};
  }
  return core::hexEncode(core::hmacSha256(cached.key, toSign));
}

}  // namespace

std::string uriEncode(std::string_view bytes, bool encodeSlash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (c == '/' && !encodeSlash)) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
  return out;
}

std::string canonicalUri(std::string_view rawPath, bool normalize) {
  if (rawPath.empty()) return "/";
  if (!normalize) return uriEncode(rawPath, /*encodeSlash=*/false);
  // Dot segments resolved and empty segments dropped, as the AWS SDKs do for every service
  // but S3; a trailing slash survives because it names a different resource.
  std::vector<std::string_view> segments;
  for (std::string_view segment : split(rawPath, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += uriEncode(segments[i], /*encodeSlash=*/true);
  }
  if (!segments.empty() && rawPath.back() == '/') out.push_back('/');
  return out;
}

std::string canonicalQuery(std::string_view rawQuery) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!rawQuery.empty()) {
    for (std::string_view part : split(rawQuery, '&')) {
      if (part.empty()) continue;
      std::size_t eq = part.find('=');
      std::string_view name = part.substr(0, eq);
      std::string_view value =
          eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      params.emplace_back(uriEncode(percentDecode(name), true),
                          uriEncode(percentDecode(value), true));
    }
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string amzDate(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto days = floor<std::chrono::days>(secs);
  year_month_day ymd{days};
  hh_mm_ss<seconds> hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  std::string_view date = text.substr(0, 8), time = text.substr(9, 6);
  if (!allDigits(date) || !allDigits(time)) return std::nullopt;
  return makeTime(number(date.substr(0, 4)), number(date.substr(4, 2)), number(date.substr(6, 2)),
                  number(time.substr(0, 2)), number(time.substr(2, 2)), number(time.substr(4, 2)));
}

std::string signingKey(std::string_view secretAccessKey, std::string_view date,
                       std::string_view region, std::string_view service) {
  std::string secret = "AWS4";
  secret += secretAccessKey;
  std::string k = core::hmacSha256(secret, date);
  k = core::hmacSha256(k, region);
  k = core::hmacSha256(k, service);
  return core::hmacSha256(k, kTerminator);
}

std::string canonicalRequest(const RequestView& request, std::string_view signedHeaders,
                             bool normalizePath) {
  std::string out;
  out.reserve(256 + request.path.size() + request.query.size());
  out += request.method;
  out.push_back('\n');
  out += canonicalUri(request.path, normalizePath);
  out.push_back('\n');
  out += canonicalQuery(request.query);
  out.push_back('\n');
  std::string names = toLower(signedHeaders);
  for (std::string_view name : split(names, ';')) {
    out += name;
    out.push_back(':');
    bool first = true;
    // Repeated headers: values in arrival order, joined with commas.
    for (const HeaderView& h : request.headers) {
      if (!equalsIgnoreCase(h.name, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      appendTrimmedAll(out, h.value);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  out += names;
  out.push_back('\n');
  out += core::sha256Hex(request.body);
  return out;
}

SignedRequest sign(const RequestView& request, const Credentials& credentials,
                   const SigningScope& scope, std::chrono::system_clock::time_point now,
                   const SigningOptions& options) {
  SignedRequest result;
  std::string date;
  if (auto existing = findHeader(request, "x-amz-date")) {
    date = std::string(trim(*existing));
  } else {
    date = amzDate(now);
    result.headers.push_back({"X-Amz-Date", date});
  }
  bool addToken = !credentials.sessionToken.empty() && !findHeader(request, "x-amz-security-token");
  if (addToken) result.headers.push_back({"X-Amz-Security-Token", credentials.sessionToken});

  // Every header of the request is signed (the caller decides what the view holds), plus the
  // ones added here; a token added after signing stays out of the list.
  std::vector<HeaderView> all(request.headers.begin(), request.headers.end());
  for (const Header& h : result.headers) {
    if (h.name == "X-Amz-Security-Token" && !options.signSessionToken) continue;
    all.push_back({h.name, h.value});
  }
  std::vector<std::string> names;
  for (const HeaderView& h : all) {
    std::string name = toLower(h.name);
    if (name == "authorization") continue;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::string signedHeaders;
  for (const std::string& name : names) {
    if (!signedHeaders.empty()) signedHeaders.push_back(';');
    signedHeaders += name;
  }

  RequestView view = request;
  view.headers = all;
  result.canonicalRequest = canonicalRequest(view, signedHeaders, options.normalizePath);
  std::string credentialScope = scopeOf(date.substr(0, 8), scope.region, scope.service);
  result.stringToSign = stringToSign(date, credentialScope, result.canonicalRequest);
  std::string signature = signatureHex(credentials.secretAccessKey, date, scope.region,
                                       scope.service, result.stringToSign);
  result.authorization =
      fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                  credentials.accessKeyId, credentialScope, signedHeaders, signature);
  result.headers.push_back({"Authorization", result.authorization});
  return result;
}

Verifier::Verifier(VerifierOptions options, CredentialLookup lookup)
    : options_(std::move(options)), lookup_(std::move(lookup)) {}

core::Result<Caller> Verifier::verify(const RequestView& request,
                                      std::chrono::system_clock::time_point now) const {
  std::optional<std::string_view> header = findHeader(request, "authorization");
  if (!header || trim(*header).substr(0, 5) != "AWS4-") return missingToken();
  std::string_view authorization = *header;

  // `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`: the algorithm, then
  // key=value pairs separated by commas and/or spaces.
  std::string_view algorithm;
  std::map<std::string_view, std::string_view> params;
  {
    std::size_t i = 0;
    bool first = true;
    while (i < authorization.size()) {
      while (i < authorization.size() && (authorization[i] == ',' || authorization[i] == ' ')) ++i;
      std::size_t start = i;
      while (i < authorization.size() && authorization[i] != ',' && authorization[i] != ' ') ++i;
      if (start == i) break;
      std::string_view token = authorization.substr(start, i - start);
      if (first) {
        algorithm = token;
        first = false;
        continue;
      }
      std::size_t eq = token.find('=');
      std::string_view key = token.substr(0, eq);
      std::string_view value =
          eq == std::string_view::npos ? std::string_view() : token.substr(eq + 1);
      params.emplace(key, value);
    }
  }
  auto param = [&](std::string_view key) -> std::string_view {
    auto it = params.find(key);
    return it == params.end() ? std::string_view() : it->second;
  };
  std::string_view credential = param("Credential");
  std::string_view signature = param("Signature");
  std::string_view signedHeaders = param("SignedHeaders");
  std::optional<std::string_view> amzDateHeader = findHeader(request, "x-amz-date");
  std::optional<std::string_view> dateHeader = findHeader(request, "date");

  std::string problems;
  for (auto [key, value] : {std::pair{"Credential", credential}, std::pair{"Signature", signature},
                            std::pair{"SignedHeaders", signedHeaders}}) {
    if (value.empty())
      problems += fmt::format("Authorization header requires '{}' parameter. ", key);
  }
  if (!amzDateHeader && !dateHeader) {
    problems +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!problems.empty())
    return incomplete(problems + "Authorization=" + std::string(authorization));

  std::string_view dateText = trim(amzDateHeader ? *amzDateHeader : *dateHeader);
  std::optional<std::chrono::system_clock::time_point> requestTime = parseAmzDate(dateText);
  if (!requestTime && !amzDateHeader) requestTime = parseHttpDate(dateText);
  if (!requestTime) {
    return incomplete(
        fmt::format("Date must be in ISO-8601 'basic format'. Got '{}'. See "
                    "http://en.wikipedia.org/wiki/ISO_8601",
                    dateText));
  }
  std::string requestDate = amzDate(*requestTime);
  auto skewMinutes = std::chrono::duration_cast<std::chrono::minutes>(options_.allowedSkew).count();
  if (now - *requestTime > options_.allowedSkew) {
    return invalid(fmt::format("Signature expired: {} is now earlier than {} ({} - {} min.)",
                               requestDate, amzDate(now - options_.allowedSkew), amzDate(now),
                               skewMinutes));
  }
  if (*requestTime - now > options_.allowedSkew) {
    return invalid(
        fmt::format("Signature not yet current: {} is still later than {} ({} + {} min.)",
                    requestDate, amzDate(now + options_.allowedSkew), amzDate(now), skewMinutes));
  }

  std::vector<std::string_view> signedNames = split(signedHeaders, ';');
  if (std::none_of(signedNames.begin(), signedNames.end(),
                   [](std::string_view n) { return equalsIgnoreCase(n, "host"); })) {
    return invalid("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (algorithm != kAlgorithm) {
    return incomplete(fmt::format(
        "Unsupported AWS 'algorithm': '{}' (only AWS4-HMAC-SHA256 for now). ", algorithm));
  }

  std::string_view trimmedCredential = credential;
  while (!trimmedCredential.empty() && trimmedCredential.back() == '/') {
    trimmedCredential.remove_suffix(1);
  }
  std::vector<std::string_view> parts = split(trimmedCredential, '/');
  if (parts.size() != 5) {
    return incomplete(
        fmt::format("Credential must have exactly 5 slash-delimited elements, e.g. "
                    "keyid/date/region/service/term, "
                    "got '{}'",
                    credential));
  }
  std::string_view keyId = parts[0], scopeDate = parts[1], region = parts[2], service = parts[3],
                   terminator = parts[4];
  std::vector<std::string> scopeProblems;
  if (region.empty() || (!options_.region.empty() && region != options_.region)) {
    scopeProblems.push_back(
        fmt::format("Credential should be scoped to a valid region, not '{}'.", region));
  }
  if (!options_.service.empty() && service != options_.service) {
    scopeProblems.push_back(
        fmt::format("Credential should be scoped to correct service: '{}'.", options_.service));
  }
  if (terminator != kTerminator) {
    scopeProblems.push_back(fmt::format(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
        terminator));
  }
  if (scopeDate != std::string_view(requestDate).substr(0, 8)) {
    scopeProblems.push_back(fmt::format(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
        "from HTTP: '{}' != '{}', from '{}'.",
        scopeDate, requestDate.substr(0, 8), dateText));
  }
  if (!scopeProblems.empty()) {
    std::string message;
    for (const std::string& p : scopeProblems) {
      if (!message.empty()) message.push_back(' ');
      message += p;
    }
    return invalid(std::move(message));
  }

  std::optional<Credentials> credentials = lookup_(keyId);
  if (!credentials) return unrecognized();

  std::string canonical = canonicalRequest(request, signedHeaders, options_.normalizePath);
  std::string toSign = stringToSign(requestDate, scopeOf(scopeDate, region, service), canonical);
  std::string expected =
      signatureHex(credentials->secretAccessKey, requestDate, region, service, toSign);
  if (!core::constantTimeEquals(expected, signature)) return invalid(std::string(kMismatch));

  // Temporary credentials are valid only with their session token; a long-term key with a
  // token is as wrong as a wrong token.
  std::optional<std::string_view> token = findHeader(request, "x-amz-security-token");
  if (credentials->sessionToken.empty()
          ? token.has_value()
          : !token || !core::constantTimeEquals(trim(*token), credentials->sessionToken)) {
    return unrecognized();
  }
  return Caller{std::string(keyId), std::string(region), std::string(service)};
}

}  // namespace bakery::aws
