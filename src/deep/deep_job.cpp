// Planning the deep part of a job (deep_job.hpp).
#include "fractal/deep/deep_job.hpp"

#include <mpfr.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "fractal/kernel/family.hpp"
#include "fractal/deep/key_path.hpp"
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

namespace {

// How far (in frame widths, each axis) a frame's centre may lie from a reference that serves it.
// The offset joins every pixel's dc (delta_0 for Julia), so it costs BLA reach, not accuracy: a few
// widths keep the tables' steps long.
constexpr double kReferenceReach = 4.0;

// |a - b| / w (MPFR at prec), rounded up to a double (inf beyond its range).
double distance_in_widths(const std::string& a, const std::string& b, const mpfr_t w, mpfr_prec_t prec) {
  Mp x(prec), y(prec);
  mpfr_set_str(x.v, a.c_str(), 10, MPFR_RNDN);
  mpfr_set_str(y.v, b.c_str(), 10, MPFR_RNDN);
  mpfr_sub(x.v, x.v, y.v, MPFR_RNDN);
  mpfr_abs(x.v, x.v, MPFR_RNDN);
  mpfr_div(x.v, x.v, w, MPFR_RNDN);
  return mpfr_get_d(x.v, MPFR_RNDU);
}

// A deep keyframed path's references (docs/ANIMATION.md "Deep keyframes"): the candidates are the
// centre keys, deepest first (by the path's width at the key's frame); each perturbation frame
// takes the first candidate within kReferenceReach of its own width on both axes. A frame that none
// serves (a pan far across the view at depth) starts a new reference at its own centre, which
// serves the frames after it while they stay within reach. Only the references used are kept, in
// that order; job.frame_ref[f] is frame f's.
void assign_references(const KeyPath& kp, DeepJob& job, long bits, std::vector<std::string>& ref_re,
                       std::vector<std::string>& ref_im) {
  const std::vector<std::uint64_t> kf = kp.centre_frames();
  std::vector<std::size_t> order(kf.size());
  std::vector<double> depth(kf.size());  // decades below frame 0's width
  for (std::size_t i = 0; i < kf.size(); ++i) {
    order[i] = i;
    depth[i] = kp.decades(kf[i]);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return depth[a] > depth[b]; });
  std::vector<std::string> cre, cim;  // candidates, then the references started by frames
  for (const std::size_t i : order) {
    const std::string& re = kp.centre_key_re()[i];
    const std::string& im = kp.centre_key_im()[i];
    bool seen = false;
    for (std::size_t j = 0; j < cre.size() && !seen; ++j) seen = decimal_equal(cre[j], re) && decimal_equal(cim[j], im);
    if (!seen) {
      cre.push_back(re);
      cim.push_back(im);
    }
  }
  std::vector<long> used_as(cre.size(), -1);
  const std::size_t n = job.frames.size();  // job.frame_ref: [n], all 0 (plan_deep)
  for (std::size_t f = 0; f < n; ++f) {
    if (job.method[f] == Method::Double) continue;
    const mpfr_prec_t prec = static_cast<mpfr_prec_t>(bits + 64);
    Mp w(prec);
    mpfr_set_str(w.v, job.view_width[f].c_str(), 10, MPFR_RNDN);
    std::size_t pick = cre.size();
    for (std::size_t r = 0; r < cre.size() && pick == cre.size(); ++r) {
      const mpfr_prec_t p = static_cast<mpfr_prec_t>(std::max<std::size_t>(prec, 4 * std::max(cre[r].size(), cim[r].size()) + 64));
      if (distance_in_widths(job.center_re[f], cre[r], w.v, p) <= kReferenceReach &&
          distance_in_widths(job.center_im[f], cim[r], w.v, p) <= kReferenceReach)
        pick = r;
    }
    if (pick == cre.size()) {
      cre.push_back(job.center_re[f]);
      cim.push_back(job.center_im[f]);
      used_as.push_back(-1);
    }
    if (used_as[pick] < 0) {
      used_as[pick] = static_cast<long>(ref_re.size());
      ref_re.push_back(cre[pick]);
      ref_im.push_back(cim[pick]);
    }
    job.frame_ref[f] = static_cast<std::uint32_t>(used_as[pick]);
  }
  if (ref_re.empty()) {  // no perturbation frame: keep one (unused) reference, at the deepest key
    ref_re.push_back(cre.front());
    ref_im.push_back(cim.front());
  }
}

}  // namespace

DeepJob plan_deep(const Config& cfg, const std::vector<FrameParams>& plan) {
  DeepJob job;
  job.bla = cfg.bla;
  job.bla_eps = bla_epsilon(cfg.sample_width(), cfg.sample_height());
  const std::size_t n = plan.size();
  job.method.assign(n, cfg.method);
  job.frame_ref.assign(n, 0);
  if (cfg.method == Method::Double) return job;
  const bool julia = cfg.fractal == Fractal::Julia;
  const bool keyed = cfg.deep_zoom && !cfg.path.empty();
  std::unique_ptr<KeyPath> kp;
  if (keyed) kp = std::make_unique<KeyPath>(cfg);
  job.keyed = keyed;
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
  // A still (every frame the same view), or a deep zoom (fixed or moving centre, or keyframed): each
  // frame its own width, pixel spacing, method, rotation and budget.
  if (cfg.deep_zoom) {
    for (std::size_t k = 0; k < n; ++k) {
      job.view_width[k] = keyed ? kp->width_text(k) : frame_width_text(cfg, k);
      RealExp dx;
      pixel_spacing(job.view_width[k], "", f.width, f.height, dx);
      job.method[k] = frame_method(cfg.precision, dx, cfg.log2_magnitude);
      job.frames[k].method = job.method[k];
      job.frames[k].dx = dx;
      job.frames[k].max_iter = plan[k].max_iter;
      job.frames[k].rot_cos = plan[k].rot_cos;
      job.frames[k].rot_sin = plan[k].rot_sin;
    }
  }
  std::size_t perturbation_frames = 0;
  for (std::size_t k = 0; k < n; ++k) perturbation_frames += job.method[k] != Method::Double;
  job.per_frame_bla = cfg.deep_zoom && job.bla && perturbation_frames > 1;
  const std::uint32_t bits = reference_precision(cfg.pixel_spacing.e, cfg.log2_magnitude);
  // The frames' centres: fixed; by the zoom rule towards the end centre (one reference there); or
  // the keyframed path's (references by assign_references).
  const bool moving = cfg.deep_zoom && !keyed && !cfg.end_center_re_text.empty();
  std::vector<std::string> ref_re{moving ? cfg.end_center_re_text : cfg.center_re_text};
  std::vector<std::string> ref_im{moving ? cfg.end_center_im_text : cfg.center_im_text};
  if (moving || keyed) {
    for (std::size_t k = 0; k < n; ++k) {
      job.center_re[k] = keyed ? kp->centre_text(0, k, bits) : zoom_centre_text(cfg, 0, k, bits);
      job.center_im[k] = keyed ? kp->centre_text(1, k, bits) : zoom_centre_text(cfg, 1, k, bits);
    }
  }
  if (keyed) {
    ref_re.clear();
    ref_im.clear();
    assign_references(*kp, job, bits, ref_re, ref_im);
  }
  // Each perturbation frame's offset from its reference (c(f) - reference, from the texts as stored).
  for (std::size_t k = 0; k < n; ++k) {
    DeepFrame& fr = job.frames[k];
    const std::uint32_t r = job.frame_ref[k];
    if (!julia) {
      fr.c_re = std::strtod(ref_re[r].c_str(), nullptr);
      fr.c_im = std::strtod(ref_im[r].c_str(), nullptr);
    }
    if (job.method[k] == Method::Double) continue;
    double rm, im;
    std::int64_t re_e, im_e;
    centre_offset(job.center_re[k], job.center_im[k], ref_re[r], ref_im[r], bits, rm, re_e, im, im_e);
    if (rm == 0 && im == 0) continue;
    fr.has_offset = true;
    const std::int64_t e = std::max(rm != 0 ? re_e : im_e, im != 0 ? im_e : re_e);
    fr.off_x = cx_scaled(rm * pow2(re_e - e), im * pow2(im_e - e), e);
    if (job.method[k] == Method::PerturbDouble) {
      fr.off_re = std::ldexp(rm, static_cast<int>(re_e));
      fr.off_im = std::ldexp(im, static_cast<int>(im_e));
    }
  }
  // One spec per reference: the largest budget and the finest pixel spacing of the frames it serves
  // (a still or an unkeyed zoom: all frames, at cfg.pixel_spacing, the finest frame's).
  const std::size_t refs = ref_re.size();
  std::vector<std::uint32_t> budget(refs, 0);
  std::vector<std::int64_t> finest(refs, cfg.pixel_spacing.e);
  std::vector<bool> any(refs, false);
  for (std::size_t k = 0; k < n; ++k) {
    if (job.method[k] == Method::Double) continue;
    const std::uint32_t r = job.frame_ref[k];
    budget[r] = std::max(budget[r], cfg.deep_zoom ? plan[k].max_iter : cfg.max_iter);
    if (keyed) finest[r] = any[r] ? std::min(finest[r], job.frames[k].dx.e) : job.frames[k].dx.e;
    any[r] = true;
  }
  for (std::size_t r = 0; r < refs; ++r) {
    ReferenceSpec spec;
    spec.max_iter = any[r] ? budget[r] : cfg.max_iter;
    spec.escape_radius = cfg.escape_radius;
    spec.precision_bits = reference_precision(finest[r], cfg.log2_magnitude);
    const std::string suffix = r == 0 ? "" : "-" + std::to_string(r);
    if (julia) {
      spec.z0_re = ref_re[r];
      spec.z0_im = ref_im[r];
      spec.c_re = cfg.c_re_text;
      spec.c_im = cfg.c_im_text;
      job.roles.push_back("julia-start" + suffix);
    } else {
      spec.c_re = ref_re[r];
      spec.c_im = ref_im[r];
      job.roles.push_back("centre" + suffix);
    }
    job.specs.push_back(spec);
  }
  if (julia) {  // Julia's critical orbit from 0 (every rebase), at the finest precision and largest budget
    ReferenceSpec crit = job.specs[0];
    crit.z0_re = crit.z0_im = "0";
    for (const ReferenceSpec& s : job.specs) {
      crit.max_iter = std::max(crit.max_iter, s.max_iter);
      crit.precision_bits = std::max(crit.precision_bits, s.precision_bits);
    }
    job.specs.push_back(crit);
    job.roles.push_back("julia-critical");
  }
  return job;
}

std::size_t DeepJob::references() const { return specs.empty() ? 0 : specs.size() - (frames.empty() || !frames[0].julia ? 0 : 1); }

std::size_t DeepJob::rebase_orbit(std::size_t f) const { return frames[f].julia ? specs.size() - 1 : frame_ref[f]; }

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
    std::vector<std::unique_ptr<BlaTable>> tabs;  // [start, rebase] (one table when they are the same orbit)
    const std::size_t start = frame_ref[f], rebase = rebase_orbit(f);
    for (const std::size_t k : {start, rebase}) {
      if (k == start && tabs.size() == 1) break;
      tabs.push_back(std::make_unique<BlaTable>(
          build_bla(orbits[k], dc_max(f), frames[f].escape_radius, method[f] == Method::PerturbExp, bla_eps)));
    }
    frame_bla_s += omp_get_wtime() - t0;
    ++frame_bla_builds;
    frames[f].bla_start = tabs[0].get();
    frames[f].bla_rebase = tabs.back().get();
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
    const std::size_t start = frame_ref[f], rebase = rebase_orbit(f);
    frames[f].start = &orbits[start];
    frames[f].rebase = &orbits[rebase];
    frames[f].lanes = lanes;
    if (!bla_tables.empty()) {
      frames[f].bla_start = &bla_tables[start];
      frames[f].bla_rebase = &bla_tables[rebase];
    }
    plan[f].deep = &frames[f];
  }
}

}  // namespace fractal::deep
