#include "fractal/config/frame_plan.hpp"

#include <cmath>
#include <cstdlib>

#include "fractal/config/keyframes.hpp"
#include "fractal/deep/key_path.hpp"
#include "fractal/deep/zoom_path.hpp"

namespace fractal {

namespace {

// What every frame shares, whatever the path.
void fill_common(const Config& cfg, FrameParams& p) {
  p.fractal = cfg.fractal;
  p.family = cfg.family;
  p.power = cfg.power;
  p.width = cfg.sample_width();  // the kernel renders the stored sample grid (--supersample K:
  p.height = cfg.sample_height();  // the same view, K times finer each way)
  p.c_re = cfg.c_re;
  p.c_im = cfg.c_im;
  p.z0_re = cfg.z0_re;
  p.z0_im = cfg.z0_im;
  p.max_iter = cfg.max_iter;
  p.escape_radius = cfg.escape_radius;
  p.skip_interior = cfg.skip_interior;
  p.rotation = cfg.rotation;
  rotation_cos_sin(cfg.rotation, p.rot_cos, p.rot_sin);
}

// A deep keyframed path (docs/ANIMATION.md "Deep keyframes") with a width below double's range:
// deep::KeyPath's widths, centres, budgets and rotations; the bounds hold the view in double
// (approximate: perturbation frames read their DeepFrame instead). A deep path whose numbers all
// fit a double keeps the double model's bounds and budgets (plan_keyframes), bit for bit as
// documented; its perturbation frames' exact views are KeyPath's all the same.
std::vector<FrameParams> plan_deep_keyframes(const Config& cfg) {
  std::vector<FrameParams> frames(cfg.frames);  // [frames]
  const deep::KeyPath kp(cfg);
  for (std::uint64_t f = 0; f < cfg.frames; ++f) {
    FrameParams& p = frames[f];
    fill_common(cfg, p);
    const double w = std::strtod(kp.width_text(f).c_str(), nullptr);
    const double h = w * static_cast<double>(cfg.height) / static_cast<double>(cfg.width);
    const double x = std::strtod(kp.centre_text(0, f, 128).c_str(), nullptr);
    const double y = std::strtod(kp.centre_text(1, f, 128).c_str(), nullptr);
    p.xmin = x - w / 2; p.xmax = x + w / 2; p.ymin = y - h / 2; p.ymax = y + h / 2;
    p.rotation = kp.rotation(f);
    rotation_cos_sin(p.rotation, p.rot_cos, p.rot_sin);
    p.max_iter = kp.max_iter(f);
  }
  return frames;
}

// Keyframed path (docs/ANIMATION.md).
std::vector<FrameParams> plan_keyframes(const Config& cfg) {
  if (cfg.deep_zoom && !cfg.path.double_model(cfg.view)) return plan_deep_keyframes(cfg);
  std::vector<FrameParams> frames(cfg.frames);  // [frames]
  const KeyframePath& path = cfg.path;
  const Bounds& v0 = cfg.view;
  const PathEvaluator eval(path, path_base(cfg));
  const bool view_keys = path.has_center() || path.has_width();
  for (std::uint64_t f = 0; f < cfg.frames; ++f) {
    FrameParams& p = frames[f];
    fill_common(cfg, p);
    const PathPoint q = eval.at(f);
    if (view_keys) {
      const double w = q.width;
      const double h = w * static_cast<double>(cfg.height) / static_cast<double>(cfg.width);
      p.xmin = q.center_re - w / 2; p.xmax = q.center_re + w / 2;
      p.ymin = q.center_im - h / 2; p.ymax = q.center_im + h / 2;
    } else {
      p.xmin = v0.xmin; p.xmax = v0.xmax; p.ymin = v0.ymin; p.ymax = v0.ymax;
    }
    p.rotation = q.rotation;
    rotation_cos_sin(q.rotation, p.rot_cos, p.rot_sin);
    if (cfg.fractal == Fractal::Julia) {
      p.c_re = q.c_re;
      p.c_im = q.c_im;
    }
    p.max_iter = q.max_iter;
  }
  return frames;
}

// A deep zoom into the fixed centre (docs/ANIMATION.md "Deep zooms"): frame f's width is
// deep::zoom_width_text (MPFR, as text); the bounds hold it in double (approximate: perturbation
// frames read their DeepFrame instead).
std::vector<FrameParams> plan_deep_zoom(const Config& cfg) {
  std::vector<FrameParams> frames(cfg.frames);  // [frames]
  const Bounds& v0 = cfg.view;
  const double cx = 0.5 * (v0.xmin + v0.xmax), cy = 0.5 * (v0.ymin + v0.ymax);
  for (std::uint64_t f = 0; f < cfg.frames; ++f) {
    FrameParams& p = frames[f];
    fill_common(cfg, p);
    if (f == 0) {
      p.xmin = v0.xmin; p.xmax = v0.xmax; p.ymin = v0.ymin; p.ymax = v0.ymax;
    } else {
      const double w = std::strtod(deep::frame_width_text(cfg, f).c_str(), nullptr);
      const double h = w * static_cast<double>(cfg.height) / static_cast<double>(cfg.width);
      double x = cx, y = cy;
      if (!cfg.end_center_re_text.empty()) {  // a moving deep zoom: the centre by the zoom rule
        x = std::strtod(deep::zoom_centre_text(cfg, 0, f, 128).c_str(), nullptr);
        y = std::strtod(deep::zoom_centre_text(cfg, 1, f, 128).c_str(), nullptr);
      }
      p.xmin = x - w / 2; p.xmax = x + w / 2; p.ymin = y - h / 2; p.ymax = y + h / 2;
    }
    if (cfg.end_max_iter_growth)
      p.max_iter = round_max_iter(cfg.max_iter + *cfg.end_max_iter_growth * deep::frame_decades(cfg, f));
  }
  return frames;
}

}  // namespace

std::vector<FrameParams> plan_frames(const Config& cfg) {
  if (!cfg.path.empty()) return plan_keyframes(cfg);
  if (cfg.deep_zoom) return plan_deep_zoom(cfg);
  std::vector<FrameParams> frames(cfg.frames);  // [frames]
  const double n1 = cfg.frames > 1 ? static_cast<double>(cfg.frames - 1) : 1.0;
  const Bounds& v0 = cfg.view;
  const double cx0 = 0.5 * (v0.xmin + v0.xmax), cy0 = 0.5 * (v0.ymin + v0.ymax);
  const double w0 = v0.xmax - v0.xmin, h0 = v0.ymax - v0.ymin;
  for (std::uint64_t f = 0; f < cfg.frames; ++f) {
    const double t = static_cast<double>(f) / n1;
    FrameParams& p = frames[f];
    fill_common(cfg, p);
    p.c_im = cfg.c_im + cfg.c_im_increment * t;
    if (!cfg.end_view || f == 0) {
      p.xmin = v0.xmin; p.xmax = v0.xmax; p.ymin = v0.ymin; p.ymax = v0.ymax;
    } else if (f + 1 == cfg.frames) {
      const Bounds& v1 = *cfg.end_view;  // the last frame is exactly the requested end view
      p.xmin = v1.xmin; p.xmax = v1.xmax; p.ymin = v1.ymin; p.ymax = v1.ymax;
    } else {
      const Bounds& v1 = *cfg.end_view;
      const double cx1 = 0.5 * (v1.xmin + v1.xmax), cy1 = 0.5 * (v1.ymin + v1.ymax);
      const double w1 = v1.xmax - v1.xmin;
      const double cx = cx0 + (cx1 - cx0) * t, cy = cy0 + (cy1 - cy0) * t;
      const double w = w0 * std::pow(w1 / w0, t);
      const double h = h0 * (w / w0);
      p.xmin = cx - w / 2; p.xmax = cx + w / 2; p.ymin = cy - h / 2; p.ymax = cy + h / 2;
    }
    if (cfg.end_max_iter_growth)  // --max-iter-growth: G x the decades of zoom so far
      p.max_iter = round_max_iter(cfg.max_iter + *cfg.end_max_iter_growth * std::log10(w0 / (p.xmax - p.xmin)));
  }
  return frames;
}

}  // namespace fractal
