#include "platform/observability/logger.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <thread>

#include <poll.h>
#include <unistd.h>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "core/time_format.h"

namespace bakery::observability {
namespace {

constexpr std::string_view kRedacted = "[REDACTED]";
constexpr std::string_view kSecretNames[] = {"authorization", "cookie", "set-cookie", "x-api-key"};
constexpr std::string_view kSecretParts[] = {"password", "passwd",  "secret",     "token",
                                             "apikey",   "api_key", "credential", "private_key"};

void redactValue(json::value& v) {
  if (json::object* object = v.if_object()) {
    redactSecrets(*object);
  } else if (json::array* array = v.if_array()) {
    for (json::value& element : *array) redactValue(element);
  }
}

}  // namespace

void FdLogSink::write(std::string_view lines) {
  while (!lines.empty()) {
    const ssize_t n = ::write(fd_, lines.data(), lines.size());
    if (n > 0) {
      lines.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else {
      return;
    }
  }
}

bool isSecretFieldName(std::string_view name) {
  // Field names are short: lower-case them on the stack (this runs for every logged field).
  char stack[64];
  std::string heap;
  char* buffer = stack;
  if (name.size() > sizeof(stack)) {
    heap.resize(name.size());
    buffer = heap.data();
  }
  std::transform(name.begin(), name.end(), buffer, [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  std::string_view lower(buffer, name.size());
  return std::ranges::find(kSecretNames, lower) != std::end(kSecretNames) ||
         std::ranges::any_of(kSecretParts,
                             [&](std::string_view part) { return lower.find(part) != lower.npos; });
}

void redactSecrets(json::object& fields) {
  for (auto& field : fields) {
    if (isSecretFieldName(field.key())) {
      field.value() = kRedacted;
    } else {
      redactValue(field.value());
    }
  }
}

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == logLevelName(level)) return level;
  }
  return std::nullopt;
}

std::string_view logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

// Producers append whole lines to `buffer_`; the thread swaps the buffer out and writes it
// without the lock, so loggers wait only while a full buffer is being taken, not written.
struct Logger::Writer {
 public:
  Writer(std::unique_ptr<LogSink> sink, std::size_t capacity)
      : sink_(std::move(sink)), capacity_(capacity), thread_([this] { run(); }) {}

  ~Writer() {
    {
      core::MutexLock lock(mu_);
      stopping_ = true;
      hasWork_.notify_one();
    }
    thread_.join();  // run() returns only once the buffer is empty and written
  }

  void append(std::string line) {
    core::MutexLock lock(mu_);
    // An empty buffer takes any line, so a line longer than the capacity cannot wait forever.
    while (!buffer_.empty() && buffer_.size() + line.size() > capacity_) {
      progress_.wait(lock.native());
    }
    bool wasEmpty = buffer_.empty();
    buffer_ += line;
    ++appended_;
    // The thread needs waking for the first line (it then lingers to gather more) and when
    // the buffer is half full; in between, lines are appended without any wake-up.
    if (wasEmpty ||
        (buffer_.size() >= capacity_ / 2 && buffer_.size() - line.size() < capacity_ / 2)) {
      hasWork_.notify_one();
    }
  }

  void flush() {
    core::MutexLock lock(mu_);
    const std::uint64_t target = appended_;
    flushWanted_ = true;
    hasWork_.notify_one();
    while (written_ < target) progress_.wait(lock.native());
  }

 private:
  void run() {
    std::string batch;
    for (;;) {
      std::uint64_t batchEnd = 0;
      {
        core::MutexLock lock(mu_);
        while (buffer_.empty() && !stopping_) hasWork_.wait(lock.native());
        if (buffer_.empty()) return;
        // Linger briefly so a busy server writes many lines per syscall and per wake-up.
        hasWork_.wait_for(lock.native(), kLinger, [this]() NO_THREAD_SAFETY_ANALYSIS {
          return stopping_ || flushWanted_ || buffer_.size() >= capacity_ / 2;
        });
        flushWanted_ = false;
        batch.swap(buffer_);  // `buffer_` keeps the old batch's capacity for reuse
        batchEnd = appended_;
        progress_.notify_all();  // room for waiting loggers
      }
      try {
        sink_->write(batch);
      } catch (...) {
        // Nowhere to report a failing sink; keep serving later lines.
      }
      batch.clear();
      {
        core::MutexLock lock(mu_);
        written_ = batchEnd;
        progress_.notify_all();  // wake flush()
      }
    }
  }

  const std::unique_ptr<LogSink> sink_;
  const std::size_t capacity_;
  core::Mutex mu_;
  std::condition_variable hasWork_;   // the thread waits: lines pending or stopping
  std::condition_variable progress_;  // loggers wait for room, flush() for written lines
  std::string buffer_ GUARDED_BY(mu_);
  std::uint64_t appended_ GUARDED_BY(mu_) = 0;  // lines ever appended
  std::uint64_t written_ GUARDED_BY(mu_) = 0;   // of those, lines the sink has returned from
  bool stopping_ GUARDED_BY(mu_) = false;
  bool flushWanted_ GUARDED_BY(mu_) = false;
  static constexpr std::chrono::milliseconds kLinger{2};
  std::thread thread_;  // last: starts once the state above exists
};

Logger::Logger(LogLevel minLevel, std::unique_ptr<LogSink> sink, const core::Clock& clock,
               std::size_t bufferBytes)
    : minLevel_(minLevel),
      clock_(clock),
      writer_(std::make_unique<Writer>(std::move(sink), bufferBytes)) {}

Logger::~Logger() = default;

void Logger::log(LogLevel level, json::object fields) {
  if (!enabled(level)) return;
  redactSecrets(fields);
  // Written straight into the line: no second object, one allocation for a typical line.
  std::string text;
  text.reserve(320);
  text += R"({"time":")";
  core::appendRfc3339Micro(text, clock_.wallNow());
  text += R"(","level":")";
  text += logLevelName(level);
  text += '"';
  for (const auto& field : fields) {
    // Caller fields cannot override the logger's own.
    if (field.key() == "time" || field.key() == "level") continue;
    text += ',';
    core::appendJsonString(text, field.key());
    text += ':';
    core::appendJson(text, field.value());
  }
  text += "}\n";
  writer_->append(std::move(text));
}

void Logger::log(LogLevel level, std::string_view message, json::object fields) {
  if (!enabled(level)) return;
  json::object withMessage;
  withMessage.reserve(fields.size() + 1);
  withMessage.emplace("msg", message);
  for (auto& field : fields) withMessage.emplace(field.key(), std::move(field.value()));
  log(level, std::move(withMessage));
}

void Logger::flush() { writer_->flush(); }

}  // namespace bakery::observability
