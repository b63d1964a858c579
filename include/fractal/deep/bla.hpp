#pragma once
// Bilinear approximation (BLA) of perturbation steps (docs/FORMAT.md "Deep zoom: BLA").
//
// While a pixel's delta is small next to the reference, l perturbation steps from orbit index n
// are close to linear in delta and dc:
//   delta_{n+l} ~= A * delta_n + B * dc        valid while |delta_n| < R
// One step: A = 2 Z_n, B = 1, R = eps * |2 Z_n| (the dropped delta^2 is below eps of A delta).
// Step x then step y merge into A = A_y A_x, B = A_y B_x + B_y,
//   R = max(0, min(R_x, (R_y - |B_x| |dc|max) / |A_x|))
// so that every step inside a merged one stays inside its own radius. The table holds, for each
// level k >= kBlaMinLevel, the steps of 2^k iterations starting at n = 1 + i 2^k that end at or
// before the reference's last index. A pixel at an aligned n takes the longest valid step; R only
// shrinks from level k to k + 1 (R_{k+1} <= R of its first half), so the valid levels at n are a
// prefix and the search stops at the first invalid one.
//
// No step crosses a reference value that a pixel near it could escape at: single steps starting
// at an n with |Z_n|^2 (1 + 16 eps) > R_escape^2 are invalid (inside a valid step
// |z_m| < |Z_m| (1 + 2 eps)), and for the same reason no pixel rebases inside a step
// (|z_m| > |Z_m| (1 - 2 eps) > |delta_m|). The table is built by the same double operations on
// every rank, so it is identical everywhere: counts stay bit-identical for any ranks and threads.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fractal/deep/floatexp.hpp"
#include "fractal/deep/reference.hpp"
#include "fractal/deep/values.hpp"

namespace fractal::deep {

// eps, the dropped delta^2 relative to A delta, bounds a step's relative error in delta; an error
// of eps |delta| acts like moving the pixel by about eps |dc| (|dc| / dx pixels from the centre
// make eps |dc| / dx pixel spacings). eps is chosen so that this stays below kBlaEta pixel spacings
// for every pixel of the frame: 16 times below the shift (2^-36) that fractal-deep-check uses to
// tell position-sensitive pixels apart, whose counts no arithmetic short of exact can pin down.
// Measured (1e50, 64x64): eps = 2^-24 (Fraktaler-3's) leaves 5% of the pixels wrong against brute
// force, 2^-40 0.4%, 2^-46 none beyond the position-sensitive ones.
inline constexpr double kBlaEta = 0x1p-40;  // pixel spacings
inline constexpr int kBlaMinLevel = 3;      // steps of 8 iterations and longer are stored

// eps = kBlaEta / (the largest pixel offset from the centre in pixel spacings), rounded down to a
// power of two: 2^-46 for 64x64, 2^-50 for 1024x1024.
double bla_epsilon(std::uint32_t width, std::uint32_t height);

// One step for double deltas: A, B and R^2 (0: never valid).
struct BlaStepD {
  double ar, ai, br, bi, r2;
};
// One step for extended-exponent deltas: R^2 as m * 2^e.
struct BlaStepX {
  CxExp a, b;
  RealExp r2;
};

struct BlaTable {
  int min_level = kBlaMinLevel;
  int levels = 0;                      // levels min_level .. levels - 1 exist
  std::vector<std::size_t> offset;     // [levels]: first entry of level k in d / x
  std::vector<std::size_t> count;      // [levels]: entries of level k (0 below min_level)
  Values<BlaStepD> d;                  // filled for double deltas
  Values<BlaStepX> x;                  // filled for extended-exponent deltas
  std::size_t bytes() const { return d.size() * sizeof(BlaStepD) + x.size() * sizeof(BlaStepX); }
  std::size_t entries() const { return d.size() + x.size(); }
  std::size_t steps() const;  // the steps the shape holds (filled or not)

  // The longest valid step at orbit index n for a delta of squared norm |delta|^2 (double
  // deltas: norm2 = fma(a, a, b * b)), at most `budget` iterations: its level, or -1.
  int find_d(std::size_t n, double norm2, std::uint64_t budget) const {
    const std::size_t s = n - 1;  // steps start at n = 1 + i 2^k
    if (n == 0 || (s & ((std::size_t{1} << min_level) - 1)) != 0) return -1;
    int best = -1;
    for (int k = min_level; k < levels; ++k) {
      const std::size_t i = s >> k;
      if ((i << k) != s || i >= count[k] || (std::uint64_t{1} << k) > budget) break;
      if (!(norm2 < d[offset[k] + i].r2)) break;
      best = k;
    }
    return best;
  }
  const BlaStepD& step_d(int k, std::size_t n) const { return d[offset[k] + ((n - 1) >> k)]; }

  // The same for extended-exponent deltas.
  int find_x(std::size_t n, const CxExp& delta, std::uint64_t budget) const;
  const BlaStepX& step_x(int k, std::size_t n) const { return x[offset[k] + ((n - 1) >> k)]; }
};

// The table for orbit o. dc_max: the largest |dc| of the frame's pixels (0 for Julia, whose dc is
// 0); escape_radius: the pixels' R; extended: fill x (extended-exponent deltas) instead of d.
BlaTable build_bla(const ReferenceOrbit& o, const RealExp& dc_max, double escape_radius, bool extended, double eps);

// The levels, offsets and counts of the table build_bla makes for an orbit of `length` values
// (d and x empty): the same on every rank, so memory for the steps can be laid out in advance.
BlaTable bla_shape(std::size_t length);

// |delta|^2 < r2 exactly (delta's squared norm fma(re, re, im * im) * 2^(2e), r2 = m * 2^e).
bool norm2_less(const CxExp& delta, const RealExp& r2);

}  // namespace fractal::deep
