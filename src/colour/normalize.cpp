#include "fractal/colour/normalize.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>

#include "fractal/error.hpp"

namespace fractal::colour {

namespace {

// Above this count the dense histogram would cost more than 128 MiB (and max_iter may be up to
// 2^32 - 1), so counts are kept as sorted (count, pixels) pairs instead.
constexpr std::uint32_t kDenseLimit = std::uint32_t{1} << 24;

using Pairs = std::vector<std::pair<std::uint32_t, std::uint64_t>>;

// Merges two count-sorted pair lists, summing the pixels of equal counts.
Pairs merge_pairs(const Pairs& a, const Pairs& b) {
  Pairs out;
  out.reserve(a.size() + b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      out.emplace_back(a[i].first, a[i].second + b[j].second);
      ++i;
      ++j;
    }
  }
  return out;
}

}  // namespace

Norm norm_from_name(const std::string& name) {
  if (name == "linear") return Norm::Linear;
  if (name == "log") return Norm::Log;
  if (name == "histogram") return Norm::Histogram;
  if (name == "histogram-per-frame") return Norm::HistogramPerFrame;
  if (name == "cycle") return Norm::Cycle;
  if (name == "smooth") return Norm::Smooth;
  if (name == "smooth-log") return Norm::SmoothLog;
  if (name == "smooth-cycle") return Norm::SmoothCycle;
  if (name == "smooth-histogram") return Norm::SmoothHistogram;
  throw UsageError("--norm must be linear, log, histogram, histogram-per-frame, cycle, smooth, smooth-log, smooth-cycle or smooth-histogram, got '" +
                   name + "'");
}

const char* norm_name(Norm n) {
  switch (n) {
    case Norm::Linear: return "linear";
    case Norm::Log: return "log";
    case Norm::Histogram: return "histogram";
    case Norm::HistogramPerFrame: return "histogram-per-frame";
    case Norm::Cycle: return "cycle";
    case Norm::Smooth: return "smooth";
    case Norm::SmoothLog: return "smooth-log";
    case Norm::SmoothCycle: return "smooth-cycle";
    case Norm::SmoothHistogram: return "smooth-histogram";
  }
  return "?";
}

void Normalizer::add(std::span<const std::uint32_t> counts, std::uint32_t max_iter) {
  if (!needs_histogram()) return;
  // One pass for the frame's largest exterior count, so the dense vector grows once per frame.
  std::uint64_t exterior = 0;
  std::uint32_t frame_max = 0;
  for (std::uint32_t c : counts) {
    if (c >= max_iter) continue;
    ++exterior;
    frame_max = std::max(frame_max, c);
  }
  if (exterior == 0) return;
  total_ += exterior;

  if (dense_ && frame_max > kDenseLimit) {
    // Switch to sparse, carrying over what the dense histogram holds so far.
    for (std::size_t c = 0; c < hist_.size(); ++c)
      if (hist_[c] != 0) sparse_.emplace_back(static_cast<std::uint32_t>(c), hist_[c]);
    std::vector<std::uint64_t>().swap(hist_);
    dense_ = false;
  }
  if (dense_) {
    if (hist_.size() <= frame_max) hist_.resize(std::size_t{frame_max} + 1, 0);
    for (std::uint32_t c : counts)
      if (c < max_iter) ++hist_[c];
    return;
  }
  // Sparse: sort the frame's exterior counts and run-length them into (count, pixels) pairs.
  std::vector<std::uint32_t> ext;
  ext.reserve(exterior);
  for (std::uint32_t c : counts)
    if (c < max_iter) ext.push_back(c);
  std::sort(ext.begin(), ext.end());
  Pairs runs;
  for (std::size_t i = 0; i < ext.size();) {
    std::size_t j = i;
    while (j < ext.size() && ext[j] == ext[i]) ++j;
    runs.emplace_back(ext[i], j - i);
    i = j;
  }
  sparse_ = merge_pairs(sparse_, runs);
}

void Normalizer::set_smooth_top(double top) {
  stop_ = std::isfinite(top) ? std::max(1.0, top) : 1.0;
  sscale_ = static_cast<double>(kSmoothBins) / std::log1p(stop_);
}

double Normalizer::smooth_bin(double s) const {
  if (!std::isfinite(s)) s = 0;
  const double u = std::log1p(std::clamp(s, 0.0, stop_)) * sscale_;
  return std::clamp(u, 0.0, static_cast<double>(kSmoothBins));
}

void Normalizer::add_smooth(std::span<const std::uint32_t> counts, std::span<const float> smooth, std::uint32_t max_iter) {
  if (!needs_smooth_histogram()) return;
  if (counts.size() != smooth.size())
    throw RuntimeError("smooth-histogram: " + std::to_string(smooth.size()) + " smooth values for " +
                       std::to_string(counts.size()) + " counts");
  if (sscale_ == 0) set_smooth_top(static_cast<double>(max_iter));  // no set_smooth_top(): this frame's budget
  if (sbins_.empty()) sbins_.assign(kSmoothBins, 0);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] >= max_iter) continue;  // interior: the interior colour, not in the histogram
    const auto b = std::min(static_cast<std::size_t>(smooth_bin(smooth[i])), kSmoothBins - 1);
    ++sbins_[b];
    ++stotal_;
  }
}

void Normalizer::reset() {
  std::vector<std::uint64_t>().swap(hist_);
  Pairs().swap(sparse_);
  dense_ = true;
  total_ = 0;
  std::vector<std::uint64_t>().swap(sbins_);
  stotal_ = 0;
}

void Normalizer::finalize() {
  // smooth-histogram: per-bin pixels -> cumulative pixels (bins <= b).
  std::partial_sum(sbins_.begin(), sbins_.end(), sbins_.begin());
  // Per-count pixels -> cumulative pixels (count <= c), so value() is a single look-up.
  if (dense_) {
    std::partial_sum(hist_.begin(), hist_.end(), hist_.begin());
  } else {
    std::uint64_t sum = 0;
    for (auto& p : sparse_) p.second = (sum += p.second);
  }
}

namespace {
double cycle_position(double v, double speed, double period, std::uint64_t frame) {
  if (!(period > 0)) return 0.0;
  double r = std::fmod(v + speed * static_cast<double>(frame), period);
  if (r < 0) r += period;  // a negative speed runs the palette backwards
  if (r >= period) r = 0;  // r + period may round up to period
  return r / period;
}
}  // namespace

double Normalizer::value_smooth(double s, std::uint32_t max_iter, std::uint64_t frame) const {
  if (!uses_smooth()) {
    const double c = std::isfinite(s) ? std::clamp(std::floor(s), 0.0, 4294967295.0) : 0.0;
    return value(static_cast<std::uint32_t>(c), max_iter, frame);
  }
  if (!std::isfinite(s)) s = 0;
  const double m = static_cast<double>(max_iter);
  switch (s_.norm) {
    case Norm::Smooth: return max_iter == 0 ? 0.0 : std::clamp(s, 0.0, m) / m;
    case Norm::SmoothLog: return max_iter == 0 ? 0.0 : std::log1p(std::clamp(s, 0.0, m)) / std::log1p(m);
    case Norm::SmoothHistogram: {
      // The CDF of the binned s, linear inside a bin: continuous and non-decreasing in s, and
      // independent of max_iter and the frame (one mapping for the whole video).
      if (stotal_ == 0 || sbins_.empty()) return 0.0;
      const double u = smooth_bin(s);
      const auto b = std::min(static_cast<std::size_t>(u), kSmoothBins - 1);
      const double frac = std::clamp(u - static_cast<double>(b), 0.0, 1.0);
      const double below = b == 0 ? 0.0 : static_cast<double>(sbins_[b - 1]);
      const double in_bin = static_cast<double>(sbins_[b]) - below;
      return std::min(1.0, (below + frac * in_bin) / static_cast<double>(stotal_));
    }
    default: return cycle_position(s, s_.cycle_speed, s_.cycle_period, frame);
  }
}

double Normalizer::value(std::uint32_t count, std::uint32_t max_iter, std::uint64_t frame) const {
  if (uses_smooth()) return value_smooth(static_cast<double>(count), max_iter, frame);
  switch (s_.norm) {
    case Norm::Linear:
      return max_iter == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(max_iter);
    case Norm::Log:
      return max_iter == 0 ? 0.0 : std::log1p(static_cast<double>(count)) / std::log1p(static_cast<double>(max_iter));
    case Norm::Histogram:
    case Norm::HistogramPerFrame: {
      if (total_ == 0) return 0.0;
      const double total = static_cast<double>(total_);
      if (dense_) {
        // A count above every count seen has all exterior pixels at or below it.
        return count < hist_.size() ? static_cast<double>(hist_[count]) / total : 1.0;
      }
      // The last pair whose count is <= count holds the cumulative pixels.
      auto it = std::upper_bound(sparse_.begin(), sparse_.end(), count,
                                 [](std::uint32_t c, const auto& p) { return c < p.first; });
      return it == sparse_.begin() ? 0.0 : static_cast<double>(std::prev(it)->second) / total;
    }
    case Norm::Cycle:
      return cycle_position(static_cast<double>(count), s_.cycle_speed, s_.cycle_period, frame);
    case Norm::Smooth:
    case Norm::SmoothLog:
    case Norm::SmoothCycle:
    case Norm::SmoothHistogram:
      break;  // handled above
  }
  return 0.0;
}

}  // namespace fractal::colour
