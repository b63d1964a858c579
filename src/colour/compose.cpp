// Exponential-map composition (compose.hpp).
#include "fractal/colour/compose.hpp"

#include <algorithm>
#include <cmath>

namespace fractal::colour {

namespace {

// The footprint filter of one axis as weights on the keyframe's samples: output coordinate o
// (pixel centres at o + 0.5 of out_n) sits at keyframe coordinate (0.5 + u s) in_n - 0.5 with
// u = (o + 0.5) / out_n - 0.5, and averages `taps` linear-interpolation taps spread evenly over its
// footprint s in_n / out_n (positions clamped to the keyframe). Bilinear taps on a grid are
// separable, so a frame is filtered row-wise, then column-wise, with these weights. The tap count
// stays fixed for a whole video (and for both keyframes), so the filter, and the colour, change
// continuously with the zoom.
struct AxisFilter {
  std::vector<std::uint32_t> first;  // [out_n] first keyframe sample
  std::vector<std::uint32_t> count;  // [out_n] samples
  std::vector<std::size_t> at;       // [out_n] offset into w
  std::vector<float> w;
};

AxisFilter axis_filter(std::uint32_t out_n, std::uint32_t in_n, double s, int taps) {
  AxisFilter f;
  f.first.resize(out_n);
  f.count.resize(out_n);
  f.at.resize(out_n);
  const double fp = s * in_n / out_n, last = static_cast<double>(in_n - 1);
  std::vector<double> acc;
  for (std::uint32_t o = 0; o < out_n; ++o) {
    const double u = (o + 0.5) / out_n - 0.5, c = (0.5 + u * s) * in_n - 0.5;
    const double lo = std::clamp(c - 0.5 * fp, 0.0, last), hi = std::clamp(c + 0.5 * fp, 0.0, last);
    const std::uint32_t i0 = static_cast<std::uint32_t>(lo), i1 = std::min(static_cast<std::uint32_t>(hi) + 1, in_n - 1);
    acc.assign(i1 - i0 + 1, 0.0);
    for (int t = 0; t < taps; ++t) {
      const double x = std::clamp(c + ((t + 0.5) / taps - 0.5) * fp, 0.0, last);
      const std::uint32_t k = std::min(static_cast<std::uint32_t>(x), in_n - 1);
      const double fx = x - k;
      acc[k - i0] += (1.0 - fx) / taps;
      if (fx > 0) acc[std::min(k + 1, in_n - 1) - i0] += fx / taps;
    }
    f.first[o] = i0;
    f.count[o] = i1 - i0 + 1;
    f.at[o] = f.w.size();
    for (double v : acc) f.w.push_back(static_cast<float>(v));
  }
  return f;
}

// img filtered by fx (columns) and fy (rows) over output rows [y0, y1) and columns [x0, x1):
// [y1 - y0, x1 - x0, 3].
std::vector<float> filter_layer(const ImageF& img, const AxisFilter& fx, const AxisFilter& fy, std::uint32_t x0,
                                std::uint32_t x1, std::uint32_t y0, std::uint32_t y1) {
  const std::uint32_t nx = x1 - x0, ny = y1 - y0;
  std::uint32_t r0 = fy.first[y0], r1 = 0;
  for (std::uint32_t y = y0; y < y1; ++y) {
    r0 = std::min(r0, fy.first[y]);
    r1 = std::max(r1, fy.first[y] + fy.count[y]);
  }
  std::vector<float> rows(std::size_t{r1 - r0} * nx * 3);  // the keyframe's rows r0..r1, filtered along x
#pragma omp parallel for schedule(static)
  for (std::int64_t r = r0; r < static_cast<std::int64_t>(r1); ++r) {
    const float* src = &img.rgb[static_cast<std::size_t>(r) * img.width * 3];
    float* dst = &rows[static_cast<std::size_t>(r - r0) * nx * 3];
    for (std::uint32_t x = x0; x < x1; ++x) {
      double c0 = 0, c1 = 0, c2 = 0;
      const float* w = &fx.w[fx.at[x]];
      const float* p = src + std::size_t{fx.first[x]} * 3;
      for (std::uint32_t k = 0; k < fx.count[x]; ++k, p += 3) {
        c0 += double{w[k]} * p[0];
        c1 += double{w[k]} * p[1];
        c2 += double{w[k]} * p[2];
      }
      float* d = dst + std::size_t{x - x0} * 3;
      d[0] = static_cast<float>(c0);
      d[1] = static_cast<float>(c1);
      d[2] = static_cast<float>(c2);
    }
  }
  std::vector<float> out(std::size_t{ny} * nx * 3);
#pragma omp parallel for schedule(static)
  for (std::int64_t y = y0; y < static_cast<std::int64_t>(y1); ++y) {
    float* d = &out[static_cast<std::size_t>(y - y0) * nx * 3];
    std::vector<double> acc(std::size_t{nx} * 3, 0.0);
    const float* w = &fy.w[fy.at[y]];
    for (std::uint32_t k = 0; k < fy.count[y]; ++k) {
      const float* src = &rows[std::size_t{fy.first[y] + k - r0} * nx * 3];
      const double wk = w[k];
      for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += wk * src[i];
    }
    for (std::size_t i = 0; i < acc.size(); ++i) d[i] = static_cast<float>(acc[i]);
  }
  return out;
}

}  // namespace

ComposePosition compose_position(std::uint64_t j, std::uint64_t video_frames, std::uint64_t keyframes, double steps) {
  const std::uint64_t K = keyframes > 1 ? keyframes - 1 : 1;
  steps = std::clamp(steps, 0.0, static_cast<double>(K));
  const double z = video_frames > 1 ? steps * static_cast<double>(j) / static_cast<double>(video_frames - 1) : 0.0;
  std::uint64_t k = static_cast<std::uint64_t>(std::floor(z));
  if (k >= K) k = K - 1;
  return {k, std::clamp(z - static_cast<double>(k), 0.0, 1.0)};
}

ImageF compose_frame(const ImageF& coarse, const ImageF& fine, double a, double ratio, std::uint32_t out_w,
                     std::uint32_t out_h) {
  const double sc = std::pow(ratio, -a);        // the frame's extent in coarse-extent units (<= 1)
  const double sf = std::pow(ratio, 1.0 - a);   // ... in fine-extent units (>= 1)
  // Taps per axis: enough for the largest footprint of any frame (the fine keyframe at a = 0).
  const int tx = std::max(1, static_cast<int>(std::ceil(ratio * fine.width / out_w - 1e-9)));
  const int ty = std::max(1, static_cast<int>(std::ceil(ratio * fine.height / out_h - 1e-9)));
  ImageF out{out_w, out_h, filter_layer(coarse, axis_filter(out_w, coarse.width, sc, tx),
                                        axis_filter(out_h, coarse.height, sc, ty), 0, out_w, 0, out_h)};
  if (a <= 0) return out;
  // The fine keyframe covers the video pixels with 2 max(|u|, |v|) sf < 1: a centred rectangle.
  auto inside = [](std::uint32_t n, double s, std::uint32_t& b, std::uint32_t& e) {
    b = n;
    e = 0;
    for (std::uint32_t o = 0; o < n; ++o)
      if (2.0 * std::fabs((o + 0.5) / n - 0.5) * s < 1.0) {
        b = std::min(b, o);
        e = o + 1;
      }
  };
  std::uint32_t x0, x1, y0, y1;
  inside(out_w, sf, x0, x1);
  inside(out_h, sf, y0, y1);
  if (x0 >= x1 || y0 >= y1) return out;
  const std::vector<float> f = filter_layer(fine, axis_filter(out_w, fine.width, sf, tx),
                                            axis_filter(out_h, fine.height, sf, ty), x0, x1, y0, y1);
  const double band = kComposeBand * (1.0 - a);
  const std::uint32_t nx = x1 - x0;
#pragma omp parallel for schedule(static)
  for (std::int64_t y = y0; y < static_cast<std::int64_t>(y1); ++y) {
    const double v = (static_cast<double>(y) + 0.5) / out_h - 0.5;
    for (std::uint32_t x = x0; x < x1; ++x) {
      const double u = (static_cast<double>(x) + 0.5) / out_w - 0.5;
      const double r = 2.0 * std::max(std::fabs(u * sf), std::fabs(v * sf));
      if (r >= 1.0) continue;
      const double wf = band > 0 ? a * std::clamp((1.0 - r) / band, 0.0, 1.0) : a;
      float* o = &out.rgb[(static_cast<std::size_t>(y) * out_w + x) * 3];
      const float* q = &f[(static_cast<std::size_t>(y - y0) * nx + (x - x0)) * 3];
      for (int k = 0; k < 3; ++k) o[k] = static_cast<float>(o[k] + (q[k] - o[k]) * wf);
    }
  }
  return out;
}

}  // namespace fractal::colour
