// Where AWS credentials and the region come from: the AWS SDKs' default chain, simplified.
//
// Credentials: explicit settings, then the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the profile of the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials, `[name]` sections), then the same
// profile in the config file (AWS_CONFIG_FILE, default ~/.aws/config, `[profile name]` or
// `[default]` sections). The profile is the explicit one, else AWS_PROFILE, else `default`.
// Region: explicit, then AWS_REGION, then AWS_DEFAULT_REGION, then `region` in the profile's
// config-file section. Not covered: SSO, assume-role profiles, credential_process, and the
// container and instance metadata services.
//
// The environment is read through the Environment seam, so tests never touch the process
// environment; files are read from the paths it names, so tests use temporary files. Pure
// functions of their inputs (and of those files), thread-safe. Resolution errors name the
// source and the profile but never a secret.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"
#include "platform/aws/sigv4.h"

namespace bakery::aws {

// No credentials anywhere in the chain (status 500: a deployment fault, not a client's).
inline constexpr std::string_view kCredentialsNotFound = "CredentialsNotFound";
// A source holds half a key pair, or a named profile does not exist.
inline constexpr std::string_view kInvalidAwsConfiguration = "InvalidAwsConfiguration";
// No region anywhere in the chain.
inline constexpr std::string_view kRegionNotFound = "RegionNotFound";

class Environment {
 public:
  virtual ~Environment() = default;
  // The value of variable `name`, or nullopt when it is unset.
  virtual std::optional<std::string> get(std::string_view name) const = 0;
};

// The process environment (getenv). Thread-safe as long as nothing calls setenv.
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> get(std::string_view name) const override;
};

// A fixed set of variables: for tests, and for callers that already parsed their own.
class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  std::optional<std::string> get(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Values given explicitly (the app's config file or flags); empty means "not given".
struct AwsSettings {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;
  std::string region;
  std::string profile;
};

struct ResolvedCredentials {
  Credentials credentials;
  // Where they came from, for a start-up log line: "explicit settings", "environment",
  // "/home/me/.aws/credentials [default]".
  std::string source;
};

struct ResolvedRegion {
  std::string region;
  std::string source;
};

core::Result<ResolvedCredentials> resolveCredentials(const AwsSettings& settings,
                                                     const Environment& env);
core::Result<ResolvedRegion> resolveRegion(const AwsSettings& settings, const Environment& env);

}  // namespace bakery::aws
