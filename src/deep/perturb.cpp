// The perturbation kernel (perturb.hpp), scalar: one pixel at a time, the reference of the
// arithmetic for any faster variant. Two delta types: double (pixel spacing >= ~1e-289) and CxExp
// (any depth). The step is the same algebra in both, w = 2 Z_n + delta, delta' = w * delta + dc:
//   double:  wr = (X + X) + a;  wi = (Y + Y) + b
//            a' = fma(a, wr, fma(-b, wi, p));  b' = fma(a, wi, fma(b, wr, q))
//   CxExp:   w = cx_add(2 Z_n, delta);  delta' = cx_add(cx_mul(delta, w), dc)   (Z_n, 2 Z_n as CxExp:
//            the reference's extended values, which hold Z_n even below double's range)
// then z = Z_{n+1} + delta' (double: zr = X' + a', zi = Y' + b'; CxExp: cx_add, then to double
// for the escape test), escape when fma(zr, zr, zi * zi) > R^2, rebase when |z| < |delta'|
// (double: fma(zr, zr, zi*zi) < fma(a', a', b' * b'); CxExp: cx_norm_less) or n + 1 is the
// reference's last index.
#include "fractal/deep/perturb.hpp"

#include "fractal/deep/perturb_simd.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace fractal::deep {

const char* method_name(Method m) {
  switch (m) {
    case Method::Double: return "double";
    case Method::PerturbDouble: return "perturbation";
    case Method::PerturbExp: return "perturbation-exp";
  }
  return "?";
}

void pixel_offset(const DeepFrame& f, std::uint32_t i, std::uint32_t j, double& u, double& v) {
  const double pu = (static_cast<double>(j) + 0.5) - 0.5 * f.width;
  const double pv = -((static_cast<double>(i) + 0.5) - 0.5 * f.height);
  if (f.rot_cos == 1.0 && f.rot_sin == 0.0) {
    u = pu;
    v = pv;
    return;
  }
  u = std::fma(f.rot_cos, pu, -(f.rot_sin * pv));
  v = std::fma(f.rot_sin, pu, f.rot_cos * pv);
}

void pixel_c_double(const DeepFrame& f, std::uint32_t i, std::uint32_t j, double& cx, double& cy) {
  cx = f.c_re;
  cy = f.c_im;
  if (f.julia) return;
  double u, v;
  pixel_offset(f, i, j, u, v);
  const double dx = f.dx.e < -1100 ? 0.0 : std::ldexp(f.dx.m, static_cast<int>(f.dx.e));
  cx += std::fma(u, dx, f.off_re);
  cy += std::fma(v, dx, f.off_im);
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// What one pixel's run leaves besides its count: z at the escape step (NaN when it does not
// escape) and, when the derivative is tracked, dz/dc (Mandelbrot) or dz/dz_0 (Julia) of that z.
struct PixelEnd {
  double zx = kNaN, zy = kNaN;
  CxExp dz;
};

// dz' = 2 z dz (+ 1 for Mandelbrot), z the value before the step: the derivative of the exact
// orbit, independent of how z is split into Z_n + delta. In CxExp: it grows like 1 / (pixel
// spacing), beyond double's range in deep views.
inline CxExp derivative_step(const CxExp& dz, const CxExp& z, bool julia) {
  const CxExp two_z{z.re, z.im, z.e + 1};
  const CxExp p = cx_mul(dz, two_z);
  return julia ? p : cx_add(p, CxExp{1.0, 0.0, 0});
}

// The BLA step's derivative (Mandelbrot: d(delta)/dc' = A d(delta)/dc + B; Julia: A d(delta)/dz_0):
// dz/dc = d(delta)/dc since the reference does not depend on the pixel.
inline CxExp derivative_bla(const CxExp& dz, const CxExp& A, const CxExp& B, bool julia) {
  const CxExp p = cx_mul(A, dz);
  return julia ? p : cx_add(p, B);
}

template <bool Deriv>
std::uint32_t pixel_double(const DeepFrame& f, double u, double v, PixelEnd& end) {
  const double dx = std::ldexp(f.dx.m, static_cast<int>(f.dx.e));
  const double r2 = f.escape_radius * f.escape_radius;
  double a = 0, b = 0, p = 0, q = 0;
  if (f.julia) {
    a = std::fma(u, dx, f.off_re);
    b = std::fma(v, dx, f.off_im);
  } else {
    p = std::fma(u, dx, f.off_re);
    q = std::fma(v, dx, f.off_im);
  }
  const double* Z = f.start->z.data();
  const BlaTable* bla = f.bla_start;
  std::size_t last = f.start->length() - 1;
  std::size_t n = 0;
  CxExp dz;
  double zr = 0, zi = 0;  // z before the step (only for the derivative)
  if constexpr (Deriv) {
    if (f.julia) dz = CxExp{1.0, 0.0, 0};
    zr = Z[0] + a;
    zi = Z[1] + b;
  }
  std::uint32_t k = 0;  // z_k is the pixel's current value
  while (k < f.max_iter) {
    const int level = bla ? bla->find_d(n, std::fma(a, a, b * b), f.max_iter - k) : -1;
    if (level >= 0) {  // 2^level steps at once: delta <- A delta + B dc
      const BlaStepD& s = bla->step_d(level, n);
      if constexpr (Deriv) dz = derivative_bla(dz, cx_from(s.ar, s.ai), cx_from(s.br, s.bi), f.julia);
      const double tr = std::fma(s.br, p, -(s.bi * q)), ti = std::fma(s.br, q, s.bi * p);
      // the perturbation step's operations with w = A, dc = B dc (vector kernels share them)
      const double na = std::fma(a, s.ar, std::fma(-b, s.ai, tr));
      const double nb = std::fma(a, s.ai, std::fma(b, s.ar, ti));
      a = na;
      b = nb;
      n += std::size_t{1} << level;
      k += std::uint32_t{1} << level;
    } else {
      if constexpr (Deriv) dz = derivative_step(dz, cx_from(zr, zi), f.julia);
      const double X = Z[2 * n], Y = Z[2 * n + 1];
      const double wr = (X + X) + a, wi = (Y + Y) + b;
      const double na = std::fma(a, wr, std::fma(-b, wi, p));
      const double nb = std::fma(a, wi, std::fma(b, wr, q));
      a = na;
      b = nb;
      ++n;
      ++k;
    }
    zr = Z[2 * n] + a;
    zi = Z[2 * n + 1] + b;
    const double zn = std::fma(zr, zr, zi * zi);
    if (zn > r2) {
      end.zx = zr;
      end.zy = zi;
      end.dz = dz;
      return k - 1;
    }
    if (zn < std::fma(a, a, b * b) || n == last) {
      a = zr;
      b = zi;
      n = 0;
      Z = f.rebase->z.data();
      bla = f.bla_rebase;
      last = f.rebase->length() - 1;
    }
  }
  return f.max_iter;
}

template <bool Deriv>
std::uint32_t pixel_exp(const DeepFrame& f, double u, double v, PixelEnd& end) {
  const double r2 = f.escape_radius * f.escape_radius;
  CxExp off = cx_scaled(u * f.dx.m, v * f.dx.m, f.dx.e);
  if (f.has_offset) off = cx_add(off, f.off_x);
  CxExp d, dc;
  if (f.julia) d = off;
  else dc = off;
  const CxExp* Z = f.start->zx.data();
  const BlaTable* bla = f.bla_start;
  std::size_t last = f.start->length() - 1;
  std::size_t n = 0;
  CxExp dz, zb;  // the derivative, z before the step (only with Deriv)
  if constexpr (Deriv) {
    if (f.julia) dz = CxExp{1.0, 0.0, 0};
    zb = cx_add(Z[0], d);
  }
  std::uint32_t k = 0;  // z_k is the pixel's current value
  while (k < f.max_iter) {
    const int level = bla ? bla->find_x(n, d, f.max_iter - k) : -1;
    if (level >= 0) {  // 2^level steps at once: delta <- A delta + B dc
      const BlaStepX& s = bla->step_x(level, n);
      if constexpr (Deriv) dz = derivative_bla(dz, s.a, s.b, f.julia);
      d = cx_add(cx_mul(d, s.a), cx_mul(s.b, dc));  // the perturbation step's d * w with w = A
      n += std::size_t{1} << level;
      k += std::uint32_t{1} << level;
    } else {
      if constexpr (Deriv) dz = derivative_step(dz, zb, f.julia);
      const CxExp two_z{Z[n].re, Z[n].im, Z[n].e + 1};  // 2 Z_n, exactly (still normalised)
      const CxExp w = cx_add(two_z, d);
      d = cx_add(cx_mul(d, w), dc);
      ++n;
      ++k;
    }
    const CxExp z = cx_add(Z[n], d);
    if constexpr (Deriv) zb = z;
    double zr, zi;
    cx_to_double(z, zr, zi);
    if (std::fma(zr, zr, zi * zi) > r2) {
      end.zx = zr;
      end.zy = zi;
      end.dz = dz;
      return k - 1;
    }
    if (cx_norm_less(z, d) || n == last) {
      d = z;
      n = 0;
      Z = f.rebase->zx.data();
      bla = f.bla_rebase;
      last = f.rebase->length() - 1;
    }
  }
  return f.max_iter;
}

template <bool Deriv>
std::uint32_t pixel_run(const DeepFrame& f, std::uint32_t i, std::uint32_t j, PixelEnd& end) {
  double u, v;
  pixel_offset(f, i, j, u, v);
  return f.method == Method::PerturbExp ? pixel_exp<Deriv>(f, u, v, end) : pixel_double<Deriv>(f, u, v, end);
}

// The steps past escape shared by /smooth and /distance (docs/FORMAT.md "Smooth and distance
// data"): z <- z^2 + c in double with c = (cx, cy) while |z|^2 <= 2^64, at most 64 steps; the
// derivative, when given, follows in CxExp. Returns m (the last step's index) and L = log|z_m|.
double after_escape(std::uint32_t count, double& x, double& y, double cx, double cy, CxExp* dz, bool julia,
                    std::uint64_t& m) {
  const std::uint64_t k = std::uint64_t{count} + 1;
  m = k;
  while (m < k + 64 && std::fma(x, x, y * y) <= 18446744073709551616.0) {
    if (dz) *dz = derivative_step(*dz, cx_from(x, y), julia);
    const double t = std::fma(x, x, cx);
    const double nx = std::fma(-y, y, t);
    y = std::fma(x + x, y, cy);
    x = nx;
    ++m;
  }
  const double r2 = std::fma(x, x, y * y);
  return std::isfinite(r2) && r2 > 0 ? 0.5 * std::log(r2) : std::log(std::hypot(x, y));
}

float smooth_value(const DeepFrame& f, std::uint32_t count, std::uint64_t m, double L) {
  const double Lr = std::log(std::max(f.escape_radius, 2.0));
  const double s = static_cast<double>(m) - 1.0 - std::log(L / Lr) / std::log(2.0);
  const float out = static_cast<float>(s);
  return std::isfinite(s) && std::isfinite(out) ? out : static_cast<float>(count);
}

// |z_m| log|z_m| / |dz_m| / dx, evaluated in logarithms (|dz| and 1/dx may be far beyond double's
// range, their ratio is not).
float distance_value(const DeepFrame& f, const CxExp& dz, double L) {
  if (dz.e == kZeroExp || !(L > 0)) return 0.0f;
  const double ln2 = 0.69314718055994530942;
  const double ln_dz = 0.5 * std::log(std::fma(dz.re, dz.re, dz.im * dz.im));
  const double ln_d = L + std::log(L) - ln_dz - std::log(f.dx.m) - static_cast<double>(dz.e + f.dx.e) * ln2;
  const float out = static_cast<float>(std::exp(ln_d));
  return std::isfinite(out) && out > 0 ? out : 0.0f;
}

}  // namespace

std::uint32_t perturb_pixel(const DeepFrame& f, std::uint32_t i, std::uint32_t j, double& esc_x, double& esc_y) {
  PixelEnd end;
  const std::uint32_t n = pixel_run<false>(f, i, j, end);
  esc_x = end.zx;
  esc_y = end.zy;
  return n;
}

std::uint64_t render_row_deep(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, float* smooth,
                              float* distance) {
  // The vector kernels: no derivative (/distance stays scalar).
  thread_local std::vector<double> vzx, vzy;  // [width]: z at escape from the vector kernel
  // 8 lanes: AVX-512, 4 lanes: AVX2; both delta types.
  const bool vec = !distance && (f.lanes == 8 || f.lanes == 4);
  if (vec) {
    if (smooth) {
      vzx.resize(f.width);
      vzy.resize(f.width);
    }
    double* ex = smooth ? vzx.data() : nullptr;
    double* ey = smooth ? vzy.data() : nullptr;
    const bool x = f.method == Method::PerturbExp;
    const std::uint64_t s = f.lanes == 4 ? (x ? render_row_exp_avx2(f, row, out, ex, ey)
                                              : render_row_double_avx2(f, row, out, ex, ey))
                                         : (x ? render_row_exp_avx512(f, row, out, ex, ey)
                                              : render_row_double_avx512(f, row, out, ex, ey));
    if (!smooth) return s;
  }
  std::uint64_t sum = 0;
  for (std::uint32_t j = 0; j < f.width; ++j) {
    PixelEnd end;
    std::uint32_t n;
    if (vec) {
      n = out[j];
      end.zx = vzx[j];
      end.zy = vzy[j];
    } else {
      n = distance ? pixel_run<true>(f, row, j, end) : pixel_run<false>(f, row, j, end);
    }
    out[j] = n;
    sum += n;
    if (!smooth && !distance) continue;
    if (n >= f.max_iter) {  // interior
      if (smooth) smooth[j] = static_cast<float>(f.max_iter);
      if (distance) distance[j] = 0.0f;
      continue;
    }
    double cx, cy;
    pixel_c_double(f, row, j, cx, cy);
    std::uint64_t m;
    const double L = after_escape(n, end.zx, end.zy, cx, cy, distance ? &end.dz : nullptr, f.julia, m);
    if (smooth) smooth[j] = smooth_value(f, n, m, L);
    if (distance) distance[j] = distance_value(f, end.dz, L);
  }
  return sum;
}

float deep_smooth(const DeepFrame& f, std::uint32_t count, double x, double y, double cx, double cy) {
  if (count >= f.max_iter) return static_cast<float>(f.max_iter);
  std::uint64_t m;
  const double L = after_escape(count, x, y, cx, cy, nullptr, f.julia, m);
  return smooth_value(f, count, m, L);
}

}  // namespace fractal::deep
