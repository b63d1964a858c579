// Smooth escape values and distance estimates (extras.hpp; docs/FORMAT.md "Smooth and distance data").
//
// Speed: the re-runs use family_step's fused multiply-adds. The binary targets x86-64-v2 (no FMA),
// where std::fma is a call into libm; so every loop here is compiled twice, once with the fma
// target (hardware vfmadd, chosen at run time when the CPU has it) and once plain. fma is exact
// (one rounding) either way, and -ffp-contract=off forbids any other fusion, so both give the same
// bits. /smooth without /distance does not re-run the orbit at all: the row kernels report each
// escaped pixel's z at its escape step (kernel.hpp render_row_*_esc), and only the few steps past
// escape are taken here, from that z, exactly as the full re-run takes them.
#include "fractal/kernel/extras.hpp"

#include <cmath>
#include <complex>
#include <limits>
#include <stdexcept>
#include <string>

#include "fractal/kernel/family.hpp"
#include "fractal/kernel/kernel.hpp"

#if defined(__x86_64__) || defined(__i386__)
#define FRACTAL_EXTRAS_FMA 1
#else
#define FRACTAL_EXTRAS_FMA 0
#endif

#define FRACTAL_ALWAYS_INLINE inline __attribute__((always_inline))

namespace fractal {

namespace {

// z^e for a small integer e >= 0, by repeated products (plain complex arithmetic; the derivative
// needs no bit-exactness).
FRACTAL_ALWAYS_INLINE std::complex<double> cpow_int(std::complex<double> z, std::uint32_t e) {
  std::complex<double> r(1.0, 0.0);
  for (std::uint32_t i = 0; i < e; ++i) r *= z;
  return r;
}

// log|z| without overflow: 0.5 * log(x^2 + y^2), or via hypot when the square overflows.
FRACTAL_ALWAYS_INLINE double log_abs(double x, double y) {
  const double r2 = std::fma(x, x, y * y);
  if (std::isfinite(r2) && r2 > 0) return 0.5 * std::log(r2);
  return std::log(std::hypot(x, y));
}

[[noreturn]] __attribute__((noinline, cold)) void throw_wrong_escape(double px, double py, bool escaped,
                                                                      std::uint64_t s, std::uint64_t k,
                                                                      std::uint32_t count) {
  throw std::logic_error("extras: the re-run of point (" + std::to_string(px) + ", " + std::to_string(py) +
                         ") escapes " + (escaped ? "at step " + std::to_string(s) : "later") +
                         ", not at step " + std::to_string(k) + " as its count " + std::to_string(count) + " says");
}

// The part after the first escape, shared by both paths so they agree bit for bit: from z = z_k
// (k = count + 1), on while |z|^2 <= 2^64, at most kExtrasExtraSteps more (`step` advances z, and
// whatever else the caller tracks); then the smooth value. L = log|z_m| on return.
template <class Step>
FRACTAL_ALWAYS_INLINE float smooth_after_escape(const FrameParams& p, double& x, double& y, std::uint32_t count,
                                                std::uint32_t d, Step&& step, double& L) {
  const std::uint64_t k = std::uint64_t{count} + 1;
  std::uint64_t m = k;  // the last step taken
  while (m < k + kExtrasExtraSteps && std::fma(x, x, y * y) <= kExtrasBailout2) {
    step();
    ++m;
  }
  L = log_abs(x, y);
  const double Lr = std::log(std::max(p.escape_radius, 2.0));
  const double s = static_cast<double>(m) - 1.0 - std::log(L / Lr) / std::log(static_cast<double>(d));
  float out = std::isfinite(s) ? static_cast<float>(s) : static_cast<float>(count);
  if (!std::isfinite(out)) out = static_cast<float>(count);
  return out;
}

// The full re-run from z_0 (point_extras).
FRACTAL_ALWAYS_INLINE PixelExtras point_extras_body(const FrameParams& p, double px, double py, std::uint32_t count,
                                                    bool want_distance) {
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
  auto step = [&]() __attribute__((always_inline)) {
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
    if (escaped != (s == k)) throw_wrong_escape(px, py, escaped, s, k, count);
  }
  double L;
  out.smooth = smooth_after_escape(p, x, y, count, d, step, L);
  if (track) {
    const double absz = std::exp(L);
    const double dist = absz * L / std::abs(dz);
    const float f = static_cast<float>(dist);
    out.distance = std::isfinite(f) && f > 0 ? f : 0.0f;
  }
  return out;
}

// The smooth value from z_k as a row kernel reported it; NaN (as float) when z_k is not an escaped
// z (the kernel did not report it): the caller then re-runs the orbit.
FRACTAL_ALWAYS_INLINE float smooth_from_escape_body(const FrameParams& p, double px, double py, std::uint32_t count,
                                                    double zx, double zy) {
  if (count >= p.max_iter) return static_cast<float>(p.max_iter);
  if (!(std::fma(zx, zx, zy * zy) > p.escape_radius * p.escape_radius))
    return std::numeric_limits<float>::quiet_NaN();
  const bool julia = p.fractal == Fractal::Julia;
  const double cx = julia ? p.c_re : px, cy = julia ? p.c_im : py;
  const std::uint32_t d = p.family == Family::Multibrot ? p.power : 2;
  double x = zx, y = zy, L;
  auto step = [&]() __attribute__((always_inline)) { family_step(p.family, p.power, x, y, cx, cy); };
  return smooth_after_escape(p, x, y, count, d, step, L);
}

FRACTAL_ALWAYS_INLINE void row_extras_body(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts,
                                           float* smooth, float* distance) {
  for (std::uint32_t j = 0; j < p.width; ++j) {
    double x, y;
    pixel_point(p, row, j, x, y);
    const PixelExtras e = point_extras_body(p, x, y, counts[j], distance != nullptr);
    if (smooth) smooth[j] = e.smooth;
    if (distance) distance[j] = e.distance;
  }
}

FRACTAL_ALWAYS_INLINE void row_smooth_body(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts,
                                           const double* esc_x, const double* esc_y, float* smooth) {
  for (std::uint32_t j = 0; j < p.width; ++j) {
    double x, y;
    pixel_point(p, row, j, x, y);
    float s = smooth_from_escape_body(p, x, y, counts[j], esc_x[j], esc_y[j]);
    if (std::isnan(s)) s = point_extras_body(p, x, y, counts[j], false).smooth;  // not reported: re-run
    smooth[j] = s;
  }
}

// The two builds of each entry point: plain (any x86-64), and with hardware FMA. flatten inlines
// everything they call (family_step, pixel_point, std::fma) so that the target applies to it.
#define FRACTAL_EXTRAS_VARIANT(suffix, attrs)                                                                \
  attrs PixelExtras point_extras_##suffix(const FrameParams& p, double px, double py, std::uint32_t count,    \
                                          bool want_distance) {                                              \
    return point_extras_body(p, px, py, count, want_distance);                                               \
  }                                                                                                          \
  attrs void row_extras_##suffix(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts,       \
                                 float* smooth, float* distance) {                                           \
    row_extras_body(p, row, counts, smooth, distance);                                                       \
  }                                                                                                          \
  attrs void row_smooth_##suffix(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts,       \
                                 const double* esc_x, const double* esc_y, float* smooth) {                  \
    row_smooth_body(p, row, counts, esc_x, esc_y, smooth);                                                   \
  }

FRACTAL_EXTRAS_VARIANT(plain, __attribute__((flatten)))
#if FRACTAL_EXTRAS_FMA
FRACTAL_EXTRAS_VARIANT(fma, __attribute__((flatten, target("fma"))))
#endif

bool use_fma() {
#if FRACTAL_EXTRAS_FMA
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
  }();
  return yes;
#else
  return false;
#endif
}

}  // namespace

PixelExtras point_extras(const FrameParams& p, double px, double py, std::uint32_t count, bool want_distance) {
#if FRACTAL_EXTRAS_FMA
  if (use_fma()) return point_extras_fma(p, px, py, count, want_distance);
#endif
  return point_extras_plain(p, px, py, count, want_distance);
}

void render_row_extras(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts, float* smooth,
                       float* distance) {
  if (!smooth && !distance) return;
#if FRACTAL_EXTRAS_FMA
  if (use_fma()) return row_extras_fma(p, row, counts, smooth, distance);
#endif
  row_extras_plain(p, row, counts, smooth, distance);
}

void render_row_extras(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts, const double* esc_x,
                       const double* esc_y, float* smooth, float* distance) {
  if (distance || !esc_x || !esc_y) return render_row_extras(p, row, counts, smooth, distance);
  if (!smooth) return;
#if FRACTAL_EXTRAS_FMA
  if (use_fma()) return row_smooth_fma(p, row, counts, esc_x, esc_y, smooth);
#endif
  row_smooth_plain(p, row, counts, esc_x, esc_y, smooth);
}

}  // namespace fractal
