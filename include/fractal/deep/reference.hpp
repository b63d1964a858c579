#pragma once
// The reference orbit of perturbation (docs/FORMAT.md "Deep zoom"): Z_0 = a start point,
// Z_{n+1} = Z_n^2 + C, computed in MPFR at a precision derived from the view, stored rounded to
// double (the kernels add each pixel's small delta to it). Computed once per job per distinct
// reference, on one rank (run/deep_setup.cpp spreads several over the ranks); the values are what
// the kernels use and what /reference stores.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fractal/deep/floatexp.hpp"
#include "fractal/deep/values.hpp"

namespace fractal::deep {

// What defines one orbit. The texts are decimal numbers as given (any length).
struct ReferenceSpec {
  std::string z0_re = "0", z0_im = "0";  // Z_0: 0 for Mandelbrot and Julia's critical orbit; a Julia view's centre
  std::string c_re, c_im;                // C: the Mandelbrot view's centre, or Julia's c
  std::uint32_t precision_bits = 64;     // MPFR precision of every operation
  std::uint32_t max_iter = 0;            // Z_0 .. Z_M with M <= max_iter
  double escape_radius = 2.0;            // stops after the first Z_M with |Z_M|^2 > R^2
  // Canonical "key = value" text of the fields (identity, sidecar, messages).
  std::string text() const;
  bool operator==(const ReferenceSpec&) const = default;
};

struct ReferenceOrbit {
  ReferenceSpec spec;
  // [length]: Z_n with an extended exponent (re and im each rounded to a 53-bit mantissa by MPFR,
  // then on their shared exponent, normalised): the extended-exponent kernel's values. A deep
  // reference may pass far closer to 0 than double's range (1e-308) near a minibrot's nucleus.
  Values<CxExp> zx;
  Values<double> z;  // [length][2]: the same values as doubles (cx_to_double): the double kernel's
  bool escaped = false;   // the last value escaped (|Z_M| > R); else M = max_iter
  std::size_t length() const { return zx.size(); }
  // Owns these values and fills z from them (cx_to_double).
  void set_values(std::vector<CxExp> values);
};

// MPFR precision for a view whose pixel spacing is 2^log2_dx around a point of magnitude up to
// 2^log2_mag: bits to resolve one pixel relative to the point, plus kPrecisionMargin guard bits
// (the orbit's rounding errors grow along it; the margin keeps them below a pixel's share).
inline constexpr std::int64_t kPrecisionMargin = 64;
std::uint32_t reference_precision(std::int64_t log2_dx, std::int64_t log2_mag);

// Bytes one orbit of max_iter iterations needs in memory: 40 per value (the extended value, 24,
// and the doubles, 16), plus with BLA at most 16 per value for its table (a quarter as many steps
// as values, 64 bytes each in the extended type, 40 in double); the caller refuses a job whose
// orbits do not fit before anything is allocated.
inline std::uint64_t reference_bytes(std::uint32_t max_iter, bool bla) {
  return (std::uint64_t{max_iter} + 1) * (bla ? 56 : 40);
}

// Computes the orbit. progress(n) is called now and then (about every 2^14 iterations) with the
// iterations done so far. Throws std::invalid_argument if a text is not a number MPFR reads.
ReferenceOrbit compute_reference(const ReferenceSpec& spec, const std::function<void(std::uint64_t)>& progress = {});

}  // namespace fractal::deep
