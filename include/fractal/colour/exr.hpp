#pragma once
// OpenEXR export of a frame's raw data (fractal-colour --exr): the channels and header attributes
// of Kalles Fraktaler 2+ and Fraktaler-3 (N, NF, DEX, DEY; Iterations, IterationsBias), so that
// tools made for their files read ours. The mapping from our datasets and what differs from KF:
// docs/FORMAT.md, "EXR export".
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fractal::colour {

struct FileInfo;

enum class ExrCompression { None, Zip, Zips, Piz };

// "none", "zip" (zlib, 16 rows per block; the default), "zips" (zlib, one row per block), "piz"
// (wavelet). Throws UsageError naming --exr-compression otherwise.
ExrCompression exr_compression_from_name(const std::string& name);
const char* exr_compression_name(ExrCompression c);

// N = count + kExrIterationsBias for escaped pixels (as KF and Fraktaler-3 write it).
inline constexpr std::uint64_t kExrIterationsBias = 1024;
inline constexpr std::uint32_t kExrNotEscaped = 0xFFFFFFFFu;  // N (and N0, N1) of interior pixels
inline constexpr std::uint32_t kExrNoData = 0;                // N of pixels not on disk (--allow-partial)

// The raw channels of one frame, [height, width] each, row 0 at the top.
struct ExrPlanes {
  std::uint32_t width = 0, height = 0;
  bool split = false;           // biased counts can exceed 0xFFFFFFFE: N0 (low) and N1 (high) instead of N
  std::vector<std::uint32_t> n0, n1;  // N (or N0), N1 (only when split)
  std::vector<float> nf;        // empty: the file has no /smooth
  std::vector<float> dex, dey;  // empty: the file has no /distance
};

// The channels from a frame's counts (and /smooth, /distance when not empty; both [height,
// width]). distance_scale converts /distance to sample spacings (1 for perturbation frames, which
// store it so; width / (xmax - xmin) for the others). missing: per-row flags of rows not on disk
// (may be empty).
ExrPlanes exr_planes(std::span<const std::uint32_t> counts, std::uint32_t width, std::uint32_t height,
                     std::uint32_t max_iter, std::span<const std::uint8_t> missing, std::span<const float> smooth,
                     std::span<const float> distance, double distance_scale);

// Writes frame `frame` of `in` as a single-part scanline EXR file: to `path` + ".partial", then
// renamed to `path`. Throws RuntimeError naming the path and the reason (the partial file removed).
void write_exr(const std::string& path, const FileInfo& in, std::uint64_t frame, const ExrPlanes& planes,
               ExrCompression compression);

// Kalles Fraktaler's zoom of frame `frame` (the view's height is 4 / zoom) as decimal text with 17
// significant digits: from the exact view-width text for deep frames (any exponent), else from
// the bounds.
std::string exr_zoom_text(const FileInfo& in, std::uint64_t frame);

}  // namespace fractal::colour
