// The double-delta perturbation kernel with BLA across 4 pixels per vector (AVX2 + FMA), for CPUs
// without AVX-512: the same algorithm and operations as perturb_avx512.cpp's double kernel (see
// there), so bit-identical to the scalar pixel_double. Lane masks are vectors (all bits set in a
// true lane); two groups of 4 lanes run side by side.
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

}  // namespace fractal::deep
