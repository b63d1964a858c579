#include "fractal/config/parse.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "fractal/error.hpp"

namespace fractal {

std::string shortest_text(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? p : buf);
}

std::string quote_text(const std::string& s, std::size_t max_chars) {
  std::string out = "'";
  const std::size_t n = s.size() < max_chars ? s.size() : max_chars;
  for (std::size_t i = 0; i < n; ++i) {
    const auto ch = static_cast<unsigned char>(s[i]);
    if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  if (n < s.size()) out += "...";
  return out + "'";
}

void bad_value(const std::string& opt, const std::string& what, const std::string& got) {
  throw UsageError("--" + opt + " must be " + what + ", got " + quote_text(got));
}

double parse_double(const std::string& opt, const std::string& s, double lo, double hi, bool lo_open) {
  std::ostringstream range;
  range << (lo_open ? "(" : "[") << lo << ", " << hi << "]";
  const std::string what = "a finite number in " + range.str();
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+' && (e - b) > 1 && b[1] != '-' && b[1] != '+') ++b;
  double v = 0;
  auto [p, ec] = std::from_chars(b, e, v, std::chars_format::general);
  if (s.empty() || ec != std::errc() || p != e || !std::isfinite(v)) bad_value(opt, what, s);
  if (v < lo || v > hi || (lo_open && v == lo)) bad_value(opt, what, s);
  return v;
}

std::uint64_t parse_uint(const std::string& opt, const std::string& s, std::uint64_t lo,
                         std::uint64_t hi) {
  const std::string what = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
    bad_value(opt, what, s);
  return v;
}

}  // namespace fractal
