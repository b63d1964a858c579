#pragma once
// Decimal numbers kept as text, for deep zoom: a centre such as -1.7686...(1000 digits) or a zoom
// such as 1E1086 does not fit a double, so the text is validated here, stored and printed back
// verbatim, and converted to whatever precision the renderer needs later.
//
// Accepted form (after trimming leading/trailing whitespace):
//   [+-]? ( digits [ "." digits* ] | "." digits ) ( [eE] [+-]? digits )?
// i.e. "1", "-1.", "+.5", "1.00e014", "4.00000000000E533". Not accepted: empty text, "nan", "inf",
// hex ("0x1p3"), digit separators, internal spaces, a point or exponent without digits.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fractal/config/parse.hpp"  // quote_text

namespace fractal {

// The most digits a mantissa may have (integer and fraction digits together, leading and trailing
// zeros included): 100000 decimal digits is about 332000 bits, far beyond any zoom a render can reach.
inline constexpr std::size_t kMaxDecimalDigits = 100000;

// The largest |written exponent| ("e-2000000" is refused). Together with kMaxDecimalDigits this
// keeps every decimal_exponent10() well inside std::int64_t.
inline constexpr std::int64_t kMaxDecimalExponent = 1000000;

// Validates `text` as a decimal number (form above). `option` is the label the messages start with,
// as it is to be shown, e.g. "--center-re" or "--location 'a.kfr': Re". Returns the trimmed text
// exactly as given (no reformatting). Throws UsageError with one line:
//   "--center-re must be a decimal number (digits, optional point and exponent), got 'abc'"
//   "--center-re has 100001 digits; at most 100000 are supported"
//   "--view-width exponent 'e-2000000' is beyond +-1000000"
// Quoted text has control characters escaped (\xNN) and is cut after 200 characters, so a message
// stays one readable line.
std::string check_decimal(const std::string& option, const std::string& text);

// Of a decimal accepted by check_decimal (surrounding whitespace is tolerated): whether its value is
// zero ("-0", "0.000e5" and ".0" are zero), and whether it is < 0 ("-0" is zero, not negative).
// Both throw std::invalid_argument for text that check_decimal would refuse.
bool decimal_is_zero(const std::string& text);
bool decimal_is_negative(const std::string& text);

// floor(log10(|x|)) of an accepted, nonzero decimal, from the text alone (exact, no rounding):
// "0.00123e5" -> 2, "-1.76" -> 0, "1E1086" -> 1086, "4.00000000000E533" -> 533, "0.5" -> -1.
// Throws std::invalid_argument for zero or for text that check_decimal would refuse.
std::int64_t decimal_exponent10(const std::string& text);

}  // namespace fractal
