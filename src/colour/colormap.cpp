#include "fractal/colour/colormap.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

#include "colormap_tables.hpp"
#include "fractal/error.hpp"

namespace fractal::colour {

namespace {

constexpr int kStopsTableSize = 256;  // matplotlib's default N for LinearSegmentedColormap

std::string known_names() {
  std::string s;
  for (const auto& t : builtin_tables()) {
    if (!s.empty()) s += ", ";
    s += t.name;
  }
  return s;
}

struct Stop {
  double pos;
  RGB c;
};

// Parses one number; only the whole token counts (from_chars is locale-independent).
bool parse_double(std::string_view tok, double& out) {
  const char* b = tok.data();
  const char* e = b + tok.size();
  if (b != e && *b == '+') ++b;  // from_chars does not accept a leading '+'
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e && std::isfinite(out);
}

}  // namespace

Colormap::Colormap(std::string name, std::vector<RGB> table) : name_(std::move(name)), table_(std::move(table)) {
  if (table_.empty()) throw UsageError("colormap '" + name_ + "' has no entries");
}

Colormap Colormap::named(const std::string& name) {
  std::string_view base = name;
  const bool reversed = base.size() > 2 && base.substr(base.size() - 2) == "_r";
  if (reversed) base.remove_suffix(2);
  for (const auto& t : builtin_tables()) {
    if (base != t.name) continue;
    std::vector<RGB> table(static_cast<std::size_t>(t.n));
    for (int i = 0; i < t.n; ++i) table[static_cast<std::size_t>(i)] = {t.rgb[3 * i], t.rgb[3 * i + 1], t.rgb[3 * i + 2]};
    // matplotlib's ListedColormap.reversed() reverses the colour list; the float lookup then
    // indexes the reversed table exactly as it does the original.
    if (reversed) std::reverse(table.begin(), table.end());
    return Colormap(name, std::move(table));
  }
  throw UsageError("--cmap must be one of " + known_names() + " (optionally with _r), got '" + name + "'");
}

Colormap Colormap::from_file(const std::string& path) {
  const std::string where = "--cmap-file '" + path + "'";
  std::ifstream in(path);
  if (!in) throw UsageError(where + ": cannot open: " + std::strerror(errno));

  std::vector<Stop> stops;
  int last_line = 0;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    auto fail = [&](const std::string& why) -> UsageError {
      return UsageError(where + " line " + std::to_string(lineno) + ": " + why);
    };
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::vector<std::string> tok;
    for (std::string w; words >> w;) tok.push_back(w);
    if (tok.empty()) continue;
    if (tok.size() != 4)
      throw fail("expected 'position r g b', got " + std::to_string(tok.size()) + " fields");
    double v[4];
    for (int i = 0; i < 4; ++i)
      if (!parse_double(tok[static_cast<std::size_t>(i)], v[i])) throw fail("not a number: '" + tok[static_cast<std::size_t>(i)] + "'");
    for (int i = 0; i < 4; ++i)
      if (v[i] < 0 || v[i] > 1)
        throw fail((i == 0 ? "position " : "colour value ") + tok[static_cast<std::size_t>(i)] + " is outside [0, 1]");
    if (stops.empty() && v[0] != 0) throw fail("the first position must be 0, got " + tok[0]);
    if (!stops.empty() && !(v[0] > stops.back().pos))
      throw fail("position " + tok[0] + " is not greater than the previous position");
    stops.push_back({v[0], {static_cast<float>(v[1]), static_cast<float>(v[2]), static_cast<float>(v[3])}});
    last_line = lineno;
  }
  if (in.bad()) throw UsageError(where + ": read error: " + std::strerror(errno));
  if (stops.empty()) throw UsageError(where + ": no colour stops (lines 'position r g b')");
  if (stops.size() < 2)
    throw UsageError(where + " line " + std::to_string(last_line) + ": only one colour stop; at least 2 are needed");
  if (stops.back().pos != 1)
    throw UsageError(where + " line " + std::to_string(last_line) + ": the last position must be 1");

  // Sampled at i / (N - 1) like matplotlib's LinearSegmentedColormap, so entry 0 is the first
  // stop and entry N - 1 the last one exactly.
  std::vector<RGB> table(kStopsTableSize);
  std::size_t seg = 0;
  for (int i = 0; i < kStopsTableSize; ++i) {
    const double x = static_cast<double>(i) / (kStopsTableSize - 1);
    while (seg + 2 < stops.size() && x > stops[seg + 1].pos) ++seg;
    const Stop& a = stops[seg];
    const Stop& b = stops[seg + 1];
    const double f = std::clamp((x - a.pos) / (b.pos - a.pos), 0.0, 1.0);
    auto lerp = [f](float p, float q) { return static_cast<float>(p + (static_cast<double>(q) - p) * f); };
    table[static_cast<std::size_t>(i)] = {lerp(a.c.r, b.c.r), lerp(a.c.g, b.c.g), lerp(a.c.b, b.c.b)};
  }
  return Colormap(path, std::move(table));
}

const RGB& Colormap::at(double t) const {
  // matplotlib: x = t * N in double, truncated to an int; t == 1 (x == N) is the last entry;
  // below 0 gives the "under" colour and above N - 1 the "over" colour, which default to the
  // first and last entries. NaN (matplotlib's transparent "bad" colour) maps to entry 0.
  const std::size_t n = table_.size();
  if (!(t > 0)) return table_[0];
  const double x = t * static_cast<double>(n);
  if (!(x < static_cast<double>(n))) return table_[n - 1];
  return table_[static_cast<std::size_t>(x)];
}

std::vector<std::string> colormap_names() {
  std::vector<std::string> names;
  for (const auto& t : builtin_tables()) names.emplace_back(t.name);
  return names;
}

}  // namespace fractal::colour
