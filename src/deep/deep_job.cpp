// Planning the deep part of a job (deep_job.hpp).
#include "fractal/deep/deep_job.hpp"

#include <mpfr.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "fractal/kernel/family.hpp"
#include "fractal/deep/zoom_path.hpp"
#include "mp.hpp"

namespace fractal::deep {

bool pixel_spacing(const std::string& view_width, const std::string& zoom, std::uint32_t sample_width,
                   std::uint32_t sample_height, RealExp& dx) {
  mpfr_t v;
  mpfr_init2(v, 128);
  bool ok;
  if (!view_width.empty()) {  // dx = width / W
    ok = mpfr_set_str(v, view_width.c_str(), 10, MPFR_RNDN) == 0 && mpfr_sgn(v) > 0;
    mpfr_div_ui(v, v, sample_width, MPFR_RNDN);
  } else {  // dx = (4 / zoom) / H
    ok = mpfr_set_str(v, zoom.c_str(), 10, MPFR_RNDN) == 0 && mpfr_sgn(v) > 0;
    mpfr_ui_div(v, 4, v, MPFR_RNDN);
    mpfr_div_ui(v, v, sample_height, MPFR_RNDN);
  }
  ok = ok && mpfr_regular_p(v);
  if (ok) {
    long e = 0;
    const double m = mpfr_get_d_2exp(&e, v, MPFR_RNDN);  // m in [0.5, 1)
    dx = {2 * m, static_cast<std::int64_t>(e) - 1};
    if (dx.m == 2.0) dx = {1.0, dx.e + 1};  // rounding reached the next power of two
  }
  mpfr_clear(v);
  return ok;
}

std::string width_from_zoom(const std::string& zoom, std::uint32_t width, std::uint32_t height) {
  Mp v(128);
  mpfr_set_str(v.v, zoom.c_str(), 10, MPFR_RNDN);
  mpfr_ui_div(v.v, 4, v.v, MPFR_RNDN);
  mpfr_mul_ui(v.v, v.v, width, MPFR_RNDN);
  mpfr_div_ui(v.v, v.v, height, MPFR_RNDN);
  return mp_text(v.v, 19, "");
}

DeepJob plan_deep(const Config& cfg, const std::vector<FrameParams>& plan) {
  DeepJob job;
  job.bla = cfg.bla;
  job.bla_eps = bla_epsilon(cfg.sample_width(), cfg.sample_height());
  const std::size_t n = plan.size();
  job.method.assign(n, cfg.method);
  if (cfg.method == Method::Double) return job;
  const bool julia = cfg.fractal == Fractal::Julia;
  DeepFrame f;
  f.method = cfg.method;
  f.julia = julia;
  f.width = cfg.sample_width();
  f.height = cfg.sample_height();
  f.max_iter = cfg.max_iter;
  f.escape_radius = cfg.escape_radius;
  rotation_cos_sin(cfg.rotation, f.rot_cos, f.rot_sin);
  f.dx = cfg.pixel_spacing;
  f.c_re = julia ? cfg.c_re : std::strtod(cfg.center_re_text.c_str(), nullptr);
  f.c_im = julia ? cfg.c_im : std::strtod(cfg.center_im_text.c_str(), nullptr);
  job.frames.assign(n, f);
  job.center_re.assign(n, cfg.center_re_text);
  job.center_im.assign(n, cfg.center_im_text);
  job.view_width.assign(n, cfg.view_width_text);
  job.julia_c_re.assign(n, julia ? cfg.c_re_text : std::string());
  job.julia_c_im.assign(n, julia ? cfg.c_im_text : std::string());
  // A still (every frame the same view), or a deep zoom into the fixed centre: each frame its own
  // width, pixel spacing, method and budget; one reference for all its perturbation frames, at the
  // finest frame's precision and the largest budget (cfg.pixel_spacing is the finest frame's).
  std::uint32_t budget = cfg.max_iter;
  std::size_t perturbation_frames = n;
  if (cfg.deep_zoom) {
    perturbation_frames = 0;
    budget = 0;
    for (std::size_t k = 0; k < n; ++k) {
      job.view_width[k] = frame_width_text(cfg, k);
      RealExp dx;
      pixel_spacing(job.view_width[k], "", f.width, f.height, dx);
      job.method[k] = frame_method(cfg.precision, dx, cfg.log2_magnitude);
      const bool pert = job.method[k] != Method::Double;
      job.frames[k].method = job.method[k];
      job.frames[k].dx = dx;
      job.frames[k].max_iter = plan[k].max_iter;
      if (pert) {
        ++perturbation_frames;
        budget = std::max(budget, plan[k].max_iter);
      }
    }
    job.per_frame_bla = job.bla && perturbation_frames > 1;
  }
  ReferenceSpec spec;
  spec.max_iter = budget;
  spec.escape_radius = cfg.escape_radius;
  spec.precision_bits = reference_precision(cfg.pixel_spacing.e, cfg.log2_magnitude);
  // A deep zoom whose centre moves: every frame's centre by the zoom rule, the reference at the end
  // centre, each perturbation frame offset from it (c(f) - c1, from the centre texts as stored).
  const bool moving = cfg.deep_zoom && !cfg.end_center_re_text.empty();
  const std::string& ref_re = moving ? cfg.end_center_re_text : cfg.center_re_text;
  const std::string& ref_im = moving ? cfg.end_center_im_text : cfg.center_im_text;
  if (moving) {
    const long bits = static_cast<long>(spec.precision_bits);
    if (!julia) {
      f.c_re = std::strtod(ref_re.c_str(), nullptr);
      f.c_im = std::strtod(ref_im.c_str(), nullptr);
    }
    for (std::size_t k = 0; k < n; ++k) {
      job.center_re[k] = zoom_centre_text(cfg, 0, k, bits);
      job.center_im[k] = zoom_centre_text(cfg, 1, k, bits);
      DeepFrame& fr = job.frames[k];
      fr.c_re = f.c_re;
      fr.c_im = f.c_im;
      if (job.method[k] == Method::Double) continue;
      double rm, im;
      std::int64_t re_e, im_e;
      zoom_centre_offset(cfg, job.center_re[k], job.center_im[k], bits, rm, re_e, im, im_e);
      if (rm == 0 && im == 0) continue;
      fr.has_offset = true;
      const std::int64_t e = std::max(rm != 0 ? re_e : im_e, im != 0 ? im_e : re_e);
      fr.off_x = cx_scaled(rm * pow2(re_e - e), im * pow2(im_e - e), e);
      if (job.method[k] == Method::PerturbDouble) {
        fr.off_re = std::ldexp(rm, static_cast<int>(re_e));
        fr.off_im = std::ldexp(im, static_cast<int>(im_e));
      }
    }
  }
  if (julia) {
    ReferenceSpec start = spec, crit = spec;
    start.z0_re = ref_re;
    start.z0_im = ref_im;
    start.c_re = crit.c_re = cfg.c_re_text;
    start.c_im = crit.c_im = cfg.c_im_text;
    job.specs = {start, crit};
    job.roles = {"julia-start", "julia-critical"};
  } else {
    spec.c_re = ref_re;
    spec.c_im = ref_im;
    job.specs = {spec};
    job.roles = {"centre"};
  }
  return job;
}

RealExp DeepJob::dc_max(std::size_t f) const {
  // The half diagonal of the sample grid times dx (rotation keeps lengths). Julia's dc is 0.
  const DeepFrame& fr = frames[f];
  if (method[f] == Method::Double || fr.julia) return {};
  const double h = std::hypot(0.5 * fr.width, 0.5 * fr.height) * fr.dx.m;  // >= 0.7: normal
  const std::int64_t k = exponent_of(h);
  RealExp r{h * pow2(-k), fr.dx.e + k};
  if (fr.has_offset) {  // plus |offset| (the frame's centre from the reference), rounded up
    const double o = std::hypot(fr.off_x.re, fr.off_x.im);
    const std::int64_t e = std::max(r.e, fr.off_x.e + 1);
    const double sum = (r.m * pow2(std::max<std::int64_t>(r.e - e, -1100)) + o * pow2(std::max<std::int64_t>(fr.off_x.e - e, -1100))) * (1 + 0x1p-40);
    const std::int64_t s = exponent_of(sum);
    r = {sum * pow2(-s), e + s};
  }
  return r;
}

void DeepJob::prepare_frames(const std::vector<std::uint64_t>& needed) {
  if (!per_frame_bla) return;
  // Drop the tables no longer needed (their frames' pointers with them), then build the missing.
  for (auto it = frame_tables.begin(); it != frame_tables.end();) {
    if (std::find(needed.begin(), needed.end(), it->first) == needed.end()) {
      frames[it->first].bla_start = frames[it->first].bla_rebase = nullptr;
      it = frame_tables.erase(it);
    } else {
      ++it;
    }
  }
  for (const std::uint64_t f : needed) {
    if (f >= frames.size() || method[f] == Method::Double || frame_tables.count(f)) continue;
    const double t0 = omp_get_wtime();
    std::vector<std::unique_ptr<BlaTable>> tabs;  // [orbits]
    for (const ReferenceOrbit& o : orbits)
      tabs.push_back(std::make_unique<BlaTable>(
          build_bla(o, dc_max(f), frames[f].escape_radius, method[f] == Method::PerturbExp, bla_eps)));
    frame_bla_s += omp_get_wtime() - t0;
    ++frame_bla_builds;
    frames[f].bla_start = tabs[0].get();
    frames[f].bla_rebase = tabs[frames[f].julia ? 1 : 0].get();
    frame_tables.emplace(f, std::move(tabs));
  }
}

bool DeepJob::bla_extended() const {
  for (std::size_t f = 0; f < frames.size(); ++f)
    if (method[f] == Method::PerturbExp) return true;
  return false;
}

RealExp DeepJob::bla_dc_max() const {
  RealExp m;
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const RealExp r = dc_max(f);
    if (m.m == 0 || r.e > m.e || (r.e == m.e && r.m > m.m)) m = r;
  }
  return m;
}

BlaTable DeepJob::build_bla_table(std::size_t k) const {
  return build_bla(orbits[k], bla_dc_max(), frames[0].escape_radius, bla_extended(), bla_eps);
}

void DeepJob::attach(std::vector<FrameParams>& plan) {
  for (std::size_t f = 0; f < plan.size() && f < frames.size(); ++f) {
    if (method[f] == Method::Double) continue;
    const std::size_t rebase = frames[f].julia ? 1 : 0;
    frames[f].start = &orbits[0];
    frames[f].rebase = &orbits[rebase];
    frames[f].lanes = lanes;
    if (!bla_tables.empty()) {
      frames[f].bla_start = &bla_tables[0];
      frames[f].bla_rebase = &bla_tables[rebase];
    }
    plan[f].deep = &frames[f];
  }
}

}  // namespace fractal::deep
