#pragma once
// The optional per-pixel data next to /counts (docs/FORMAT.md "Smooth and distance data"):
// /smooth, the continuous escape value, and /distance, the exterior distance estimate. Both derive
// from a pixel's count and a scalar re-run of its orbit with family_step (family.hpp), so they are
// the same whichever kernel produced the counts (/smooth alone: only the steps past escape are
// re-run, from the z at escape that the row kernel reports). No MPI, HDF5 or I/O here.
#include <cstdint>

#include "fractal/config/frame_plan.hpp"

namespace fractal {

// Extra steps past the first escape (at most), and the bailout |z|^2 they stop at.
inline constexpr std::uint32_t kExtrasExtraSteps = 64;
inline constexpr double kExtrasBailout2 = 18446744073709551616.0;  // 2^64

struct PixelExtras {
  float smooth = 0;    // interior: max_iter
  float distance = 0;  // interior, non-finite or not requested: 0
};

// The extras of one point (x, y) = pixel_point(...) whose count is `count`. Throws
// std::logic_error if the re-run does not first escape at step count + 1 (a bug somewhere).
// want_distance: also track the derivative (multibrot family only; ignored otherwise: 0).
PixelExtras point_extras(const FrameParams& p, double x, double y, std::uint32_t count, bool want_distance);

// Row `row` of a frame: counts[0 .. width) as the kernel produced them; writes smooth[0 .. width)
// and/or distance[0 .. width) (either may be null: not computed).
void render_row_extras(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts, float* smooth,
                       float* distance);
// The same, given also each escaped pixel's z at its escape step as a row kernel reports it
// (kernel.hpp render_row_*_esc: esc_x, esc_y [0 .. width)). The smooth value then needs only the
// steps past escape, taken from that z exactly as the full re-run takes them, so it is the same
// bit for bit, at a fraction of the cost. The distance needs the derivative along the whole orbit:
// with distance non-null (or esc_x / esc_y null) this is the full re-run above. A pixel whose z
// is not reported (not an escaped z) is re-run too.
void render_row_extras(const FrameParams& p, std::uint32_t row, const std::uint32_t* counts, const double* esc_x,
                       const double* esc_y, float* smooth, float* distance);

}  // namespace fractal
