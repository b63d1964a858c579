#pragma once
// Location files from other deep-zoom programs (--location FILE): the centre and zoom as decimal
// text (config/decimal.hpp), and the iteration count when the file has one.
//
//   Kalles Fraktaler .kfr  text lines "Key: value" (LF or CRLF, Latin-1 bytes tolerated); uses Re,
//                          Im, Zoom and Iterations, ignores every other key (Colors, IterDiv, Ratio,
//                          Rotate, ...). The first line with a key counts.
//   Fraktaler-3 .toml      [location] real, imag, zoom (quoted strings or bare numbers) and
//                          [bailout] iterations (integer); other sections, keys and comments are
//                          ignored. A minimal parser: [section], key = "string" | 'string' | bare.
//
// The format is chosen by the extension (.kfr or .toml, any case).
#include <cstdint>
#include <optional>
#include <string>

namespace fractal {

struct Location {
  std::string path;                        // as given
  std::string re, im;                      // checked decimals, exactly as in the file
  std::string zoom;                        // checked decimal > 0 (Kalles Fraktaler convention:
                                           // view height = 4 / zoom)
  std::optional<std::uint32_t> iterations; // absent when the file has none
};

// Reads and validates a location file. Throws UsageError with one line naming the option and the
// file, e.g. "--location 'x.kfr': cannot open: No such file or directory",
// "--location 'x.kfr': no 'Zoom' line", "--location 'x.toml': [location] zoom must be a decimal
// number (digits, optional point and exponent), got 'abc'",
// "--location 'x': unknown extension (expected .kfr or .toml)".
Location read_location_file(const std::string& path);

}  // namespace fractal
