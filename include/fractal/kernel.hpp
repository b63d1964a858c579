#pragma once
// The escape-time kernel: pure functions from a frame's parameters and a row range to counts.
// No MPI, HDF5, globals or I/O here. Every variant gives counts bit-identical to the scalar
// reference, which follows DESIGN.md's arithmetic literally.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fractal/frame_plan.hpp"

namespace fractal {

enum class KernelKind { Scalar, Avx2, Avx512 };
const char* kernel_name(KernelKind k);

// The count of one point (DESIGN.md "Iteration semantics"): z_{k+1} = z_k^2 + c, the first k >= 1
// with |z_k|^2 > R^2 gives k - 1; no escape within max_iter gives max_iter.
std::uint32_t iterate_point(double zx, double zy, double cx, double cy, std::uint32_t max_iter,
                            double r2);

// Pixel centres (DESIGN.md "Pixel to complex plane"); row 0 is the top.
inline double pixel_x(const FrameParams& p, std::uint32_t j) {
  const double dx = (p.xmax - p.xmin) / p.width;
  return p.xmin + (j + 0.5) * dx;
}
inline double pixel_y(const FrameParams& p, std::uint32_t i) {
  const double dy = (p.ymax - p.ymin) / p.height;
  return p.ymax - (i + 0.5) * dy;
}

// Renders row `row` of a frame into out[0 .. width) and returns the sum of its counts.
// The row-level signature every variant implements.
using RowKernel = std::uint64_t (*)(const FrameParams& p, std::uint32_t row, std::uint32_t* out);

std::uint64_t render_row_scalar(const FrameParams& p, std::uint32_t row, std::uint32_t* out);
std::uint64_t render_row_avx2(const FrameParams& p, std::uint32_t row, std::uint32_t* out);
std::uint64_t render_row_avx512(const FrameParams& p, std::uint32_t row, std::uint32_t* out);

// Runtime dispatch: which variants this CPU can run, and the function for one.
bool kernel_supported(KernelKind k);
std::vector<KernelKind> supported_kernels();
KernelKind best_kernel();
RowKernel row_kernel(KernelKind k);
// Parses "auto" | "scalar" | "avx2" | "avx512"; throws UsageError if unknown or not supported.
KernelKind kernel_from_name(const std::string& name);

}  // namespace fractal
