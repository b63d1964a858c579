// Planning the deep part of a job (deep_job.hpp).
#include "fractal/deep/deep_job.hpp"

#include <mpfr.h>

#include <cmath>
#include <cstdlib>

#include "fractal/kernel/family.hpp"

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
  mpfr_t v;
  mpfr_init2(v, 128);
  mpfr_set_str(v, zoom.c_str(), 10, MPFR_RNDN);
  mpfr_ui_div(v, 4, v, MPFR_RNDN);
  mpfr_mul_ui(v, v, width, MPFR_RNDN);
  mpfr_div_ui(v, v, height, MPFR_RNDN);
  char* s = nullptr;
  mpfr_asprintf(&s, "%.19Re", v);
  std::string out = s ? s : "";
  mpfr_free_str(s);
  mpfr_clear(v);
  return out;
}

DeepJob plan_deep(const Config& cfg, const std::vector<FrameParams>& plan) {
  DeepJob job;
  job.bla = cfg.bla;
  job.bla_eps = bla_epsilon(cfg.sample_width(), cfg.sample_height());
  const std::size_t n = plan.size();
  job.method.assign(n, cfg.method);
  if (cfg.method == Method::Double) return job;
  const bool julia = cfg.fractal == Fractal::Julia;
  // One view for every frame: deep jobs are stills (parse_config refuses deep paths).
  ReferenceSpec spec;
  spec.max_iter = cfg.max_iter;
  spec.escape_radius = cfg.escape_radius;
  spec.precision_bits = reference_precision(cfg.pixel_spacing.e, cfg.log2_magnitude);
  if (julia) {
    ReferenceSpec start = spec, crit = spec;
    start.z0_re = cfg.center_re_text;
    start.z0_im = cfg.center_im_text;
    start.c_re = crit.c_re = cfg.c_re_text;
    start.c_im = crit.c_im = cfg.c_im_text;
    job.specs = {start, crit};
    job.roles = {"julia-start", "julia-critical"};
  } else {
    spec.c_re = cfg.center_re_text;
    spec.c_im = cfg.center_im_text;
    job.specs = {spec};
    job.roles = {"centre"};
  }
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
  return job;
}

bool DeepJob::bla_extended() const {
  for (std::size_t f = 0; f < frames.size(); ++f)
    if (method[f] == Method::PerturbExp) return true;
  return false;
}

RealExp DeepJob::bla_dc_max() const {
  // The half diagonal of the sample grid times dx (rotation keeps lengths). Julia's dc is 0.
  RealExp dc_max;
  for (std::size_t f = 0; f < frames.size(); ++f) {
    if (method[f] == Method::Double) continue;
    const DeepFrame& fr = frames[f];
    if (fr.julia) continue;
    const double h = std::hypot(0.5 * fr.width, 0.5 * fr.height) * fr.dx.m;  // >= 0.7: normal
    const std::int64_t k = exponent_of(h);
    const RealExp r{h * pow2(-k), fr.dx.e + k};
    if (dc_max.m == 0 || r.e > dc_max.e || (r.e == dc_max.e && r.m > dc_max.m)) dc_max = r;
  }
  return dc_max;
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
