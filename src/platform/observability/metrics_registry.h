// MetricsRegistry: counters, gauges and histograms, rendered in the Prometheus text
// exposition format 0.0.4 for `GET /metrics`.
//
// Thread-safety: creating or looking up a series takes a lock; updating one (inc, set,
// observe) is lock-free, so hot paths look a series up once and keep the reference, which
// stays valid for the registry's lifetime. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*; a name
// keeps the type and help of its first registration (a mismatch is a programming error).
//
// Programming errors throw std::invalid_argument at registration: an invalid metric or label
// name (label names match [a-zA-Z_][a-zA-Z0-9_]*, do not start with `__`, appear once, and a
// histogram may not use `le`), a type mismatch, a histogram looked up with other bounds, or a
// gauge series registered both as a Gauge and as a callback. Label order does not matter: a
// series is identified and rendered with its labels sorted by name.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace bakery::observability {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative histogram over fixed upper bounds (ascending), plus +Inf, sum and count.
// A value v falls in the first bucket whose bound satisfies v <= bound (Prometheus `le`).
class Histogram {
 public:
  // `upperBounds` must be finite and strictly ascending (else std::invalid_argument).
  explicit Histogram(std::span<const double> upperBounds);
  void observe(double v);
  std::span<const double> upperBounds() const { return bounds_; }

  struct Snapshot {
    std::vector<double> upperBounds;
    std::vector<std::uint64_t> cumulativeCounts;  // one per bound, then +Inf (= count)
    double sum = 0;
    std::uint64_t count = 0;
    // The smallest bucket bound below which a fraction q (0..1] of observations fall: +Inf
    // when that is only the +Inf bucket, NaN when nothing was observed.
    double quantileUpperBound(double q) const;
  };
  Snapshot snapshot() const;

  // Log-linear seconds buckets: 1..9 x 10^k for k = -5..1 (10 us to 90 s), then 100 s.
  // Within each decade the step is linear, so p50/p95/p99 read off with <= 1 digit of error.
  static std::span<const double> logLinearSeconds();
  // The same shape for sizes in bytes: 1..9 x 10^k for k = 1..7 (10 B to 90 MB).
  static std::span<const double> logLinearBytes();

 private:
  std::vector<double> bounds_;
  // Per bucket, not cumulative; the last is +Inf. The count is their total rather than a
  // separate atomic, so a snapshot taken during observe() always has _count == +Inf bucket.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       std::span<const double> upperBounds = Histogram::logLinearSeconds());
  // A gauge whose value is read at scrape time (e.g. resident memory). `read` must be
  // thread-safe and cheap, and must not call the registry (it runs under the registry's lock).
  void gaugeCallback(std::string_view name, std::string_view help, const Labels& labels,
                     std::function<double()> read);

  // Families sorted by name, each with one `# HELP` and one `# TYPE` line, then its series;
  // histograms as `_bucket{le=...}`, `_sum`, `_count`. Label values escaped per the format.
  std::string renderPrometheus() const;

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, int type) REQUIRES(mu_);

  mutable core::Mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ GUARDED_BY(mu_);
};

}  // namespace bakery::observability
