// DynamoDB numbers as exact decimals.
//
// A number travels as decimal text and is stored in canonical form: no exponent, no sign on
// zero, no leading zeros before the point, no trailing zeros after it ("1.50e2" -> "150",
// "-0.0" -> "0", "0.010" -> "0.01"). DynamoDB's limits hold: at most 38 significant digits,
// magnitude between 1E-130 and 9.9999999999999999999999999999999999999E+125. Arithmetic is
// exact; a result that needs more than 38 significant digits is an error, as in DynamoDB.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace bakery::table {

// The canonical text of `text`, or a ValidationException with DynamoDB's message.
core::Result<std::string> normalizeNumber(std::string_view text);
// -1, 0 or 1 as a < b, a == b, a > b; both must be canonical.
int compareNumbers(std::string_view a, std::string_view b);
// a + b and a - b (canonical operands); errors as normalizeNumber's.
core::Result<std::string> addNumbers(std::string_view a, std::string_view b);
core::Result<std::string> subtractNumbers(std::string_view a, std::string_view b);

}  // namespace bakery::table
