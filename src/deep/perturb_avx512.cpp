// The double-delta perturbation kernel with BLA across 8 pixels at once (AVX-512), bit-identical
// to perturb.cpp's scalar pixel_double: every lane performs exactly the scalar step's operations.
//
// A lane is one pixel. Each pass of the loop takes one step in every active lane: a BLA step where
// the lane's orbit index is aligned and the table has a valid step for its delta (looked up per
// lane in scalar code with the scalar BlaTable::find_d, about once per 8 steps of a lane), a
// perturbation step otherwise. Both are the same operations with different w and dc terms:
//   w = (A, or 2 Z_n + delta),  t = (B dc, or dc)
//   a' = fma(a, Re w, fma(-b, Im w, Re t));   b' = fma(a, Im w, fma(b, Re w, Im t))
// Then Z at the new index is gathered (the lanes' orbits and indices differ), z = Z + delta, the
// escape and rebase tests as in the scalar code. A lane whose pixel is done (escaped or at
// max_iter) takes the row's next pixel, so all 8 lanes stay busy until the row runs out.
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "fractal/deep/perturb.hpp"
#include "fractal/deep/perturb_simd.hpp"
#include "lanes_common.hpp"

#define FRACTAL_TARGET __attribute__((target("avx512f,avx512dq")))

// GCC 12's avx512fintrin.h builds the unmasked forms (max, scalef, shifts) from masked builtins with
// an "undefined" source operand, which -Wmaybe-uninitialized reports once they are inlined here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace fractal::deep {

bool perturb_avx512_available() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

namespace {

// The 8 lanes' Z_n from their addresses: one 16-byte load (re, im) per lane, split into re and
// im. Measured faster than two 8-element gathers (Zen 4: 1e50 and 5e227 12-20% per render).
FRACTAL_TARGET inline void load_pairs(const std::int64_t* where, __m512d& re, __m512d& im) {
  auto pair = [&](int l) { return _mm_loadu_pd(reinterpret_cast<const double*>(where[l])); };
  const __m512d lo = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_set_m128d(pair(1), pair(0))),
                                        _mm256_set_m128d(pair(3), pair(2)), 1);  // re0 im0 re1 im1 .. re3 im3
  const __m512d hi = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_set_m128d(pair(5), pair(4))),
                                        _mm256_set_m128d(pair(7), pair(6)), 1);
  re = _mm512_permutex2var_pd(lo, _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), hi);
  im = _mm512_permutex2var_pd(lo, _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1), hi);
}
inline std::int64_t exp_at(std::int64_t at) { return *reinterpret_cast<const std::int64_t*>(at + 16); }

// Where a BLA table's shortest stored steps (level kBlaMinLevel) lie and how many there are: a
// lane's first test, |delta|^2 < R^2 of the step at its index, is made for all lanes at once with a
// gather, and only the lanes that pass it search the longer levels in scalar code.
struct FirstLevel {
  std::int64_t base = 0, count = 0;  // address of the level's first step; 0 steps: no table
};
FirstLevel first_level(const BlaTable* t) {
  if (!t || t->levels <= t->min_level) return {};
  const int m = t->min_level;
  const void* p = t->d.empty() ? static_cast<const void*>(t->x.data() + t->offset[m])
                               : static_cast<const void*>(t->d.data() + t->offset[m]);
  return {reinterpret_cast<std::int64_t>(p), static_cast<std::int64_t>(t->count[m])};
}

// The lanes' state when it is spilled to memory (refills, BLA lookups).
struct alignas(64) Lanes {
  double a[8] = {}, b[8] = {}, p[8] = {}, q[8] = {}, X[8] = {}, Y[8] = {}, zr[8] = {}, zi[8] = {};
  std::int64_t n[8] = {}, k[8] = {}, addr[8] = {}, last[8] = {};
};

// What every group of a row shares.
struct DoubleRow {
  const DeepFrame& f;
  std::uint32_t row;
  std::uint32_t* out;
  double *esc_x, *esc_y;
  double dx;
  double r2;  // escape radius squared
  // Orbit values are gathered by absolute address: Z_n of a lane at addr + 16 n (re), + 8 (im).
  std::int64_t start_addr, rebase_addr, start_last, rebase_last;
  FirstLevel fl_start, fl_rebase;
  std::uint32_t next = 0;  // the row's next pixel
  std::uint64_t sum = 0;
};

// 8 lanes in registers. kGroups groups run side by side (independent steps that may overlap); 1,
// 2 and 4 measured alike on Zen 4 (1e50, 5e227, 1e14).
constexpr int kGroups = 2;
struct DoubleGroup {
  __m512d a, b, p, q, X, Y;
  __m512i n, k, addr, last;
  __mmask8 active = 0, on_rebase = 0;  // on_rebase: lanes on the rebase orbit (and its table)
  const BlaTable* table[8] = {};
  std::uint32_t pixel[8] = {};
  Lanes s;
};

// Lane l takes the row's next pixel (the scalar pixel_double's start), or goes idle; in g.s.
void refill_double(DoubleRow& r, DoubleGroup& g, int l) {
  if (r.next >= r.f.width) {
    g.active = static_cast<__mmask8>(g.active & ~(1u << l));
    return;
  }
  const std::uint32_t j = r.next++;
  start_double_lane(g.s, l, r.f, r.row, j, r.dx, r.start_addr, r.start_last);
  g.table[l] = r.f.bla_start;
  g.on_rebase = static_cast<__mmask8>(g.on_rebase & ~(1u << l));
  g.pixel[l] = j;
  g.active = static_cast<__mmask8>(g.active | (1u << l));
}

FRACTAL_TARGET inline void load_double(DoubleGroup& g) {
  g.a = _mm512_load_pd(g.s.a);
  g.b = _mm512_load_pd(g.s.b);
  g.p = _mm512_load_pd(g.s.p);
  g.q = _mm512_load_pd(g.s.q);
  g.X = _mm512_load_pd(g.s.X);
  g.Y = _mm512_load_pd(g.s.Y);
  g.n = _mm512_load_si512(g.s.n);
  g.k = _mm512_load_si512(g.s.k);
  g.addr = _mm512_load_si512(g.s.addr);
  g.last = _mm512_load_si512(g.s.last);
}

FRACTAL_TARGET inline void store_double(DoubleGroup& g, __m512d zr, __m512d zi) {
  _mm512_store_pd(g.s.a, g.a);
  _mm512_store_pd(g.s.b, g.b);
  _mm512_store_pd(g.s.p, g.p);
  _mm512_store_pd(g.s.q, g.q);
  _mm512_store_pd(g.s.X, g.X);
  _mm512_store_pd(g.s.Y, g.Y);
  _mm512_store_pd(g.s.zr, zr);
  _mm512_store_pd(g.s.zi, zi);
  _mm512_store_si512(g.s.n, g.n);
  _mm512_store_si512(g.s.k, g.k);
  _mm512_store_si512(g.s.addr, g.addr);
  _mm512_store_si512(g.s.last, g.last);
}

// One step in every active lane of g (a BLA step or a perturbation step), the escape and rebase
// tests, and the finished lanes refilled.
FRACTAL_TARGET __attribute__((always_inline)) inline void step_double(DoubleRow& r, DoubleGroup& g) {
  const DeepFrame& f = r.f;
  const std::int64_t max_iter = f.max_iter;
  const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
  __m512d a = g.a, b = g.b;
  const __m512d p = g.p, q = g.q;
  __m512i n = g.n, k = g.k;
  // w and t of a perturbation step; replaced in the lanes that take a BLA step.
  __m512d wr = _mm512_add_pd(_mm512_add_pd(g.X, g.X), a), wi = _mm512_add_pd(_mm512_add_pd(g.Y, g.Y), b);
  __m512d tr = p, ti = q;
  __m512i len = one;
  if (f.bla_start) {
    const __m512i nm1 = _mm512_sub_epi64(n, one);
    const __m512i low = _mm512_set1_epi64((std::int64_t{1} << kBlaMinLevel) - 1);  // n - 1 aligned to the shortest step
    __mmask8 aligned =
        _mm512_mask_cmpeq_epi64_mask(_mm512_mask_cmpneq_epi64_mask(g.active, n, zero), _mm512_and_si512(nm1, low), zero);
    __m512d norm2v = _mm512_setzero_pd();
    if (aligned) {  // the shortest step's test for every aligned lane (BlaTable::find_d's first round)
      const __m512i i = _mm512_srli_epi64(nm1, kBlaMinLevel);
      const __m512i base =
          _mm512_mask_blend_epi64(g.on_rebase, _mm512_set1_epi64(r.fl_start.base), _mm512_set1_epi64(r.fl_rebase.base));
      const __m512i count =
          _mm512_mask_blend_epi64(g.on_rebase, _mm512_set1_epi64(r.fl_start.count), _mm512_set1_epi64(r.fl_rebase.count));
      const __m512i max_k = _mm512_set1_epi64(max_iter - (std::int64_t{1} << kBlaMinLevel));  // its budget
      aligned = _mm512_mask_cmple_epi64_mask(_mm512_mask_cmplt_epi64_mask(aligned, i, count), k, max_k);
      // step i at base + 40 i; its R^2 at + 32
      static_assert(sizeof(BlaStepD) == 40 && offsetof(BlaStepD, r2) == 32, "BlaStepD layout");
      const __m512i at = _mm512_add_epi64(_mm512_add_epi64(base, _mm512_set1_epi64(32)),
                                          _mm512_add_epi64(_mm512_slli_epi64(i, 5), _mm512_slli_epi64(i, 3)));
      const __m512d r2i = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), aligned, at, nullptr, 1);
      norm2v = _mm512_fmadd_pd(a, a, _mm512_mul_pd(b, b));
      aligned = _mm512_mask_cmp_pd_mask(aligned, norm2v, r2i, _CMP_LT_OQ);
    }
    if (aligned) {
      alignas(64) double norm2[8], AR[8] = {}, AI[8] = {}, BR[8] = {}, BI[8] = {};
      alignas(64) std::int64_t nn[8], kk[8], LL[8] = {};
      _mm512_store_pd(norm2, norm2v);
      _mm512_store_si512(nn, n);
      _mm512_store_si512(kk, k);
      const __mmask8 use = static_cast<__mmask8>(
          find_double_steps(aligned, g.table, nn, kk, norm2, max_iter, AR, AI, BR, BI, LL));
      if (use) {
        wr = _mm512_mask_load_pd(wr, use, AR);
        wi = _mm512_mask_load_pd(wi, use, AI);
        const __m512d Br = _mm512_load_pd(BR), Bi = _mm512_load_pd(BI);
        // B dc: tr = fma(Re B, p, -(Im B q)), ti = fma(Re B, q, Im B p)
        tr = _mm512_mask_blend_pd(use, p, _mm512_fmsub_pd(Br, p, _mm512_mul_pd(Bi, q)));
        ti = _mm512_mask_blend_pd(use, q, _mm512_fmadd_pd(Br, q, _mm512_mul_pd(Bi, p)));
        len = _mm512_mask_load_epi64(one, use, LL);
      }
    }
  }
  // a' = fma(a, wr, fma(-b, wi, tr)); b' = fma(a, wi, fma(b, wr, ti))
  const __m512d na = _mm512_fmadd_pd(a, wr, _mm512_fnmadd_pd(b, wi, tr));
  const __m512d nb = _mm512_fmadd_pd(a, wi, _mm512_fmadd_pd(b, wr, ti));
  a = na;
  b = nb;
  // Idle lanes stay at n = 0, so that they load Z_0 (valid memory) however long the others run.
  n = _mm512_maskz_add_epi64(g.active, n, len);
  k = _mm512_add_epi64(k, len);
  // Z_n of each lane: (re, im) at addr + 16 n. Idle lanes keep a valid address (refill).
  alignas(64) std::int64_t where[8];
  _mm512_store_si512(where, _mm512_add_epi64(g.addr, _mm512_slli_epi64(n, 4)));
  __m512d X, Y;
  load_pairs(where, X, Y);
  const __m512d zr = _mm512_add_pd(X, a), zi = _mm512_add_pd(Y, b);
  const __m512d zn = _mm512_fmadd_pd(zr, zr, _mm512_mul_pd(zi, zi));
  const __mmask8 escaped = _mm512_mask_cmp_pd_mask(g.active, zn, _mm512_set1_pd(r.r2), _CMP_GT_OQ);
  const __mmask8 done = static_cast<__mmask8>(escaped | _mm512_mask_cmpge_epi64_mask(g.active, k, _mm512_set1_epi64(max_iter)));
  const __mmask8 rebase =
      static_cast<__mmask8>((_mm512_mask_cmp_pd_mask(g.active, zn, _mm512_fmadd_pd(a, a, _mm512_mul_pd(b, b)), _CMP_LT_OQ) |
                             _mm512_mask_cmpeq_epi64_mask(g.active, n, g.last)) & ~done);
  if (rebase) {  // delta <- z, n <- 0 on the rebase orbit
    a = _mm512_mask_blend_pd(rebase, a, zr);
    b = _mm512_mask_blend_pd(rebase, b, zi);
    n = _mm512_mask_blend_epi64(rebase, n, zero);
    g.addr = _mm512_mask_blend_epi64(rebase, g.addr, _mm512_set1_epi64(r.rebase_addr));
    g.last = _mm512_mask_blend_epi64(rebase, g.last, _mm512_set1_epi64(r.rebase_last));
    X = _mm512_mask_blend_pd(rebase, X, _mm512_set1_pd(f.rebase->z[0]));
    Y = _mm512_mask_blend_pd(rebase, Y, _mm512_set1_pd(f.rebase->z[1]));
    for (unsigned m = rebase; m; m &= m - 1) g.table[__builtin_ctz(m)] = f.bla_rebase;
    g.on_rebase = static_cast<__mmask8>(g.on_rebase | rebase);
  }
  g.a = a;
  g.b = b;
  g.n = n;
  g.k = k;
  g.X = X;
  g.Y = Y;
  if (done) {  // finish those pixels, refill their lanes
    store_double(g, zr, zi);
    for (unsigned m = done; m; m &= m - 1) {
      const int l = __builtin_ctz(m);
      r.sum += finish_lane(g.s, l, (escaped >> l) & 1u, f.max_iter, g.pixel[l], r.out, r.esc_x, r.esc_y);
      refill_double(r, g, l);
    }
    load_double(g);
  }
}

}  // namespace

FRACTAL_TARGET
std::uint64_t render_row_double_avx512(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                       double* esc_y) {
  DoubleRow r{f, row, out, esc_x, esc_y, std::ldexp(f.dx.m, static_cast<int>(f.dx.e)), f.escape_radius * f.escape_radius,
              reinterpret_cast<std::int64_t>(f.start->z.data()), reinterpret_cast<std::int64_t>(f.rebase->z.data()),
              static_cast<std::int64_t>(f.start->length()) - 1, static_cast<std::int64_t>(f.rebase->length()) - 1,
              first_level(f.bla_start), first_level(f.bla_rebase)};
  DoubleGroup g[kGroups];
  for (DoubleGroup& gr : g) {
    for (int l = 0; l < 8; ++l) gr.s.addr[l] = r.start_addr;  // idle lanes still load Z_0 (valid memory)
    for (int l = 0; l < 8; ++l) refill_double(r, gr, l);
    load_double(gr);
  }
  for (;;) {
    unsigned any = 0;
    for (DoubleGroup& gr : g) {
      if (!gr.active) continue;
      step_double(r, gr);
      any = 1;
    }
    if (!any) break;
  }
  return r.sum;
}

// ---- Extended-exponent deltas (CxExp, floatexp.hpp), 8 lanes --------------------------------------
// The same operations as the scalar CxExp functions, lane by lane: exponents as int64 lanes, exact
// power-of-two scalings by scalef (exact where the scalar code multiplies by pow2, rounding the same
// way where the result leaves the normal range), exponents of normal and denormal numbers by
// getexp (the scalar code rescales denormals by 2^64 first: the same exact result).

namespace {

struct VExp {
  __m512d re, im;
  __m512i e;
};

FRACTAL_TARGET inline __m512d vabs(__m512d x) { return _mm512_abs_pd(x); }

// normalise(re, im, e): max(|re|, |im|) into [1, 2); zero -> (0, 0, kZeroExp).
FRACTAL_TARGET inline VExp vnormalise(__m512d re, __m512d im, __m512i e) {
  const __m512d m = _mm512_max_pd(vabs(re), vabs(im));
  const __mmask8 zero = _mm512_cmp_pd_mask(m, _mm512_setzero_pd(), _CMP_EQ_OQ);
  const __m512d k = _mm512_mask_getexp_pd(_mm512_setzero_pd(), static_cast<__mmask8>(~zero), m);
  const __m512d negk = _mm512_sub_pd(_mm512_setzero_pd(), k);
  VExp r;
  r.re = _mm512_maskz_scalef_pd(static_cast<__mmask8>(~zero), re, negk);
  r.im = _mm512_maskz_scalef_pd(static_cast<__mmask8>(~zero), im, negk);
  r.e = _mm512_mask_blend_epi64(zero, _mm512_add_epi64(e, _mm512_cvtpd_epi64(k)), _mm512_set1_epi64(kZeroExp));
  return r;
}

// cx_mul(a, b)
FRACTAL_TARGET inline VExp vmul(const VExp& a, const VExp& b) {
  const __m512d re = _mm512_fmsub_pd(a.re, b.re, _mm512_mul_pd(a.im, b.im));
  const __m512d im = _mm512_fmadd_pd(a.re, b.im, _mm512_mul_pd(a.im, b.re));
  const __m512i kz = _mm512_set1_epi64(kZeroExp);
  const __mmask8 z = static_cast<__mmask8>(_mm512_cmpeq_epi64_mask(a.e, kz) | _mm512_cmpeq_epi64_mask(b.e, kz));
  VExp r = vnormalise(re, im, _mm512_add_epi64(a.e, b.e));
  r.re = _mm512_mask_blend_pd(z, r.re, _mm512_setzero_pd());
  r.im = _mm512_mask_blend_pd(z, r.im, _mm512_setzero_pd());
  r.e = _mm512_mask_blend_epi64(z, r.e, kz);
  return r;
}

// cx_add(a, b)
FRACTAL_TARGET inline VExp vadd(const VExp& a, const VExp& b) {
  const __mmask8 swap = _mm512_cmplt_epi64_mask(a.e, b.e);  // the larger exponent first
  VExp big, small;
  big.re = _mm512_mask_blend_pd(swap, a.re, b.re);
  big.im = _mm512_mask_blend_pd(swap, a.im, b.im);
  big.e = _mm512_mask_blend_epi64(swap, a.e, b.e);
  small.re = _mm512_mask_blend_pd(swap, b.re, a.re);
  small.im = _mm512_mask_blend_pd(swap, b.im, a.im);
  small.e = _mm512_mask_blend_epi64(swap, b.e, a.e);
  const __m512i d = _mm512_sub_epi64(small.e, big.e);  // <= 0
  const __mmask8 drop = _mm512_cmplt_epi64_mask(d, _mm512_set1_epi64(-1022));
  const __m512d dd = _mm512_cvtepi64_pd(_mm512_max_epi64(d, _mm512_set1_epi64(-1022)));
  const __m512d re = _mm512_add_pd(big.re, _mm512_scalef_pd(small.re, dd));
  const __m512d im = _mm512_add_pd(big.im, _mm512_scalef_pd(small.im, dd));
  VExp r = vnormalise(re, im, big.e);
  r.re = _mm512_mask_blend_pd(drop, r.re, big.re);
  r.im = _mm512_mask_blend_pd(drop, r.im, big.im);
  r.e = _mm512_mask_blend_epi64(drop, r.e, big.e);
  return r;
}

// cx_norm_less(a, b): |a| < |b|
FRACTAL_TARGET inline __mmask8 vnorm_less(const VExp& a, const VExp& b) {
  const __m512i kz = _mm512_set1_epi64(kZeroExp);
  const __mmask8 bz = _mm512_cmpeq_epi64_mask(b.e, kz), az = _mm512_cmpeq_epi64_mask(a.e, kz);
  const __m512i d = _mm512_sub_epi64(a.e, b.e);
  const __m512i d2 = _mm512_add_epi64(d, d);
  const __mmask8 lo = _mm512_cmplt_epi64_mask(d2, _mm512_set1_epi64(-8));
  const __mmask8 hi = _mm512_cmpgt_epi64_mask(d2, _mm512_set1_epi64(8));
  const __m512d na = _mm512_fmadd_pd(a.re, a.re, _mm512_mul_pd(a.im, a.im));
  const __m512d nb = _mm512_fmadd_pd(b.re, b.re, _mm512_mul_pd(b.im, b.im));
  const __m512d dd = _mm512_cvtepi64_pd(_mm512_min_epi64(_mm512_max_epi64(d2, _mm512_set1_epi64(-8)), _mm512_set1_epi64(8)));
  const __mmask8 cmp = _mm512_cmp_pd_mask(_mm512_scalef_pd(na, dd), nb, _CMP_LT_OQ);
  // b zero: false; else a zero: true; else by exponents, else by the scaled norms
  return static_cast<__mmask8>(~bz & (az | (~az & (lo | (~lo & ~hi & cmp)))));
}

// cx_to_double(a)
FRACTAL_TARGET inline void vto_double(const VExp& a, __m512d& re, __m512d& im) {
  const __mmask8 tiny = _mm512_cmplt_epi64_mask(a.e, _mm512_set1_epi64(-1100));
  const __m512d e = _mm512_cvtepi64_pd(_mm512_min_epi64(_mm512_max_epi64(a.e, _mm512_set1_epi64(-1100)), _mm512_set1_epi64(2000)));
  re = _mm512_maskz_scalef_pd(static_cast<__mmask8>(~tiny), a.re, e);
  im = _mm512_maskz_scalef_pd(static_cast<__mmask8>(~tiny), a.im, e);
}

// norm2_less(delta, r2) (bla.hpp): |delta|^2 < m * 2^e, exactly.
FRACTAL_TARGET inline __mmask8 vnorm2_less(const VExp& d, __m512d rm, __m512i re) {
  const __mmask8 rzero = _mm512_cmp_pd_mask(rm, _mm512_setzero_pd(), _CMP_EQ_OQ);
  const __mmask8 dzero = _mm512_cmpeq_epi64_mask(d.e, _mm512_set1_epi64(kZeroExp));
  const __m512d n = _mm512_fmadd_pd(d.re, d.re, _mm512_mul_pd(d.im, d.im));  // [1, 8) unless zero
  const __m512d k = _mm512_getexp_pd(n);
  const __m512i ne = _mm512_add_epi64(_mm512_add_epi64(d.e, d.e), _mm512_cvtpd_epi64(k));
  const __m512d nm = _mm512_scalef_pd(n, _mm512_sub_pd(_mm512_setzero_pd(), k));
  const __mmask8 by_e = _mm512_cmplt_epi64_mask(ne, re), same_e = _mm512_cmpeq_epi64_mask(ne, re);
  const __mmask8 by_m = _mm512_cmp_pd_mask(nm, rm, _CMP_LT_OQ);
  return static_cast<__mmask8>(~rzero & (dzero | (~dzero & (by_e | (same_e & by_m)))));
}

struct alignas(64) LanesX {
  double dre[8] = {}, dim[8] = {}, cre[8] = {}, cim[8] = {}, zre[8] = {}, zim[8] = {}, zr[8] = {}, zi[8] = {};
  std::int64_t de[8] = {}, ce[8] = {}, ze[8] = {}, n[8] = {}, k[8] = {}, addr[8] = {}, last[8] = {};
};

FRACTAL_TARGET inline void load_lanes(const LanesX& s, VExp& d, VExp& dc, VExp& Z, __m512i& n, __m512i& k, __m512i& addr,
                                      __m512i& last) {
  d = {_mm512_load_pd(s.dre), _mm512_load_pd(s.dim), _mm512_load_si512(s.de)};
  dc = {_mm512_load_pd(s.cre), _mm512_load_pd(s.cim), _mm512_load_si512(s.ce)};
  Z = {_mm512_load_pd(s.zre), _mm512_load_pd(s.zim), _mm512_load_si512(s.ze)};
  n = _mm512_load_si512(s.n);
  k = _mm512_load_si512(s.k);
  addr = _mm512_load_si512(s.addr);
  last = _mm512_load_si512(s.last);
}

}  // namespace

FRACTAL_TARGET
std::uint64_t render_row_exp_avx512(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                    double* esc_y) {
  const __m512d r2 = _mm512_set1_pd(f.escape_radius * f.escape_radius);
  const std::int64_t max_iter = f.max_iter;
  // Z_n of a lane (a CxExp, 24 bytes) at addr + 24 n: re, im, e.
  static_assert(sizeof(CxExp) == 24, "CxExp layout");
  const std::int64_t start_addr = reinterpret_cast<std::int64_t>(f.start->zx.data());
  const std::int64_t rebase_addr = reinterpret_cast<std::int64_t>(f.rebase->zx.data());
  const std::int64_t start_last = static_cast<std::int64_t>(f.start->length()) - 1;
  const std::int64_t rebase_last = static_cast<std::int64_t>(f.rebase->length()) - 1;
  const bool bla = f.bla_start != nullptr;
  const FirstLevel fl_start = first_level(f.bla_start), fl_rebase = first_level(f.bla_rebase);

  LanesX s;
  const BlaTable* table[8] = {};
  __mmask8 on_rebase = 0;  // lanes on the rebase orbit (and its table)
  std::uint32_t pixel[8] = {};
  std::uint32_t next = 0;
  std::uint64_t sum = 0;
  __mmask8 active = 0;
  auto refill = [&](int l) {
    if (next >= f.width) {
      active = static_cast<__mmask8>(active & ~(1u << l));
      return;
    }
    const std::uint32_t j = next++;
    start_exp_lane(s, l, f, row, j, start_addr, start_last);
    table[l] = f.bla_start;
    on_rebase = static_cast<__mmask8>(on_rebase & ~(1u << l));
    pixel[l] = j;
    active = static_cast<__mmask8>(active | (1u << l));
  };
  for (int l = 0; l < 8; ++l) s.addr[l] = start_addr;  // idle lanes still load Z_0 (valid memory)
  for (int l = 0; l < 8; ++l) refill(l);

  VExp d, dc, Z;
  __m512i n, k, addr, last;
  load_lanes(s, d, dc, Z, n, k, addr, last);
  const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
  const __m512i low = _mm512_set1_epi64((std::int64_t{1} << kBlaMinLevel) - 1);
  const __m512i max_iter_v = _mm512_set1_epi64(max_iter);
  const __m512i max_k_bla = _mm512_set1_epi64(max_iter - (std::int64_t{1} << kBlaMinLevel));
  const CxExp& rz0 = f.rebase->zx[0];

  while (active) {
    // perturbation: X1 = d * w with w = 2 Z_n + d, X2 = dc; BLA: X1 = d * A, X2 = B * dc
    VExp w = vadd(VExp{Z.re, Z.im, _mm512_add_epi64(Z.e, one)}, d);
    VExp x2 = dc;
    __m512i len = one;
    if (bla) {
      const __m512i nm1 = _mm512_sub_epi64(n, one);
      __mmask8 aligned = _mm512_mask_cmpeq_epi64_mask(_mm512_mask_cmpneq_epi64_mask(active, n, zero),
                                                      _mm512_and_si512(nm1, low), zero);
      if (aligned) {  // the shortest step's test for every aligned lane (BlaTable::find_x's first round)
        const __m512i i = _mm512_srli_epi64(nm1, kBlaMinLevel);
        const __m512i base = _mm512_mask_blend_epi64(on_rebase, _mm512_set1_epi64(fl_start.base), _mm512_set1_epi64(fl_rebase.base));
        const __m512i count = _mm512_mask_blend_epi64(on_rebase, _mm512_set1_epi64(fl_start.count), _mm512_set1_epi64(fl_rebase.count));
        aligned = _mm512_mask_cmple_epi64_mask(_mm512_mask_cmplt_epi64_mask(aligned, i, count), k, max_k_bla);
        // step i at base + 64 i; R^2 = m * 2^e at + 48 (m), + 56 (e)
        static_assert(sizeof(BlaStepX) == 64 && offsetof(BlaStepX, r2) == 48, "BlaStepX layout");
        const __m512i at = _mm512_add_epi64(base, _mm512_slli_epi64(i, 6));
        const __m512d rm = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), aligned, _mm512_add_epi64(at, _mm512_set1_epi64(48)), nullptr, 1);
        const __m512i re_ = _mm512_mask_i64gather_epi64(zero, aligned, _mm512_add_epi64(at, _mm512_set1_epi64(56)), nullptr, 1);
        aligned = static_cast<__mmask8>(aligned & vnorm2_less(d, rm, re_));
      }
      if (aligned) {
        alignas(64) double dre[8], dim[8], AR[8] = {}, AI[8] = {}, BR[8] = {}, BI[8] = {};
        alignas(64) std::int64_t de[8], nn[8], kk[8], AE[8] = {}, BE[8] = {}, LL[8] = {};
        _mm512_store_pd(dre, d.re);
        _mm512_store_pd(dim, d.im);
        _mm512_store_si512(de, d.e);
        _mm512_store_si512(nn, n);
        _mm512_store_si512(kk, k);
        const __mmask8 use = static_cast<__mmask8>(
            find_exp_steps(aligned, table, nn, kk, dre, dim, de, max_iter, AR, AI, AE, BR, BI, BE, LL));
        if (use) {
          w.re = _mm512_mask_load_pd(w.re, use, AR);
          w.im = _mm512_mask_load_pd(w.im, use, AI);
          w.e = _mm512_mask_load_epi64(w.e, use, AE);
          const VExp B{_mm512_load_pd(BR), _mm512_load_pd(BI), _mm512_load_si512(BE)};
          const VExp bdc = vmul(B, dc);
          x2.re = _mm512_mask_blend_pd(use, x2.re, bdc.re);
          x2.im = _mm512_mask_blend_pd(use, x2.im, bdc.im);
          x2.e = _mm512_mask_blend_epi64(use, x2.e, bdc.e);
          len = _mm512_mask_load_epi64(one, use, LL);
        }
      }
    }
    d = vadd(vmul(d, w), x2);
    n = _mm512_maskz_add_epi64(active, n, len);  // idle lanes stay at n = 0: they load Z_0 (valid memory)
    k = _mm512_add_epi64(k, len);
    // Z at the new index: 24 n bytes = 8 n + 16 n
    // one 16-byte load (re, im) and one 8-byte load (e) per lane, as in the double kernel
    alignas(64) std::int64_t where[8];
    _mm512_store_si512(where, _mm512_add_epi64(addr, _mm512_add_epi64(_mm512_slli_epi64(n, 3), _mm512_slli_epi64(n, 4))));
    load_pairs(where, Z.re, Z.im);
    Z.e = _mm512_set_epi64(exp_at(where[7]), exp_at(where[6]), exp_at(where[5]), exp_at(where[4]), exp_at(where[3]),
                           exp_at(where[2]), exp_at(where[1]), exp_at(where[0]));
    const VExp z = vadd(Z, d);
    __m512d zr, zi;
    vto_double(z, zr, zi);
    const __m512d zn = _mm512_fmadd_pd(zr, zr, _mm512_mul_pd(zi, zi));
    const __mmask8 escaped = _mm512_mask_cmp_pd_mask(active, zn, r2, _CMP_GT_OQ);
    const __mmask8 done = static_cast<__mmask8>(escaped | _mm512_mask_cmpge_epi64_mask(active, k, max_iter_v));
    const __mmask8 rebase =
        static_cast<__mmask8>((vnorm_less(z, d) | _mm512_cmpeq_epi64_mask(n, last)) & active & ~done);
    if (rebase) {
      d.re = _mm512_mask_blend_pd(rebase, d.re, z.re);
      d.im = _mm512_mask_blend_pd(rebase, d.im, z.im);
      d.e = _mm512_mask_blend_epi64(rebase, d.e, z.e);
      n = _mm512_mask_blend_epi64(rebase, n, zero);
      addr = _mm512_mask_blend_epi64(rebase, addr, _mm512_set1_epi64(rebase_addr));
      last = _mm512_mask_blend_epi64(rebase, last, _mm512_set1_epi64(rebase_last));
      Z.re = _mm512_mask_blend_pd(rebase, Z.re, _mm512_set1_pd(rz0.re));
      Z.im = _mm512_mask_blend_pd(rebase, Z.im, _mm512_set1_pd(rz0.im));
      Z.e = _mm512_mask_blend_epi64(rebase, Z.e, _mm512_set1_epi64(rz0.e));
      for (unsigned m = rebase; m; m &= m - 1) table[__builtin_ctz(m)] = f.bla_rebase;
      on_rebase = static_cast<__mmask8>(on_rebase | rebase);
    }
    if (done) {
      _mm512_store_pd(s.dre, d.re);
      _mm512_store_pd(s.dim, d.im);
      _mm512_store_si512(s.de, d.e);
      _mm512_store_pd(s.cre, dc.re);
      _mm512_store_pd(s.cim, dc.im);
      _mm512_store_si512(s.ce, dc.e);
      _mm512_store_pd(s.zre, Z.re);
      _mm512_store_pd(s.zim, Z.im);
      _mm512_store_si512(s.ze, Z.e);
      _mm512_store_pd(s.zr, zr);
      _mm512_store_pd(s.zi, zi);
      _mm512_store_si512(s.n, n);
      _mm512_store_si512(s.k, k);
      _mm512_store_si512(s.addr, addr);
      _mm512_store_si512(s.last, last);
      for (unsigned m = done; m; m &= m - 1) {
        const int l = __builtin_ctz(m);
        sum += finish_lane(s, l, (escaped >> l) & 1u, f.max_iter, pixel[l], out, esc_x, esc_y);
        refill(l);
      }
      load_lanes(s, d, dc, Z, n, k, addr, last);
    }
  }
  return sum;
}

}  // namespace fractal::deep
