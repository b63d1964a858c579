// Smooth escape values and distance estimates (extras.hpp; docs/FORMAT.md "Smooth and distance data").
#include "fractal/extras.hpp"

#include <cmath>
#include <complex>
#include <limits>
#include <stdexcept>
#include <string>

#include "fractal/family.hpp"
#include "fractal/kernel.hpp"

namespace fractal {

namespace {

// z^e for a small integer e >= 0, by repeated products (plain complex arithmetic; the derivative
// needs no bit-exactness).
std::complex<double> cpow_int(std::complex<double> z, std::uint32_t e) {
  std::complex<double> r(1.0, 0.0);
  for (std::uint32_t i = 0; i < e; ++i) r *= z;
  return r;
}

// log|z| without overflow: 0.5 * log(x^2 + y^2), or via hypot when the square overflows.
double log_abs(double x, double y) {
  const double r2 = std::fma(x, x, y * y);
  if (std::isfinite(r2) && r2 > 0) return 0.5 * std::log(r2);
  return std::log(std::hypot(x, y));
}

}  // namespace

PixelExtras point_extras(const FrameParams& p, double px, double py, std::uint32_t count, bool want_distance) {
  PixelExtras out;
  if (count >= p.max_iter) {
    out.smooth = static_cast<float>(p.max_iter);
    out.distance = 0;
    return out;
  }
  const bool julia = p.fractal == Fractal::Julia;
  double x = julia ? px : p.z0_re, y = julia ? py : p.z0_im;
  const double cx = julia ? p.c_re : px, cy = julia ? p.c_im : py;
  const double r2 = p.escape_radius * p.escape_radius;
  const std::uint32_t d = p.family == Family::Multibrot ? p.power : 2;
  const bool track = want_distance && p.family == Family::Multibrot;
  std::complex<double> dz(julia ? 1.0 : 0.0, 0.0);
  auto step = [&] {
    if (track) {
      const std::complex<double> z(x, y);
      dz = static_cast<double>(d) * cpow_int(z, d - 1) * dz;
      if (!julia) dz += 1.0;
    }
    family_step(p.family, p.power, x, y, cx, cy);
  };
  // Steps 1 .. k with k = count + 1: the first escape must be at step k, as the count says.
  const std::uint64_t k = std::uint64_t{count} + 1;
  for (std::uint64_t s = 1; s <= k; ++s) {
    step();
    const bool escaped = std::fma(x, x, y * y) > r2;
    if (escaped != (s == k))
      throw std::logic_error("extras: the re-run of point (" + std::to_string(px) + ", " + std::to_string(py) +
                             ") escapes " + (escaped ? "at step " + std::to_string(s) : "later") +
                             ", not at step " + std::to_string(k) + " as its count " + std::to_string(count) + " says");
  }
  // Then on while |z|^2 <= 2^64, at most kExtrasExtraSteps more: m is the last step taken.
  std::uint64_t m = k;
  while (m < k + kExtrasExtraSteps && std::fma(x, x, y * y) <= kExtrasBailout2) {
    step();
    ++m;
  }
  const double L = log_abs(x, y);
  const double Lr = std::log(std::max(p.escape_radius, 2.0));
  const double s = static_cast<double>(m) - 1.0 - std::log(L / Lr) / std::log(static_cast<double>(d));
  out.smooth = std::isfinite(s) ? static_cast<float>(s) : static_cast<float>(count);
  if (!std::isfinite(out.smooth)) out.smooth = static_cast<float>(count);
  if (track) {
    const double absz = std::exp(L);
    const double dist = absz * L / std::abs(dz);
    const float f = static_cast<float>(dist);
    out.distance = std::isfinite(f) && f > 0 ? f : 0.0f;
  }
  return out;
}

void render_row_extras(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts, float* smooth,
                       float* distance) {
  if (!smooth && !distance) return;
  for (std::uint32_t j = 0; j < p.width; ++j) {
    double x, y;
    pixel_point(p, row, j, x, y);
    const PixelExtras e = point_extras(p, x, y, counts[j], distance != nullptr);
    if (smooth) smooth[j] = e.smooth;
    if (distance) distance[j] = e.distance;
  }
}

}  // namespace fractal
