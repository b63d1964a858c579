#pragma once
// Deep keyframed paths (docs/ANIMATION.md "Deep keyframes"): a --key path whose frames need
// perturbation somewhere. The tracks are those of the double path (keyframes.hpp) with the same
// modes and the same normalised weights, but the centre and width are decimal text of any length
// and exponent: log-widths and centres are interpolated in MPFR, and every frame's width and centre
// come out as text (the same on every rank and machine).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fractal/config/keyframes.hpp"

namespace fractal {
struct Config;
}

namespace fractal::deep {

class KeyPath {
 public:
  // cfg.path non-empty; cfg.view_width_text, cfg.center_re_text/center_im_text hold the base view
  // (the tracks without keys keep it).
  explicit KeyPath(const Config& cfg);
  ~KeyPath();
  KeyPath(const KeyPath&) = delete;
  KeyPath& operator=(const KeyPath&) = delete;

  // Frame f's width: a width key's text at its frame (and held outside the keys); inside a segment
  // exp(La + (Lb - La) q) with L = log width at 128 bits and q the segment's weight (Track::weight:
  // linear, ease or the monotone cubic of the double logs), clamped to the keys' widths, 20
  // significant digits.
  std::string width_text(std::uint64_t f) const;
  // log10(w(0) / w(f)) (max-iter-growth).
  double decades(std::uint64_t f) const;
  // Frame f's centre, axis 0 (re) or 1 (im), at `bits`: a centre key's text at its frame (held
  // outside the keys); inside a segment ca + (cb - ca) s, s = (wa - w(f)) / (wa - wb) for
  // --interp-center zoom (where the width changes over the segment; cubic where it does not), else
  // the weight q of linear, ease or the monotone cubic (its slope ratios from MPFR secants).
  std::string centre_text(int axis, std::uint64_t f, long bits) const;
  std::uint32_t max_iter(std::uint64_t f) const;
  double rotation(std::uint64_t f) const;
  // The centre keys' frames and texts (the base centre alone when there are none).
  std::vector<std::uint64_t> centre_frames() const;
  const std::vector<std::string>& centre_key_re() const { return cre_; }
  const std::vector<std::string>& centre_key_im() const { return cim_; }

 private:
  struct Logs;
  const Config& cfg_;
  const KeyframePath& path_;
  Track logw_, rot_, iter_, cframes_;  // cframes_: the centre keys' frames (values unused)
  std::vector<std::string> wt_, cre_, cim_;  // width key texts; centre key texts
  std::unique_ptr<Logs> logs_;               // the width keys' logs at 128 bits
  std::string base_width_;
  // Segment k's cubic end slopes over its secant (alpha: at key k, beta: at key k + 1) for one
  // centre axis, the Fritsch-Carlson slopes written as ratios of neighbouring secants (MPFR), so
  // that centres any distance apart (1 to 1e-1000) keep them.
  void centre_slopes(int axis, long k, double& alpha, double& beta) const;
};

}  // namespace fractal::deep
