#pragma once
// Strict conversion of option values, shared by both programs: the whole string must be a number,
// finite and in range, else UsageError "--OPT must be ..., got 'TEXT'" (one line).
#include <cstdint>
#include <string>

namespace fractal {

// `s` in single quotes with control characters (< 0x20, 0x7f) written as \xNN, so a message that
// shows it stays one line; text longer than `max_chars` is cut there and marked "...".
std::string quote_text(const std::string& s, std::size_t max_chars = static_cast<std::size_t>(-1));

// The shortest decimal text that reads back as the same double (std::to_chars), e.g. "0.1", "1e-09".
std::string shortest_text(double v);

[[noreturn]] void bad_value(const std::string& opt, const std::string& what, const std::string& got);
double parse_double(const std::string& opt, const std::string& text, double lo, double hi, bool lo_open = false);
std::uint64_t parse_uint(const std::string& opt, const std::string& text, std::uint64_t lo, std::uint64_t hi);

}  // namespace fractal
