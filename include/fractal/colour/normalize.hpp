#pragma once
// Count -> [0, 1] normalisations. Interior pixels (count == the frame's max_iter) are not
// normalised: the caller gives them the interior colour.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fractal::colour {

enum class Norm { Linear, Log, Histogram, HistogramPerFrame, Cycle, Smooth, SmoothLog, SmoothCycle, SmoothHistogram };
// "linear" | "log" | "histogram" | "histogram-per-frame" | "cycle" | "smooth" | "smooth-log" |
// "smooth-cycle" | "smooth-histogram"; throws UsageError naming --norm.
Norm norm_from_name(const std::string& name);
const char* norm_name(Norm n);

struct NormSettings {
  Norm norm = Norm::Linear;
  double cycle_period = 64;  // iterations per palette repeat (cycle)
  double cycle_speed = 0;    // palette phase shift in iterations per frame (cycle)
};

// linear: count / max_iter.  log: log1p(count) / log1p(max_iter).
// histogram: the fraction of exterior pixels (over every frame added) whose count is <= count,
//   so colours are spread evenly over the pixels; computed once over all selected frames (no flicker).
// histogram-per-frame: the same, from the frame's own pixels (reset() between frames).
// cycle: fmod(count + cycle_speed * frame, cycle_period) / cycle_period.
// The smooth norms take the pixel's /smooth value s instead of its count (value_smooth()):
// smooth: clamp(s, 0, max_iter) / max_iter.  smooth-log: log1p(clamp(s, 0, max_iter)) / log1p(max_iter).
// smooth-cycle: fmod(s + cycle_speed * frame, cycle_period) / cycle_period.
//   The cycles (cycle, smooth-cycle) depend on the absolute count or s (the depth) and the frame
//   only, never on max_iter: a zoom whose budget grows per frame cycles continuously.
// smooth-histogram: histogram equalisation of s, over the exterior pixels of every frame added
//   (one CDF for a whole video: no flicker). The histogram has kSmoothBins bins, uniform in
//   log1p(clamp(s, 0, top)) over [0, log1p(top)] (top: set_smooth_top(), the largest max_iter of
//   the frames); the value is the fraction of exterior pixels whose s lies below, interpolated
//   linearly inside s's bin, so it is continuous and non-decreasing in s (no bands) and the
//   same function of s in every frame. Memory: kSmoothBins * 8 bytes, whatever the frame count.
class Normalizer {
 public:
  explicit Normalizer(NormSettings s) : s_(s) {}
  static constexpr std::size_t kSmoothBins = std::size_t{1} << 20;
  bool needs_histogram() const { return s_.norm == Norm::Histogram || s_.norm == Norm::HistogramPerFrame; }
  // smooth-histogram: add_smooth() every frame, then finalize(), before value_smooth().
  bool needs_smooth_histogram() const { return s_.norm == Norm::SmoothHistogram; }
  // The norm reads /smooth values (value_smooth) rather than counts.
  bool uses_smooth() const {
    return s_.norm == Norm::Smooth || s_.norm == Norm::SmoothLog || s_.norm == Norm::SmoothCycle ||
           s_.norm == Norm::SmoothHistogram;
  }
  // Adds a frame's exterior counts (count < max_iter) to the histogram.
  void add(std::span<const std::uint32_t> counts, std::uint32_t max_iter);
  // smooth-histogram: the upper end of the binned range of s (at least 1; call before add_smooth,
  // with the largest max_iter of the frames that will be added).
  void set_smooth_top(double top);
  // smooth-histogram: adds a frame's exterior pixels (count < max_iter) by their smooth value
  // (non-finite s counts as 0). counts and smooth have one entry per pixel.
  void add_smooth(std::span<const std::uint32_t> counts, std::span<const float> smooth, std::uint32_t max_iter);
  void reset();
  // Call after the last add() and before value().
  void finalize();
  // For the smooth norms, value() treats the count as the smooth value.
  double value(std::uint32_t count, std::uint32_t max_iter, std::uint64_t frame) const;
  // The smooth norms of a /smooth value s (the count norms: s rounded down as a count).
  double value_smooth(double s, std::uint32_t max_iter, std::uint64_t frame) const;

 private:
  NormSettings s_;
  // Dense while every exterior count seen is <= 2^24: [max count + 1] exterior pixels per
  // count, then (after finalize()) cumulative. Larger counts switch to sparse_: sorted
  // (count, pixels) pairs, then (count, cumulative), so memory never follows the raw max count.
  std::vector<std::uint64_t> hist_;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> sparse_;
  bool dense_ = true;
  std::uint64_t total_ = 0;
  // smooth-histogram: [kSmoothBins] exterior pixels per bin, then (after finalize()) cumulative.
  std::vector<std::uint64_t> sbins_;
  double stop_ = 1;        // top of the binned range of s
  double sscale_ = 0;      // bins per unit of log1p(s)
  std::uint64_t stotal_ = 0;
  double smooth_bin(double s) const;  // s -> continuous bin coordinate in [0, kSmoothBins]
};

}  // namespace fractal::colour
