#include "fractal/colour/options.hpp"

#include <boost/program_options.hpp>

#include <charconv>
#include <sstream>

#include "fractal/colour/colormap.hpp"
#include "fractal/error.hpp"
#include "fractal/config/parse.hpp"

namespace po = boost::program_options;

namespace fractal::colour {

namespace {

FrameRange parse_frames(const std::string& text) {
  FrameRange r;
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
  if (!text.empty() && text.back() == ':') parts.push_back("");
  auto field = [&](const std::string& s) -> std::optional<std::uint64_t> {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
      throw UsageError("--frames must be A:B[:STEP] or N with non-negative integers, got '" + text + "'");
    return v;
  };
  if (text.empty() || parts.empty() || parts.size() > 3)
    throw UsageError("--frames must be A:B[:STEP] or N with non-negative integers, got '" + text + "'");
  if (parts.size() == 1) {
    r.begin = field(parts[0]);
    r.end = *r.begin + 1;
    return r;
  }
  r.begin = field(parts[0]);
  r.end = field(parts[1]);
  if (parts.size() == 3) {
    auto s = field(parts[2]);
    if (!s || *s == 0) throw UsageError("--frames STEP must be a positive integer, got '" + text + "'");
    r.step = *s;
  }
  return r;
}

}  // namespace

RGB parse_colour(const std::string& t, const RGB& top, const RGB& bottom, const char* option) {
  auto bad = [&] {
    throw UsageError(std::string("--") + option + " must be top, bottom, black, white, #rrggbb or R,G,B (0..255), got '" + t + "'");
  };
  if (t == "top") return top;
  if (t == "bottom") return bottom;
  if (t == "black") return {0, 0, 0};
  if (t == "white") return {1, 1, 1};
  if (t.size() == 7 && t[0] == '#') {
    unsigned v[3];
    for (int i = 0; i < 3; ++i) {
      auto [p, ec] = std::from_chars(t.data() + 1 + 2 * i, t.data() + 3 + 2 * i, v[i], 16);
      if (ec != std::errc() || p != t.data() + 3 + 2 * i) bad();
    }
    return {v[0] / 255.0f, v[1] / 255.0f, v[2] / 255.0f};
  }
  std::stringstream ss(t);
  std::string part;
  float c[3];
  int n = 0;
  while (std::getline(ss, part, ',')) {
    if (n == 3) bad();
    unsigned v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() || v > 255) bad();
    c[n++] = v / 255.0f;
  }
  if (n != 3) bad();
  return {c[0], c[1], c[2]};
}

ColourOptions parse_colour_options(int argc, const char* const* argv) {
  ColourOptions o;
  auto s = [] { return po::value<std::string>(); };
  po::options_description out("Output");
  out.add_options()
      ("help,h", "print this help and exit")
      ("info", "print what the file holds (frames, size, views, max_iter, completeness, provenance) and exit")
      ("png", s()->value_name("OUT.png"), "write the one selected frame as a PNG")
      ("png-dir", s()->value_name("DIR"), "write every selected frame as DIR/frame_NNNNN.png (created if missing)")
      ("video", s()->value_name("OUT.mp4"), "encode the selected frames as a video (.mp4 for h264/h265, .webm for vp9)")
      ("exr", s()->value_name("DIR"), "write every selected frame's raw data as DIR/frame_NNNNN.exr (OpenEXR, Kalles Fraktaler's channels: "
                                       "N = count + 1024 or 0xFFFFFFFF, NF from /smooth, DEX/DEY from /distance; the full stored sample grid, never downscaled)")
      ("exr-compression", s()->value_name("NAME"), "--exr compression: zip (default), zips, piz or none")
      ("overwrite", "replace existing outputs (default: refuse)")
      ("frames", s()->value_name("A:B[:STEP]"), "frames A, A+STEP, ... before B (default: all); N alone selects frame N")
      ("allow-partial", "colour an incomplete file; missing chunks are shown in flat grey")
      ("progress-interval", s()->value_name("S"), "seconds between progress lines when stdout is not a terminal (default: 5)");
  po::options_description col("Colour");
  col.add_options()
      ("cmap", s()->value_name("NAME"), "viridis (default), plasma, inferno, magma, cividis, twilight, twilight_shifted, turbo, gray; NAME_r reversed")
      ("cmap-file", s()->value_name("FILE"), "custom colour stops, one 'position r g b' line each (all in [0, 1])")
      ("norm", s()->value_name("NAME"), "linear (count/max_iter), log (log1p), histogram (equalised over all selected frames), histogram-per-frame, cycle (by absolute count); "
                                        "from /smooth (render with --smooth): smooth (smooth/max_iter, no bands), smooth-log, smooth-cycle, "
                                        "smooth-histogram (smooth values equalised over all selected frames: no bands, no flicker). "
                                        "Default: smooth-histogram for a file with /smooth whose frames are a deep zoom (a perturbation frame, "
                                        "or frames of different view widths), linear otherwise")
      ("cycle-period", s()->value_name("N"), "cycle, smooth-cycle: iterations per palette repeat (default: 64); the phase follows the absolute count, so it is continuous across frames of any max_iter")
      ("cycle-speed", s()->value_name("D"), "cycle, smooth-cycle: phase shift in iterations per frame (default: 0)")
      ("boundary", s()->value_name("W"), "paint exterior pixels closer to the set than W samples (by /distance; render with --distance) in --boundary-colour")
      ("boundary-colour", s()->value_name("COLOUR"), "colour of --boundary lines: black (default), white, #rrggbb, R,G,B, top, bottom")
      ("interior", s()->value_name("COLOUR"), "colour of points that never escaped: top (default: the colormap's top colour), bottom, black, white, #rrggbb, R,G,B")
      ("downscale", s()->value_name("K"), "average K x K blocks after colouring (supersampling anti-aliasing; default: the file's --supersample factor, 1 keeps every sample)")
      ("png16", "16-bit PNGs (default: 8-bit)");
  po::options_description vid("Video");
  vid.add_options()
      ("codec", s()->value_name("NAME"), "h264 (default, MP4), h265 (MP4), vp9 (WebM); always yuv420p")
      ("crf", s()->value_name("Q"), "constant rate factor: lower is better (default: 18; h264/h265 0..51, vp9 0..63)")
      ("preset", s()->value_name("NAME"), "x264/x265 speed preset (default: medium)")
      ("fps", s()->value_name("F"), "frames per second (default: the file's)")
      ("threads", s()->value_name("N"), "encoder threads (default: 0 = automatic)");
  po::options_description seq("Zoom sequences (fractal-render --zoom-sequence: exponential map)");
  seq.add_options()
      ("duration", s()->value_name("S"), "length of the composed zoom video in seconds: round(S x fps) frames, --frames selects among them (default: the render's --duration, else 1 s per keyframe step)")
      ("keyframes", "colour the keyframes themselves instead of composing the zoom's video frames from them");
  po::options_description all;
  all.add(out).add(col).add(vid).add(seq);
  po::options_description hidden;
  hidden.add_options()("input", s());
  po::options_description parse_all;
  parse_all.add(all).add(hidden);
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(parse_all).positional(pos).run(), vm);
  } catch (const po::too_many_positional_options_error&) {
    throw UsageError("only one input file may be given (unexpected extra argument; see --help)");
  } catch (const po::unknown_option& e) {
    throw UsageError("unknown option '" + e.get_option_name() + "' (see --help)");
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (vm.count("help")) {
    std::ostringstream os;
    os << "Usage: fractal-colour IN.h5 [--png OUT.png | --png-dir DIR] [--video OUT.mp4] [--exr DIR] [options]\n"
       << "Colours the counts stored by fractal-render (never recomputes) into PNG images and video;\n"
       << "--exr exports the raw counts (and /smooth, /distance) as OpenEXR files for other colouring tools.\n"
       << all << "\nExit status: 0 success, 1 runtime failure (bad or unreadable file, write error), 2 usage error.\n";
    o.help = true;
    o.help_text = os.str();
    return o;
  }
  auto str = [&](const char* name) { return vm.count(name) ? vm[name].as<std::string>() : std::string(); };
  if (!vm.count("input")) throw UsageError("an input file IN.h5 is required (see --help)");
  o.input = str("input");
  o.png = str("png");
  o.png_dir = str("png-dir");
  o.video = str("video");
  o.exr_dir = str("exr");
  for (const char* n : {"png", "png-dir", "video", "exr"})
    if (vm.count(n) && str(n).empty()) throw UsageError(std::string("--") + n + " needs a path, got ''");
  o.info = vm.count("info") > 0;
  o.overwrite = vm.count("overwrite") > 0;
  o.allow_partial = vm.count("allow-partial") > 0;
  o.png16 = vm.count("png16") > 0;
  if (vm.count("frames")) o.frames = parse_frames(str("frames"));
  if (vm.count("cmap") && vm.count("cmap-file")) throw UsageError("give --cmap or --cmap-file, not both");
  if (vm.count("cmap")) o.cmap = str("cmap");
  o.cmap_file = str("cmap-file");
  if (vm.count("norm")) {
    o.norm.norm = norm_from_name(str("norm"));
    o.norm_given = true;
  }
  if (vm.count("cycle-period")) o.norm.cycle_period = parse_double("cycle-period", str("cycle-period"), 0, 1e9, true);
  if (vm.count("cycle-speed")) o.norm.cycle_speed = parse_double("cycle-speed", str("cycle-speed"), -1e9, 1e9);
  if (vm.count("interior")) o.interior = str("interior");
  if (vm.count("downscale")) {
    o.downscale = static_cast<std::uint32_t>(parse_uint("downscale", str("downscale"), 1, 64));
    o.downscale_given = true;
  }
  if (vm.count("boundary")) o.boundary = parse_double("boundary", str("boundary"), 0, 1e9, true);
  if (vm.count("boundary-colour")) {
    if (!vm.count("boundary")) throw UsageError("--boundary-colour applies only with --boundary");
    o.boundary_colour = str("boundary-colour");
    parse_colour(o.boundary_colour, RGB{}, RGB{}, "boundary-colour");  // checked here: one line, exit 2
  }
  if (vm.count("progress-interval")) o.progress_interval = parse_double("progress-interval", str("progress-interval"), 0, 86400, true);
  VideoSettings& v = o.video_settings;
  if (vm.count("codec")) {
    v.codec = str("codec");
    if (v.codec != "h264" && v.codec != "h265" && v.codec != "vp9") bad_value("codec", "h264, h265 or vp9", v.codec);
  }
  if (vm.count("crf")) v.crf = static_cast<int>(parse_uint("crf", str("crf"), 0, v.codec == "vp9" ? 63 : 51));
  if (vm.count("preset")) v.preset = str("preset");
  if (vm.count("fps")) {
    v.fps = parse_double("fps", str("fps"), 0, 1000, true);
    o.fps_given = true;
  }
  if (vm.count("duration")) o.duration = parse_double("duration", str("duration"), 0, 1e7, true);
  o.keyframes = vm.count("keyframes") > 0;
  if (vm.count("threads")) v.threads = static_cast<int>(parse_uint("threads", str("threads"), 0, 256));
  if (vm.count("exr-compression")) {
    if (!vm.count("exr")) throw UsageError("--exr-compression applies only with --exr");
    o.exr_compression = exr_compression_from_name(str("exr-compression"));
  }
  if (!o.info && o.png.empty() && o.png_dir.empty() && o.video.empty() && o.exr_dir.empty())
    throw UsageError("nothing to do: give --png, --png-dir, --video, --exr or --info");
  if (!o.png.empty() && !o.png_dir.empty()) throw UsageError("give --png (one frame) or --png-dir (many), not both");
  return o;
}

}  // namespace fractal::colour
