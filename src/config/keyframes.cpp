// Keyframed animation paths: key parsing and merging, per-track interpolation (linear, ease,
// monotone cubic, zoom), the evaluated path per frame. The formulas are docs/ANIMATION.md's, in
// exactly the operation order written there (tests/anim/stored_plan.py reproduces them bit for bit).
#include "fractal/config/keyframes.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "fractal/config/config.hpp"
#include "fractal/config/decimal.hpp"
#include "fractal/config/location.hpp"
#include "fractal/error.hpp"
#include "fractal/kernel/family.hpp"
#include "fractal/config/parse.hpp"

namespace fractal {

const char* interp_name(Interp m) {
  switch (m) {
    case Interp::Linear: return "linear";
    case Interp::Ease: return "ease";
    case Interp::Cubic: return "cubic";
    case Interp::Zoom: return "zoom";
  }
  return "?";
}

namespace {

constexpr double kCoordLimit = 1e6;            // as config.cpp's coordinate options
constexpr std::uint64_t kMaxKeyFrame = 999999;  // frames <= 1000000

[[noreturn]] void key_error(const std::string& text, const std::string& what) {
  throw UsageError("--key '" + text + "': " + what);
}

// parse_double/parse_uint with the message re-worded as "--key 'TEXT': FIELD must be ...".
double key_double(const std::string& text, const std::string& field, const std::string& v, double lo, double hi,
                  bool lo_open = false) {
  try {
    return parse_double(field, v, lo, hi, lo_open);
  } catch (const UsageError& e) {
    key_error(text, std::string(e.what()).substr(2));
  }
}

std::uint64_t key_uint(const std::string& text, const std::string& field, const std::string& v, std::uint64_t lo,
                       std::uint64_t hi) {
  try {
    return parse_uint(field, v, lo, hi);
  } catch (const UsageError& e) {
    key_error(text, std::string(e.what()).substr(2));
  }
}

// A decimal as text (check_decimal), the message re-worded as "--key 'TEXT': FIELD must be ...".
std::string key_decimal(const std::string& text, const std::string& field, const std::string& v) {
  try {
    return check_decimal(field, v);
  } catch (const UsageError& e) {
    key_error(text, e.what());
  }
}

// "A,B" -> two doubles, each checked like parse_double.
void key_pair(const std::string& text, const std::string& field, const std::string& v, const char* na,
              const char* nb, double lo_a, double hi_a, double lo_b, double hi_b, std::optional<double>& a,
              std::optional<double>& b) {
  const std::size_t comma = v.find(',');
  if (comma == std::string::npos || v.find(',', comma + 1) != std::string::npos)
    key_error(text, field + " must be two numbers " + na + "," + nb + ", got '" + v + "'");
  a = key_double(text, field + " " + na, v.substr(0, comma), lo_a, hi_a);
  b = key_double(text, field + " " + nb, v.substr(comma + 1), lo_b, hi_b);
}

}  // namespace

bool KeyframePath::has_center() const {
  return std::any_of(keys.begin(), keys.end(), [](const Keyframe& k) { return k.center_re.has_value(); });
}
bool KeyframePath::has_width() const {
  return std::any_of(keys.begin(), keys.end(), [](const Keyframe& k) { return k.width.has_value(); });
}
bool KeyframePath::has_rotation() const {
  return std::any_of(keys.begin(), keys.end(), [](const Keyframe& k) { return k.rotation.has_value(); });
}
bool KeyframePath::has_c() const {
  return std::any_of(keys.begin(), keys.end(), [](const Keyframe& k) { return k.c_a.has_value(); });
}
bool KeyframePath::has_max_iter() const {
  return std::any_of(keys.begin(), keys.end(), [](const Keyframe& k) { return k.max_iter.has_value(); });
}

bool KeyframePath::double_model(const Bounds& base_view) const {
  if (!(base_view.xmax - base_view.xmin > 0)) return false;
  return std::all_of(keys.begin(), keys.end(), [](const Keyframe& k) { return !k.width || *k.width > 0; });
}

std::vector<std::string> KeyframePath::key_texts(bool deep) const {
  std::vector<std::string> out;
  for (const Keyframe& k : keys) {
    std::string s = "frame=" + std::to_string(k.frame);
    if (k.center_re)
      s += " center=" + (deep ? k.center_re_text : shortest_text(*k.center_re)) + "," + (deep ? k.center_im_text : shortest_text(*k.center_im));
    if (k.width) s += " width=" + (deep ? k.width_text : shortest_text(*k.width));
    if (k.rotation) s += " rotation=" + shortest_text(*k.rotation);
    if (k.c_a) s += std::string(c_polar ? " c-polar=" : " c=") + shortest_text(*k.c_a) + "," + shortest_text(*k.c_b);
    if (k.max_iter) s += " max-iter=" + std::to_string(*k.max_iter);
    out.push_back(std::move(s));
  }
  return out;
}

Keyframe parse_key(const std::string& text, double fps, std::optional<bool>& polar) {
  Keyframe k;
  polar.reset();
  std::istringstream in(text);
  std::string item;
  std::map<std::string, bool> seen;
  bool have_frame = false, have_time = false;
  while (in >> item) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      key_error(text, "expected FIELD=VALUE items, got '" + item + "'");
    const std::string field = item.substr(0, eq), v = item.substr(eq + 1);
    static const char* const kFields[] = {"frame", "time", "center", "width", "zoom", "location", "rotation", "c", "c-polar", "max-iter"};
    if (std::find_if(std::begin(kFields), std::end(kFields), [&](const char* f) { return field == f; }) ==
        std::end(kFields))
      key_error(text, "unknown field '" + field +
                          "' (fields: frame, time, center, width, zoom, location, rotation, c, c-polar, max-iter)");
    if (seen[field]) key_error(text, "field '" + field + "' given twice");
    seen[field] = true;
    const double L6 = kCoordLimit;
    if (field == "frame") {
      k.frame = key_uint(text, "frame", v, 0, kMaxKeyFrame);
      have_frame = true;
    } else if (field == "time") {
      const double t = key_double(text, "time", v, 0.0, 1e7);
      const double n = std::round(t * fps);
      if (!(n <= static_cast<double>(kMaxKeyFrame)))
        key_error(text, "time " + v + " at " + shortest_text(fps) + " fps is frame " + shortest_text(n) + "; must be at most " +
                            std::to_string(kMaxKeyFrame));
      k.frame = static_cast<std::uint64_t>(n);
      have_time = true;
    } else if (field == "center") {
      key_pair(text, "center", v, "RE", "IM", -L6, L6, -L6, L6, k.center_re, k.center_im);
      const std::size_t comma = v.find(',');
      k.center_re_text = key_decimal(text, "center RE", v.substr(0, comma));
      k.center_im_text = key_decimal(text, "center IM", v.substr(comma + 1));
    } else if (field == "width") {
      k.width_text = key_decimal(text, "width", v);
      if (decimal_is_zero(k.width_text) || decimal_is_negative(k.width_text))
        key_error(text, "width must be > 0, got '" + v + "'");
      if (decimal_exponent10(k.width_text) < -300) {  // below double's range: a deep path's (or refused)
        if (decimal_exponent10(k.width_text) < -kMaxDecimalExponent + 10)
          key_error(text, "width '" + v + "' is beyond the deepest supported view (1e-" +
                              std::to_string(kMaxDecimalExponent - 10) + ")");
        k.width = 0.0;
      } else {
        k.width = key_double(text, "width", v, 0.0, 2 * L6, true);
      }
    } else if (field == "zoom") {
      k.zoom_text = key_decimal(text, "zoom", v);
    } else if (field == "location") {
      Location loc;
      try {
        loc = read_location_file(v);
      } catch (const UsageError& e) {
        key_error(text, e.what());
      }
      key_pair(text, "location '" + v + "' centre", loc.re + "," + loc.im, "RE", "IM", -L6, L6, -L6, L6, k.center_re, k.center_im);
      k.center_re_text = loc.re;
      k.center_im_text = loc.im;
      k.zoom_text = loc.zoom;
    } else if (field == "rotation") {
      k.rotation = key_double(text, "rotation", v, -L6, L6);
    } else if (field == "c") {
      key_pair(text, "c", v, "RE", "IM", -L6, L6, -L6, L6, k.c_a, k.c_b);
    } else if (field == "c-polar") {
      key_pair(text, "c-polar", v, "R", "DEG", 0.0, L6, -L6, L6, k.c_a, k.c_b);
    } else {  // max-iter
      k.max_iter = static_cast<std::uint32_t>(key_uint(text, "max-iter", v, 1, 4294967295ull));
    }
  }
  if (seen["c"] && seen["c-polar"]) key_error(text, "give c= or c-polar=, not both");
  if (seen["width"] + seen["zoom"] + seen["location"] > 1 || (seen["location"] && seen["center"]))
    key_error(text, "give one of width=, zoom= or location= (location= sets the centre and the zoom)");
  if (!k.zoom_text.empty()) {
    if (decimal_is_zero(k.zoom_text) || decimal_is_negative(k.zoom_text))
      key_error(text, "zoom must be > 0, got '" + k.zoom_text + "'");
    if (decimal_exponent10(k.zoom_text) < -5) key_error(text, "zoom '" + k.zoom_text + "' makes the view wider than 2e6");
    if (decimal_exponent10(k.zoom_text) > kMaxDecimalExponent - 10)
      key_error(text, "zoom '" + k.zoom_text + "' is beyond the deepest supported view (1e" +
                          std::to_string(kMaxDecimalExponent - 10) + ")");
    k.width = 1.0;  // set: parse_config replaces it and width_text from the zoom and the image's aspect
  }
  if (seen["c"] || seen["c-polar"]) polar = seen["c-polar"];
  if (have_frame == have_time)
    key_error(text, have_frame ? "give frame= or time=, not both" : "needs frame=N or time=SECONDS");
  if (!k.center_re && !k.width && !k.rotation && !k.c_a && !k.max_iter)
    key_error(text, "sets nothing (fields: center, width, zoom, location, rotation, c, c-polar, max-iter)");
  return k;
}

void merge_keys(KeyframePath& path, const std::vector<Keyframe>& keys,
                const std::vector<std::optional<bool>>& polar, const std::vector<std::string>& texts) {
  std::optional<bool> form;
  std::string form_text;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!polar[i]) continue;
    if (form && *form != *polar[i])
      key_error(texts[i], "all c keys of a job must use the same form; '" + form_text + "' uses " +
                              (*form ? "c-polar=" : "c="));
    form = polar[i];
    form_text = texts[i];
  }
  path.c_polar = form.value_or(false);
  // Stable order by frame; merge the keys of one frame, refusing a track set twice.
  std::vector<std::size_t> order(keys.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a].frame < keys[b].frame; });
  path.keys.clear();
  std::vector<std::size_t> first_text;  // per merged key: index of a text that set it (messages)
  for (std::size_t i : order) {
    const Keyframe& k = keys[i];
    if (path.keys.empty() || path.keys.back().frame != k.frame) {
      path.keys.push_back(k);
      continue;
    }
    Keyframe& m = path.keys.back();
    auto set = [&](auto& dst, const auto& src, const char* name) {
      if (!src) return;
      if (dst)
        key_error(texts[i], std::string("two keys set ") + name + " at frame " + std::to_string(k.frame) +
                                " (each track takes one key per frame)");
      dst = src;
    };
    set(m.center_re, k.center_re, "center");
    m.center_im = m.center_re ? (m.center_im ? m.center_im : k.center_im) : m.center_im;
    set(m.width, k.width, "width");
    set(m.rotation, k.rotation, "rotation");
    set(m.c_a, k.c_a, "c");
    m.c_b = m.c_b ? m.c_b : k.c_b;
    set(m.max_iter, k.max_iter, "max-iter");
  }
}

// ---------------------------------------------------------------------------------------------
// Tracks

Track::Track(std::vector<std::uint64_t> frames, std::vector<double> values, Interp mode)
    : f_(std::move(frames)), v_(std::move(values)), m_(v_.size(), 0.0), mode_(mode) {
  const std::size_t n = v_.size();
  if (n < 2) return;
  std::vector<double> d(n - 1), h(n - 1);  // secant slopes and segment lengths (frames)
  for (std::size_t k = 0; k + 1 < n; ++k) {
    h[k] = static_cast<double>(f_[k + 1] - f_[k]);
    d[k] = (v_[k + 1] - v_[k]) / h[k];
  }
  m_[0] = d[0];
  m_[n - 1] = d[n - 2];
  for (std::size_t k = 1; k + 1 < n; ++k) {
    const double d0 = d[k - 1], d1 = d[k];
    if (d0 == 0 || d1 == 0 || (d0 > 0) != (d1 > 0)) {
      m_[k] = 0;
    } else {
      const double w1 = 2 * h[k] + h[k - 1], w2 = h[k] + 2 * h[k - 1];
      m_[k] = (w1 + w2) / (w1 / d0 + w2 / d1);
    }
  }
}

long Track::segment(std::uint64_t f) const {
  if (f_.size() < 2 || f <= f_.front() || f >= f_.back()) return -1;
  const auto it = std::upper_bound(f_.begin(), f_.end(), f);  // first key frame > f
  const long k = static_cast<long>(it - f_.begin()) - 1;
  return f_[k] == f ? -1 : k;
}

std::size_t Track::held(std::uint64_t f) const {
  if (f <= f_.front()) return 0;
  if (f >= f_.back()) return f_.size() - 1;
  return static_cast<std::size_t>(std::lower_bound(f_.begin(), f_.end(), f) - f_.begin());
}

double Track::position(long k, std::uint64_t f) const {
  return static_cast<double>(f - f_[k]) / static_cast<double>(f_[k + 1] - f_[k]);
}

double Track::weight(double t, Interp m, double alpha, double beta) {
  if (m == Interp::Linear) return t;
  if (m == Interp::Ease) return t * t * (3.0 - 2.0 * t);
  // Monotone cubic Hermite in the normalised form q = h01 + alpha h10 + beta h11.
  const double t2 = t * t, u = 1.0 - t;
  const double h01 = t2 * (3.0 - 2.0 * t), h10 = t * u * u, h11 = t2 * (t - 1.0);
  const double q = h01 + h10 * alpha + h11 * beta;
  return std::clamp(q, 0.0, 1.0);
}

double Track::interpolate(long k, std::uint64_t f, Interp m) const {
  const double va = v_[k], vb = v_[k + 1];
  if (va == vb) return va;
  const double t = position(k, f);
  double alpha = 0, beta = 0;
  if (m == Interp::Cubic) {  // the end slopes over the secant d
    const double d = (vb - va) / static_cast<double>(f_[k + 1] - f_[k]);
    alpha = m_[k] / d;
    beta = m_[k + 1] / d;
  }
  const double v = va + (vb - va) * weight(t, m, alpha, beta);
  return std::clamp(v, std::min(va, vb), std::max(va, vb));
}

double Track::at(std::uint64_t f) const {
  const long k = segment(f);
  if (k < 0) return v_[held(f)];
  return interpolate(k, f, mode_);
}

std::uint32_t round_max_iter(double v) {
  if (!(v >= 1.0)) return 1;
  if (v >= 4294967295.0) return 4294967295u;
  return static_cast<std::uint32_t>(std::round(v));
}

// ---------------------------------------------------------------------------------------------
// The evaluated path

PathEvaluator::PathEvaluator(const KeyframePath& path, const PathBase& base) : path_(path), base_(base) {
  std::vector<std::uint64_t> fc, fw, fr, fk, fi;
  std::vector<double> cre, cim, lw, rot, ca, cb, it;
  for (const Keyframe& k : path.keys) {
    if (k.center_re) { fc.push_back(k.frame); cre.push_back(*k.center_re); cim.push_back(*k.center_im); }
    if (k.width) { fw.push_back(k.frame); lw.push_back(std::log(*k.width)); w_keys_.push_back(*k.width); }
    if (k.rotation) { fr.push_back(k.frame); rot.push_back(*k.rotation); }
    if (k.c_a) { fk.push_back(k.frame); ca.push_back(*k.c_a); cb.push_back(*k.c_b); }
    if (k.max_iter) { fi.push_back(k.frame); it.push_back(static_cast<double>(*k.max_iter)); }
  }
  const Interp cm = path.center == Interp::Zoom ? Interp::Cubic : path.center;
  cre_ = Track(fc, cre, cm);
  cim_ = Track(fc, cim, cm);
  logw_ = Track(fw, lw, path.width);
  rot_ = Track(fr, rot, path.rotation);
  ca_ = Track(fk, ca, path.c);
  cb_ = Track(fk, cb, path.c);
  iter_ = Track(fi, it, path.max_iter);
  w0_ = width_at(0);
}

double PathEvaluator::width_at(std::uint64_t f) const {
  if (logw_.empty()) return base_.width;
  const long k = logw_.segment(f);
  if (k < 0) return w_keys_[logw_.held(f)];
  const double w = std::exp(logw_.interpolate(k, f, path_.width));
  const double wa = w_keys_[k], wb = w_keys_[k + 1];
  return std::clamp(w, std::min(wa, wb), std::max(wa, wb));
}

double PathEvaluator::center_at(const Track& t, std::uint64_t f) const {
  const long k = t.segment(f);
  if (k < 0) return t.at(f);
  if (path_.center != Interp::Zoom) return t.interpolate(k, f, path_.center);
  const std::uint64_t fa = t.frames()[k], fb = t.frames()[k + 1];
  const double wa = width_at(fa), wb = width_at(fb);
  if (logw_.empty() || wa == wb) return t.interpolate(k, f, Interp::Cubic);
  const double ca = t.values()[k], cb = t.values()[k + 1];
  const double s = std::clamp((wa - width_at(f)) / (wa - wb), 0.0, 1.0);
  const double v = ca + (cb - ca) * s;
  return std::clamp(v, std::min(ca, cb), std::max(ca, cb));
}

PathPoint PathEvaluator::at(std::uint64_t f) const {
  PathPoint p;
  p.width = width_at(f);
  if (cre_.empty()) {
    p.center_re = base_.center_re;
    p.center_im = base_.center_im;
  } else {
    p.center_re = center_at(cre_, f);
    p.center_im = center_at(cim_, f);
  }
  p.rotation = rot_.empty() ? base_.rotation : rot_.at(f);
  if (ca_.empty()) {
    p.c_re = base_.c_re;
    p.c_im = base_.c_im;
  } else if (path_.c_polar) {
    const double r = ca_.at(f), deg = cb_.at(f);
    double cs = 1, sn = 0;
    rotation_cos_sin(deg, cs, sn);
    p.c_re = r * cs;
    p.c_im = r * sn;
  } else {
    p.c_re = ca_.at(f);
    p.c_im = cb_.at(f);
  }
  if (!iter_.empty()) {
    p.max_iter = round_max_iter(iter_.at(f));
  } else if (path_.max_iter_growth) {
    p.max_iter = round_max_iter(static_cast<double>(base_.max_iter) + *path_.max_iter_growth * std::log10(w0_ / p.width));
  } else {
    p.max_iter = base_.max_iter;
  }
  return p;
}

PathBase path_base(const Config& cfg) {
  const Bounds& v0 = cfg.view;
  PathBase base;
  base.center_re = 0.5 * (v0.xmin + v0.xmax);
  base.center_im = 0.5 * (v0.ymin + v0.ymax);
  base.width = v0.xmax - v0.xmin;
  base.rotation = cfg.rotation;
  base.c_re = cfg.c_re;
  base.c_im = cfg.c_im;
  base.max_iter = cfg.max_iter;
  return base;
}

}  // namespace fractal
