// ConfigReader: typed, strict reading of one JSON configuration object.
//
// Every getter records the key it read; finish() then rejects any key nobody asked for,
// naming its full path (`gateway.limits.maxBodyBytez`), like userver's typed configs.
// Type errors name the path too. Errors are values (ValidationException), never exceptions.
// Not thread-safe; use one reader per parse.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace bakery::core {

class ConfigReader {
 public:
  // `obj` must outlive the reader. `path` is the dotted prefix for error messages ("" = root).
  ConfigReader(const json::object& obj, std::string path);

  // Each optional getter leaves `out` untouched when the key is absent.
  void readString(std::string_view key, std::string& out);
  void readBool(std::string_view key, bool& out);
  void readInt(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& out);
  void readMillis(std::string_view key, std::int64_t min, std::int64_t max,
                  std::chrono::milliseconds& out);
  void readStringList(std::string_view key, std::vector<std::string>& out);
  void readStringMap(std::string_view key, std::map<std::string, std::string>& out);
  // A nested object; nullopt when absent (or when it is not an object, which records an error).
  std::optional<ConfigReader> child(std::string_view key);
  // The raw value, for sections parsed elsewhere (e.g. JSON Schemas).
  const json::value* raw(std::string_view key);
  // Keys of this object, for maps keyed by name (each must then be read through child()).
  std::vector<std::string> keys() const;

  void fail(std::string_view key, std::string message);
  std::string pathOf(std::string_view key) const;

  // Ends a child section: records an error for the first key nobody read.
  void close();
  // Ends the root: close(), then the first error seen anywhere in the document.
  Result<void> finish();

 private:
  ConfigReader(const json::object& obj, std::string path,
               std::shared_ptr<std::optional<Error>> firstError);
  const json::value* take(std::string_view key);

  const json::object& obj_;
  std::string path_;
  std::set<std::string, std::less<>> seen_;
  std::shared_ptr<std::optional<Error>> firstError_;
};

}  // namespace bakery::core
