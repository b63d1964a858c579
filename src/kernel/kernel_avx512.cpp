// AVX-512 row kernel: 8 double lanes per vector, kNV = 8 vectors interleaved (64 lanes in flight).
//
// Counts are bit-identical to the scalar reference (render_row_scalar): every lane does exactly
// DESIGN.md's roundings (fmadd / fnmadd / fmadd(x+x) / fmadd(x,x,y*y) > r2; family_step's for the
// other families), and the pixel coordinates are computed with the same separate multiply and add
// as pixel_x / pixel_y (and pixel_point's fma for rotated views).
//
// Why this shape (figures: docs/PERFORMANCE.md, tools/bench/kernel_bench):
// - Lanes are REFILLED with the row's next pixel when they finish, so a long-running interior
//   pixel never holds the other lanes hostage (the classic "one slow lane" SIMD loss).
// - No per-lane counter: all lanes advance in lockstep, so one scalar step counter g plus each
//   lane's start step gives every lane's k. The max_iter limit becomes a single scalar "deadline"
//   (the earliest start + max_iter among live lanes), checked once per step. A lane that escapes
//   records the step number (a masked store of a broadcast counter), a lane that reaches its
//   budget is marked, and both keep iterating, ignored, until kMinDead lanes are done: one trip
//   out of the hot loop refills many lanes (at the end of a row: when all are done).
// - Eight independent vectors: a step is a chain of two dependent 4-cycle FMAs, and with escape
//   tested every kK steps a vector-step costs only 3 FMA-pipe operations, so 8 vectors are needed
//   to keep both FMA pipes busy (measured: 4 < 6 < 8 on Zen 5). c_im (and for Julia c_re) is the
//   same for all lanes of a row, which leaves room in the 32 registers for x, y, c_re of 8 vectors.
// - Escape tested every kK steps where that is safe (kernel.hpp, blocked_c2_limit): the test
//   costs a multiply, an FMA and a compare per vector, nearly as much as the step itself. When the
//   test after a block fires, the block is replayed from its saved start with the exact test at
//   every step, so every escape step, and every count, is the scalar one. Where escapes are so
//   frequent that replays cost more than they save (fewer than kMinStepsPerEscape steps per
//   escape in the last burst), the next burst tests every step instead.
// - Mandelbrot interior points (main cardioid, period-2 bulb) never enter a lane when skipping
//   applies: their count max_iter is written directly (kernel.hpp, mark_interior_row).
// - Idle lanes (end of row) hold z = NaN, which stays NaN and never escapes (NaN > r2 is false);
//   the compares are masked to the live lanes, so the block test !(m <= r2) ignores them too.
// - Families and rotated views (family.hpp, kernel.hpp pixel_point): the step is a template
//   argument (classic z^2, burning ship, tricorn, multibrot z^d for d >= 3 with d - 1 lane-wise
//   complex products), each with family_step's roundings exactly. Which of c_re / c_im are per
//   lane is another (CMode): Julia-type frames have a uniform c (a rotated view only changes the
//   lanes' start points, computed in refill with pixel_point's formula); Mandelbrot-type frames
//   have a per-lane c_re, and a per-lane c_im too when rotated. All run 8 vectors in flight
//   (nv_for: measured best even where not everything fits in the registers).
// - The z at escape (render_row_avx512_esc, for /smooth): every escape is detected in step_and_test
//   (blocked steps replay through it), so two more masked stores there, next to the step number's,
//   keep it. They exist only in the Esc instantiations; the plain kernel is unchanged.
// - Everything using AVX-512 carries the target attribute and nothing shared is inlined into it,
//   so the -march=x86-64-v2 binary still runs on CPUs without AVX-512 (dispatch checks first).
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "fractal/kernel/kernel.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define FRACTAL_TARGET __attribute__((target("avx512f,avx512dq")))
#define FRACTAL_INLINE FRACTAL_TARGET inline __attribute__((always_inline))

namespace fractal {
namespace {

constexpr int kW = 8;          // doubles per __m512d
constexpr int kMaxNV = 8;      // most vectors interleaved (measured best of 4, 6, 8 for z^2)
constexpr int kL = kW * kMaxNV;  // most lanes in flight (one bit each in the masks below)
constexpr int kK = 8;          // steps per block when escape is tested every kK steps (4, 8, 16)
constexpr std::uint64_t kMinStepsPerEscape = 3 * kK;  // blocked tests pay off above this
using Mask = std::uint64_t;  // bit l <-> lane l
static_assert(kL <= 64);
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// The step's arithmetic (family.hpp, family_step): Classic = multibrot d = 2, Power = multibrot
// d >= 3 (d at run time: Regs::power).
//
// Why the blocked escape test (kernel.hpp, blocked_c2_limit) stays exact for every one of them:
// its proof needs only that one step from a point with |z| > R(1 - 1.01u) (u = 2^-53) gives
// |z'| >= |z|^2 - |c| - 3.01u(|z|^2 + |c|), and that an orbit at |z| >= R(1 + 2u) keeps growing.
// - Burning ship and tricorn: |f(z)| = |z|^2 exactly (|x| and |y|, or conj(z), have the modulus
//   of z), and the computed step has the same three roundings as z^2 + c on the same magnitudes
//   (x' is the identical expression; y' rounds |x|+|x| (exact) times |y| plus c_im once, or
//   -(x+x) times y plus c_im once), so the same bound holds with the same constants.
// - Multibrot d >= 3: |z|^d >= |z|^2 for |z| >= 1 (here |z| > R(1 - 1.01u) >= 2 - 2.1u), so the
//   exact |f(z)| only gets larger. Each of the d - 1 <= 7 complex products (fma(a,x,-(b*y)),
//   fma(a,y,b*x)) is within 2 sqrt(2) u of |w||z| relative, so the computed z^d is within
//   (1 + 2.83u)^7 - 1 < 20u of |z|^d relative, and the final + c adds 1 rounding: at most
//   21u |z|^d + u |c| in all. As |z|^d >= 2^(d-2) |z|^2 >= 2|z|^2, the loss 21u |z|^d is paid
//   several times over by the extra |z|^d - |z|^2 >= |z|^2 for d >= 3, so |z'| >= |z|^2 - |c| -
//   3.01u(|z|^2 + |c|) still holds, and growth follows in the same way. Overflow (inf, or NaN from
//   inf - inf in a product) is caught by the block-end test !(m <= r2) and resolved by the exact
//   replay, as for z^2.
// The margin of blocked_c2_limit (2^-20 relative) is 10^9 times the rounding terms above.
enum class Step { Classic, Ship, Tricorn, Power };
// Which parts of c are per lane: Julia-type (c uniform), Mandelbrot-type (c_re per lane, c_im the
// row's), Mandelbrot-type rotated (both per lane).
enum class CMode { Julia, Row, Lane };

// Vectors in flight per variant. Measured (1 core, Zen 5, interior views, G it per CPU-second):
// 8 beats 6 and 4 for every variant, even where the registers do not hold everything (z^d keeps
// a, b besides x, y, c_re; rotated Mandelbrot-type adds a per-lane c_im): z^3 7.1 (NV 8) / 6.1
// (6) / 5.6 (4); rotated classic 18 (8) / 15 (6). The spilled values are c, read once per step.
constexpr int nv_for(Step, CMode) { return 8; }

// Lane state lives in memory between bursts; the hot loop keeps it in registers.
struct Lanes {
  alignas(64) double x[kL];
  alignas(64) double y[kL];
  alignas(64) double cr[kL];   // Mandelbrot: the pixel's x (Julia: unused, c is uniform)
  alignas(64) double ci[kL];   // rotated Mandelbrot: the pixel's y (else unused, c_im is uniform)
  alignas(64) double esc[kL];  // step counter value at which the lane escaped (if it did)
  alignas(64) double ex[kL];   // Esc: z at the escape step (if the lane escaped)
  alignas(64) double ey[kL];
  alignas(64) std::uint64_t start[kL];  // step counter value when this lane's pixel started
  std::uint32_t pix[kL];       // pixel index j of this lane (valid while active)
};

// Uniform parts of c live in cru / ciu (fewer registers, so more vectors fit in flight).
template <int NV>
struct Regs {
  __m512d x[NV], y[NV], cr[NV], ci[NV];
  __m512d cru, ciu;
  int power;  // Step::Power: the degree d
};

// c_re and c_im of vector i.
template <CMode CM, int NV>
FRACTAL_INLINE __m512d cre(const Regs<NV>& v, int i) {
  if constexpr (CM == CMode::Julia) return v.cru;
  else return v.cr[i];
}
template <CMode CM, int NV>
FRACTAL_INLINE __m512d cim(const Regs<NV>& v, int i) {
  if constexpr (CM == CMode::Lane) return v.ci[i];
  else return v.ciu;
}

// One step of every lane: family_step's roundings exactly.
template <Step ST, CMode CM, int NV>
FRACTAL_INLINE void step(Regs<NV>& v) {
  if constexpr (ST == Step::Power) {
    __m512d a[NV], b[NV];
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) a[i] = v.x[i], b[i] = v.y[i];
    for (int k = 1; k < v.power; ++k) {  // w <- w * z, d - 1 times
#pragma GCC unroll 8
      for (int i = 0; i < NV; ++i) {
        const __m512d na = _mm512_fmsub_pd(a[i], v.x[i], _mm512_mul_pd(b[i], v.y[i]));  // fma(a,x,-(b*y))
        b[i] = _mm512_fmadd_pd(a[i], v.y[i], _mm512_mul_pd(b[i], v.x[i]));             // fma(a,y,b*x)
        a[i] = na;
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) {
      v.x[i] = _mm512_add_pd(a[i], cre<CM>(v, i));
      v.y[i] = _mm512_add_pd(b[i], cim<CM>(v, i));
    }
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) {
      const __m512d t = _mm512_fmadd_pd(v.x[i], v.x[i], cre<CM>(v, i));  // x*x + c_re
      __m512d yn;
      if constexpr (ST == Step::Ship) {  // fma(|x| + |x|, |y|, c_im)
        const __m512d ax = _mm512_abs_pd(v.x[i]);
        yn = _mm512_fmadd_pd(_mm512_add_pd(ax, ax), _mm512_abs_pd(v.y[i]), cim<CM>(v, i));
      } else if constexpr (ST == Step::Tricorn) {  // fma(-(x + x), y, c_im)
        yn = _mm512_fnmadd_pd(_mm512_add_pd(v.x[i], v.x[i]), v.y[i], cim<CM>(v, i));
      } else {  // fma(x + x, y, c_im)
        yn = _mm512_fmadd_pd(_mm512_add_pd(v.x[i], v.x[i]), v.y[i], cim<CM>(v, i));
      }
      v.x[i] = _mm512_fnmadd_pd(v.y[i], v.y[i], t);  // t - y*y
      v.y[i] = yn;
    }
  }
}

// fma(x,x,y*y) of vector i.
template <int NV>
FRACTAL_INLINE __m512d norm2(const Regs<NV>& v, int i) {
  return _mm512_fmadd_pd(v.x[i], v.x[i], _mm512_mul_pd(v.y[i], v.y[i]));
}

// After a block: lanes in `live` whose orbit may have escaped during it. Not "m > r2": NaN (after
// an overflow) must count as a possible escape too.
template <int NV>
FRACTAL_INLINE Mask may_have_escaped(const Regs<NV>& v, __m512d r2v, Mask live) {
  Mask m = 0;
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i)
    m |= Mask(_mm512_mask_cmp_pd_mask(__mmask8(live >> (kW * i)), norm2(v, i), r2v, _CMP_NLE_UQ))
         << (kW * i);
  return m;
}

// One step with the exact escape test: lanes in `live` that escape now record the step number gv
// in s.esc (a masked store: no register held for it), and with Esc their z in s.ex, s.ey; returns
// them.
template <Step ST, CMode CM, bool Esc, int NV>
FRACTAL_INLINE Mask step_and_test(Regs<NV>& v, Lanes& s, __m512d r2v, __m512d gv, Mask live) {
  step<ST, CM>(v);
  Mask m = 0;
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) {
    const __mmask8 k = _mm512_mask_cmp_pd_mask(__mmask8(live >> (kW * i)), norm2(v, i), r2v, _CMP_GT_OQ);
    _mm512_mask_store_pd(s.esc + kW * i, k, gv);
    if constexpr (Esc) {
      _mm512_mask_store_pd(s.ex + kW * i, k, v.x[i]);
      _mm512_mask_store_pd(s.ey + kW * i, k, v.y[i]);
    }
    m |= Mask(k) << (kW * i);
  }
  return m;
}

template <int NV>
FRACTAL_INLINE void save_xy(const Regs<NV>& v, Lanes& s) {
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) {
    _mm512_store_pd(s.x + kW * i, v.x[i]);
    _mm512_store_pd(s.y + kW * i, v.y[i]);
  }
}

template <int NV>
FRACTAL_INLINE void load_xy(Regs<NV>& v, const Lanes& s) {
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) {
    v.x[i] = _mm512_load_pd(s.x + kW * i);
    v.y[i] = _mm512_load_pd(s.y + kW * i);
  }
}

// The earliest step at which a lane in `live` has used its whole budget (kNever: none).
template <int NV>
FRACTAL_INLINE std::uint64_t earliest_deadline(const Lanes& s, Mask live, std::uint64_t max_iter) {
  __m512i best = _mm512_set1_epi64(-1);
  const __m512i mi = _mm512_set1_epi64(static_cast<long long>(max_iter));
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) {
    const __m512i end = _mm512_add_epi64(_mm512_load_si512(s.start + kW * i), mi);
    best = _mm512_mask_min_epu64(best, __mmask8(live >> (kW * i)), best, end);
  }
  alignas(64) std::uint64_t b[kW];  // (not _mm512_reduce_min_epu64: GCC 12 warns inside it)
  _mm512_store_si512(b, best);
  std::uint64_t d = b[0];
  for (int i = 1; i < kW; ++i) d = b[i] < d ? b[i] : d;
  return d;
}

// The lanes in `live` that started at step `started`.
template <int NV>
FRACTAL_INLINE Mask started_at(const Lanes& s, Mask live, std::uint64_t started) {
  const __m512i st = _mm512_set1_epi64(static_cast<long long>(started));
  Mask m = 0;
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i)
    m |= Mask(_mm512_mask_cmpeq_epu64_mask(__mmask8(live >> (kW * i)), _mm512_load_si512(s.start + kW * i), st))
         << (kW * i);
  return m;
}

// Iterates all lanes in lockstep from step g until at least `min_dead` of the `alive` lanes are
// done or none is left. A lane is done when it escapes (returned, with its escape step in s.esc)
// or when it has used its whole budget without escaping (`maxed`). Done lanes keep iterating,
// ignored, until the burst ends, so one trip out of here refills many lanes. Blocked: escape is
// tested only every kK steps (never across a budget's end), and a block whose test fires is
// replayed from its saved start one step at a time (exact escape steps).
template <bool Blocked, Step ST, CMode CM, bool Esc, int NV>
FRACTAL_TARGET Mask run_burst(Lanes& s, double cr, double ci, int power, double r2,
                              std::uint64_t max_iter, Mask alive, int min_dead, std::uint64_t& g,
                              Mask& maxed) {
  Regs<NV> v;
  if constexpr (CM != CMode::Julia) {
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) v.cr[i] = _mm512_load_pd(s.cr + kW * i);
  }
  if constexpr (CM == CMode::Lane) {
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) v.ci[i] = _mm512_load_pd(s.ci + kW * i);
  }
  v.cru = _mm512_set1_pd(cr);
  v.ciu = _mm512_set1_pd(ci);
  v.power = power;
  load_xy(v, s);
  const __m512d r2v = _mm512_set1_pd(r2);
  const __m512d one = _mm512_set1_pd(1.0);
  __m512d gv = _mm512_set1_pd(static_cast<double>(g));  // exact: g < 2^53
  Mask live = alive;
  maxed = 0;
  std::uint64_t step_no = g;
  std::uint64_t deadline = earliest_deadline<NV>(s, live, max_iter);  // > g
  for (;;) {
    if (Blocked && deadline - step_no >= kK) {
      save_xy(v, s);  // the block's start, for a replay
#pragma GCC unroll 16
      for (int k = 0; k < kK; ++k) step<ST, CM>(v);
      if (may_have_escaped(v, r2v, live) != 0) {
        load_xy(v, s);  // replay the block with the exact test at every step
        // Opaque to the optimiser: otherwise it keeps every intermediate of the block alive (in
        // stack spills) to reuse them in this rare replay, which slows down the common path.
#pragma GCC unroll 8
        for (int i = 0; i < NV; ++i) asm volatile("" : "+v"(v.x[i]), "+v"(v.y[i]));
#pragma GCC unroll 16
        for (int k = 0; k < kK; ++k) {
          gv = _mm512_add_pd(gv, one);
          live &= ~step_and_test<ST, CM, Esc>(v, s, r2v, gv, live);
        }
      } else {
        gv = _mm512_add_pd(gv, _mm512_set1_pd(kK));
      }
      step_no += kK;
    } else {
      ++step_no;
      gv = _mm512_add_pd(gv, one);
      live &= ~step_and_test<ST, CM, Esc>(v, s, r2v, gv, live);
    }
    if (step_no == deadline) {  // lanes whose budget ends now (an escape at this step came first)
      const Mask m = started_at<NV>(s, live, step_no - max_iter);
      maxed |= m;
      live &= ~m;
      deadline = earliest_deadline<NV>(s, live, max_iter);
    }
    if (live == 0 || __builtin_popcountll(alive & ~live) >= min_dead) break;
  }
  save_xy(v, s);
  g = step_no;
  return alive & ~live & ~maxed;
}

#include "kernel_row_loop.inc"  // render_row, render_row_cm, render_row_fam

}  // namespace

FRACTAL_TARGET std::uint64_t render_row_avx512(const FrameParams& p, std::uint32_t row,
                                               std::uint32_t* out) {
  return render_row_fam<false>(p, row, out, nullptr, nullptr);
}

FRACTAL_TARGET std::uint64_t render_row_avx512_esc(const FrameParams& p, std::uint32_t row, std::uint32_t* out,
                                                   double* esc_x, double* esc_y) {
  if (!esc_x || !esc_y) return render_row_fam<false>(p, row, out, nullptr, nullptr);
  return render_row_fam<true>(p, row, out, esc_x, esc_y);
}

}  // namespace fractal

#else  // not x86: never dispatched to (kernel_supported is false), defined so row_kernel links.

namespace fractal {
std::uint64_t render_row_avx512(const FrameParams& p, std::uint32_t row, std::uint32_t* out) {
  return render_row_scalar(p, row, out);
}
std::uint64_t render_row_avx512_esc(const FrameParams& p, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                    double* esc_y) {
  return render_row_scalar_esc(p, row, out, esc_x, esc_y);
}
}  // namespace fractal

#endif
