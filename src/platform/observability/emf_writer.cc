#include "platform/observability/emf_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "core/time_format.h"

namespace bakery::observability {
namespace {

constexpr std::size_t kMaxNameCharacters = 255;
constexpr std::size_t kMaxDimensions = 30;
constexpr std::size_t kMaxMetrics = 100;
constexpr std::size_t kMaxValuesPerMetric = 100;
// A new metric's definition `{"Name":,"Unit":,"StorageResolution":1}` and member `,:`, with
// separators, besides its strings; rounded up, as the accounting is an upper bound.
constexpr std::size_t kMetricOverheadBytes = 64;
// A value's comma, and the brackets when a single value becomes an array.
constexpr std::size_t kValueOverheadBytes = 3;

constexpr std::string_view kUnits[] = {"Seconds",
                                       "Microseconds",
                                       "Milliseconds",
                                       "Bytes",
                                       "Kilobytes",
                                       "Megabytes",
                                       "Gigabytes",
                                       "Terabytes",
                                       "Bits",
                                       "Kilobits",
                                       "Megabits",
                                       "Gigabits",
                                       "Terabits",
                                       "Percent",
                                       "Count",
                                       "Bytes/Second",
                                       "Kilobytes/Second",
                                       "Megabytes/Second",
                                       "Gigabytes/Second",
                                       "Terabytes/Second",
                                       "Bits/Second",
                                       "Kilobits/Second",
                                       "Megabits/Second",
                                       "Gigabits/Second",
                                       "Terabits/Second",
                                       "Count/Second",
                                       "None"};
constexpr std::string_view kMemberKinds[] = {"dimension", "metric", "property"};

// CloudWatch limits count characters, not bytes: count the bytes that start a UTF-8 sequence.
bool hasValidLength(std::string_view text) {
  const auto characters = std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  return characters >= 1 && static_cast<std::size_t>(characters) <= kMaxNameCharacters;
}

// Whole numbers as JSON integers, so a count reads `3` rather than Boost.JSON's `3E0`.
json::value number(double v) {
  constexpr double kLargestExactInteger = 9007199254740992.0;  // 2^53
  if (std::trunc(v) == v && std::fabs(v) <= kLargestExactInteger) {
    return json::value(static_cast<std::int64_t>(v));
  }
  return json::value(v);
}

std::size_t serializedSize(const json::value& v) { return core::toJson(v).size(); }

template <class Pairs>
auto findByName(Pairs& pairs, std::string_view name) {
  return std::find_if(pairs.begin(), pairs.end(),
                      [name](const auto& pair) { return pair.first == name; });
}

}  // namespace

EmfWriter::EmfWriter(std::string metricNamespace, Sink sink, const core::Clock& clock)
    : namespace_(std::move(metricNamespace)), sink_(std::move(sink)), clock_(clock) {
  fixedBytes_ = serializedSize(document(false));
}

EmfWriter::~EmfWriter() { flush(); }

bool EmfWriter::isValidUnit(std::string_view unit) {
  return std::ranges::find(kUnits, unit) != std::end(kUnits);
}

core::Result<void> EmfWriter::validateNamespace(std::string_view metricNamespace) {
  if (!hasValidLength(metricNamespace)) {
    return core::Error::validation("namespace must be 1-255 characters", "namespace");
  }
  const bool allowed = std::ranges::all_of(metricNamespace, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view(".-_/#:").find(c) != std::string_view::npos;
  });
  if (!allowed) {
    return core::Error::validation(
        fmt::format("namespace '{}' may hold only letters, digits and . - _ / # :",
                    metricNamespace),
        "namespace");
  }
  if (metricNamespace.starts_with("AWS/")) {
    return core::Error::validation("namespaces starting with 'AWS/' are reserved", "namespace");
  }
  return {};
}

core::Result<void> EmfWriter::checkName(std::string_view name, Member kind) const {
  const std::string_view kindName = kMemberKinds[static_cast<int>(kind)];
  if (!hasValidLength(name)) {
    return core::Error::validation(fmt::format("{} name must be 1-255 characters", kindName),
                                   "name");
  }
  if (name == "_aws") {
    return core::Error::validation("'_aws' is reserved for the metadata", "name");
  }
  const bool clashes =
      (kind != Member::kDimension && findByName(dimensions_, name) != dimensions_.end()) ||
      (kind != Member::kMetric && findByName(metrics_, name) != metrics_.end()) ||
      (kind != Member::kProperty && properties_.contains(name));
  if (clashes) {
    return core::Error::validation(
        fmt::format("{} '{}' clashes with another member of the document", kindName, name), "name");
  }
  return {};
}

core::Result<void> EmfWriter::putDimension(std::string_view name, std::string_view value) {
  if (auto checked = checkName(name, Member::kDimension); !checked) return checked;
  if (!hasValidLength(value)) {
    return core::Error::validation(
        fmt::format("dimension '{}' value must be 1-255 characters", name), "value");
  }
  auto saved = dimensions_;
  if (auto it = findByName(dimensions_, name); it != dimensions_.end()) {
    it->second = value;
  } else if (dimensions_.size() == kMaxDimensions) {
    return core::Error::validation(
        fmt::format("dimension '{}' would exceed {} dimensions", name, kMaxDimensions), "name");
  } else {
    dimensions_.emplace_back(name, value);
  }
  const std::size_t fixed = serializedSize(document(false));
  if (fixed + metricBytes_ > kMaxDocumentBytes) {
    dimensions_ = std::move(saved);
    return core::Error::validation(
        fmt::format("dimension '{}' would make the document exceed 1 MB", name), "value");
  }
  fixedBytes_ = fixed;
  return {};
}

core::Result<void> EmfWriter::putProperty(std::string_view name, json::value value) {
  if (auto checked = checkName(name, Member::kProperty); !checked) return checked;
  std::optional<json::value> previous;
  if (json::value* existing = properties_.if_contains(name)) previous = std::move(*existing);
  properties_[name] = std::move(value);
  const std::size_t fixed = serializedSize(document(false));
  if (fixed + metricBytes_ > kMaxDocumentBytes) {
    if (previous) {
      properties_[name] = std::move(*previous);
    } else {
      properties_.erase(name);  // the last member, so erasing it reorders nothing
    }
    return core::Error::validation(
        fmt::format("property '{}' would make the document exceed 1 MB", name), "value");
  }
  fixedBytes_ = fixed;
  return {};
}

core::Result<void> EmfWriter::putMetric(std::string_view name, double value, std::string_view unit,
                                        int storageResolution) {
  if (auto valid = validateNamespace(namespace_); !valid) return valid;
  if (auto checked = checkName(name, Member::kMetric); !checked) return checked;
  if (!isValidUnit(unit)) {
    return core::Error::validation(fmt::format("'{}' is not a CloudWatch unit", unit), "unit");
  }
  if (storageResolution != 1 && storageResolution != 60) {
    return core::Error::validation(
        fmt::format("storage resolution {} is neither 1 nor 60", storageResolution),
        "storageResolution");
  }
  if (!std::isfinite(value)) {
    return core::Error::validation(fmt::format("metric '{}' value must be finite", name), "value");
  }
  auto it = findByName(metrics_, name);
  if (it != metrics_.end()) {
    if (it->second.unit != unit) {
      return core::Error::validation(
          fmt::format("metric '{}' already has unit {}", name, it->second.unit), "unit");
    }
    if (it->second.storageResolution != storageResolution) {
      return core::Error::validation(fmt::format("metric '{}' already has storage resolution {}",
                                                 name, it->second.storageResolution),
                                     "storageResolution");
    }
    if (it->second.values.size() == kMaxValuesPerMetric) {
      flush();
      it = metrics_.end();
    }
  }
  const std::size_t definitionBytes = 2 * serializedSize(json::value(name)) +
                                      serializedSize(json::value(unit)) + kMetricOverheadBytes;
  const std::size_t valueBytes = serializedSize(number(value)) + kValueOverheadBytes;
  std::size_t bytes = valueBytes + (it == metrics_.end() ? definitionBytes : 0);
  if (fixedBytes_ + metricBytes_ + bytes > kMaxDocumentBytes && !metrics_.empty()) {
    flush();
    it = metrics_.end();
    bytes = valueBytes + definitionBytes;
  }
  if (fixedBytes_ + metricBytes_ + bytes > kMaxDocumentBytes) {
    return core::Error::validation(
        fmt::format("metric '{}' does not fit in 1 MB beside the dimensions and properties", name),
        "name");
  }
  if (it == metrics_.end()) {
    metrics_.emplace_back(std::string(name), Metric{std::string(unit), storageResolution, {value}});
  } else {
    it->second.values.push_back(value);
  }
  metricBytes_ += bytes;
  if (metrics_.size() == kMaxMetrics) flush();
  return {};
}

void EmfWriter::flush() {
  if (metrics_.empty()) return;
  const std::string text = core::toJson(document(true));
  // Reset before calling out, so a throwing sink leaves the writer usable.
  metrics_.clear();
  metricBytes_ = 0;
  sink_(text);
}

json::object EmfWriter::document(bool withMetrics) const {
  json::array dimensionNames;
  for (const auto& [name, value] : dimensions_) dimensionNames.emplace_back(name);
  json::array dimensionSets;
  dimensionSets.emplace_back(std::move(dimensionNames));

  json::array definitions;
  if (withMetrics) {
    for (const auto& [name, metric] : metrics_) {
      json::object definition;
      definition["Name"] = name;
      definition["Unit"] = metric.unit;
      if (metric.storageResolution == 1) definition["StorageResolution"] = 1;
      definitions.emplace_back(std::move(definition));
    }
  }
  json::object directive;
  directive["Namespace"] = namespace_;
  directive["Dimensions"] = std::move(dimensionSets);
  directive["Metrics"] = std::move(definitions);
  json::array directives;
  directives.emplace_back(std::move(directive));

  json::object doc;
  json::object& aws = doc["_aws"].emplace_object();
  aws["Timestamp"] = core::epochMillis(clock_.wallNow());
  aws["CloudWatchMetrics"] = std::move(directives);
  for (const auto& [name, value] : dimensions_) doc[name] = value;
  if (withMetrics) {
    for (const auto& [name, metric] : metrics_) {
      if (metric.values.size() == 1) {
        doc[name] = number(metric.values.front());
      } else {
        json::array values;
        for (double v : metric.values) values.push_back(number(v));
        doc[name] = std::move(values);
      }
    }
  }
  for (const auto& property : properties_) doc[property.key()] = property.value();
  return doc;
}

}  // namespace bakery::observability
