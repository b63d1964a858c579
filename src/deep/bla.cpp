// Building the BLA table (bla.hpp). Everything is computed in the extended-exponent types (A and
// B grow like the derivative, far beyond double's range on long orbits; R shrinks as they grow),
// then stored in the kernel's delta type. Radii are thresholds, not results: they only need to be
// the same on every rank, which the fixed sequence of double operations below guarantees.
#include "fractal/deep/bla.hpp"

#include <algorithm>
#include <cmath>

namespace fractal::deep {

namespace {

// Positive reals m * 2^e, m in [1, 2) (zero: m = 0, e = kZeroExp).
RealExp rnorm(double m, std::int64_t e) {
  if (!(m > 0) || !std::isfinite(m)) return {};
  const std::int64_t k = exponent_of(m);
  return {m * pow2(-k), e + k};
}
bool rzero(const RealExp& a) { return a.m == 0; }
RealExp rmul(const RealExp& a, const RealExp& b) {
  if (rzero(a) || rzero(b)) return {};
  return rnorm(a.m * b.m, a.e + b.e);
}
RealExp rdiv(const RealExp& a, const RealExp& b) {  // b != 0
  if (rzero(a)) return {};
  return rnorm(a.m / b.m, a.e - b.e);
}
// max(0, a - b)
RealExp rsub_pos(const RealExp& a, const RealExp& b) {
  if (rzero(b)) return a;
  if (rzero(a) || b.e > a.e) return {};
  const std::int64_t d = b.e - a.e;  // <= 0
  if (d < -1022) return a;
  return rnorm(a.m - b.m * pow2(d), a.e);
}
bool rless(const RealExp& a, const RealExp& b) {
  if (rzero(b)) return false;
  if (rzero(a)) return true;
  return a.e != b.e ? a.e < b.e : a.m < b.m;
}
RealExp cx_abs(const CxExp& a) {
  if (a.e == kZeroExp) return {};
  return rnorm(std::sqrt(std::fma(a.re, a.re, a.im * a.im)), a.e);
}

// A step being built: R itself (not squared).
struct Step {
  CxExp a, b;
  RealExp r;
};

// x then y.
Step merge(const Step& x, const Step& y, const RealExp& dc_max) {
  Step s;
  s.a = cx_mul(y.a, x.a);
  s.b = cx_add(cx_mul(y.a, x.b), y.b);
  const RealExp ax = cx_abs(x.a);
  if (rzero(ax) || rzero(x.r)) return s;  // r = 0: never valid
  const RealExp ry = rdiv(rsub_pos(y.r, rmul(cx_abs(x.b), dc_max)), ax);
  s.r = rless(ry, x.r) ? ry : x.r;
  return s;
}

}  // namespace

double bla_epsilon(std::uint32_t width, std::uint32_t height) {
  const double r = std::hypot(0.5 * width, 0.5 * height);  // >= 0.7
  return kBlaEta * pow2(-static_cast<std::int64_t>(std::ceil(std::log2(r))));
}

bool norm2_less(const CxExp& delta, const RealExp& r2) {
  if (rzero(r2)) return false;
  if (delta.e == kZeroExp) return true;
  const double n = std::fma(delta.re, delta.re, delta.im * delta.im);  // [1, 8)
  const std::int64_t k = exponent_of(n);
  const std::int64_t ne = 2 * delta.e + k;
  return ne != r2.e ? ne < r2.e : n * pow2(-k) < r2.m;
}

int BlaTable::find_x(std::size_t n, const CxExp& delta, std::uint64_t budget) const {
  const std::size_t s = n - 1;
  if (n == 0 || (s & ((std::size_t{1} << min_level) - 1)) != 0) return -1;
  int best = -1;
  for (int k = min_level; k < levels; ++k) {
    const std::size_t i = s >> k;
    if ((i << k) != s || i >= count[k] || (std::uint64_t{1} << k) > budget) break;
    if (!norm2_less(delta, x[offset[k] + i].r2)) break;
    best = k;
  }
  return best;
}

BlaTable bla_shape(std::size_t length) {
  BlaTable t;
  const std::size_t last = length == 0 ? 0 : length - 1;
  const int m = t.min_level;
  // Levels with at least one step: count[k] = (last - 1) >> k steps of 2^k from n = 1.
  t.offset.assign(1, 0);
  t.count.assign(1, 0);
  std::size_t total = 0;
  for (int k = 1; last >= 1 && k < 62 && ((last - 1) >> k) > 0; ++k) {
    t.offset.push_back(total);
    t.count.push_back(k < m ? 0 : (last - 1) >> k);
    total += t.count.back();
  }
  t.levels = static_cast<int>(t.count.size());
  if (t.levels <= m) t.levels = 0;  // the orbit is too short for any stored step
  return t;
}

std::size_t BlaTable::steps() const {
  std::size_t total = 0;
  for (int k = min_level; k < levels; ++k) total += count[k];
  return total;
}

BlaTable build_bla(const ReferenceOrbit& o, const RealExp& dc_max, double escape_radius, bool extended,
                   double eps) {
  BlaTable t = bla_shape(o.length());
  if (t.levels == 0) return t;
  const int m = t.min_level;
  const std::size_t span = std::size_t{1} << m;
  const std::size_t total = t.steps();

  const RealExp eps_r = rnorm(eps, 0);
  const double r2_escape = escape_radius * escape_radius;
  auto single = [&](std::size_t n) {  // n >= 1
    Step s;
    const CxExp& z = o.zx[n];
    s.b = CxExp{1.0, 0.0, 0};
    if (z.e == kZeroExp) return s;  // A = 0, R = 0
    s.a = CxExp{z.re, z.im, z.e + 1};
    const double zr = o.z[2 * n], zi = o.z[2 * n + 1];
    if (std::fma(zr, zr, zi * zi) * (1 + 16 * eps) > r2_escape) return s;  // a pixel near Z_n may escape
    s.r = rmul(eps_r, cx_abs(s.a));
    return s;
  };

  std::vector<Step> steps(total);  // [levels >= m, steps]
  const std::ptrdiff_t n_m = static_cast<std::ptrdiff_t>(t.count[m]);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t i = 0; i < n_m; ++i) {
    const std::size_t n0 = 1 + static_cast<std::size_t>(i) * span;
    Step acc = single(n0);
    for (std::size_t j = 1; j < span; ++j) acc = merge(acc, single(n0 + j), dc_max);
    steps[t.offset[m] + static_cast<std::size_t>(i)] = acc;
  }
  for (int k = m + 1; k < t.levels; ++k) {
    const std::ptrdiff_t nk = static_cast<std::ptrdiff_t>(t.count[k]);
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < nk; ++i) {
      const Step* below = steps.data() + t.offset[k - 1];
      steps[t.offset[k] + static_cast<std::size_t>(i)] = merge(below[2 * i], below[2 * i + 1], dc_max);
    }
  }

  if (extended) {
    std::vector<BlaStepX> x(total);
    for (std::size_t s = 0; s < total; ++s) x[s] = {steps[s].a, steps[s].b, rmul(steps[s].r, steps[s].r)};
    t.x.assign(std::move(x));
  } else {
    // Double deltas: a step whose A, B or R^2 leave double's comfortable range is never valid
    // (it would only serve deltas the double kernel does not have).
    std::vector<BlaStepD> dv(total);
    for (std::size_t s = 0; s < total; ++s) {
      const Step& st = steps[s];
      const RealExp r2 = rmul(st.r, st.r);
      BlaStepD& e = dv[s];
      e = {0, 0, 0, 0, 0};
      if (rzero(r2) || st.a.e > 900 || st.b.e > 900 || r2.e < -1000) continue;
      cx_to_double(st.a, e.ar, e.ai);
      cx_to_double(st.b, e.br, e.bi);
      e.r2 = r2.e > 1000 ? 0x1p1000 : std::ldexp(r2.m, static_cast<int>(r2.e));
    }
    t.d.assign(std::move(dv));
  }
  return t;
}

}  // namespace fractal::deep
