#pragma once
// Exponential-map composition (docs/ANIMATION.md "Exponential map"): the video frames of a smooth
// zoom, resampled from the coloured keyframes of a zoom sequence (fractal-render --zoom-sequence R:
// keyframe k covers width w0 / R^k, on a grid `oversize` times finer than the video frame).
//
// Video frame j of M sits at zoom position z = Z j / (M - 1) keyframe steps, i.e. width w0 / R^z,
// where Z = log_R(w0 / w1) <= keyframes - 1 is the zoom asked for (so the video ends at w1). With k = floor(z) (at most K - 1) and a = z - k, the frame covers the centre
// R^-a of keyframe k ("coarse", which covers all of it) and R^(1-a) times keyframe k+1's extent
// ("fine", which covers the centre 1 / R^(1-a) of the frame, at a finer grid). Each video pixel
// averages its footprint in each keyframe (n x n bilinear taps spread over it, n = ceil(oversize R),
// the largest footprint, fixed for the whole video), and inside the fine keyframe mixes the two:
//   colour = (1 - wf) coarse + wf fine,  wf = a * clamp((1 - r) / (b (1 - a)), 0, 1)
// with r = 2 max(|x|, |y|) the pixel's position in the fine keyframe's extent (0 at the centre, 1
// at its edge) and b = kComposeBand. So the fine keyframe fades in as a goes 0 -> 1 and is feathered
// into the coarse one at its edge; at a = 0 the frame is keyframe k alone and at a = 1 keyframe
// k+1 alone, so consecutive frames never jump when a keyframe hands over to the next.
#include <cstdint>

#include "fractal/colour/image.hpp"

namespace fractal::colour {

inline constexpr double kComposeBand = 0.2;  // feather width at a = 0, in units of the fine extent's half-size

struct ComposePosition {
  std::uint64_t coarse = 0;  // keyframe k (the fine one is k + 1)
  double a = 0;              // in [0, 1]
};

// Where video frame j of `video_frames` lies in a sequence of `keyframes` (>= 2) keyframes whose
// zoom ends `steps` keyframe steps in (log_R(w0 / w1) <= keyframes - 1: the last keyframe may be
// narrower than the end asked for): z = steps j / (video_frames - 1).
ComposePosition compose_position(std::uint64_t j, std::uint64_t video_frames, std::uint64_t keyframes, double steps);

// One video frame of out_w x out_h from keyframes k (coarse) and k + 1 (fine; the same size as
// coarse) at position a, for a zoom ratio R between them. Both keyframes' views share their centre
// and aspect ratio with the video frame. Multithreaded over rows.
ImageF compose_frame(const ImageF& coarse, const ImageF& fine, double a, double ratio, std::uint32_t out_w,
                     std::uint32_t out_h);

}  // namespace fractal::colour
