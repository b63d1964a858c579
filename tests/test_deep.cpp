// The deep-zoom engine's parts against exact arithmetic: CxExp operations against MPFR, the
// perturbation kernel (double and extended-exponent deltas, Mandelbrot and Julia, with
// rebasing; plain and with BLA tables) against brute-force MPFR iteration of the same pixels,
// the BLA table's coefficients against their definition, and OUT.h5.reference's round trip and
// damage detection.
#include <gtest/gtest.h>
#include <mpfr.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "fractal/deep/bla.hpp"
#include "fractal/deep/floatexp.hpp"
#include "fractal/deep/perturb.hpp"
#include "fractal/deep/perturb_simd.hpp"
#include "fractal/deep/reference.hpp"
#include "fractal/deep/reference_file.hpp"
#include "test_support.hpp"

using namespace fractal::deep;

namespace {

// x * 2^e of a CxExp part into an MPFR value (exact).
void to_mpfr(mpfr_t out, double m, std::int64_t e) {
  mpfr_set_d(out, m, MPFR_RNDN);
  mpfr_mul_2si(out, out, static_cast<long>(e), MPFR_RNDN);
}

// Relative difference |got - want| / |want| of one part, want != 0, as a double.
double rel_err(double m, std::int64_t e, const mpfr_t want) {
  mpfr_t g, d;
  mpfr_inits2(256, g, d, static_cast<mpfr_ptr>(nullptr));
  to_mpfr(g, m, e);
  mpfr_sub(d, g, want, MPFR_RNDN);
  mpfr_div(d, d, want, MPFR_RNDN);
  const double r = std::fabs(mpfr_get_d(d, MPFR_RNDN));
  mpfr_clears(g, d, static_cast<mpfr_ptr>(nullptr));
  return r;
}

bool normalised(const CxExp& a) {
  if (a.re == 0 && a.im == 0) return a.e == kZeroExp;
  const double m = std::fmax(std::fabs(a.re), std::fabs(a.im));
  return m >= 1.0 && m < 2.0;
}

// Brute-force count of one pixel in MPFR at `prec` bits: the normative mapping
// c = centre + (u, v) * dx (u, v the pixel's offset in spacings), count semantics of DESIGN.md.
std::uint32_t brute_count(const std::string& cre, const std::string& cim, double u, double v, const RealExp& dx,
                          std::uint32_t max_iter, mpfr_prec_t prec, bool julia = false,
                          const std::string& jre = "", const std::string& jim = "", double R = 2.0) {
  mpfr_t x, y, cx, cy, xx, yy, xy, t, px, py;
  mpfr_inits2(prec, x, y, cx, cy, xx, yy, xy, t, px, py, static_cast<mpfr_ptr>(nullptr));
  mpfr_set_str(px, cre.c_str(), 10, MPFR_RNDN);
  mpfr_set_str(py, cim.c_str(), 10, MPFR_RNDN);
  to_mpfr(t, u * dx.m, dx.e);  // u * dx.m is exact for the small offsets used here
  mpfr_add(px, px, t, MPFR_RNDN);
  to_mpfr(t, v * dx.m, dx.e);
  mpfr_add(py, py, t, MPFR_RNDN);
  if (julia) {
    mpfr_set(x, px, MPFR_RNDN);
    mpfr_set(y, py, MPFR_RNDN);
    mpfr_set_str(cx, jre.c_str(), 10, MPFR_RNDN);
    mpfr_set_str(cy, jim.c_str(), 10, MPFR_RNDN);
  } else {
    mpfr_set_zero(x, 1);
    mpfr_set_zero(y, 1);
    mpfr_set(cx, px, MPFR_RNDN);
    mpfr_set(cy, py, MPFR_RNDN);
  }
  std::uint32_t count = max_iter;
  for (std::uint32_t k = 1; k <= max_iter; ++k) {
    mpfr_sqr(xx, x, MPFR_RNDN);
    mpfr_sqr(yy, y, MPFR_RNDN);
    mpfr_mul(xy, x, y, MPFR_RNDN);
    mpfr_sub(x, xx, yy, MPFR_RNDN);
    mpfr_add(x, x, cx, MPFR_RNDN);
    mpfr_mul_2ui(y, xy, 1, MPFR_RNDN);
    mpfr_add(y, y, cy, MPFR_RNDN);
    mpfr_sqr(xx, x, MPFR_RNDN);
    mpfr_sqr(yy, y, MPFR_RNDN);
    mpfr_add(t, xx, yy, MPFR_RNDN);
    if (mpfr_cmp_d(t, R * R) > 0) {
      count = k - 1;
      break;
    }
  }
  mpfr_clears(x, y, cx, cy, xx, yy, xy, t, px, py, static_cast<mpfr_ptr>(nullptr));
  return count;
}

RealExp spacing(double value_m, std::int64_t value_e) { return {value_m, value_e}; }

// The KF benchmark location 1e14's centre, 4036 iterations, at `bits` of precision.
ReferenceSpec kf1e14_spec(std::uint32_t bits) {
  ReferenceSpec s;
  s.c_re = "-1.759817130804847813610825010561798238243999999999999999999800";
  s.c_im = "-0.012593310799749865383746631843264858450340000000000000000000";
  s.max_iter = 4036;
  s.precision_bits = bits;
  return s;
}

// Compares every pixel of a small frame with brute force at the reference's precision and at 128
// bits more; pixels where the two brute-force counts differ are precision-sensitive and skipped.
// Returns {compared, exact}.
// With BLA (bla = true): the tables are built here for f's orbits (as DeepJob does) and the
// kernel takes bilinear steps; the counts must still match brute force.
std::pair<int, int> compare_frame(DeepFrame f, const std::string& cre, const std::string& cim, const std::string& jre = "",
                                  const std::string& jim = "", bool bla = false) {
  BlaTable ts, tr;
  if (bla) {
    const double h = std::hypot(0.5 * f.width, 0.5 * f.height) * f.dx.m;
    const std::int64_t k = exponent_of(h);
    const RealExp dc_max = f.julia ? RealExp{} : RealExp{h * pow2(-k), f.dx.e + k};
    const bool ext = f.method == Method::PerturbExp;
    const double eps = bla_epsilon(f.width, f.height);
    ts = build_bla(*f.start, dc_max, f.escape_radius, ext, eps);
    tr = build_bla(*f.rebase, dc_max, f.escape_radius, ext, eps);
    EXPECT_GT(ts.entries(), 0u);
    f.bla_start = &ts;
    f.bla_rebase = f.rebase == f.start ? &ts : &tr;
  }
  int compared = 0, exact = 0;
  const mpfr_prec_t p1 = f.start->spec.precision_bits, p2 = p1 + 128;
  for (std::uint32_t i = 0; i < f.height; ++i)
    for (std::uint32_t j = 0; j < f.width; ++j) {
      double u, v, ex, ey;
      pixel_offset(f, i, j, u, v);
      const std::uint32_t got = perturb_pixel(f, i, j, ex, ey);
      const std::uint32_t b1 = brute_count(cre, cim, u, v, f.dx, f.max_iter, p1, f.julia, jre, jim, f.escape_radius);
      const std::uint32_t b2 = brute_count(cre, cim, u, v, f.dx, f.max_iter, p2, f.julia, jre, jim, f.escape_radius);
      if (b1 != b2) continue;
      ++compared;
      if (got == b1) ++exact;
      else ADD_FAILURE() << "pixel (" << i << ", " << j << "): perturbation" << (bla ? " with BLA " : " ") << got << ", brute force " << b1;
    }
  return {compared, exact};
}

}  // namespace

TEST(CxExp, NormaliseKeepsValueAndRange) {
  for (double re : {3.0, -0.75, 1e-300, 5e-320, 0.0, 1.9999999999999998}) {
    for (double im : {0.0, -2.5, 1e-310, 7.0}) {
      const CxExp a = cx_from(re, im);
      EXPECT_TRUE(normalised(a)) << re << " " << im;
      double r2, i2;
      cx_to_double(a, r2, i2);
      // Exact unless one part is more than 2^1000 times smaller than the other (then it is below
      // the pair's resolution and may lose its last bits in a denormal).
      const double lo = std::fmin(std::fabs(re), std::fabs(im)), hi = std::fmax(std::fabs(re), std::fabs(im));
      if (lo == 0 || lo >= hi * 0x1p-1000) {
        EXPECT_EQ(r2, re) << re << " " << im;
        EXPECT_EQ(i2, im) << re << " " << im;
      } else {
        EXPECT_NEAR(r2, re, hi * 0x1p-1050);
        EXPECT_NEAR(i2, im, hi * 0x1p-1050);
      }
    }
  }
  EXPECT_EQ(cx_from(0, 0).e, kZeroExp);
}

TEST(CxExp, OperationsAgreeWithMpfrAcrossHugeExponents) {
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> m(-2.0, 2.0);
  std::uniform_int_distribution<std::int64_t> ex(-4000000, 4000000);
  mpfr_t ar, ai, br, bi, t, u, want;
  mpfr_inits2(512, ar, ai, br, bi, t, u, want, static_cast<mpfr_ptr>(nullptr));
  for (int n = 0; n < 2000; ++n) {
    const CxExp a = cx_scaled(m(rng), m(rng), ex(rng));
    // b: either far from a's scale or within 60 binary orders of it (where addition matters)
    const CxExp b = cx_scaled(m(rng), m(rng), n % 2 ? ex(rng) : a.e + (static_cast<std::int64_t>(rng() % 121) - 60));
    ASSERT_TRUE(normalised(a) && normalised(b));
    to_mpfr(ar, a.re, a.e);
    to_mpfr(ai, a.im, a.e);
    to_mpfr(br, b.re, b.e);
    to_mpfr(bi, b.im, b.e);
    // product: (ar br - ai bi) + i (ar bi + ai br)
    const CxExp p = cx_mul(a, b);
    EXPECT_TRUE(normalised(p));
    mpfr_mul(t, ar, br, MPFR_RNDN);
    mpfr_mul(u, ai, bi, MPFR_RNDN);
    mpfr_sub(want, t, u, MPFR_RNDN);
    // each part is within a few ulps of the larger part's magnitude
    mpfr_t big;
    mpfr_init2(big, 64);
    mpfr_set_d(big, std::fmax(std::fabs(p.re), std::fabs(p.im)), MPFR_RNDN);
    mpfr_mul_2si(big, big, static_cast<long>(p.e), MPFR_RNDN);
    {
      mpfr_t g;
      mpfr_init2(g, 512);
      to_mpfr(g, p.re, p.e);
      mpfr_sub(g, g, want, MPFR_RNDN);
      mpfr_div(g, g, big, MPFR_RNDN);
      EXPECT_LT(std::fabs(mpfr_get_d(g, MPFR_RNDN)), 1e-15);
      mpfr_clear(g);
    }
    mpfr_clear(big);
    // sum: exact to within double rounding of the larger operand's part
    const CxExp s = cx_add(a, b);
    EXPECT_TRUE(normalised(s) || (s.re == 0 && s.im == 0));
    mpfr_add(want, ar, br, MPFR_RNDN);
    if (mpfr_zero_p(want) == 0 && std::llabs(a.e - b.e) < 40 && std::fabs(s.re) > 0.5) {
      EXPECT_LT(rel_err(s.re, s.e, want), 1e-13);
    }
    // norm comparison against MPFR's exact norms (skip near-ties)
    mpfr_sqr(t, ar, MPFR_RNDN);
    mpfr_sqr(u, ai, MPFR_RNDN);
    mpfr_add(t, t, u, MPFR_RNDN);
    mpfr_sqr(u, br, MPFR_RNDN);
    mpfr_sqr(want, bi, MPFR_RNDN);
    mpfr_add(u, u, want, MPFR_RNDN);
    mpfr_div(want, t, u, MPFR_RNDN);
    const double ratio = mpfr_get_d(want, MPFR_RNDN);
    if (std::fabs(ratio - 1.0) > 1e-12) {
      EXPECT_EQ(cx_norm_less(a, b), ratio < 1.0) << ratio;
    }
  }
  mpfr_clears(ar, ai, br, bi, t, u, want, static_cast<mpfr_ptr>(nullptr));
  EXPECT_TRUE(cx_norm_less(CxExp{}, cx_from(1e-300, 0)));
  EXPECT_FALSE(cx_norm_less(cx_from(1e-300, 0), CxExp{}));
  EXPECT_EQ(cx_mul(CxExp{}, cx_from(3, 4)).e, kZeroExp);
  const CxExp one = cx_from(1, 0);
  EXPECT_EQ(cx_add(one, cx_scaled(1, 0, -2000)).re, 1.0);  // far smaller: dropped
}

TEST(Reference, PrecisionRule) {
  EXPECT_EQ(reference_precision(-10, 0), 74u);
  EXPECT_EQ(reference_precision(-3600, 1), 3665u);
  EXPECT_EQ(reference_precision(5, 0), 64u);  // never below 64
}

TEST(Reference, OrbitOfMinusTwoIsExact) {
  ReferenceSpec s;
  s.c_re = "-2";
  s.c_im = "0";
  s.max_iter = 50;
  const ReferenceOrbit o = compute_reference(s);
  ASSERT_EQ(o.length(), 51u);  // |Z_n| = 2 = R never exceeds R: no escape
  EXPECT_FALSE(o.escaped);
  EXPECT_EQ(o.z[2], -2.0);
  for (std::size_t n = 2; n < o.length(); ++n) EXPECT_EQ(o.z[2 * n], 2.0);
  s.c_re = "0.3";  // outside the set: escapes
  const ReferenceOrbit e = compute_reference(s);
  EXPECT_TRUE(e.escaped);
  EXPECT_GT(std::hypot(e.z[2 * e.length() - 2], e.z[2 * e.length() - 1]), 2.0);
  s.c_re = "junk";
  EXPECT_THROW(compute_reference(s), std::invalid_argument);
}

// The KF benchmark location 1e14 (4036 iterations): double deltas and, on the same pixels,
// extended-exponent deltas, both against brute force.
TEST(Perturbation, Kf1e14MatchesBruteForceBothDeltaTypes) {
  const std::string re = "-1.759817130804847813610825010561798238243999999999999999999800";
  const std::string im = "-0.012593310799749865383746631843264858450340000000000000000000";
  const std::uint32_t W = 12, H = 10;
  int e2;
  const double m = std::frexp(4e-14 / H, &e2);
  const RealExp dx = spacing(2 * m, e2 - 1);
  ReferenceSpec s;
  s.c_re = re;
  s.c_im = im;
  s.max_iter = 4036;
  s.precision_bits = reference_precision(dx.e, 1);
  const ReferenceOrbit o = compute_reference(s);
  DeepFrame f;
  f.width = W;
  f.height = H;
  f.max_iter = s.max_iter;
  f.dx = dx;
  f.start = f.rebase = &o;
  for (Method method : {Method::PerturbDouble, Method::PerturbExp})
    for (bool bla : {false, true}) {
      f.method = method;
      const auto [compared, exact] = compare_frame(f, re, im, "", "", bla);
      EXPECT_GE(compared, 100) << method_name(method) << (bla ? " with BLA" : "");
      EXPECT_EQ(exact, compared) << method_name(method) << (bla ? " with BLA" : "");
    }
}

// Past double's exponent range: the antenna tip c = -2 at width 1e-400 (each orbit escapes after
// about 665 steps), extended-exponent deltas, rotated by 30 degrees.
TEST(Perturbation, Depth1e400MatchesBruteForce) {
  mpfr_t w;
  mpfr_init2(w, 64);
  mpfr_set_str(w, "1e-400", 10, MPFR_RNDN);
  mpfr_div_ui(w, w, 16, MPFR_RNDN);
  long e;
  const double m = mpfr_get_d_2exp(&e, w, MPFR_RNDN);
  mpfr_clear(w);
  DeepFrame f;
  f.method = Method::PerturbExp;
  f.width = 16;
  f.height = 9;
  f.max_iter = 3000;
  f.dx = spacing(2 * m, e - 1);
  f.rot_cos = std::cos(30 * M_PI / 180);
  f.rot_sin = std::sin(30 * M_PI / 180);
  ReferenceSpec s;
  s.c_re = "-1.99999999999999999999999999999999999999999999999999";
  s.c_im = "0";
  s.max_iter = f.max_iter;
  s.precision_bits = reference_precision(f.dx.e, 1);
  const ReferenceOrbit o = compute_reference(s);
  f.start = f.rebase = &o;
  for (bool bla : {false, true}) {
    const auto [compared, exact] = compare_frame(f, s.c_re, s.c_im, "", "", bla);
    EXPECT_GE(compared, 130) << (bla ? "with BLA" : "");
    EXPECT_EQ(exact, compared) << (bla ? "with BLA" : "");
  }
}

// Julia: delta_0 = the pixel's offset from the centre on the orbit from the centre, then rebasing
// onto the critical orbit (from 0), at width 1e-30 (double deltas) and 1e-330 (extended).
TEST(Perturbation, JuliaMatchesBruteForce) {
  const std::string jre = "-0.8", jim = "0.156", cre = "0.1", cim = "0.2";
  for (const char* width : {"1e-30", "1e-330"}) {
    mpfr_t w;
    mpfr_init2(w, 64);
    mpfr_set_str(w, width, 10, MPFR_RNDN);
    mpfr_div_ui(w, w, 12, MPFR_RNDN);
    long e;
    const double m = mpfr_get_d_2exp(&e, w, MPFR_RNDN);
    mpfr_clear(w);
    DeepFrame f;
    f.julia = true;
    f.width = 12;
    f.height = 12;
    f.max_iter = 2000;
    f.dx = spacing(2 * m, e - 1);
    f.method = f.dx.e >= kDoubleDeltaLog2 ? Method::PerturbDouble : Method::PerturbExp;
    ReferenceSpec start, crit;
    start.z0_re = cre;
    start.z0_im = cim;
    start.c_re = crit.c_re = jre;
    start.c_im = crit.c_im = jim;
    start.max_iter = crit.max_iter = f.max_iter;
    start.precision_bits = crit.precision_bits = reference_precision(f.dx.e, 1);
    const ReferenceOrbit a = compute_reference(start), b = compute_reference(crit);
    f.start = &a;
    f.rebase = &b;
    for (bool bla : {false, true}) {
      const auto [compared, exact] = compare_frame(f, cre, cim, jre, jim, bla);
      EXPECT_GE(compared, 100) << width << (bla ? " with BLA" : "");
      EXPECT_EQ(exact, compared) << width << (bla ? " with BLA" : "");
    }
  }
}

// The BLA table against its definition on the 1e14 orbit: each stored step of 2^k iterations from
// n has A = prod 2 Z_m and B = sum over m of prod_{j > m} 2 Z_j (m = n .. n + 2^k - 1), computed
// here directly in long double; radii never grow from a level to the next (the kernel's search
// relies on it); and a valid step lands within the bound eps of plain perturbation steps.
TEST(Bla, TableMatchesDefinitionAndStepsStayClose) {
  const ReferenceOrbit o = compute_reference(kf1e14_spec(128));
  const RealExp dc_max{1.0, -120};  // a deeper view than 1e14 at the same centre: long valid steps
  const double eps = bla_epsilon(64, 64);
  EXPECT_EQ(eps, 0x1p-46);
  EXPECT_EQ(bla_epsilon(1024, 1024), 0x1p-50);
  const BlaTable t = build_bla(o, dc_max, 2.0, false, eps);
  const BlaTable tx = build_bla(o, dc_max, 2.0, true, eps);
  ASSERT_GT(t.levels, kBlaMinLevel + 2);
  ASSERT_EQ(t.entries(), tx.entries());
  const std::size_t last = o.length() - 1;
  int valid = 0;
  for (int k = kBlaMinLevel; k < t.levels; ++k) {
    EXPECT_EQ(t.count[k], (last - 1) >> k);
    for (std::size_t i = 0; i < t.count[k]; ++i) {
      const std::size_t n = 1 + (i << k);
      std::complex<long double> A = 1, B = 0;
      for (std::size_t m = n; m < n + (std::size_t{1} << k); ++m) {
        const std::complex<long double> a(2.0L * o.z[2 * m], 2.0L * o.z[2 * m + 1]);
        A = a * A;
        B = a * B + 1.0L;
      }
      const BlaStepD& e = t.step_d(k, n);
      if (e.r2 == 0) continue;  // never valid: A, B unused
      ++valid;
      EXPECT_LT(std::abs(std::complex<long double>(e.ar, e.ai) - A) / std::abs(A), 1e-12L) << k << " " << n;
      EXPECT_LT(std::abs(std::complex<long double>(e.br, e.bi) - B) / std::abs(B), 1e-12L) << k << " " << n;
      const BlaStepX& x = tx.step_x(k, n);
      double xr, xi;
      cx_to_double(x.a, xr, xi);
      EXPECT_LT(std::abs(std::complex<long double>(xr, xi) - A) / std::abs(A), 1e-12L) << k << " " << n;
      if (k + 1 < t.levels && (i % 2) == 0 && (i >> 1) < t.count[k + 1]) {
        EXPECT_LE(t.step_d(k + 1, n).r2, e.r2) << k << " " << n;
      }
    }
  }
  EXPECT_GT(valid, 20);
  // A delta just inside the first top-level step's radius, dc = |dc|max: the BLA step and the
  // plain steps agree to within a few eps (relative).
  for (int k = kBlaMinLevel; k < t.levels; ++k) {
    const BlaStepD& e = t.step_d(k, 1);
    if (e.r2 == 0) break;
    const double r = std::sqrt(e.r2) * 0.9;
    const double p = std::ldexp(1.0, -120), q = 0;
    double a = r * 0.6, b = r * 0.8;
    const double ba = std::fma(e.ar, a, std::fma(-e.ai, b, std::fma(e.br, p, -(e.bi * q))));
    const double bb = std::fma(e.ar, b, std::fma(e.ai, a, std::fma(e.br, q, e.bi * p)));
    for (std::size_t m = 1; m < 1 + (std::size_t{1} << k); ++m) {
      const double X = o.z[2 * m], Y = o.z[2 * m + 1];
      const double wr = (X + X) + a, wi = (Y + Y) + b;
      const double na = std::fma(a, wr, std::fma(-b, wi, p)), nb = std::fma(a, wi, std::fma(b, wr, q));
      a = na;
      b = nb;
    }
    EXPECT_LT(std::hypot(ba - a, bb - b) / std::hypot(a, b), 64 * eps) << "level " << k;
  }
}

TEST(ReferenceFile, RoundTripAndDamage) {
  const fractal::test::ScopedDir dir = fractal::test::test_dir("reference_file");
  const std::string path = (dir.path / "out.h5.reference").string();
  ReferenceSpec s;
  s.c_re = "-0.75";
  s.c_im = "0.1";
  s.max_iter = 500;
  std::vector<ReferenceOrbit> orbits{compute_reference(s)};
  std::string why;
  EXPECT_FALSE(read_reference_file(path, {s}, why));
  EXPECT_EQ(why, "");  // missing: no complaint
  write_reference_file(path, orbits);
  auto back = read_reference_file(path, {s}, why);
  ASSERT_TRUE(back) << why;
  EXPECT_TRUE(std::equal((*back)[0].z.begin(), (*back)[0].z.end(), orbits[0].z.begin(), orbits[0].z.end()));
  ASSERT_EQ((*back)[0].zx.size(), orbits[0].zx.size());
  for (std::size_t n = 0; n < orbits[0].zx.size(); ++n)
    EXPECT_TRUE((*back)[0].zx[n].re == orbits[0].zx[n].re && (*back)[0].zx[n].im == orbits[0].zx[n].im &&
                (*back)[0].zx[n].e == orbits[0].zx[n].e);
  EXPECT_EQ((*back)[0].escaped, orbits[0].escaped);
  ReferenceSpec other = s;
  other.precision_bits = 65;
  EXPECT_FALSE(read_reference_file(path, {other}, why));
  EXPECT_NE(why.find("another reference"), std::string::npos) << why;
  {  // flip one byte of the orbit
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(300);
    f.put('\x55');
  }
  EXPECT_FALSE(read_reference_file(path, {s}, why));
  EXPECT_NE(why.find("CRC"), std::string::npos) << why;
}

// The frames on which the vector kernels are checked against the scalar ones, pixel by pixel:
// Mandelbrot (1e14's centre at several depths, so that BLA steps are taken or not) and Julia, both
// delta types (extended also past double's range), with and without BLA, rotated, a width that is
// not a multiple of 8 or 4, a budget small enough that pixels stop at max_iter, and a reference
// shorter than the budget (Mandelbrot, 101 values for max_iter 4036: pixels rebase where it ends,
// n == last). fn(f, what) for each; returns the number of frames and of those with BLA.
template <class Fn>
std::pair<int, int> for_each_vector_check_frame(Fn fn) {
  const ReferenceOrbit om = compute_reference(kf1e14_spec(300));
  ReferenceSpec ss = kf1e14_spec(300);
  ss.max_iter = 100;
  const ReferenceOrbit os = compute_reference(ss);
  ReferenceSpec js, jc;
  js.z0_re = "0.1";
  js.z0_im = "0.2";
  js.c_re = jc.c_re = "-0.8";
  js.c_im = jc.c_im = "0.156";
  js.max_iter = jc.max_iter = 2000;
  js.precision_bits = jc.precision_bits = 300;
  const ReferenceOrbit oj = compute_reference(js), oc = compute_reference(jc);
  int frames = 0, bla_frames = 0;
  for (Method method : {Method::PerturbDouble, Method::PerturbExp})
  for (bool julia : {false, true})
    for (std::int64_t e : {-47, -60, -150, -1200})
      for (std::uint32_t max_iter : {4036u, 300u})
        for (bool rotate : {false, true})
          for (bool bla : {false, true})
          for (bool short_ref : {false, true})
          for (bool offset : {false, true}) {
            if (method == Method::PerturbDouble && e < kDoubleDeltaLog2) continue;
            if (short_ref && (julia || max_iter != 4036u || rotate)) continue;
            if (offset && (short_ref || rotate || max_iter != 4036u)) continue;
            DeepFrame f;
            f.method = method;
            f.julia = julia;
            f.width = 13;
            f.height = 7;
            f.max_iter = julia ? std::min(max_iter, 2000u) : max_iter;
            f.dx = RealExp{1.25, e};
            if (rotate) {
              f.rot_cos = std::cos(0.5);
              f.rot_sin = std::sin(0.5);
            }
            f.start = julia ? &oj : short_ref ? &os : &om;
            f.rebase = julia ? &oc : short_ref ? &os : &om;
            f.c_re = julia ? -0.8 : -1.76;
            f.c_im = julia ? 0.156 : -0.0126;
            if (offset) {  // a moving deep zoom's frame: its centre 4.06, -3.125 spacings from the reference
              f.has_offset = true;
              f.off_x = cx_scaled(3.25 * 1.25, -2.5 * 1.25, e);
              if (method == Method::PerturbDouble) {
                f.off_re = std::ldexp(3.25 * 1.25, static_cast<int>(e));
                f.off_im = std::ldexp(-2.5 * 1.25, static_cast<int>(e));
              }
            }
            BlaTable ts, tr;
            if (bla) {
              const double h = std::hypot(0.5 * f.width, 0.5 * f.height) * f.dx.m + (offset ? 5.2 : 0.0);
              const RealExp dc_max = julia ? RealExp{} : RealExp{h / 8, e + 3};
              const bool ext = method == Method::PerturbExp;
              ts = build_bla(*f.start, dc_max, 2.0, ext, bla_epsilon(f.width, f.height));
              tr = build_bla(*f.rebase, dc_max, 2.0, ext, bla_epsilon(f.width, f.height));
              f.bla_start = &ts;
              f.bla_rebase = julia ? &tr : &ts;
            }
            const std::string what = std::string(method_name(method)) + " julia " + std::to_string(julia) + " e " +
                                     std::to_string(e) + " max_iter " + std::to_string(f.max_iter) + " rotate " +
                                     std::to_string(rotate) + " bla " + std::to_string(bla) +
                                     (short_ref ? " short reference" : "") + (offset ? " offset" : "");
            fn(f, what);
            ++frames;
            bla_frames += bla;
          }
  return {frames, bla_frames};
}

// One vector kernel (render_row) against the scalar perturb_pixel on every row of f: counts, their
// sum and z at escape (bit patterns; NaN where the pixel does not escape) identical. Returns the
// number of escaped pixels.
template <class RenderRow>
int expect_rows_bit_identical(const DeepFrame& f, const std::string& what, RenderRow render_row) {
  int escaped = 0;
  for (std::uint32_t row = 0; row < f.height; ++row) {
    std::vector<std::uint32_t> got(f.width);
    std::vector<double> zx(f.width), zy(f.width);
    const std::uint64_t sum = render_row(f, row, got.data(), zx.data(), zy.data());
    std::uint64_t want_sum = 0;
    for (std::uint32_t j = 0; j < f.width; ++j) {
      double ex, ey;
      const std::uint32_t want = perturb_pixel(f, row, j, ex, ey);
      want_sum += want;
      EXPECT_EQ(got[j], want) << what << " pixel " << row << "," << j;
      if (std::isnan(ex)) {
        EXPECT_TRUE(std::isnan(zx[j]) && std::isnan(zy[j])) << what << " pixel " << row << "," << j;
      } else {
        ++escaped;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(zx[j]), std::bit_cast<std::uint64_t>(ex)) << what << " pixel " << row << "," << j;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(zy[j]), std::bit_cast<std::uint64_t>(ey)) << what << " pixel " << row << "," << j;
      }
    }
    EXPECT_EQ(sum, want_sum) << what << " row " << row;
  }
  return escaped;
}

// The AVX-512 kernels (double and extended-exponent deltas) against the scalar ones.
TEST(PerturbationAvx512, BitIdenticalToScalar) {
  if (!perturb_avx512_available()) GTEST_SKIP() << "no AVX-512 on this CPU";
  const auto [frames, bla_frames] = for_each_vector_check_frame([](const DeepFrame& f, const std::string& what) {
    expect_rows_bit_identical(f, what, f.method == Method::PerturbExp ? render_row_exp_avx512 : render_row_double_avx512);
  });
  // double: 3 depths; extended: 4 (-1200 is past double's range); the short reference: 6 + 8;
  // frames offset from the reference (a moving deep zoom): 12 + 16
  EXPECT_EQ(frames, 48 + 64 + 14 + 28);
  EXPECT_EQ(bla_frames, 24 + 32 + 7 + 14);
}

// The AVX2 kernels (double and extended-exponent deltas, 4 lanes) against the scalar ones: only
// AVX2 and FMA needed, so this runs on CPUs without AVX-512 too.
TEST(PerturbationAvx2, BitIdenticalToScalar) {
  if (!perturb_avx2_available()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  int escaped_exp = 0;
  const auto [frames, bla_frames] = for_each_vector_check_frame([&](const DeepFrame& f, const std::string& what) {
    const bool x = f.method == Method::PerturbExp;
    const int esc = expect_rows_bit_identical(f, what, x ? render_row_exp_avx2 : render_row_double_avx2);
    if (x) escaped_exp += esc;
  });
  EXPECT_EQ(frames, 48 + 64 + 14 + 28);
  EXPECT_EQ(bla_frames, 24 + 32 + 7 + 14);
  EXPECT_GT(escaped_exp, 1000);  // the extended frames' z at escape were compared, not only NaNs
}

// The AVX2 kernel's CxExp operations (it has no getexp/scalef: exponents read from the bits,
// powers of two applied by multiplication) against the scalar ones, bit for bit, on values the
// frames above rarely reach: sums that cancel into denormals (normalise's 2^64 rescaling), parts
// far below the other one, exponents just inside and outside cx_add's 2^-1022 drop and
// cx_norm_less's 8, cx_to_double into double's denormals and overflow, zeros.
TEST(PerturbationAvx2, CxExpOperationsBitIdentical) {
  if (!perturb_avx2_available()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  std::mt19937_64 rng(14);
  std::uniform_real_distribution<double> unit(1.0, 2.0);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  auto sign = [&](double x) { return (rng() & 1) ? -x : x; };
  // a part of a normalised value: the maximum in [1, 2), the other one anything below it
  auto part_below = [&]() -> double {
    switch (pick(4)) {
      case 0: return 0.0;
      case 1: return sign(unit(rng) * 0.5);
      default: return sign(std::ldexp(unit(rng), -pick(1100)));  // down to double's denormals
    }
  };
  auto value = [&](std::int64_t e) -> CxExp {
    if (pick(16) == 0) return CxExp{};
    const double mx = sign(unit(rng)), other = part_below();
    return pick(2) ? CxExp{mx, other, e} : CxExp{other, mx, e};
  };
  auto exponent = [&]() -> std::int64_t {
    switch (pick(3)) {
      case 0: return pick(6001) - 3000;
      case 1: return pick(3301) - 1200;  // cx_to_double's range and around it
      default: return pick(41) - 20;
    }
  };
  auto same = [](const CxExp& x, const CxExp& y) {
    return std::bit_cast<std::uint64_t>(x.re) == std::bit_cast<std::uint64_t>(y.re) &&
           std::bit_cast<std::uint64_t>(x.im) == std::bit_cast<std::uint64_t>(y.im) && x.e == y.e;
  };
  auto show = [](const CxExp& x) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "(%a, %a, %lld)", x.re, x.im, static_cast<long long>(x.e));
    return std::string(buf);
  };
  int denormal_sums = 0, tiny_doubles = 0, drops = 0;
  for (int it = 0; it < 200000; ++it) {
    CxExp a[4], b[4], raw[4];
    RealExp r2[4];
    for (int l = 0; l < 4; ++l) {
      a[l] = value(exponent());
      const std::int64_t eb = a[l].e == kZeroExp ? exponent() : a[l].e;
      switch (pick(5)) {
        case 0: b[l] = value(exponent()); break;
        case 1: b[l] = value(eb + pick(9) - 4); break;                   // norm_less decided by the norms
        case 2: b[l] = value(eb + (pick(2) ? 1 : -1) * (1021 + pick(4))); break;  // cx_add's drop boundary
        default: {  // cancellation: b = -a + a little, at a's exponent
          b[l] = a[l];
          b[l].re = -b[l].re;
          b[l].im = -b[l].im;
          if (pick(2)) b[l].re += sign(std::ldexp(1.0, -pick(1080)));
          else b[l].im += sign(std::ldexp(1.0, -pick(1080)));
          if (a[l].e == kZeroExp) b[l] = CxExp{};
        }
      }
      r2[l] = pick(8) == 0 ? RealExp{} : RealExp{unit(rng), (a[l].e == kZeroExp ? 0 : 2 * a[l].e) + pick(7) - 3};
      const auto raw_part = [&]() {
        return pick(4) == 0 ? 0.0 : sign(std::ldexp(unit(rng), pick(1200) - 1100));  // normal and denormal
      };
      raw[l] = CxExp{raw_part(), raw_part(), exponent()};
    }
    const CxOps4 v = cx_ops_avx2(a, b, r2);
    const CxOps4 w = cx_ops_avx2(raw, b, r2);
    for (int l = 0; l < 4; ++l) {
      const CxExp add = cx_add(a[l], b[l]), mul = cx_mul(a[l], b[l]), nrm = normalise(raw[l].re, raw[l].im, raw[l].e);
      ASSERT_TRUE(same(v.add[l], add)) << show(a[l]) << " + " << show(b[l]) << ": " << show(v.add[l]) << " vs " << show(add);
      ASSERT_TRUE(same(v.mul[l], mul)) << show(a[l]) << " * " << show(b[l]) << ": " << show(v.mul[l]) << " vs " << show(mul);
      ASSERT_TRUE(same(w.norm[l], nrm)) << show(raw[l]) << ": " << show(w.norm[l]) << " vs " << show(nrm);
      ASSERT_EQ(v.less[l], cx_norm_less(a[l], b[l])) << show(a[l]) << " < " << show(b[l]);
      ASSERT_EQ(v.norm2_less[l], norm2_less(a[l], r2[l])) << show(a[l]) << " vs " << r2[l].m << " 2^" << r2[l].e;
      double re, im;
      cx_to_double(a[l], re, im);
      ASSERT_EQ(std::bit_cast<std::uint64_t>(v.re[l]), std::bit_cast<std::uint64_t>(re)) << show(a[l]) << " " << v.re[l] << " " << re;
      ASSERT_EQ(std::bit_cast<std::uint64_t>(v.im[l]), std::bit_cast<std::uint64_t>(im)) << show(a[l]) << " " << v.im[l] << " " << im;
      const double m0 = std::fmax(std::fabs(a[l].re + (b[l].e == a[l].e ? b[l].re : 0.0)),
                                  std::fabs(a[l].im + (b[l].e == a[l].e ? b[l].im : 0.0)));
      denormal_sums += a[l].e != kZeroExp && b[l].e == a[l].e && m0 != 0 && m0 < 0x1p-1022;
      denormal_sums += std::fmax(std::fabs(raw[l].re), std::fabs(raw[l].im)) < 0x1p-1022 && (raw[l].re != 0 || raw[l].im != 0);
      tiny_doubles += (re != 0 && std::fabs(re) < 0x1p-1022) || (im != 0 && std::fabs(im) < 0x1p-1022);
      drops += a[l].e != kZeroExp && b[l].e != kZeroExp && std::llabs(a[l].e - b[l].e) > 1022;
    }
  }
  // the rare paths were taken
  EXPECT_GT(denormal_sums, 1000);
  EXPECT_GT(tiny_doubles, 1000);
  EXPECT_GT(drops, 1000);
}
