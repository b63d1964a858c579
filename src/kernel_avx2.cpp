// AVX2+FMA row kernel: 4 double lanes per vector, kNV = 4 vectors interleaved (16 in flight).
//
// Counts are bit-identical to render_row_scalar: every lane does exactly DESIGN.md's roundings
// (fmadd / fnmadd / fmadd(x+x) / fmadd(x,x,y*y) > r2), and the pixel coordinates are computed
// with the same separate multiply and add as pixel_x / pixel_y.
//
// Why this shape:
// - Lanes are REFILLED with the row's next pixel as soon as they finish, so a long-running
//   interior pixel never holds 15 idle lanes hostage (the classic "one slow lane" SIMD loss).
// - No per-lane counter vector: all lanes advance in lockstep, so one scalar step counter g plus
//   each lane's start step gives every lane's k = g - start. The max_iter limit becomes a single
//   scalar "deadline" (the earliest start + max_iter among active lanes), and the hot loop only
//   does the 7 floating-point ops per vector plus one mask test and one integer compare.
// - Four independent vectors interleaved: the x/y recurrence is a chain of two 4-cycle FMAs, so a
//   single vector would leave the FMA pipes mostly idle (4 beat 2 and 3; 5+ were no better).
// - Idle lanes (end of row) sit at the fixed point z = 0, c = 0, which never escapes (0 > r2 is
//   false for any r2 >= 0 or NaN), so they need no masking inside the hot loop.
// - Everything using AVX2/FMA carries the target attribute and nothing shared is called from it,
//   so the -march=x86-64-v2 binary still runs on CPUs without AVX2 (dispatch checks first).
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "fractal/kernel.hpp"

namespace fractal {
namespace {

constexpr int kW = 4;          // doubles per __m256d
constexpr int kNV = 4;         // vectors interleaved (measured best of 2..6); unroll pragmas >= kNV
constexpr int kL = kW * kNV;   // lanes in flight (one bit each in the masks below)
using Mask = std::uint64_t;  // bit l <-> lane l
static_assert(kL <= 64);
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// Lane state lives in memory between bursts; the hot loop keeps it in registers.
struct Lanes {
  alignas(32) double x[kL];
  alignas(32) double y[kL];
  alignas(32) double cr[kL];
  alignas(32) double ci[kL];
  std::uint64_t start[kL];   // step counter value when this lane's pixel started
  std::uint32_t pix[kL];     // pixel index j of this lane (valid while active)
};

// Iterates all lanes in lockstep until some lane escapes or the step counter reaches the
// deadline. Returns the escape bitmask (bit l = lane l escaped at the last step g).
__attribute__((target("avx2,fma"))) Mask run_burst(Lanes& s, double r2, std::uint64_t& g,
                                                   std::uint64_t deadline) {
  __m256d x[kNV], y[kNV], cr[kNV], ci[kNV];
  for (int v = 0; v < kNV; ++v) {
    x[v] = _mm256_load_pd(s.x + kW * v);
    y[v] = _mm256_load_pd(s.y + kW * v);
    cr[v] = _mm256_load_pd(s.cr + kW * v);
    ci[v] = _mm256_load_pd(s.ci + kW * v);
  }
  const __m256d r2v = _mm256_set1_pd(r2);
  Mask esc = 0;
  std::uint64_t step = g;
  do {
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) {
      const __m256d t = _mm256_fmadd_pd(x[v], x[v], cr[v]);                   // x*x + c_re
      const __m256d yn = _mm256_fmadd_pd(_mm256_add_pd(x[v], x[v]), y[v], ci[v]);  // 2xy + c_im
      x[v] = _mm256_fnmadd_pd(y[v], y[v], t);                                 // t - y*y
      y[v] = yn;
    }
    ++step;
    esc = 0;
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) {
      const __m256d m = _mm256_fmadd_pd(x[v], x[v], _mm256_mul_pd(y[v], y[v]));
      esc |= Mask(_mm256_movemask_pd(_mm256_cmp_pd(m, r2v, _CMP_GT_OQ))) << (kW * v);
    }
  } while (esc == 0 && step != deadline);
  for (int v = 0; v < kNV; ++v) {
    _mm256_store_pd(s.x + kW * v, x[v]);
    _mm256_store_pd(s.y + kW * v, y[v]);
  }
  g = step;
  return esc;
}

}  // namespace

__attribute__((target("avx2,fma"))) std::uint64_t render_row_avx2(
    const FrameParams& p, std::uint32_t row, std::uint32_t* out) {
  const std::uint32_t width = p.width;
  const std::uint32_t max_iter = p.max_iter;
  if (max_iter == 0) {  // the scalar loop never runs: every count is 0
    for (std::uint32_t j = 0; j < width; ++j) out[j] = 0;
    return 0;
  }
  const double r2 = p.escape_radius * p.escape_radius;
  // Same expressions as pixel_x / pixel_y (separate multiply and add, -ffp-contract=off),
  // computed here so no shared inline symbol is instantiated with AVX2 code.
  const double dx = (p.xmax - p.xmin) / p.width;
  const double dy = (p.ymax - p.ymin) / p.height;
  const double py = p.ymax - (row + 0.5) * dy;
  const bool julia = p.fractal == Fractal::Julia;

  Lanes s;
  std::uint32_t next = 0;    // next pixel of the row to hand to a lane
  Mask active = 0;       // bit l: lane l holds a pixel
  std::uint64_t g = 0;       // lockstep step counter shared by all lanes
  std::uint64_t sum = 0;

  // Puts pixel `next` (or, at the end of the row, the never-escaping idle point) into lane l.
  auto refill = [&](int l) {
    if (next < width) {
      const double px = p.xmin + (next + 0.5) * dx;
      s.x[l] = julia ? px : p.z0_re;
      s.y[l] = julia ? py : p.z0_im;
      s.cr[l] = julia ? p.c_re : px;
      s.ci[l] = julia ? p.c_im : py;
      s.start[l] = g;
      s.pix[l] = next++;
      active |= Mask{1} << l;
    } else {
      s.x[l] = s.y[l] = s.cr[l] = s.ci[l] = 0.0;
      s.start[l] = kNever;
      active &= ~(Mask{1} << l);
    }
  };
  auto earliest_deadline = [&] {
    std::uint64_t d = kNever;
    for (int l = 0; l < kL; ++l)
      if ((active >> l & 1) && s.start[l] + max_iter < d) d = s.start[l] + max_iter;
    return d;
  };

  for (int l = 0; l < kL; ++l) refill(l);
  std::uint64_t deadline = earliest_deadline();
  while (active != 0) {
    const Mask esc = run_burst(s, r2, g, deadline) & active;
    Mask done = esc;
    if (g == deadline)  // lanes that used their whole budget (escape at k = max_iter wins)
      for (int l = 0; l < kL; ++l)
        if ((active >> l & 1) && g - s.start[l] == max_iter) done |= Mask{1} << l;
    while (done != 0) {
      const int l = __builtin_ctzll(done);
      done &= done - 1;
      const std::uint32_t k = static_cast<std::uint32_t>(g - s.start[l]);  // 1 <= k <= max_iter
      const std::uint32_t n = (esc >> l & 1) ? k - 1 : max_iter;
      out[s.pix[l]] = n;
      sum += n;
      refill(l);
    }
    // New lanes start at g, so their deadline g + max_iter is never the earliest; only a lane
    // that hit the deadline can move it. (A lane that merely went idle leaves it early: harmless,
    // the next burst stops there with nothing done and we recompute.)
    if (g == deadline) deadline = earliest_deadline();
  }
  return sum;
}

}  // namespace fractal
