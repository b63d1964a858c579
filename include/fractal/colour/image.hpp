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

// Colour = cmap(normalise(count)); count == max_iter -> interior. Missing rows (a partial file
// shown with --allow-partial) are marked by `missing` ([height] flags, may be empty) and get
// `missing_colour`. Multithreaded over rows.
ImageF colour_frame(std::span<const std::uint32_t> counts,  // [height, width]
                    std::uint32_t width, std::uint32_t height, std::uint32_t max_iter,
                    std::uint64_t frame, const Normalizer& norm, const Colormap& cmap, RGB interior,
                    std::span<const std::uint8_t> missing = {}, RGB missing_colour = {0.5f, 0.5f, 0.5f});

// Averages k x k blocks (supersampling anti-aliasing). width and height must be multiples of k.
ImageF downscale(const ImageF& in, std::uint32_t k);

// Quantises to 8 bits (round(v * 255)) or 16 bits (round(v * 65535)): [height, width, 3].
std::vector<std::uint8_t> to_rgb8(const ImageF& img);
std::vector<std::uint16_t> to_rgb16(const ImageF& img);

// Writes an 8-bit (or, with sixteen_bit, 16-bit) RGB PNG through libpng, to `path` + ".partial"
// then renamed to `path`. Throws RuntimeError naming the path and the reason.
void write_png(const std::string& path, const ImageF& img, bool sixteen_bit);

}  // namespace fractal::colour
