#include "platform/aws/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>

namespace bakery::aws {
namespace {

using Section = std::map<std::string, std::string, std::less<>>;
using IniFile = std::map<std::string, Section, std::less<>>;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The AWS shared-file dialect of INI: `[section]`, `key = value`, `#` and `;` comment lines.
// An indented line continues a nested block (`s3 =` followed by indented settings) and is
// not a setting of the profile, so it is skipped. A missing file is an empty one.
std::optional<IniFile> readIni(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  IniFile file;
  Section* current = nullptr;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) continue;
    std::string_view text = trim(line);
    if (text.empty() || text.front() == '#' || text.front() == ';') continue;
    if (text.front() == '[') {
      std::size_t close = text.find(']');
      if (close == std::string_view::npos) {
        current = nullptr;
        continue;
      }
      current = &file[std::string(trim(text.substr(1, close - 1)))];
      continue;
    }
    std::size_t eq = text.find('=');
    if (current == nullptr || eq == std::string_view::npos) continue;
    (*current)[std::string(trim(text.substr(0, eq)))] = std::string(trim(text.substr(eq + 1)));
  }
  return file;
}

// The config file names a profile `[profile name]`, except `default`, which may be either
// `[default]` or `[profile default]`.
const Section* configSection(const IniFile& file, std::string_view profile) {
  for (const auto& [name, section] : file) {
    std::string_view n = name;
    if (n == profile && profile == "default") return &section;
    if (n.substr(0, 7) == "profile" && n.size() > 7 && (n[7] == ' ' || n[7] == '\t') &&
        trim(n.substr(8)) == profile) {
      return &section;
    }
  }
  return nullptr;
}

std::string get(const Section& section, std::string_view key) {
  auto it = section.find(key);
  return it == section.end() ? std::string() : it->second;
}

std::string envOr(const Environment& env, std::string_view name) {
  std::optional<std::string> v = env.get(name);
  return v ? *v : std::string();
}

struct Profile {
  std::string name;
  bool named = false;  // given explicitly or by AWS_PROFILE, so it must exist
};

Profile selectProfile(const AwsSettings& settings, const Environment& env) {
  if (!settings.profile.empty()) return {settings.profile, true};
  std::string fromEnv = envOr(env, "AWS_PROFILE");
  if (!fromEnv.empty()) return {fromEnv, true};
  return {"default", false};
}

std::string homePath(const Environment& env, std::string_view rest) {
  std::string home = envOr(env, "HOME");
  return home.empty() ? std::string() : home + std::string(rest);
}

std::string credentialsFilePath(const Environment& env) {
  std::string path = envOr(env, "AWS_SHARED_CREDENTIALS_FILE");
  return path.empty() ? homePath(env, "/.aws/credentials") : path;
}

std::string configFilePath(const Environment& env) {
  std::string path = envOr(env, "AWS_CONFIG_FILE");
  return path.empty() ? homePath(env, "/.aws/config") : path;
}

core::Error partial(std::string_view source, std::string_view missing) {
  return core::Error(std::string(kInvalidAwsConfiguration), 500,
                     fmt::format("Partial credentials found in {}, missing: {}", source, missing));
}

// A key pair from one source: nullopt when the source has neither half, an error when it has
// one half only (silently falling through to another source would sign as someone else).
core::Result<std::optional<Credentials>> pairFrom(std::string id, std::string secret,
                                                  std::string token, std::string_view source,
                                                  std::string_view idName,
                                                  std::string_view secretName) {
  if (id.empty() && secret.empty()) return std::optional<Credentials>();
  if (id.empty()) return partial(source, idName);
  if (secret.empty()) return partial(source, secretName);
  return std::optional<Credentials>(
      Credentials{std::move(id), std::move(secret), std::move(token)});
}

}  // namespace

std::optional<std::string> ProcessEnvironment::get(std::string_view name) const {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::optional<std::string> MapEnvironment::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

core::Result<ResolvedCredentials> resolveCredentials(const AwsSettings& settings,
                                                     const Environment& env) {
  auto explicitPair =
      pairFrom(settings.accessKeyId, settings.secretAccessKey, settings.sessionToken,
               "explicit settings", "accessKeyId", "secretAccessKey");
  if (!explicitPair) return explicitPair.error();
  if (*explicitPair) return ResolvedCredentials{std::move(**explicitPair), "explicit settings"};

  auto envPair = pairFrom(envOr(env, "AWS_ACCESS_KEY_ID"), envOr(env, "AWS_SECRET_ACCESS_KEY"),
                          envOr(env, "AWS_SESSION_TOKEN"), "environment", "AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY");
  if (!envPair) return envPair.error();
  if (*envPair) return ResolvedCredentials{std::move(**envPair), "environment"};

  Profile profile = selectProfile(settings, env);
  bool profileSeen = false;

  std::string credentialsPath = credentialsFilePath(env);
  if (!credentialsPath.empty()) {
    if (std::optional<IniFile> file = readIni(credentialsPath)) {
      auto it = file->find(profile.name);
      if (it != file->end()) {
        profileSeen = true;
        std::string source = fmt::format("{} [{}]", credentialsPath, profile.name);
        auto pair =
            pairFrom(get(it->second, "aws_access_key_id"), get(it->second, "aws_secret_access_key"),
                     get(it->second, "aws_session_token"), source, "aws_access_key_id",
                     "aws_secret_access_key");
        if (!pair) return pair.error();
        if (*pair) return ResolvedCredentials{std::move(**pair), std::move(source)};
      }
    }
  }

  std::string configPath = configFilePath(env);
  if (!configPath.empty()) {
    if (std::optional<IniFile> file = readIni(configPath)) {
      if (const Section* section = configSection(*file, profile.name)) {
        profileSeen = true;
        std::string source = fmt::format("{} [{}]", configPath, profile.name);
        auto pair =
            pairFrom(get(*section, "aws_access_key_id"), get(*section, "aws_secret_access_key"),
                     get(*section, "aws_session_token"), source, "aws_access_key_id",
                     "aws_secret_access_key");
        if (!pair) return pair.error();
        if (*pair) return ResolvedCredentials{std::move(**pair), std::move(source)};
      }
    }
  }

  if (profile.named && !profileSeen) {
    return core::Error(std::string(kInvalidAwsConfiguration), 500,
                       fmt::format("The config profile ({}) could not be found", profile.name));
  }
  return core::Error(
      std::string(kCredentialsNotFound), 500,
      fmt::format("Unable to locate credentials: set AWS_ACCESS_KEY_ID and "
                  "AWS_SECRET_ACCESS_KEY, or add them to profile [{}] of {}",
                  profile.name, credentialsPath.empty() ? "~/.aws/credentials" : credentialsPath));
}

core::Result<ResolvedRegion> resolveRegion(const AwsSettings& settings, const Environment& env) {
  if (!settings.region.empty()) return ResolvedRegion{settings.region, "explicit settings"};
  for (std::string_view name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string value = envOr(env, name);
    if (!value.empty()) return ResolvedRegion{std::move(value), std::string(name)};
  }
  Profile profile = selectProfile(settings, env);
  std::string configPath = configFilePath(env);
  if (!configPath.empty()) {
    if (std::optional<IniFile> file = readIni(configPath)) {
      if (const Section* section = configSection(*file, profile.name)) {
        std::string region = get(*section, "region");
        if (!region.empty()) {
          return ResolvedRegion{std::move(region),
                                fmt::format("{} [{}]", configPath, profile.name)};
        }
      }
    }
  }
  return core::Error(std::string(kRegionNotFound), 500,
                     fmt::format("No AWS region: set AWS_REGION, or `region` in profile [{}] of {}",
                                 profile.name, configPath.empty() ? "~/.aws/config" : configPath));
}

}  // namespace bakery::aws
