// The perturbation kernels with BLA across 4 pixels per vector (AVX2 + FMA), for CPUs without
// AVX-512: the same algorithm and operations as perturb_avx512.cpp's kernels (see there), so
// bit-identical to the scalar pixel_double and pixel_exp. Lane masks are vectors (all bits set in
// a true lane). Double deltas: two groups of 4 lanes run side by side. Extended-exponent deltas
// (CxExp): one group; AVX2 has no getexp/scalef, so CxExp's normalisation is done as the scalar
// floatexp.hpp does it, on the bits: the exponent field read with integer shifts, powers of two
// built from bits and applied by multiplication.
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "fractal/deep/perturb.hpp"
#include "fractal/deep/perturb_simd.hpp"
#include "lanes_common.hpp"

#define FRACTAL_TARGET __attribute__((target("avx2,fma")))

namespace fractal::deep {

bool perturb_avx2_available() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

namespace {

struct alignas(32) Lanes4 {
  double a[4], b[4], p[4], q[4], X[4], Y[4], zr[4], zi[4];
  std::int64_t n[4], k[4], addr[4], last[4];
};

struct Row4 {
  const DeepFrame& f;
  std::uint32_t row;
  std::uint32_t* out;
  double *esc_x, *esc_y;
  double dx;
  double r2;  // escape radius squared
  std::int64_t start_addr, rebase_addr, start_last, rebase_last;
  std::int64_t t_start, c_start, t_rebase, c_rebase;  // the tables' shortest steps: address, count
  std::uint32_t next = 0;
  std::uint64_t sum = 0;
};

struct Group4 {
  __m256d a, b, p, q, X, Y;
  __m256i n, k, addr, last;
  unsigned active = 0, on_rebase = 0;  // bit masks of lanes
  const BlaTable* table[4] = {};
  std::uint32_t pixel[4] = {};
  Lanes4 s;
};

FRACTAL_TARGET inline __m256i lanes_mask(unsigned bits) {  // bit l -> lane l all ones
  return _mm256_set_epi64x(-static_cast<std::int64_t>((bits >> 3) & 1u), -static_cast<std::int64_t>((bits >> 2) & 1u),
                           -static_cast<std::int64_t>((bits >> 1) & 1u), -static_cast<std::int64_t>(bits & 1u));
}
FRACTAL_TARGET inline unsigned bits_of(__m256d m) { return static_cast<unsigned>(_mm256_movemask_pd(m)); }
FRACTAL_TARGET inline unsigned bits_of(__m256i m) { return bits_of(_mm256_castsi256_pd(m)); }
FRACTAL_TARGET inline __m256d blend(__m256d a, __m256d b, __m256i m) { return _mm256_blendv_pd(a, b, _mm256_castsi256_pd(m)); }
FRACTAL_TARGET inline __m256i blend(__m256i a, __m256i b, __m256i m) { return _mm256_blendv_epi8(a, b, m); }

void refill4(Row4& r, Group4& g, int l) {
  if (r.next >= r.f.width) {
    g.active &= ~(1u << l);
    return;
  }
  const std::uint32_t j = r.next++;
  start_double_lane(g.s, l, r.f, r.row, j, r.dx, r.start_addr, r.start_last);
  g.table[l] = r.f.bla_start;
  g.on_rebase &= ~(1u << l);
  g.pixel[l] = j;
  g.active |= 1u << l;
}

FRACTAL_TARGET inline void load4(Group4& g) {
  g.a = _mm256_load_pd(g.s.a);
  g.b = _mm256_load_pd(g.s.b);
  g.p = _mm256_load_pd(g.s.p);
  g.q = _mm256_load_pd(g.s.q);
  g.X = _mm256_load_pd(g.s.X);
  g.Y = _mm256_load_pd(g.s.Y);
  g.n = _mm256_load_si256(reinterpret_cast<const __m256i*>(g.s.n));
  g.k = _mm256_load_si256(reinterpret_cast<const __m256i*>(g.s.k));
  g.addr = _mm256_load_si256(reinterpret_cast<const __m256i*>(g.s.addr));
  g.last = _mm256_load_si256(reinterpret_cast<const __m256i*>(g.s.last));
}

FRACTAL_TARGET inline void store4(Group4& g, __m256d zr, __m256d zi) {
  _mm256_store_pd(g.s.a, g.a);
  _mm256_store_pd(g.s.b, g.b);
  _mm256_store_pd(g.s.p, g.p);
  _mm256_store_pd(g.s.q, g.q);
  _mm256_store_pd(g.s.X, g.X);
  _mm256_store_pd(g.s.Y, g.Y);
  _mm256_store_pd(g.s.zr, zr);
  _mm256_store_pd(g.s.zi, zi);
  _mm256_store_si256(reinterpret_cast<__m256i*>(g.s.n), g.n);
  _mm256_store_si256(reinterpret_cast<__m256i*>(g.s.k), g.k);
  _mm256_store_si256(reinterpret_cast<__m256i*>(g.s.addr), g.addr);
  _mm256_store_si256(reinterpret_cast<__m256i*>(g.s.last), g.last);
}

FRACTAL_TARGET __attribute__((always_inline)) inline void step4(Row4& r, Group4& g) {
  const DeepFrame& f = r.f;
  const std::int64_t max_iter = f.max_iter;
  const __m256i one = _mm256_set1_epi64x(1), zero = _mm256_setzero_si256();
  const __m256i active = lanes_mask(g.active);
  __m256d a = g.a, b = g.b;
  const __m256d p = g.p, q = g.q;
  __m256i n = g.n, k = g.k;
  __m256d wr = _mm256_add_pd(_mm256_add_pd(g.X, g.X), a), wi = _mm256_add_pd(_mm256_add_pd(g.Y, g.Y), b);
  __m256d tr = p, ti = q;
  __m256i len = one;
  if (f.bla_start) {
    const __m256i nm1 = _mm256_sub_epi64(n, one);
    const __m256i low = _mm256_set1_epi64x((std::int64_t{1} << kBlaMinLevel) - 1);
    // active, n != 0, (n - 1) aligned to the shortest step
    __m256i aligned = _mm256_andnot_si256(_mm256_cmpeq_epi64(n, zero),
                                          _mm256_and_si256(active, _mm256_cmpeq_epi64(_mm256_and_si256(nm1, low), zero)));
    __m256d norm2v = _mm256_setzero_pd();
    if (bits_of(aligned)) {
      const __m256i ro = lanes_mask(g.on_rebase);
      const __m256i i = _mm256_srli_epi64(nm1, kBlaMinLevel);
      const __m256i base = blend(_mm256_set1_epi64x(r.t_start), _mm256_set1_epi64x(r.t_rebase), ro);
      const __m256i count = blend(_mm256_set1_epi64x(r.c_start), _mm256_set1_epi64x(r.c_rebase), ro);
      const __m256i max_k = _mm256_set1_epi64x(max_iter - (std::int64_t{1} << kBlaMinLevel));
      // i < count and k <= max_k
      aligned = _mm256_and_si256(aligned, _mm256_cmpgt_epi64(count, i));
      aligned = _mm256_andnot_si256(_mm256_cmpgt_epi64(k, max_k), aligned);
      static_assert(sizeof(BlaStepD) == 40 && offsetof(BlaStepD, r2) == 32, "BlaStepD layout");
      const __m256i at = _mm256_add_epi64(_mm256_add_epi64(base, _mm256_set1_epi64x(32)),
                                          _mm256_add_epi64(_mm256_slli_epi64(i, 5), _mm256_slli_epi64(i, 3)));
      const __m256d r2i = _mm256_mask_i64gather_pd(_mm256_setzero_pd(), static_cast<const double*>(nullptr), at,
                                                   _mm256_castsi256_pd(aligned), 1);
      norm2v = _mm256_fmadd_pd(a, a, _mm256_mul_pd(b, b));
      aligned = _mm256_and_si256(aligned, _mm256_castpd_si256(_mm256_cmp_pd(norm2v, r2i, _CMP_LT_OQ)));
    }
    if (const unsigned cand = bits_of(aligned)) {
      alignas(32) double norm2[4], AR[4] = {}, AI[4] = {}, BR[4] = {}, BI[4] = {};
      alignas(32) std::int64_t nn[4], kk[4], LL[4] = {1, 1, 1, 1};
      _mm256_store_pd(norm2, norm2v);
      _mm256_store_si256(reinterpret_cast<__m256i*>(nn), n);
      _mm256_store_si256(reinterpret_cast<__m256i*>(kk), k);
      const unsigned used = find_double_steps(cand, g.table, nn, kk, norm2, max_iter, AR, AI, BR, BI, LL);
      if (used) {
        const __m256i u = lanes_mask(used);
        wr = blend(wr, _mm256_load_pd(AR), u);
        wi = blend(wi, _mm256_load_pd(AI), u);
        const __m256d Br = _mm256_load_pd(BR), Bi = _mm256_load_pd(BI);
        tr = blend(p, _mm256_fmsub_pd(Br, p, _mm256_mul_pd(Bi, q)), u);
        ti = blend(q, _mm256_fmadd_pd(Br, q, _mm256_mul_pd(Bi, p)), u);
        len = _mm256_load_si256(reinterpret_cast<const __m256i*>(LL));
      }
    }
  }
  const __m256d na = _mm256_fmadd_pd(a, wr, _mm256_fnmadd_pd(b, wi, tr));
  const __m256d nb = _mm256_fmadd_pd(a, wi, _mm256_fmadd_pd(b, wr, ti));
  a = na;
  b = nb;
  n = _mm256_add_epi64(n, len);
  k = _mm256_add_epi64(k, len);
  const __m256i at = _mm256_add_epi64(g.addr, _mm256_slli_epi64(n, 4));
  const __m256d am = _mm256_castsi256_pd(active);
  __m256d X = _mm256_mask_i64gather_pd(g.X, static_cast<const double*>(nullptr), at, am, 1);
  __m256d Y = _mm256_mask_i64gather_pd(g.Y, static_cast<const double*>(nullptr), _mm256_add_epi64(at, _mm256_set1_epi64x(8)), am, 1);
  const __m256d zr = _mm256_add_pd(X, a), zi = _mm256_add_pd(Y, b);
  const __m256d zn = _mm256_fmadd_pd(zr, zr, _mm256_mul_pd(zi, zi));
  const unsigned escaped = bits_of(_mm256_cmp_pd(zn, _mm256_set1_pd(r.r2), _CMP_GT_OQ)) & g.active;
  // k >= max_iter: not (max_iter > k)
  const unsigned at_max = ~bits_of(_mm256_cmpgt_epi64(_mm256_set1_epi64x(max_iter), k)) & g.active;
  const unsigned done = escaped | at_max;
  const unsigned rebase = (bits_of(_mm256_cmp_pd(zn, _mm256_fmadd_pd(a, a, _mm256_mul_pd(b, b)), _CMP_LT_OQ)) |
                           bits_of(_mm256_cmpeq_epi64(n, g.last))) & g.active & ~done & 0xfu;
  if (rebase) {
    const __m256i rm = lanes_mask(rebase);
    a = blend(a, zr, rm);
    b = blend(b, zi, rm);
    n = blend(n, zero, rm);
    g.addr = blend(g.addr, _mm256_set1_epi64x(r.rebase_addr), rm);
    g.last = blend(g.last, _mm256_set1_epi64x(r.rebase_last), rm);
    X = blend(X, _mm256_set1_pd(f.rebase->z[0]), rm);
    Y = blend(Y, _mm256_set1_pd(f.rebase->z[1]), rm);
    for (unsigned m = rebase; m; m &= m - 1) g.table[__builtin_ctz(m)] = f.bla_rebase;
    g.on_rebase |= rebase;
  }
  g.a = a;
  g.b = b;
  g.n = n;
  g.k = k;
  g.X = X;
  g.Y = Y;
  if (done) {
    store4(g, zr, zi);
    for (unsigned m = done; m; m &= m - 1) {
      const int l = __builtin_ctz(m);
      r.sum += finish_lane(g.s, l, (escaped >> l) & 1u, f.max_iter, g.pixel[l], r.out, r.esc_x, r.esc_y);
      refill4(r, g, l);
    }
    load4(g);
  }
}

// The first stored level of a table: address and count (0: none).
void first4(const BlaTable* t, std::int64_t& base, std::int64_t& count) {
  base = count = 0;
  if (!t || t->levels <= t->min_level || t->d.empty()) return;
  base = reinterpret_cast<std::int64_t>(t->d.data() + t->offset[t->min_level]);
  count = static_cast<std::int64_t>(t->count[t->min_level]);
}

}  // namespace

FRACTAL_TARGET
std::uint64_t render_row_double_avx2(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                     double* esc_y) {
  Row4 r{f, row, out, esc_x, esc_y, std::ldexp(f.dx.m, static_cast<int>(f.dx.e)), f.escape_radius * f.escape_radius,
         reinterpret_cast<std::int64_t>(f.start->z.data()), reinterpret_cast<std::int64_t>(f.rebase->z.data()),
         static_cast<std::int64_t>(f.start->length()) - 1, static_cast<std::int64_t>(f.rebase->length()) - 1,
         0, 0, 0, 0};
  first4(f.bla_start, r.t_start, r.c_start);
  first4(f.bla_rebase, r.t_rebase, r.c_rebase);
  Group4 g0, g1;
  for (int l = 0; l < 4; ++l) refill4(r, g0, l);
  for (int l = 0; l < 4; ++l) refill4(r, g1, l);
  load4(g0);
  load4(g1);
  while (g0.active | g1.active) {
    if (g0.active) step4(r, g0);
    if (g1.active) step4(r, g1);
  }
  return r.sum;
}

// ---- Extended-exponent deltas (CxExp, floatexp.hpp), 4 lanes ---------------------------------------
// Every CxExp operation of the scalar pixel_exp, lane by lane, with the scalar functions' own
// operations: exponent_of reads the exponent field ((bits >> 52) & 0x7ff) - 1023, pow2(k) is the
// double with bits (k + 1023) << 52, scalings are multiplications by it (the same roundings, as
// the same operations), zero is (+0, +0, kZeroExp), a denormal maximum is first scaled by 2^64.

namespace {

struct V4 {
  __m256d re, im;
  __m256i e;
};

FRACTAL_TARGET inline __m256i splat(std::int64_t x) { return _mm256_set1_epi64x(x); }
FRACTAL_TARGET inline __m256d vabs4(__m256d x) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), x); }
// exponent_of(x): ((bits >> 52) & 0x7ff) - 1023
FRACTAL_TARGET inline __m256i vexponent_of(__m256d x) {
  return _mm256_sub_epi64(_mm256_and_si256(_mm256_srli_epi64(_mm256_castpd_si256(x), 52), splat(0x7ff)), splat(1023));
}
// pow2(k): the bits (k + 1023) << 52
FRACTAL_TARGET inline __m256d vpow2(__m256i k) {
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(k, splat(1023)), 52));
}
// a < b, a > b on int64 lanes
FRACTAL_TARGET inline __m256i lt64(__m256i a, __m256i b) { return _mm256_cmpgt_epi64(b, a); }

// normalise(re, im, e)
FRACTAL_TARGET inline V4 vnormalise4(__m256d re, __m256d im, __m256i e) {
  __m256d m = _mm256_max_pd(vabs4(re), vabs4(im));  // re, im finite: fmax
  const __m256d zero = _mm256_cmp_pd(m, _mm256_setzero_pd(), _CMP_EQ_OQ);
  __m256i k = vexponent_of(m);
  // denormal maximum (exponent field 0, m != 0): re, im scaled by 2^64 (exact), e -= 64
  const __m256i den = _mm256_andnot_si256(_mm256_castpd_si256(zero), _mm256_cmpeq_epi64(k, splat(-1023)));
  if (!_mm256_testz_si256(den, den)) {
    const __m256d dm = _mm256_castsi256_pd(den);
    const __m256d s64 = _mm256_set1_pd(0x1p64);
    re = _mm256_blendv_pd(re, _mm256_mul_pd(re, s64), dm);
    im = _mm256_blendv_pd(im, _mm256_mul_pd(im, s64), dm);
    e = _mm256_sub_epi64(e, _mm256_and_si256(den, splat(64)));
    m = _mm256_max_pd(vabs4(re), vabs4(im));
    k = vexponent_of(m);
  }
  const __m256d s = vpow2(_mm256_sub_epi64(_mm256_setzero_si256(), k));  // pow2(-k)
  V4 r;
  r.re = _mm256_andnot_pd(zero, _mm256_mul_pd(re, s));  // zero lanes: +0
  r.im = _mm256_andnot_pd(zero, _mm256_mul_pd(im, s));
  r.e = _mm256_blendv_epi8(_mm256_add_epi64(e, k), splat(kZeroExp), _mm256_castpd_si256(zero));
  return r;
}

// cx_mul(a, b)
FRACTAL_TARGET inline V4 vmul4(const V4& a, const V4& b) {
  const __m256d re = _mm256_fmsub_pd(a.re, b.re, _mm256_mul_pd(a.im, b.im));  // fma(a.re, b.re, -(a.im b.im))
  const __m256d im = _mm256_fmadd_pd(a.re, b.im, _mm256_mul_pd(a.im, b.re));
  const __m256i kz = splat(kZeroExp);
  const __m256i z = _mm256_or_si256(_mm256_cmpeq_epi64(a.e, kz), _mm256_cmpeq_epi64(b.e, kz));
  V4 r = vnormalise4(re, im, _mm256_add_epi64(a.e, b.e));
  r.re = _mm256_andnot_pd(_mm256_castsi256_pd(z), r.re);
  r.im = _mm256_andnot_pd(_mm256_castsi256_pd(z), r.im);
  r.e = _mm256_blendv_epi8(r.e, kz, z);
  return r;
}

// cx_add(a, b)
FRACTAL_TARGET inline V4 vadd4(const V4& a, const V4& b) {
  const __m256i swap = lt64(a.e, b.e);  // the larger exponent first
  const __m256d sw = _mm256_castsi256_pd(swap);
  const __m256d big_re = _mm256_blendv_pd(a.re, b.re, sw), big_im = _mm256_blendv_pd(a.im, b.im, sw);
  const __m256d small_re = _mm256_blendv_pd(b.re, a.re, sw), small_im = _mm256_blendv_pd(b.im, a.im, sw);
  const __m256i big_e = _mm256_blendv_epi8(a.e, b.e, swap), small_e = _mm256_blendv_epi8(b.e, a.e, swap);
  const __m256i d = _mm256_sub_epi64(small_e, big_e);  // <= 0
  const __m256i drop = lt64(d, splat(-1022));          // the smaller one dropped: the larger one as it is
  const __m256d s = vpow2(_mm256_andnot_si256(drop, d));
  const __m256d re = _mm256_add_pd(big_re, _mm256_mul_pd(small_re, s));
  const __m256d im = _mm256_add_pd(big_im, _mm256_mul_pd(small_im, s));
  V4 r = vnormalise4(re, im, big_e);
  const __m256d dm = _mm256_castsi256_pd(drop);
  r.re = _mm256_blendv_pd(r.re, big_re, dm);
  r.im = _mm256_blendv_pd(r.im, big_im, dm);
  r.e = _mm256_blendv_epi8(r.e, big_e, drop);
  return r;
}

// cx_norm_less(a, b): |a| < |b|, as lane bits
FRACTAL_TARGET inline unsigned vnorm_less4(const V4& a, const V4& b) {
  const __m256i kz = splat(kZeroExp);
  const unsigned bz = bits_of(_mm256_cmpeq_epi64(b.e, kz)), az = bits_of(_mm256_cmpeq_epi64(a.e, kz));
  const __m256i d = _mm256_sub_epi64(a.e, b.e);
  const __m256i d2 = _mm256_add_epi64(d, d);
  const __m256i lo = lt64(d2, splat(-8)), hi = _mm256_cmpgt_epi64(d2, splat(8));
  const __m256d na = _mm256_fmadd_pd(a.re, a.re, _mm256_mul_pd(a.im, a.im));
  const __m256d nb = _mm256_fmadd_pd(b.re, b.re, _mm256_mul_pd(b.im, b.im));
  // ldexp(na, d2) for |d2| <= 8: exact, as na * 2^d2
  const __m256d scaled = _mm256_mul_pd(na, vpow2(_mm256_andnot_si256(_mm256_or_si256(lo, hi), d2)));
  const unsigned cmp = bits_of(_mm256_cmp_pd(scaled, nb, _CMP_LT_OQ));
  const unsigned l = bits_of(lo), h = bits_of(hi);
  // b zero: false; else a zero: true; else by exponents, else by the scaled norms
  return ~bz & (az | (~az & (l | (~l & ~h & cmp)))) & 0xfu;
}

// cx_to_double(a): 0 for e < -1100, else ldexp(part, min(e, 2000)) with ldexp's one rounding, as
// two multiplications by powers of two of which the first is exact (or the second result is 0):
//   e < -1022: part * 2^(e + 1022), then * 2^-1022 (the first product, when not normal, is below
//              2^-1022 and the exact result below 2^-2044: both round to a zero of its sign)
//   e > 1023:  part * 2^1023, then * 2^(e - 1023) (both scale up: exact, or infinite both ways)
//   else:      part * 2^e, then * 1
FRACTAL_TARGET inline void vto_double4(const V4& a, __m256d& re, __m256d& im) {
  const __m256i tiny = lt64(a.e, splat(-1100));
  __m256i e = _mm256_blendv_epi8(a.e, splat(-1100), tiny);
  e = _mm256_blendv_epi8(e, splat(2000), _mm256_cmpgt_epi64(e, splat(2000)));
  const __m256i lo = lt64(e, splat(-1022)), hi = _mm256_cmpgt_epi64(e, splat(1023));
  const __m256i e1 = _mm256_blendv_epi8(_mm256_blendv_epi8(e, _mm256_add_epi64(e, splat(1022)), lo), splat(1023), hi);
  const __m256i e2 = _mm256_blendv_epi8(_mm256_and_si256(lo, splat(-1022)), _mm256_sub_epi64(e, splat(1023)), hi);
  const __m256d s1 = vpow2(e1), s2 = vpow2(e2);
  const __m256d tm = _mm256_castsi256_pd(tiny);
  re = _mm256_andnot_pd(tm, _mm256_mul_pd(_mm256_mul_pd(a.re, s1), s2));
  im = _mm256_andnot_pd(tm, _mm256_mul_pd(_mm256_mul_pd(a.im, s1), s2));
}

// norm2_less(delta, r2) (bla.cpp): |delta|^2 < m * 2^e exactly, as lane bits
FRACTAL_TARGET inline unsigned vnorm2_less4(const V4& d, __m256d rm, __m256i re) {
  const unsigned rzero = bits_of(_mm256_cmp_pd(rm, _mm256_setzero_pd(), _CMP_EQ_OQ));
  const unsigned dzero = bits_of(_mm256_cmpeq_epi64(d.e, splat(kZeroExp)));
  const __m256d n = _mm256_fmadd_pd(d.re, d.re, _mm256_mul_pd(d.im, d.im));  // [1, 8) unless zero
  const __m256i k = vexponent_of(n);
  const __m256i ne = _mm256_add_epi64(_mm256_add_epi64(d.e, d.e), k);
  const __m256d nm = _mm256_mul_pd(n, vpow2(_mm256_sub_epi64(_mm256_setzero_si256(), k)));
  const unsigned by_e = bits_of(lt64(ne, re)), same_e = bits_of(_mm256_cmpeq_epi64(ne, re));
  const unsigned by_m = bits_of(_mm256_cmp_pd(nm, rm, _CMP_LT_OQ));
  return ~rzero & (dzero | (~dzero & (by_e | (same_e & by_m)))) & 0xfu;
}

struct alignas(32) LanesX4 {
  double dre[4] = {}, dim[4] = {}, cre[4] = {}, cim[4] = {}, zre[4] = {}, zim[4] = {}, zr[4] = {}, zi[4] = {};
  std::int64_t de[4] = {}, ce[4] = {}, ze[4] = {}, n[4] = {}, k[4] = {}, addr[4] = {}, last[4] = {};
};

FRACTAL_TARGET inline __m256i load_i(const std::int64_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
FRACTAL_TARGET inline void store_i(std::int64_t* p, __m256i v) { _mm256_store_si256(reinterpret_cast<__m256i*>(p), v); }

FRACTAL_TARGET inline void load_lanes4(const LanesX4& s, V4& d, V4& dc, V4& Z, __m256i& n, __m256i& k, __m256i& addr,
                                       __m256i& last) {
  d = {_mm256_load_pd(s.dre), _mm256_load_pd(s.dim), load_i(s.de)};
  dc = {_mm256_load_pd(s.cre), _mm256_load_pd(s.cim), load_i(s.ce)};
  Z = {_mm256_load_pd(s.zre), _mm256_load_pd(s.zim), load_i(s.ze)};
  n = load_i(s.n);
  k = load_i(s.k);
  addr = load_i(s.addr);
  last = load_i(s.last);
}

// The 4 lanes' Z_n (a CxExp, 24 bytes: re, im, e) from their addresses: one 16-byte load (re, im)
// and one 8-byte load (e) per lane.
FRACTAL_TARGET inline void load_z4(const std::int64_t* where, V4& Z) {
  auto pair = [&](int l) { return _mm_loadu_pd(reinterpret_cast<const double*>(where[l])); };
  const __m256d lo = _mm256_set_m128d(pair(2), pair(0));  // re0 im0 re2 im2
  const __m256d hi = _mm256_set_m128d(pair(3), pair(1));  // re1 im1 re3 im3
  Z.re = _mm256_unpacklo_pd(lo, hi);                      // re0 re1 re2 re3
  Z.im = _mm256_unpackhi_pd(lo, hi);
  auto ex = [&](int l) { return *reinterpret_cast<const std::int64_t*>(where[l] + 16); };
  Z.e = _mm256_set_epi64x(ex(3), ex(2), ex(1), ex(0));
}

}  // namespace

FRACTAL_TARGET
std::uint64_t render_row_exp_avx2(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                  double* esc_y) {
  const __m256d r2 = _mm256_set1_pd(f.escape_radius * f.escape_radius);
  const std::int64_t max_iter = f.max_iter;
  static_assert(sizeof(CxExp) == 24, "CxExp layout");
  const std::int64_t start_addr = reinterpret_cast<std::int64_t>(f.start->zx.data());
  const std::int64_t rebase_addr = reinterpret_cast<std::int64_t>(f.rebase->zx.data());
  const std::int64_t start_last = static_cast<std::int64_t>(f.start->length()) - 1;
  const std::int64_t rebase_last = static_cast<std::int64_t>(f.rebase->length()) - 1;
  const bool bla = f.bla_start != nullptr;
  // the tables' shortest stored steps (level kBlaMinLevel): address and count (0: none)
  auto first = [](const BlaTable* t, std::int64_t& base, std::int64_t& count) {
    base = count = 0;
    if (!t || t->levels <= t->min_level || t->x.empty()) return;
    base = reinterpret_cast<std::int64_t>(t->x.data() + t->offset[t->min_level]);
    count = static_cast<std::int64_t>(t->count[t->min_level]);
  };
  std::int64_t t_start, c_start, t_rebase, c_rebase;
  first(f.bla_start, t_start, c_start);
  first(f.bla_rebase, t_rebase, c_rebase);

  LanesX4 s;
  const BlaTable* table[4] = {};
  unsigned on_rebase = 0, active = 0;  // lane bits; on_rebase: on the rebase orbit (and its table)
  std::uint32_t pixel[4] = {};
  std::uint32_t next = 0;
  std::uint64_t sum = 0;
  auto refill = [&](int l) {
    if (next >= f.width) {
      active &= ~(1u << l);
      return;
    }
    const std::uint32_t j = next++;
    start_exp_lane(s, l, f, row, j, start_addr, start_last);
    table[l] = f.bla_start;
    on_rebase &= ~(1u << l);
    pixel[l] = j;
    active |= 1u << l;
  };
  for (int l = 0; l < 4; ++l) s.addr[l] = start_addr;
  for (int l = 0; l < 4; ++l) refill(l);

  V4 d, dc, Z;
  __m256i n, k, addr, last;
  load_lanes4(s, d, dc, Z, n, k, addr, last);
  const __m256i one = splat(1), zero = _mm256_setzero_si256();
  const __m256i low = splat((std::int64_t{1} << kBlaMinLevel) - 1);
  const __m256i max_k_bla = splat(max_iter - (std::int64_t{1} << kBlaMinLevel));
  const CxExp& rz0 = f.rebase->zx[0];

  while (active) {
    const __m256i am = lanes_mask(active);
    // perturbation: X1 = d * w with w = 2 Z_n + d, X2 = dc; BLA: X1 = d * A, X2 = B * dc
    V4 w = vadd4(V4{Z.re, Z.im, _mm256_add_epi64(Z.e, one)}, d);
    V4 x2 = dc;
    __m256i len = one;
    if (bla) {
      const __m256i nm1 = _mm256_sub_epi64(n, one);
      // active, n != 0, (n - 1) aligned to the shortest step
      __m256i aligned = _mm256_andnot_si256(_mm256_cmpeq_epi64(n, zero),
                                            _mm256_and_si256(am, _mm256_cmpeq_epi64(_mm256_and_si256(nm1, low), zero)));
      unsigned cand = 0;
      if (bits_of(aligned)) {  // the shortest step's test for every aligned lane (BlaTable::find_x's first round)
        const __m256i ro = lanes_mask(on_rebase);
        const __m256i i = _mm256_srli_epi64(nm1, kBlaMinLevel);
        const __m256i base = blend(splat(t_start), splat(t_rebase), ro);
        const __m256i count = blend(splat(c_start), splat(c_rebase), ro);
        // i < count and k <= max_k
        aligned = _mm256_and_si256(aligned, _mm256_cmpgt_epi64(count, i));
        aligned = _mm256_andnot_si256(_mm256_cmpgt_epi64(k, max_k_bla), aligned);
        // step i at base + 64 i; R^2 = m * 2^e at + 48 (m), + 56 (e)
        static_assert(sizeof(BlaStepX) == 64 && offsetof(BlaStepX, r2) == 48, "BlaStepX layout");
        const __m256i at = _mm256_add_epi64(base, _mm256_slli_epi64(i, 6));
        const __m256d rm = _mm256_mask_i64gather_pd(_mm256_setzero_pd(), static_cast<const double*>(nullptr),
                                                    _mm256_add_epi64(at, splat(48)), _mm256_castsi256_pd(aligned), 1);
        const __m256i re_ = _mm256_mask_i64gather_epi64(zero, static_cast<const long long*>(nullptr),
                                                        _mm256_add_epi64(at, splat(56)), aligned, 1);
        cand = bits_of(aligned) & vnorm2_less4(d, rm, re_);
      }
      if (cand) {
        alignas(32) double dre[4], dim[4], AR[4] = {}, AI[4] = {}, BR[4] = {}, BI[4] = {};
        alignas(32) std::int64_t de[4], nn[4], kk[4], AE[4] = {}, BE[4] = {}, LL[4] = {1, 1, 1, 1};
        _mm256_store_pd(dre, d.re);
        _mm256_store_pd(dim, d.im);
        store_i(de, d.e);
        store_i(nn, n);
        store_i(kk, k);
        const unsigned used = find_exp_steps(cand, table, nn, kk, dre, dim, de, max_iter, AR, AI, AE, BR, BI, BE, LL);
        if (used) {
          const __m256i u = lanes_mask(used);
          w.re = blend(w.re, _mm256_load_pd(AR), u);
          w.im = blend(w.im, _mm256_load_pd(AI), u);
          w.e = blend(w.e, load_i(AE), u);
          const V4 bdc = vmul4(V4{_mm256_load_pd(BR), _mm256_load_pd(BI), load_i(BE)}, dc);
          x2.re = blend(x2.re, bdc.re, u);
          x2.im = blend(x2.im, bdc.im, u);
          x2.e = blend(x2.e, bdc.e, u);
          len = load_i(LL);
        }
      }
    }
    d = vadd4(vmul4(d, w), x2);
    n = _mm256_add_epi64(n, len);
    k = _mm256_add_epi64(k, len);
    // Z at the new index, addr + 24 n = addr + 8 n + 16 n; idle lanes (whose n runs on) load Z_0
    // of the start orbit instead
    alignas(32) std::int64_t where[4];
    store_i(where, blend(splat(start_addr),
                         _mm256_add_epi64(addr, _mm256_add_epi64(_mm256_slli_epi64(n, 3), _mm256_slli_epi64(n, 4))), am));
    load_z4(where, Z);
    const V4 z = vadd4(Z, d);
    __m256d zr, zi;
    vto_double4(z, zr, zi);
    const __m256d zn = _mm256_fmadd_pd(zr, zr, _mm256_mul_pd(zi, zi));
    const unsigned escaped = bits_of(_mm256_cmp_pd(zn, r2, _CMP_GT_OQ)) & active;
    const unsigned at_max = ~bits_of(_mm256_cmpgt_epi64(splat(max_iter), k)) & active;  // k >= max_iter
    const unsigned done = escaped | at_max;
    const unsigned rebase = (vnorm_less4(z, d) | bits_of(_mm256_cmpeq_epi64(n, last))) & active & ~done;
    if (rebase) {  // delta <- z, n <- 0 on the rebase orbit
      const __m256i rm = lanes_mask(rebase);
      d.re = blend(d.re, z.re, rm);
      d.im = blend(d.im, z.im, rm);
      d.e = blend(d.e, z.e, rm);
      n = blend(n, zero, rm);
      addr = blend(addr, splat(rebase_addr), rm);
      last = blend(last, splat(rebase_last), rm);
      Z.re = blend(Z.re, _mm256_set1_pd(rz0.re), rm);
      Z.im = blend(Z.im, _mm256_set1_pd(rz0.im), rm);
      Z.e = blend(Z.e, splat(rz0.e), rm);
      for (unsigned m = rebase; m; m &= m - 1) table[__builtin_ctz(m)] = f.bla_rebase;
      on_rebase |= rebase;
    }
    if (done) {  // finish those pixels, refill their lanes
      _mm256_store_pd(s.dre, d.re);
      _mm256_store_pd(s.dim, d.im);
      store_i(s.de, d.e);
      _mm256_store_pd(s.cre, dc.re);
      _mm256_store_pd(s.cim, dc.im);
      store_i(s.ce, dc.e);
      _mm256_store_pd(s.zre, Z.re);
      _mm256_store_pd(s.zim, Z.im);
      store_i(s.ze, Z.e);
      _mm256_store_pd(s.zr, zr);
      _mm256_store_pd(s.zi, zi);
      store_i(s.n, n);
      store_i(s.k, k);
      store_i(s.addr, addr);
      store_i(s.last, last);
      for (unsigned m = done; m; m &= m - 1) {
        const int l = __builtin_ctz(m);
        sum += finish_lane(s, l, (escaped >> l) & 1u, f.max_iter, pixel[l], out, esc_x, esc_y);
        refill(l);
      }
      load_lanes4(s, d, dc, Z, n, k, addr, last);
    }
  }
  return sum;
}

namespace {
FRACTAL_TARGET inline V4 load_cx4(const CxExp* x) {
  return V4{_mm256_set_pd(x[3].re, x[2].re, x[1].re, x[0].re), _mm256_set_pd(x[3].im, x[2].im, x[1].im, x[0].im),
            _mm256_set_epi64x(x[3].e, x[2].e, x[1].e, x[0].e)};
}
FRACTAL_TARGET inline void store_cx4(const V4& v, CxExp* x) {
  alignas(32) double re[4], im[4];
  alignas(32) std::int64_t e[4];
  _mm256_store_pd(re, v.re);
  _mm256_store_pd(im, v.im);
  store_i(e, v.e);
  for (int l = 0; l < 4; ++l) x[l] = CxExp{re[l], im[l], e[l]};
}
}  // namespace

FRACTAL_TARGET
CxOps4 cx_ops_avx2(const CxExp* a, const CxExp* b, const RealExp* r2) {
  const V4 va = load_cx4(a), vb = load_cx4(b);
  CxOps4 r;
  store_cx4(vnormalise4(va.re, va.im, va.e), r.norm);
  store_cx4(vadd4(va, vb), r.add);
  store_cx4(vmul4(va, vb), r.mul);
  const unsigned less = vnorm_less4(va, vb);
  const unsigned n2 = vnorm2_less4(va, _mm256_set_pd(r2[3].m, r2[2].m, r2[1].m, r2[0].m),
                                   _mm256_set_epi64x(r2[3].e, r2[2].e, r2[1].e, r2[0].e));
  __m256d re, im;
  vto_double4(va, re, im);
  _mm256_storeu_pd(r.re, re);
  _mm256_storeu_pd(r.im, im);
  for (int l = 0; l < 4; ++l) {
    r.less[l] = (less >> l) & 1u;
    r.norm2_less[l] = (n2 >> l) & 1u;
  }
  return r;
}

}  // namespace fractal::deep
