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

// AVX2 + FMA (4 pixels per vector), double deltas only: the same contract as the AVX-512 one.
bool perturb_avx2_available();
std::uint64_t render_row_double_avx2(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                     double* esc_y);

// The same for extended-exponent deltas (Method::PerturbExp): every CxExp operation of the scalar
// kernel, lane by lane.
std::uint64_t render_row_exp_avx512(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, double* esc_x,
                                    double* esc_y);

}  // namespace fractal::deep
