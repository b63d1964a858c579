// The scalar reference kernel: DESIGN.md's arithmetic (family_step for the other families),
// literally, one pixel at a time, each pixel's point from pixel_point (rotated views too). It is also
// the portable path (any CPU), so it honours FrameParams::skip_interior; with skip_interior off it
// is the brute-force reference the tests compare every variant with.
#include <cmath>
#include <limits>

#include "fractal/kernel/kernel.hpp"

namespace fractal {

namespace {

// DESIGN.md's loop; Z: also give the last z (the z at escape, or after max_iter steps).
template <bool Z>
std::uint32_t iterate_classic(double x, double y, double cx, double cy, std::uint32_t max_iter, double r2,
                              double& ex, double& ey) {
  for (std::uint32_t k = 1; k <= max_iter; ++k) {
    const double t = std::fma(x, x, cx);        // x*x + c_re, rounded once
    const double xn = std::fma(-y, y, t);       // t - y*y, rounded once
    const double yn = std::fma(x + x, y, cy);   // 2xy + c_im, rounded once
    x = xn;
    y = yn;
    if (std::fma(x, x, y * y) > r2) {
      if constexpr (Z) ex = x, ey = y;
      return k - 1;
    }
  }
  if constexpr (Z) ex = x, ey = y;
  return max_iter;
}

// The loop of iterate_point for any family, one family_step per k. F is a template argument so
// the family's branch disappears from the loop (the arithmetic is family_step's, literally).
template <Family F, bool Z>
std::uint32_t iterate_family(std::uint32_t power, double x, double y, double cx, double cy,
                             std::uint32_t max_iter, double r2, double& ex, double& ey) {
  for (std::uint32_t k = 1; k <= max_iter; ++k) {
    family_step(F, power, x, y, cx, cy);
    if (std::fma(x, x, y * y) > r2) {
      if constexpr (Z) ex = x, ey = y;
      return k - 1;
    }
  }
  if constexpr (Z) ex = x, ey = y;
  return max_iter;
}

template <bool Z>
std::uint32_t iterate_any(Family fam, std::uint32_t power, double zx, double zy, double cx, double cy,
                          std::uint32_t max_iter, double r2, double& ex, double& ey) {
  switch (fam) {
    case Family::Multibrot:
      // d <= 2 is the classic step: family_step's arithmetic is iterate_point's exactly.
      return power >= 3 ? iterate_family<Family::Multibrot, Z>(power, zx, zy, cx, cy, max_iter, r2, ex, ey)
                        : iterate_classic<Z>(zx, zy, cx, cy, max_iter, r2, ex, ey);
    case Family::BurningShip:
      return iterate_family<Family::BurningShip, Z>(power, zx, zy, cx, cy, max_iter, r2, ex, ey);
    case Family::Tricorn:
      return iterate_family<Family::Tricorn, Z>(power, zx, zy, cx, cy, max_iter, r2, ex, ey);
  }
  return iterate_classic<Z>(zx, zy, cx, cy, max_iter, r2, ex, ey);
}

}  // namespace

std::uint32_t iterate_point(double x, double y, double cx, double cy, std::uint32_t max_iter,
                            double r2) {
  double ex, ey;  // unused
  return iterate_classic<false>(x, y, cx, cy, max_iter, r2, ex, ey);
}

std::uint32_t iterate_point_family(Family fam, std::uint32_t power, double zx, double zy,
                                   double cx, double cy, std::uint32_t max_iter, double r2) {
  double ex, ey;  // unused
  return iterate_any<false>(fam, power, zx, zy, cx, cy, max_iter, r2, ex, ey);
}

std::uint32_t iterate_point_family_z(Family fam, std::uint32_t power, double zx, double zy, double cx,
                                     double cy, std::uint32_t max_iter, double r2, double& esc_x,
                                     double& esc_y) {
  return iterate_any<true>(fam, power, zx, zy, cx, cy, max_iter, r2, esc_x, esc_y);
}

bool interior_skip_applies(const FrameParams& p) {
  const double r2 = p.escape_radius * p.escape_radius;
  // The cardioid and bulb are components of the classic set only (z^2 + c): not of other families
  // or degrees, whose interiors are other shapes.
  return p.skip_interior && p.fractal == Fractal::Mandelbrot && p.family == Family::Multibrot &&
         p.power == 2 && p.z0_re == 0 && p.z0_im == 0 && r2 >= 4.0;  // false for NaN
}

// Cardioid: c = lambda/2 - lambda^2/4 with lambda = 1 - s, s = sqrt(w), w = 1 - 4c (Re s >= 0) the
// multiplier of the attracting fixed point z* = lambda/2. With a = Re w, b = Im w, m = |w|:
// |lambda|^2 = 1 + m - sqrt(2 (m + a)), so |lambda| <= 1 - d  <=>  (m + 2d - d^2)^2 <= 2 (m + a).
// m + a is computed without cancellation as b^2 / (m - a) when a < 0.
// Bulb: the 2-cycle's multiplier is 4 (c + 1), so |c + 1| <= (1 - d) / 4.
// Branch-free, so the row loop below vectorises.
bool mandelbrot_interior(double cx, double cy) {
  constexpr double d = kInteriorMargin;
  const double a = 1.0 - 4.0 * cx;
  const double b2 = 16.0 * (cy * cy);
  const double m = std::sqrt(a * a + b2);
  const double mpa = a >= 0 ? m + a : b2 / (m - a);
  const double l = m + (2 * d - d * d);
  const bool cardioid = l * l <= 2.0 * mpa;
  const double u = cx + 1.0;
  constexpr double rb = (1 - d) / 4;
  const bool bulb = u * u + cy * cy <= rb * rb;
  // Both lie in [-1.25, 0.375] x [-0.65, 0.65]; outside it the formulas above may overflow.
  const bool box = cx > -1.3 && cx < 0.4 && cy > -0.7 && cy < 0.7;
  return (cardioid | bulb) & box;
}

std::uint32_t mark_interior_row(const FrameParams& p, std::uint32_t row, std::uint8_t* flags) {
  std::uint32_t n = 0;
  if (p.rotated()) {  // every pixel's own (rotated) point, exactly as the kernels iterate it
    for (std::uint32_t j = 0; j < p.width; ++j) {
      double x, y;
      pixel_point(p, row, j, x, y);
      const bool in = mandelbrot_interior(x, y);
      flags[j] = in;
      n += in;
    }
    return n;
  }
  const double y = pixel_y(p, row);
  // Cheap reject: the cardioid and the bulb lie in |Im c| < 0.65.
  if (!(std::fabs(y) < 0.7)) {
    for (std::uint32_t j = 0; j < p.width; ++j) flags[j] = 0;
    return 0;
  }
  const double dx = (p.xmax - p.xmin) / p.width;
  for (std::uint32_t j = 0; j < p.width; ++j) {
    const bool in = mandelbrot_interior(p.xmin + (j + 0.5) * dx, y);
    flags[j] = in;
    n += in;
  }
  return n;
}

double blocked_c2_limit(double r2) {
  // Proof sketch (u = 2^-53, R = sqrt(r2)): if fma(x,x,y*y) > r2 then |z| > R(1 - 1.01u); one step
  // gives |z'| >= |z|^2 - |c| - 3.01u(|z|^2 + |c|), which for |c| <= (R^2 - R)(1 - 2^-20) is
  // >= R(1 + 2u) and grows from there on, so every later test sees |z'|^2 > r2 too (or overflow:
  // inf or NaN, which the block-end test !(m <= r2) also catches).
  if (!(r2 >= 4.0) || !std::isfinite(r2)) return -1.0;
  constexpr double eta = 1.0 / (1 << 20);
  const double c = (r2 - std::sqrt(r2)) * (1 - eta);
  return c * c * (1 - eta);
}

namespace {

// Z: also report each escaped pixel's z at escape in ex[j], ey[j] (NaN for the others).
template <bool Z>
std::uint64_t render_row_scalar_impl(const FrameParams& p, std::uint32_t row, std::uint32_t* out, double* ex,
                                     double* ey) {
  const double r2 = p.escape_radius * p.escape_radius;
  const bool skip = interior_skip_applies(p);
  std::uint64_t sum = 0;
  for (std::uint32_t j = 0; j < p.width; ++j) {
    double x, y;
    pixel_point(p, row, j, x, y);  // DESIGN.md's mapping, rotated when the frame is
    double zx = std::numeric_limits<double>::quiet_NaN(), zy = zx;
    const std::uint32_t n =
        p.fractal == Fractal::Julia
            ? iterate_any<Z>(p.family, p.power, x, y, p.c_re, p.c_im, p.max_iter, r2, zx, zy)
        : skip && mandelbrot_interior(x, y)
            ? p.max_iter
            : iterate_any<Z>(p.family, p.power, p.z0_re, p.z0_im, x, y, p.max_iter, r2, zx, zy);
    out[j] = n;
    sum += n;
    if constexpr (Z) {
      const bool escaped = n < p.max_iter;
      ex[j] = escaped ? zx : std::numeric_limits<double>::quiet_NaN();
      ey[j] = escaped ? zy : std::numeric_limits<double>::quiet_NaN();
    }
  }
  return sum;
}

}  // namespace

std::uint64_t render_row_scalar(const FrameParams& p, std::uint32_t row, std::uint32_t* out) {
  return render_row_scalar_impl<false>(p, row, out, nullptr, nullptr);
}

std::uint64_t render_row_scalar_esc(const FrameParams& p, std::uint32_t row, std::uint32_t* out,
                                    double* esc_x, double* esc_y) {
  if (!esc_x || !esc_y) return render_row_scalar(p, row, out);
  return render_row_scalar_impl<true>(p, row, out, esc_x, esc_y);
}

RowKernelEsc escape_row_kernel(RowKernel k) {
  if (k == &render_row_scalar) return &render_row_scalar_esc;
  if (k == &render_row_avx2) return &render_row_avx2_esc;
  if (k == &render_row_avx512) return &render_row_avx512_esc;
  return nullptr;
}

}  // namespace fractal
