#include "core/config_reader.h"

#include <fmt/format.h>

namespace bakery::core {

ConfigReader::ConfigReader(const json::object& obj, std::string path)
    : ConfigReader(obj, std::move(path), std::make_shared<std::optional<Error>>()) {}

ConfigReader::ConfigReader(const json::object& obj, std::string path,
                           std::shared_ptr<std::optional<Error>> firstError)
    : obj_(obj), path_(std::move(path)), firstError_(std::move(firstError)) {}

std::string ConfigReader::pathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ConfigReader::fail(std::string_view key, std::string message) {
  if (*firstError_) return;
  std::string path = pathOf(key);
  *firstError_ = Error::validation(fmt::format("config: {}: {}", path, message), path);
}

const json::value* ConfigReader::take(std::string_view key) {
  seen_.emplace(key);
  auto it = obj_.find(key);
  return it == obj_.end() ? nullptr : &it->value();
}

void ConfigReader::readString(std::string_view key, std::string& out) {
  const json::value* v = take(key);
  if (!v) return;
  if (!v->is_string()) return fail(key, "must be a string");
  out = std::string(v->get_string());
}

void ConfigReader::readBool(std::string_view key, bool& out) {
  const json::value* v = take(key);
  if (!v) return;
  if (!v->is_bool()) return fail(key, "must be true or false");
  out = v->get_bool();
}

void ConfigReader::readInt(std::string_view key, std::int64_t min, std::int64_t max,
                           std::int64_t& out) {
  const json::value* v = take(key);
  if (!v) return;
  std::int64_t n;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(max)) {
    n = static_cast<std::int64_t>(v->get_uint64());
  } else {
    return fail(key, fmt::format("must be an integer between {} and {}", min, max));
  }
  if (n < min || n > max) {
    return fail(key, fmt::format("must be an integer between {} and {}", min, max));
  }
  out = n;
}

void ConfigReader::readMillis(std::string_view key, std::int64_t min, std::int64_t max,
                              std::chrono::milliseconds& out) {
  std::int64_t n = out.count();
  readInt(key, min, max, n);
  out = std::chrono::milliseconds(n);
}

void ConfigReader::readStringList(std::string_view key, std::vector<std::string>& out) {
  const json::value* v = take(key);
  if (!v) return;
  if (!v->is_array()) return fail(key, "must be an array of strings");
  std::vector<std::string> list;
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) return fail(key, "must be an array of strings");
    list.emplace_back(e.get_string());
  }
  out = std::move(list);
}

void ConfigReader::readStringMap(std::string_view key, std::map<std::string, std::string>& out) {
  const json::value* v = take(key);
  if (!v) return;
  if (!v->is_object()) return fail(key, "must be an object of strings");
  std::map<std::string, std::string> map;
  for (const auto& kv : v->get_object()) {
    if (!kv.value().is_string()) {
      return fail(fmt::format("{}.{}", key, std::string_view(kv.key())), "must be a string");
    }
    map.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
  }
  out = std::move(map);
}

std::optional<ConfigReader> ConfigReader::child(std::string_view key) {
  const json::value* v = take(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    fail(key, "must be an object");
    return std::nullopt;
  }
  return ConfigReader(v->get_object(), pathOf(key), firstError_);
}

const json::value* ConfigReader::raw(std::string_view key) { return take(key); }

std::vector<std::string> ConfigReader::keys() const {
  std::vector<std::string> out;
  for (const auto& kv : obj_) out.emplace_back(kv.key());
  return out;
}

void ConfigReader::close() {
  for (const auto& kv : obj_) {
    if (!seen_.contains(std::string_view(kv.key()))) {
      return fail(std::string_view(kv.key()), "unknown key");
    }
  }
}

Result<void> ConfigReader::finish() {
  close();
  if (*firstError_) return **firstError_;
  return {};
}

}  // namespace bakery::core
