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

#include <cmath>
#include <limits>

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
  cx += u * dx;
  cy += v * dx;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::uint32_t pixel_double(const DeepFrame& f, double u, double v, double& esc_x, double& esc_y) {
  const double dx = std::ldexp(f.dx.m, static_cast<int>(f.dx.e));
  const double r2 = f.escape_radius * f.escape_radius;
  double a = 0, b = 0, p = 0, q = 0;
  if (f.julia) {
    a = u * dx;
    b = v * dx;
  } else {
    p = u * dx;
    q = v * dx;
  }
  const double* Z = f.start->z.data();
  std::size_t last = f.start->length() - 1;
  std::size_t n = 0;
  for (std::uint32_t k = 1; k <= f.max_iter; ++k) {
    const double X = Z[2 * n], Y = Z[2 * n + 1];
    const double wr = (X + X) + a, wi = (Y + Y) + b;
    const double na = std::fma(a, wr, std::fma(-b, wi, p));
    const double nb = std::fma(a, wi, std::fma(b, wr, q));
    a = na;
    b = nb;
    ++n;
    const double zr = Z[2 * n] + a, zi = Z[2 * n + 1] + b;
    const double zn = std::fma(zr, zr, zi * zi);
    if (zn > r2) {
      esc_x = zr;
      esc_y = zi;
      return k - 1;
    }
    if (zn < std::fma(a, a, b * b) || n == last) {
      a = zr;
      b = zi;
      n = 0;
      Z = f.rebase->z.data();
      last = f.rebase->length() - 1;
    }
  }
  esc_x = esc_y = kNaN;
  return f.max_iter;
}

std::uint32_t pixel_exp(const DeepFrame& f, double u, double v, double& esc_x, double& esc_y) {
  const double r2 = f.escape_radius * f.escape_radius;
  const CxExp off = cx_scaled(u * f.dx.m, v * f.dx.m, f.dx.e);
  CxExp d, dc;
  if (f.julia) d = off;
  else dc = off;
  const CxExp* Z = f.start->zx.data();
  std::size_t last = f.start->length() - 1;
  std::size_t n = 0;
  for (std::uint32_t k = 1; k <= f.max_iter; ++k) {
    const CxExp two_z{Z[n].re, Z[n].im, Z[n].e + 1};  // 2 Z_n, exactly (still normalised)
    const CxExp w = cx_add(two_z, d);
    d = cx_add(cx_mul(d, w), dc);
    ++n;
    const CxExp z = cx_add(Z[n], d);
    double zr, zi;
    cx_to_double(z, zr, zi);
    if (std::fma(zr, zr, zi * zi) > r2) {
      esc_x = zr;
      esc_y = zi;
      return k - 1;
    }
    if (cx_norm_less(z, d) || n == last) {
      d = z;
      n = 0;
      Z = f.rebase->zx.data();
      last = f.rebase->length() - 1;
    }
  }
  esc_x = esc_y = kNaN;
  return f.max_iter;
}

}  // namespace

std::uint32_t perturb_pixel(const DeepFrame& f, std::uint32_t i, std::uint32_t j, double& esc_x, double& esc_y) {
  double u, v;
  pixel_offset(f, i, j, u, v);
  return f.method == Method::PerturbExp ? pixel_exp(f, u, v, esc_x, esc_y) : pixel_double(f, u, v, esc_x, esc_y);
}

std::uint64_t render_row_deep(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x, double* esc_y) {
  std::uint64_t sum = 0;
  for (std::uint32_t j = 0; j < f.width; ++j) {
    double ex, ey;
    out[j] = perturb_pixel(f, row, j, ex, ey);
    sum += out[j];
    if (esc_x) esc_x[j] = ex;
    if (esc_y) esc_y[j] = ey;
  }
  return sum;
}

float deep_smooth(const DeepFrame& f, std::uint32_t count, double x, double y, double cx, double cy) {
  if (count >= f.max_iter) return static_cast<float>(f.max_iter);
  const std::uint64_t k = std::uint64_t{count} + 1;
  std::uint64_t m = k;
  while (m < k + 64 && std::fma(x, x, y * y) <= 18446744073709551616.0) {
    const double t = std::fma(x, x, cx);
    const double nx = std::fma(-y, y, t);
    y = std::fma(x + x, y, cy);
    x = nx;
    ++m;
  }
  const double r2 = std::fma(x, x, y * y);
  const double L = std::isfinite(r2) && r2 > 0 ? 0.5 * std::log(r2) : std::log(std::hypot(x, y));
  const double Lr = std::log(std::max(f.escape_radius, 2.0));
  const double s = static_cast<double>(m) - 1.0 - std::log(L / Lr) / std::log(2.0);
  const float out = static_cast<float>(s);
  return std::isfinite(s) && std::isfinite(out) ? out : static_cast<float>(count);
}

}  // namespace fractal::deep
