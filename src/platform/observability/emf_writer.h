// EmfWriter: CloudWatch Embedded Metric Format documents, as the Lambda mode prints them.
//
// One writer collects metrics for one namespace and one dimension set, then flush() emits a
// single JSON document (one line) to its sink:
//   {"_aws":{"Timestamp":<ms>,"CloudWatchMetrics":[{"Namespace":..,"Dimensions":[[..]],
//    "Metrics":[{"Name":..,"Unit":..,"StorageResolution":..}]}]}, "<dim>":"<value>",
//    "<metric>":<number or array of numbers>, "<property>":<any>}
// The specification's limits are enforced as validation errors, not silently truncated:
// namespace 1-255 characters; at most 30 dimensions in a set, values strings; at most 100
// metrics per document (the writer flushes by itself at 100 distinct names); at most 100
// values per metric (flushes before the 101st); names 1-255 characters, not `_aws`, not
// clashing with a dimension or property; units from CloudWatch's list; storage resolution
// 1 or 60; values finite. Not thread-safe: one writer per invocation.
//
// Choices the specification leaves open:
// - The sink receives the document without a trailing newline.
// - `Timestamp` is the clock's time at flush. `Unit` is always written; `StorageResolution`
//   only when it is 1 (high resolution), since 60 is what CloudWatch assumes without it.
// - With no dimensions the directive still names one, empty, dimension set: [[]].
// - The 100th distinct metric name triggers the flush at once (not the 101st).
// - Whole values up to 2^53 are written as JSON integers (`3`); others in their shortest
//   round-trip form (`12.5`), as core::toJson writes every double.
// - A document stays within 1 MB (kMaxDocumentBytes): a metric value that would not fit makes
//   the writer flush first; a dimension or property that would not fit (they are repeated in
//   every document, so flushing cannot help) is refused with a validation error.
// - A name given again with another unit or resolution within one document is an error.
// - Errors are core::Error::validation with `field` naming the argument: "namespace", "name",
//   "value", "unit" or "storageResolution".
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace bakery::observability {

class EmfWriter {
 public:
  using Sink = std::function<void(std::string_view document)>;

  EmfWriter(std::string metricNamespace, Sink sink, const core::Clock& clock);
  ~EmfWriter();  // flushes what is pending

  core::Result<void> putDimension(std::string_view name, std::string_view value);
  // `unit`: one of CloudWatch's units ("Milliseconds", "Count", "Bytes", ..., "None").
  core::Result<void> putMetric(std::string_view name, double value, std::string_view unit = "None",
                               int storageResolution = 60);
  core::Result<void> putProperty(std::string_view name, json::value value);
  // Emits the pending metrics as one document; no-op when there are none. Dimensions and
  // properties are kept for the next document.
  void flush();

  static bool isValidUnit(std::string_view unit);
  // 1-255 characters from [A-Za-z0-9.-_/#:], not starting with CloudWatch's reserved "AWS/".
  // putMetric reports an invalid namespace as an error on "namespace".
  static core::Result<void> validateNamespace(std::string_view metricNamespace);

  static constexpr std::size_t kMaxDocumentBytes = 1 << 20;

 private:
  struct Metric {
    std::string unit;
    int storageResolution;
    std::vector<double> values;
  };

  enum class Member { kDimension, kMetric, kProperty };

  // Length, `_aws`, and clashes with top-level members of the other two kinds.
  core::Result<void> checkName(std::string_view name, Member kind) const;
  json::object document(bool withMetrics) const;

  std::string namespace_;
  Sink sink_;
  const core::Clock& clock_;
  std::vector<std::pair<std::string, std::string>> dimensions_;
  json::object properties_;
  std::vector<std::pair<std::string, Metric>> metrics_;
  // Document size accounting: fixedBytes_ is exact (the document without metrics);
  // metricBytes_ is an upper bound on what the pending metrics add to it.
  std::size_t fixedBytes_ = 0;
  std::size_t metricBytes_ = 0;
};

}  // namespace bakery::observability
