#pragma once
// Internal to the vector perturbation kernels (perturb_avx512.cpp, perturb_avx2.cpp): the scalar
// parts they share, on the lanes' spilled state (arrays of 8 or 4).
#include <cmath>
#include <cstdint>
#include <limits>

#include "fractal/deep/perturb.hpp"

namespace fractal::deep {

// Lane l takes pixel j: the scalar pixel_double's start (Mandelbrot delta = 0, dc = the offset;
// Julia delta = the offset, dc = 0; n = k = 0 on the start orbit).
template <class Lanes>
void start_double_lane(Lanes& s, int l, const DeepFrame& f, std::uint32_t row, std::uint32_t j, double dx,
                       std::int64_t start_addr, std::int64_t start_last) {
  double u, v;
  pixel_offset(f, row, j, u, v);
  s.a[l] = s.b[l] = s.p[l] = s.q[l] = 0;
  if (f.julia) {
    s.a[l] = std::fma(u, dx, f.off_re);
    s.b[l] = std::fma(v, dx, f.off_im);
  } else {
    s.p[l] = std::fma(u, dx, f.off_re);
    s.q[l] = std::fma(v, dx, f.off_im);
  }
  s.n[l] = s.k[l] = 0;
  s.addr[l] = start_addr;
  s.last[l] = start_last;
  s.X[l] = f.start->z[0];
  s.Y[l] = f.start->z[1];
}

// Lane l takes pixel j with extended-exponent deltas: the scalar pixel_exp's start (off =
// cx_scaled(u m, v m, e) with dx = m 2^e; Mandelbrot delta = 0, dc = off; Julia delta = off, dc = 0;
// Z = the start orbit's Z_0, n = k = 0).
template <class Lanes>
void start_exp_lane(Lanes& s, int l, const DeepFrame& f, std::uint32_t row, std::uint32_t j, std::int64_t start_addr,
                    std::int64_t start_last) {
  double u, v;
  pixel_offset(f, row, j, u, v);
  CxExp off = cx_scaled(u * f.dx.m, v * f.dx.m, f.dx.e);
  if (f.has_offset) off = cx_add(off, f.off_x);
  CxExp d, dc;
  if (f.julia) d = off;
  else dc = off;
  s.dre[l] = d.re;
  s.dim[l] = d.im;
  s.de[l] = d.e;
  s.cre[l] = dc.re;
  s.cim[l] = dc.im;
  s.ce[l] = dc.e;
  const CxExp& z0 = f.start->zx[0];
  s.zre[l] = z0.re;
  s.zim[l] = z0.im;
  s.ze[l] = z0.e;
  s.n[l] = s.k[l] = 0;
  s.addr[l] = start_addr;
  s.last[l] = start_last;
}

// Lane l's pixel is done (escaped, or at max_iter): its count (and z at escape, NaN when none)
// into the row's outputs. Returns the count.
template <class Lanes>
std::uint32_t finish_lane(const Lanes& s, int l, bool escaped, std::uint32_t max_iter, std::uint32_t pixel,
                          std::uint32_t* out, double* esc_x, double* esc_y) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const std::uint32_t count = escaped ? static_cast<std::uint32_t>(s.k[l] - 1) : max_iter;
  out[pixel] = count;
  if (esc_x) esc_x[pixel] = escaped ? s.zr[l] : kNaN;
  if (esc_y) esc_y[pixel] = escaped ? s.zi[l] : kNaN;
  return count;
}

// The BLA steps of the lanes in `candidates` (bits; lanes whose shortest step is valid): the
// longest valid one per lane (BlaTable::find_d with the lane's orbit index nn, iteration kk and
// |delta|^2 norm2), its A, B and length written at the lane's index. Returns the lanes that take
// one (bits).
inline unsigned find_double_steps(unsigned candidates, const BlaTable* const* table, const std::int64_t* nn,
                                  const std::int64_t* kk, const double* norm2, std::int64_t max_iter, double* AR,
                                  double* AI, double* BR, double* BI, std::int64_t* LL) {
  unsigned used = 0;
  for (unsigned m = candidates; m; m &= m - 1) {
    const int l = __builtin_ctz(m);
    const std::size_t nl = static_cast<std::size_t>(nn[l]);
    const int level = table[l]->find_d(nl, norm2[l], static_cast<std::uint64_t>(max_iter - kk[l]));
    if (level < 0) continue;
    const BlaStepD& st = table[l]->step_d(level, nl);
    AR[l] = st.ar;
    AI[l] = st.ai;
    BR[l] = st.br;
    BI[l] = st.bi;
    LL[l] = std::int64_t{1} << level;
    used |= 1u << l;
  }
  return used;
}

// The same for extended-exponent deltas (BlaTable::find_x with the lane's delta dre/dim/de):
// A and B as CxExp parts.
inline unsigned find_exp_steps(unsigned candidates, const BlaTable* const* table, const std::int64_t* nn,
                               const std::int64_t* kk, const double* dre, const double* dim, const std::int64_t* de,
                               std::int64_t max_iter, double* AR, double* AI, std::int64_t* AE, double* BR,
                               double* BI, std::int64_t* BE, std::int64_t* LL) {
  unsigned used = 0;
  for (unsigned m = candidates; m; m &= m - 1) {
    const int l = __builtin_ctz(m);
    if (!table[l]) continue;
    const std::size_t nl = static_cast<std::size_t>(nn[l]);
    const int level = table[l]->find_x(nl, CxExp{dre[l], dim[l], de[l]}, static_cast<std::uint64_t>(max_iter - kk[l]));
    if (level < 0) continue;
    const BlaStepX& st = table[l]->step_x(level, nl);
    AR[l] = st.a.re;
    AI[l] = st.a.im;
    AE[l] = st.a.e;
    BR[l] = st.b.re;
    BI[l] = st.b.im;
    BE[l] = st.b.e;
    LL[l] = std::int64_t{1} << level;
    used |= 1u << l;
  }
  return used;
}

}  // namespace fractal::deep
