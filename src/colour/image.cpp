#include "fractal/colour/image.hpp"

#include <png.h>

#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <algorithm>

#include "fractal/error.hpp"

namespace fractal::colour {

namespace {

std::string size_text(std::uint32_t w, std::uint32_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// round(v * 255) / round(v * 65535), clamped; NaN gives 0. A float times 255 or 65535 is exact
// in double, so std::round sees the true product.
std::uint8_t quantise8(float v) {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return static_cast<std::uint8_t>(std::round(static_cast<double>(v) * 255.0));
}
std::uint16_t quantise16(float v) {
  if (!(v > 0)) return 0;
  if (v >= 1) return 65535;
  return static_cast<std::uint16_t>(std::round(static_cast<double>(v) * 65535.0));
}

// ---- libpng -------------------------------------------------------------------------------
// libpng reports errors by calling our error function, which must not return. Throwing a C++
// exception through libpng's C frames is undefined, so the handler longjmps back to the setjmp
// in encode_png(); that function therefore holds no object with a destructor.

struct PngError {
  char msg[256];
  int errnum;  // errno when libpng failed (its "Write Error" comes from a short fwrite)
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* e = static_cast<PngError*>(png_get_error_ptr(png));
  e->errnum = errno;
  std::snprintf(e->msg, sizeof e->msg, "%s", msg ? msg : "libpng error");
  png_longjmp(png, 1);
}
void on_png_warning(png_structp, png_const_charp) {}  // nothing libpng warns about is fatal here

// Fills one PNG row (already in PNG byte order) for image row y of `src` (an ImageF or Image8).
using RowFill = void (*)(const void* src, std::uint32_t y, unsigned char* row);

void fill_row8(const void* p, std::uint32_t y, unsigned char* row) {
  const ImageF& img = *static_cast<const ImageF*>(p);
  const float* src = img.rgb.data() + std::size_t{y} * img.width * 3;
  for (std::size_t i = 0; i < std::size_t{img.width} * 3; ++i) row[i] = quantise8(src[i]);
}
void fill_row_image8(const void* p, std::uint32_t y, unsigned char* row) {
  const Image8& img = *static_cast<const Image8*>(p);
  std::memcpy(row, img.rgb.data() + std::size_t{y} * img.width * 3, std::size_t{img.width} * 3);
}
void fill_row16(const void* p, std::uint32_t y, unsigned char* row) {
  const ImageF& img = *static_cast<const ImageF*>(p);
  const float* src = img.rgb.data() + std::size_t{y} * img.width * 3;
  for (std::size_t i = 0; i < std::size_t{img.width} * 3; ++i) {
    const std::uint16_t q = quantise16(src[i]);
    row[2 * i] = static_cast<unsigned char>(q >> 8);  // PNG samples are big-endian
    row[2 * i + 1] = static_cast<unsigned char>(q & 0xff);
  }
}

// Returns false with *err filled on failure. Row by row, so no second full-size buffer exists.
bool encode_png(std::FILE* f, const void* img, std::uint32_t width, std::uint32_t height, int depth, RowFill fill,
                unsigned char* row, PngError* err) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, err, on_png_error, on_png_warning);
  if (!png) {
    std::snprintf(err->msg, sizeof err->msg, "cannot create the libpng write struct");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    std::snprintf(err->msg, sizeof err->msg, "cannot create the libpng info struct");
    return false;
  }
  // png and info are not modified after setjmp, so they are valid after a longjmp.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, f);
  // Fixed settings and no tIME chunk: identical images give identical files.
  png_set_compression_level(png, 6);
  png_set_IHDR(png, info, width, height, depth, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (std::uint32_t y = 0; y < height; ++y) {
    fill(img, y, row);
    png_write_row(png, row);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

ImageF colour_frame(std::span<const std::uint32_t> counts, std::uint32_t width, std::uint32_t height,
                    std::uint32_t max_iter, std::uint64_t frame, const Normalizer& norm, const Colormap& cmap,
                    RGB interior, std::span<const std::uint8_t> missing, RGB missing_colour,
                    const ExtraColouring* extra) {
  const std::size_t npx = std::size_t{width} * height;
  if (extra && ((!extra->smooth.empty() && extra->smooth.size() != npx) ||
                (!extra->distance.empty() && extra->distance.size() != npx)))
    throw RuntimeError("colour_frame: smooth/distance data do not match a " + size_text(width, height) + " frame");
  const bool use_smooth = extra && !extra->smooth.empty();
  const bool use_boundary = extra && !extra->distance.empty();
  if (counts.size() != npx)
    throw RuntimeError("colour_frame: " + std::to_string(counts.size()) + " counts for a " + size_text(width, height) + " frame");
  if (!missing.empty() && missing.size() != height)
    throw RuntimeError("colour_frame: " + std::to_string(missing.size()) + " missing-row flags for " + std::to_string(height) + " rows");

  ImageF img;
  img.width = width;
  img.height = height;
  img.rgb.resize(npx * 3);
  const auto rows = static_cast<std::int64_t>(height);
#pragma omp parallel for schedule(static)
  for (std::int64_t y = 0; y < rows; ++y) {
    const std::size_t base = static_cast<std::size_t>(y) * width;
    float* out = img.rgb.data() + base * 3;
    const bool row_missing = !missing.empty() && missing[static_cast<std::size_t>(y)] != 0;
    for (std::uint32_t x = 0; x < width; ++x) {
      const std::uint32_t c = counts[base + x];
      // >= rather than ==: the histogram counts only c < max_iter as exterior, so both agree.
      const std::size_t i = base + x;
      const RGB& col = row_missing        ? missing_colour
                       : c >= max_iter    ? interior
                       : use_boundary && extra->distance[i] < extra->boundary_below ? extra->boundary
                       : use_smooth       ? cmap.at(norm.value_smooth(extra->smooth[i], max_iter, frame))
                                          : cmap.at(norm.value(c, max_iter, frame));
      out[3 * x] = col.r;
      out[3 * x + 1] = col.g;
      out[3 * x + 2] = col.b;
    }
  }
  return img;
}

ImageF downscale(const ImageF& in, std::uint32_t k) {
  if (k == 0) throw UsageError("--downscale must be at least 1, got 0");
  if (in.width % k != 0 || in.height % k != 0)
    throw UsageError("--downscale " + std::to_string(k) + " must divide the image size " + size_text(in.width, in.height));
  if (k == 1) return in;

  ImageF out;
  out.width = in.width / k;
  out.height = in.height / k;
  out.rgb.resize(std::size_t{out.width} * out.height * 3);
  const double inv_area = 1.0 / (static_cast<double>(k) * k);
  const auto rows = static_cast<std::int64_t>(out.height);
#pragma omp parallel for schedule(static)
  for (std::int64_t oy = 0; oy < rows; ++oy) {
    for (std::uint32_t ox = 0; ox < out.width; ++ox) {
      // Summed in double so a large block's mean loses nothing to float accumulation.
      double sum[3] = {0, 0, 0};
      for (std::uint32_t dy = 0; dy < k; ++dy) {
        const std::size_t iy = static_cast<std::size_t>(oy) * k + dy;
        const float* src = in.rgb.data() + (iy * in.width + std::size_t{ox} * k) * 3;
        for (std::uint32_t i = 0; i < k * 3; i += 3) {
          sum[0] += src[i];
          sum[1] += src[i + 1];
          sum[2] += src[i + 2];
        }
      }
      float* dst = out.rgb.data() + (static_cast<std::size_t>(oy) * out.width + ox) * 3;
      for (int c = 0; c < 3; ++c) dst[c] = static_cast<float>(sum[c] * inv_area);
    }
  }
  return out;
}

std::vector<std::uint8_t> to_rgb8(const ImageF& img) {
  std::vector<std::uint8_t> out(img.rgb.size());
  for (std::size_t i = 0; i < img.rgb.size(); ++i) out[i] = quantise8(img.rgb[i]);
  return out;
}

std::vector<std::uint16_t> to_rgb16(const ImageF& img) {
  std::vector<std::uint16_t> out(img.rgb.size());
  for (std::size_t i = 0; i < img.rgb.size(); ++i) out[i] = quantise16(img.rgb[i]);
  return out;
}

namespace {

void write_png_rows(const std::string& path, const void* img, std::uint32_t width, std::uint32_t height, int depth,
                    RowFill fill) {
  auto fail = [&path](const std::string& why) { return RuntimeError("cannot write PNG '" + path + "': " + why); };
  const std::string partial = path + ".partial";
  std::FILE* f = std::fopen(partial.c_str(), "wb");
  if (!f) throw fail(std::strerror(errno));

  std::vector<unsigned char> row(std::size_t{width} * 3 * (depth == 16 ? 2 : 1));
  PngError err{};
  bool ok = encode_png(f, img, width, height, depth, fill, row.data(), &err);
  std::string why;
  if (!ok) {
    why = err.msg;
    if (why == "Write Error" && err.errnum != 0) why += std::string(": ") + std::strerror(err.errnum);
  } else if (std::fflush(f) != 0 || std::ferror(f)) {
    ok = false;
    why = std::strerror(errno);
  }
  // fclose can be the first to report a full disk or a failed network write.
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    why = std::strerror(errno);
  }
  if (ok && std::rename(partial.c_str(), path.c_str()) != 0) {
    ok = false;
    why = std::string("cannot rename '") + partial + "': " + std::strerror(errno);
  }
  if (!ok) {
    std::remove(partial.c_str());
    throw fail(why);
  }
}

}  // namespace

void write_png(const std::string& path, const ImageF& img, bool sixteen_bit) {
  if (img.width == 0 || img.height == 0)
    throw RuntimeError("cannot write PNG '" + path + "': empty image " + size_text(img.width, img.height));
  if (img.rgb.size() != std::size_t{img.width} * img.height * 3)
    throw RuntimeError("cannot write PNG '" + path + "': " + std::to_string(img.rgb.size()) + " channel values for a " +
                       size_text(img.width, img.height) + " RGB image");
  write_png_rows(path, &img, img.width, img.height, sixteen_bit ? 16 : 8, sixteen_bit ? fill_row16 : fill_row8);
}

void write_png(const std::string& path, const Image8& img) {
  if (img.width == 0 || img.height == 0 || img.rgb.size() != std::size_t{img.width} * img.height * 3)
    throw RuntimeError("cannot write PNG '" + path + "': bad 8-bit image " + size_text(img.width, img.height));
  write_png_rows(path, &img, img.width, img.height, 8, fill_row_image8);
}

ColourTable8 colour_table8(std::uint32_t max_iter, std::uint64_t frame, const Normalizer& norm, const Colormap& cmap,
                           RGB interior) {
  ColourTable8 t((std::size_t{max_iter} + 1) * 3);
  for (std::uint32_t c = 0; c <= max_iter; ++c) {
    const RGB& col = c == max_iter ? interior : cmap.at(norm.value(c, max_iter, frame));
    t[3 * std::size_t{c}] = quantise8(col.r);
    t[3 * std::size_t{c} + 1] = quantise8(col.g);
    t[3 * std::size_t{c} + 2] = quantise8(col.b);
  }
  return t;
}

void colour_frame8(std::span<const std::uint32_t> counts, std::uint32_t width, std::uint32_t height,
                   const ColourTable8& table, std::span<const std::uint8_t> missing, RGB missing_colour, Image8& out) {
  const std::size_t npx = std::size_t{width} * height;
  if (counts.size() != npx || (!missing.empty() && missing.size() != height) || table.size() < 3)
    throw RuntimeError("colour_frame8: inconsistent sizes for a " + size_text(width, height) + " frame");
  const std::size_t top = table.size() / 3 - 1;  // the interior entry
  const std::uint8_t miss[3] = {quantise8(missing_colour.r), quantise8(missing_colour.g), quantise8(missing_colour.b)};
  out.width = width;
  out.height = height;
  out.rgb.resize(npx * 3);
  for (std::uint32_t y = 0; y < height; ++y) {
    std::uint8_t* dst = out.rgb.data() + std::size_t{y} * width * 3;
    if (!missing.empty() && missing[y]) {
      for (std::uint32_t x = 0; x < width; ++x) std::memcpy(dst + 3 * x, miss, 3);
      continue;
    }
    const std::uint32_t* src = counts.data() + std::size_t{y} * width;
    for (std::uint32_t x = 0; x < width; ++x) {
      const std::size_t c = std::min<std::size_t>(src[x], top);  // counts above max_iter: interior
      std::memcpy(dst + 3 * x, table.data() + 3 * c, 3);
    }
  }
}

}  // namespace fractal::colour
