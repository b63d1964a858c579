#pragma once
// The fractal families and the rotated pixel mapping: the exact scalar arithmetic every kernel
// variant must reproduce bit for bit (docs/FORMAT.md "Families" and "Rotation" write it down).
// This header is the single source of truth for one iteration step; kernels (scalar and SIMD) and
// the smooth/distance pass (extras) all follow it.
#include <cmath>
#include <cstdint>

namespace fractal {

// z_{k+1} = f(z_k) + c with
//   Multibrot:   f(z) = z^d, d = power in 2..8 (d = 2: the classic Mandelbrot/Julia sets)
//   BurningShip: f(z) = (|Re z| + i |Im z|)^2
//   Tricorn:     f(z) = conj(z)^2
// Julia-type or Mandelbrot-type is Config::fractal, independent of the family.
enum class Family { Multibrot, BurningShip, Tricorn };
const char* family_name(Family f);  // "multibrot" | "burning-ship" | "tricorn"

inline constexpr std::uint32_t kMinPower = 2, kMaxPower = 8;

// One step, in IEEE double with exactly these roundings (build with -ffp-contract=off).
// d = 2 (and burning ship, tricorn) keep DESIGN.md's three fused operations:
//   t = fma(x, x, c_re); x' = fma(-y, y, t); y' = fma(x + x, y, c_im)        (classic)
//   burning ship: y' = fma(|x| + |x|, |y|, c_im)   (x*x and y*y are the same for |x|, |y|)
//   tricorn:      y' = fma(-(x + x), y, c_im)
// d >= 3: w = z, then d - 1 complex products w <- w * z, each rounded as
//   (a, b) <- (fma(a, x, -(b * y)), fma(a, y, b * x))
// and finally x' = a + c_re, y' = b + c_im.
// Escape test for every family: fma(x, x, y * y) > R^2 (DESIGN.md).
inline void family_step(Family fam, std::uint32_t power, double& x, double& y, double cx, double cy) {
  if (fam == Family::Multibrot && power >= 3) {
    double a = x, b = y;
    for (std::uint32_t k = 1; k < power; ++k) {
      const double na = std::fma(a, x, -(b * y));
      const double nb = std::fma(a, y, b * x);
      a = na;
      b = nb;
    }
    x = a + cx;
    y = b + cy;
    return;
  }
  const double t = std::fma(x, x, cx);
  double yn;
  if (fam == Family::BurningShip) {
    const double ax = std::fabs(x), ay = std::fabs(y);
    yn = std::fma(ax + ax, ay, cy);
  } else if (fam == Family::Tricorn) {
    yn = std::fma(-(x + x), y, cy);
  } else {
    yn = std::fma(x + x, y, cy);
  }
  x = std::fma(-y, y, t);
  y = yn;
}

// Rotation of the view by `degrees` (counter-clockwise) about its centre: the per-frame cosine
// and sine used by the mapping. Multiples of 90 degrees give exact 0 / +-1; an angle that reduces
// to 0 (mod 360) gives cos = 1, sin = 0, which means "not rotated" (DESIGN.md's mapping exactly).
inline void rotation_cos_sin(double degrees, double& c, double& s) {
  double r = std::fmod(degrees, 360.0);  // exact
  if (r < 0) r += 360.0;
  if (r >= 360.0) r -= 360.0;
  if (r == 0) { c = 1; s = 0; }
  else if (r == 90) { c = 0; s = 1; }
  else if (r == 180) { c = -1; s = 0; }
  else if (r == 270) { c = 0; s = -1; }
  else {
    const double a = r * (3.14159265358979323846 / 180.0);
    c = std::cos(a);
    s = std::sin(a);
  }
}

}  // namespace fractal
