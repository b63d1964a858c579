// The optional per-pixel data (extras.hpp, docs/FORMAT.md "Smooth and distance data"): the smooth
// value's band bounds and continuity across band edges, the distance estimate against exactly
// known distances, interior values, and independence from the kernel that produced the counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "fractal/kernel/extras.hpp"
#include "fractal/kernel/family.hpp"
#include "fractal/kernel/kernel.hpp"

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

// ---- /smooth from the z at escape that the row kernels report (kernel.hpp render_row_*_esc) ----

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

FrameParams family_view(Fractal fr, Family fam, std::uint32_t d, double rot, double radius) {
  FrameParams p = fr == Fractal::Julia ? view(fr, -1.4, 1.4, -1.0, 1.0, 37, 23, 250, -0.62772, -0.42193, radius)
                                       : view(fr, -2.2, 1.0, -1.2, 1.2, 37, 23, 250, 0, 0, radius);
  p.family = fam;
  p.power = d;
  if (fr == Fractal::Julia && fam == Family::BurningShip) p.c_re = -0.5, p.c_im = -0.9;
  if (fr == Fractal::Julia && fam == Family::Tricorn) p.c_re = -1.1, p.c_im = 0.1;
  if (fr == Fractal::Julia && fam == Family::Multibrot && d == 3) p.c_re = 0.17593, p.c_im = 0.73629;
  if (fr == Fractal::Julia && fam == Family::Multibrot && d == 5) p.c_re = 0.62926, p.c_im = 0.48377;
  p.rotation = rot;
  rotation_cos_sin(rot, p.rot_cos, p.rot_sin);
  return p;
}

TEST(Extras, SmoothFromReportedEscapeIsTheFullReRunBitForBit) {
  // Every kernel variant x family x type x rotation x radius: the fast path (the steps past escape
  // only, from the kernel's z at escape) gives exactly point_extras' smooth value, and the counts
  // are the plain kernel's.
  const std::pair<Family, std::uint32_t> fams[] = {{Family::Multibrot, 2}, {Family::Multibrot, 3},
                                                   {Family::Multibrot, 5}, {Family::BurningShip, 2},
                                                   {Family::Tricorn, 2}};
  std::size_t escaped = 0;
  for (KernelKind k : supported_kernels()) {
    const RowKernelEsc fn = escape_row_kernel(row_kernel(k));
    ASSERT_NE(fn, nullptr) << kernel_name(k);
    for (auto [fam, d] : fams)
      for (Fractal fr : {Fractal::Julia, Fractal::Mandelbrot})
        for (double rot : {0.0, 30.0})
          for (double radius : {2.0, 1000.0})
            for (bool skip : {false, true}) {
              FrameParams p = family_view(fr, fam, d, rot, radius);
              p.skip_interior = skip;
              std::vector<std::uint32_t> counts(p.width), plain(p.width);
              std::vector<double> ex(p.width), ey(p.width);
              std::vector<float> fast(p.width), full(p.width);
              for (std::uint32_t i = 0; i < p.height; ++i) {
                fn(p, i, counts.data(), ex.data(), ey.data());
                row_kernel(k)(p, i, plain.data());
                ASSERT_EQ(counts, plain) << kernel_name(k);
                render_row_extras(p, i, counts.data(), ex.data(), ey.data(), fast.data(), nullptr);
                render_row_extras(p, i, counts.data(), full.data(), nullptr);
                for (std::uint32_t j = 0; j < p.width; ++j) {
                  double x, y;
                  pixel_point(p, i, j, x, y);
                  const PixelExtras e = point_extras(p, x, y, counts[j], false);
                  ASSERT_EQ(bits(fast[j]), bits(e.smooth))
                      << kernel_name(k) << " " << family_name(fam) << " d=" << d << " rot=" << rot << " R=" << radius
                      << " pixel " << i << "," << j << " count " << counts[j];
                  ASSERT_EQ(bits(full[j]), bits(e.smooth));
                  escaped += counts[j] < p.max_iter;
                }
              }
            }
  }
  EXPECT_GT(escaped, 10000u);
}

TEST(Extras, SmoothWithDistanceOrUnreportedZIsTheFullReRun) {
  // Distance asked: the whole orbit is re-run whatever the kernel reported; an unreported z (NaN)
  // falls back to the re-run; a wrong count is still caught there.
  const FrameParams p = view(Fractal::Mandelbrot, -2.5, 1.0, -1.2, 1.2, 48, 16, 200);
  const RowKernelEsc fn = escape_row_kernel(row_kernel(best_kernel()));
  ASSERT_NE(fn, nullptr);
  std::vector<std::uint32_t> counts(p.width);
  std::vector<double> ex(p.width), ey(p.width);
  for (std::uint32_t i = 0; i < p.height; ++i) {
    fn(p, i, counts.data(), ex.data(), ey.data());
    const Row ref = render(p, i);
    std::vector<float> s(p.width), d(p.width);
    render_row_extras(p, i, counts.data(), ex.data(), ey.data(), s.data(), d.data());
    for (std::uint32_t j = 0; j < p.width; ++j) {
      EXPECT_EQ(bits(s[j]), bits(ref.smooth[j]));
      EXPECT_EQ(bits(d[j]), bits(ref.distance[j]));
    }
    std::vector<double> nan(p.width, std::numeric_limits<double>::quiet_NaN());
    render_row_extras(p, i, counts.data(), nan.data(), nan.data(), s.data(), nullptr);
    for (std::uint32_t j = 0; j < p.width; ++j) EXPECT_EQ(bits(s[j]), bits(ref.smooth[j]));
  }
  fn(p, 3, counts.data(), ex.data(), ey.data());
  std::vector<double> nan(p.width, std::numeric_limits<double>::quiet_NaN());
  for (std::uint32_t j = 0; j < p.width; ++j)
    if (counts[j] < p.max_iter) {
      counts[j] += 1;
      break;
    }
  std::vector<float> s(p.width);
  EXPECT_THROW(render_row_extras(p, 3, counts.data(), nan.data(), nan.data(), s.data(), nullptr), std::logic_error);
}

}  // namespace
}  // namespace fractal
