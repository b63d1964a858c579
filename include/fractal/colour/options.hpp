#pragma once
// fractal-colour's command line.
#include <cstdint>
#include <optional>
#include <string>

#include "fractal/colour/colormap.hpp"
#include "fractal/colour/exr.hpp"
#include "fractal/colour/normalize.hpp"
#include "fractal/colour/video.hpp"

namespace fractal::colour {

// --frames A:B[:STEP]: frames A, A+STEP, ... below B (B exclusive, like a Python slice); "N" alone
// is frame N; A defaults to 0, B to the end.
struct FrameRange {
  std::optional<std::uint64_t> begin, end;
  std::uint64_t step = 1;
};

struct ColourOptions {
  std::string input;
  std::string png, png_dir, video;  // empty = not requested
  std::string exr_dir;               // --exr DIR: raw channels as OpenEXR (empty = not requested)
  ExrCompression exr_compression = ExrCompression::Zip;
  FrameRange frames;
  std::string cmap = "viridis";
  std::string cmap_file;
  NormSettings norm;
  bool norm_given = false;          // no --norm: smooth-histogram for a zoom with /smooth, else linear
  std::string interior = "top";     // top | bottom | black | white | #rrggbb | R,G,B (0..255)
  std::uint32_t downscale = 1;
  bool downscale_given = false;     // no --downscale: the file's supersample factor is the default
  double boundary = 0;              // --boundary W: 0 = no boundary lines
  std::string boundary_colour = "black";
  bool png16 = false;
  VideoSettings video_settings;
  bool fps_given = false;
  // A zoom sequence (fractal-render --zoom-sequence): compose the video frames from the keyframes
  // (default), or colour the keyframes themselves (--keyframes). --duration: the composed video's
  // length in seconds (default: the file's, else 1 s per keyframe step).
  bool keyframes = false;
  double duration = 0;
  bool overwrite = false, info = false, allow_partial = false;
  double progress_interval = 5;
  bool help = false;
  std::string help_text;
};

// Throws UsageError (one line naming the option and value).
ColourOptions parse_colour_options(int argc, const char* const* argv);

// Parses --interior (or the colour option named `option`); `top` and `bottom` are the colormap's
// ends (passed in).
RGB parse_colour(const std::string& text, const RGB& top, const RGB& bottom, const char* option = "interior");

}  // namespace fractal::colour
