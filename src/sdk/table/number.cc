#include <algorithm>
#include <cstddef>
#include <string>

#include <bakery/table/number.h>

namespace bakery::table {
namespace {

constexpr int kMaxDigits = 38;
constexpr int kMaxMagnitude = 125;   // most significant digit at 10^125 at most
constexpr int kMinMagnitude = -130;  // and at 10^-130 at least

// value = (negative ? -1 : 1) * digits * 10^exponent, digits without leading or trailing
// zeros; zero is the empty digit string.
struct Decimal {
  bool negative = false;
  std::string digits;
  int exponent = 0;

  bool isZero() const { return digits.empty(); }
  // Position of the most significant digit (10^position).
  int magnitude() const { return static_cast<int>(digits.size()) - 1 + exponent; }
};

void trim(Decimal& d) {
  std::size_t first = d.digits.find_first_not_of('0');
  if (first == std::string::npos) {
    d = Decimal{};
    return;
  }
  d.digits.erase(0, first);
  std::size_t last = d.digits.find_last_not_of('0');
  d.exponent += static_cast<int>(d.digits.size() - 1 - last);
  d.digits.erase(last + 1);
}

core::Error conversionError(std::string_view text) {
  if (text.empty()) {
    return core::Error::validation("The parameter cannot be converted to a numeric value");
  }
  return core::Error::validation("The parameter cannot be converted to a numeric value: " +
                                 std::string(text));
}

// -?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?
core::Result<Decimal> parse(std::string_view text) {
  Decimal d;
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    d.negative = true;
    ++i;
  }
  std::size_t intDigits = 0;
  std::size_t fracDigits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    d.digits.push_back(text[i++]);
    ++intDigits;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      d.digits.push_back(text[i++]);
      ++fracDigits;
    }
  }
  if (intDigits + fracDigits == 0) return conversionError(text);
  long long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negativeExponent = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negativeExponent = text[i++] == '-';
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      // Saturate: anything this large is out of range anyway.
      if (exponent < 1'000'000) exponent = exponent * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start) return conversionError(text);
    if (negativeExponent) exponent = -exponent;
  }
  if (i != text.size()) return conversionError(text);
  d.exponent = static_cast<int>(exponent - static_cast<long long>(fracDigits));
  trim(d);
  if (d.isZero()) return d;
  if (d.magnitude() > kMaxMagnitude) {
    return core::Error::validation(
        "Number overflow. Attempting to store a number with magnitude larger than supported "
        "range");
  }
  if (d.magnitude() < kMinMagnitude) {
    return core::Error::validation(
        "Number underflow. Attempting to store a number with magnitude smaller than supported "
        "range");
  }
  if (static_cast<int>(d.digits.size()) > kMaxDigits) {
    return core::Error::validation(
        "Attempting to store more than 38 significant digits in a Number");
  }
  return d;
}

std::string render(const Decimal& d) {
  if (d.isZero()) return "0";
  std::string out;
  if (d.negative) out.push_back('-');
  int size = static_cast<int>(d.digits.size());
  if (d.exponent >= 0) {
    out += d.digits;
    out.append(static_cast<std::size_t>(d.exponent), '0');
    return out;
  }
  int point = size + d.exponent;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += d.digits;
  } else {
    out.append(d.digits, 0, static_cast<std::size_t>(point));
    out.push_back('.');
    out.append(d.digits, static_cast<std::size_t>(point), std::string::npos);
  }
  return out;
}

// Digits of |d| scaled to exponent `exp` (exp <= d.exponent): d.digits followed by zeros.
std::string scaled(const Decimal& d, int exp) {
  std::string s = d.digits;
  s.append(static_cast<std::size_t>(d.exponent - exp), '0');
  return s;
}

int compareMagnitudeDigits(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Unsigned digit-string arithmetic on equal-exponent operands.
std::string addDigits(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
    int x = i < a.size() ? a[a.size() - 1 - i] - '0' : 0;
    int y = i < b.size() ? b[b.size() - 1 - i] - '0' : 0;
    int s = x + y + carry;
    out.push_back(static_cast<char>('0' + s % 10));
    carry = s / 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// a - b with a >= b.
std::string subtractDigits(const std::string& a, const std::string& b) {
  std::string out;
  int borrow = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    int x = a[a.size() - 1 - i] - '0' - borrow;
    int y = i < b.size() ? b[b.size() - 1 - i] - '0' : 0;
    borrow = x < y ? 1 : 0;
    out.push_back(static_cast<char>('0' + x + borrow * 10 - y));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

core::Result<std::string> sum(Decimal a, Decimal b) {
  if (a.isZero()) return render(b);
  if (b.isZero()) return render(a);
  int exp = std::min(a.exponent, b.exponent);
  std::string x = scaled(a, exp);
  std::string y = scaled(b, exp);
  Decimal r;
  r.exponent = exp;
  if (a.negative == b.negative) {
    r.digits = addDigits(x, y);
    r.negative = a.negative;
  } else {
    int c = compareMagnitudeDigits(x, y);
    if (c == 0) return std::string("0");
    r.digits = c > 0 ? subtractDigits(x, y) : subtractDigits(y, x);
    r.negative = c > 0 ? a.negative : b.negative;
  }
  trim(r);
  // Validate the exact result with the same limits as any stored number.
  return normalizeNumber(render(r));
}

Decimal parseCanonical(std::string_view canonical) {
  auto d = parse(canonical);
  return d ? std::move(d.value()) : Decimal{};
}

}  // namespace

core::Result<std::string> normalizeNumber(std::string_view text) {
  auto d = parse(text);
  if (!d) return d.error();
  return render(*d);
}

int compareNumbers(std::string_view a, std::string_view b) {
  Decimal x = parseCanonical(a);
  Decimal y = parseCanonical(b);
  int signX = x.isZero() ? 0 : (x.negative ? -1 : 1);
  int signY = y.isZero() ? 0 : (y.negative ? -1 : 1);
  if (signX != signY) return signX < signY ? -1 : 1;
  if (signX == 0) return 0;
  int magnitude = 0;
  if (x.magnitude() != y.magnitude()) {
    magnitude = x.magnitude() < y.magnitude() ? -1 : 1;
  } else {
    // Same leading position: compare digit strings left-aligned.
    std::size_t n = std::max(x.digits.size(), y.digits.size());
    for (std::size_t i = 0; i < n && magnitude == 0; ++i) {
      char cx = i < x.digits.size() ? x.digits[i] : '0';
      char cy = i < y.digits.size() ? y.digits[i] : '0';
      if (cx != cy) magnitude = cx < cy ? -1 : 1;
    }
  }
  return signX > 0 ? magnitude : -magnitude;
}

core::Result<std::string> addNumbers(std::string_view a, std::string_view b) {
  return sum(parseCanonical(a), parseCanonical(b));
}

core::Result<std::string> subtractNumbers(std::string_view a, std::string_view b) {
  Decimal y = parseCanonical(b);
  if (!y.isZero()) y.negative = !y.negative;
  return sum(parseCanonical(a), std::move(y));
}

}  // namespace bakery::table
