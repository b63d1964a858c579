#pragma once
// The escape-time kernel: pure functions from a frame's parameters and a row range to counts.
// No MPI, HDF5, globals or I/O here. Every variant gives counts bit-identical to the scalar
// reference, which follows DESIGN.md's arithmetic literally.
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fractal/config/frame_plan.hpp"

namespace fractal {

enum class KernelKind { Scalar, Avx2, Avx512 };
const char* kernel_name(KernelKind k);

// The count of one point (DESIGN.md "Iteration semantics"): z_{k+1} = z_k^2 + c, the first k >= 1
// with |z_k|^2 > R^2 gives k - 1; no escape within max_iter gives max_iter.
std::uint32_t iterate_point(double zx, double zy, double cx, double cy, std::uint32_t max_iter,
                            double r2);
// The same for any family (family.hpp): z_{k+1} = family_step(z_k) (power: the Multibrot degree,
// ignored by the other families), the same count semantics and escape test. Multibrot with
// power <= 2 is iterate_point exactly.
std::uint32_t iterate_point_family(Family fam, std::uint32_t power, double zx, double zy,
                                   double cx, double cy, std::uint32_t max_iter, double r2);
// The same, also giving the z at the escape step k (the first z with fma(x, x, y*y) > r2) in
// esc_x, esc_y; when the point does not escape within max_iter, z after max_iter steps.
std::uint32_t iterate_point_family_z(Family fam, std::uint32_t power, double zx, double zy, double cx,
                                     double cy, std::uint32_t max_iter, double r2, double& esc_x,
                                     double& esc_y);

// Pixel centres (DESIGN.md "Pixel to complex plane"); row 0 is the top.
inline double pixel_x(const FrameParams& p, std::uint32_t j) {
  const double dx = (p.xmax - p.xmin) / p.width;
  return p.xmin + (j + 0.5) * dx;
}
inline double pixel_y(const FrameParams& p, std::uint32_t i) {
  const double dy = (p.ymax - p.ymin) / p.height;
  return p.ymax - (i + 0.5) * dy;
}
// The point of pixel (row i, column j) for any frame: DESIGN.md's mapping when the frame is not
// rotated; otherwise that point rotated about the view's centre (docs/FORMAT.md "Rotation"):
//   cx = 0.5 * (xmin + xmax), cy = 0.5 * (ymin + ymax), u = x_j - cx, v = y_i - cy
//   x = cx + fma(cos, u, -(sin * v)),  y = cy + fma(sin, u, cos * v)
inline void pixel_point(const FrameParams& p, std::uint32_t i, std::uint32_t j, double& x, double& y) {
  const double px = pixel_x(p, j), py = pixel_y(p, i);
  if (!p.rotated()) {
    x = px;
    y = py;
    return;
  }
  const double cx = 0.5 * (p.xmin + p.xmax), cy = 0.5 * (p.ymin + p.ymax);
  const double u = px - cx, v = py - cy;
  x = cx + std::fma(p.rot_cos, u, -(p.rot_sin * v));
  y = cy + std::fma(p.rot_sin, u, p.rot_cos * v);
}

// ---- Mandelbrot interior skipping (FrameParams::skip_interior) ----
// A pixel c inside the main cardioid or the period-2 bulb has an attracting fixed point / 2-cycle,
// so its orbit from z0 = 0 never escapes (it stays within |z| <= 1.73): its count is max_iter.
// The test is conservative: it accepts c only if the multiplier of the attracting cycle has
// modulus <= 1 - kInteriorMargin (cardioid: |1 - sqrt(1 - 4c)|, bulb: |4(c + 1)|), so points on or
// near the boundary, where the orbit converges slowly, are always iterated, and the test's own
// rounding (~1e-15) cannot matter. Valid only for z0 = 0 and escape radius >= 2.
inline constexpr double kInteriorMargin = 1.0 / 262144;  // 2^-18 = 3.8e-6
// True when skipping applies to this frame: skip_interior, Mandelbrot-type, family Multibrot with
// power 2 (the classic set: the cardioid and bulb are its components only), z0 = 0, R^2 >= 4.
bool interior_skip_applies(const FrameParams& p);
// The test for one point c (no other condition checked).
bool mandelbrot_interior(double cx, double cy);
// flags[j] = mandelbrot_interior(pixel_point(p, row, j)) for j < p.width (the rotated point when the
// frame is rotated); returns how many.
std::uint32_t mark_interior_row(const FrameParams& p, std::uint32_t row, std::uint8_t* flags);

// ---- Testing escape every K steps (SIMD kernels) ----
// A lane may skip the escape test for a few steps and replay them from the saved state when the
// test after the block fires, only if an escaped orbit provably stays escaped (so the test after
// the block sees every escape inside it): R >= 2 and |c| <= R^2 - R, less a margin that covers
// rounding. Returns the largest allowed |c|^2, or -1 where no c qualifies (R < 2, R^2 overflows).
double blocked_c2_limit(double r2);

// Renders row `row` of a frame into out[0 .. width) and returns the sum of its counts.
// The row-level signature every variant implements.
using RowKernel = std::uint64_t (*)(const FrameParams& p, std::uint32_t row, std::uint32_t* out);

std::uint64_t render_row_scalar(const FrameParams& p, std::uint32_t row, std::uint32_t* out);
std::uint64_t render_row_avx2(const FrameParams& p, std::uint32_t row, std::uint32_t* out);
std::uint64_t render_row_avx512(const FrameParams& p, std::uint32_t row, std::uint32_t* out);

// The same row, also reporting each escaped pixel's z at its escape step k = count + 1 (the first z
// with fma(x, x, y*y) > R^2, bit-identical in every variant to iterate_point_family_z's) in
// esc_x[j], esc_y[j]; pixels that do not escape (count max_iter, interior-skipped or iterated) get
// NaN. esc_x and esc_y null: exactly the plain row kernel. The plain kernels above have no extra
// cost for this: the reporting stores exist only in these variants (extras.hpp uses them for
// /smooth).
using RowKernelEsc = std::uint64_t (*)(const FrameParams& p, std::uint32_t row, std::uint32_t* out,
                                       double* esc_x, double* esc_y);
std::uint64_t render_row_scalar_esc(const FrameParams& p, std::uint32_t row, std::uint32_t* out,
                                    double* esc_x, double* esc_y);
std::uint64_t render_row_avx2_esc(const FrameParams& p, std::uint32_t row, std::uint32_t* out,
                                  double* esc_x, double* esc_y);
std::uint64_t render_row_avx512_esc(const FrameParams& p, std::uint32_t row, std::uint32_t* out,
                                    double* esc_x, double* esc_y);
// The reporting variant of a plain row kernel (render_row_scalar / _avx2 / _avx512, as row_kernel
// gives them); null for any other function.
RowKernelEsc escape_row_kernel(RowKernel k);

// Runtime dispatch: which variants this CPU can run, and the function for one.
bool kernel_supported(KernelKind k);
std::vector<KernelKind> supported_kernels();
KernelKind best_kernel();
RowKernel row_kernel(KernelKind k);
// Parses "auto" | "scalar" | "avx2" | "avx512"; throws UsageError if unknown or not supported.
KernelKind kernel_from_name(const std::string& name);

}  // namespace fractal
