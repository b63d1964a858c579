#pragma once
// Vector variants of the perturbation kernel (perturb.hpp): the same counts, bit for bit, as the
// scalar reference in perturb.cpp, chosen at run time (DeepFrame::lanes).
#include <cstdint>

#include "fractal/deep/perturb.hpp"

namespace fractal::deep {

// Whether this CPU runs the AVX-512 variant (avx512f and avx512dq).
bool perturb_avx512_available();

// Double deltas (Method::PerturbDouble), with or without BLA, 8 pixels at once: the counts of row
// `row` into out[0 .. width) and, where esc_x/esc_y are not null, z at the escape step (NaN where
// the pixel does not escape). Returns the sum of the counts. Only on a CPU where
// perturb_avx512_available().
std::uint64_t render_row_double_avx512(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                       double* esc_y);

// AVX2 + FMA (4 pixels per vector): the same contract as the AVX-512 ones. Only on a CPU where
// perturb_avx2_available().
bool perturb_avx2_available();
std::uint64_t render_row_double_avx2(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                     double* esc_y);

// The same for extended-exponent deltas (Method::PerturbExp): every CxExp operation of the scalar
// kernel, lane by lane.
std::uint64_t render_row_exp_avx512(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                    double* esc_y);
std::uint64_t render_row_exp_avx2(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                  double* esc_y);

// For tests: the AVX2 kernel's CxExp operations on 4 lanes (a[l], b[l], r2[l] -> lane l), each to
// equal its scalar floatexp.hpp / bla.hpp counterpart bit for bit: normalise(a.re, a.im, a.e) (a
// need not be normalised), cx_add, cx_mul, cx_norm_less(a, b), cx_to_double(a), norm2_less(a, r2).
struct CxOps4 {
  CxExp norm[4], add[4], mul[4];
  bool less[4], norm2_less[4];
  double re[4], im[4];
};
CxOps4 cx_ops_avx2(const CxExp* a, const CxExp* b, const RealExp* r2);

}  // namespace fractal::deep
