// Exponential-map composition (compose.hpp).
#include "fractal/colour/compose.hpp"

#include <algorithm>
#include <cmath>

namespace fractal::colour {

namespace {

// Bilinear sample of img at continuous pixel coordinates (x, y) (pixel centres at integers),
// clamped to the image; adds its RGB to acc.
inline void bilinear(const ImageF& img, double x, double y, double acc[3]) {
  const double xm = static_cast<double>(img.width - 1), ym = static_cast<double>(img.height - 1);
  x = std::clamp(x, 0.0, xm);
  y = std::clamp(y, 0.0, ym);
  const std::uint32_t x0 = static_cast<std::uint32_t>(x), y0 = static_cast<std::uint32_t>(y);
  const std::uint32_t x1 = std::min(x0 + 1, img.width - 1), y1 = std::min(y0 + 1, img.height - 1);
  const double fx = x - x0, fy = y - y0;
  const float* p00 = &img.rgb[(std::size_t{y0} * img.width + x0) * 3];
  const float* p01 = &img.rgb[(std::size_t{y0} * img.width + x1) * 3];
  const float* p10 = &img.rgb[(std::size_t{y1} * img.width + x0) * 3];
  const float* p11 = &img.rgb[(std::size_t{y1} * img.width + x1) * 3];
  for (int c = 0; c < 3; ++c) {
    const double top = p00[c] + (p01[c] - p00[c]) * fx, bottom = p10[c] + (p11[c] - p10[c]) * fx;
    acc[c] += top + (bottom - top) * fy;
  }
}

// The mean colour of img over the footprint of a video pixel: centre (u, v) in the keyframe's
// normalised coordinates ([-0.5, 0.5] across its extent), footprint fw x fh keyframe pixels, from
// nx x ny bilinear taps spread evenly over it. The tap counts stay fixed for a whole video (and
// for both keyframes), so the filter, and the colour, change continuously with the zoom.
inline void footprint(const ImageF& img, double u, double v, double fw, double fh, int nx, int ny, double out[3]) {
  const double cx = (0.5 + u) * img.width - 0.5, cy = (0.5 + v) * img.height - 0.5;
  out[0] = out[1] = out[2] = 0;
  for (int iy = 0; iy < ny; ++iy) {
    const double y = cy + ((iy + 0.5) / ny - 0.5) * fh;
    for (int ix = 0; ix < nx; ++ix) bilinear(img, cx + ((ix + 0.5) / nx - 0.5) * fw, y, out);
  }
  const double inv = 1.0 / (nx * ny);
  for (int c = 0; c < 3; ++c) out[c] *= inv;
}

}  // namespace

ComposePosition compose_position(std::uint64_t j, std::uint64_t video_frames, std::uint64_t keyframes) {
  const std::uint64_t K = keyframes > 1 ? keyframes - 1 : 1;
  const double z = video_frames > 1 ? static_cast<double>(K) * static_cast<double>(j) / static_cast<double>(video_frames - 1) : 0.0;
  std::uint64_t k = static_cast<std::uint64_t>(std::floor(z));
  if (k >= K) k = K - 1;
  return {k, std::clamp(z - static_cast<double>(k), 0.0, 1.0)};
}

ImageF compose_frame(const ImageF& coarse, const ImageF& fine, double a, double ratio, std::uint32_t out_w,
                     std::uint32_t out_h) {
  ImageF out{out_w, out_h, std::vector<float>(std::size_t{out_w} * out_h * 3)};
  const double sc = std::pow(ratio, -a);        // the frame's extent in coarse-extent units (<= 1)
  const double sf = std::pow(ratio, 1.0 - a);   // ... in fine-extent units (>= 1)
  // Footprint of one video pixel in keyframe pixels.
  const double fwc = sc * coarse.width / out_w, fhc = sc * coarse.height / out_h;
  const double fwf = sf * fine.width / out_w, fhf = sf * fine.height / out_h;
  const double band = kComposeBand * (1.0 - a);
  // Taps per axis: enough for the largest footprint of any frame (the fine keyframe at a = 0).
  const int nx = std::max(1, static_cast<int>(std::ceil(ratio * fine.width / out_w - 1e-9)));
  const int ny = std::max(1, static_cast<int>(std::ceil(ratio * fine.height / out_h - 1e-9)));
#pragma omp parallel for schedule(dynamic, 4)
  for (std::int64_t y = 0; y < static_cast<std::int64_t>(out_h); ++y) {
    const double v = (static_cast<double>(y) + 0.5) / out_h - 0.5;
    for (std::uint32_t x = 0; x < out_w; ++x) {
      const double u = (static_cast<double>(x) + 0.5) / out_w - 0.5;
      double c[3];
      footprint(coarse, u * sc, v * sc, fwc, fhc, nx, ny, c);
      const double r = 2.0 * std::max(std::fabs(u * sf), std::fabs(v * sf));
      double wf = 0;
      if (a > 0 && r < 1.0) wf = band > 0 ? a * std::clamp((1.0 - r) / band, 0.0, 1.0) : a;
      float* o = &out.rgb[(static_cast<std::size_t>(y) * out_w + x) * 3];
      if (wf > 0) {
        double f[3];
        footprint(fine, u * sf, v * sf, fwf, fhf, nx, ny, f);
        for (int k = 0; k < 3; ++k) o[k] = static_cast<float>(c[k] + (f[k] - c[k]) * wf);
      } else {
        for (int k = 0; k < 3; ++k) o[k] = static_cast<float>(c[k]);
      }
    }
  }
  return out;
}

}  // namespace fractal::colour
