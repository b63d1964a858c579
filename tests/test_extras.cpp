// The optional per-pixel data (extras.hpp, docs/FORMAT.md "Smooth and distance data"): the smooth
// value's band bounds and continuity across band edges, the distance estimate against exactly
// known distances, interior values, and independence from the kernel that produced the counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "fractal/extras.hpp"
#include "fractal/kernel.hpp"

namespace fractal {
namespace {

FrameParams view(Fractal fr, double xmin, double xmax, double ymin, double ymax, std::uint32_t w, std::uint32_t h,
                 std::uint32_t max_iter, double c_re = 0, double c_im = 0, double radius = 2) {
  FrameParams p;
  p.fractal = fr;
  p.width = w;
  p.height = h;
  p.xmin = xmin, p.xmax = xmax, p.ymin = ymin, p.ymax = ymax;
  p.c_re = c_re, p.c_im = c_im;
  p.max_iter = max_iter;
  p.escape_radius = radius;
  return p;
}

struct Row {
  std::vector<std::uint32_t> counts;
  std::vector<float> smooth, distance;
};

Row render(const FrameParams& p, std::uint32_t row, KernelKind k = KernelKind::Scalar) {
  Row r;
  r.counts.resize(p.width);
  r.smooth.resize(p.width);
  r.distance.resize(p.width);
  row_kernel(k)(p, row, r.counts.data());
  render_row_extras(p, row, r.counts.data(), r.smooth.data(), r.distance.data());
  return r;
}

// Escaped pixels: smooth within (n - 1 - tol, n + tol]; returns the fraction strictly in (n - 1, n].
double check_band(const FrameParams& p, double tol) {
  std::uint64_t escaped = 0, inside = 0;
  for (std::uint32_t i = 0; i < p.height; ++i) {
    const Row r = render(p, i);
    for (std::uint32_t j = 0; j < p.width; ++j) {
      const double n = r.counts[j];
      if (r.counts[j] == p.max_iter) {
        EXPECT_EQ(r.smooth[j], static_cast<float>(p.max_iter)) << "interior pixel " << i << "," << j;
        continue;
      }
      ++escaped;
      EXPECT_GT(r.smooth[j], n - 1 - tol) << "pixel " << i << "," << j << " count " << n;
      EXPECT_LE(r.smooth[j], n + tol) << "pixel " << i << "," << j << " count " << n;
      inside += r.smooth[j] > n - 1 && r.smooth[j] <= n;
    }
  }
  EXPECT_GT(escaped, p.width * p.height / 10) << "the view should be mostly exterior";
  return escaped ? static_cast<double>(inside) / escaped : 0;
}

TEST(Extras, SmoothLiesInItsBandForLargeRadius) {
  // With R large, |c| / R^2 is negligible, log|z| is the potential, and smooth is in (n-1, n].
  const FrameParams j = view(Fractal::Julia, -1.6, 1.6, -1.2, 1.2, 96, 72, 300, -0.62772, -0.42193, 1000);
  EXPECT_EQ(check_band(j, 1e-4), 1.0);
  const FrameParams m = view(Fractal::Mandelbrot, -2.5, 1.0, -1.2, 1.2, 96, 72, 300, 0, 0, 1000);
  EXPECT_EQ(check_band(m, 1e-4), 1.0);
}

TEST(Extras, SmoothNearItsBandForRadiusTwo) {
  // R = 2: the bands of the counts (|z_k| = 2) and the level lines of the potential differ by
  // the effect of c on the first steps after escape: a fraction of a band for |c| < 1.
  const FrameParams j = view(Fractal::Julia, -1.6, 1.6, -1.2, 1.2, 96, 72, 300, -0.62772, -0.42193);
  EXPECT_GT(check_band(j, 0.35), 0.75);
  const FrameParams small_c = view(Fractal::Julia, -1.6, 1.6, -1.2, 1.2, 96, 72, 300, 0.25, 0.1);
  EXPECT_GT(check_band(small_c, 0.1), 0.9);
}

TEST(Extras, SmoothIsContinuousAcrossBandEdges) {
  // The real axis right of the cusp: the counts fall from dozens to 1, with many band edges;
  // the smooth value moves by a small fraction of a band per pixel while the counts jump by 1.
  const FrameParams p = view(Fractal::Mandelbrot, 0.3, 2.0, -1e-3, 1e-3, 4000, 1, 1000);
  const Row r = render(p, 0);
  int edges = 0;
  double max_smooth_step = 0, max_count_step = 0;
  for (std::uint32_t j = 0; j + 1 < p.width; ++j) {
    ASSERT_LT(r.counts[j], p.max_iter);
    const double dc = std::fabs(double(r.counts[j + 1]) - double(r.counts[j]));
    edges += dc > 0;
    max_count_step = std::max(max_count_step, dc);
    max_smooth_step = std::max(max_smooth_step, std::fabs(double(r.smooth[j + 1]) - double(r.smooth[j])));
  }
  EXPECT_GE(edges, 5);
  EXPECT_LT(max_smooth_step, 0.2);
  EXPECT_GE(max_count_step, 1.0);  // the same check on the counts fails
  // ... and it falls monotonically towards the outside, as the potential does.
  for (std::uint32_t j = 0; j + 1 < p.width; ++j) EXPECT_GE(r.smooth[j] + 1e-4f, r.smooth[j + 1]) << j;
}

// The estimate at one point, with the count the scalar reference gives.
double distance_at(Fractal fr, double x, double y, double c_re = 0, double c_im = 0, std::uint32_t max_iter = 100000) {
  FrameParams p = view(fr, x - 1e-9, x + 1e-9, y - 1e-9, y + 1e-9, 1, 1, max_iter, c_re, c_im);
  double px, py;
  pixel_point(p, 0, 0, px, py);
  const std::uint32_t n = fr == Fractal::Julia ? iterate_point(px, py, c_re, c_im, max_iter, 4.0)
                                               : iterate_point(0, 0, px, py, max_iter, 4.0);
  return point_extras(p, px, py, n, true).distance;
}

TEST(Extras, DistanceWithinFactorTwoOfKnownDistances) {
  // Julia c = 0: the set is the unit disc, the distance of z is |z| - 1 exactly.
  for (double r : {1.001, 1.01, 1.1, 1.5, 2.5}) {
    for (double a : {0.3, 2.0, 4.0}) {
      const double d = distance_at(Fractal::Julia, r * std::cos(a), r * std::sin(a));
      EXPECT_GT(d, (r - 1) / 2) << "|z| = " << r;
      EXPECT_LT(d, (r - 1) * 2) << "|z| = " << r;
    }
  }
  // Julia c = -2: the set is the segment [-2, 2]. The factor-2 bound is asymptotic (Koebe:
  // estimate / distance < 4G / (1 - e^-2G) ~ 2 (1 + G) for potential G): beside the segment it
  // holds; at its tips, the extremal case, the estimate is 2 (1 + G) times the distance.
  for (auto [x, y] : {std::pair{0.0, 0.05}, {1.0, 0.3}, {-0.7, 0.01}, {1.9, 0.02}}) {
    const double d = distance_at(Fractal::Julia, x, y, -2, 0);
    EXPECT_GT(d, std::fabs(y) / 2) << x << "," << y;
    EXPECT_LT(d, std::fabs(y) * 2) << x << "," << y;
  }
  for (double t : {0.001, 0.01, 0.05}) {
    const double d = distance_at(Fractal::Julia, 2 + t, 0, -2, 0);
    const double G = std::acosh((2 + t) / 2);  // z = 2 cosh(G) on the real axis outside [-2, 2]
    EXPECT_GT(d, t / 2) << "tip + " << t;
    EXPECT_LT(d, t * 4 * G / (1 - std::exp(-2 * G))) << "tip + " << t;
  }
  // Mandelbrot c = -2.5: the nearest point of the set is its tip -2.
  const double tip = distance_at(Fractal::Mandelbrot, -2.5, 0);
  EXPECT_GT(tip, 0.25);
  EXPECT_LT(tip, 1.0);
  // Mandelbrot c = 1/4 + t: at most twice the distance to the main cardioid (the set holds the
  // cardioid, so that bounds the true distance from above), and shrinking with t.
  double last = 1e9;
  for (double t : {0.5, 0.1, 0.01, 0.001}) {
    double dc = 1e9;
    for (int k = 0; k <= 200000; ++k) {
      const double th = std::numbers::pi * k / 200000;
      dc = std::min(dc, std::hypot(0.25 + t - (std::cos(th) / 2 - std::cos(2 * th) / 4), std::sin(th) / 2 - std::sin(2 * th) / 4));
    }
    const double d = distance_at(Fractal::Mandelbrot, 0.25 + t, 0);
    EXPECT_GT(d, 0) << t;
    EXPECT_LT(d, 2 * dc) << "t = " << t << ", distance to the cardioid " << dc;
    EXPECT_LT(d, last) << t;
    last = d;
  }
}

TEST(Extras, InteriorGivesMaxIterAndZeroDistance) {
  const FrameParams p = view(Fractal::Mandelbrot, -0.3, 0.1, -0.2, 0.2, 8, 8, 200);  // inside the cardioid
  for (std::uint32_t i = 0; i < p.height; ++i) {
    const Row r = render(p, i);
    for (std::uint32_t j = 0; j < p.width; ++j) {
      ASSERT_EQ(r.counts[j], p.max_iter);
      EXPECT_EQ(r.smooth[j], 200.0f);
      EXPECT_EQ(r.distance[j], 0.0f);
    }
  }
}

TEST(Extras, WrongCountIsALogicError) {
  const FrameParams p = view(Fractal::Mandelbrot, -2.5, 1.0, -1.2, 1.2, 16, 16, 100);
  std::vector<std::uint32_t> counts(p.width);
  row_kernel(KernelKind::Scalar)(p, 3, counts.data());
  std::vector<float> s(p.width);
  for (std::uint32_t j = 0; j < p.width; ++j)
    if (counts[j] < p.max_iter) {
      counts[j] += 1;  // one more than it is
      break;
    }
  EXPECT_THROW(render_row_extras(p, 3, counts.data(), s.data(), nullptr), std::logic_error);
}

TEST(Extras, SameForEveryKernel) {
  FrameParams views[] = {
      view(Fractal::Julia, -1.6, 1.6, -1.2, 1.2, 67, 41, 300, -0.62772, -0.42193),
      view(Fractal::Mandelbrot, -2.2, 0.8, -1.2, 1.2, 67, 41, 300),
  };
  for (const FrameParams& p : views) {
    for (KernelKind k : supported_kernels()) {
      for (std::uint32_t i = 0; i < p.height; ++i) {
        const Row a = render(p, i, KernelKind::Scalar), b = render(p, i, k);
        ASSERT_EQ(a.counts, b.counts) << kernel_name(k);
        for (std::uint32_t j = 0; j < p.width; ++j) {
          EXPECT_EQ(std::bit_cast<std::uint32_t>(a.smooth[j]), std::bit_cast<std::uint32_t>(b.smooth[j])) << kernel_name(k);
          EXPECT_EQ(std::bit_cast<std::uint32_t>(a.distance[j]), std::bit_cast<std::uint32_t>(b.distance[j])) << kernel_name(k);
        }
      }
    }
  }
}

}  // namespace
}  // namespace fractal
