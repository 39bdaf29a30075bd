#include "core/password.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <semaphore>
#include <utility>

#include <sodium.h>

namespace bakery::core {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";

bool sodiumReady() {
  // sodium_init() is idempotent and thread-safe; the static only saves the repeated call.
  static const bool ready = sodium_init() >= 0;
  return ready;
}

unsigned long long opsLimit(const PasswordCost& cost) { return cost.iterations; }
std::size_t memLimit(const PasswordCost& cost) {
  return static_cast<std::size_t>(cost.memoryKiB) * 1024;
}

// Bounds on the parameters of a hash this hasher will verify, whatever its own cost: a
// corrupt or forged string must not make one login allocate terabytes or run for hours.
constexpr std::uint64_t kMaxVerifyMemoryKiB = 1024 * 1024;  // 1 GiB
constexpr std::uint64_t kMaxVerifyWork = 4 * 1024 * 1024;   // memory KiB x iterations

// Reads the decimal number after `name` (e.g. "m=") at the front of `text` and advances.
bool readParameter(std::string_view& text, std::string_view name, std::uint64_t& value) {
  if (!text.starts_with(name)) return false;
  text.remove_prefix(name.size());
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

// True when `encoded` is an Argon2id PHC string whose cost is within this hasher's reach.
// libsodium reads it as a C string, so one with an embedded NUL, too long to be a hash, or
// of another algorithm (argon2i, scrypt) is refused before it gets there.
bool isVerifiable(std::string_view encoded, const PasswordCost& cost) {
  if (!encoded.starts_with(kArgon2idPrefix) || encoded.size() >= crypto_pwhash_STRBYTES ||
      encoded.find('\0') != std::string_view::npos) {
    return false;
  }
  std::string_view rest = encoded.substr(kArgon2idPrefix.size());
  std::uint64_t version = 0;
  std::uint64_t memoryKiB = 0;
  std::uint64_t iterations = 0;
  if (!readParameter(rest, "v=", version) || !readParameter(rest, "$m=", memoryKiB) ||
      !readParameter(rest, ",t=", iterations)) {
    return false;
  }
  const std::uint64_t ownWork = std::uint64_t{cost.memoryKiB} * cost.iterations;
  return memoryKiB <= std::max<std::uint64_t>(kMaxVerifyMemoryKiB, cost.memoryKiB) &&
         iterations <= std::max(kMaxVerifyWork, ownWork) / std::max<std::uint64_t>(memoryKiB, 1);
}

}  // namespace

struct PasswordHasher::Gate {
  explicit Gate(std::uint32_t n) : slots(std::max<std::ptrdiff_t>(1, n)) {}
  std::counting_semaphore<> slots;
};

namespace {

// Holds one of the gate's slots for the length of one Argon2id computation.
class GateTicket {
 public:
  explicit GateTicket(std::counting_semaphore<>& slots) : slots_(slots) { slots_.acquire(); }
  ~GateTicket() { slots_.release(); }
  GateTicket(const GateTicket&) = delete;
  GateTicket& operator=(const GateTicket&) = delete;

 private:
  std::counting_semaphore<>& slots_;
};

}  // namespace

PasswordHasher::PasswordHasher(PasswordCost cost)
    : cost_(cost), gate_(std::make_shared<Gate>(cost.maxConcurrent)) {
  std::array<char, 32> password{};
  if (sodiumReady()) randombytes_buf(password.data(), password.size());
  auto decoy = hash(std::string_view(password.data(), password.size()));
  sodium_memzero(password.data(), password.size());
  // A cost libsodium refuses leaves the decoy empty; hash() then reports the error.
  if (decoy.ok()) decoy_ = std::move(*decoy);
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  if (!sodiumReady()) return Error::internal();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  GateTicket ticket(gate_->slots);
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), opsLimit(cost_),
                            memLimit(cost_), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error::internal("Argon2id hashing failed: out of memory or a cost outside its limits");
  }
  return std::string(out.data());
}

bool PasswordHasher::verify(std::string_view encoded, std::string_view password) const {
  if (!sodiumReady() || !isVerifiable(encoded, cost_)) return false;
  std::string terminated(encoded);
  GateTicket ticket(gate_->slots);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHasher::needsRehash(std::string_view encoded) const {
  if (!sodiumReady() || !isVerifiable(encoded, cost_)) return true;
  std::string terminated(encoded);
  // 0: made with exactly these parameters; 1: other parameters; -1: not a valid hash.
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), opsLimit(cost_), memLimit(cost_)) != 0;
}

}  // namespace bakery::core
