// fractal-colour: read a fractal-render file, colour its counts, write PNGs and/or a video.
extern "C" {
#include <libavutil/log.h>
}

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <unistd.h>

#include <ImfThreading.h>

#include "fractal/colour/colormap.hpp"
#include "fractal/colour/compose.hpp"
#include "fractal/colour/exr.hpp"
#include "fractal/colour/image.hpp"
#include "fractal/colour/normalize.hpp"
#include "fractal/colour/options.hpp"
#include "fractal/colour/pipeline.hpp"
#include "fractal/colour/reader.hpp"
#include "fractal/colour/video.hpp"
#include "fractal/error.hpp"
#include "fractal/run/progress.hpp"

using namespace fractal;
using namespace fractal::colour;
namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
constexpr RGB kMissingColour{0.5f, 0.5f, 0.5f};  // --allow-partial: strips not on disk
extern "C" void on_signal(int) { g_interrupted = 1; }

void print_info(const FileInfo& in) {
  std::printf("file          %s\n", in.path.c_str());
  std::printf("format        fractal-hpc version %d, written by fractal-render %s on %s\n", in.format_version,
              in.software_version.c_str(), in.created.c_str());
  std::printf("complete      %s (%llu of %llu chunks on disk)\n", in.complete ? "yes" : "NO",
              static_cast<unsigned long long>(in.chunks_done()), static_cast<unsigned long long>(in.chunk_done.size()));
  std::printf("fractal       %s, escape radius %g\n", in.fractal.c_str(), in.escape_radius);
  if (in.family == "multibrot") std::printf("family        multibrot, power %u\n", in.power);
  else std::printf("family        %s\n", in.family.c_str());
  std::printf("frames        %llu of %ux%u pixels, %s counts, %g fps, %u rows per chunk\n",
              static_cast<unsigned long long>(in.frames), in.width, in.height, in.count_bytes == 2 ? "uint16" : "uint32",
              in.fps, in.strip_rows);
  std::printf("supersample   %u", in.supersample);
  if (in.supersample > 1)
    std::printf(" (%ux%u samples per pixel of a %ux%u image; colouring averages them by default)", in.supersample,
                in.supersample, in.output_width, in.output_height);
  std::printf("\n");
  double rmin = 0, rmax = 0;
  if (!in.rotation.empty()) {
    rmin = *std::min_element(in.rotation.begin(), in.rotation.end());
    rmax = *std::max_element(in.rotation.begin(), in.rotation.end());
  }
  if (rmin == rmax) std::printf("rotation      %.17g degrees\n", rmin);
  else std::printf("rotation      %.17g .. %.17g degrees\n", rmin, rmax);
  std::string extra;
  if (in.has_smooth) extra += " /smooth";
  if (in.has_distance) extra += " /distance";
  std::printf("optional data%s\n", extra.empty() ? "  none" : (" " + extra).c_str());
  const std::uint64_t last = in.frames - 1;
  for (std::uint64_t f : {std::uint64_t{0}, last}) {
    std::printf("frame %-7llu view [%.17g, %.17g] x [%.17g, %.17g], max_iter %u", static_cast<unsigned long long>(f),
                in.xmin[f], in.xmax[f], in.ymin[f], in.ymax[f], in.max_iter[f]);
    if (in.fractal == "julia") std::printf(", c = %.17g %+.17gi", in.c_re[f], in.c_im[f]);
    std::printf("\n");
    if (last == 0) break;
  }
  std::printf("command line  %s\n", in.command_line.c_str());
}

// The selected frame indices.
std::vector<std::uint64_t> select_frames(const FrameRange& r, std::uint64_t frames) {
  const std::uint64_t b = r.begin.value_or(0), e = std::min(r.end.value_or(frames), frames);
  if (b >= frames || b >= e)
    throw UsageError("--frames selects no frame of the file's 0.." + std::to_string(frames - 1));
  std::vector<std::uint64_t> v;
  for (std::uint64_t f = b; f < e; f += r.step) v.push_back(f);
  return v;
}

// DIR/frame_NNNNN.EXT (at least 5 digits, more when the file has more frames).
std::string frame_name(const std::string& dir, std::uint64_t f, std::uint64_t frames, const char* ext = "png") {
  const int digits = std::max<int>(5, static_cast<int>(std::to_string(frames - 1).size()));
  char buf[64];
  std::snprintf(buf, sizeof buf, "frame_%0*llu.%s", digits, static_cast<unsigned long long>(f), ext);
  return (fs::path(dir) / buf).string();
}

// The default --norm's rule: a file with /smooth whose frames are a deep zoom (any perturbation
// frame, or several frames whose view widths differ) gets smooth-histogram, one CDF of the smooth
// values over the whole video (no bands, no flicker while the counts grow with depth).
bool is_zoom(const FileInfo& in) {
  for (std::uint8_t m : in.method)
    if (m != 0) return true;
  if (in.frames < 2) return false;
  for (std::uint64_t f = 1; f < in.frames; ++f)
    if (in.xmax[f] - in.xmin[f] != in.xmax[0] - in.xmin[0]) return true;
  return false;
}

void refuse_existing(const std::string& path, bool overwrite) {
  std::error_code ec;
  if (fs::exists(path, ec) && !overwrite) throw UsageError("output '" + path + "' exists; pass --overwrite to replace it");
}

int run(const ColourOptions& o) {
  CountsReader reader(o.input);
  const FileInfo& in = reader.info();
  if (o.info) {
    print_info(in);
    return kExitOk;
  }
  NormSettings ns = o.norm;
  const bool auto_norm = !o.norm_given && in.has_smooth && is_zoom(in);
  if (auto_norm) ns.norm = Norm::SmoothHistogram;
  // Data the chosen colouring needs must be in the file: a usage error (render with the option).
  Normalizer norm(ns);
  if (norm.uses_smooth() && !in.has_smooth)
    throw UsageError(std::string("--norm ") + norm_name(ns.norm) + " needs /smooth in '" + o.input + "'; render with --smooth");
  if (o.boundary > 0 && !in.has_distance)
    throw UsageError("--boundary needs /distance in '" + o.input + "'; render with --distance");
  // A supersampled file is averaged back to its output size unless --downscale says otherwise.
  const std::uint32_t block = o.downscale_given ? o.downscale : in.supersample;
  if (!in.complete && !o.allow_partial)
    throw RuntimeError("'" + o.input + "' is incomplete (" + std::to_string(in.chunks_done()) + " of " +
                       std::to_string(in.chunk_done.size()) + " chunks); finish the render or pass --allow-partial");
  // Per frame: counts (4 B/pixel) + float RGB (12 B) + 8-bit RGB (3 B), plus a downscaled copy.
  const long double frame_bytes = static_cast<long double>(in.width) * in.height * (19 + 8) * 1.5L;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0 && frame_bytes > static_cast<long double>(pages) * page / 2)
    throw RuntimeError("'" + o.input + "': frames of " + std::to_string(in.width) + "x" + std::to_string(in.height) +
                       " pixels need more memory than this machine has");
  // A zoom sequence composes its video frames from the keyframes (compose.hpp): --frames then
  // selects among the video frames, and normalisation passes run over every keyframe.
  const bool compose = in.sequence_ratio > 0 && !o.keyframes;
  if (o.keyframes && in.sequence_ratio == 0)
    throw UsageError("--keyframes applies only to a zoom sequence (fractal-render --zoom-sequence); '" + o.input + "' is not one");
  if (o.duration > 0 && !compose)
    throw UsageError("--duration applies only when composing a zoom sequence (fractal-render --zoom-sequence)");
  const double compose_fps = o.fps_given ? o.video_settings.fps : in.fps;
  std::uint64_t video_frames = in.frames;  // frames of the output (composed or stored)
  if (compose) {
    if (o.downscale_given)
      throw UsageError("--downscale does not apply when composing a zoom sequence (its oversize " +
                       std::to_string(in.sequence_oversize) + " is resampled; --keyframes colours the stored frames)");
    if (!o.exr_dir.empty())
      throw UsageError("--exr exports stored frames: add --keyframes to export the zoom sequence's keyframes");
    if (in.frames < 2) throw RuntimeError("'" + o.input + "': a zoom sequence of fewer than 2 keyframes");
    const double seconds = o.duration > 0 ? o.duration
                           : in.sequence_duration > 0 ? in.sequence_duration
                                                      : static_cast<double>(in.frames - 1);
    const double n = std::round(seconds * compose_fps);
    if (!(n >= 1 && n <= 1e7))
      throw UsageError("--duration " + std::to_string(seconds) + " s at " + std::to_string(compose_fps) + " fps gives " +
                       std::to_string(n) + " video frames; must be 1..10000000");
    video_frames = static_cast<std::uint64_t>(n);
  }
  const std::vector<std::uint64_t> sel = select_frames(o.frames, video_frames);
  std::vector<std::uint64_t> norm_sel = sel;  // the stored frames normalisation passes visit
  if (compose) {
    norm_sel.clear();
    for (std::uint64_t k = 0; k < in.frames; ++k) norm_sel.push_back(k);
  }
  if (!o.png.empty() && sel.size() != 1)
    throw UsageError("--png writes one frame but " + std::to_string(sel.size()) + " are selected; use --png-dir or --frames N");
  if (in.width % block || in.height % block)
    throw UsageError("--downscale " + std::to_string(block) + " must divide the image size " + std::to_string(in.width) + "x" + std::to_string(in.height));
  if (!o.png.empty()) refuse_existing(o.png, o.overwrite);
  if (!o.video.empty()) refuse_existing(o.video, o.overwrite);
  if (!o.png_dir.empty()) {
    for (std::uint64_t f : sel) refuse_existing(frame_name(o.png_dir, f, video_frames), o.overwrite);
    std::error_code ec;
    fs::create_directories(o.png_dir, ec);
    if (ec) throw RuntimeError("cannot create --png-dir '" + o.png_dir + "': " + ec.message());
  }
  const bool exr = !o.exr_dir.empty();
  if (exr) {
    for (std::uint64_t f : sel) refuse_existing(frame_name(o.exr_dir, f, in.frames, "exr"), o.overwrite);
    std::error_code ec;
    fs::create_directories(o.exr_dir, ec);
    if (ec) throw RuntimeError("cannot create --exr '" + o.exr_dir + "': " + ec.message());
    Imf::setGlobalThreadCount(static_cast<int>(std::min(16u, std::max(1u, std::thread::hardware_concurrency()))));
  }
  const bool pngs = !o.png.empty() || !o.png_dir.empty();
  const bool colouring = pngs || !o.video.empty();

  const Colormap cmap = o.cmap_file.empty() ? Colormap::named(o.cmap) : Colormap::from_file(o.cmap_file);
  const RGB interior = parse_colour(o.interior, cmap.at(1.0), cmap.at(0.0));
  const RGB boundary = parse_colour(o.boundary_colour, cmap.at(1.0), cmap.at(0.0), "boundary-colour");
  std::vector<float> smooth, distance;  // [height, width] of the current frame, when used
  std::vector<std::uint32_t> counts;  // [height, width] of the current frame
  std::vector<std::uint8_t> missing;  // [height]
  Progress progress(o.progress_interval, stdout);
  if (colouring && ns.norm == Norm::Histogram) {  // one histogram over every selected frame: no flicker
    for (std::uint64_t f : norm_sel) {
      reader.read_frame(f, counts, missing);
      norm.add(counts, in.max_iter[f]);
    }
    norm.finalize();
  }
  if (colouring && norm.needs_smooth_histogram()) {  // first pass: one histogram of the smooth values of every selected frame
    if (auto_norm)
      std::printf("fractal-colour: --norm smooth-histogram (the default for a zoom with /smooth; --norm linear for count/max_iter)\n");
    std::uint32_t top = 1;
    for (std::uint64_t f : norm_sel) top = std::max(top, in.max_iter[f]);
    norm.set_smooth_top(top);
    for (std::uint64_t f : norm_sel) {
      reader.read_frame(f, counts, missing);
      reader.read_smooth(f, smooth, missing);
      for (std::size_t y = 0; y < missing.size(); ++y)  // rows not on disk: not in the histogram
        if (missing[y])
          std::fill_n(counts.begin() + static_cast<std::ptrdiff_t>(y * in.width), in.width, in.max_iter[f]);
      norm.add_smooth(counts, smooth, in.max_iter[f]);
    }
    norm.finalize();
  }

  std::unique_ptr<VideoEncoder> video;
  if (!o.video.empty()) {
    VideoSettings vs = o.video_settings;
    if (!o.fps_given) vs.fps = in.fps;
    video = compose ? std::make_unique<VideoEncoder>(o.video, in.output_width, in.output_height, vs)
                    : std::make_unique<VideoEncoder>(o.video, in.width / block, in.height / block, vs);
  }
  const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  OutputPipeline out(pngs ? workers : 0, video.get(), 2 * workers + 2);
  std::uint64_t exr_done = 0;
  auto report = [&](bool final) {
    const std::uint64_t done = colouring ? out.frames_done() : exr_done;
    char detail[64];
    std::snprintf(detail, sizeof detail, "frames %llu/%zu  %.1f frames/s", static_cast<unsigned long long>(done),
                  sel.size(), done / std::max(1e-9, progress.elapsed()));
    if (final) progress.finish(1.0, detail);
    else progress.update(static_cast<double>(done) / sel.size(), detail);
  };
  // What /smooth and /distance (read into smooth, distance for frame f) add to colouring: --boundary
  // W is W sample spacings, and /distance is in sample spacings in perturbation frames, in
  // complex-plane units in the others.
  auto extra_colouring = [&](std::uint64_t f, bool with_smooth, bool with_distance) {
    ExtraColouring extra;
    if (with_smooth) extra.smooth = smooth;
    if (with_distance) {
      extra.distance = distance;
      extra.boundary_below = in.method[f] != 0 ? o.boundary : o.boundary * ((in.xmax[f] - in.xmin[f]) / in.width);
      extra.boundary = boundary;
    }
    return extra;
  };
  // Composing: each keyframe coloured once on the full stored grid (its cycle phase that of frame
  // 0: the two keyframes mixed into a video frame must agree), kept while video frames use it.
  std::map<std::uint64_t, ImageF> keyframe_rgb;
  auto coloured_keyframe = [&](std::uint64_t k) -> const ImageF& {
    auto it = keyframe_rgb.find(k);
    if (it != keyframe_rgb.end()) return it->second;
    reader.read_frame(k, counts, missing);
    if (norm.uses_smooth()) reader.read_smooth(k, smooth, missing);
    if (o.boundary > 0) reader.read_distance(k, distance, missing);
    const ExtraColouring extra = extra_colouring(k, norm.uses_smooth(), o.boundary > 0);
    const bool counts_only = extra.smooth.empty() && extra.distance.empty();
    return keyframe_rgb[k] = colour_frame(counts, in.width, in.height, in.max_iter[k], 0, norm, cmap, interior, missing,
                                          kMissingColour, counts_only ? nullptr : &extra);
  };
  for (std::uint64_t f : sel) {
    if (g_interrupted) throw RuntimeError("interrupted; no output was finished");
    if (compose) {
      const ComposePosition pos = compose_position(f, video_frames, in.frames, in.sequence_steps);
      for (auto it = keyframe_rgb.begin(); it != keyframe_rgb.end();)  // keyframes behind the zoom: done
        it = it->first < pos.coarse ? keyframe_rgb.erase(it) : std::next(it);
      const ImageF& coarse = coloured_keyframe(pos.coarse);
      const ImageF& fine = coloured_keyframe(pos.coarse + 1);
      ImageF img = compose_frame(coarse, fine, pos.a, in.sequence_ratio, in.output_width, in.output_height);
      auto frame = std::make_shared<ColouredFrame>();
      frame->png_path = !o.png.empty() ? o.png : !o.png_dir.empty() ? frame_name(o.png_dir, f, video_frames) : "";
      frame->png16 = o.png16;
      if (video || !o.png16) frame->rgb8 = {img.width, img.height, to_rgb8(img)};
      if (o.png16) frame->rgbf = std::move(img);
      out.push(std::move(frame));
      report(false);
      continue;
    }
    reader.read_frame(f, counts, missing);
    // /smooth and /distance, read once for whichever output uses them.
    const bool colour_smooth = colouring && norm.uses_smooth(), colour_distance = colouring && o.boundary > 0;
    if (colour_smooth || (exr && in.has_smooth)) reader.read_smooth(f, smooth, missing);
    if (colour_distance || (exr && in.has_distance)) reader.read_distance(f, distance, missing);
    if (exr) {
      // The full stored grid: /distance in sample spacings (perturbation frames store it so, the
      // others in complex-plane units).
      const double scale = in.method[f] != 0 ? 1.0 : in.width / (in.xmax[f] - in.xmin[f]);
      const ExrPlanes planes = exr_planes(counts, in.width, in.height, in.max_iter[f], missing,
                                          in.has_smooth ? std::span<const float>(smooth) : std::span<const float>(),
                                          in.has_distance ? std::span<const float>(distance) : std::span<const float>(),
                                          scale);
      write_exr(frame_name(o.exr_dir, f, in.frames, "exr"), in, f, planes, o.exr_compression);
      ++exr_done;
    }
    if (!colouring) {
      report(false);
      continue;
    }
    if (ns.norm == Norm::HistogramPerFrame) {
      norm.reset();
      norm.add(counts, in.max_iter[f]);
      norm.finalize();
    }
    auto frame = std::make_shared<ColouredFrame>();
    frame->png_path = !o.png.empty() ? o.png : !o.png_dir.empty() ? frame_name(o.png_dir, f, in.frames) : "";
    frame->png16 = o.png16;
    const ExtraColouring extra = extra_colouring(f, colour_smooth, colour_distance);
    const bool counts_only = extra.smooth.empty() && extra.distance.empty();
    if (block == 1 && !o.png16 && in.max_iter[f] <= kMaxTableIter && counts_only) {
      // Fast path: one colour table per frame, then a table lookup per pixel.
      colour_frame8(counts, in.width, in.height, colour_table8(in.max_iter[f], f, norm, cmap, interior), missing,
                    kMissingColour, frame->rgb8);
    } else {
      ImageF img = downscale(
          colour_frame(counts, in.width, in.height, in.max_iter[f], f, norm, cmap, interior, missing, kMissingColour,
                       counts_only ? nullptr : &extra),
          block);
      if (video || !o.png16) frame->rgb8 = {img.width, img.height, to_rgb8(img)};
      if (o.png16) frame->rgbf = std::move(img);
    }
    out.push(std::move(frame));
    report(false);
  }
  out.drain();
  if (video) video->finish();
  report(true);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Every frame allocates and frees buffers of a few hundred KiB (HDF5's chunk pipeline, the
  // encoder); above glibc's default mmap threshold each would be fresh, zero-filled pages.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  av_log_set_level(AV_LOG_ERROR);  // the encoders' chatter is not for users; errors still show
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    const ColourOptions o = parse_colour_options(argc, argv);
    if (o.help) {
      std::fputs(o.help_text.c_str(), stdout);
      return kExitOk;
    }
    return run(o);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "fractal-colour: error: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fractal-colour: error: %s\n", e.what());
    return kExitRuntime;
  }
}
