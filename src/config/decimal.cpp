#include "fractal/config/decimal.hpp"

#include <cstdio>
#include <stdexcept>

#include "fractal/error.hpp"

namespace fractal {

namespace {

constexpr std::size_t kQuoteChars = 200;  // how much of a refused value a message shows

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

enum class Status { kOk, kSyntax, kDigits, kExponent };

// The pieces of a decimal, as offsets into the text.
struct Parts {
  std::size_t begin = 0, end = 0;            // the trimmed text
  bool negative_sign = false;
  std::size_t int_begin = 0, int_end = 0;    // digits before the point
  std::size_t frac_begin = 0, frac_end = 0;  // digits after the point
  std::size_t exp_begin = 0;                 // the 'e' (== end when there is no exponent)
  std::size_t digits = 0;                    // mantissa digits
  std::int64_t exponent = 0;                 // the written exponent (valid when status is kOk)
};

Status split(const std::string& s, Parts& p) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  p.begin = b;
  p.end = e;
  std::size_t i = b;
  if (i < e && (s[i] == '+' || s[i] == '-')) p.negative_sign = s[i++] == '-';
  p.int_begin = i;
  while (i < e && is_digit(s[i])) ++i;
  p.int_end = p.frac_begin = p.frac_end = i;
  if (i < e && s[i] == '.') {
    p.frac_begin = ++i;
    while (i < e && is_digit(s[i])) ++i;
    p.frac_end = i;
  }
  p.digits = (p.int_end - p.int_begin) + (p.frac_end - p.frac_begin);
  if (p.digits == 0) return Status::kSyntax;
  p.exp_begin = i;
  bool exp_over = false;
  if (i < e && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < e && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    const std::size_t db = i;
    std::int64_t v = 0;
    for (; i < e && is_digit(s[i]); ++i) {  // saturating: any number of exponent digits is safe
      if (!exp_over) {
        v = v * 10 + (s[i] - '0');
        if (v > kMaxDecimalExponent) exp_over = true;
      }
    }
    if (i == db) return Status::kSyntax;
    p.exponent = neg ? -v : v;
  }
  if (i != e) return Status::kSyntax;
  if (p.digits > kMaxDecimalDigits) return Status::kDigits;
  if (exp_over) return Status::kExponent;
  return Status::kOk;
}

// Parts of text that check_decimal accepts; std::invalid_argument otherwise (a caller's bug).
Parts checked_parts(const std::string& s, const char* fn) {
  Parts p;
  if (split(s, p) != Status::kOk)
    throw std::invalid_argument(std::string(fn) + ": not a checked decimal: " + quote_text(s, kQuoteChars));
  return p;
}

// Index of the first nonzero mantissa digit, or npos.
std::size_t first_nonzero(const std::string& s, const Parts& p) {
  for (std::size_t i = p.int_begin; i < p.int_end; ++i)
    if (s[i] != '0') return i;
  for (std::size_t i = p.frac_begin; i < p.frac_end; ++i)
    if (s[i] != '0') return i;
  return std::string::npos;
}

}  // namespace

std::string check_decimal(const std::string& option, const std::string& text) {
  Parts p;
  switch (split(text, p)) {
    case Status::kOk:
      return text.substr(p.begin, p.end - p.begin);
    case Status::kSyntax:
      throw UsageError(option + " must be a decimal number (digits, optional point and exponent), got " +
                       quote_text(text, kQuoteChars));
    case Status::kDigits:
      throw UsageError(option + " has " + std::to_string(p.digits) + " digits; at most " +
                       std::to_string(kMaxDecimalDigits) + " are supported");
    case Status::kExponent:
      throw UsageError(option + " exponent " +
                       quote_text(text.substr(p.exp_begin, p.end - p.exp_begin), kQuoteChars) +
                       " is beyond +-" + std::to_string(kMaxDecimalExponent));
  }
  throw std::logic_error("check_decimal: unreachable");
}

bool decimal_is_zero(const std::string& text) {
  const Parts p = checked_parts(text, "decimal_is_zero");
  return first_nonzero(text, p) == std::string::npos;
}

bool decimal_is_negative(const std::string& text) {
  const Parts p = checked_parts(text, "decimal_is_negative");
  return p.negative_sign && first_nonzero(text, p) != std::string::npos;
}

std::int64_t decimal_exponent10(const std::string& text) {
  const Parts p = checked_parts(text, "decimal_exponent10");
  const std::size_t i = first_nonzero(text, p);
  if (i == std::string::npos)
    throw std::invalid_argument("decimal_exponent10: zero has no exponent: " + quote_text(text, kQuoteChars));
  // The leading digit's place value: 10^(digits after it before the point), or 10^-(its place after
  // the point). |result| <= kMaxDecimalDigits + kMaxDecimalExponent.
  const std::int64_t place = i < p.int_end ? static_cast<std::int64_t>(p.int_end - i - 1)
                                           : -static_cast<std::int64_t>(i - p.frac_begin + 1);
  return place + p.exponent;
}

}  // namespace fractal
