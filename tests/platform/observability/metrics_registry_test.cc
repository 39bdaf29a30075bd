#include "platform/observability/metrics_registry.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bakery::observability {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(MetricsRegistryTest, RendersFamiliesSortedByNameInTextFormat004) {
  MetricsRegistry registry;
  registry.gauge("queue_depth", "Items waiting.").set(2.5);
  registry.counter("http_requests_total", "Requests served.", {{"code", "200"}, {"method", "GET"}})
      .inc(3);
  registry.counter("http_requests_total", "Requests served.", {{"method", "GET"}, {"code", "404"}})
      .inc();
  const double bounds[] = {0.5, 1};
  Histogram& latency = registry.histogram("latency_seconds", "Latency.", {}, bounds);
  latency.observe(0.25);
  latency.observe(0.5);
  latency.observe(3);

  EXPECT_EQ(registry.renderPrometheus(),
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{code=\"200\",method=\"GET\"} 3\n"
            "http_requests_total{code=\"404\",method=\"GET\"} 1\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.5\"} 2\n"
            "latency_seconds_bucket{le=\"1\"} 2\n"
            "latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "latency_seconds_sum 3.75\n"
            "latency_seconds_count 3\n"
            "# HELP queue_depth Items waiting.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 2.5\n");
}

TEST(MetricsRegistryTest, RendersEmptyRegistryAsEmptyText) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.renderPrometheus(), "");
}

TEST(MetricsRegistryTest, HistogramBucketsPutLabelsBeforeLe) {
  MetricsRegistry registry;
  const double bounds[] = {1};
  registry.histogram("size_bytes", "Sizes.", {{"route", "/a"}}, bounds).observe(1);
  EXPECT_EQ(registry.renderPrometheus(),
            "# HELP size_bytes Sizes.\n"
            "# TYPE size_bytes histogram\n"
            "size_bytes_bucket{route=\"/a\",le=\"1\"} 1\n"
            "size_bytes_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
            "size_bytes_sum{route=\"/a\"} 1\n"
            "size_bytes_count{route=\"/a\"} 1\n");
}

TEST(MetricsRegistryTest, EscapesBackslashAndNewlineInHelpAndAlsoQuotesInLabelValues) {
  MetricsRegistry registry;
  registry.counter("escapes_total", "A \"quoted\" C:\\path\nsecond line",
                   {{"value", "say \"hi\"\\n\nend"}});
  EXPECT_EQ(registry.renderPrometheus(),
            "# HELP escapes_total A \"quoted\" C:\\\\path\\nsecond line\n"
            "# TYPE escapes_total counter\n"
            "escapes_total{value=\"say \\\"hi\\\"\\\\n\\nend\"} 0\n");
}

TEST(MetricsRegistryTest, RendersSpecialAndShortestRoundTripValues) {
  MetricsRegistry registry;
  registry.gauge("g", "", {{"v", "nan"}}).set(std::numeric_limits<double>::quiet_NaN());
  registry.gauge("g", "", {{"v", "pinf"}}).set(kInf);
  registry.gauge("g", "", {{"v", "ninf"}}).set(-kInf);
  registry.gauge("g", "", {{"v", "small"}}).set(1e-05);
  registry.gauge("g", "", {{"v", "sum"}}).set(0.1 + 0.2);
  registry.gauge("g", "", {{"v", "whole"}}).set(-42);
  registry.counter("c_total", "").inc(std::numeric_limits<std::uint64_t>::max());
  const std::string text = registry.renderPrometheus();
  EXPECT_THAT(text, HasSubstr("g{v=\"nan\"} NaN\n"));
  EXPECT_THAT(text, HasSubstr("g{v=\"pinf\"} +Inf\n"));
  EXPECT_THAT(text, HasSubstr("g{v=\"ninf\"} -Inf\n"));
  EXPECT_THAT(text, HasSubstr("g{v=\"small\"} 1e-05\n"));
  EXPECT_THAT(text, HasSubstr("g{v=\"sum\"} 0.30000000000000004\n"));
  EXPECT_THAT(text, HasSubstr("g{v=\"whole\"} -42\n"));
  EXPECT_THAT(text, HasSubstr("c_total 18446744073709551615\n"));
}

TEST(MetricsRegistryTest, SeriesAreOrderedByLabelsWhateverTheRegistrationOrder) {
  MetricsRegistry registry;
  registry.counter("hits_total", "Hits.", {{"path", "/b"}});
  registry.counter("hits_total", "Hits.", {{"path", "/c"}});
  registry.counter("hits_total", "Hits.", {{"path", "/a"}});
  EXPECT_EQ(registry.renderPrometheus(),
            "# HELP hits_total Hits.\n"
            "# TYPE hits_total counter\n"
            "hits_total{path=\"/a\"} 0\n"
            "hits_total{path=\"/b\"} 0\n"
            "hits_total{path=\"/c\"} 0\n");
}

TEST(MetricsRegistryTest, LabelOrderDoesNotMakeANewSeries) {
  MetricsRegistry registry;
  Counter& first = registry.counter("x_total", "", {{"a", "1"}, {"b", "2"}});
  Counter& second = registry.counter("x_total", "", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(&first, &second);
}

TEST(MetricsRegistryTest, ReferencesStayValidWhileOtherSeriesAreAdded) {
  MetricsRegistry registry;
  Counter& kept = registry.counter("kept_total", "");
  Histogram& keptHistogram = registry.histogram("kept_seconds", "", {{"k", "v"}});
  std::vector<Counter*> counters;
  for (int i = 0; i < 500; ++i) {
    counters.push_back(
        &registry.counter(fmt::format("m{}_total", i % 50), "", {{"i", std::to_string(i)}}));
  }
  kept.inc(7);
  keptHistogram.observe(1);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(counters[i],
              &registry.counter(fmt::format("m{}_total", i % 50), "", {{"i", std::to_string(i)}}));
  }
  EXPECT_EQ(&kept, &registry.counter("kept_total", ""));
  EXPECT_EQ(registry.counter("kept_total", "").value(), 7u);
  EXPECT_EQ(&keptHistogram, &registry.histogram("kept_seconds", "", {{"k", "v"}}));
}

TEST(MetricsRegistryTest, NameKeepsTheHelpOfItsFirstRegistration) {
  MetricsRegistry registry;
  registry.counter("a_total", "First.", {{"k", "1"}});
  registry.counter("a_total", "Second.", {{"k", "2"}});
  EXPECT_THAT(registry.renderPrometheus(), HasSubstr("# HELP a_total First.\n"));
  EXPECT_THAT(registry.renderPrometheus(), ::testing::Not(HasSubstr("Second.")));
}

TEST(MetricsRegistryTest, RejectsInvalidMetricNames) {
  MetricsRegistry registry;
  for (const char* name : {"", "1abc", "a-b", "a b", "caf\xc3\xa9", "a.b"}) {
    EXPECT_THROW(registry.counter(name, ""), std::invalid_argument) << name;
  }
  EXPECT_NO_THROW(registry.counter("ns:sub_system_total", ""));
  EXPECT_NO_THROW(registry.gauge("_leading_underscore", ""));
  EXPECT_NO_THROW(registry.gauge(":colon9", ""));
}

TEST(MetricsRegistryTest, RejectsInvalidOrReservedLabelNames) {
  MetricsRegistry registry;
  for (const char* label : {"", "1x", "a:b", "a-b", "__reserved"}) {
    EXPECT_THROW(registry.counter("c_total", "", {{label, "v"}}), std::invalid_argument) << label;
  }
  EXPECT_THROW(registry.counter("c_total", "", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h_seconds", "", {{"le", "1"}}), std::invalid_argument);
  EXPECT_NO_THROW(registry.counter("c_total", "", {{"le", "1"}}));  // only histograms own `le`
  EXPECT_NO_THROW(registry.counter("c_total", "", {{"_x9", "1"}}));
}

TEST(MetricsRegistryTest, RejectsANameRegisteredAgainWithAnotherType) {
  MetricsRegistry registry;
  registry.counter("shared", "");
  EXPECT_THROW(registry.gauge("shared", ""), std::invalid_argument);
  EXPECT_THROW(registry.histogram("shared", ""), std::invalid_argument);
  EXPECT_THROW(registry.gaugeCallback("shared", "", {}, [] { return 1.0; }), std::invalid_argument);
}

TEST(MetricsRegistryTest, RejectsBadHistogramBounds) {
  MetricsRegistry registry;
  const double descending[] = {2, 1};
  const double repeated[] = {1, 1};
  const double withNan[] = {1, std::numeric_limits<double>::quiet_NaN()};
  const double withInf[] = {1, kInf};
  for (std::span<const double> bounds :
       {std::span<const double>(descending), std::span<const double>(repeated),
        std::span<const double>(withNan), std::span<const double>(withInf)}) {
    EXPECT_THROW(registry.histogram("h_seconds", "", {}, bounds), std::invalid_argument);
    EXPECT_THROW(Histogram{bounds}, std::invalid_argument);
  }
  EXPECT_EQ(registry.renderPrometheus(), "");  // a refused registration leaves nothing behind
}

TEST(MetricsRegistryTest, RejectsAHistogramLookedUpWithOtherBounds) {
  MetricsRegistry registry;
  const double bounds[] = {1, 2};
  registry.histogram("h_seconds", "", {}, bounds);
  EXPECT_THROW(registry.histogram("h_seconds", ""), std::invalid_argument);
  EXPECT_NO_THROW(registry.histogram("h_seconds", "", {}, bounds));
}

TEST(MetricsRegistryTest, GaugeCallbackIsReadAtScrapeTime) {
  MetricsRegistry registry;
  double resident = 1024;
  registry.gaugeCallback("resident_bytes", "Resident memory.", {{"process", "bakery"}},
                         [&resident] { return resident; });
  EXPECT_THAT(registry.renderPrometheus(), HasSubstr("resident_bytes{process=\"bakery\"} 1024\n"));
  resident = 2048.5;
  EXPECT_THAT(registry.renderPrometheus(),
              HasSubstr("resident_bytes{process=\"bakery\"} 2048.5\n"));
}

TEST(MetricsRegistryTest, GaugeSeriesIsEitherAGaugeOrACallbackOnce) {
  MetricsRegistry registry;
  registry.gaugeCallback("g", "", {{"k", "cb"}}, [] { return 1.0; });
  EXPECT_THROW(registry.gaugeCallback("g", "", {{"k", "cb"}}, [] { return 2.0; }),
               std::invalid_argument);
  EXPECT_THROW(registry.gauge("g", "", {{"k", "cb"}}), std::invalid_argument);
  registry.gauge("g", "", {{"k", "plain"}}).set(3);
  EXPECT_THROW(registry.gaugeCallback("g", "", {{"k", "plain"}}, [] { return 2.0; }),
               std::invalid_argument);
  EXPECT_THROW(registry.gaugeCallback("g", "", {{"k", "empty"}}, {}), std::invalid_argument);
  EXPECT_THAT(registry.renderPrometheus(), HasSubstr("g{k=\"cb\"} 1\ng{k=\"plain\"} 3\n"));
}

TEST(GaugeTest, SetAndAddIncludingNegativeDeltas) {
  Gauge gauge;
  gauge.set(10);
  gauge.add(2.5);
  gauge.add(-4);
  EXPECT_EQ(gauge.value(), 8.5);
}

TEST(HistogramTest, PlacesValuesInTheFirstBucketWhoseBoundIsAtLeastTheValue) {
  const double bounds[] = {1, 2, 5};
  Histogram histogram(bounds);
  histogram.observe(-3);                        // le=1
  histogram.observe(0);                         // le=1
  histogram.observe(1);                         // le=1: bounds are inclusive
  histogram.observe(std::nextafter(1.0, 2.0));  // le=2
  histogram.observe(2);                         // le=2
  histogram.observe(5);                         // le=5
  histogram.observe(std::nextafter(5.0, 6.0));  // +Inf
  histogram.observe(1e300);                     // +Inf
  const Histogram::Snapshot s = histogram.snapshot();
  EXPECT_THAT(s.upperBounds, ElementsAre(1, 2, 5));
  EXPECT_THAT(s.cumulativeCounts, ElementsAre(3, 5, 6, 8));
  EXPECT_EQ(s.count, 8u);
}

TEST(HistogramTest, NanGoesToTheInfBucket) {
  const double bounds[] = {1};
  Histogram histogram(bounds);
  histogram.observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THAT(histogram.snapshot().cumulativeCounts, ElementsAre(0, 1));
}

TEST(HistogramTest, TracksSumAndCount) {
  const double bounds[] = {1};
  Histogram histogram(bounds);
  histogram.observe(0.5);
  histogram.observe(0.25);
  histogram.observe(4);
  const Histogram::Snapshot s = histogram.snapshot();
  EXPECT_EQ(s.sum, 4.75);
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.cumulativeCounts.back(), s.count);
}

TEST(HistogramTest, QuantileUpperBoundIsTheSmallestBoundCoveringTheFraction) {
  const double bounds[] = {1, 2, 5, 10};
  Histogram histogram(bounds);
  for (int i = 0; i < 50; ++i) histogram.observe(0.5);
  for (int i = 0; i < 40; ++i) histogram.observe(1.5);
  for (int i = 0; i < 9; ++i) histogram.observe(4);
  histogram.observe(20);
  const Histogram::Snapshot s = histogram.snapshot();
  EXPECT_EQ(s.quantileUpperBound(0.01), 1);
  EXPECT_EQ(s.quantileUpperBound(0.5), 1);  // exactly 50 of 100 are <= 1
  EXPECT_EQ(s.quantileUpperBound(0.51), 2);
  EXPECT_EQ(s.quantileUpperBound(0.9), 2);
  EXPECT_EQ(s.quantileUpperBound(0.95), 5);
  EXPECT_EQ(s.quantileUpperBound(0.99), 5);
  EXPECT_EQ(s.quantileUpperBound(1.0), kInf);  // the last observation is past every bound
}

TEST(HistogramTest, QuantileOfNothingIsNanAndOfNoBoundsIsInf) {
  const double bounds[] = {1};
  EXPECT_TRUE(std::isnan(Histogram(bounds).snapshot().quantileUpperBound(0.5)));
  Histogram unbounded{std::span<const double>()};
  unbounded.observe(0);
  EXPECT_EQ(unbounded.snapshot().quantileUpperBound(0.5), kInf);
  EXPECT_THAT(unbounded.snapshot().cumulativeCounts, ElementsAre(1));
}

TEST(HistogramTest, LogLinearSecondsAreOneToNineTimesEachDecadeThenOneHundred) {
  std::span<const double> bounds = Histogram::logLinearSeconds();
  ASSERT_EQ(bounds.size(), 7u * 9u + 1u);
  std::size_t i = 0;
  for (int k = -5; k <= 1; ++k) {
    for (int m = 1; m <= 9; ++m, ++i) {
      // Bitwise equal to the decimal literal, e.g. 3e-4 == 0.0003.
      EXPECT_EQ(bounds[i], std::strtod(fmt::format("{}e{}", m, k).c_str(), nullptr)) << i;
    }
  }
  EXPECT_EQ(bounds.back(), 100);
  EXPECT_EQ(bounds.front(), 1e-5);
  EXPECT_EQ(bounds[bounds.size() - 2], 90);
}

TEST(HistogramTest, LogLinearBytesAreOneToNineTimesTenToSeven) {
  std::span<const double> bounds = Histogram::logLinearBytes();
  std::vector<double> expected;
  for (double scale = 10; scale <= 1e7; scale *= 10) {
    for (int m = 1; m <= 9; ++m) expected.push_back(m * scale);
  }
  EXPECT_THAT(bounds, ElementsAreArray(expected));
  EXPECT_EQ(bounds.back(), 90'000'000);
}

TEST(HistogramTest, LeLabelsReadAsTheDecimalsTheyStandFor) {
  MetricsRegistry registry;
  registry.histogram("t_seconds", "");
  registry.histogram("s_bytes", "", {}, Histogram::logLinearBytes());
  const std::string text = registry.renderPrometheus();
  for (const char* le : {"1e-05", "3e-05", "0.0001", "0.0003", "0.003", "0.03", "0.3", "0.7", "3",
                         "90", "100", "+Inf", "10", "30", "90000000"}) {
    EXPECT_THAT(text, HasSubstr(fmt::format("le=\"{}\"}}", le)));
  }
  // No binary noise such as 0.30000000000000004 or 6.000000000000001e-05 in any bound.
  int count = 0;
  for (std::size_t at = text.find("le=\""); at != text.npos; at = text.find("le=\"", at + 1)) {
    const std::size_t start = at + 4;
    const std::string label = text.substr(start, text.find('"', start) - start);
    EXPECT_LE(label.size(), 8u) << label;
    ++count;
  }
  EXPECT_EQ(count, 64 + 1 + 63 + 1);
}

TEST(MetricsRegistryConcurrencyTest, ThreadsIncrementingOneCounterLoseNoIncrement) {
  MetricsRegistry registry;
  constexpr int kThreads = 4;
  constexpr int kIncrements = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry] {
      Counter& counter = registry.counter("shared_total", "", {{"k", "v"}});
      for (int i = 0; i < kIncrements; ++i) counter.inc();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(registry.counter("shared_total", "", {{"k", "v"}}).value(),
            std::uint64_t{kThreads} * kIncrements);
}

TEST(MetricsRegistryConcurrencyTest, ThreadsObservingOneHistogramKeepExactCountsAndSum) {
  MetricsRegistry registry;
  const double bounds[] = {1, 2};
  Histogram& histogram = registry.histogram("shared_seconds", "", {}, bounds);
  Gauge& gauge = registry.gauge("shared_gauge", "");
  constexpr int kThreads = 4;
  constexpr int kObservations = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kObservations; ++i) {
        histogram.observe(i % 2 == 0 ? 0.5 : 1.5);  // sums of halves stay exact in a double
        gauge.add(1);
      }
    });
  }
  // Scrapes while observing: _count must always equal the +Inf bucket.
  for (int i = 0; i < 20; ++i) {
    const Histogram::Snapshot s = histogram.snapshot();
    EXPECT_EQ(s.cumulativeCounts.back(), s.count);
  }
  for (auto& thread : threads) thread.join();
  const Histogram::Snapshot s = histogram.snapshot();
  const std::uint64_t total = std::uint64_t{kThreads} * kObservations;
  EXPECT_THAT(s.cumulativeCounts, ElementsAre(total / 2, total, total));
  EXPECT_EQ(s.sum, 0.5 * (total / 2) + 1.5 * (total / 2));
  EXPECT_EQ(gauge.value(), static_cast<double>(total));
}

TEST(MetricsRegistryConcurrencyTest, ConcurrentRegistrationsOfASeriesReturnOneObject) {
  MetricsRegistry registry;
  constexpr int kThreads = 4;
  std::vector<Counter*> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry, &seen, t] {
      for (int i = 0; i < 200; ++i) {
        registry.counter(fmt::format("c{}_total", i), "", {{"t", "x"}}).inc();
        (void)registry.renderPrometheus().size();
      }
      seen[t] = &registry.counter("c0_total", "", {{"t", "x"}});
    });
  }
  for (auto& thread : threads) thread.join();
  for (Counter* counter : seen) EXPECT_EQ(counter, seen.front());
  EXPECT_EQ(seen.front()->value(), std::uint64_t{kThreads});
}

}  // namespace
}  // namespace bakery::observability
