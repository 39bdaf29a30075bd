#include "platform/aws/aws_json_client.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>
#include <curl/curl.h>
#include <fmt/format.h>

#include "core/mutex.h"

namespace bakery::aws {
namespace {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// libcurl must be initialised once per process before any thread uses it, and
// curl_global_init is not itself thread-safe; the first client to be built does it.
void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string_view stripNamespace(std::string_view type) {
  std::size_t hash = type.rfind('#');
  return hash == std::string_view::npos ? type : type.substr(hash + 1);
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) {
             return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

std::string_view trimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string errorType;  // x-amzn-ErrorType
};

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * count);
  return size * count;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
  std::string_view line(data, size * count);
  std::size_t colon = line.find(':');
  if (colon != std::string_view::npos &&
      equalsIgnoreCase(trimSpace(line.substr(0, colon)), "x-amzn-ErrorType")) {
    static_cast<HttpResponse*>(user)->errorType = std::string(trimSpace(line.substr(colon + 1)));
  }
  return size * count;
}

std::chrono::milliseconds realJitter(std::chrono::milliseconds ceiling) {
  // One generator per thread: no lock on the retry path, and seeded from the OS so clients
  // in different processes do not retry in step.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(0, ceiling.count());
  return std::chrono::milliseconds(pick(generator));
}

void realSleep(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

// `scheme://authority` with an optional trailing '/': the authority is also the Host header
// the request is signed with, so anything curl might rewrite (a path, user info, a fragment)
// is refused rather than guessed at.
core::Result<std::string> endpointAuthority(std::string_view endpoint) {
  std::string_view rest;
  if (endpoint.substr(0, 7) == "http://") {
    rest = endpoint.substr(7);
  } else if (endpoint.substr(0, 8) == "https://") {
    rest = endpoint.substr(8);
  } else {
    return core::Error::validation("The endpoint must start with http:// or https://", "endpoint");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ \t") != std::string_view::npos) {
    return core::Error::validation("The endpoint must be scheme://host[:port], without a path",
                                   "endpoint");
  }
  return std::string(rest);
}

}  // namespace

struct AwsJsonClient::Impl {
  AwsJsonClientOptions options;
  Credentials credentials;
  const core::Clock& clock;
  BackoffJitter jitter;
  Sleeper sleep;
  std::string url;   // endpoint + "/"
  std::string host;  // the authority, signed as Host

  core::Mutex mu;
  std::vector<EasyHandle> idle GUARDED_BY(mu);

  Impl(AwsJsonClientOptions o, Credentials c, const core::Clock& k, BackoffJitter j, Sleeper s)
      : options(std::move(o)),
        credentials(std::move(c)),
        clock(k),
        jitter(j ? std::move(j) : BackoffJitter(realJitter)),
        sleep(s ? std::move(s) : Sleeper(realSleep)) {}

  // A handle from the pool, or a new one. Each handle keeps its own connection cache, so a
  // handle returned after a call keeps its keep-alive connection for the next borrower.
  EasyHandle acquire() {
    {
      core::MutexLock lock(mu);
      if (!idle.empty()) {
        EasyHandle handle = std::move(idle.back());
        idle.pop_back();
        return handle;
      }
    }
    return EasyHandle(curl_easy_init());
  }

  void release(EasyHandle handle) {
    core::MutexLock lock(mu);
    idle.push_back(std::move(handle));
  }

  core::Result<HttpResponse> post(const std::string& body, const std::vector<std::string>& lines) {
    EasyHandle handle = acquire();
    if (!handle) return core::Error(std::string(kNetworkingError), 503, "libcurl could not start");
    CURL* h = handle.get();
    // Reset clears the previous call's options but keeps the live connections.
    curl_easy_reset(h);
    curl_slist* list = nullptr;
    for (const std::string& line : lines) {
      curl_slist* next = curl_slist_append(list, line.c_str());
      if (next == nullptr) {
        curl_slist_free_all(list);
        release(std::move(handle));
        return core::Error(std::string(kNetworkingError), 503, "libcurl could not build headers");
      }
      list = next;
    }
    HeaderList headers(list);
    HttpResponse response;
    std::array<char, CURL_ERROR_SIZE> errorText{};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errorText.data());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connectTimeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.requestTimeout.count()));
    // Timeouts by signal are not thread-safe; without this a multi-threaded process may crash.
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    std::string detail =
        errorText[0] != '\0' ? std::string(errorText.data()) : std::string(curl_easy_strerror(rc));
    // The error buffer and header list die with this frame; leave nothing pointing at them.
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    release(std::move(handle));
    if (rc != CURLE_OK) {
      return core::Error(std::string(kNetworkingError), 503,
                         fmt::format("No response from {}: {}", options.endpoint, detail));
    }
    response.status = static_cast<int>(status);
    return response;
  }

  core::Result<json::object> attempt(const std::string& body, const std::string& target) {
    std::array<HeaderView, 3> fixed{
        {{"Host", host}, {"Content-Type", options.contentType}, {"X-Amz-Target", target}}};
    RequestView view{"POST", "/", "", fixed, body};
    SignedRequest signature =
        sign(view, credentials, SigningScope{options.region, options.service}, clock.wallNow());
    std::vector<std::string> lines;
    lines.reserve(fixed.size() + signature.headers.size() + 1);
    for (const HeaderView& header : fixed) {
      lines.push_back(fmt::format("{}: {}", header.name, header.value));
    }
    for (const Header& header : signature.headers) {
      lines.push_back(fmt::format("{}: {}", header.name, header.value));
    }
    // No `Expect: 100-continue` round trip for larger bodies: AWS answers at once anyway.
    lines.emplace_back("Expect:");

    core::Result<HttpResponse> response = post(body, lines);
    if (!response) return response.error();
    if (response->status >= 200 && response->status < 300) {
      if (trimSpace(response->body).empty()) return json::object();
      core::Result<json::value> parsed = core::parseJson(response->body, "response body");
      if (!parsed || !parsed->is_object()) {
        return core::Error(std::string(kInvalidResponse), 502,
                           fmt::format("{} answered {} with a body that is not a JSON object",
                                       options.endpoint, response->status));
      }
      return std::move(parsed->as_object());
    }
    return parseErrorResponse(response->status, response->body, response->errorType);
  }
};

core::Result<std::unique_ptr<AwsJsonClient>> AwsJsonClient::create(AwsJsonClientOptions options,
                                                                   Credentials credentials,
                                                                   const core::Clock& clock,
                                                                   BackoffJitter jitter,
                                                                   Sleeper sleep) {
  core::Result<std::string> authority = endpointAuthority(options.endpoint);
  if (!authority) return authority.error();
  if (options.region.empty()) return core::Error::validation("A region is required", "region");
  if (options.service.empty()) {
    return core::Error::validation("A signing service name is required", "service");
  }
  if (options.targetPrefix.empty()) {
    return core::Error::validation("A target prefix is required", "targetPrefix");
  }
  if (options.retry.maxAttempts < 1) {
    return core::Error::validation("maxAttempts must be at least 1", "retry.maxAttempts");
  }
  initCurlOnce();
  std::string url = options.endpoint;
  if (url.back() != '/') url.push_back('/');
  auto impl = std::make_unique<Impl>(std::move(options), std::move(credentials), clock,
                                     std::move(jitter), std::move(sleep));
  impl->url = std::move(url);
  impl->host = std::move(*authority);
  return std::unique_ptr<AwsJsonClient>(new AwsJsonClient(std::move(impl)));
}

AwsJsonClient::AwsJsonClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AwsJsonClient::~AwsJsonClient() = default;

const AwsJsonClientOptions& AwsJsonClient::options() const { return impl_->options; }

core::Result<json::object> AwsJsonClient::call(std::string_view operation,
                                               const json::object& request) {
  // Serialized once for all attempts. DynamoDB documents carry numbers as strings, so
  // Boost's own number formatting never reaches the wire in a way that matters.
  std::string body = json::serialize(request);
  std::string target = fmt::format("{}.{}", impl_->options.targetPrefix, operation);
  const RetryPolicy& policy = impl_->options.retry;
  for (int attempt = 1;; ++attempt) {
    core::Result<json::object> result = impl_->attempt(body, target);
    if (result.ok() || attempt >= policy.maxAttempts || !isRetryable(result.error())) {
      return result;
    }
    impl_->sleep(impl_->jitter(backoffCeiling(policy, attempt)));
  }
}

bool isRetryable(const core::Error& error) {
  static constexpr std::array<std::string_view, 4> kRetryableTypes = {
      "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
      "TransactionInProgressException"};
  if (error.type() == kNetworkingError) return true;
  if (error.type() == kInvalidResponse) return false;
  if (error.status() >= 500) return true;
  return std::find(kRetryableTypes.begin(), kRetryableTypes.end(), error.type()) !=
         kRetryableTypes.end();
}

std::chrono::milliseconds backoffCeiling(const RetryPolicy& policy, int retry) {
  std::chrono::milliseconds ceiling = policy.base;
  for (int i = 1; i < retry && ceiling < policy.cap; ++i) ceiling *= 2;
  return std::min(ceiling, policy.cap);
}

core::Error parseErrorResponse(int status, std::string_view body,
                               std::string_view errorTypeHeader) {
  std::string type;
  std::string message;
  bool haveMessage = false;
  json::object rest;
  core::Result<json::value> parsed = core::parseJson(body, "error response");
  if (parsed && parsed->is_object()) {
    for (const auto& member : parsed->as_object()) {
      std::string_view key = member.key();
      const json::value& value = member.value();
      if (key == "__type" && value.is_string()) {
        type = std::string(stripNamespace(value.as_string()));
      } else if ((key == "message" || key == "Message") && value.is_string()) {
        // DynamoDB spells it `message`, most other JSON services `Message`; if a document
        // somehow has both, the first wins and the other is dropped rather than misfiled.
        if (!haveMessage) message = std::string(value.as_string());
        haveMessage = true;
      } else {
        rest.emplace(key, value);
      }
    }
  }
  if (type.empty() && !errorTypeHeader.empty()) {
    // `ValidationException:http://internal.amazon.com/coral/...`
    std::string_view header = errorTypeHeader.substr(0, errorTypeHeader.find(':'));
    type = std::string(stripNamespace(header));
  }
  if (type.empty()) {
    type = status >= 500 ? "InternalServerError" : "UnknownError";
    if (!haveMessage) message = fmt::format("The service answered HTTP {}", status);
  }
  core::Error error(std::move(type), status, std::move(message));
  if (rest.empty()) return error;
  return std::move(error).withDetails(core::toJson(json::value(std::move(rest))));
}

}  // namespace bakery::aws
