#include "platform/gateway/trace_header.h"

#include <string>

#include <gtest/gtest.h>

#include "core/ids.h"

namespace bakery::gateway {
namespace {

constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParent = "00f067aa0ba902b7";
const std::string kValid = "00-" + std::string(kTrace) + "-" + std::string(kParent) + "-01";

// Predictable ids: trace ids t...1, t...2; span ids s...1, s...2.
class CountingIds final : public core::IdGenerator {
 public:
  std::string uuid() override { return "uuid-" + std::to_string(++uuids_); }
  std::string traceId() override {
    std::string n = std::to_string(++traces_);
    return std::string(32 - n.size(), 'a') + n;
  }
  std::string spanId() override {
    std::string n = std::to_string(++spans_);
    return std::string(16 - n.size(), 'b') + n;
  }

 private:
  int uuids_ = 0, traces_ = 0, spans_ = 0;
};

TEST(ParseTraceparentTest, ReadsAValidVersion00Header) {
  auto p = parseTraceparent(kValid);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->traceId, kTrace);
  EXPECT_EQ(p->parentId, kParent);
  EXPECT_TRUE(p->sampled);
}

TEST(ParseTraceparentTest, SampledIsTheLowestFlagBit) {
  auto flags = [](std::string f) {
    auto p = parseTraceparent("00-" + std::string(kTrace) + "-" + std::string(kParent) + "-" + f);
    EXPECT_TRUE(p.has_value()) << f;
    return p && p->sampled;
  };
  EXPECT_FALSE(flags("00"));
  EXPECT_TRUE(flags("01"));
  EXPECT_FALSE(flags("02"));
  EXPECT_TRUE(flags("03"));
  EXPECT_TRUE(flags("ff"));
}

TEST(ParseTraceparentTest, HigherVersionsAreReadByTheirFirstFourFields) {
  std::string base = std::string(kTrace) + "-" + std::string(kParent) + "-01";
  EXPECT_TRUE(parseTraceparent("01-" + base).has_value());
  auto extended = parseTraceparent("cc-" + base + "-what-the-future-brings");
  ASSERT_TRUE(extended.has_value());
  EXPECT_EQ(extended->traceId, kTrace);
  EXPECT_FALSE(parseTraceparent("cc-" + base + "x").has_value());
}

TEST(ParseTraceparentTest, RejectsMalformedHeaders) {
  std::string t(kTrace), p(kParent);
  for (std::string bad : {
           std::string(),
           "00-" + std::string(32, '0') + "-" + p + "-01",      // all-zero trace id
           "00-" + t + "-" + std::string(16, '0') + "-01",      // all-zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + p + "-01",  // upper-case hex
           "00-" + t + "-00F067AA0BA902B7-01",
           "00-" + t + "-" + p + "-0A",
           "00-" + t.substr(1) + "-" + p + "-01",  // short trace id
           "00-" + t + "0-" + p + "-01",           // long trace id
           "00-" + t + "-" + p.substr(1) + "-01",  // short parent id
           "00-" + t + "-" + p + "-1",             // short flags
           "00-" + t + "-" + p + "-01-extra",      // version 00 has exactly four fields
           "00-" + t + "-" + p + "-01 ",
           "ff-" + t + "-" + p + "-01",  // version ff is invalid
           "0g-" + t + "-" + p + "-01",
           "00_" + t + "_" + p + "_01",
           "00-" + t.substr(0, 31) + "g-" + p + "-01",
           "00-" + t + "-" + p + "-0g",
       }) {
    EXPECT_FALSE(parseTraceparent(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ContinueOrStartTraceTest, ValidHeaderContinuesTheTraceWithANewSpan) {
  CountingIds ids;
  TraceContext t = continueOrStartTrace(kValid, ids);
  EXPECT_EQ(t.traceId, kTrace);
  EXPECT_EQ(t.parentSpanId, kParent);
  EXPECT_EQ(t.spanId, "bbbbbbbbbbbbbbb1");
  EXPECT_NE(t.spanId, kParent);
  EXPECT_TRUE(t.sampled);
}

TEST(ContinueOrStartTraceTest, UnsampledHeaderStaysUnsampled) {
  CountingIds ids;
  std::string header = kValid.substr(0, 53) + "00";
  EXPECT_FALSE(continueOrStartTrace(header, ids).sampled);
}

TEST(ContinueOrStartTraceTest, MissingHeaderStartsASampledTrace) {
  CountingIds ids;
  TraceContext t = continueOrStartTrace(std::nullopt, ids);
  EXPECT_EQ(t.traceId, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1");
  EXPECT_EQ(t.spanId, "bbbbbbbbbbbbbbb1");
  EXPECT_TRUE(t.parentSpanId.empty());
  EXPECT_TRUE(t.sampled);
}

TEST(ContinueOrStartTraceTest, InvalidHeadersStartANewTrace) {
  std::string t(kTrace), p(kParent);
  for (std::string bad :
       {"00-" + std::string(32, '0') + "-" + p + "-01",
        "00-" + t + "-" + std::string(16, '0') + "-01",
        "00-" + std::string("4BF92F3577B34DA6A3CE929D0E0E4736") + "-" + p + "-01",
        "00-" + t + "-" + p, "ff-" + t + "-" + p + "-01", std::string("garbage")}) {
    CountingIds ids;
    TraceContext ctx = continueOrStartTrace(bad, ids);
    EXPECT_EQ(ctx.traceId, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1") << bad;
    EXPECT_TRUE(ctx.parentSpanId.empty()) << bad;
    EXPECT_EQ(ctx.spanId, "bbbbbbbbbbbbbbb1") << bad;
    EXPECT_TRUE(ctx.sampled) << bad;
  }
}

TEST(ContinueOrStartTraceTest, ContinuedTraceRendersItsOwnSpanDownstream) {
  CountingIds ids;
  TraceContext t = continueOrStartTrace(kValid, ids);
  EXPECT_EQ(t.traceparent(), "00-" + std::string(kTrace) + "-bbbbbbbbbbbbbbb1-01");
  auto reparsed = parseTraceparent(t.traceparent());
  ASSERT_TRUE(reparsed.has_value());
  EXPECT_EQ(reparsed->traceId, kTrace);
}

TEST(ContinueOrStartTraceTest, RealIdsProduceAValidTraceparent) {
  core::RandomIdGenerator ids;
  TraceContext t = continueOrStartTrace(std::nullopt, ids);
  EXPECT_TRUE(parseTraceparent(t.traceparent()).has_value()) << t.traceparent();
}

TEST(IsValidRequestIdTest, AcceptsOneTo128SafeCharacters) {
  EXPECT_TRUE(isValidRequestId("a"));
  EXPECT_TRUE(isValidRequestId("c0a8e6c2-1f0b-4d9e-8f43-9b1d2a7e5c10"));
  EXPECT_TRUE(isValidRequestId("1-5759e988:bd862e3fe1be46a994272793_v1.0"));
  EXPECT_TRUE(isValidRequestId(std::string(128, 'x')));
}

TEST(IsValidRequestIdTest, RejectsEmptyOverlongOrUnsafeIds) {
  EXPECT_FALSE(isValidRequestId(""));
  EXPECT_FALSE(isValidRequestId(std::string(129, 'x')));
  for (std::string bad : std::initializer_list<std::string>{
           "a b", "a/b", "a\nb", "a\r", "a;b", "a,b", "a\"b", "<script>", "caf\xc3\xa9",
           std::string("a\0b", 3), "a=b", "a+b"}) {
    EXPECT_FALSE(isValidRequestId(bad)) << bad;
  }
}

}  // namespace
}  // namespace bakery::gateway
