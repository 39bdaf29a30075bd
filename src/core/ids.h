// IdGenerator: request ids and W3C trace/span ids. The seam lets tests make ids predictable.
// RandomIdGenerator is thread-safe and lock-free: each thread draws from its own generator,
// seeded from the operating system's entropy source.
#pragma once

#include <string>

namespace bakery::core {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A random UUID (version 4), lower-case: `c0a8e6c2-1f0b-4d9e-8f43-9b1d2a7e5c10`.
  virtual std::string uuid() = 0;
  // 32 lower-case hex digits, never all zero (W3C trace-id).
  virtual std::string traceId() = 0;
  // 16 lower-case hex digits, never all zero (W3C parent-id / span id).
  virtual std::string spanId() = 0;
};

class RandomIdGenerator final : public IdGenerator {
 public:
  std::string uuid() override;
  std::string traceId() override;
  std::string spanId() override;
};

}  // namespace bakery::core
