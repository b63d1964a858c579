#pragma once
// Count -> [0, 1] normalisations. Interior pixels (count == the frame's max_iter) are not
// normalised: the caller gives them the interior colour.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fractal::colour {

enum class Norm { Linear, Log, Histogram, HistogramPerFrame, Cycle, Smooth, SmoothLog, SmoothCycle };
// "linear" | "log" | "histogram" | "histogram-per-frame" | "cycle" | "smooth" | "smooth-log" |
// "smooth-cycle"; throws UsageError naming --norm.
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
class Normalizer {
 public:
  explicit Normalizer(NormSettings s) : s_(s) {}
  bool needs_histogram() const { return s_.norm == Norm::Histogram || s_.norm == Norm::HistogramPerFrame; }
  // The norm reads /smooth values (value_smooth) rather than counts.
  bool uses_smooth() const { return s_.norm == Norm::Smooth || s_.norm == Norm::SmoothLog || s_.norm == Norm::SmoothCycle; }
  // Adds a frame's exterior counts (count < max_iter) to the histogram.
  void add(std::span<const std::uint32_t> counts, std::uint32_t max_iter);
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
};

}  // namespace fractal::colour
