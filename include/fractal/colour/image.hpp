#pragma once
// Colouring a frame of counts into an RGB image, block-averaging (--downscale) and PNG output.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fractal/colour/colormap.hpp"
#include "fractal/colour/normalize.hpp"

namespace fractal::colour {

// An RGB image with float channels in [0, 1]: [height, width, 3].
struct ImageF {
  std::uint32_t width = 0, height = 0;
  std::vector<float> rgb;
};

// What the optional datasets add to colouring (fractal-colour --norm smooth*, --boundary).
struct ExtraColouring {
  std::span<const float> smooth;    // [height, width] /smooth: exterior colour = cmap(norm.value_smooth(s))
  std::span<const float> distance;  // [height, width] /distance: boundary lines (empty: none)
  double boundary_below = 0;        // exterior pixels with distance < this get `boundary`
  RGB boundary{0, 0, 0};
};

// Colour = cmap(normalise(count)); count == max_iter -> interior. Missing rows (a partial file
// shown with --allow-partial) are marked by `missing` ([height] flags, may be empty) and get
// `missing_colour`. With `extra`: exterior pixels take their colour from the smooth value when
// extra->smooth is given, and exterior pixels closer to the set than extra->boundary_below (by
// /distance) are painted extra->boundary. Multithreaded over rows.
ImageF colour_frame(std::span<const std::uint32_t> counts,  // [height, width]
                    std::uint32_t width, std::uint32_t height, std::uint32_t max_iter,
                    std::uint64_t frame, const Normalizer& norm, const Colormap& cmap, RGB interior,
                    std::span<const std::uint8_t> missing = {}, RGB missing_colour = {0.5f, 0.5f, 0.5f},
                    const ExtraColouring* extra = nullptr);

// An 8-bit RGB image: [height, width, 3].
struct Image8 {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
};

// The fast path when no averaging follows: within one frame a colour depends on the count alone,
// so the frame's colours are a table of max_iter + 1 entries (the last: interior), each quantised
// once. colour_frame8(counts, table) then equals to_rgb8(colour_frame(counts)) byte for byte.
using ColourTable8 = std::vector<std::uint8_t>;  // [max_iter + 1, 3]
inline constexpr std::uint32_t kMaxTableIter = 1u << 22;  // larger budgets take the float path
ColourTable8 colour_table8(std::uint32_t max_iter, std::uint64_t frame, const Normalizer& norm,
                           const Colormap& cmap, RGB interior);
void colour_frame8(std::span<const std::uint32_t> counts, std::uint32_t width, std::uint32_t height,
                   const ColourTable8& table, std::span<const std::uint8_t> missing, RGB missing_colour,
                   Image8& out);

// Averages k x k blocks (supersampling anti-aliasing): each channel of an output pixel is the mean
// of its k*k input values, summed in double and rounded once to float; quantising to 8 bits then
// rounds that mean (round(v * 255)). width and height must be multiples of k.
ImageF downscale(const ImageF& in, std::uint32_t k);

// Quantises to 8 bits (round(v * 255)) or 16 bits (round(v * 65535)): [height, width, 3].
std::vector<std::uint8_t> to_rgb8(const ImageF& img);
std::vector<std::uint16_t> to_rgb16(const ImageF& img);

// Writes an 8-bit (or, with sixteen_bit, 16-bit) RGB PNG through libpng, to `path` + ".partial"
// then renamed to `path`. Throws RuntimeError naming the path and the reason.
void write_png(const std::string& path, const ImageF& img, bool sixteen_bit);
void write_png(const std::string& path, const Image8& img);

}  // namespace fractal::colour
