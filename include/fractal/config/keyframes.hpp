#pragma once
// Keyframed animation paths (docs/ANIMATION.md writes down every formula used here; the e2e test
// tests/anim/stored_plan.py re-implements them in Python and compares the stored /frames bit for bit).
//
// A path is a list of keys, each setting any subset of the tracks centre, width, rotation, c and
// max-iter at one frame. Each track is interpolated on its own between its own keys and holds its
// first/last key's value outside them. A track with no keys keeps the base option's value.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fractal {

struct Config;
struct Bounds;

// Interpolation between two consecutive keys of a track. Zoom: centre track only.
enum class Interp { Linear, Ease, Cubic, Zoom };
const char* interp_name(Interp m);  // "linear" | "ease" | "cubic" | "zoom"

// One keyframe (after parsing and merging: one per distinct frame).
struct Keyframe {
  std::uint64_t frame = 0;
  std::optional<double> center_re, center_im;  // set together (center=RE,IM)
  std::optional<double> width;
  std::optional<double> rotation;              // degrees
  std::optional<double> c_a, c_b;              // c=RE,IM (c_a = re, c_b = im) or c-polar=R,DEG
  std::optional<std::uint32_t> max_iter;
  // The centre and width as typed (check_decimal's syntax, any length and exponent), for deep paths
  // (deep::KeyPath); "" when the key does not set them. A width below double's range has width 0.
  std::string center_re_text, center_im_text, width_text;
  // zoom=Z or the zoom of location=FILE (Kalles Fraktaler's: view height 4 / Z), as typed, until
  // parse_config turns it into width_text (it needs the image's aspect); "" otherwise.
  std::string zoom_text;
};

struct KeyframePath {
  std::vector<Keyframe> keys;  // sorted by frame, frames distinct
  bool c_polar = false;        // the c keys are c-polar=R,DEG
  Interp center = Interp::Zoom, width = Interp::Cubic, rotation = Interp::Cubic,
         c = Interp::Cubic, max_iter = Interp::Cubic;
  std::optional<double> max_iter_growth;  // iterations per decade of zoom (exclusive with max-iter keys)
  bool empty() const { return keys.empty(); }
  std::uint64_t last_frame() const { return keys.empty() ? 0 : keys.back().frame; }
  bool has_center() const;
  bool has_width() const;
  bool has_rotation() const;
  bool has_c() const;
  bool has_max_iter() const;
  // Whether the double model (PathEvaluator) can evaluate the path: every width key, and the base
  // view's width, is a positive double (a deep path's may be below double's range).
  bool double_model(const Bounds& base_view) const;
  // The keys in canonical config-file form ("frame=N center=RE,IM width=W ..."), one per frame;
  // `deep`: the centre and width as typed (a deep path's numbers do not fit a double).
  std::vector<std::string> key_texts(bool deep = false) const;
};

// Parses one key's text ("frame=10 width=1e-3 ..."); time=S converts with `fps`. Throws UsageError
// "--key 'TEXT': ..." (one line) for an unknown field, missing/both frame and time, a repeated
// field, non-finite or out-of-range numbers. `polar` is set to whether its c is c-polar (unset when
// the key has no c).
Keyframe parse_key(const std::string& text, double fps, std::optional<bool>& polar);

// Merges parsed keys (any order) into a path's key list: sorted by frame, one Keyframe per frame.
// `texts` are the keys as typed, for messages. Throws UsageError naming --key for two keys that set
// the same track at the same frame, and for mixing c= and c-polar=.
void merge_keys(KeyframePath& path, const std::vector<Keyframe>& keys,
                const std::vector<std::optional<bool>>& polar, const std::vector<std::string>& texts);

// One scalar track: keys (frame, value), frames strictly increasing, and the interpolation mode
// (Linear, Ease or Cubic; Zoom is resolved by PathEvaluator). Monotone cubic slopes are computed
// once (Fritsch-Carlson / PCHIP).
class Track {
 public:
  Track() = default;
  Track(std::vector<std::uint64_t> frames, std::vector<double> values, Interp mode);
  bool empty() const { return f_.empty(); }
  // The value at frame f: the key's own value at a key frame, the first/last key's value outside
  // the keys, else the interpolation, clamped to the segment's [min, max].
  double at(std::uint64_t f) const;
  // Index k of the segment [f_k, f_k+1] holding f strictly inside, or -1 (at a key or outside).
  long segment(std::uint64_t f) const;
  // For f not strictly inside a segment: the index of the key whose value holds there.
  std::size_t held(std::uint64_t f) const;
  const std::vector<std::uint64_t>& frames() const { return f_; }
  const std::vector<double>& values() const { return v_; }
  double slope(std::size_t k) const { return m_[k]; }  // the monotone cubic slope at key k (per frame)
  // The interpolation of segment k at frame f with mode m (f strictly inside the segment).
  double interpolate(long k, std::uint64_t f, Interp m) const;
  // Segment k's position of frame f, t = (f - f_k) / (f_k+1 - f_k), in (0, 1).
  double position(long k, std::uint64_t f) const;
  // The normalised weight q in [0, 1] of an interpolation at position t: v = va + (vb - va) q (before
  // the clamp to [va, vb]). Linear: t; ease: t^2 (3 - 2t); cubic: the Hermite form
  // h01 + alpha h10 + beta h11 clamped to [0, 1], alpha and beta the segment's end slopes over its
  // secant. interpolate() uses exactly this; deep paths (deep::KeyPath) apply it in MPFR.
  static double weight(double t, Interp m, double alpha, double beta);

 private:
  std::vector<std::uint64_t> f_;
  std::vector<double> v_, m_;  // values, monotone cubic slopes (per frame)
  Interp mode_ = Interp::Cubic;
};

// The base values of tracks without keys.
struct PathBase {
  double center_re = 0, center_im = 0, width = 1, rotation = 0, c_re = 0, c_im = 0;
  std::uint32_t max_iter = 1;
};

// The evaluated path at one frame.
struct PathPoint {
  double center_re = 0, center_im = 0, width = 1, rotation = 0, c_re = 0, c_im = 0;
  std::uint32_t max_iter = 1;
};

// The base values of a keyframed job's tracks without keys: centre 0.5 * (xmin + xmax),
// 0.5 * (ymin + ymax) and width xmax - xmin of the base view, --rotation, --c-re/--c-im, --max-iter.
PathBase path_base(const Config& cfg);

class PathEvaluator {
 public:
  PathEvaluator(const KeyframePath& path, const PathBase& base);
  PathPoint at(std::uint64_t f) const;
  double width_at(std::uint64_t f) const;

 private:
  double center_at(const Track& t, std::uint64_t f) const;
  const KeyframePath& path_;
  PathBase base_;
  Track cre_, cim_, logw_, rot_, ca_, cb_, iter_;
  std::vector<double> w_keys_;  // the width keys' own values (returned exactly at their frames)
  double w0_ = 1;               // frame 0's width (max-iter growth)
};

// max-iter value rules shared with Config: a real budget rounded to nearest (half away from zero)
// and clamped to [1, 4294967295].
std::uint32_t round_max_iter(double v);

}  // namespace fractal
