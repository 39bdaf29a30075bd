#include "platform/identity/key_ring.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/random.h"

namespace bakery::identity {
namespace {

core::Error storageError(std::string_view what, const std::string& path) {
  // The path is ours, not a secret; the message goes to the operator at start-up.
  return core::Error("ServiceUnavailable", 503,
                     fmt::format("signing keys: {} '{}': {}", what, path, std::strerror(errno)));
}

// Writes `text` to `path` so that a crash leaves the old file or the new one, never a mix.
core::Result<void> writeAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return storageError("cannot create", tmp);
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return storageError("cannot write", tmp);
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return storageError("cannot sync", tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return storageError("cannot rename", tmp);
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace

KeyRing::KeyRing(KeyRingOptions options, const core::Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      snapshot_(std::make_shared<const core::jwt::KeySet>()) {}

std::int64_t KeyRing::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
      .count();
}

std::string_view KeyRing::algorithm() const { return core::jwt::algorithmName(options_.algorithm); }

core::Result<void> KeyRing::open() {
  if (options_.keysFile.empty()) {
    return core::Error::validation("signing keys: no keys file configured", "auth.keysFile");
  }
  std::string dir = std::filesystem::path(options_.keysFile).parent_path().string();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return storageError("cannot create directory", dir);
    ::chmod(dir.c_str(), 0700);
  }
  core::MutexLock lock(mu_);
  entries_.clear();
  // Loaded aside, so a failed open() leaves no half-read ring that sign() would use.
  std::vector<Entry> loaded;
  std::ifstream in(options_.keysFile);
  std::error_code existsError;
  if (!in && std::filesystem::exists(options_.keysFile, existsError)) {
    // Unreadable is not missing: a fresh key would be written over the keys on disk.
    return storageError("cannot read", options_.keysFile);
  }
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    auto doc = core::parseJson(text.str(), "signing keys");
    if (!doc || !doc->is_object() || !doc->as_object().contains("keys") ||
        !doc->as_object().at("keys").is_array()) {
      return core::Error("ServiceUnavailable", 503,
                         fmt::format("signing keys: '{}' is not a key file", options_.keysFile));
    }
    for (const auto& k : doc->as_object().at("keys").as_array()) {
      if (!k.is_object() || !k.as_object().contains("jwk")) continue;
      const json::object& o = k.as_object();
      auto key = core::jwt::Key::fromJwk(o.at("jwk").is_object() ? o.at("jwk").as_object()
                                                                 : json::object());
      if (!key || !key->canSign()) {
        return core::Error(
            "ServiceUnavailable", 503,
            fmt::format("signing keys: '{}' holds a key that cannot be read", options_.keysFile));
      }
      Entry e{std::move(key).value(), 0, 0};
      if (auto* c = o.if_contains("createdAt"); c && c->is_int64()) e.createdAt = c->as_int64();
      if (auto* r = o.if_contains("retiredAt"); r && r->is_int64()) e.retiredAt = r->as_int64();
      loaded.push_back(std::move(e));
    }
  }
  entries_ = std::move(loaded);
  bool changed = false;
  if (entries_.empty() || rotationDueLocked(now())) {
    if (auto rotated = rotateLocked(); !rotated) {
      entries_.clear();
      return rotated;
    }
    changed = true;
  }
  // Drop retired keys whose tokens have all expired.
  std::int64_t horizon = now() - options_.accessTokenLifetime.count() - options_.leeway.count();
  auto dead = std::remove_if(entries_.begin(), entries_.end() - 1, [&](const Entry& e) {
    return e.retiredAt != 0 && e.retiredAt < horizon;
  });
  if (dead != entries_.end() - 1) {
    entries_.erase(dead, entries_.end() - 1);
    changed = true;
  }
  if (changed) {
    if (auto saved = persistLocked(); !saved) {
      entries_.clear();
      return saved;
    }
  }
  ::chmod(options_.keysFile.c_str(), 0600);
  publishLocked();
  return {};
}

bool KeyRing::rotationDueLocked(std::int64_t at) const {
  if (entries_.empty()) return true;
  const Entry& current = entries_.back();
  return current.key.algorithm() != options_.algorithm ||
         at - current.createdAt >= options_.rotationPeriod.count();
}

core::Result<void> KeyRing::rotate() {
  core::MutexLock lock(mu_);
  // Before open() the ring knows no keys: rotating would write a one-key file over them.
  if (entries_.empty()) {
    return core::Error("ServiceUnavailable", 503, "The signing keys are not loaded");
  }
  return rotateDurablyLocked();
}

core::Result<void> KeyRing::rotateDurablyLocked() {
  std::vector<Entry> before = entries_;
  if (auto rotated = rotateLocked(); !rotated) return rotated;
  if (auto saved = persistLocked(); !saved) {
    entries_ = std::move(before);  // never sign with a key that is neither saved nor published
    return saved;
  }
  publishLocked();
  return {};
}

core::Result<void> KeyRing::rotateLocked() {
  std::int64_t at = now();
  // A kid says when and what, and carries enough randomness never to repeat.
  std::string kid = fmt::format("{}-{}-{}", core::jwt::algorithmName(options_.algorithm), at,
                                core::randomToken(6));
  auto key = core::jwt::Key::generate(options_.algorithm, std::move(kid));
  if (!key) return key.error();
  if (!entries_.empty()) entries_.back().retiredAt = at;
  entries_.push_back(Entry{std::move(key).value(), at, 0});
  return {};
}

core::Result<void> KeyRing::persistLocked() {
  json::array keys;
  for (const auto& e : entries_) {
    json::object k{{"jwk", e.key.privateJwk()}, {"createdAt", e.createdAt}};
    if (e.retiredAt != 0) k["retiredAt"] = e.retiredAt;
    keys.push_back(std::move(k));
  }
  return writeAtomically(options_.keysFile, core::toJson(json::object{{"keys", std::move(keys)}}));
}

void KeyRing::publishLocked() {
  auto set = std::make_shared<core::jwt::KeySet>();
  for (const auto& e : entries_) set->add(e.key);
  std::atomic_store(&snapshot_, std::shared_ptr<const core::jwt::KeySet>(std::move(set)));
}

std::shared_ptr<const core::jwt::KeySet> KeyRing::verificationKeys() const {
  return std::atomic_load(&snapshot_);
}

core::Result<std::string> KeyRing::sign(const json::object& claims) {
  std::optional<core::jwt::Key> current;
  {
    core::MutexLock lock(mu_);
    if (entries_.empty()) {
      return core::Error("ServiceUnavailable", 503, "The signing keys are not loaded");
    }
    if (rotationDueLocked(now())) {
      if (auto rotated = rotateDurablyLocked(); !rotated) return rotated.error();
    }
    current = entries_.back().key;  // copies share the key material
  }
  // Outside the lock: an RS256 signature takes a quarter of a millisecond, and concurrent
  // log-ins should not queue behind each other for it.
  return core::jwt::sign(*current, claims);
}

json::object KeyRing::jwks() const { return verificationKeys()->publicJwks(); }

}  // namespace bakery::identity
