// Deep keyframed paths (key_path.hpp).
#include "fractal/deep/key_path.hpp"

#include <mpfr.h>

#include <algorithm>
#include <cmath>

#include "fractal/config/config.hpp"
#include "fractal/config/parse.hpp"
#include "fractal/deep/zoom_path.hpp"
#include "mp.hpp"

namespace fractal::deep {

namespace {

constexpr mpfr_prec_t kWidthBits = 128;

// Bits that hold decimal texts of these lengths closely enough to tell them from their neighbours.
mpfr_prec_t text_bits(std::size_t chars, long at_least) {
  return static_cast<mpfr_prec_t>(std::max<long>(static_cast<long>(4 * chars + 64), at_least));
}

void set(mpfr_t v, const std::string& text) { mpfr_set_str(v, text.c_str(), 10, MPFR_RNDN); }

}  // namespace

struct KeyPath::Logs {
  std::vector<std::unique_ptr<Mp>> v;  // log of each width key, kWidthBits
};

KeyPath::KeyPath(const Config& cfg) : cfg_(cfg), path_(cfg.path), logs_(std::make_unique<Logs>()) {
  std::vector<std::uint64_t> fw, fr, fi, fc;
  std::vector<double> lw, rot, it, zero;
  for (const Keyframe& k : path_.keys) {
    if (k.width) {
      fw.push_back(k.frame);
      wt_.push_back(k.width_text);
      auto l = std::make_unique<Mp>(kWidthBits);
      set(l->v, k.width_text);
      mpfr_log(l->v, l->v, MPFR_RNDN);
      lw.push_back(mpfr_get_d(l->v, MPFR_RNDN));  // for the cubic slopes (a log is always within range)
      logs_->v.push_back(std::move(l));
    }
    if (k.rotation) { fr.push_back(k.frame); rot.push_back(*k.rotation); }
    if (k.max_iter) { fi.push_back(k.frame); it.push_back(static_cast<double>(*k.max_iter)); }
    if (k.center_re) {
      fc.push_back(k.frame);
      cre_.push_back(k.center_re_text);
      cim_.push_back(k.center_im_text);
      zero.push_back(0.0);
    }
  }
  // The base view (tracks without keys): its texts, or its bounds' centre and width.
  const Bounds& v = cfg.view;
  const bool bounds = cfg.center_re_text.empty();
  base_width_ = bounds ? shortest_text(v.xmax - v.xmin) : cfg.view_width_text;
  if (fc.empty()) {  // the base centre holds throughout
    fc.push_back(0);
    cre_.push_back(bounds ? shortest_text(0.5 * (v.xmin + v.xmax)) : cfg.center_re_text);
    cim_.push_back(bounds ? shortest_text(0.5 * (v.ymin + v.ymax)) : cfg.center_im_text);
    zero.push_back(0.0);
  }
  logw_ = Track(fw, lw, path_.width);
  rot_ = Track(fr, rot, path_.rotation);
  iter_ = Track(fi, it, path_.max_iter);
  cframes_ = Track(fc, zero, Interp::Linear);
}

KeyPath::~KeyPath() = default;

std::vector<std::uint64_t> KeyPath::centre_frames() const { return cframes_.frames(); }

std::string KeyPath::width_text(std::uint64_t f) const {
  if (logw_.empty()) return base_width_;
  const long k = logw_.segment(f);
  if (k < 0) return wt_[logw_.held(f)];
  const double la = logw_.values()[k], lb = logw_.values()[k + 1];
  double alpha = 0, beta = 0;
  if (path_.width == Interp::Cubic && la != lb) {  // the double track's end slopes over its secant
    const double d = (lb - la) / static_cast<double>(logw_.frames()[k + 1] - logw_.frames()[k]);
    alpha = logw_.slope(k) / d;
    beta = logw_.slope(k + 1) / d;
  }
  const double q = Track::weight(logw_.position(k, f), path_.width, alpha, beta);
  Mp l(kWidthBits), wa(kWidthBits), wb(kWidthBits);
  mpfr_sub(l.v, logs_->v[k + 1]->v, logs_->v[k]->v, MPFR_RNDN);
  mpfr_mul_d(l.v, l.v, q, MPFR_RNDN);
  mpfr_add(l.v, l.v, logs_->v[k]->v, MPFR_RNDN);
  mpfr_exp(l.v, l.v, MPFR_RNDN);
  set(wa.v, wt_[k]);
  set(wb.v, wt_[k + 1]);
  if (mpfr_cmp(wa.v, wb.v) > 0) mpfr_swap(wa.v, wb.v);
  if (mpfr_cmp(l.v, wa.v) < 0) mpfr_set(l.v, wa.v, MPFR_RNDN);
  if (mpfr_cmp(l.v, wb.v) > 0) mpfr_set(l.v, wb.v, MPFR_RNDN);
  return mp_text(l.v, 19, wt_[k]);
}

double KeyPath::decades(std::uint64_t f) const { return zoom_decades(width_text(0), width_text(f)); }

std::uint32_t KeyPath::max_iter(std::uint64_t f) const {
  if (!iter_.empty()) return round_max_iter(iter_.at(f));
  if (path_.max_iter_growth) return round_max_iter(static_cast<double>(cfg_.max_iter) + *path_.max_iter_growth * decades(f));
  return cfg_.max_iter;
}

double KeyPath::rotation(std::uint64_t f) const { return rot_.empty() ? cfg_.rotation : rot_.at(f); }

void KeyPath::centre_slopes(int axis, long k, double& alpha, double& beta) const {
  const std::vector<std::string>& c = axis == 0 ? cre_ : cim_;
  const std::vector<std::uint64_t>& fr = cframes_.frames();
  const long n = static_cast<long>(c.size());
  std::size_t chars = 0;
  for (long i = std::max(0L, k - 1); i <= std::min(n - 1, k + 2); ++i) chars = std::max(chars, c[i].size());
  const mpfr_prec_t bits = text_bits(chars, 128);
  // Secant i as Δ_i / h_i (MPFR), and the sign of each.
  auto secant = [&](long i, mpfr_t d) {
    Mp b(bits);
    set(d, c[i + 1]);
    set(b.v, c[i]);
    mpfr_sub(d, d, b.v, MPFR_RNDN);
    mpfr_div_ui(d, d, static_cast<unsigned long>(fr[i + 1] - fr[i]), MPFR_RNDN);
  };
  // The slope at interior key j over secant `over` (j - 1 or j): Fritsch-Carlson's weighted harmonic
  // mean m_j = (w1 + w2) / (w1 / d_{j-1} + w2 / d_j), divided by d_over, from the ratio of the two.
  auto ratio_at = [&](long j, long over) -> double {
    Mp d0(bits), d1(bits), r(bits);
    secant(j - 1, d0.v);
    secant(j, d1.v);
    if (mpfr_zero_p(d0.v) || mpfr_zero_p(d1.v) || mpfr_sgn(d0.v) != mpfr_sgn(d1.v)) return 0.0;
    const double h0 = static_cast<double>(fr[j] - fr[j - 1]), h1 = static_cast<double>(fr[j + 1] - fr[j]);
    const double w1 = 2 * h1 + h0, w2 = h1 + 2 * h0;
    if (over == j) {  // m_j / d_j = (w1 + w2) / (w1 d_j / d_{j-1} + w2)
      mpfr_div(r.v, d1.v, d0.v, MPFR_RNDN);
      return (w1 + w2) / (w1 * mpfr_get_d(r.v, MPFR_RNDN) + w2);
    }
    // m_j / d_{j-1} = (w1 + w2) / (w1 + w2 d_{j-1} / d_j)
    mpfr_div(r.v, d0.v, d1.v, MPFR_RNDN);
    return (w1 + w2) / (w1 + w2 * mpfr_get_d(r.v, MPFR_RNDN));
  };
  alpha = k == 0 ? 1.0 : ratio_at(k, k);              // end keys take their segment's secant
  beta = k + 2 == n ? 1.0 : ratio_at(k + 1, k);
}

std::string KeyPath::centre_text(int axis, std::uint64_t f, long bits) const {
  const std::vector<std::string>& c = axis == 0 ? cre_ : cim_;
  const long k = cframes_.segment(f);
  if (k < 0) return c[cframes_.held(f)];
  const mpfr_prec_t prec = text_bits(std::max(c[k].size(), c[k + 1].size()), bits + 64);
  Mp ca(prec), cb(prec), s(prec), v(prec);
  set(ca.v, c[k]);
  set(cb.v, c[k + 1]);
  if (mpfr_equal_p(ca.v, cb.v)) return c[k];
  const std::uint64_t fa = cframes_.frames()[k], fb = cframes_.frames()[k + 1];
  bool done = false;
  if (path_.center == Interp::Zoom && !logw_.empty()) {
    const std::string ta = width_text(fa), tb = width_text(fb);
    Mp wa(prec), wb(prec), wf(prec);
    set(wa.v, ta);
    set(wb.v, tb);
    if (!mpfr_equal_p(wa.v, wb.v)) {  // s = (wa - w(f)) / (wa - wb), in [0, 1]
      set(wf.v, width_text(f));
      mpfr_sub(s.v, wa.v, wf.v, MPFR_RNDN);
      mpfr_sub(wb.v, wa.v, wb.v, MPFR_RNDN);
      mpfr_div(s.v, s.v, wb.v, MPFR_RNDN);
      if (mpfr_sgn(s.v) < 0) mpfr_set_ui(s.v, 0, MPFR_RNDN);
      if (mpfr_cmp_ui(s.v, 1) > 0) mpfr_set_ui(s.v, 1, MPFR_RNDN);
      done = true;
    }
  }
  if (!done) {  // a weight in double: linear, ease, or cubic (also zoom where the width is constant)
    const Interp m = path_.center == Interp::Zoom ? Interp::Cubic : path_.center;
    double alpha = 0, beta = 0;
    if (m == Interp::Cubic) centre_slopes(axis, k, alpha, beta);
    mpfr_set_d(s.v, Track::weight(cframes_.position(k, f), m, alpha, beta), MPFR_RNDN);
  }
  mpfr_sub(v.v, cb.v, ca.v, MPFR_RNDN);
  mpfr_mul(v.v, v.v, s.v, MPFR_RNDN);
  mpfr_add(v.v, v.v, ca.v, MPFR_RNDN);
  Mp r(bits);
  mpfr_set(r.v, v.v, MPFR_RNDN);
  return mp_text(r.v, static_cast<int>(static_cast<double>(bits) * 0.30103) + 3, c[k]);
}

}  // namespace fractal::deep
