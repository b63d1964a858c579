// Family and rotation tests (issue #7): the scalar reference against an independent, test-local
// transcription of docs/FORMAT.md ("Families and rotation"); every SIMD variant bit-identical to
// the scalar reference for every family x {julia, mandelbrot} x power x rotation x escape radius;
// known points checked by hand; exact symmetries of the counts (conjugation, z -> -z, c -> -c) and
// exact pixel permutations of views rotated by 90 and 180 degrees. Variants the CPU lacks are
// skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "fractal/kernel/family.hpp"
#include "fractal/kernel/kernel.hpp"
#include "kernel_support.hpp"

namespace fractal {
namespace {

using test::kGuard;
using test::render;

// ---- an independent transcription of FORMAT.md (no library code but rotation_cos_sin) ----

// One step z -> f(z) + c of "Families and rotation", written out here independently of family_step.
void hand_step(Family fam, std::uint32_t d, double& x, double& y, double cx, double cy) {
  double nx, ny;
  if (fam == Family::Multibrot && d >= 3) {
    double a = x, b = y;  // w = z, then d - 1 times w <- w * z
    for (std::uint32_t m = 1; m < d; ++m) {
      const double by = b * y, bx = b * x;
      const double na = std::fma(a, x, -by);
      const double nb = std::fma(a, y, bx);
      a = na, b = nb;
    }
    nx = a + cx;
    ny = b + cy;
  } else {
    nx = std::fma(-y, y, std::fma(x, x, cx));
    if (fam == Family::BurningShip) ny = std::fma(2.0 * std::fabs(x), std::fabs(y), cy);
    else if (fam == Family::Tricorn) ny = std::fma(-2.0 * x, y, cy);
    else ny = std::fma(2.0 * x, y, cy);
  }
  x = nx, y = ny;
}

// One orbit: the count of FORMAT.md "Semantics" with the step of "Families and rotation".
std::uint32_t hand_count(Family fam, std::uint32_t d, double x, double y, double cx, double cy,
                         std::uint32_t max_iter, double r2) {
  for (std::uint32_t k = 1; k <= max_iter; ++k) {
    hand_step(fam, d, x, y, cx, cy);
    if (std::fma(x, x, y * y) > r2) return k - 1;
  }
  return max_iter;
}

// The point of pixel (i, j): FORMAT.md's mapping, rotated about the view's centre.
void hand_point(const FrameParams& p, std::uint32_t i, std::uint32_t j, double& x, double& y) {
  const double dx = (p.xmax - p.xmin) / p.width, dy = (p.ymax - p.ymin) / p.height;
  x = p.xmin + (j + 0.5) * dx;
  y = p.ymax - (i + 0.5) * dy;
  double c, s;
  rotation_cos_sin(p.rotation, c, s);
  if (c == 1 && s == 0) return;
  const double ox = 0.5 * (p.xmin + p.xmax), oy = 0.5 * (p.ymin + p.ymax);
  const double u = x - ox, v = y - oy;
  x = ox + std::fma(c, u, -(s * v));
  y = oy + std::fma(s, u, c * v);
}

std::vector<std::uint32_t> hand_render(const FrameParams& p) {
  std::vector<std::uint32_t> img(std::size_t(p.width) * p.height);
  const double r2 = p.escape_radius * p.escape_radius;
  for (std::uint32_t i = 0; i < p.height; ++i)
    for (std::uint32_t j = 0; j < p.width; ++j) {
      double x, y;
      hand_point(p, i, j, x, y);
      img[std::size_t(i) * p.width + j] =
          p.fractal == Fractal::Julia ? hand_count(p.family, p.power, x, y, p.c_re, p.c_im, p.max_iter, r2)
                                      : hand_count(p.family, p.power, p.z0_re, p.z0_im, x, y, p.max_iter, r2);
    }
  return img;
}

// ---- frames ----

FrameParams frame(Fractal f, Family fam, std::uint32_t power, double cx, double cy, double hw,
                  std::uint32_t w, std::uint32_t h, std::uint32_t max_iter) {
  FrameParams p;
  p.fractal = f;
  p.family = fam;
  p.power = power;
  p.width = w, p.height = h;
  const double hh = hw * h / w;
  p.xmin = cx - hw, p.xmax = cx + hw, p.ymin = cy - hh, p.ymax = cy + hh;
  p.max_iter = max_iter;
  return p;
}

void set_rotation(FrameParams& p, double degrees) {
  p.rotation = degrees;
  rotation_cos_sin(degrees, p.rot_cos, p.rot_sin);
}

std::string describe(const FrameParams& p) {
  return std::string(p.fractal == Fractal::Julia ? "julia " : "mandelbrot ") + family_name(p.family) +
         (p.family == Family::Multibrot ? " d=" + std::to_string(p.power) : std::string()) +
         " rot=" + std::to_string(p.rotation) + " R=" + std::to_string(p.escape_radius) +
         " max_iter=" + std::to_string(p.max_iter);
}

// A view around the set's boundary for each (family, power, type); Julia c on or near the
// boundary of the family's parameter set (multibrot d: the main component's boundary point with
// multiplier 0.99 e^{0.9 pi i}), so orbits of every length occur.
FrameParams boundary_view(Fractal f, Family fam, std::uint32_t d, std::uint32_t w = 67,
                          std::uint32_t h = 41, std::uint32_t max_iter = 300) {
  if (f == Fractal::Mandelbrot) {
    if (fam == Family::BurningShip) return frame(f, fam, 2, -0.4, -0.3, 1.9, w, h, max_iter);
    if (fam == Family::Tricorn) return frame(f, fam, 2, -0.3, 0.0, 1.6, w, h, max_iter);
    if (d == 2) return frame(f, fam, 2, -0.6, 0.0, 1.6, w, h, max_iter);
    return frame(f, fam, d, 0.0, 0.0, 1.5, w, h, max_iter);
  }
  FrameParams p = frame(f, fam, fam == Family::Multibrot ? d : 2, 0.0, 0.0, 1.3, w, h, max_iter);
  static const double kJuliaC[9][2] = {{0, 0}, {0, 0}, {-0.62772, -0.42193}, {0.17593, 0.73629},
                                       {0.49476, 0.59928}, {0.62926, 0.48377}, {0.70031, 0.40232},
                                       {0.74397, 0.34366}, {0.77367, 0.29983}};
  if (fam == Family::BurningShip) p.c_re = -0.5, p.c_im = -0.9;
  else if (fam == Family::Tricorn) p.c_re = -1.1, p.c_im = 0.1;
  else p.c_re = kJuliaC[d][0], p.c_im = kJuliaC[d][1];
  return p;
}

// A 203x3 Mandelbrot-type zoom into a boundary detail of each family (slow escapes: long bursts,
// the blocked test and its replay; rows wider than the lanes), 2000 iterations, rotated by rot.
FrameParams zoom_view(Family fam, std::uint32_t d, double rot) {
  FrameParams p = boundary_view(Fractal::Mandelbrot, fam, d, 203, 3, 2000);
  const double zc[][2] = {{-1.76, -0.03}, {-0.2, 0.75}, {-0.1, 0.95}};
  const int which = fam == Family::BurningShip ? 0 : fam == Family::Tricorn ? 1 : 2;
  const double hw = fam == Family::Multibrot && d == 2 ? 0.01 : 0.05;
  p.xmin = zc[which][0] - hw, p.xmax = zc[which][0] + hw;
  p.ymin = zc[which][1] - hw / 3, p.ymax = zc[which][1] + hw / 3;
  set_rotation(p, rot);
  return p;
}

// (family, power) pairs: burning ship and tricorn ignore the power.
std::vector<std::pair<Family, std::uint32_t>> all_families() {
  std::vector<std::pair<Family, std::uint32_t>> v;
  for (std::uint32_t d = kMinPower; d <= kMaxPower; ++d) v.emplace_back(Family::Multibrot, d);
  v.emplace_back(Family::BurningShip, 2);
  v.emplace_back(Family::Tricorn, 2);
  return v;
}

const double kRotations[] = {0.0, 30.0, 90.0, 180.0, 237.5};

// The whole matrix of the brief: every family x type x rotation x R in {2, 10}.
std::vector<FrameParams> matrix_frames() {
  std::vector<FrameParams> v;
  for (auto [fam, d] : all_families())
    for (Fractal f : {Fractal::Julia, Fractal::Mandelbrot})
      for (double rot : kRotations)
        for (double r : {2.0, 10.0}) {
          FrameParams p = boundary_view(f, fam, d);
          set_rotation(p, rot);
          p.escape_radius = r;
          v.push_back(p);
        }
  return v;
}


// The scalar reference with interior skipping off (brute force), cached per frame.
const std::vector<std::uint32_t>& reference(const FrameParams& p) {
  static std::map<std::string, std::vector<std::uint32_t>> cache;
  const std::string key = describe(p) + " " + std::to_string(p.xmin) + std::to_string(p.xmax) +
                          std::to_string(p.ymin) + std::to_string(p.ymax) + std::to_string(p.width) +
                          "x" + std::to_string(p.height) + std::to_string(p.c_re) + std::to_string(p.c_im) +
                          std::to_string(p.z0_re) + std::to_string(p.z0_im);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  FrameParams q = p;
  q.skip_interior = false;
  return cache[key] = render(q, KernelKind::Scalar);
}

// Counts of several kinds: interior, fast and slow escapes (the view exercises the kernels).
void expect_varied(const std::vector<std::uint32_t>& img, const FrameParams& p) {
  std::set<std::uint32_t> distinct(img.begin(), img.end());
  const auto interior = std::count(img.begin(), img.end(), p.max_iter);
  EXPECT_GE(distinct.size(), 6u) << describe(p);
  EXPECT_GT(interior, 0) << describe(p);
  EXPECT_LT(interior, std::ptrdiff_t(img.size())) << describe(p);
}

std::size_t count_mismatches(const std::vector<std::uint32_t>& ref, const std::vector<std::uint32_t>& got,
                             const FrameParams& p, const std::string& what) {
  EXPECT_EQ(ref.size(), got.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < ref.size() && i < got.size(); ++i)
    if (ref[i] != got[i] && bad++ < 3)
      ADD_FAILURE() << what << " " << describe(p) << ": pixel (" << i / p.width << "," << i % p.width
                    << ") expected " << ref[i] << " got " << got[i];
  return bad;
}

// ---- the scalar reference against the transcription ----

TEST(FamilyReference, ScalarMatchesFormatTranscriptionOnTheMatrix) {
  for (const FrameParams& p : matrix_frames()) {
    const auto& ref = reference(p);
    expect_varied(ref, p);
    EXPECT_EQ(count_mismatches(hand_render(p), ref, p, "transcription vs scalar"), 0u);
  }
}

TEST(FamilyReference, IteratePointFamilyIsFamilyStep) {
  // Multibrot d = 2 is the classic iterate_point exactly; every family's count is the
  // transcription's on a spread of points.
  for (double x = -1.9; x < 1.9; x += 0.173)
    for (double y = -1.3; y < 1.3; y += 0.219) {
      EXPECT_EQ(iterate_point_family(Family::Multibrot, 2, 0, 0, x, y, 500, 4.0),
                iterate_point(0, 0, x, y, 500, 4.0));
      for (auto [fam, d] : all_families())
        for (double r2 : {4.0, 100.0}) {
          EXPECT_EQ(iterate_point_family(fam, d, 0, 0, x, y, 500, r2), hand_count(fam, d, 0, 0, x, y, 500, r2))
              << family_name(fam) << " d=" << d << " c=" << x << "," << y;
          EXPECT_EQ(iterate_point_family(fam, d, x, y, -0.4, 0.6, 500, r2),
                    hand_count(fam, d, x, y, -0.4, 0.6, 500, r2))
              << family_name(fam) << " d=" << d << " z0=" << x << "," << y;
        }
    }
}

TEST(FamilyReference, FamiliesDiffer) {
  // The families and powers are really different functions (a mix-up would pass the comparisons
  // between kernels, which share the dispatch): their count images of one view differ pairwise.
  std::vector<std::vector<std::uint32_t>> imgs;
  for (auto [fam, d] : all_families()) {
    FrameParams p = frame(Fractal::Mandelbrot, fam, d, -0.3, 0.1, 1.6, 40, 24, 100);
    imgs.push_back(render(p, KernelKind::Scalar));
  }
  for (std::size_t a = 0; a < imgs.size(); ++a)
    for (std::size_t b = a + 1; b < imgs.size(); ++b) EXPECT_NE(imgs[a], imgs[b]) << a << " vs " << b;
}

TEST(FamilyReference, InteriorSkipOnlyForClassicMandelbrot) {
  FrameParams p = frame(Fractal::Mandelbrot, Family::Multibrot, 2, -0.6, 0, 1.6, 10, 10, 100);
  EXPECT_TRUE(interior_skip_applies(p));
  set_rotation(p, 30);
  EXPECT_TRUE(interior_skip_applies(p));  // rotation changes the points, not the set
  for (auto [fam, d] : all_families()) {
    if (fam == Family::Multibrot && d == 2) continue;
    FrameParams q = p;
    q.family = fam, q.power = d;
    EXPECT_FALSE(interior_skip_applies(q)) << family_name(fam) << " d=" << d;
  }
}

TEST(FamilyReference, RotatedInteriorFlagsUseRotatedPoints) {
  // mark_interior_row on a rotated frame flags exactly the pixels whose rotated point is interior.
  for (double rot : kRotations) {
    FrameParams p = frame(Fractal::Mandelbrot, Family::Multibrot, 2, -0.5, 0.1, 1.0, 53, 37, 100);
    set_rotation(p, rot);
    std::vector<std::uint8_t> flags(p.width);
    std::uint32_t total = 0, differs = 0;
    for (std::uint32_t i = 0; i < p.height; ++i) {
      const std::uint32_t n = mark_interior_row(p, i, flags.data());
      std::uint32_t expect = 0;
      for (std::uint32_t j = 0; j < p.width; ++j) {
        double x, y;
        hand_point(p, i, j, x, y);
        const bool in = mandelbrot_interior(x, y);
        ASSERT_EQ(bool(flags[j]), in) << "rot " << rot << " pixel " << i << "," << j;
        expect += in;
        differs += in != mandelbrot_interior(pixel_x(p, j), pixel_y(p, i));
      }
      EXPECT_EQ(n, expect);
      total += n;
    }
    EXPECT_GT(total, 0u);
    if (rot != 0) {
      EXPECT_GT(differs, 0u) << "rotation " << rot << " did not move the interior";
    }
  }
}

TEST(FamilyReference, RotationZeroModulo360IsTheUnrotatedMapping) {
  for (double rot : {0.0, 360.0, -720.0, 1080.0}) {
    double c, s;
    rotation_cos_sin(rot, c, s);
    EXPECT_EQ(c, 1.0);
    EXPECT_EQ(s, 0.0);
  }
  FrameParams p = boundary_view(Fractal::Julia, Family::Tricorn, 2);
  FrameParams q = p;
  set_rotation(q, 360);
  EXPECT_FALSE(q.rotated());
  EXPECT_EQ(render(p, KernelKind::Scalar), render(q, KernelKind::Scalar));
}

// ---- every kernel variant ----

class Families : public ::testing::TestWithParam<KernelKind> {
 protected:
  void SetUp() override {
    if (!kernel_supported(GetParam()))
      GTEST_SKIP() << kernel_name(GetParam()) << " is not supported by this CPU";
  }
  KernelKind k() const { return GetParam(); }
  // The variant under test gives exactly the brute-force scalar counts, skipping on and off.
  void expect_matches_scalar(const FrameParams& p, const std::string& what = "") const {
    const auto& ref = reference(p);
    for (const bool skip : {true, false}) {
      FrameParams q = p;
      q.skip_interior = skip;
      EXPECT_EQ(count_mismatches(ref, render(q, k()), q,
                                 what + (skip ? " (skip on) " : " (skip off) ") + kernel_name(k())),
                0u);
    }
  }
  std::uint32_t one_pixel(const FrameParams& p) const {
    std::uint32_t out[2] = {kGuard, kGuard};
    const std::uint64_t sum = row_kernel(k())(p, 0, out);
    EXPECT_EQ(sum, out[0]);
    EXPECT_EQ(out[1], kGuard);
    return out[0];
  }
};

TEST_P(Families, MatchScalarOnTheMatrix) {
  for (const FrameParams& p : matrix_frames()) expect_matches_scalar(p);
}

TEST_P(Families, MatchScalarOnZoomsWideRowsAndBudgets) {
  // Zooms into boundary details (slow escapes: long bursts, the blocked test and its replay),
  // rows wider than the lanes (many refills), z0 != 0, and budgets around the counts.
  for (auto [fam, d] : all_families()) {
    for (double rot : {0.0, 237.5}) {
      const FrameParams p = zoom_view(fam, d, rot);
      expect_matches_scalar(p, "zoom");
      FrameParams j = boundary_view(Fractal::Julia, fam, d, 203, 3, 1000);
      set_rotation(j, rot);
      expect_matches_scalar(j, "wide julia");
      FrameParams z = boundary_view(Fractal::Mandelbrot, fam, d, 45, 7, 300);
      z.z0_re = 0.125, z.z0_im = -0.25;
      set_rotation(z, rot);
      expect_matches_scalar(z, "z0");
      for (std::uint32_t mi : {1u, 2u, 7u, 8u, 9u, 17u}) {
        FrameParams b = boundary_view(rot == 0 ? Fractal::Julia : Fractal::Mandelbrot, fam, d, 33, 9, mi);
        set_rotation(b, rot);
        expect_matches_scalar(b, "budget");
      }
    }
  }
}

TEST_P(Families, MatchScalarWithUnsafeAndHugeRadii) {
  // Escape radii where blocked tests are not allowed (R < 2) or orbits overflow before escaping
  // (z^8 from |z| ~ 1e40: inf and NaN; NaN never escapes) must still give the reference counts.
  for (auto [fam, d] : all_families())
    for (double r : {0.5, 1.5, 1e150, 1e160}) {
      for (Fractal f : {Fractal::Julia, Fractal::Mandelbrot}) {
        FrameParams p = boundary_view(f, fam, d, 29, 7, 200);
        set_rotation(p, 30);
        p.escape_radius = r;
        expect_matches_scalar(p, "radius");
      }
    }
}

TEST_P(Families, KnownPoints) {
  // 1x1 frames centred on the point (exactly: the centre of [a - 1, a + 1] is a).
  auto at = [](Fractal f, Family fam, std::uint32_t d, double x, double y, std::uint32_t mi) {
    FrameParams p = frame(f, fam, d, x, y, 1.0, 1, 1, mi);
    p.ymin = y - 1, p.ymax = y + 1;
    return p;
  };
  for (auto [fam, d] : all_families()) {
    // c = 0 from z0 = 0: z stays 0, never escapes.
    EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, fam, d, 0, 0, 300)), 300u) << family_name(fam) << d;
    // Far outside: |z_1| = |c| > R at the first test.
    EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, fam, d, 5, 5, 300)), 0u) << family_name(fam) << d;
    FrameParams j = at(Fractal::Julia, fam, d, 4, -3, 300);  // |z_0| = 5: |z_1| >= 25 - |c|
    EXPECT_EQ(one_pixel(j), 0u) << family_name(fam) << d;
  }
  // By hand, every value exact in binary:
  // burning ship c = i: z1 = i, z2 = (0 + i)^2 + i = -1 + i, z3 = (1 + i)^2 + i = 3i: count 2.
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::BurningShip, 2, 0, 1, 50)), 2u);
  // tricorn c = i: z1 = i, z2 = conj(i)^2 + i = -1 + i, z3 = conj(-1 + i)^2 + i = 3i: count 2.
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::Tricorn, 2, 0, 1, 50)), 2u);
  // the classic set at c = i: i, -1 + i, -i, -1 + i, ...: a 2-cycle, never escapes.
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::Multibrot, 2, 0, 1, 50)), 50u);
  // z^3 + i: i, i^3 + i = 0, i, 0, ...: never escapes.
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::Multibrot, 3, 0, 1, 50)), 50u);
  // z^3 + 1: 1, 2 (|z|^2 = 4 is not > 4), 9: count 2; z^4 + 1: 1, 2, 17: count 2;
  // z^3 - 1: -1, -2 (4, not > 4), -9: count 2.
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::Multibrot, 3, 1, 0, 50)), 2u);
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::Multibrot, 4, 1, 0, 50)), 2u);
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::Multibrot, 3, -1, 0, 50)), 2u);
  // z^5 + c from z0 = 0 with c = -1: -1, -2 (4, not > 4), -33: count 2.
  // z^2 + (-2): -2, 2, 2, ...: |z|^2 = 4 forever, never escapes.
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::Multibrot, 5, -1, 0, 50)), 2u);
  EXPECT_EQ(one_pixel(at(Fractal::Mandelbrot, Family::Multibrot, 2, -2, 0, 50)), 50u);
  // Julia, burning ship c = -1: z0 = 1 + i -> (1 + i)^2 - 1 = -1 + 2i -> (1 + 2i)^2 - 1 = -4 + 4i:
  // |z_1|^2 = 5 > 4: count 0. With R = 3 (9): z_2 has 32 > 9: count 1.
  FrameParams s = at(Fractal::Julia, Family::BurningShip, 2, 1, 1, 50);
  s.c_re = -1;
  EXPECT_EQ(one_pixel(s), 0u);
  s.escape_radius = 3;
  EXPECT_EQ(one_pixel(s), 1u);
  // Tricorn Julia c = 0: z0 = i -> conj(i)^2 = -1 -> 1 -> 1 ...: never escapes.
  FrameParams t = at(Fractal::Julia, Family::Tricorn, 2, 0, 1, 50);
  EXPECT_EQ(one_pixel(t), 50u);
  // Long orbits, counted by the transcription.
  for (auto [fam, d, x, y] : {std::tuple{Family::BurningShip, 2u, -1.7549, -0.0327},
                              {Family::Tricorn, 2u, -0.2149, 0.7713}, {Family::Multibrot, 3u, -0.0987, 0.9512},
                              {Family::Multibrot, 7u, 0.6203, 0.5144}}) {
    const FrameParams p = at(Fractal::Mandelbrot, fam, d, x, y, 3000);
    const std::uint32_t n = hand_count(fam, d, 0, 0, pixel_x(p, 0), pixel_y(p, 0), 3000, 4.0);
    EXPECT_EQ(one_pixel(p), n) << family_name(fam) << " d=" << d;
  }
}

TEST_P(Families, ConjugationSymmetryOfMandelbrotTypeTricornAndMultibrot) {
  // c -> conj(c) conjugates the whole orbit from z0 = 0 for tricorn and z^d (fma rounding is
  // sign-symmetric), so row i equals row H-1-i when the row centres mirror exactly (dy = 1/16).
  // Burning ship has no such symmetry (|y|): its image must differ from its mirror.
  for (auto [fam, d] : all_families()) {
    FrameParams p = frame(Fractal::Mandelbrot, fam, d, -0.3, 0, 1.7, 50, 41, 300);
    p.ymin = -41.0 / 32, p.ymax = 41.0 / 32;
    const auto img = render(p, k());
    const std::uint32_t W = p.width, H = p.height;
    std::size_t asym = 0;
    for (std::uint32_t i = 0; i < H; ++i)
      for (std::uint32_t j = 0; j < W; ++j) asym += img[i * W + j] != img[(H - 1 - i) * W + j];
    if (fam == Family::BurningShip) {
      EXPECT_GT(asym, 0u);
    } else {
      EXPECT_EQ(asym, 0u) << family_name(fam) << " d=" << d;
    }
  }
}

TEST_P(Families, OddMultibrotSymmetricUnderNegatingC) {
  // d odd: (-z)^d = -(z^d) with every rounding mirrored, so c -> -c negates the orbit: pixel (i,j)
  // equals pixel (H-1-i, W-1-j) of a view centred at 0 whose centres mirror exactly (steps 1/16).
  for (std::uint32_t d : {3u, 5u, 7u}) {
    FrameParams p = frame(Fractal::Mandelbrot, Family::Multibrot, d, 0, 0, 1, 40, 41, 300);
    p.xmin = -40.0 / 32, p.xmax = 40.0 / 32, p.ymin = -41.0 / 32, p.ymax = 41.0 / 32;
    const auto img = render(p, k());
    const std::uint32_t W = p.width, H = p.height;
    for (std::uint32_t i = 0; i < H; ++i)
      for (std::uint32_t j = 0; j < W; ++j)
        ASSERT_EQ(img[i * W + j], img[(H - 1 - i) * W + (W - 1 - j)]) << "d=" << d << " " << i << "," << j;
  }
  // d even has no such symmetry (the z^4 set is not symmetric under c -> -c).
  FrameParams p = frame(Fractal::Mandelbrot, Family::Multibrot, 4, 0, 0, 1, 40, 41, 300);
  p.xmin = -40.0 / 32, p.xmax = 40.0 / 32, p.ymin = -41.0 / 32, p.ymax = 41.0 / 32;
  const auto img = render(p, k());
  std::size_t asym = 0;
  for (std::size_t n = 0; n < img.size(); ++n) asym += img[n] != img[img.size() - 1 - n];
  EXPECT_GT(asym, 0u);
}

TEST_P(Families, JuliaSymmetricUnderNegatingZ) {
  // f(-z) = f(z) for z^d with d even, burning ship and tricorn (z_1 identical, rounding
  // included), so pixel (i,j) equals pixel (H-1-i, W-1-j) when the pixel centres mirror exactly;
  // burning ship is also symmetric under z -> conj(z) (row i equals row H-1-i).
  for (auto [fam, d] : all_families()) {
    if (fam == Family::Multibrot && d % 2 == 1) continue;
    FrameParams p = boundary_view(Fractal::Julia, fam, d, 48, 33, 300);
    p.xmin = -48.0 / 32, p.xmax = 48.0 / 32, p.ymin = -33.0 / 32, p.ymax = 33.0 / 32;
    const auto img = render(p, k());
    const std::uint32_t W = p.width, H = p.height;
    std::set<std::uint32_t> distinct(img.begin(), img.end());
    EXPECT_GE(distinct.size(), 5u) << family_name(fam) << " d=" << d;
    for (std::uint32_t i = 0; i < H; ++i)
      for (std::uint32_t j = 0; j < W; ++j) {
        ASSERT_EQ(img[i * W + j], img[(H - 1 - i) * W + (W - 1 - j)]) << family_name(fam) << " d=" << d;
        if (fam == Family::BurningShip) {
          ASSERT_EQ(img[i * W + j], img[(H - 1 - i) * W + j]);
        }
      }
  }
}

TEST_P(Families, Rotation180IsTheImageFlippedBothWays) {
  // cos = -1, sin = 0 exactly: about a centre at 0 the rotated point of pixel (i,j) is
  // (-x_j, -y_i), the point of pixel (H-1-i, W-1-j) when the centres mirror exactly. This holds
  // for every family and type, without any symmetry of the set.
  for (auto [fam, d] : all_families())
    for (Fractal f : {Fractal::Julia, Fractal::Mandelbrot}) {
      FrameParams p = boundary_view(f, fam, d, 40, 27, 300);
      p.xmin = -1.25, p.xmax = 1.25, p.ymin = -27.0 / 32, p.ymax = 27.0 / 32;
      const auto a = render(p, k());
      set_rotation(p, 180);
      ASSERT_TRUE(p.rotated());
      const auto b = render(p, k());
      const std::uint32_t W = p.width, H = p.height;
      std::size_t moved = 0;
      for (std::uint32_t i = 0; i < H; ++i)
        for (std::uint32_t j = 0; j < W; ++j) {
          ASSERT_EQ(b[i * W + j], a[(H - 1 - i) * W + (W - 1 - j)]) << describe(p) << " " << i << "," << j;
          moved += b[i * W + j] != a[i * W + j];
        }
      // Where the set is symmetric under z -> -z (Julia: z^d with d even, burning ship, tricorn)
      // or c -> -c (Mandelbrot: z^d with d odd), exactly (see the symmetry tests), the flipped
      // image is the image itself; elsewhere it is not.
      const bool symmetric = f == Fractal::Julia ? fam != Family::Multibrot || d % 2 == 0
                                                 : fam == Family::Multibrot && d % 2 == 1;
      if (symmetric) {
        EXPECT_EQ(moved, 0u) << describe(p);
      } else {
        EXPECT_GT(moved, 0u) << describe(p);
      }
    }
}

TEST_P(Families, Rotation90And270OfASquareViewTransposes) {
  // cos = 0, sin = +-1 exactly. On a square view centred at 0 (x_j = -y_j exactly), rotating by
  // 90 degrees gives pixel (i,j) the point (-y_i, x_j) = (x_i, y_{W-1-j}): pixel (W-1-j, i) of
  // the unrotated image; by 270 degrees (y_i, -x_j): pixel (j, W-1-i).
  for (auto [fam, d] : all_families())
    for (Fractal f : {Fractal::Julia, Fractal::Mandelbrot}) {
      FrameParams p = boundary_view(f, fam, d, 37, 37, 300);
      p.xmin = p.ymin = -37.0 / 32, p.xmax = p.ymax = 37.0 / 32;  // steps 1/16: exact centres
      const auto a = render(p, k());
      FrameParams q = p;
      set_rotation(q, 90);
      const auto b = render(q, k());
      set_rotation(q, -90);
      const auto c = render(q, k());
      const std::uint32_t N = p.width;
      for (std::uint32_t i = 0; i < N; ++i)
        for (std::uint32_t j = 0; j < N; ++j) {
          ASSERT_EQ(b[i * N + j], a[(N - 1 - j) * N + i]) << describe(p) << " 90: " << i << "," << j;
          ASSERT_EQ(c[i * N + j], a[j * N + (N - 1 - i)]) << describe(p) << " 270: " << i << "," << j;
        }
      // The rotation moves the picture, except where the set itself has 4-fold symmetry
      // (Julia z^d: d-fold; Mandelbrot z^d: (d-1)-fold).
      const bool fourfold = fam == Family::Multibrot && (f == Fractal::Julia ? d % 4 == 0 : (d - 1) % 4 == 0);
      if (!fourfold) {
        EXPECT_NE(a, b) << describe(p);
      }
    }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, Families,
                         ::testing::Values(KernelKind::Scalar, KernelKind::Avx2, KernelKind::Avx512),
                         [](const auto& info) { return std::string(kernel_name(info.param)); });

// ---- the z at escape (render_row_*_esc, iterate_point_family_z; extras.hpp uses it for /smooth) ----

// The transcription's orbit (hand_count's step, literally) up to its escape: the z there, in x, y.
bool hand_escape_z(Family fam, std::uint32_t d, double& x, double& y, double cx, double cy, std::uint32_t max_iter,
                   double r2) {
  for (std::uint32_t k = 1; k <= max_iter; ++k) {
    hand_step(fam, d, x, y, cx, cy);
    if (std::fma(x, x, y * y) > r2) return true;
  }
  return false;
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

TEST(FamilyReference, IteratePointFamilyZIsTheTranscriptionsEscapeZ) {
  for (double x = -1.9; x < 1.9; x += 0.173)
    for (double y = -1.3; y < 1.3; y += 0.219)
      for (auto [fam, d] : all_families())
        for (double r2 : {4.0, 100.0})
          for (const bool julia : {false, true}) {
            double hx = julia ? x : 0, hy = julia ? y : 0;
            const double cx = julia ? -0.4 : x, cy = julia ? 0.6 : y;
            const bool escaped = hand_escape_z(fam, d, hx, hy, cx, cy, 500, r2);
            double zx, zy;
            const std::uint32_t n = iterate_point_family_z(fam, d, julia ? x : 0, julia ? y : 0, cx, cy, 500, r2, zx, zy);
            EXPECT_EQ(n, iterate_point_family(fam, d, julia ? x : 0, julia ? y : 0, cx, cy, 500, r2));
            EXPECT_EQ(escaped, n < 500u);
            if (escaped) {
              EXPECT_TRUE(same_bits(zx, hx) && same_bits(zy, hy))
                  << family_name(fam) << " d=" << d << " " << x << "," << y << ": " << zx << "," << zy << " vs "
                  << hx << "," << hy;
            }
          }
}

// The reporting variant of the kernel under test: the plain variant's counts, and for every
// escaped pixel the scalar reference's z at escape bit for bit (NaN for the others); skipping on
// and off. Returns the number of escaped pixels checked.
std::size_t expect_escape_z(const FrameParams& p, KernelKind k, const std::string& what) {
  const RowKernelEsc fn = escape_row_kernel(row_kernel(k));
  EXPECT_NE(fn, nullptr) << kernel_name(k);
  if (!fn) return 0;
  const auto& ref = reference(p);
  const double r2 = p.escape_radius * p.escape_radius;
  const std::string tag = what + " " + describe(p) + " " + kernel_name(k);
  std::size_t checked = 0, bad = 0;
  for (const bool skip : {true, false}) {
    FrameParams q = p;
    q.skip_interior = skip;
    std::vector<std::uint32_t> row(p.width + 1);
    std::vector<double> ex(p.width + 1), ey(p.width + 1);
    for (std::uint32_t i = 0; i < p.height; ++i) {
      row[p.width] = kGuard;
      ex[p.width] = ey[p.width] = 12345.0;
      const std::uint64_t sum = fn(q, i, row.data(), ex.data(), ey.data());
      std::uint64_t expect = 0;
      for (std::uint32_t j = 0; j < p.width; ++j) expect += row[j];
      EXPECT_EQ(sum, expect) << tag;
      EXPECT_EQ(row[p.width], kGuard) << tag;
      EXPECT_EQ(ex[p.width], 12345.0) << tag;
      EXPECT_EQ(ey[p.width], 12345.0) << tag;
      for (std::uint32_t j = 0; j < p.width; ++j) {
        const std::uint32_t n = row[j];
        if (n != ref[std::size_t(i) * p.width + j]) {
          if (bad++ < 3) ADD_FAILURE() << tag << ": count of (" << i << "," << j << ") differs";
          continue;
        }
        if (n >= p.max_iter) {
          if (!(std::isnan(ex[j]) && std::isnan(ey[j])) && bad++ < 3)
            ADD_FAILURE() << tag << ": pixel (" << i << "," << j << ") did not escape but reports " << ex[j];
          continue;
        }
        double x, y, zx, zy;
        pixel_point(p, i, j, x, y);
        const bool julia = p.fractal == Fractal::Julia;
        const std::uint32_t rn =
            julia ? iterate_point_family_z(p.family, p.power, x, y, p.c_re, p.c_im, p.max_iter, r2, zx, zy)
                  : iterate_point_family_z(p.family, p.power, p.z0_re, p.z0_im, x, y, p.max_iter, r2, zx, zy);
        EXPECT_EQ(rn, n) << tag;
        ++checked;
        if (!(same_bits(ex[j], zx) && same_bits(ey[j], zy)) && bad++ < 3)
          ADD_FAILURE() << tag << ": pixel (" << i << "," << j << ") count " << n << " reports z " << ex[j] << ","
                        << ey[j] << ", the reference " << zx << "," << zy;
      }
    }
  }
  EXPECT_EQ(bad, 0u) << tag;
  return checked;
}

TEST_P(Families, ReportTheScalarEscapeZOnTheMatrix) {
  std::size_t checked = 0;
  for (const FrameParams& p : matrix_frames()) checked += expect_escape_z(p, k(), "matrix");
  EXPECT_GT(checked, 10000u);
}

TEST_P(Families, ReportTheScalarEscapeZOnZoomsBudgetsAndRadii) {
  // Long orbits (blocked tests and their replays), many refills, z0 != 0, small budgets, radii
  // where blocked tests are off or orbits overflow.
  for (auto [fam, d] : all_families()) {
    for (double rot : {0.0, 237.5}) {
      const FrameParams p = zoom_view(fam, d, rot);
      expect_escape_z(p, k(), "zoom");
      FrameParams j = boundary_view(Fractal::Julia, fam, d, 203, 3, 1000);
      set_rotation(j, rot);
      expect_escape_z(j, k(), "wide julia");
      FrameParams z = boundary_view(Fractal::Mandelbrot, fam, d, 45, 7, 300);
      z.z0_re = 0.125, z.z0_im = -0.25;
      set_rotation(z, rot);
      expect_escape_z(z, k(), "z0");
      for (std::uint32_t mi : {0u, 1u, 2u, 8u, 9u}) {
        FrameParams b = boundary_view(rot == 0 ? Fractal::Julia : Fractal::Mandelbrot, fam, d, 33, 9, mi);
        set_rotation(b, rot);
        expect_escape_z(b, k(), "budget");
      }
    }
    for (double r : {1.5, 1e150}) {
      for (Fractal f : {Fractal::Julia, Fractal::Mandelbrot}) {
        FrameParams p = boundary_view(f, fam, d, 29, 7, 200);
        set_rotation(p, 30);
        p.escape_radius = r;
        expect_escape_z(p, k(), "radius");
      }
    }
  }
}

TEST_P(Families, ReportingVariantWithoutBuffersIsThePlainKernel) {
  const RowKernelEsc fn = escape_row_kernel(row_kernel(k()));
  ASSERT_NE(fn, nullptr);
  for (const FrameParams& p : {boundary_view(Fractal::Mandelbrot, Family::Multibrot, 2),
                               boundary_view(Fractal::Julia, Family::Tricorn, 2)}) {
    std::vector<std::uint32_t> a(p.width), b(p.width);
    for (std::uint32_t i = 0; i < p.height; ++i) {
      EXPECT_EQ(row_kernel(k())(p, i, a.data()), fn(p, i, b.data(), nullptr, nullptr));
      EXPECT_EQ(a, b) << describe(p);
    }
  }
}

TEST(FamilyReference, EscapeRowKernelOfOtherFunctionsIsNull) {
  EXPECT_EQ(escape_row_kernel(nullptr), nullptr);
  for (KernelKind k : {KernelKind::Scalar, KernelKind::Avx2, KernelKind::Avx512})
    EXPECT_NE(escape_row_kernel(row_kernel(k)), nullptr) << kernel_name(k);
}

}  // namespace
}  // namespace fractal
