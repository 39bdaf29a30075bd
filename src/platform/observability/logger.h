// Logger: one JSON object per line, written off the caller's thread.
//
// Each line starts with `time` (RFC 3339, microseconds, UTC) and `level`, followed by the
// caller's fields in order. Before a line is written, every field whose name looks like a
// secret (authorization, cookie, set-cookie, x-api-key, and any name containing password,
// passwd, secret, token, apikey, api_key, credential or private_key; case-insensitive, at any
// depth) has its value replaced by "[REDACTED]".
//
// `time` and `level` (and `msg`, when a message is given) belong to the logger: a caller's field
// with one of those names is dropped rather than allowed to forge them.
//
// Thread-safety: log() may be called from any thread. Lines are handed to a LogSink by one
// background thread in batches; when the buffer is full (a slow consumer), log() waits:
// lines are never dropped. flush() returns once every line logged before it was written.
// A line longer than the whole buffer is accepted once the buffer has drained.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <bakery/context.h>

#include "core/clock.h"
#include "core/json.h"

namespace bakery::observability {

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Writes whole lines (each ends with '\n'); called from the logger's thread only. A sink has
  // nowhere to report failure: an exception it throws loses that batch, nothing more.
  virtual void write(std::string_view lines) = 0;
};

// Writes to a file descriptor (stdout by default), retrying on EINTR and short writes (and
// waiting when a non-blocking fd is full). Other errors (EPIPE, EBADF) drop the batch.
class FdLogSink final : public LogSink {
 public:
  explicit FdLogSink(int fd = 1) : fd_(fd) {}
  void write(std::string_view lines) override;

 private:
  int fd_;
};

// Replaces the values of secret-looking fields with "[REDACTED]", recursively.
void redactSecrets(json::object& fields);
bool isSecretFieldName(std::string_view name);
// "debug" | "info" | "warn" | "error"
std::optional<LogLevel> parseLogLevel(std::string_view text);
std::string_view logLevelName(LogLevel level);

class Logger {
 public:
  Logger(LogLevel minLevel, std::unique_ptr<LogSink> sink, const core::Clock& clock,
         std::size_t bufferBytes = 8 << 20);
  ~Logger();  // flushes
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool enabled(LogLevel level) const { return level >= minLevel_; }
  // Writes {time, level, ...fields} (redacted) when `level` is enabled.
  void log(LogLevel level, json::object fields);
  void log(LogLevel level, std::string_view message, json::object fields = {});
  void flush();

 private:
  struct Writer;
  LogLevel minLevel_;
  const core::Clock& clock_;
  std::unique_ptr<Writer> writer_;
};

}  // namespace bakery::observability
