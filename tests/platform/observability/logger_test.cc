#include "platform/observability/logger.h"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace bakery::observability {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// What a CapturingSink saw; shared with the test because the logger owns the sink.
class Captured {
 public:
  void add(std::string_view batch) {
    core::MutexLock lock(mu_);
    batches_.emplace_back(batch);
    text_ += batch;
  }
  std::string text() {
    core::MutexLock lock(mu_);
    return text_;
  }
  std::vector<std::string> batches() {
    core::MutexLock lock(mu_);
    return batches_;
  }
  std::vector<std::string> lines() {
    std::vector<std::string> lines;
    const std::string all = text();
    for (std::size_t start = 0, end; (end = all.find('\n', start)) != all.npos; start = end + 1) {
      lines.push_back(all.substr(start, end - start));
    }
    return lines;
  }

 private:
  core::Mutex mu_;
  std::vector<std::string> batches_ GUARDED_BY(mu_);
  std::string text_ GUARDED_BY(mu_);
};

class CapturingSink final : public LogSink {
 public:
  explicit CapturingSink(std::shared_ptr<Captured> captured, std::chrono::microseconds delay = 0us)
      : captured_(std::move(captured)), delay_(delay) {}

  void write(std::string_view lines) override {
    // A slow consumer: the delay models a blocked pipe, not a passage of time the test checks.
    if (delay_ > 0us) std::this_thread::sleep_for(delay_);
    captured_->add(lines);
  }

 private:
  std::shared_ptr<Captured> captured_;
  std::chrono::microseconds delay_;
};

json::object parseLine(const std::string& line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  EXPECT_FALSE(ec) << line;
  EXPECT_TRUE(v.is_object()) << line;
  return v.is_object() ? v.as_object() : json::object();
}

class LoggerTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogSink> sink(std::chrono::microseconds delay = 0us) {
    return std::make_unique<CapturingSink>(captured_, delay);
  }

  core::ManualClock clock_;  // starts at 2023-11-14T22:13:20Z
  std::shared_ptr<Captured> captured_ = std::make_shared<Captured>();
};

TEST_F(LoggerTest, WritesTimeLevelMessageThenFieldsInCallerOrder) {
  clock_.advance(123456us);
  Logger logger(LogLevel::kDebug, sink(), clock_);
  logger.log(LogLevel::kInfo, "hello",
             {{"zeta", 1}, {"alpha", "x"}, {"mid", {{"b", 2}, {"a", 1}}}});
  logger.flush();
  EXPECT_EQ(captured_->text(),
            "{\"time\":\"2023-11-14T22:13:20.123456Z\",\"level\":\"info\",\"msg\":\"hello\","
            "\"zeta\":1,\"alpha\":\"x\",\"mid\":{\"b\":2,\"a\":1}}\n");
}

TEST_F(LoggerTest, WritesFieldsWithoutAMessage) {
  Logger logger(LogLevel::kDebug, sink(), clock_);
  logger.log(LogLevel::kWarn, json::object{{"event", "cold_start"}, {"ms", 12.5}});
  logger.log(LogLevel::kError, json::object{});
  logger.flush();
  EXPECT_EQ(captured_->text(),
            "{\"time\":\"2023-11-14T22:13:20.000000Z\",\"level\":\"warn\",\"event\":\"cold_start\","
            "\"ms\":12.5}\n"
            "{\"time\":\"2023-11-14T22:13:20.000000Z\",\"level\":\"error\"}\n");
}

TEST_F(LoggerTest, TimestampIsTheInjectedClockWithMicroseconds) {
  Logger logger(LogLevel::kDebug, sink(), clock_);
  clock_.advance(1us);
  logger.log(LogLevel::kInfo, "a");
  clock_.advance(999'999us);
  logger.log(LogLevel::kInfo, "b");
  clock_.advance(std::chrono::hours(24) + 1ms + 500ns);
  logger.log(LogLevel::kInfo, "c");
  logger.flush();
  const auto lines = captured_->lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(parseLine(lines[0]).at("time"), "2023-11-14T22:13:20.000001Z");
  EXPECT_EQ(parseLine(lines[1]).at("time"), "2023-11-14T22:13:21.000000Z");
  EXPECT_EQ(parseLine(lines[2]).at("time"), "2023-11-15T22:13:21.001000Z");
}

TEST_F(LoggerTest, DropsLevelsBelowTheMinimum) {
  Logger logger(LogLevel::kWarn, sink(), clock_);
  EXPECT_FALSE(logger.enabled(LogLevel::kDebug));
  EXPECT_FALSE(logger.enabled(LogLevel::kInfo));
  EXPECT_TRUE(logger.enabled(LogLevel::kWarn));
  EXPECT_TRUE(logger.enabled(LogLevel::kError));
  logger.log(LogLevel::kDebug, "d");
  logger.log(LogLevel::kInfo, json::object{{"i", 1}});
  logger.log(LogLevel::kWarn, "w");
  logger.log(LogLevel::kError, "e");
  logger.flush();
  const auto lines = captured_->lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(parseLine(lines[0]).at("level"), "warn");
  EXPECT_EQ(parseLine(lines[1]).at("level"), "error");
}

TEST_F(LoggerTest, CallerFieldsCannotOverrideTimeLevelOrMessage) {
  Logger logger(LogLevel::kDebug, sink(), clock_);
  logger.log(LogLevel::kInfo, "real",
             {{"time", "1999-01-01T00:00:00Z"}, {"level", "error"}, {"msg", "fake"}, {"k", 1}});
  logger.flush();
  EXPECT_EQ(captured_->text(),
            "{\"time\":\"2023-11-14T22:13:20.000000Z\",\"level\":\"info\",\"msg\":\"real\","
            "\"k\":1}\n");
}

TEST_F(LoggerTest, LinesAreRedactedBeforeTheyAreWritten) {
  Logger logger(LogLevel::kDebug, sink(), clock_);
  logger.log(LogLevel::kInfo, "login",
             {{"user", "ann"}, {"userPassword", "hunter2"}, {"headers", {{"Cookie", "sid=1"}}}});
  logger.flush();
  const std::string text = captured_->text();
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
  EXPECT_THAT(text, Not(HasSubstr("sid=1")));
  EXPECT_THAT(text, HasSubstr("\"user\":\"ann\",\"userPassword\":\"[REDACTED]\","
                              "\"headers\":{\"Cookie\":\"[REDACTED]\"}}\n"));
}

TEST_F(LoggerTest, EachLineIsOneLineEvenWithNewlinesInValues) {
  Logger logger(LogLevel::kDebug, sink(), clock_);
  logger.log(LogLevel::kInfo, "two\nlines", {{"v", "a\r\nb"}});
  logger.flush();
  const auto lines = captured_->lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(parseLine(lines[0]).at("msg"), "two\nlines");
}

TEST_F(LoggerTest, FlushReturnsOnlyAfterEarlierLinesReachedTheSink) {
  Logger logger(LogLevel::kDebug, sink(2ms), clock_);
  for (int i = 0; i < 20; ++i) {
    logger.log(LogLevel::kInfo, "line", {{"i", i}});
    if (i % 5 == 0) {
      logger.flush();
      EXPECT_EQ(captured_->lines().size(), static_cast<std::size_t>(i + 1));
    }
  }
  logger.flush();
  EXPECT_EQ(captured_->lines().size(), 20u);
}

TEST_F(LoggerTest, FlushWithNothingLoggedReturns) {
  Logger logger(LogLevel::kDebug, sink(), clock_);
  logger.flush();
  logger.flush();
  EXPECT_EQ(captured_->text(), "");
}

TEST_F(LoggerTest, DestructorWritesEveryPendingLine) {
  {
    Logger logger(LogLevel::kDebug, sink(1ms), clock_);
    for (int i = 0; i < 50; ++i) logger.log(LogLevel::kInfo, "pending", {{"i", i}});
  }
  const auto lines = captured_->lines();
  ASSERT_EQ(lines.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(parseLine(lines[i]).at("i"), i);
}

TEST_F(LoggerTest, ManyThreadsLoggingLoseNoLineAndEveryLineIsJson) {
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 500;
  Logger logger(LogLevel::kDebug, sink(), clock_, 4096);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < kLinesPerThread; ++i) {
        logger.log(LogLevel::kInfo, "concurrent", {{"thread", t}, {"seq", i}, {"pad", "\"\\\n"}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  logger.flush();

  const auto lines = captured_->lines();
  ASSERT_EQ(lines.size(), std::size_t{kThreads} * kLinesPerThread);
  std::vector<int> next(kThreads, 0);  // each thread's lines arrive in its order
  for (const std::string& line : lines) {
    const json::object fields = parseLine(line);
    ASSERT_EQ(fields.size(), 6u) << line;
    const auto t = fields.at("thread").as_int64();
    ASSERT_TRUE(t >= 0 && t < kThreads) << line;
    EXPECT_EQ(fields.at("seq").as_int64(), next[t]++) << line;
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kLinesPerThread);
}

TEST_F(LoggerTest, TinyBufferAndSlowSinkMakeLoggersWaitNotDrop) {
  constexpr std::size_t kBufferBytes = 256;
  constexpr int kThreads = 4;
  constexpr int kLinesPerThread = 150;
  Logger logger(LogLevel::kDebug, sink(100us), clock_, kBufferBytes);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < kLinesPerThread; ++i) {
        logger.log(LogLevel::kInfo, "backpressure", {{"thread", t}, {"seq", i}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  logger.flush();

  // The buffer never held more than its capacity: no batch is larger.
  const auto batches = captured_->batches();
  for (const std::string& batch : batches) EXPECT_LE(batch.size(), kBufferBytes);
  EXPECT_GT(batches.size(), 1u);
  const auto lines = captured_->lines();
  ASSERT_EQ(lines.size(), std::size_t{kThreads} * kLinesPerThread);
  std::vector<int> next(kThreads, 0);
  for (const std::string& line : lines) {
    const json::object fields = parseLine(line);
    EXPECT_EQ(fields.at("seq").as_int64(), next[fields.at("thread").as_int64()]++);
  }
}

TEST_F(LoggerTest, LineLongerThanTheBufferIsWrittenWhole) {
  Logger logger(LogLevel::kDebug, sink(), clock_, 16);
  const std::string big(10'000, 'x');
  logger.log(LogLevel::kInfo, "small");
  logger.log(LogLevel::kInfo, big);
  logger.log(LogLevel::kInfo, "after");
  logger.flush();
  const auto lines = captured_->lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(parseLine(lines[1]).at("msg").as_string(), big);
  EXPECT_EQ(parseLine(lines[2]).at("msg"), "after");
}

class ThrowingOnceSink final : public LogSink {
 public:
  explicit ThrowingOnceSink(std::shared_ptr<Captured> captured) : captured_(std::move(captured)) {}
  void write(std::string_view lines) override {
    if (!thrown_) {
      thrown_ = true;
      throw std::runtime_error("disk full");
    }
    captured_->add(lines);
  }

 private:
  std::shared_ptr<Captured> captured_;
  bool thrown_ = false;  // touched by the logger's thread only
};

TEST_F(LoggerTest, ThrowingSinkLosesOnlyItsBatch) {
  Logger logger(LogLevel::kDebug, std::make_unique<ThrowingOnceSink>(captured_), clock_);
  logger.log(LogLevel::kInfo, "lost");
  logger.flush();
  logger.log(LogLevel::kInfo, "kept");
  logger.flush();
  const auto lines = captured_->lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(parseLine(lines[0]).at("msg"), "kept");
}

TEST(RedactionTest, SecretNamesMatchCaseInsensitively) {
  for (const char* name :
       {"authorization",      "Authorization", "COOKIE",       "Set-Cookie",     "x-api-key",
        "X-Api-Key",          "password",      "userPassword", "PASSWD",         "client_secret",
        "secretName",         "token",         "accessToken",  "refresh_token",  "apikey",
        "myApiKey",           "api_key",       "credential",   "AwsCredentials", "private_key",
        "ssh_PRIVATE_KEY_pem"}) {
    EXPECT_TRUE(isSecretFieldName(name)) << name;
  }
  for (const char* name : {"", "author", "cookies", "x-api-keys", "api-key", "creds", "user", "key",
                           "private", "pass", "message", "authorization_scheme"}) {
    EXPECT_FALSE(isSecretFieldName(name)) << name;
  }
}

TEST(RedactionTest, RedactsAtAnyDepthIncludingArraysOfObjectsAndLeavesTheRestAlone) {
  json::object fields = json::parse(R"({
    "user": "ann",
    "Authorization": "Bearer abc",
    "headers": {"COOKIE": "sid=1", "Accept": "*/*", "x-api-key": "k"},
    "creds": {"client_secret": "s", "client_id": "id", "deeper": {"userPassword": "p"}},
    "items": [{"token": "t", "n": 1}, "token", 7, [{"password": "p", "ok": true}]],
    "password": {"whole": "object"},
    "apiKey": ["a", "b"],
    "count": 3, "nothing": null, "list": ["password"]
  })")
                            .as_object();
  redactSecrets(fields);
  EXPECT_EQ(fields, json::parse(R"({
    "user": "ann",
    "Authorization": "[REDACTED]",
    "headers": {"COOKIE": "[REDACTED]", "Accept": "*/*", "x-api-key": "[REDACTED]"},
    "creds": {"client_secret": "[REDACTED]", "client_id": "id",
              "deeper": {"userPassword": "[REDACTED]"}},
    "items": [{"token": "[REDACTED]", "n": 1}, "token", 7,
              [{"password": "[REDACTED]", "ok": true}]],
    "password": "[REDACTED]",
    "apiKey": "[REDACTED]",
    "count": 3, "nothing": null, "list": ["password"]
  })")
                        .as_object());
  // Redaction keeps the fields' order.
  EXPECT_EQ(json::serialize(fields).substr(0, 40), R"({"user":"ann","Authorization":"[REDACTED)");
}

TEST(LogLevelTest, NamesRoundTripAndUnknownTextIsRejected) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    EXPECT_EQ(parseLogLevel(logLevelName(level)), level);
  }
  EXPECT_EQ(logLevelName(LogLevel::kWarn), "warn");
  EXPECT_EQ(parseLogLevel("error"), LogLevel::kError);
  for (const char* text : {"", "WARN", "warning", "trace", "info "}) {
    EXPECT_EQ(parseLogLevel(text), std::nullopt) << text;
  }
}

TEST(FdLogSinkTest, WritesEverythingThroughAPipeDespiteShortWrites) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  // 1 MB is far more than a pipe holds, so write(2) blocks and returns short counts.
  std::string payload;
  for (int i = 0; payload.size() < (1u << 20); ++i) payload += std::to_string(i) + "\n";
  std::string received;
  std::thread reader([&received, fd = fds[0]] {
    char buffer[8192];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
      received.append(buffer, static_cast<std::size_t>(n));
    }
  });
  {
    FdLogSink sink(fds[1]);
    sink.write(payload);
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);
}

TEST(FdLogSinkTest, WaitsOnAFullNonBlockingPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
  const std::string payload(512 * 1024, 'y');
  std::size_t received = 0;
  std::thread reader([&received, fd = fds[0]] {
    char buffer[8192];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
      received += static_cast<std::size_t>(n);
    }
  });
  FdLogSink(fds[1]).write(payload);
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_EQ(received, payload.size());
}

TEST(FdLogSinkTest, GivesUpOnAClosedDescriptorInsteadOfLooping) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  ::close(fds[1]);
  FdLogSink(fds[1]).write("lost\n");  // EBADF: returns
  SUCCEED();
}

}  // namespace
}  // namespace bakery::observability
