// AVX2+FMA row kernel: 4 double lanes per vector, kNV = 8 vectors interleaved (32 lanes in flight).
// The same design as kernel_avx512.cpp (read its header); the differences: compares give vectors,
// turned into lane bitmasks with movemask; an escaping lane's step number is kept as the minimum
// over the burst of (escaped now ? step : +inf), as AVX2 has no masked stores worth using; with 16
// registers the compiler keeps x and y of the 8 vectors in registers and takes c from memory
// (measured: 8 vectors beat 4 and 6 on Zen 5 even so). Families and rotated views as there: the step
// (classic, burning ship, tricorn, z^d) and which parts of c are per lane (CMode) are template
// arguments; z^d runs 4 vectors in flight (a, b, x, y of 4 vectors fill the 16 registers; 8 measured
// no faster). The argument that the blocked escape test stays exact for every family is in
// kernel_avx512.cpp.
//
// Counts are bit-identical to the scalar reference (render_row_scalar): family_step's roundings.
// Everything using AVX2/FMA carries the target attribute and nothing shared is inlined into it, so
// the -march=x86-64-v2 binary still runs on CPUs without AVX2 (dispatch checks first).
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "fractal/kernel/kernel.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define FRACTAL_TARGET __attribute__((target("avx2,fma")))
#define FRACTAL_INLINE FRACTAL_TARGET inline __attribute__((always_inline))

namespace fractal {
namespace {

constexpr int kW = 4;          // doubles per __m256d
constexpr int kMaxNV = 8;      // most vectors interleaved (measured best of 4, 6, 8 for z^2)
constexpr int kL = kW * kMaxNV;  // most lanes in flight (one bit each in the masks below)
constexpr int kK = 8;          // steps per block when escape is tested every kK steps (4, 8, 16)
constexpr std::uint64_t kMinStepsPerEscape = 3 * kK;  // blocked tests pay off above this
using Mask = std::uint64_t;  // bit l <-> lane l
static_assert(kL <= 64);
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// The step's arithmetic (family.hpp, family_step): Classic = multibrot d = 2, Power = multibrot
// d >= 3 (d at run time: Regs::power). Blocked escape tests are exact for all (kernel_avx512.cpp).
enum class Step { Classic, Ship, Tricorn, Power };
// Which parts of c are per lane: Julia-type (c uniform), Mandelbrot-type (c_re per lane, c_im the
// row's), Mandelbrot-type rotated (both per lane).
enum class CMode { Julia, Row, Lane };

// Vectors in flight per variant (z^d keeps a and b live besides x and y).
constexpr int nv_for(Step st, CMode) { return st == Step::Power ? 4 : 8; }

// Lane state lives in memory between bursts; the hot loop keeps it in registers.
struct Lanes {
  alignas(32) double x[kL];
  alignas(32) double y[kL];
  alignas(32) double cr[kL];   // Mandelbrot: the pixel's x (Julia: unused, c is uniform)
  alignas(32) double ci[kL];   // rotated Mandelbrot: the pixel's y (else unused, c_im is uniform)
  alignas(32) double esc[kL];  // step counter value at which the lane escaped (if it did)
  alignas(32) double ex[kL];   // Esc: z at the escape step (if the lane escaped)
  alignas(32) double ey[kL];
  alignas(32) std::uint64_t start[kL];  // step counter value when this lane's pixel started
  std::uint32_t pix[kL];       // pixel index j of this lane (valid while active)
};

// Uniform parts of c live in cru / ciu.
template <int NV>
struct Regs {
  __m256d x[NV], y[NV], cr[NV], ci[NV];
  __m256d cru, ciu;
  int power;  // Step::Power: the degree d
};

// c_re and c_im of vector i.
template <CMode CM, int NV>
FRACTAL_INLINE __m256d cre(const Regs<NV>& v, int i) {
  if constexpr (CM == CMode::Julia) return v.cru;
  else return v.cr[i];
}
template <CMode CM, int NV>
FRACTAL_INLINE __m256d cim(const Regs<NV>& v, int i) {
  if constexpr (CM == CMode::Lane) return v.ci[i];
  else return v.ciu;
}

// One step of every lane: family_step's roundings exactly.
template <Step ST, CMode CM, int NV>
FRACTAL_INLINE void step(Regs<NV>& v) {
  if constexpr (ST == Step::Power) {
    __m256d a[NV], b[NV];
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) a[i] = v.x[i], b[i] = v.y[i];
    for (int k = 1; k < v.power; ++k) {  // w <- w * z, d - 1 times
#pragma GCC unroll 8
      for (int i = 0; i < NV; ++i) {
        const __m256d na = _mm256_fmsub_pd(a[i], v.x[i], _mm256_mul_pd(b[i], v.y[i]));  // fma(a,x,-(b*y))
        b[i] = _mm256_fmadd_pd(a[i], v.y[i], _mm256_mul_pd(b[i], v.x[i]));             // fma(a,y,b*x)
        a[i] = na;
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) {
      v.x[i] = _mm256_add_pd(a[i], cre<CM>(v, i));
      v.y[i] = _mm256_add_pd(b[i], cim<CM>(v, i));
    }
  } else {
    const __m256d sign = _mm256_set1_pd(-0.0);
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) {
      const __m256d t = _mm256_fmadd_pd(v.x[i], v.x[i], cre<CM>(v, i));  // x*x + c_re
      __m256d yn;
      if constexpr (ST == Step::Ship) {  // fma(|x| + |x|, |y|, c_im)
        const __m256d ax = _mm256_andnot_pd(sign, v.x[i]);
        yn = _mm256_fmadd_pd(_mm256_add_pd(ax, ax), _mm256_andnot_pd(sign, v.y[i]), cim<CM>(v, i));
      } else if constexpr (ST == Step::Tricorn) {  // fma(-(x + x), y, c_im)
        yn = _mm256_fnmadd_pd(_mm256_add_pd(v.x[i], v.x[i]), v.y[i], cim<CM>(v, i));
      } else {  // fma(x + x, y, c_im)
        yn = _mm256_fmadd_pd(_mm256_add_pd(v.x[i], v.x[i]), v.y[i], cim<CM>(v, i));
      }
      v.x[i] = _mm256_fnmadd_pd(v.y[i], v.y[i], t);  // t - y*y
      v.y[i] = yn;
    }
  }
}

// fma(x,x,y*y) of vector i.
template <int NV>
FRACTAL_INLINE __m256d norm2(const Regs<NV>& v, int i) {
  return _mm256_fmadd_pd(v.x[i], v.x[i], _mm256_mul_pd(v.y[i], v.y[i]));
}

// After a block: lanes in `live` whose orbit may have escaped during it. Not "m > r2": NaN (after
// an overflow) must count as a possible escape too.
template <int NV>
FRACTAL_INLINE Mask may_have_escaped(const Regs<NV>& v, __m256d r2v, Mask live) {
  Mask m = 0;
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i)
    m |= Mask(_mm256_movemask_pd(_mm256_cmp_pd(norm2(v, i), r2v, _CMP_NLE_UQ))) << (kW * i);
  return m & live;
}

// One step with the exact escape test: returns the lanes in `live` that escape now. Every lane
// whose test fires keeps the smallest such step number in s.esc (+inf at the start of a burst), so
// s.esc holds each escaped lane's first escape step whatever it did afterwards. With Esc, the z of
// that first hit (the step where s.esc drops from +inf to gv) goes to s.ex, s.ey.
template <Step ST, CMode CM, bool Esc, int NV>
FRACTAL_INLINE Mask step_and_test(Regs<NV>& v, Lanes& s, __m256d r2v, __m256d gv, __m256d inf, Mask live) {
  step<ST, CM>(v);
  Mask m = 0;
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) {
    const __m256d hit = _mm256_cmp_pd(norm2(v, i), r2v, _CMP_GT_OQ);
    const __m256d e = _mm256_load_pd(s.esc + kW * i);
    _mm256_store_pd(s.esc + kW * i, _mm256_min_pd(e, _mm256_blendv_pd(inf, gv, hit)));
    if constexpr (Esc) {  // the lane's first hit of the burst (e is still +inf): its escape z
      const __m256d first = _mm256_and_pd(hit, _mm256_cmp_pd(e, gv, _CMP_GT_OQ));
      _mm256_store_pd(s.ex + kW * i, _mm256_blendv_pd(_mm256_load_pd(s.ex + kW * i), v.x[i], first));
      _mm256_store_pd(s.ey + kW * i, _mm256_blendv_pd(_mm256_load_pd(s.ey + kW * i), v.y[i], first));
    }
    m |= Mask(_mm256_movemask_pd(hit)) << (kW * i);
  }
  return m & live;
}

template <int NV>
FRACTAL_INLINE void save_xy(const Regs<NV>& v, Lanes& s) {
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) {
    _mm256_store_pd(s.x + kW * i, v.x[i]);
    _mm256_store_pd(s.y + kW * i, v.y[i]);
  }
}

template <int NV>
FRACTAL_INLINE void load_xy(Regs<NV>& v, const Lanes& s) {
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) {
    v.x[i] = _mm256_load_pd(s.x + kW * i);
    v.y[i] = _mm256_load_pd(s.y + kW * i);
  }
}

// The earliest step at which a lane in `live` has used its whole budget (kNever: none).
FRACTAL_INLINE std::uint64_t earliest_deadline(const Lanes& s, Mask live, std::uint64_t max_iter) {
  std::uint64_t d = kNever;
  for (Mask m = live; m != 0; m &= m - 1) {
    const std::uint64_t end = s.start[__builtin_ctzll(m)] + max_iter;
    d = end < d ? end : d;
  }
  return d;
}

// The lanes in `live` that started at step `started`.
FRACTAL_INLINE Mask started_at(const Lanes& s, Mask live, std::uint64_t started) {
  Mask out = 0;
  for (Mask m = live; m != 0; m &= m - 1)
    if (s.start[__builtin_ctzll(m)] == started) out |= m & (~m + 1);
  return out;
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
    for (int i = 0; i < NV; ++i) v.cr[i] = _mm256_load_pd(s.cr + kW * i);
  }
  if constexpr (CM == CMode::Lane) {
#pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) v.ci[i] = _mm256_load_pd(s.ci + kW * i);
  }
  v.cru = _mm256_set1_pd(cr);
  v.ciu = _mm256_set1_pd(ci);
  v.power = power;
  load_xy(v, s);
  const __m256d r2v = _mm256_set1_pd(r2);
  const __m256d one = _mm256_set1_pd(1.0);
  const __m256d inf = _mm256_set1_pd(std::numeric_limits<double>::infinity());
#pragma GCC unroll 8
  for (int i = 0; i < NV; ++i) _mm256_store_pd(s.esc + kW * i, inf);
  __m256d gv = _mm256_set1_pd(static_cast<double>(g));  // exact: g < 2^53
  Mask live = alive;
  maxed = 0;
  std::uint64_t step_no = g;
  std::uint64_t deadline = earliest_deadline(s, live, max_iter);  // > g
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
        for (int i = 0; i < NV; ++i) asm volatile("" : "+x"(v.x[i]), "+x"(v.y[i]));
#pragma GCC unroll 16
        for (int k = 0; k < kK; ++k) {
          gv = _mm256_add_pd(gv, one);
          live &= ~step_and_test<ST, CM, Esc>(v, s, r2v, gv, inf, live);
        }
      } else {
        gv = _mm256_add_pd(gv, _mm256_set1_pd(kK));
      }
      step_no += kK;
    } else {
      ++step_no;
      gv = _mm256_add_pd(gv, one);
      live &= ~step_and_test<ST, CM, Esc>(v, s, r2v, gv, inf, live);
    }
    if (step_no == deadline) {  // lanes whose budget ends now (an escape at this step came first)
      const Mask m = started_at(s, live, step_no - max_iter);
      maxed |= m;
      live &= ~m;
      deadline = earliest_deadline(s, live, max_iter);
    }
    if (live == 0 || __builtin_popcountll(alive & ~live) >= min_dead) break;
  }
  save_xy(v, s);
  g = step_no;
  return alive & ~live & ~maxed;
}

#include "kernel_row_loop.inc"  // render_row, render_row_cm, render_row_fam

}  // namespace

FRACTAL_TARGET std::uint64_t render_row_avx2(const FrameParams& p, std::uint32_t row,
                                             std::uint32_t* out) {
  return render_row_fam<false>(p, row, out, nullptr, nullptr);
}

FRACTAL_TARGET std::uint64_t render_row_avx2_esc(const FrameParams& p, std::uint32_t row, std::uint32_t* out,
                                                 double* esc_x, double* esc_y) {
  if (!esc_x || !esc_y) return render_row_fam<false>(p, row, out, nullptr, nullptr);
  return render_row_fam<true>(p, row, out, esc_x, esc_y);
}

}  // namespace fractal

#else  // not x86: never dispatched to (kernel_supported is false), defined so row_kernel links.

namespace fractal {
std::uint64_t render_row_avx2(const FrameParams& p, std::uint32_t row, std::uint32_t* out) {
  return render_row_scalar(p, row, out);
}
std::uint64_t render_row_avx2_esc(const FrameParams& p, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                  double* esc_y) {
  return render_row_scalar_esc(p, row, out, esc_x, esc_y);
}
}  // namespace fractal

#endif
