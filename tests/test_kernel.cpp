// Kernel tests: DESIGN.md's iteration semantics on known points, symmetries of the counts, and
// every variant bit-identical to the scalar reference on many views (including lane tails, tiny
// budgets and budgets above 2^31), with Mandelbrot interior skipping on and off, and on views that
// exercise the blocked escape test and its replay. The reference is the scalar kernel with
// skipping off, i.e. iterate_point for every pixel. Variants the CPU lacks are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fractal/error.hpp"
#include "fractal/kernel/kernel.hpp"
#include "kernel_support.hpp"

namespace fractal {
namespace {

using test::kGuard;
using test::render;

FrameParams julia_view(double xmin, double xmax, double ymin, double ymax, std::uint32_t w,
                       std::uint32_t h, std::uint32_t max_iter) {
  FrameParams p;
  p.fractal = Fractal::Julia;
  p.width = w;
  p.height = h;
  p.xmin = xmin, p.xmax = xmax, p.ymin = ymin, p.ymax = ymax;
  p.c_re = -0.62772, p.c_im = -0.42193;
  p.max_iter = max_iter;
  return p;
}

FrameParams mandel_view(double xmin, double xmax, double ymin, double ymax, std::uint32_t w,
                        std::uint32_t h, std::uint32_t max_iter) {
  FrameParams p = julia_view(xmin, xmax, ymin, ymax, w, h, max_iter);
  p.fractal = Fractal::Mandelbrot;
  p.c_re = p.c_im = 0;
  return p;
}


// One count of a 1x1 frame.
std::uint32_t one_pixel(const FrameParams& p, KernelKind k) {
  std::uint32_t out = kGuard;
  const std::uint64_t sum = row_kernel(k)(p, 0, &out);
  EXPECT_EQ(sum, out);
  return out;
}

// ---- iterate_point and the pixel mapping (kernel independent) ----

TEST(IteratePoint, KnownJuliaPointsFromDesign) {
  const double r2 = 4.0;
  EXPECT_EQ(iterate_point(0.8, 0.8, -0.62772, -0.42193, 1000, r2), 2u);
  EXPECT_GE(iterate_point(0.0, 0.0, -0.62772, -0.42193, 1000, r2), 10u);
}

TEST(IteratePoint, FirstStepEscapeAndInterior) {
  EXPECT_EQ(iterate_point(0, 0, 3.0, 0.0, 100, 4.0), 0u);      // |z_1| = 3 > 2
  EXPECT_EQ(iterate_point(0, 0, 0.0, 0.0, 100, 4.0), 100u);    // fixed point 0
  EXPECT_EQ(iterate_point(0, 0, -1.0, 0.0, 100, 4.0), 100u);   // period-2 cycle 0, -1
  EXPECT_EQ(iterate_point(0, 0, 0.0, 0.0, 0, 4.0), 0u);        // no budget: count = max_iter
}

TEST(PixelMapping, CentresFollowDesign) {
  const FrameParams p = julia_view(-1.5, 1.5, -1.0, 1.0, 3, 2, 10);
  EXPECT_EQ(pixel_x(p, 0), -1.0);
  EXPECT_EQ(pixel_x(p, 2), 1.0);
  EXPECT_EQ(pixel_y(p, 0), 0.5);   // row 0 is the top
  EXPECT_EQ(pixel_y(p, 1), -0.5);
}

TEST(KernelNames, FromName) {
  EXPECT_EQ(kernel_from_name("scalar"), KernelKind::Scalar);
  EXPECT_TRUE(kernel_supported(kernel_from_name("auto")));
  EXPECT_THROW(kernel_from_name("avx9000"), UsageError);
  EXPECT_THROW(kernel_from_name(""), UsageError);
  EXPECT_STREQ(kernel_name(KernelKind::Scalar), "scalar");
  ASSERT_FALSE(supported_kernels().empty());
  EXPECT_EQ(supported_kernels().front(), KernelKind::Scalar);
}

// ---- every kernel variant ----

class Kernel : public ::testing::TestWithParam<KernelKind> {
 protected:
  void SetUp() override {
    if (!kernel_supported(GetParam()))
      GTEST_SKIP() << kernel_name(GetParam()) << " is not supported by this CPU";
  }
  KernelKind k() const { return GetParam(); }
  // The variant under test gives exactly the scalar reference's counts on this view, with
  // interior skipping off and on (it only applies to Mandelbrot views with z0 = 0 and R >= 2).
  void expect_matches_scalar(const FrameParams& p, const std::string& what) const {
    FrameParams ref_p = p;
    ref_p.skip_interior = false;
    const auto ref = render(ref_p, KernelKind::Scalar);
    for (const bool skip : {false, true}) {
      FrameParams q = p;
      q.skip_interior = skip;
      const auto got = render(q, k());
      ASSERT_EQ(ref.size(), got.size());
      std::size_t bad = 0;
      for (std::size_t i = 0; i < ref.size(); ++i)
        if (ref[i] != got[i] && bad++ < 5)
          ADD_FAILURE() << what << (skip ? " (skip on)" : " (skip off)") << ": pixel ("
                        << i / p.width << "," << i % p.width << ") scalar " << ref[i] << " "
                        << kernel_name(k()) << " " << got[i];
      EXPECT_EQ(bad, 0u) << what << (skip ? " (skip on)" : " (skip off)") << ": mismatching pixels";
    }
  }
};

TEST_P(Kernel, KnownPointsOnePixelFrames) {
  // A 1x1 frame whose only pixel centre is (nearly) 0.8+0.8i: count 2, far from any boundary.
  FrameParams p = julia_view(0.7, 0.9, 0.7, 0.9, 1, 1, 1000);
  ASSERT_NEAR(pixel_x(p, 0), 0.8, 1e-12);
  ASSERT_NEAR(pixel_y(p, 0), 0.8, 1e-12);
  EXPECT_EQ(one_pixel(p, k()), 2u);
  p = julia_view(-1, 1, -1, 1, 1, 1, 1000);  // centre exactly 0
  EXPECT_GE(one_pixel(p, k()), 10u);
  EXPECT_EQ(one_pixel(p, k()), iterate_point(0, 0, p.c_re, p.c_im, 1000, 4.0));
}

TEST_P(Kernel, FirstStepEscapeIsZeroAndInteriorIsMaxIter) {
  EXPECT_EQ(one_pixel(mandel_view(2, 4, -1, 1, 1, 1, 50), k()), 0u);       // c = 3
  EXPECT_EQ(one_pixel(mandel_view(-1, 1, -1, 1, 1, 1, 500), k()), 500u);   // c = 0
  EXPECT_EQ(one_pixel(mandel_view(-2, 0, -1, 1, 1, 1, 500), k()), 500u);   // c = -1
  EXPECT_EQ(one_pixel(mandel_view(-2, 0, -1, 1, 1, 1, 1), k()), 1u);       // max_iter 1
  EXPECT_EQ(one_pixel(mandel_view(-2, 0, -1, 1, 1, 1, 0), k()), 0u);       // max_iter 0
}

TEST_P(Kernel, EscapeExactlyAtMaxIterGivesMaxIterMinusOne) {
  // Find pixels with several different counts n with the scalar reference, then re-render their
  // rows with max_iter = n + 1 (escape at k = max_iter: count max_iter - 1) and max_iter = n
  // (no escape within the budget: count max_iter).
  const FrameParams base = mandel_view(-2, 0.5, -1.25, 1.25, 37, 29, 200);
  const auto ref = render(base, KernelKind::Scalar);
  int checked = 0;
  for (std::uint32_t n = 1; n < 60; ++n) {
    std::size_t at = 0;
    while (at < ref.size() && ref[at] != n) ++at;
    if (at == ref.size()) continue;
    const std::uint32_t i = std::uint32_t(at / base.width), j = std::uint32_t(at % base.width);
    std::vector<std::uint32_t> out(base.width);
    FrameParams p = base;
    p.max_iter = n + 1;
    row_kernel(k())(p, i, out.data());
    EXPECT_EQ(out[j], p.max_iter - 1) << "n=" << n;
    p.max_iter = n;
    row_kernel(k())(p, i, out.data());
    EXPECT_EQ(out[j], p.max_iter) << "n=" << n;
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST_P(Kernel, EscapeIsStrictlyGreaterThanRSquared) {
  // |z_1|^2 == 4 exactly is not an escape: c = 2 escapes at k = 2 (count 1), c = -2 never.
  EXPECT_EQ(one_pixel(mandel_view(1, 3, -1, 1, 1, 1, 50), k()), 1u);      // c = 2
  EXPECT_EQ(one_pixel(mandel_view(-1, 1, 1, 3, 1, 1, 50), k()), 1u);      // c = 2i
  EXPECT_EQ(one_pixel(mandel_view(-3, -1, -1, 1, 1, 1, 50), k()), 50u);   // c = -2
}

TEST_P(Kernel, MatchesScalarWhereRoundingDecidesEscape) {
  // Pixel grids a few ulps wide straddling |c| = 2. With z0 = 0, z_1 = c exactly, so the first
  // escape test sees the pixel itself, and for some pixels fma(x,x,y*y) > 4 disagrees with the
  // twice-rounded x*x + y*y > 4: only DESIGN.md's exact rounding matches the reference there.
  for (const double y : {1.1, 0.7}) {
    const double xc = std::sqrt(4 - y * y), h = 2e-15;
    for (std::uint32_t mi : {1u, 40u}) {
      const FrameParams p = mandel_view(xc - h, xc + h, y - h, y + h, 64, 64, mi);
      int sensitive = 0;
      for (std::uint32_t i = 0; i < p.height; ++i)
        for (std::uint32_t j = 0; j < p.width; ++j) {
          const double px = pixel_x(p, j), py = pixel_y(p, i);
          sensitive += (std::fma(px, px, py * py) > 4.0) != (px * px + py * py > 4.0);
        }
      ASSERT_GT(sensitive, 0) << "view does not exercise the rounding (y=" << y << ")";
      expect_matches_scalar(p, "circle straddle y=" + std::to_string(y));
    }
  }
}

TEST_P(Kernel, JuliaSymmetricUnderNegation) {
  // z -> -z maps the Julia orbit onto itself after one step (z_1 is identical, rounding
  // included), so pixel (i,j) equals pixel (H-1-i, W-1-j) whenever the pixel centres mirror
  // exactly. They do here: the steps (3/64, 1/16) and all centres are short binary fractions, so
  // xmin + (j + 0.5) * dx is exact. Even and odd sizes, square and not.
  for (const FrameParams& p : {julia_view(-1.5, 1.5, -1.5, 1.5, 64, 64, 300),
                               julia_view(-63.0 / 32, 63.0 / 32, -33.0 / 32, 33.0 / 32, 63, 33, 300)}) {
    const auto img = render(p, k());
    const std::uint32_t W = p.width, H = p.height;
    std::uint32_t distinct = 0;
    for (std::uint32_t i = 0; i < H; ++i)
      for (std::uint32_t j = 0; j < W; ++j) {
        ASSERT_EQ(img[i * W + j], img[(H - 1 - i) * W + (W - 1 - j)]) << i << "," << j;
        distinct += img[i * W + j] != img[0];
      }
    EXPECT_GT(distinct, W * H / 4);  // not trivially constant
  }
}

TEST_P(Kernel, MandelbrotSymmetricUnderConjugation) {
  // c -> conj(c) conjugates the whole orbit from z0 = 0 (fma rounding is sign-symmetric), so row
  // i equals row H-1-i when ymin = -ymax and the row centres mirror exactly (dy = 1/16 here).
  for (const FrameParams& p : {mandel_view(-2, 0.5, -1.25, 1.25, 50, 40, 300),
                               mandel_view(-2, 0.5, -41.0 / 32, 41.0 / 32, 33, 41, 300)}) {
    const auto img = render(p, k());
    const std::uint32_t W = p.width, H = p.height;
    for (std::uint32_t i = 0; i < H; ++i)
      for (std::uint32_t j = 0; j < W; ++j)
        ASSERT_EQ(img[i * W + j], img[(H - 1 - i) * W + j]) << i << "," << j;
  }
}

TEST_P(Kernel, MatchesScalarOnWorkloadViews) {
  expect_matches_scalar(julia_view(-1.8, 1.8, -1.8, 1.8, 100, 90, 1000), "julia workload");
  expect_matches_scalar(mandel_view(-0.745, -0.735, 0.105, 0.115, 64, 48, 2000), "seahorse");
  expect_matches_scalar(mandel_view(-2, 0.5, -1.25, 1.25, 120, 100, 500), "full mandelbrot");
}

TEST_P(Kernel, MatchesScalarOnVariants) {
  FrameParams p = mandel_view(-2, 0.5, -1.25, 1.25, 45, 31, 200);
  p.z0_re = 0.25, p.z0_im = -0.125;
  expect_matches_scalar(p, "mandelbrot z0");
  for (double r : {10.0, 0.5, 0.0}) {
    FrameParams q = julia_view(-1.8, 1.8, -1.8, 1.8, 41, 23, 300);
    q.escape_radius = r;
    expect_matches_scalar(q, "julia radius " + std::to_string(r));
    q = mandel_view(-2.2, 0.8, -1.5, 1.5, 41, 23, 300);
    q.escape_radius = r;
    expect_matches_scalar(q, "mandelbrot radius " + std::to_string(r));
  }
  for (std::uint32_t mi : {0u, 1u, 2u, 3u}) {
    expect_matches_scalar(julia_view(-1.8, 1.8, -1.8, 1.8, 33, 17, mi), "julia max_iter");
    expect_matches_scalar(mandel_view(-2, 0.5, -1.25, 1.25, 33, 17, mi), "mandelbrot max_iter");
  }
  for (std::uint32_t w : {1u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 32u, 33u, 100u}) {
    expect_matches_scalar(julia_view(-1.8, 1.8, -1.8, 1.8, w, 5, 400), "julia width");
    expect_matches_scalar(mandel_view(-2, 0.5, -1.25, 1.25, w, 5, 400), "mandelbrot width");
  }
}

TEST_P(Kernel, MaxIterAboveTwoToThe31) {
  // Budgets near the top of uint32 (a signed 32-bit counter compare would break here). Every
  // pixel of these views escapes within a few steps, so the test stays fast.
  for (std::uint32_t mi : {0x80000005u, 0xFFFFFFFFu}) {
    const FrameParams m = mandel_view(0.6, 3.0, 0.5, 3.0, 19, 7, mi);
    expect_matches_scalar(m, "mandelbrot huge max_iter");
    const FrameParams j = julia_view(1.6, 4.0, -3.0, 3.0, 19, 7, mi);
    expect_matches_scalar(j, "julia huge max_iter");
    for (std::uint32_t v : render(m, k())) EXPECT_LT(v, 100u);
  }
}

TEST_P(Kernel, MatchesScalarOnRandomViews) {
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int n = 0; n < 50; ++n) {
    const double cx = 1.2 * u(rng) - 0.3, cy = 1.2 * u(rng);
    const double w = std::pow(10.0, -3.0 * (u(rng) + 1.0));  // widths 1e-6 .. 1
    const std::uint32_t W = 1 + std::uint32_t(rng() % 40), H = 1 + std::uint32_t(rng() % 12);
    const std::uint32_t mi = 1 + std::uint32_t(rng() % 700);
    FrameParams p = (n % 2 ? mandel_view : julia_view)(cx - w, cx + w, cy - w, cy + w, W, H, mi);
    if (p.fractal == Fractal::Julia) p.c_re = 0.8 * u(rng), p.c_im = 0.8 * u(rng);
    if (n % 5 == 0) p.z0_re = 0.2 * u(rng), p.z0_im = 0.2 * u(rng);
    if (n % 7 == 0) p.escape_radius = 1.0 + 4.0 * (u(rng) + 1.0);
    expect_matches_scalar(p, "random view " + std::to_string(n));
  }
}

// ---- Mandelbrot interior skipping ----

// A point of the main cardioid's (or the period-2 bulb's) family whose attracting cycle has
// multiplier lambda: |lambda| < 1 inside, = 1 on the boundary.
std::pair<double, double> cardioid_point(double modulus, double angle) {
  const double lr = modulus * std::cos(angle), li = modulus * std::sin(angle);
  // c = lambda/2 - lambda^2/4
  return {lr / 2 - (lr * lr - li * li) / 4, li / 2 - (2 * lr * li) / 4};
}
std::pair<double, double> bulb_point(double modulus, double angle) {
  return {-1 + modulus / 4 * std::cos(angle), modulus / 4 * std::sin(angle)};  // 4(c + 1) = lambda
}

TEST(InteriorSkip, AppliesOnlyWhereValid) {
  FrameParams p = mandel_view(-2, 0.5, -1.25, 1.25, 10, 10, 100);
  EXPECT_TRUE(interior_skip_applies(p));
  FrameParams q = p;
  q.skip_interior = false;
  EXPECT_FALSE(interior_skip_applies(q));
  q = p, q.z0_re = 1e-300;
  EXPECT_FALSE(interior_skip_applies(q));   // z0 != 0: the orbit is another one
  q = p, q.z0_im = -0.25;
  EXPECT_FALSE(interior_skip_applies(q));
  q = p, q.escape_radius = 1.9999999;
  EXPECT_FALSE(interior_skip_applies(q));   // R < 2: interior orbits may pass |z| > R
  q = p, q.escape_radius = 2.0;
  EXPECT_TRUE(interior_skip_applies(q));
  q = p, q.escape_radius = 1e150;
  EXPECT_TRUE(interior_skip_applies(q));
  q = julia_view(-2, 2, -2, 2, 10, 10, 100);
  EXPECT_FALSE(interior_skip_applies(q));
}

TEST(InteriorSkip, TestIsConservative) {
  // Clear cases.
  for (auto [x, y] : {std::pair{0.0, 0.0}, {-1.0, 0.0}, {-0.5, 0.3}, {0.2, 0.0}, {-0.1, 0.6},
                      {-1.2, 0.0}, {-0.8, 0.1}})
    EXPECT_TRUE(mandelbrot_interior(x, y)) << x << " " << y;
  for (auto [x, y] : {std::pair{0.25, 0.0}, {0.26, 0.0}, {-0.75, 0.0}, {-1.25, 0.0}, {-2.0, 0.0},
                      {0.0, 0.7}, {-0.75, 0.1}, {0.3, 0.5}, {1e300, 1e300}, {-1e300, 0.0}})
    EXPECT_FALSE(mandelbrot_interior(x, y)) << x << " " << y;
  // The margin: cycle multiplier |lambda| <= 1 - kInteriorMargin is accepted, anything closer to
  // the boundary (or on it, or outside) is not, all the way round both components.
  const double d = kInteriorMargin;
  for (int i = 0; i < 720; ++i) {
    const double a = 2 * M_PI * (i + 0.5) / 720;
    for (auto f : {cardioid_point, bulb_point}) {
      auto [x, y] = f(1 - 1.01 * d, a);
      EXPECT_TRUE(mandelbrot_interior(x, y)) << "inside the margin, angle " << a;
      std::tie(x, y) = f(1 - 0.99 * d, a);
      // The other component may still contain the point (near their contact point c = -3/4).
      const bool other = f == cardioid_point ? std::hypot(x + 1, y) < 0.25 : false;
      if (!other) {
        EXPECT_FALSE(mandelbrot_interior(x, y)) << "in the margin, angle " << a;
      }
      std::tie(x, y) = f(1.0, a);
      EXPECT_FALSE(mandelbrot_interior(x, y)) << "on the boundary, angle " << a;
    }
  }
}

TEST(InteriorSkip, AcceptedPointsNeverEscapeInALongRun) {
  // The points the test accepts that are closest to the boundary (|lambda| = 1 - 1.01 margin),
  // iterated by the reference for 200000 steps: none escapes (their orbits converge, slowly).
  const double d = kInteriorMargin;
  for (int i = 0; i < 48; ++i) {
    const double a = 2 * M_PI * (i + 0.25) / 48;
    for (auto f : {cardioid_point, bulb_point}) {
      const auto [x, y] = f(1 - 1.01 * d, a);
      ASSERT_TRUE(mandelbrot_interior(x, y));
      EXPECT_EQ(iterate_point(0, 0, x, y, 200000, 4.0), 200000u) << x << " " << y;
    }
  }
}

TEST_P(Kernel, InteriorSkipMatchesBruteForceOnBoundaryViews) {
  // Small views straddling the cardioid and bulb boundaries at several angles and zooms (pixels
  // on both sides of the margin), with budgets large enough that slow interior orbits matter.
  int n = 0;
  for (double a : {0.0, 0.4, 1.0, 1.7, 2.2, 2.9, M_PI, 3.6, 5.0}) {
    for (double w : {1e-2, 1e-4, 4e-6, 1e-9}) {
      for (auto f : {cardioid_point, bulb_point}) {
        const auto [x, y] = f(1.0, a);
        expect_matches_scalar(mandel_view(x - w, x + w, y - w, y + w, 24, 9, 3000),
                              "boundary view " + std::to_string(n++));
      }
    }
  }
  // The cusp (c = 1/4) and the contact point of cardioid and bulb (c = -3/4).
  expect_matches_scalar(mandel_view(0.25 - 1e-3, 0.25 + 1e-3, -1e-3, 1e-3, 31, 17, 5000), "cusp");
  expect_matches_scalar(mandel_view(-0.75 - 1e-3, -0.75 + 1e-3, -1e-3, 1e-3, 31, 17, 5000), "contact");
  // Workload 2's view (58.5% of its pixels are in the cardioid) and the whole set.
  expect_matches_scalar(mandel_view(-0.745, -0.735, 0.105, 0.115, 120, 40, 2000), "seahorse");
  expect_matches_scalar(mandel_view(-2, 0.5, -1.25, 1.25, 150, 60, 1000), "whole set");
}

TEST_P(Kernel, InteriorSkipRespectsZ0AndEscapeRadius) {
  // Where skipping must not apply, the counts are the brute-force ones (a skipped pixel would
  // show max_iter where the reference escapes).
  FrameParams p = mandel_view(-2, 0.5, -1.25, 1.25, 70, 33, 400);
  for (auto [zr, zi] : {std::pair{0.3, 0.0}, {0.0, -0.2}, {1e-9, 0.0}, {0.5, 0.5}}) {
    FrameParams q = p;
    q.z0_re = zr, q.z0_im = zi;
    expect_matches_scalar(q, "z0 " + std::to_string(zr) + " " + std::to_string(zi));
  }
  for (double r : {0.3, 1.0, 1.5, 1.9999999, 2.0, 2.0000001, 3.0, 1e3, 1e150}) {
    FrameParams q = p;
    q.escape_radius = r;
    expect_matches_scalar(q, "radius " + std::to_string(r));
  }
  // With R < 2, points of the cardioid near c = -3/4 do pass |z| > R: skipping would be wrong.
  FrameParams q = mandel_view(-0.8, -0.6, -0.1, 0.1, 40, 40, 500);
  q.escape_radius = 0.6;
  FrameParams brute = q;
  brute.skip_interior = false;
  const auto ref = render(brute, KernelKind::Scalar);
  EXPECT_TRUE(std::any_of(ref.begin(), ref.end(), [&](std::uint32_t v) { return v < q.max_iter; }));
  expect_matches_scalar(q, "radius 0.6 near -3/4");
}

// ---- escape tested every K steps, with replay ----

TEST_P(Kernel, BlockedEscapeTestExactAroundMaxIter) {
  // Views where escapes are rare (long bursts: the blocked test runs) and counts are spread
  // widely, rendered with budgets just below, at and above many of their counts, so lanes hit the
  // deadline and escape at every offset within a block, and at k = max_iter exactly.
  const FrameParams base = mandel_view(-0.7453, -0.7447, 0.1097, 0.1103, 40, 6, 5000);
  FrameParams brute = base;
  brute.skip_interior = false;
  const auto ref = render(brute, KernelKind::Scalar);
  std::vector<std::uint32_t> counts;
  for (std::uint32_t v : ref)
    if (v > 20 && v < base.max_iter) counts.push_back(v);
  ASSERT_GE(counts.size(), 30u);
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  int n = 0;
  for (std::size_t i = 0; i < counts.size(); i += std::max<std::size_t>(1, counts.size() / 12))
    for (int delta : {-9, -8, -1, 0, 1, 2, 7, 8, 9}) {
      FrameParams p = base;
      p.max_iter = static_cast<std::uint32_t>(std::int64_t(counts[i]) + delta);
      expect_matches_scalar(p, "max_iter " + std::to_string(p.max_iter));
      ++n;
    }
  EXPECT_GE(n, 100);
  // Julia views near the set's boundary: mostly slow escapes.
  for (std::uint32_t mi : {500u, 1001u, 1007u}) {
    FrameParams j = julia_view(-0.2, 0.2, -0.1, 0.1, 50, 8, mi);
    j.c_re = -0.75, j.c_im = 0.11;  // near the cardioid boundary: orbits escape after hundreds of steps
    expect_matches_scalar(j, "slow julia " + std::to_string(mi));
  }
}

TEST_P(Kernel, BlockedEscapeTestOnlyWhereSafe) {
  // |c| near or above R^2 - R: an escaped orbit may come back under R, so the kernels test every
  // step there. Around c = -2 (R = 2) orbits sit at |z| = 2 for long; Julia sets with big |c|;
  // Mandelbrot views reaching past |c| = 2; huge radii (orbits overflow to inf and NaN); a
  // radius whose square overflows (nothing escapes).
  expect_matches_scalar(mandel_view(-2 - 1e-6, -2 + 1e-6, -1e-6, 1e-6, 33, 11, 3000), "c near -2");
  expect_matches_scalar(mandel_view(-2.2, 0.8, -1.6, 1.6, 64, 32, 800), "view past |c| = 2");
  for (auto [cr, ci, r] : {std::tuple{-2.0, 0.0, 2.0}, {-1.99, 0.01, 2.0}, {2.0, 0.0, 2.0},
                           {0.0, 2.0, 2.0}, {-5.9, 0.1, 3.0}, {-6.1, 0.0, 3.0}, {1.2, -1.3, 2.5},
                           {-0.75, 0.11, 1e150}, {-0.75, 0.11, 1e100}, {0.3, 0.5, 1e160}}) {
    FrameParams j = julia_view(-2.5, 2.5, -2.5, 2.5, 45, 13, 700);
    j.c_re = cr, j.c_im = ci, j.escape_radius = r;
    expect_matches_scalar(j, "julia c " + std::to_string(cr) + " " + std::to_string(ci) + " R " + std::to_string(r));
    FrameParams m = mandel_view(-2.5, 1.0, -1.5, 1.5, 45, 13, 700);
    m.escape_radius = r;
    expect_matches_scalar(m, "mandelbrot R " + std::to_string(r));
  }
}

TEST_P(Kernel, ManyLanesAndRowWidths) {
  // Widths around the lane counts (32 for AVX2, 64 for AVX-512) and their multiples, on views
  // with a mix of fast escapes, slow escapes and interior points.
  for (std::uint32_t w : {31u, 32u, 33u, 63u, 64u, 65u, 127u, 128u, 129u, 200u, 513u}) {
    expect_matches_scalar(julia_view(-1.8, 1.8, -1.8, 1.8, w, 3, 300), "julia width " + std::to_string(w));
    expect_matches_scalar(mandel_view(-2, 0.5, -1.25, 1.25, w, 3, 300), "mandelbrot width " + std::to_string(w));
    expect_matches_scalar(mandel_view(-0.745, -0.735, 0.105, 0.115, w, 2, 1000), "seahorse width " + std::to_string(w));
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, Kernel,
                         ::testing::Values(KernelKind::Scalar, KernelKind::Avx2,
                                           KernelKind::Avx512),
                         [](const auto& info) { return std::string(kernel_name(info.param)); });

}  // namespace
}  // namespace fractal
