#pragma once
// The per-frame parameters of a job, derived once from the Config (the animation path).
#include <cstdint>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/kernel/family.hpp"
#include "fractal/config/keyframes.hpp"

namespace fractal {

namespace deep {
struct DeepFrame;  // deep/perturb.hpp
}

// Everything the kernel needs for one frame. Plain data, no behaviour.
struct FrameParams {
  Fractal fractal = Fractal::Julia;
  Family family = Family::Multibrot;         // family.hpp: which f(z) in z' = f(z) + c
  std::uint32_t power = 2;                   // Multibrot degree d (2..8)
  std::uint32_t width = 0, height = 0;       // the stored grid: output pixels x --supersample
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;  // view bounds (DESIGN.md pixel mapping)
  double c_re = 0, c_im = 0;                 // Julia parameter (unused for Mandelbrot)
  double z0_re = 0, z0_im = 0;               // Mandelbrot start value (unused for Julia)
  std::uint32_t max_iter = 0;
  double escape_radius = 2.0;
  // Rotation of the view about its centre (docs/FORMAT.md "Rotation"): the angle in degrees as
  // stored, and the cosine/sine the mapping uses (rotation_cos_sin). cos = 1, sin = 0: unrotated.
  double rotation = 0.0, rot_cos = 1.0, rot_sin = 0.0;
  bool rotated() const { return rot_cos != 1.0 || rot_sin != 0.0; }
  // Mandelbrot only: skip points that provably never escape (main cardioid, period-2 bulb; see
  // kernel.hpp). Counts are identical either way; false forces brute-force iteration (benchmarks).
  bool skip_interior = true;
  // A perturbation frame (docs/FORMAT.md "Deep zoom"): the deep kernel reads this (owned by the
  // job's DeepJob) instead of the bounds above, which are then only approximate. Null: double.
  const deep::DeepFrame* deep = nullptr;
};

// One FrameParams per frame: [frames]. Every frame gets the job's family, power and the static
// --rotation (rotation_cos_sin). Julia sweep: c_im(f) = c_im + inc * (f / (frames - 1)).
// Pan/zoom: centre linear, width geometric: w(t) = w0 * (w1 / w0)^t with t = f / (frames - 1).
// Keyframed jobs (cfg.path not empty): centre, width, rotation, c and max_iter per frame from
// PathEvaluator (keyframes.hpp; formulas in docs/ANIMATION.md); bounds from centre cx, cy and
// width w: h = w * height / width, xmin = cx - w/2, xmax = cx + w/2, ymin = cy - h/2,
// ymax = cy + h/2 (the base view's bounds exactly when neither centre nor width has keys).
std::vector<FrameParams> plan_frames(const Config& cfg);

}  // namespace fractal
