#pragma once
// Perturbation with rebasing (docs/FORMAT.md "Deep zoom"): each pixel iterates its difference
// delta from a reference orbit Z (reference.hpp), z_k = Z_n + delta_n:
//   delta_{n+1} = (2 Z_n + delta_n) * delta_n + dc
// and rebases (delta <- z, n <- 0 on an orbit with Z_0 = 0) when |z| < |delta| or the reference
// ends. With rebasing one reference serves every pixel of a frame, with no glitch detection.
// Where a frame has BLA tables (bla.hpp), a pixel at an aligned orbit index takes the longest
// valid bilinear step instead of single steps, and tests escape and rebasing after it.
// Counts follow the double path's definition (first k >= 1 with |z_k|^2 > R^2, minus 1;
// max_iter if none). Pure functions: no MPI, HDF5 or I/O.
#include <cstdint>

#include "fractal/deep/bla.hpp"
#include "fractal/deep/floatexp.hpp"
#include "fractal/deep/reference.hpp"

namespace fractal::deep {

// How a frame is computed; stored per frame as /frames/method.
enum class Method : std::uint8_t {
  Double = 0,         // the double kernels (kernel.hpp): view resolved by double coordinates
  PerturbDouble = 1,  // perturbation, deltas in double (pixel spacing >= kDoubleDeltaLimit)
  PerturbExp = 2,     // perturbation, deltas in CxExp (double mantissa + 64-bit exponent)
};
const char* method_name(Method m);  // "double", "perturbation", "perturbation-exp"

// Deltas stay in double while the pixel spacing is at least 2^kDoubleDeltaLog2 (about 1e-289):
// offsets and their products then stay clear of double's denormals (2^-1022).
inline constexpr std::int64_t kDoubleDeltaLog2 = -960;

// Everything the deep kernel needs for one frame. The orbits belong to the job (DeepJob).
struct DeepFrame {
  Method method = Method::PerturbDouble;
  bool julia = false;
  std::uint32_t width = 0, height = 0;  // the stored (sample) grid
  std::uint32_t max_iter = 0;
  double escape_radius = 2.0;
  double rot_cos = 1.0, rot_sin = 0.0;  // rotation about the centre (cos, sin exactly 1, 0: none)
  RealExp dx;                           // pixel spacing: view width / width
  // The frame's centre minus the reference's (a deep zoom whose centre moves; 0 otherwise): a
  // pixel's offset from the reference is off + (u, v) dx: fma(u, dx, off) with double deltas,
  // cx_add(cx_scaled(u m, v m, e), off_x) with extended ones (only when has_offset).
  bool has_offset = false;
  double off_re = 0, off_im = 0;
  CxExp off_x;
  // Mandelbrot: start = rebase = the orbit of the centre C from Z_0 = 0; a pixel has dc = its
  // offset, delta_0 = 0. Julia: start = the orbit from Z_0 = the centre (c = Julia's c), a pixel has
  // delta_0 = its offset, dc = 0; rebase = the critical orbit from Z_0 = 0.
  const ReferenceOrbit* start = nullptr;
  const ReferenceOrbit* rebase = nullptr;
  // 8: the AVX-512 kernels (perturb_simd.hpp); 4: the AVX2 kernels; 1: scalar (and always with
  // /distance). Both delta types in each; all give the same counts (and z at escape), bit for bit;
  // set from the job's --kernel choice.
  std::uint8_t lanes = 1;
  // The BLA tables of start and rebase (bla.hpp); null: plain perturbation (--no-bla).
  const BlaTable* bla_start = nullptr;
  const BlaTable* bla_rebase = nullptr;
  // c in double (Julia's c, or the Mandelbrot centre): the steps after escape (smooth values) use
  // it; a deep pixel's c differs from it by less than double resolves there.
  double c_re = 0, c_im = 0;
};

// The pixel's offset from the frame's centre in pixel spacings (before scaling by dx; the frame's
// offset from the reference, DeepFrame::off_*, is added after scaling): u = j + 0.5 - W/2,
// v = -(i + 0.5 - H/2), rotated: (fma(cos, u, -(sin v)), fma(sin, u, cos v)). Exact without rotation.
void pixel_offset(const DeepFrame& f, std::uint32_t i, std::uint32_t j, double& u, double& v);

// The count of pixel (row i, column j); esc_x/esc_y: z at the escape step (NaN when the pixel
// does not escape).
std::uint32_t perturb_pixel(const DeepFrame& f, std::uint32_t i, std::uint32_t j, double& esc_x, double& esc_y);

// Row `row` into out[0 .. width): counts; smooth and distance (optional, may be null): the pixels'
// /smooth values (deep_smooth) and /distance in this frame's pixel spacings: the exterior distance
// estimate |z| log|z| / |dz| / dx with the derivative dz tracked in CxExp along the same run (it
// does not change the counts). Returns the sum of the counts.
std::uint64_t render_row_deep(const DeepFrame& f, std::uint32_t row, std::uint32_t* out, float* smooth, float* distance);

// The smooth value (docs/FORMAT.md "Smooth and distance data", the same formula as the double
// path) of a pixel with count n < max_iter from its z at the escape step: continue z <- z^2 + c
// with c = (c_re + dc) in double while |z|^2 <= 2^64, at most 64 steps; max_iter for interior.
float deep_smooth(const DeepFrame& f, std::uint32_t count, double zx, double zy, double cx, double cy);
// The pixel's c in double (for deep_smooth): Julia's c, or the centre plus the pixel's offset.
void pixel_c_double(const DeepFrame& f, std::uint32_t i, std::uint32_t j, double& cx, double& cy);

}  // namespace fractal::deep
