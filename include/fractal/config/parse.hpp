#pragma once
// Strict conversion of option values, shared by both programs: the whole string must be a number,
// finite and in range, else UsageError "--OPT must be ..., got 'TEXT'" (one line).
#include <cstdint>
#include <string>

namespace fractal {

[[noreturn]] void bad_value(const std::string& opt, const std::string& what, const std::string& got);
double parse_double(const std::string& opt, const std::string& text, double lo, double hi, bool lo_open = false);
std::uint64_t parse_uint(const std::string& opt, const std::string& text, std::uint64_t lo, std::uint64_t hi);

}  // namespace fractal
