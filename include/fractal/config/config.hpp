#pragma once
// The job configuration: read once from a config file and the command line, validated, then const.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fractal/kernel/family.hpp"
#include "fractal/config/keyframes.hpp"
#include "fractal/deep/perturb.hpp"

namespace fractal {

enum class Fractal { Julia, Mandelbrot };
// --precision: how frames are computed (docs/FORMAT.md "Deep zoom"). Auto picks per frame.
enum class Precision { Auto, Double, Perturbation };
const char* precision_name(Precision p);
// How a view (or a zoom's frame) of pixel spacing dx is computed under --precision p: double, or
// perturbation when forced or when dx is finer than 2^-36 of the centre's magnitude
// (2^log2_magnitude), with extended-exponent deltas past 2^deep::kDoubleDeltaLog2.
deep::Method frame_method(Precision p, const deep::RealExp& dx, std::int64_t log2_magnitude);

const char* fractal_name(Fractal f);

// A view of the complex plane as bounds (DESIGN.md "Pixel to complex plane").
struct Bounds {
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
};

struct Config {
  // What to iterate.
  Fractal fractal = Fractal::Julia;
  Family family = Family::Multibrot;        // --family (family.hpp); multibrot with power 2 = classic
  std::uint32_t power = 2;                  // --power: multibrot degree 2..8
  double c_re = -0.62772, c_im = -0.42193;  // Julia parameter (frame 0 of a sweep)
  double z0_re = 0.0, z0_im = 0.0;          // Mandelbrot start value
  std::uint32_t max_iter = 256;
  double escape_radius = 2.0;

  // Image size in pixels (output pixels; with supersampling the stored grid is K times larger
  // each way: sample_width/sample_height) and the first frame's view.
  std::uint32_t width = 0, height = 0;
  Bounds view;
  double rotation = 0.0;            // --rotation: degrees, counter-clockwise about the view centre
  std::uint32_t supersample = 1;    // --supersample K: K x K samples per output pixel, all stored
  std::uint32_t sample_width() const { return width * supersample; }
  std::uint32_t sample_height() const { return height * supersample; }

  // Optional float32 datasets next to /counts (never change the counts).
  bool smooth = false;              // --smooth: /smooth, the continuous escape value
  bool distance = false;            // --distance: /distance, the exterior distance estimate
  bool preview = false;             // --preview: small version, same budgets (see config.cpp)

  // Animation: frame count and fps (stored for fractal-colour).
  std::uint64_t frames = 1;
  double fps = 30.0;
  double c_im_increment = 0.0;      // workload 1 sweep: c_im(f) = c_im + inc * f / (frames - 1)
  std::optional<Bounds> end_view;   // pan/zoom: last frame's view (width interpolated geometrically)
  double end_center_re = 0, end_center_im = 0, end_view_width = 0;  // ... as given (end_view derives from them)
  // A deep zoom (docs/ANIMATION.md "Deep zooms"): a view given by its centre whose pan/zoom needs
  // perturbation at some frame. The centre stays fixed; the last frame's width is this text (from
  // --end-view-width or --end-zoom, any exponent) and frame f's is deep::zoom_width_text. One
  // reference orbit serves every perturbation frame. end_view then holds the end in double
  // (approximate, or degenerate past 1e-308).
  bool deep_zoom = false;
  std::string end_view_width_text;             // as given or derived from --end-zoom; "" unless deep_zoom
  std::string end_zoom_text;                   // --end-zoom as given, or ""
  // A deep zoom whose centre moves (--end-center-re/--end-center-im differ from the start): the end
  // centre as text; frame f's centre follows the "zoom" rule (deep::zoom_centre_text: the end centre
  // keeps its place on screen), and the one reference orbit is the end centre's. "" otherwise.
  std::string end_center_re_text, end_center_im_text;
  // --zoom-sequence R (exponential map, docs/ANIMATION.md): a deep_zoom whose frames are keyframes,
  // frame f of width w(0) / R^f, as many as reach the end width (the last may be narrower); 0: off.
  double zoom_sequence = 0;
  double sequence_duration = 0;                // --duration with --zoom-sequence: the composed video's (0: not given)
  // --max-iter-growth with --end-*: max_iter(f) = round(max-iter + G x log10(w(0) / w(f))).
  std::optional<double> end_max_iter_growth;
  // Keyframed path (--key, --interp*, --max-iter-growth; docs/ANIMATION.md). Empty: the sweep or
  // pan/zoom above. Exclusive with --c-im-increment and --end-*.
  KeyframePath path;
  // The largest per-frame max_iter of the plan (parse_config computes it; 0 = max_iter).
  std::uint32_t max_iter_peak = 0;

  // Deep zoom (docs/FORMAT.md "Deep zoom"). A view given by its centre (--center-re/--center-im
  // with --view-width or --zoom, or --location) keeps the texts exactly as given: they may have
  // thousands of digits and an exponent far beyond double's (--view-width 3.2e-5000).
  std::string center_re_text, center_im_text;  // "" when the view is given by bounds
  std::string view_width_text;                 // as given, or derived from --zoom (20 digits)
  std::string zoom_text;                       // --zoom as given (view height = 4 / zoom), or ""
  std::string c_re_text = "-0.62772", c_im_text = "-0.42193";  // Julia's c as given
  Precision precision = Precision::Auto;       // --precision
  // Resolved by parse_config: how the frames are computed (a deep zoom's frames each by their own
  // spacing, DeepJob::method; here the finest frame's), and for perturbation the pixel spacing of
  // the sample grid (the finest frame's) and log2 of the largest coordinate's
  // magnitude (>= 0), from which the reference precision follows (reference.hpp).
  deep::Method method = deep::Method::Double;
  deep::RealExp pixel_spacing;
  std::int64_t log2_magnitude = 0;
  bool perturbation() const { return method != deep::Method::Double; }

  // Storage and run-time settings (do not change counts).
  std::uint32_t strip_rows = 0;     // rows per chunk; 0 = chosen from the frame width
  int compression_level = 1;        // deflate level 0..9 (0 = no deflate, shuffle only)
  std::string kernel = "auto";      // auto | scalar | avx2 | avx512
  bool skip_interior = true;        // Mandelbrot: skip provably interior points (same counts)
  bool bla = true;                  // deep views: bilinear approximation (--no-bla: off; changes counts slightly)
  double progress_interval = 5.0;   // seconds between plain progress lines (non-terminal)
  bool overwrite = false;
  bool skip_disk_check = false;
  std::string output;               // -o OUT.h5

  bool print_config = false;        // --print-config: print resolved config and exit
  std::string config_file;          // the positional CONFIG.cfg, if any

  // The resolved configuration as "key = value" lines, in config-file syntax (stored in the file
  // and printed by --print-config; feeding it back reproduces the job).
  std::string resolved_text() const;

  // Bytes per stored count: 2 when every frame's max_iter <= 65535, else 4.
  unsigned count_bytes() const { return std::max(max_iter, max_iter_peak) <= 65535u ? 2u : 4u; }
};

// What parse_config found: a config, or a request to print help and exit 0.
struct ParseResult {
  Config config;
  bool help = false;
  std::string help_text;
};

// Parses argv (and the config file named as first positional argument). Throws UsageError with one
// line naming the option and the value for anything invalid: unknown options, trailing junk,
// NaN/inf/out-of-range numbers, inconsistent views, sizes that overflow.
ParseResult parse_config(int argc, const char* const* argv);

}  // namespace fractal
