#pragma once
// Number types of the deep-zoom kernels (docs/FORMAT.md "Deep zoom arithmetic").
//
// Deltas from the reference orbit shrink with the view: at 1e-1000 a pixel's offset is far below
// double's smallest normal number (2^-1022, about 2.2e-308). CxExp is a complex number with one
// shared binary exponent, (re + i im) * 2^e, kept normalised so that max(|re|, |im|) lies in
// [1, 2) (zero: re = im = 0, e = kZeroExp). The two parts share the exponent because they are
// used together: a part smaller than 2^-1022 of the other one is below double's resolution of
// the pair anyway. Every operation is a fixed sequence of IEEE double operations (explicit FMAs,
// exact power-of-two scalings), so any implementation of it, scalar or SIMD, gives the same bits.
#include <bit>
#include <cmath>
#include <cstdint>
#include <utility>

namespace fractal::deep {

inline constexpr std::int64_t kZeroExp = INT64_MIN / 4;  // exponent of zero: far below any value

// 2^k as a double for k in [-1022, 1023], built from its bits (exact).
inline double pow2(std::int64_t k) {
  return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
}

// The binary exponent of a finite, nonzero double x: floor(log2 |x|) for normal x; denormals
// give -1023 (the callers rescale those first).
inline std::int64_t exponent_of(double x) {
  return static_cast<std::int64_t>((std::bit_cast<std::uint64_t>(x) >> 52) & 0x7ff) - 1023;
}

struct CxExp {
  double re = 0, im = 0;
  std::int64_t e = kZeroExp;
};

// Normalises (re, im, e): max(|re|, |im|) into [1, 2), exactly (a power-of-two scaling); zero
// becomes the canonical zero. re and im must be finite.
inline CxExp normalise(double re, double im, std::int64_t e) {
  const double m = std::fmax(std::fabs(re), std::fabs(im));
  if (m == 0) return {};
  std::int64_t k = exponent_of(m);
  if (k == -1023) {  // denormal: scale up by 2^64 first (exact), then as any number
    re *= 0x1p64;
    im *= 0x1p64;
    e -= 64;
    k = exponent_of(std::fmax(std::fabs(re), std::fabs(im)));
  }
  const double s = pow2(-k);
  return {re * s, im * s, e + k};
}

inline CxExp cx_from(double re, double im) { return normalise(re, im, 0); }
// (re + i im) * 2^e for any e (re, im finite).
inline CxExp cx_scaled(double re, double im, std::int64_t e) { return normalise(re, im, e); }

// a + b: the operand with the smaller exponent is scaled to the other's (exactly, by a power of
// two; dropped when more than 2^1022 times smaller), the parts added, the sum normalised.
inline CxExp cx_add(CxExp a, CxExp b) {
  if (a.e < b.e) std::swap(a, b);
  const std::int64_t d = b.e - a.e;  // <= 0
  if (d < -1022) return a;
  const double s = pow2(d);
  return normalise(a.re + b.re * s, a.im + b.im * s, a.e);
}

// a * b: re = fma(a.re, b.re, -(a.im * b.im)), im = fma(a.re, b.im, a.im * b.re), exponents added.
inline CxExp cx_mul(const CxExp& a, const CxExp& b) {
  if (a.e == kZeroExp || b.e == kZeroExp) return {};
  return normalise(std::fma(a.re, b.re, -(a.im * b.im)), std::fma(a.re, b.im, a.im * b.re), a.e + b.e);
}

// |a| < |b|, exactly as the rounded squared norms compare: n = fma(re, re, im * im) in [1, 8)
// times 2^(2e); exponents more than 8 apart decide alone.
inline bool cx_norm_less(const CxExp& a, const CxExp& b) {
  if (b.e == kZeroExp) return false;
  if (a.e == kZeroExp) return true;
  const std::int64_t d = 2 * (a.e - b.e);
  if (d < -8) return true;
  if (d > 8) return false;
  const double na = std::fma(a.re, a.re, a.im * a.im), nb = std::fma(b.re, b.re, b.im * b.im);
  return std::ldexp(na, static_cast<int>(d)) < nb;  // exact: |d| <= 8
}

// The value as doubles: 0 below double's range, ldexp's rounding into denormals; the callers use
// it only where the value is O(1) or negligible.
inline void cx_to_double(const CxExp& a, double& re, double& im) {
  if (a.e < -1100) {
    re = im = 0;
    return;
  }
  const int e = a.e > 2000 ? 2000 : static_cast<int>(a.e);
  re = std::ldexp(a.re, e);
  im = std::ldexp(a.im, e);
}

// A positive real with a separate exponent, m * 2^e with m in [1, 2): the pixel spacing.
struct RealExp {
  double m = 0;
  std::int64_t e = kZeroExp;
};

}  // namespace fractal::deep
