// Widths of a deep zoom's frames (zoom_path.hpp).
#include "fractal/deep/zoom_path.hpp"

#include <mpfr.h>

#include <algorithm>
#include <cmath>

#include "fractal/config/config.hpp"
#include "mp.hpp"

namespace fractal::deep {

namespace {

constexpr mpfr_prec_t kBits = 128;

}  // namespace

std::string zoom_width_text(const std::string& w0, const std::string& w1, std::uint64_t f, std::uint64_t frames) {
  if (f == 0 || frames < 2) return w0;
  if (f + 1 >= frames) return w1;
  Mp a(kBits), b(kBits), t(kBits);
  mpfr_set_str(a.v, w0.c_str(), 10, MPFR_RNDN);
  mpfr_set_str(b.v, w1.c_str(), 10, MPFR_RNDN);
  mpfr_log(a.v, a.v, MPFR_RNDN);  // log w0
  mpfr_log(b.v, b.v, MPFR_RNDN);  // log w1
  mpfr_sub(b.v, b.v, a.v, MPFR_RNDN);  // log (w1 / w0)
  mpfr_set_ui(t.v, static_cast<unsigned long>(f), MPFR_RNDN);
  mpfr_div_ui(t.v, t.v, static_cast<unsigned long>(frames - 1), MPFR_RNDN);  // f / (frames - 1)
  mpfr_mul(b.v, b.v, t.v, MPFR_RNDN);
  mpfr_add(a.v, a.v, b.v, MPFR_RNDN);
  mpfr_exp(a.v, a.v, MPFR_RNDN);
  return mp_text(a.v, 19, w0);
}

std::string sequence_width_text(const std::string& w0, double ratio, std::uint64_t f) {
  if (f == 0) return w0;
  Mp a(kBits), r(kBits);
  mpfr_set_str(a.v, w0.c_str(), 10, MPFR_RNDN);
  mpfr_set_d(r.v, ratio, MPFR_RNDN);
  mpfr_pow_ui(r.v, r.v, static_cast<unsigned long>(f), MPFR_RNDN);
  mpfr_div(a.v, a.v, r.v, MPFR_RNDN);
  return mp_text(a.v, 19, w0);
}

std::string frame_width_text(const Config& cfg, std::uint64_t f) {
  if (cfg.zoom_sequence) return sequence_width_text(cfg.view_width_text, cfg.zoom_sequence, f);
  return zoom_width_text(cfg.view_width_text, cfg.end_view_width_text, f, cfg.frames);
}

double frame_decades(const Config& cfg, std::uint64_t f) {
  if (cfg.zoom_sequence) return static_cast<double>(f) * std::log10(cfg.zoom_sequence);
  const double n1 = cfg.frames > 1 ? static_cast<double>(cfg.frames - 1) : 1.0;
  return zoom_decades(cfg.view_width_text, cfg.end_view_width_text) * (static_cast<double>(f) / n1);
}

namespace {

// c(f) - c1 of one axis (zoom_centre_text) into d, at d's precision.
void centre_delta(const Config& cfg, int axis, std::uint64_t f, mpfr_t d) {
  const mpfr_prec_t bits = mpfr_get_prec(d);
  Mp c0(bits), c1(bits), w0(bits), w1(bits), wf(bits);
  mpfr_set_str(c0.v, (axis == 0 ? cfg.center_re_text : cfg.center_im_text).c_str(), 10, MPFR_RNDN);
  mpfr_set_str(c1.v, (axis == 0 ? cfg.end_center_re_text : cfg.end_center_im_text).c_str(), 10, MPFR_RNDN);
  mpfr_set_str(w0.v, cfg.view_width_text.c_str(), 10, MPFR_RNDN);
  mpfr_set_str(w1.v, cfg.zoom_sequence ? sequence_width_text(cfg.view_width_text, cfg.zoom_sequence, cfg.frames - 1).c_str()
                                       : cfg.end_view_width_text.c_str(), 10, MPFR_RNDN);
  mpfr_set_str(wf.v, frame_width_text(cfg, f).c_str(), 10, MPFR_RNDN);
  mpfr_sub(d, c0.v, c1.v, MPFR_RNDN);     // c0 - c1
  mpfr_sub(wf.v, wf.v, w1.v, MPFR_RNDN);  // w(f) - w1
  mpfr_sub(w0.v, w0.v, w1.v, MPFR_RNDN);  // w0 - w1
  mpfr_mul(d, d, wf.v, MPFR_RNDN);
  mpfr_div(d, d, w0.v, MPFR_RNDN);
}

}  // namespace

std::string zoom_centre_text(const Config& cfg, int axis, std::uint64_t f, long bits) {
  const std::string& c0 = axis == 0 ? cfg.center_re_text : cfg.center_im_text;
  const std::string& c1 = axis == 0 ? cfg.end_center_re_text : cfg.end_center_im_text;
  if (f == 0) return c0;
  if (f + 1 >= cfg.frames) return c1;
  Mp d(bits), c(bits);
  centre_delta(cfg, axis, f, d.v);
  mpfr_set_str(c.v, c1.c_str(), 10, MPFR_RNDN);
  mpfr_add(c.v, c.v, d.v, MPFR_RNDN);
  return mp_text(c.v, static_cast<int>(bits * 0.30103) + 3, c1);  // a few digits beyond the bits
}

void centre_offset(const std::string& re, const std::string& im, const std::string& ref_re, const std::string& ref_im,
                   long bits, double& re_m, std::int64_t& re_e, double& im_m, std::int64_t& im_e) {
  for (int axis = 0; axis < 2; ++axis) {
    const std::string& a = axis == 0 ? re : im;
    const std::string& b = axis == 0 ? ref_re : ref_im;
    const mpfr_prec_t prec = static_cast<mpfr_prec_t>(std::max<std::size_t>(bits + 64, 4 * std::max(a.size(), b.size()) + 64));
    Mp c(prec), c1(prec);
    mpfr_set_str(c.v, a.c_str(), 10, MPFR_RNDN);
    mpfr_set_str(c1.v, b.c_str(), 10, MPFR_RNDN);
    mpfr_sub(c.v, c.v, c1.v, MPFR_RNDN);
    double& m = axis == 0 ? re_m : im_m;
    std::int64_t& e = axis == 0 ? re_e : im_e;
    if (mpfr_zero_p(c.v)) {
      m = 0;
      e = 0;
    } else {
      long ex = 0;
      m = mpfr_get_d_2exp(&ex, c.v, MPFR_RNDN);  // m in [0.5, 1)
      e = ex;
    }
  }
}

double zoom_decades(const std::string& w0, const std::string& w1) {
  Mp a(kBits), b(kBits);
  mpfr_set_str(a.v, w0.c_str(), 10, MPFR_RNDN);
  mpfr_set_str(b.v, w1.c_str(), 10, MPFR_RNDN);
  mpfr_log10(a.v, a.v, MPFR_RNDN);
  mpfr_log10(b.v, b.v, MPFR_RNDN);
  mpfr_sub(a.v, a.v, b.v, MPFR_RNDN);
  return mpfr_get_d(a.v, MPFR_RNDN);
}

bool decimal_equal(const std::string& a, const std::string& b) {
  // 4 bits per character keep two different decimals of these lengths apart after rounding.
  const mpfr_prec_t bits = static_cast<mpfr_prec_t>(4 * std::max(a.size(), b.size()) + 64);
  Mp x(bits), y(bits);
  if (mpfr_set_str(x.v, a.c_str(), 10, MPFR_RNDN) != 0 || mpfr_set_str(y.v, b.c_str(), 10, MPFR_RNDN) != 0) return a == b;
  return mpfr_equal_p(x.v, y.v) != 0;
}

}  // namespace fractal::deep
