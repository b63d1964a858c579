#include "fractal/config/location.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

#include "fractal/config/decimal.hpp"
#include "fractal/error.hpp"

namespace fractal {

namespace {

// A location file holds a few numbers of at most ~100000 digits: anything far larger is not one
// (and /dev/zero must not be read for ever).
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

[[noreturn]] void fail(const std::string& label, const std::string& what) { throw UsageError(label + ": " + what); }

std::string read_all(const std::string& path, const std::string& label) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(label, std::string("cannot open: ") + std::strerror(errno));
  std::string data;
  char buf[65536];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    data.append(buf, n);
    if (data.size() > kMaxFileBytes) {
      std::fclose(f);
      fail(label, "larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB: not a location file");
    }
    if (n < sizeof buf) break;
  }
  const bool bad = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (bad) fail(label, std::string("cannot read: ") + std::strerror(err));
  if (data.compare(0, 3, "\xEF\xBB\xBF") == 0) data.erase(0, 3);  // a UTF-8 byte order mark
  return data;
}

// Lines without their LF or CRLF.
std::vector<std::string> split_lines(const std::string& data) {
  std::vector<std::string> lines;
  std::size_t b = 0;
  while (b < data.size()) {
    std::size_t e = data.find('\n', b);
    if (e == std::string::npos) e = data.size();
    std::string line = data.substr(b, e - b);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    b = e + 1;
  }
  return lines;
}

// An iteration count: decimal digits only, in [1, 2^32 - 1].
std::uint32_t check_iterations(const std::string& label, const std::string& text) {
  constexpr std::uint64_t kMax = 4294967295u;
  std::uint64_t v = 0;
  bool ok = !text.empty();
  for (char c : text) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > kMax) {  // saturate: any number of digits is safe
      ok = false;
      break;
    }
  }
  if (!ok || v < 1)
    throw UsageError(label + " must be an integer in [1, " + std::to_string(kMax) + "], got " +
                     quote_text(text, 200));
  return static_cast<std::uint32_t>(v);
}

// The location from `found` (value by name; names: re, im, zoom, iterations, as messages show
// them; the first three present), checked. Iterations stay absent when the file has none.
Location checked_location(const std::string& path, const std::string& label, const char* const (&names)[4],
                          const std::map<std::string, std::string>& found) {
  const auto text = [&](int i) { return found.at(names[i]); };
  const auto name = [&](int i) { return label + ": " + names[i]; };
  Location loc;
  loc.path = path;
  loc.re = check_decimal(name(0), text(0));
  loc.im = check_decimal(name(1), text(1));
  loc.zoom = check_decimal(name(2), text(2));
  if (decimal_is_zero(loc.zoom) || decimal_is_negative(loc.zoom))
    throw UsageError(name(2) + " must be > 0, got " + quote_text(loc.zoom, 200));
  if (found.count(names[3])) loc.iterations = check_iterations(name(3), trim(text(3)));
  return loc;
}

Location read_kfr(const std::string& path, const std::string& label, const std::string& data) {
  static const char* const kKeys[] = {"Re", "Im", "Zoom", "Iterations"};
  std::map<std::string, std::string> found;  // the first line of each key counts
  for (const std::string& line : split_lines(data)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    for (const char* k : kKeys)
      if (key == k && !found.count(key)) found[key] = trim(line.substr(colon + 1));
  }
  for (const char* k : {"Re", "Im", "Zoom"})
    if (!found.count(k)) fail(label, std::string("no '") + k + "' line");
  return checked_location(path, label, kKeys, found);
}

// The value of a TOML `key = value` line: the content of a one-line "basic" or 'literal' string
// (no escapes: decimals need none), or a bare token up to a comment. nullopt: malformed.
std::optional<std::string> toml_value(const std::string& v) {
  if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
    if (v.compare(0, 3, std::string(3, v[0])) == 0) return std::nullopt;  // multi-line string
    const std::size_t close = v.find(v[0], 1);
    if (close == std::string::npos) return std::nullopt;
    const std::string rest = trim(v.substr(close + 1));
    if (!rest.empty() && rest[0] != '#') return std::nullopt;
    return v.substr(1, close - 1);
  }
  return trim(v.substr(0, v.find('#')));
}

Location read_toml(const std::string& path, const std::string& label, const std::string& data) {
  struct Want {
    const char* section;
    const char* key;
  };
  static const Want kWanted[] = {{"location", "real"}, {"location", "imag"}, {"location", "zoom"},
                                 {"bailout", "iterations"}};
  std::map<std::string, std::string> found;  // "[section] key" -> value
  std::string section;
  std::string in_multiline;  // the closing delimiter while inside a multi-line string (other keys)
  const std::vector<std::string> lines = split_lines(data);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string line = trim(lines[n]);
    const std::string where = label + ": line " + std::to_string(n + 1);
    if (!in_multiline.empty()) {
      if (line.find(in_multiline) != std::string::npos) in_multiline.clear();
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string::npos) fail(where, "section header without ']'");
      section = trim(line.substr(1, close - 1));  // "[[x]]" gives "[x]": some other section
      continue;
    }
    const bool relevant_section = section == "location" || section == "bailout";
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) {
      if (relevant_section) fail(where, "[" + section + "] expected key = value");
      continue;  // e.g. inside a multi-line array of some other section
    }
    std::string key = trim(line.substr(0, eq));
    if (key.size() >= 2 && (key[0] == '"' || key[0] == '\'') && key.back() == key[0])
      key = key.substr(1, key.size() - 2);
    const std::string raw = trim(line.substr(eq + 1));
    const Want* want = nullptr;
    for (const Want& w : kWanted)
      if (section == w.section && key == w.key) want = &w;
    if (!want) {
      for (const char* d : {"\"\"\"", "'''"})  // skip a multi-line string's lines
        if (raw.compare(0, 3, d) == 0 && raw.find(d, 3) == std::string::npos) in_multiline = d;
      continue;
    }
    const std::string name = "[" + section + "] " + key;
    if (found.count(name)) fail(where, "duplicate " + name);
    const std::optional<std::string> value = toml_value(raw);
    if (!value) fail(where, name + " must be a one-line \"string\" or a number, got " + quote_text(raw, 200));
    found[name] = *value;
  }
  for (const char* k : {"[location] real", "[location] imag", "[location] zoom"})
    if (!found.count(k)) fail(label, std::string("no ") + k);
  static const char* const kNames[] = {"[location] real", "[location] imag", "[location] zoom",
                                      "[bailout] iterations"};
  return checked_location(path, label, kNames, found);
}

}  // namespace

Location read_location_file(const std::string& path) {
  const std::string label = "--location " + quote_text(path);
  const std::size_t slash = path.find_last_of('/');
  const std::size_t dot = path.find_last_of('.');
  const std::string ext =
      dot == std::string::npos || (slash != std::string::npos && dot < slash) ? "" : lower(path.substr(dot));
  if (ext != ".kfr" && ext != ".toml") fail(label, "unknown extension (expected .kfr or .toml)");
  const std::string data = read_all(path, label);
  return ext == ".kfr" ? read_kfr(path, label, data) : read_toml(path, label, data);
}

}  // namespace fractal
