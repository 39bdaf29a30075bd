#include "core/ids.h"

#include <array>
#include <cstdint>
#include <random>

#include <sys/random.h>

namespace bakery::core {
namespace {

// xoshiro-class quality is plenty for identifiers; std::mt19937_64 seeded from getrandom()
// per thread keeps ids unpredictable across processes without a lock.
std::mt19937_64& threadEngine() {
  thread_local std::mt19937_64 engine = [] {
    std::array<std::uint64_t, 4> seed{};
    if (getrandom(seed.data(), sizeof(seed), 0) != static_cast<ssize_t>(sizeof(seed))) {
      std::random_device rd;
      for (auto& s : seed) s = (std::uint64_t{rd()} << 32) ^ rd();
    }
    std::seed_seq seq{seed[0], seed[1], seed[2], seed[3]};
    return std::mt19937_64(seq);
  }();
  return engine;
}

constexpr char kHex[] = "0123456789abcdef";

void appendHex(std::string& out, std::uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(v >> (i * 4)) & 0xF]);
}

std::uint64_t nonZero() {
  std::uint64_t v;
  do {
    v = threadEngine()();
  } while (v == 0);
  return v;
}

}  // namespace

std::string RandomIdGenerator::uuid() {
  auto& e = threadEngine();
  std::uint64_t hi = e();
  std::uint64_t lo = e();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  appendHex(out, hi >> 32, 8);
  out.push_back('-');
  appendHex(out, (hi >> 16) & 0xFFFF, 4);
  out.push_back('-');
  appendHex(out, hi & 0xFFFF, 4);
  out.push_back('-');
  appendHex(out, lo >> 48, 4);
  out.push_back('-');
  appendHex(out, lo & 0xFFFFFFFFFFFFULL, 12);
  return out;
}

std::string RandomIdGenerator::traceId() {
  std::string out;
  out.reserve(32);
  appendHex(out, nonZero(), 16);
  appendHex(out, threadEngine()(), 16);
  return out;
}

std::string RandomIdGenerator::spanId() {
  std::string out;
  out.reserve(16);
  appendHex(out, nonZero(), 16);
  return out;
}

}  // namespace bakery::core
