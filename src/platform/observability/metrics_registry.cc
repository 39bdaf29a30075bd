#include "platform/observability/metrics_registry.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>
#include <variant>

#include <fmt/format.h>

namespace bakery::observability {
namespace {

constexpr int kCounter = 0;
constexpr int kGauge = 1;
constexpr int kHistogram = 2;
constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};

void atomicAdd(std::atomic<double>& target, double delta) {
  double old = target.load(std::memory_order_relaxed);
  // On failure compare_exchange_weak reloads `old`, so the next try adds to the fresh value.
  while (!target.compare_exchange_weak(old, old + delta, std::memory_order_relaxed)) {
  }
}

bool isAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; the same without ':' for label names.
bool isValidName(std::string_view name, bool allowColon) {
  if (name.empty() || isAsciiDigit(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [allowColon](char c) {
    return isAsciiLetter(c) || isAsciiDigit(c) || c == '_' || (allowColon && c == ':');
  });
}

// Sorted by name so that {a,b} and {b,a} are one series and render identically.
Labels normalizeLabels(const Labels& labels, bool histogram) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const std::string& name = sorted[i].first;
    if (!isValidName(name, false) || name.starts_with("__") || (histogram && name == "le")) {
      throw std::invalid_argument(fmt::format("invalid label name '{}'", name));
    }
    if (i > 0 && sorted[i - 1].first == name) {
      throw std::invalid_argument(fmt::format("label '{}' given twice", name));
    }
  }
  return sorted;
}

void checkBounds(std::span<const double> bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) {
      throw std::invalid_argument("histogram bounds must be finite and strictly ascending");
    }
  }
}

// 1..9 x 10^k for k in [firstExponent, lastExponent]. Each bound is an exact integer divided
// (or multiplied) by an exact power of ten, so it is the double nearest to the decimal, and
// shortest formatting prints it back as written (0.0003, never 0.00030000000000000003).
std::vector<double> logLinear(int firstExponent, int lastExponent) {
  std::vector<double> bounds;
  for (int k = firstExponent; k <= lastExponent; ++k) {
    double scale = 1;
    for (int i = 0; i < std::abs(k); ++i) scale *= 10;
    for (int m = 1; m <= 9; ++m) bounds.push_back(k < 0 ? m / scale : m * scale);
  }
  return bounds;
}

// Go's ParseFloat (Prometheus) and Python's float() read fmt's shortest round-trip form.
std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

void appendEscaped(std::string& out, std::string_view text, bool escapeQuote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escapeQuote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `name{labels...,le="..."} value`; `le` is empty except for histogram buckets.
void appendSample(std::string& out, std::string_view name, const Labels& labels,
                  std::string_view le, std::string_view value) {
  out += name;
  if (!labels.empty() || !le.empty()) {
    out += '{';
    const char* separator = "";
    for (const auto& [key, labelValue] : labels) {
      out += separator;
      out += key;
      out += "=\"";
      appendEscaped(out, labelValue, true);
      out += '"';
      separator = ",";
    }
    if (!le.empty()) fmt::format_to(std::back_inserter(out), "{}le=\"{}\"", separator, le);
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

template <class T, class Family, class... Args>
T& findOrAddSeries(Family& family, Labels key, Args&&... args) {
  auto& slot = family.series[std::move(key)];
  if (!slot) {
    slot = std::make_unique<typename Family::Series>(std::in_place_type<T>,
                                                     std::forward<Args>(args)...);
  }
  T* series = std::get_if<T>(slot.get());
  if (series == nullptr) {
    throw std::invalid_argument(
        fmt::format("metric '{}': series registered as a gauge and as a callback", family.name));
  }
  return *series;
}

}  // namespace

void Gauge::add(double d) { atomicAdd(value_, d); }

Histogram::Histogram(std::span<const double> upperBounds)
    : bounds_(upperBounds.begin(), upperBounds.end()),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upperBounds.size() + 1)) {
  checkBounds(upperBounds);
}

void Histogram::observe(double v) {
  // The first bound with v <= bound; written as !(v <= b) so NaN lands in +Inf.
  auto it = std::partition_point(bounds_.begin(), bounds_.end(),
                                 [v](double bound) { return !(v <= bound); });
  counts_[it - bounds_.begin()].fetch_add(1, std::memory_order_relaxed);
  atomicAdd(sum_, v);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upperBounds = bounds_;
  s.cumulativeCounts.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulativeCounts.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

double Histogram::Snapshot::quantileUpperBound(double q) const {
  if (count == 0) return std::numeric_limits<double>::quiet_NaN();
  const double rank = q * static_cast<double>(count);
  for (std::size_t i = 0; i < upperBounds.size(); ++i) {
    if (static_cast<double>(cumulativeCounts[i]) >= rank) return upperBounds[i];
  }
  return std::numeric_limits<double>::infinity();
}

std::span<const double> Histogram::logLinearSeconds() {
  static const std::vector<double> kBounds = [] {
    std::vector<double> bounds = logLinear(-5, 1);
    bounds.push_back(100);
    return bounds;
  }();
  return kBounds;
}

std::span<const double> Histogram::logLinearBytes() {
  static const std::vector<double> kBounds = logLinear(1, 7);
  return kBounds;
}

struct MetricsRegistry::Family {
  using Series = std::variant<Counter, Gauge, Histogram, std::function<double()>>;

  std::string name;
  std::string help;
  int type;
  // Ordered by label set, so the rendering is stable; nodes never move, so references stay.
  std::map<Labels, std::unique_ptr<Series>> series;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 int type) {
  auto it = std::lower_bound(families_.begin(), families_.end(), name,
                             [](const auto& f, std::string_view n) { return f->name < n; });
  if (it != families_.end() && (*it)->name == name) {
    if ((*it)->type != type) {
      throw std::invalid_argument(fmt::format("metric '{}' is a {}, not a {}", name,
                                              kTypeNames[(*it)->type], kTypeNames[type]));
    }
    return **it;
  }
  if (!isValidName(name, true)) {
    throw std::invalid_argument(fmt::format("invalid metric name '{}'", name));
  }
  auto created = std::make_unique<Family>(Family{std::string(name), std::string(help), type, {}});
  return **families_.insert(it, std::move(created));
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  Labels key = normalizeLabels(labels, false);
  core::MutexLock lock(mu_);
  return findOrAddSeries<Counter>(family(name, help, kCounter), std::move(key));
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  Labels key = normalizeLabels(labels, false);
  core::MutexLock lock(mu_);
  return findOrAddSeries<Gauge>(family(name, help, kGauge), std::move(key));
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const Labels& labels, std::span<const double> upperBounds) {
  Labels key = normalizeLabels(labels, true);
  checkBounds(upperBounds);
  core::MutexLock lock(mu_);
  Histogram& h =
      findOrAddSeries<Histogram>(family(name, help, kHistogram), std::move(key), upperBounds);
  if (!std::ranges::equal(h.upperBounds(), upperBounds)) {
    throw std::invalid_argument(fmt::format("histogram '{}' exists with other bounds", name));
  }
  return h;
}

void MetricsRegistry::gaugeCallback(std::string_view name, std::string_view help,
                                    const Labels& labels, std::function<double()> read) {
  if (!read) throw std::invalid_argument(fmt::format("gauge '{}': empty callback", name));
  Labels key = normalizeLabels(labels, false);
  core::MutexLock lock(mu_);
  Family& f = family(name, help, kGauge);
  auto [it, inserted] = f.series.try_emplace(std::move(key));
  if (!inserted) {
    throw std::invalid_argument(fmt::format("gauge '{}' series registered twice", name));
  }
  it->second = std::make_unique<Family::Series>(std::move(read));
}

std::string MetricsRegistry::renderPrometheus() const {
  std::string out;
  core::MutexLock lock(mu_);
  for (const auto& f : families_) {
    out += "# HELP ";
    out += f->name;
    out += ' ';
    appendEscaped(out, f->help, false);
    fmt::format_to(std::back_inserter(out), "\n# TYPE {} {}\n", f->name, kTypeNames[f->type]);
    for (const auto& [labels, series] : f->series) {
      if (const auto* c = std::get_if<Counter>(series.get())) {
        appendSample(out, f->name, labels, {}, fmt::format("{}", c->value()));
      } else if (const auto* g = std::get_if<Gauge>(series.get())) {
        appendSample(out, f->name, labels, {}, formatValue(g->value()));
      } else if (const auto* read = std::get_if<std::function<double()>>(series.get())) {
        appendSample(out, f->name, labels, {}, formatValue((*read)()));
      } else {
        const Histogram::Snapshot s = std::get<Histogram>(*series).snapshot();
        const std::string bucket = f->name + "_bucket";
        for (std::size_t i = 0; i < s.upperBounds.size(); ++i) {
          appendSample(out, bucket, labels, formatValue(s.upperBounds[i]),
                       fmt::format("{}", s.cumulativeCounts[i]));
        }
        appendSample(out, bucket, labels, "+Inf", fmt::format("{}", s.count));
        appendSample(out, f->name + "_sum", labels, {}, formatValue(s.sum));
        appendSample(out, f->name + "_count", labels, {}, fmt::format("{}", s.count));
      }
    }
  }
  return out;
}

}  // namespace bakery::observability
