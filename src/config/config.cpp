// Config parsing and validation. Every numeric option is read as a string and converted here with
// strict rules (whole string, finite, in range), so "10px", "nan" and "1e309" are refused with one
// line naming the option; Boost.ProgramOptions handles option names, config files and --help.
#include "fractal/config/config.hpp"

#include <boost/program_options.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

#include <unistd.h>

#include "fractal/error.hpp"
#include "fractal/config/parse.hpp"
#include "fractal/config/decimal.hpp"
#include "fractal/config/location.hpp"
#include "fractal/deep/deep_job.hpp"
#include "fractal/deep/key_path.hpp"
#include "fractal/deep/reference.hpp"
#include "fractal/deep/zoom_path.hpp"

namespace po = boost::program_options;

namespace fractal {

const char* fractal_name(Fractal f) { return f == Fractal::Julia ? "julia" : "mandelbrot"; }
const char* precision_name(Precision p) {
  return p == Precision::Auto ? "auto" : p == Precision::Double ? "double" : "perturbation";
}

namespace {

constexpr double kCoordLimit = 1e6;  // |coordinate| bound: anything beyond escapes at once anyway

// Alias -> canonical option name. Workload 1's names, so its users can switch unchanged.
const std::map<std::string, std::string> kAliases = {
    {"max-iterations", "max-iter"}, {"num-frames", "frames"},   {"framerate", "fps"},
    {"c-imag-initial", "c-im"},     {"c-imag-increment", "c-im-increment"},
};

// Where a value came from, for messages and for "the command line wins".
struct Value {
  std::string text;
  std::string source;  // "" = command line, else the config file's path
};

// Looks up canonical option `name` (or one of its aliases): the command line first, then the file.
class Lookup {
 public:
  Lookup(const po::variables_map& cli, const po::variables_map& file, std::string file_name)
      : cli_(cli), file_(file), file_name_(std::move(file_name)) {}

  std::optional<Value> get(const std::string& name) const {
    if (auto v = from(cli_, name, "")) return v;
    return from(file_, name, file_name_);
  }
  bool has(const std::string& name) const { return get(name).has_value(); }
  bool flag(const std::string& name) const {
    auto v = get(name);
    if (!v) return false;
    if (v->text == "1" || v->text == "true" || v->text == "yes" || v->text == "on") return true;
    if (v->text == "0" || v->text == "false" || v->text == "no" || v->text == "off") return false;
    bad_value(name, "true or false", v->text);
  }

 private:
  static std::optional<Value> from(const po::variables_map& vm, const std::string& name,
                                   const std::string& src) {
    std::vector<std::string> names{name};
    for (const auto& [alias, canon] : kAliases)
      if (canon == name) names.push_back(alias);
    std::optional<Value> found;
    std::string found_name;
    for (const auto& n : names) {
      if (!vm.count(n)) continue;
      if (found)
        throw UsageError("--" + n + " and --" + found_name + " are the same option; give one" +
                         (src.empty() ? std::string() : " (in " + src + ")"));
      found = Value{vm[n].as<std::string>(), src};
      found_name = n;
    }
    return found;
  }
  const po::variables_map& cli_;
  const po::variables_map& file_;
  std::string file_name_;
};

po::options_description make_options() {
  po::options_description gen("General");
  auto s = [] { return po::value<std::string>(); };
  auto flag = [] { return po::value<std::string>()->implicit_value("true")->value_name("[BOOL]"); };
  gen.add_options()
      ("help,h", "print this help and exit")
      ("print-config", flag(), "print the resolved configuration (config-file syntax) and exit")
      ("output,o", s()->value_name("OUT.h5"), "output HDF5 file (required); written as OUT.h5.partial and renamed when complete")
      ("overwrite", flag(), "start afresh: discard an interrupted run's journal and replace an existing OUT.h5 (default: resume the same job, refuse another)");
  po::options_description fr("Fractal");
  fr.add_options()
      ("fractal", s()->value_name("NAME"), "julia | mandelbrot (default: julia): which of z0 and c is the pixel")
      ("family", s()->value_name("NAME"), "multibrot | burning-ship | tricorn: z' = f(z) + c with f = z^d, (|x|+i|y|)^2, conj(z)^2 (default: multibrot; with --power 2 the classic sets)")
      ("power", s()->value_name("D"), "multibrot degree d in z^d + c, 2..8 (default: 2)")
      ("c-re", s()->value_name("X"), "Julia: real part of c (default: -0.62772)")
      ("c-im", s()->value_name("Y"), "Julia: imaginary part of c, frame 0 of a sweep (default: -0.42193); alias --c-imag-initial")
      ("z0-re", s()->value_name("X"), "Mandelbrot: real part of z0 (default: 0)")
      ("z0-im", s()->value_name("Y"), "Mandelbrot: imaginary part of z0 (default: 0)")
      ("max-iter", s()->value_name("N"), "iteration budget, 1..4294967295 (default: 256); counts are uint16 when <= 65535; alias --max-iterations")
      ("escape-radius", s()->value_name("R"), "escape when |z| > R (default: 2)");
  po::options_description view("View and size");
  view.add_options()
      ("xmin", s(), "left edge of the view (with --xmax --ymin --ymax; default: julia [-1.8,1.8]^2, mandelbrot [-2,0.5]x[-1.25,1.25])")
      ("xmax", s(), "right edge of the view")
      ("ymin", s(), "bottom edge of the view")
      ("ymax", s(), "top edge of the view")
      ("center-re", s()->value_name("X"), "view centre, real part, a decimal of any length (with --center-im and --view-width or --zoom)")
      ("center-im", s()->value_name("Y"), "view centre, imaginary part")
      ("view-width", s()->value_name("W"), "view width, any decimal (3.2e-5000); its height follows the image's aspect ratio")
      ("zoom", s()->value_name("Z"), "instead of --view-width: Kalles Fraktaler's zoom, the view's HEIGHT is 4 / Z (any decimal: 1e1086)")
      ("location", s()->value_name("FILE"), "centre, zoom and iterations from a Kalles Fraktaler .kfr or Fraktaler-3 .toml file (options given here win)")
      ("precision", s()->value_name("MODE"), "auto | double | perturbation (default: auto: perturbation from an MPFR reference orbit when a pixel is finer than 2^-36 of the centre's magnitude)")
      ("width", s()->value_name("PX"), "image width in pixels, 1..65536 (default: 1024, or from --height and the view's aspect)")
      ("height", s()->value_name("PX"), "image height in pixels, 1..65536 (default: from the width and the view's aspect)")
      ("num-steps", s()->value_name("PX"), "workload 1 alias: width = height = PX")
      ("rotation", s()->value_name("DEG"), "rotate the view counter-clockwise about its centre by DEG degrees (default: 0)")
      ("supersample", s()->value_name("K"), "anti-aliasing: render K x K samples per pixel, 1..16, all stored (the file is K*width x K*height; fractal-colour averages them back); default 1")
      ("preview", flag(), "quick look: at most --preview-size pixels across, no supersampling; the same path and iteration budgets, so every frame shows the real picture")
      ("preview-size", s()->value_name("PX"), "--preview: longest side in pixels, 16..4096 (default: 320)");
  po::options_description anim("Animation");
  anim.add_options()
      ("frames", s()->value_name("N"), "number of frames, 1..1000000 (default: 1); alias --num-frames")
      ("duration", s()->value_name("S"), "seconds of video: frames = round(S x fps); overrides --frames")
      ("fps", s()->value_name("F"), "frames per second stored for the video (default: 30); alias --framerate")
      ("c-im-increment", s()->value_name("D"), "Julia sweep: c_im goes linearly from --c-im to --c-im + D over the frames, both ends included (default: 0); alias --c-imag-increment")
      ("end-center-re", s()->value_name("X"), "pan/zoom: centre of the last frame's view, real part (a view given by its centre keeps it when omitted)")
      ("end-center-im", s()->value_name("Y"), "pan/zoom: centre of the last frame's view, imaginary part")
      ("end-view-width", s()->value_name("W"), "pan/zoom: width of the last frame's view, interpolated geometrically; any decimal for a view given by its centre (deep zoom into the fixed centre: 1e-1000)")
      ("end-zoom", s()->value_name("Z"), "instead of --end-view-width: the last frame's Kalles Fraktaler zoom (view height 4 / Z; a view given by its centre)")
      ("zoom-sequence", s()->value_name("R"), "exponential map: render the zoom (--end-view-width/--end-zoom) as keyframes each R times narrower than the one before (R > 1, e.g. 2; --supersample is the oversize), for fractal-colour to compose the video from; --duration is then the video's")
      ("key", po::value<std::vector<std::string>>()->value_name("\"ITEMS\""),
       "keyframe, repeatable: \"frame=N|time=S [center=RE,IM] [width=W|zoom=Z] [location=FILE] [rotation=DEG] [c=RE,IM|c-polar=R,DEG] [max-iter=N]\"; "
       "frames = last key frame + 1 unless --frames/--duration; keys given here replace the config file's; "
       "center and width take decimals of any length and exponent: a path that needs perturbation is a deep path (docs/ANIMATION.md)")
      ("interp", s()->value_name("MODE"), "keyframes: linear | ease | cubic (monotone, no overshoot) for the width, rotation, c and max-iter tracks (default: cubic)")
      ("interp-center", s()->value_name("MODE"), "keyframes: zoom | linear | ease | cubic for the centre (default: zoom: a point stays put on screen while the width changes)")
      ("interp-width", s()->value_name("MODE"), "keyframes: linear | ease | cubic for the width, in log space (linear = constant zoom speed; default: --interp)")
      ("interp-rotation", s()->value_name("MODE"), "keyframes: linear | ease | cubic for the rotation (default: --interp)")
      ("interp-c", s()->value_name("MODE"), "keyframes: linear | ease | cubic for c (re, im or R, DEG; default: --interp)")
      ("interp-max-iter", s()->value_name("MODE"), "keyframes: linear | ease | cubic for max-iter (default: --interp)")
      ("max-iter-growth", s()->value_name("G"), "keyframes and --end-*: max_iter(f) = round(max-iter + G x log10(w(0) / w(f))), G >= 0 iterations per decade of zoom (not with max-iter= keys)");
  po::options_description extra("Optional data (float32 datasets beside /counts; off by default)");
  extra.add_options()
      ("smooth", flag(), "also store /smooth: the continuous (normalised) escape value, for band-free colouring (fractal-colour --norm smooth)")
      ("distance", flag(), "also store /distance: the exterior distance estimate, for boundary lines (multibrot family only)");
  po::options_description run("Run and storage (never change the counts)");
  run.add_options()
      ("strip-rows", s()->value_name("N"), "rows per HDF5 chunk, 1..65536 (default: a whole frame for >= 64 frames of <= 1 MiB, else about 256 KiB per chunk)")
      ("compression-level", s()->value_name("L"), "deflate level 0..9 after shuffle (default: 1; 0 = shuffle only)")
      ("kernel", s()->value_name("NAME"), "auto | scalar | avx2 | avx512 (default: auto = best this CPU has)")
      ("no-interior-skip", flag(), "Mandelbrot: iterate points of the main cardioid and period-2 bulb too (default: skip them; the counts are the same)")
      ("no-bla", flag(), "deep views: plain perturbation, one step per iteration (default: bilinear approximation skips most steps; counts within 0.1% of pixels)")
      ("progress-interval", s()->value_name("S"), "seconds between progress lines when stdout is not a terminal (default: 5)")
      ("skip-disk-check", flag(), "do not refuse a job whose uncompressed size exceeds the free disk space");
  po::options_description all;
  all.add(gen).add(fr).add(view).add(anim).add(extra).add(run);
  // Hidden: the positional config file and workload 1's remaining aliases.
  return all;
}

po::options_description hidden_options() {
  po::options_description h;
  auto s = [] { return po::value<std::string>(); };
  h.add_options()("config", s())("max-iterations", s())("num-frames", s())("framerate", s())(
      "c-imag-initial", s())("c-imag-increment", s());
  return h;
}


// The text of a number option that parsed as the double v: the text itself when it is a plain
// decimal (deep zoom uses it at full length), else v's shortest round-trip text.
std::string decimal_or(const std::string& text, double v) {
  try {
    return check_decimal("value", text);
  } catch (const UsageError&) {
    return shortest_text(v);
  }
}

// Friendlier texts for Boost's exceptions; always one line naming the option.
std::string describe(const po::error& e) {
  std::string msg = e.what();
  if (auto* u = dynamic_cast<const po::unknown_option*>(&e))
    return "unknown option '" + u->get_option_name() + "' (see --help)";
  if (auto* m = dynamic_cast<const po::multiple_occurrences*>(&e))
    return "option '" + m->get_option_name() + "' given more than once";
  return msg;
}

// --interp* option `name`: one of the modes, or `dflt` when not given.
Interp interp_option(const Lookup& L, const std::string& name, Interp dflt, bool allow_zoom) {
  auto v = L.get(name);
  if (!v) return dflt;
  for (Interp m : {Interp::Linear, Interp::Ease, Interp::Cubic, Interp::Zoom})
    if (v->text == interp_name(m) && (allow_zoom || m != Interp::Zoom)) return m;
  throw UsageError("--" + name + " must be " + (allow_zoom ? "zoom, linear, ease or cubic" : "linear, ease or cubic") +
                   ", got '" + v->text + "'" + (v->source.empty() ? "" : " (in " + v->source + ")"));
}

// A keyframed path that needs perturbation at some frame (docs/ANIMATION.md "Deep keyframes"): its
// finest width (a width key's, or the base view's when no key sets one) is finer than double
// resolves around the path's centres, or --precision perturbation. Then the path is a deep zoom
// (c.deep_zoom) whose frames deep::KeyPath evaluates from the keys' texts: sets the base view's
// texts (from the bounds when the view was given so), the finest pixel spacing, the magnitude,
// the method and max_iter_peak, and returns true. Otherwise the path is double: the method follows
// from it (a deep base view whose keys all zoom out stays double) and false is returned.
bool deep_keys(Config& c, const std::function<std::string(const std::string&)>& in_src,
               const std::vector<Keyframe>& keys, const std::vector<std::string>& texts) {
  const KeyframePath& path = c.path;
  std::string base_re = c.center_re_text, base_im = c.center_im_text, base_w = c.view_width_text;
  if (base_re.empty()) {  // a view given by bounds: its centre and width as text
    base_re = shortest_text(0.5 * (c.view.xmin + c.view.xmax));
    base_im = shortest_text(0.5 * (c.view.ymin + c.view.ymax));
    base_w = shortest_text(c.view.xmax - c.view.xmin);
  }
  double mag = 1.0;
  const auto grow = [&](const std::string& t) { mag = std::max(mag, std::fabs(std::strtod(t.c_str(), nullptr))); };
  grow(base_re);
  grow(base_im);
  std::string finest = path.has_width() ? "" : base_w;
  deep::RealExp dx{}, w{};
  for (const Keyframe& k : path.keys) {
    if (k.center_re) {
      grow(k.center_re_text);
      grow(k.center_im_text);
    }
    if (!k.width) continue;
    deep::pixel_spacing(k.width_text, "", c.sample_width(), c.sample_height(), w);
    if (finest.empty() || w.e < dx.e || (w.e == dx.e && w.m < dx.m)) {
      finest = k.width_text;
      dx = w;
    }
  }
  if (!path.has_width()) deep::pixel_spacing(finest, "", c.sample_width(), c.sample_height(), dx);
  const std::int64_t log2_mag = static_cast<std::int64_t>(std::ceil(std::log2(mag)));
  const deep::Method m = c.precision == Precision::Double ? deep::Method::Double : frame_method(c.precision, dx, log2_mag);
  if (m == deep::Method::Double) {
    if (c.precision != Precision::Perturbation) c.method = deep::Method::Double;
    return false;
  }
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i].c_a)
      throw UsageError(in_src("--key '" + texts[i] + "': a deep keyframed path (it needs perturbation) keeps Julia's c fixed at --c-re/--c-im: each c would need its own reference orbits"));
  c.deep_zoom = true;  // a base view given by bounds stays so (deep::KeyPath reads its centre and width)
  c.zoom_text.clear();  // the base view is printed and identified by its width
  c.pixel_spacing = dx;
  c.log2_magnitude = log2_mag;
  c.method = frame_method(Precision::Perturbation, dx, log2_mag);
  // The budget is monotone in one track: its extremes are at its keys. The same model as the plan's
  // (frame_plan.cpp: the double one where it can evaluate the path).
  if (path.double_model(c.view)) {
    const PathEvaluator eval(path, path_base(c));
    c.max_iter_peak = eval.at(0).max_iter;
    for (const Keyframe& k : path.keys) c.max_iter_peak = std::max(c.max_iter_peak, eval.at(k.frame).max_iter);
  } else {
    const deep::KeyPath kp(c);
    c.max_iter_peak = kp.max_iter(0);
    for (const Keyframe& k : path.keys) c.max_iter_peak = std::max(c.max_iter_peak, kp.max_iter(k.frame));
  }
  return true;
}

// --key, --interp*, --max-iter-growth (docs/ANIMATION.md): fills c.path, adjusts c.frames, checks
// every key, and sets c.max_iter_peak. Runs after the view, sizes, --preview and --frames/--fps.
void parse_keyframes(Config& c, const po::variables_map& cli, const po::variables_map& file,
                     const std::string& cfg_path, const Lookup& L, bool any_end, bool frames_given) {
  std::vector<std::string> texts;
  std::string src;  // where the keys came from ("" = command line)
  if (cli.count("key")) {
    texts = cli["key"].as<std::vector<std::string>>();
  } else if (file.count("key")) {
    texts = file["key"].as<std::vector<std::string>>();
    src = cfg_path;
  }
  c.max_iter_peak = c.max_iter;
  if (texts.empty()) {
    for (const char* n : {"interp", "interp-center", "interp-width", "interp-rotation", "interp-c", "interp-max-iter"})
      if (L.has(n)) throw UsageError(std::string("--") + n + " applies only to a keyframed animation (--key)");
    if (auto v = L.get("max-iter-growth")) {
      if (!any_end) throw UsageError("--max-iter-growth applies only to a zoom (--key, or --end-view-width/--end-zoom)");
      try {
        c.end_max_iter_growth = parse_double("max-iter-growth", v->text, 0.0, 1e9);
      } catch (const UsageError& e) {
        throw UsageError(std::string(e.what()) + (v->source.empty() ? "" : " (in " + v->source + ")"));
      }
      // The budget is monotone in the width: its extremes are at the two ends.
      const double decades = c.deep_zoom ? deep::frame_decades(c, c.frames - 1)
                                         : std::log10((c.view.xmax - c.view.xmin) / c.end_view_width);
      c.max_iter_peak = std::max(c.max_iter, round_max_iter(c.max_iter + *c.end_max_iter_growth * decades));
    }
    return;
  }
  const auto in_src = [&](const std::string& m) { return src.empty() ? m : m + " (in " + src + ")"; };
  if (L.has("c-im-increment"))
    throw UsageError(in_src("--key and --c-im-increment cannot be combined: a keyframed job takes c from its c= or c-polar= keys"));
  if (any_end) {
    const char* end = L.has("end-center-re") ? "end-center-re" : L.has("end-center-im") ? "end-center-im" : "end-view-width";
    throw UsageError(in_src(std::string("--key and --") + end +
                            " cannot be combined: a keyframed job takes its views from its center= and width= keys"));
  }
  KeyframePath& path = c.path;
  std::vector<Keyframe> keys;
  std::vector<std::optional<bool>> polar(texts.size());
  try {
    for (std::size_t i = 0; i < texts.size(); ++i) {
      keys.push_back(parse_key(texts[i], c.fps, polar[i]));
      Keyframe& k = keys.back();
      if (!k.zoom_text.empty()) {  // zoom= / location=: the width for this image's aspect (as --end-zoom)
        k.width_text = deep::width_from_zoom(k.zoom_text, c.width, c.height);
        k.width = decimal_exponent10(k.width_text) < -300 ? 0.0 : std::strtod(k.width_text.c_str(), nullptr);
        if (!(*k.width <= 2 * kCoordLimit))
          throw UsageError("--key '" + texts[i] + "': zoom " + quote_text(k.zoom_text, 60) + " makes the view " +
                           k.width_text + " wide, wider than 2e6");
      }
      if (keys.back().c_a && c.fractal != Fractal::Julia)
        throw UsageError("--key '" + texts[i] + "': " + (*polar[i] ? "c-polar" : "c") +
                         " applies only to --fractal julia (this job is " + fractal_name(c.fractal) + ")");
    }
    merge_keys(path, keys, polar, texts);
  } catch (const UsageError& e) {
    throw UsageError(in_src(e.what()));
  }
  path.center = interp_option(L, "interp-center", Interp::Zoom, true);
  const Interp all = interp_option(L, "interp", Interp::Cubic, false);
  path.width = interp_option(L, "interp-width", all, false);
  path.rotation = interp_option(L, "interp-rotation", all, false);
  path.c = interp_option(L, "interp-c", all, false);
  path.max_iter = interp_option(L, "interp-max-iter", all, false);
  if (auto v = L.get("max-iter-growth")) {
    double g = 0;
    try {
      g = parse_double("max-iter-growth", v->text, 0.0, 1e9);
    } catch (const UsageError& e) {
      throw UsageError(std::string(e.what()) + (v->source.empty() ? "" : " (in " + v->source + ")"));
    }
    if (path.has_max_iter()) {
      std::string key;
      for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i].max_iter && key.empty()) key = texts[i];
      throw UsageError("--max-iter-growth and a --key with max-iter= cannot be combined (--key '" + key + "')");
    }
    path.max_iter_growth = g;
  }
  const std::uint64_t need = path.last_frame() + 1;
  if (frames_given) {
    if (c.frames < need) {
      const char* opt = L.has("duration") ? "--duration" : "--frames";
      throw UsageError(std::string(opt) + " gives " + std::to_string(c.frames) + " frames but the last --key is at frame " +
                       std::to_string(need - 1) + " (at least " + std::to_string(need) + " frames needed)");
    }
  } else {
    c.frames = need;
  }
  if (deep_keys(c, in_src, keys, texts)) return;
  // Every width key must resolve the sample grid around every centre the path visits (the centre
  // keys, or the base centre): the interpolation never leaves the keys' range.
  std::vector<std::pair<double, double>> centres;
  for (const Keyframe& k : path.keys)
    if (k.center_re) centres.emplace_back(*k.center_re, *k.center_im);
  if (centres.empty()) centres.emplace_back(0.5 * (c.view.xmin + c.view.xmax), 0.5 * (c.view.ymin + c.view.ymax));
  const std::vector<std::string> canon = path.key_texts();
  std::vector<double> widths;
  for (const Keyframe& k : path.keys)
    if (k.width) widths.push_back(*k.width);
  if (widths.empty()) widths.push_back(c.view.xmax - c.view.xmin);
  for (std::size_t i = 0; i < path.keys.size(); ++i) {
    const bool has_w = path.keys[i].width.has_value(), has_c = path.keys[i].center_re.has_value();
    if (!has_w && !has_c) continue;
    for (const double w : has_w ? std::vector<double>{*path.keys[i].width} : widths) {
      for (const auto& [cx, cy] : has_w ? centres : std::vector<std::pair<double, double>>{{*path.keys[i].center_re, *path.keys[i].center_im}}) {
        const double h = w * static_cast<double>(c.height) / static_cast<double>(c.width);
        const Bounds b{cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2};
        const double dx = (b.xmax - b.xmin) / c.sample_width(), dy = (b.ymax - b.ymin) / c.sample_height();
        if (!(dx > 0) || !(dy > 0) || b.xmin + 0.5 * dx == b.xmin + 1.5 * dx || b.ymax - 0.5 * dy == b.ymax - 1.5 * dy)
          throw UsageError(in_src("--key '" + canon[i] + "': width " + shortest_text(w) + " around centre " + shortest_text(cx) + "," + shortest_text(cy) +
                                  " is too narrow for " + std::to_string(c.sample_width()) + "x" +
                                  std::to_string(c.sample_height()) +
                                  " pixels in double precision (pixel centres coincide; --precision auto or perturbation renders it by perturbation)"));
      }
    }
  }
  // The largest per-frame max_iter: the budget is a monotone function of one track (max-iter keys,
  // or the width for the growth rule), whose extremes lie at its keys, so frame 0 and the key
  // frames suffice.
  const PathEvaluator eval(path, path_base(c));
  c.max_iter_peak = eval.at(0).max_iter;
  for (const Keyframe& k : path.keys) c.max_iter_peak = std::max(c.max_iter_peak, eval.at(k.frame).max_iter);
}

// What perturbation frames support (docs/FORMAT.md "Deep zoom"), and whether the reference orbits
// fit in memory: checked before anything is allocated.
void check_deep(const Config& c) {
  const std::string why = "this view needs perturbation (pixel spacing 2^" + std::to_string(c.pixel_spacing.e) + ")";
  if (c.family != Family::Multibrot || c.power != 2)
    throw UsageError(std::string("--family ") + family_name(c.family) + (c.family == Family::Multibrot ? " --power " + std::to_string(c.power) : "") +
                     " has no deep-zoom kernel; " + why + ", available for --family multibrot --power 2");
  if (c.fractal == Fractal::Mandelbrot && (c.z0_re != 0 || c.z0_im != 0))
    throw UsageError("--z0-re/--z0-im must be 0 for a deep view (" + why + "; rebasing restarts the orbit at z0 = 0)");
  if (c.c_im_increment != 0)
    throw UsageError("--c-im-increment: deep views keep Julia's c fixed (" + why +
                     "): each c would need its own reference orbits");
  // A keyframed path has a reference per distinct centre key at most (deep::plan_deep; more only
  // where it pans far at depth).
  std::uint64_t orbits = c.fractal == Fractal::Julia ? 2 : 1;
  if (!c.path.empty()) {
    std::vector<std::pair<std::string, std::string>> centres;
    for (const Keyframe& k : c.path.keys)
      if (k.center_re && std::find(centres.begin(), centres.end(), std::pair{k.center_re_text, k.center_im_text}) == centres.end())
        centres.emplace_back(k.center_re_text, k.center_im_text);
    orbits += centres.empty() ? 0 : centres.size() - 1;
  }
  const std::uint32_t budget = std::max(c.max_iter, c.max_iter_peak);
  const std::uint64_t bytes = orbits * deep::reference_bytes(budget, c.bla);
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const std::uint64_t mem = pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
  if (mem && bytes > mem / 2)
    throw UsageError("--max-iter " + std::to_string(budget) + " needs " + std::to_string(orbits) + " reference orbit" +
                     (orbits > 1 ? "s" : "") + " of " + std::to_string(bytes >> 20) + " MiB in all (" + std::to_string(deep::reference_bytes(0, c.bla)) + " bytes per iteration per rank" + (c.bla ? " with BLA" : "") + "), " +
                     "more than half this node's memory (" + std::to_string(mem >> 20) + " MiB)");
}

}  // namespace

deep::Method frame_method(Precision p, const deep::RealExp& dx, std::int64_t log2_magnitude) {
  const bool pert = p == Precision::Perturbation || (p == Precision::Auto && dx.e < log2_magnitude - 36);
  if (!pert) return deep::Method::Double;
  return dx.e >= deep::kDoubleDeltaLog2 ? deep::Method::PerturbDouble : deep::Method::PerturbExp;
}

std::string Config::resolved_text() const {
  std::ostringstream os;
  os << "fractal = " << fractal_name(fractal) << "\n";
  os << "family = " << family_name(family) << "\n";
  if (family == Family::Multibrot) os << "power = " << power << "\n";
  if (fractal == Fractal::Julia) {
    if (perturbation()) os << "c-re = " << c_re_text << "\nc-im = " << c_im_text << "\n";
    else os << "c-re = " << shortest_text(c_re) << "\nc-im = " << shortest_text(c_im) << "\n";
    if (path.empty()) os << "c-im-increment = " << shortest_text(c_im_increment) << "\n";
  } else {
    os << "z0-re = " << shortest_text(z0_re) << "\nz0-im = " << shortest_text(z0_im) << "\n";
  }
  os << "max-iter = " << max_iter << "\nescape-radius = " << shortest_text(escape_radius) << "\n";
  if (perturbation() && !center_re_text.empty()) {  // the texts exactly as given: no double could hold them
    os << "center-re = " << center_re_text << "\ncenter-im = " << center_im_text << "\n";
    if (!zoom_text.empty()) os << "zoom = " << zoom_text << "\n";
    else os << "view-width = " << view_width_text << "\n";
  } else {
    os << "xmin = " << shortest_text(view.xmin) << "\nxmax = " << shortest_text(view.xmax) << "\n";
    os << "ymin = " << shortest_text(view.ymin) << "\nymax = " << shortest_text(view.ymax) << "\n";
  }
  if (precision != Precision::Auto) os << "precision = " << precision_name(precision) << "\n";
  os << "width = " << width << "\nheight = " << height << "\n";
  if (rotation != 0) os << "rotation = " << shortest_text(rotation) << "\n";
  if (supersample != 1) os << "supersample = " << supersample << "\n";
  if (smooth) os << "smooth = true\n";
  if (distance) os << "distance = true\n";
  if (!zoom_sequence) os << "frames = " << frames << "\n";  // a zoom sequence derives its keyframes
  os << "fps = " << shortest_text(fps) << "\n";
  if (deep_zoom && path.empty() && !end_center_re_text.empty())  // a moving deep zoom: the end centre as text
    os << "end-center-re = " << end_center_re_text << "\nend-center-im = " << end_center_im_text << "\n";
  if (deep_zoom && path.empty()) {  // the end width as text
    if (!end_zoom_text.empty()) os << "end-zoom = " << end_zoom_text << "\n";
    else os << "end-view-width = " << end_view_width_text << "\n";
  }
  if (zoom_sequence) {
    os << "zoom-sequence = " << shortest_text(zoom_sequence) << "\n";
    if (sequence_duration) os << "duration = " << shortest_text(sequence_duration) << "\n";
  }
  if (end_max_iter_growth) os << "max-iter-growth = " << shortest_text(*end_max_iter_growth) << "\n";
  if (end_view) {
    os << "end-center-re = " << shortest_text(end_center_re) << "\n";
    os << "end-center-im = " << shortest_text(end_center_im) << "\n";
    os << "end-view-width = " << shortest_text(end_view_width) << "\n";
  }
  if (!path.empty()) {
    for (const std::string& k : path.key_texts(deep_zoom)) os << "key = " << k << "\n";
    os << "interp-center = " << interp_name(path.center) << "\n";
    os << "interp-width = " << interp_name(path.width) << "\n";
    os << "interp-rotation = " << interp_name(path.rotation) << "\n";
    if (fractal == Fractal::Julia) os << "interp-c = " << interp_name(path.c) << "\n";
    os << "interp-max-iter = " << interp_name(path.max_iter) << "\n";
    if (path.max_iter_growth) os << "max-iter-growth = " << shortest_text(*path.max_iter_growth) << "\n";
  }
  if (strip_rows) os << "strip-rows = " << strip_rows << "\n";
  os << "compression-level = " << compression_level << "\n";
  os << "kernel = " << kernel << "\n";
  if (!skip_interior) os << "no-interior-skip = true\n";
  if (!bla) os << "no-bla = true\n";
  return os.str();
}

ParseResult parse_config(int argc, const char* const* argv) {
  ParseResult result;
  const po::options_description visible = make_options();
  po::options_description all;
  all.add(visible).add(hidden_options());
  po::positional_options_description pos;
  pos.add("config", 1);

  po::variables_map cli, file;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), cli);
  } catch (const po::too_many_positional_options_error&) {
    throw UsageError("only one CONFIG.cfg may be given (unexpected extra argument; see --help)");
  } catch (const po::error& e) {
    throw UsageError(describe(e));
  }
  if (cli.count("help")) {
    std::ostringstream os;
    os << "Usage: fractal-render [CONFIG.cfg] [options] -o OUT.h5\n"
       << "Renders escape-time fractal counts into one HDF5 file (run under mpirun or srun).\n"
       << "Options may also be given in CONFIG.cfg as 'name = value' lines; the command line wins.\n"
       << visible
       << "\nExit status: 0 success (or OUT.h5 already complete), 1 runtime failure, 2 usage or configuration\n"
       << "error, 3 interrupted by a signal (run the same command again to resume).\n";
    result.help = true;
    result.help_text = os.str();
    return result;
  }

  std::string cfg_path;
  if (cli.count("config")) {
    cfg_path = cli["config"].as<std::string>();
    std::ifstream in(cfg_path);
    if (!in) throw UsageError("cannot read config file '" + cfg_path + "': " + std::strerror(errno));
    try {
      po::store(po::parse_config_file(in, all, /*allow_unregistered=*/false), file);
    } catch (const po::error& e) {
      throw UsageError(cfg_path + ": " + describe(e));
    }
    if (file.count("config") || file.count("help") || file.count("output"))
      throw UsageError(cfg_path + ": 'config', 'help' and 'output' belong on the command line");
  }
  const Lookup L(cli, file, cfg_path);
  Config& c = result.config;
  c.config_file = cfg_path;

  auto num = [&](const char* name, double lo, double hi, bool lo_open = false) -> std::optional<double> {
    auto v = L.get(name);
    if (!v) return std::nullopt;
    try {
      return parse_double(name, v->text, lo, hi, lo_open);
    } catch (const UsageError& e) {
      throw UsageError(std::string(e.what()) + (v->source.empty() ? "" : " (in " + v->source + ")"));
    }
  };
  auto integer = [&](const char* name, std::uint64_t lo, std::uint64_t hi) -> std::optional<std::uint64_t> {
    auto v = L.get(name);
    if (!v) return std::nullopt;
    try {
      return parse_uint(name, v->text, lo, hi);
    } catch (const UsageError& e) {
      throw UsageError(std::string(e.what()) + (v->source.empty() ? "" : " (in " + v->source + ")"));
    }
  };
  auto require_fractal = [&](const char* name, Fractal f) {
    if (L.has(name) && c.fractal != f)
      throw UsageError(std::string("--") + name + " applies only to --fractal " + fractal_name(f) +
                       " (this job is " + fractal_name(c.fractal) + ")");
  };

  c.print_config = L.flag("print-config");
  c.overwrite = L.flag("overwrite");
  c.skip_disk_check = L.flag("skip-disk-check");
  c.skip_interior = !L.flag("no-interior-skip");
  c.bla = !L.flag("no-bla");
  if (auto v = L.get("output")) {
    if (v->text.empty()) bad_value("output", "a file name", v->text);
    c.output = v->text;
  }

  if (!L.has("fractal") && L.has("location")) c.fractal = Fractal::Mandelbrot;  // location files are Mandelbrot views
  if (auto v = L.get("fractal")) {
    if (v->text == "julia") c.fractal = Fractal::Julia;
    else if (v->text == "mandelbrot") c.fractal = Fractal::Mandelbrot;
    else bad_value("fractal", "julia or mandelbrot", v->text);
  }
  if (auto v = L.get("family")) {
    if (v->text == "multibrot") c.family = Family::Multibrot;
    else if (v->text == "burning-ship") c.family = Family::BurningShip;
    else if (v->text == "tricorn") c.family = Family::Tricorn;
    else bad_value("family", "multibrot, burning-ship or tricorn", v->text);
  }
  if (auto v = integer("power", kMinPower, kMaxPower)) {
    if (c.family != Family::Multibrot)
      throw UsageError(std::string("--power applies only to --family multibrot (this job is ") + family_name(c.family) + ")");
    c.power = static_cast<std::uint32_t>(*v);
  }
  require_fractal("c-re", Fractal::Julia);
  require_fractal("c-im", Fractal::Julia);
  require_fractal("c-im-increment", Fractal::Julia);
  require_fractal("z0-re", Fractal::Mandelbrot);
  require_fractal("z0-im", Fractal::Mandelbrot);
  const double L6 = kCoordLimit;
  if (auto v = num("c-re", -L6, L6)) {
    c.c_re = *v;
    c.c_re_text = decimal_or(L.get("c-re")->text, *v);
  }
  if (auto v = num("c-im", -L6, L6)) {
    c.c_im = *v;
    c.c_im_text = decimal_or(L.get("c-im")->text, *v);
  }
  if (auto v = num("c-im-increment", -L6, L6)) c.c_im_increment = *v;
  if (auto v = num("z0-re", -L6, L6)) c.z0_re = *v;
  if (auto v = num("z0-im", -L6, L6)) c.z0_im = *v;
  // --location FILE: the centre, zoom and iterations of a .kfr / .toml file, below every option.
  std::optional<Location> loc;
  if (auto v = L.get("location")) {
    try {
      loc = read_location_file(v->text);
    } catch (const UsageError& e) {
      throw UsageError(std::string(e.what()) + (v->source.empty() ? "" : " (in " + v->source + ")"));
    }
  }
  if (auto v = integer("max-iter", 1, 4294967295ull)) c.max_iter = static_cast<std::uint32_t>(*v);
  else if (loc && loc->iterations) c.max_iter = *loc->iterations;
  if (auto v = num("escape-radius", 0.0, 1e150, true)) c.escape_radius = *v;

  // View: bounds, or centre + width, or the fractal's default.
  const bool any_bounds = L.has("xmin") || L.has("xmax") || L.has("ymin") || L.has("ymax");
  const bool any_centre = L.has("center-re") || L.has("center-im") || L.has("view-width") || L.has("zoom") || loc;
  if (any_bounds && any_centre)
    throw UsageError(std::string("give the view either as --xmin/--xmax/--ymin/--ymax or as --center-re/--center-im/--view-width (or --zoom") +
                     (loc ? ", or --location" : "") + "), not both");
  for (const char* n : {"xmin", "xmax", "ymin", "ymax"})
    if (any_bounds && !L.has(n)) throw UsageError(std::string("--") + n + " is missing: a view given by bounds needs all of --xmin --xmax --ymin --ymax");
  if (L.has("view-width") && L.has("zoom")) throw UsageError("give --view-width or --zoom, not both");
  if (any_centre && !loc) {
    for (const char* n : {"center-re", "center-im"})
      if (!L.has(n)) throw UsageError(std::string("--") + n + " is missing: a view given by centre needs --center-re --center-im --view-width (or --zoom)");
    if (!L.has("view-width") && !L.has("zoom"))
      throw UsageError("--view-width is missing: a view given by centre needs --center-re --center-im --view-width (or --zoom)");
  }

  // Sizes.
  std::optional<std::uint64_t> w = integer("width", 1, 65536), h = integer("height", 1, 65536);
  if (auto n = integer("num-steps", 1, 65536)) {
    // The command line wins over the file; within one source the two spellings conflict.
    const bool steps_cli = L.get("num-steps")->source.empty();
    const bool size_cli = (L.has("width") && L.get("width")->source.empty()) ||
                          (L.has("height") && L.get("height")->source.empty());
    if ((w || h) && (size_cli || !steps_cli))
      throw UsageError("--num-steps sets both --width and --height; give one or the other");
    w = h = n;
  }

  if (any_bounds) {
    c.view = {*num("xmin", -L6, L6), *num("xmax", -L6, L6), *num("ymin", -L6, L6), *num("ymax", -L6, L6)};
    if (!(c.view.xmin < c.view.xmax))
      throw UsageError("--xmin must be less than --xmax, got xmin=" + shortest_text(c.view.xmin) + " xmax=" + shortest_text(c.view.xmax));
    if (!(c.view.ymin < c.view.ymax))
      throw UsageError("--ymin must be less than --ymax, got ymin=" + shortest_text(c.view.ymin) + " ymax=" + shortest_text(c.view.ymax));
  } else if (!any_centre) {
    c.view = c.fractal == Fractal::Julia ? Bounds{-1.8, 1.8, -1.8, 1.8} : Bounds{-2.0, 0.5, -1.25, 1.25};
  }
  if (any_centre) {
    // The centre and width as text (deep zoom: any length, any exponent), and as doubles for the
    // double path and the stored bounds. Each option wins over --location's value.
    auto text_of = [&](const char* name, const std::string* from_loc) -> std::string {
      if (auto v = L.get(name)) {
        try {
          return check_decimal(std::string("--") + name, v->text);
        } catch (const UsageError& e) {
          throw UsageError(std::string(e.what()) + (v->source.empty() ? "" : " (in " + v->source + ")"));
        }
      }
      return from_loc ? *from_loc : std::string();
    };
    c.center_re_text = text_of("center-re", loc ? &loc->re : nullptr);
    c.center_im_text = text_of("center-im", loc ? &loc->im : nullptr);
    const bool width_given = L.has("view-width");
    c.zoom_text = width_given ? "" : text_of("zoom", loc ? &loc->zoom : nullptr);
    const double cx = L.has("center-re") ? *num("center-re", -L6, L6) : std::strtod(c.center_re_text.c_str(), nullptr);
    const double cy = L.has("center-im") ? *num("center-im", -L6, L6) : std::strtod(c.center_im_text.c_str(), nullptr);
    for (const auto& [name, text] : {std::pair{"--center-re", &c.center_re_text}, std::pair{"--center-im", &c.center_im_text}})
      if (!decimal_is_zero(*text) && decimal_exponent10(*text) >= 6)
        throw UsageError(std::string(name) + " " + quote_text(*text, 60) + " is beyond the coordinate limit 1e6" +
                         (loc ? " (from --location '" + loc->path + "')" : ""));
    if (!w) w = 1024;
    if (!h) h = *w;
    double vw = 0;  // the width in double; 0 when it is below double's range (perturbation only)
    if (width_given) {
      const std::string t = text_of("view-width", nullptr);
      if (!decimal_is_zero(t) && !decimal_is_negative(t) && decimal_exponent10(t) < -300) {
        if (decimal_exponent10(t) < -kMaxDecimalExponent + 10)
          throw UsageError("--view-width " + quote_text(t, 60) + " is beyond the deepest supported view (1e-" +
                           std::to_string(kMaxDecimalExponent - 10) + ")");
      } else {
        vw = *num("view-width", 0.0, 2 * L6, true);
      }
      c.view_width_text = t;
    } else {
      const std::string& z = c.zoom_text;
      const std::string src = L.has("zoom") ? "--zoom" : "--location '" + loc->path + "' zoom";
      if (decimal_is_zero(z) || decimal_is_negative(z))
        throw UsageError(src + " must be a positive decimal number, got " + quote_text(z, 60));
      if (decimal_exponent10(z) < -5) throw UsageError(src + " " + quote_text(z, 60) + " makes the view wider than 2e6");
      if (decimal_exponent10(z) > kMaxDecimalExponent - 10)
        throw UsageError(src + " " + quote_text(z, 60) + " is beyond the deepest supported view (1e" +
                         std::to_string(kMaxDecimalExponent - 10) + ")");
      c.view_width_text = deep::width_from_zoom(z, static_cast<std::uint32_t>(*w), static_cast<std::uint32_t>(*h));
      const double zd = std::strtod(z.c_str(), nullptr);
      vw = std::isfinite(zd) && zd > 0 ? 4.0 / zd * static_cast<double>(*w) / static_cast<double>(*h) : 0.0;
    }
    const double vh = vw * static_cast<double>(*h) / static_cast<double>(*w);
    c.view = {cx - vw / 2, cx + vw / 2, cy - vh / 2, cy + vh / 2};
    // Whether the double path can resolve this view is decided below, once the sample grid is
    // known (--precision); the bounds must be valid --xmin.. values either way.
    if (std::max({std::fabs(c.view.xmin), std::fabs(c.view.xmax), std::fabs(c.view.ymin), std::fabs(c.view.ymax)}) > L6)
      throw UsageError("--center-re " + shortest_text(cx) + " --center-im " + shortest_text(cy) + " --view-width " + shortest_text(vw) +
                       " reach beyond the coordinate limit 1e6 (view [" + shortest_text(c.view.xmin) + ", " + shortest_text(c.view.xmax) +
                       "] x [" + shortest_text(c.view.ymin) + ", " + shortest_text(c.view.ymax) + "])");
  } else {
    const double aspect = (c.view.ymax - c.view.ymin) / (c.view.xmax - c.view.xmin);
    if (!w && !h) w = 1024;
    if (!h) h = std::clamp<double>(std::llround(static_cast<double>(*w) * aspect), 1.0, 65536.0);
    if (!w) w = std::clamp<double>(std::llround(static_cast<double>(*h) / aspect), 1.0, 65536.0);
  }
  c.width = static_cast<std::uint32_t>(*w);
  c.height = static_cast<std::uint32_t>(*h);
  if (auto v = num("rotation", -1e6, 1e6)) c.rotation = *v;
  c.smooth = L.flag("smooth");
  c.distance = L.flag("distance");
  if (c.distance && c.family != Family::Multibrot)
    throw UsageError(std::string("--distance applies only to --family multibrot (the distance estimate needs a complex derivative; this job is ") +
                     family_name(c.family) + ")");
  c.preview = L.flag("preview");
  std::uint64_t preview_size = 320;
  if (auto v = integer("preview-size", 16, 4096)) {
    if (!c.preview) throw UsageError("--preview-size applies only with --preview");
    preview_size = *v;
  }
  if (auto v = integer("supersample", 1, 16)) c.supersample = static_cast<std::uint32_t>(*v);
  if (c.preview) {
    // Same view and path, fewer pixels (aspect kept), no supersampling. Every iteration budget
    // (--max-iter, keys, --max-iter-growth) stays as asked: a smaller budget would turn deep
    // frames into one flat colour (all pixels at max_iter), so the preview would not show the path.
    const std::uint32_t longest = std::max(c.width, c.height);
    if (longest > preview_size) {
      const double f = static_cast<double>(preview_size) / longest;
      c.width = static_cast<std::uint32_t>(std::max<long long>(1, std::llround(c.width * f)));
      c.height = static_cast<std::uint32_t>(std::max<long long>(1, std::llround(c.height * f)));
    }
    c.supersample = 1;
  }
  if (std::uint64_t{c.width} * c.supersample > 65536 || std::uint64_t{c.height} * c.supersample > 65536)
    throw UsageError("--supersample " + std::to_string(c.supersample) + " makes the stored grid " +
                     std::to_string(std::uint64_t{c.width} * c.supersample) + "x" +
                     std::to_string(std::uint64_t{c.height} * c.supersample) + " samples; at most 65536 each way");
  // How the frames are computed (docs/FORMAT.md "Deep zoom"): --precision, or auto's rule:
  // perturbation when the pixel spacing is finer than 2^-36 of the centre's magnitude (at least
  // 1), i.e. when a pixel's offset would keep fewer than 17 of double's 53 bits; double iteration
  // drifts visibly from there on (seahorse valley at width 1e-9, 200 pixels: 5% of the counts).
  if (auto v = L.get("precision")) {
    if (v->text == "auto") c.precision = Precision::Auto;
    else if (v->text == "double") c.precision = Precision::Double;
    else if (v->text == "perturbation") c.precision = Precision::Perturbation;
    else bad_value("precision", "auto, double or perturbation", v->text);
  }
  const bool centre_view = !c.center_re_text.empty();
  if (centre_view) {
    if (!deep::pixel_spacing(c.view_width_text, "", c.sample_width(), c.sample_height(), c.pixel_spacing))
      throw UsageError("--view-width " + quote_text(c.view_width_text, 60) + " is not a positive number");
    const double mag = std::max({1.0, std::fabs(0.5 * (c.view.xmin + c.view.xmax)), std::fabs(0.5 * (c.view.ymin + c.view.ymax))});
    c.log2_magnitude = static_cast<std::int64_t>(std::ceil(std::log2(mag)));
    c.method = frame_method(c.precision, c.pixel_spacing, c.log2_magnitude);
  } else if (c.precision == Precision::Perturbation) {
    throw UsageError("--precision perturbation needs a view given by its centre (--center-re --center-im with --view-width or --zoom, or --location)");
  }
  if (!c.perturbation()) {
    // Every pixel (sample) centre must be a distinct, finite point (DESIGN.md pixel mapping).
    const double dx = (c.view.xmax - c.view.xmin) / c.sample_width(), dy = (c.view.ymax - c.view.ymin) / c.sample_height();
    if (!(dx > 0) || !(dy > 0) || c.view.xmin + 0.5 * dx == c.view.xmin + 1.5 * dx ||
        c.view.ymax - 0.5 * dy == c.view.ymax - 1.5 * dy)
      throw UsageError("the view is too narrow for " + std::to_string(c.sample_width()) + "x" + std::to_string(c.sample_height()) +
                       " pixels in double precision (pixel centres coincide)" +
                       (centre_view ? "; --precision auto or perturbation renders it by perturbation" : ""));
  }

  // Animation.
  if (auto f = num("fps", 0.0, 1000.0, true)) c.fps = *f;
  // --zoom-sequence R (docs/ANIMATION.md "Exponential map"): the frames are keyframes, each R times
  // narrower than the one before; --duration is then the composed video's.
  if (auto r = num("zoom-sequence", 1.0, 1e6, true)) {
    c.zoom_sequence = *r;
    if (L.has("frames"))
      throw UsageError("--frames and --zoom-sequence cannot be combined: a zoom sequence has one keyframe per factor " + shortest_text(*r) +
                       " of zoom (give the video's length to --duration or to fractal-colour)");
    if (!centre_view)
      throw UsageError("--zoom-sequence needs a view given by its centre (--center-re --center-im with --view-width or --zoom, or --location)");
    if (!L.has("end-view-width") && !L.has("end-zoom"))
      throw UsageError("--zoom-sequence " + shortest_text(*r) + " needs the zoom's end: --end-view-width or --end-zoom");
  }
  const bool frames_given = !c.zoom_sequence && (L.has("frames") || L.has("duration"));
  if (auto n = integer("frames", 1, 1000000)) c.frames = *n;
  if (c.zoom_sequence) {
    if (auto d = num("duration", 0.0, 1e7, true)) c.sequence_duration = *d;
  } else if (auto d = num("duration", 0.0, 1e7, true)) {
    const double n = std::round(*d * c.fps);
    if (!(n >= 1 && n <= 1e6))
      throw UsageError("--duration " + shortest_text(*d) + " at " + shortest_text(c.fps) + " fps gives " + shortest_text(n) +
                       " frames; must be 1..1000000");
    c.frames = static_cast<std::uint64_t>(n);
  }
  const bool any_end = L.has("end-center-re") || L.has("end-center-im") || L.has("end-view-width") || L.has("end-zoom");
  // A view given by its centre may zoom as deep as a still (docs/ANIMATION.md "Deep zooms"): the end
  // width as text, and when some frame needs perturbation, a zoom into the fixed centre.
  bool deep_end = false;
  if (any_end && centre_view) {
    if (L.has("end-view-width") && L.has("end-zoom"))
      throw UsageError("--end-view-width and --end-zoom cannot be combined: give the last frame's width or its zoom");
    if (!L.has("end-view-width") && !L.has("end-zoom"))
      throw UsageError("--end-view-width (or --end-zoom) is missing: a pan/zoom needs the last frame's width");
    if (L.has("end-center-re") != L.has("end-center-im"))
      throw UsageError(std::string("--") + (L.has("end-center-re") ? "end-center-im" : "end-center-re") +
                       " is missing: give both --end-center-re and --end-center-im, or neither to keep the centre");
    auto text_opt = [&](const char* name) {
      const auto v = L.get(name);
      try {
        return check_decimal(std::string("--") + name, v->text);
      } catch (const UsageError& e) {
        throw UsageError(std::string(e.what()) + (v->source.empty() ? "" : " (in " + v->source + ")"));
      }
    };
    std::string ew;
    if (L.has("end-view-width")) {
      ew = text_opt("end-view-width");
      if (decimal_is_zero(ew) || decimal_is_negative(ew))
        throw UsageError("--end-view-width must be a positive decimal number, got " + quote_text(ew, 60));
      if (decimal_exponent10(ew) < -kMaxDecimalExponent + 10)
        throw UsageError("--end-view-width " + quote_text(ew, 60) + " is beyond the deepest supported view (1e-" +
                         std::to_string(kMaxDecimalExponent - 10) + ")");
      if (decimal_exponent10(ew) >= 7) throw UsageError("--end-view-width " + quote_text(ew, 60) + " is wider than 2e6");
    } else {
      c.end_zoom_text = text_opt("end-zoom");
      const std::string& z = c.end_zoom_text;
      if (decimal_is_zero(z) || decimal_is_negative(z))
        throw UsageError("--end-zoom must be a positive decimal number, got " + quote_text(z, 60));
      if (decimal_exponent10(z) < -5) throw UsageError("--end-zoom " + quote_text(z, 60) + " makes the view wider than 2e6");
      if (decimal_exponent10(z) > kMaxDecimalExponent - 10)
        throw UsageError("--end-zoom " + quote_text(z, 60) + " is beyond the deepest supported view (1e" +
                         std::to_string(kMaxDecimalExponent - 10) + ")");
      ew = deep::width_from_zoom(z, c.width, c.height);
    }
    std::string finest = ew;  // the last frame's width
    if (c.zoom_sequence) {
      const double decades = deep::zoom_decades(c.view_width_text, ew);
      const double k = std::ceil(decades / std::log10(c.zoom_sequence) - 1e-9);
      if (!(decades > 0))
        throw UsageError("--zoom-sequence zooms in: the end width " + quote_text(ew, 40) + " must be narrower than the start " +
                         quote_text(c.view_width_text, 40));
      if (!(k + 1 <= 1e6))
        throw UsageError("--zoom-sequence " + shortest_text(c.zoom_sequence) + " needs " + shortest_text(k + 1) + " keyframes for " + shortest_text(decades) +
                         " decades of zoom; at most 1000000");
      c.frames = static_cast<std::uint64_t>(std::max(1.0, k)) + 1;
      finest = deep::sequence_width_text(c.view_width_text, c.zoom_sequence, c.frames - 1);
    }
    deep::RealExp end_dx;
    if (!deep::pixel_spacing(finest, "", c.sample_width(), c.sample_height(), end_dx))
      throw UsageError("--end-view-width " + quote_text(ew, 60) + " is not a positive number");
    deep_end = frame_method(c.precision, end_dx, c.log2_magnitude) != deep::Method::Double;
    if (c.perturbation() || deep_end || c.zoom_sequence) {
      // Perturbation at some frame: a zoom on one reference orbit, into the fixed centre, or towards
      // an end centre by the "zoom" rule (deep::zoom_centre_text; the reference is the end centre's).
      if (L.has("end-center-re")) {
        const std::string re = text_opt("end-center-re"), im = text_opt("end-center-im");
        for (const auto& [name, text] : {std::pair{"--end-center-re", &re}, std::pair{"--end-center-im", &im}})
          if (!decimal_is_zero(*text) && decimal_exponent10(*text) >= 6)
            throw UsageError(std::string(name) + " " + quote_text(*text, 60) + " is beyond the coordinate limit 1e6");
        if (!deep::decimal_equal(re, c.center_re_text) || !deep::decimal_equal(im, c.center_im_text)) {
          c.end_center_re_text = re;
          c.end_center_im_text = im;
          const double mag = std::max({1.0, std::fabs(std::strtod(re.c_str(), nullptr)), std::fabs(std::strtod(im.c_str(), nullptr))});
          c.log2_magnitude = std::max(c.log2_magnitude, static_cast<std::int64_t>(std::ceil(std::log2(mag))));
        }
      }
      c.deep_zoom = true;
      c.end_view_width_text = ew;
      if (c.perturbation() || deep_end) {
        if (!c.perturbation() || end_dx.e < c.pixel_spacing.e) c.pixel_spacing = end_dx;  // the finest frame's
        c.method = frame_method(Precision::Perturbation, c.pixel_spacing, c.log2_magnitude);
      }
    }
  }
  if (any_end && !c.deep_zoom) {
    if (L.has("end-zoom") && !centre_view)
      throw UsageError("--end-zoom needs a view given by its centre (--center-re --center-im with --view-width or --zoom, or --location)");
    if (!centre_view) {
      for (const char* n : {"end-center-re", "end-center-im", "end-view-width"})
        if (!L.has(n)) throw UsageError(std::string("--") + n + " is missing: a pan/zoom needs --end-center-re --end-center-im --end-view-width");
    }
    const double cx = L.has("end-center-re") ? *num("end-center-re", -L6, L6) : 0.5 * (c.view.xmin + c.view.xmax);
    const double cy = L.has("end-center-im") ? *num("end-center-im", -L6, L6) : 0.5 * (c.view.ymin + c.view.ymax);
    double vw = 0;
    if (L.has("end-view-width")) {
      vw = *num("end-view-width", 0.0, 2 * L6, true);
    } else {
      const double zd = std::strtod(c.end_zoom_text.c_str(), nullptr);
      vw = 4.0 / zd * static_cast<double>(c.width) / static_cast<double>(c.height);
    }
    const double aspect = (c.view.ymax - c.view.ymin) / (c.view.xmax - c.view.xmin);
    const double vh = vw * aspect;
    c.end_view = Bounds{cx - vw / 2, cx + vw / 2, cy - vh / 2, cy + vh / 2};
    c.end_center_re = cx;
    c.end_center_im = cy;
    c.end_view_width = vw;
    const double edx = vw / c.sample_width();
    if (!(c.end_view->xmin < c.end_view->xmax) || cx - vw / 2 + 0.5 * edx == cx - vw / 2 + 1.5 * edx)
      throw UsageError("--end-view-width " + shortest_text(vw) + " is too narrow for " + std::to_string(c.width) +
                       " pixels in double precision" +
                       (centre_view ? std::string(" (--precision auto or perturbation zooms deeper by perturbation)")
                                    : std::string(" (a view given by --xmin.. bounds pans and zooms in double; give it by its centre to zoom deeper)")));
  }

  parse_keyframes(c, cli, file, cfg_path, L, any_end, frames_given);
  if (c.perturbation()) check_deep(c);

  // Run settings.
  if (auto v = integer("strip-rows", 1, 65536)) c.strip_rows = static_cast<std::uint32_t>(*v);
  // Deep stills: a pixel costs thousands to millions of iterations, so even a small frame is cut
  // into at least 512 strips (one row each below 512 rows), for the ranks to share it evenly.
  if (c.perturbation() && !c.deep_zoom && c.strip_rows == 0) c.strip_rows = std::max<std::uint32_t>(1, (c.sample_height() + 511) / 512);
  if (auto v = integer("compression-level", 0, 9)) c.compression_level = static_cast<int>(*v);
  if (auto v = num("progress-interval", 0.0, 86400.0, true)) c.progress_interval = *v;
  if (auto v = L.get("kernel")) {
    if (v->text != "auto" && v->text != "scalar" && v->text != "avx2" && v->text != "avx512")
      bad_value("kernel", "auto, scalar, avx2 or avx512", v->text);
    c.kernel = v->text;
  }

  // Sizes: frames x width x height x bytes cannot overflow 64 bits within the limits above
  // (1e6 x 65536^2 x 4 < 2^64); one frame of counts must fit in this node's memory.
  const std::uint64_t frame_bytes = std::uint64_t{c.sample_width()} * c.sample_height() * c.count_bytes();
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0 && frame_bytes > static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page))
    throw UsageError("--width " + std::to_string(c.width) + " x --height " + std::to_string(c.height) +
                     (c.supersample > 1 ? " x --supersample^2 " + std::to_string(c.supersample * c.supersample) : std::string()) +
                     ": one frame of counts (" + std::to_string(frame_bytes) + " bytes) exceeds this node's memory");
  if (!c.print_config && c.output.empty()) throw UsageError("--output (-o OUT.h5) is required");
  return result;
}

}  // namespace fractal
