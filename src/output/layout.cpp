#include "fractal/output/layout.hpp"

#include <algorithm>

namespace fractal {

ChunkLayout make_layout(std::uint64_t frames, std::uint32_t width, std::uint32_t height,
                        unsigned count_bytes, std::uint32_t strip_rows_requested) {
  ChunkLayout l;
  l.frames = frames;
  l.width = width;
  l.height = height;
  std::uint64_t rows = strip_rows_requested;
  const std::uint64_t row_bytes = std::uint64_t{width} * count_bytes;
  if (rows == 0 && frames >= kWholeFrameMinFrames && row_bytes * height <= kWholeFrameMaxBytes) {
    // An animation of small frames: one chunk per frame. Its frames are the work items anyway,
    // and rank 0 stores half as many chunks per second of work as with 256 KiB strips.
    rows = height;
  } else if (rows == 0) {
    // ~256 KiB per chunk: small enough that a worker's item is a fine-grained unit of work and a
    // reader's chunk cache holds several, big enough that per-chunk overheads vanish.
    constexpr std::uint64_t kTargetBytes = 256 * 1024;
    rows = std::max<std::uint64_t>(1, kTargetBytes / row_bytes);
    // Even strips: same number of chunks, but no tiny last strip.
    const std::uint64_t strips = (height + rows - 1) / rows;
    rows = (height + strips - 1) / strips;
  }
  l.strip_rows = static_cast<std::uint32_t>(std::min<std::uint64_t>(rows, height));
  l.strips_per_frame = (height + l.strip_rows - 1) / l.strip_rows;
  return l;
}

ChunkRef chunk_ref(const ChunkLayout& l, std::uint64_t c) {
  ChunkRef r;
  r.index = c;
  r.frame = c / l.strips_per_frame;
  const std::uint32_t strip = static_cast<std::uint32_t>(c % l.strips_per_frame);
  r.row_begin = strip * l.strip_rows;
  r.row_end = std::min(l.height, r.row_begin + l.strip_rows);
  return r;
}

WorkQueue::WorkQueue(const ChunkLayout& layout, int ranks, std::vector<std::uint8_t> done)
    : layout_(layout), ranks_(std::max(1, ranks)), done_(std::move(done)) {
  if (done_.empty()) done_.assign(layout_.chunk_count(), 0);
  left_ = static_cast<std::uint64_t>(std::count(done_.begin(), done_.end(), std::uint8_t{0}));
}

std::optional<WorkItem> WorkQueue::next() {
  const std::uint64_t n = layout_.chunk_count();
  while (cursor_ < n && done_[cursor_]) ++cursor_;
  if (cursor_ >= n) return std::nullopt;
  // Guided size: an eighth of each rank's fair share of what is left, at most 16 chunks or one
  // frame (whichever is more), rounded down to whole frames once it covers a frame.
  const std::uint64_t spf = layout_.strips_per_frame;
  std::uint64_t size = std::max<std::uint64_t>(1, left_ / (8 * static_cast<std::uint64_t>(ranks_)));
  size = std::min<std::uint64_t>(size, std::max<std::uint64_t>(16, spf));
  if (size >= spf) {
    size = size / spf * spf;
    // Start on a frame boundary when we can: stop at the end of the current frame otherwise.
    if (cursor_ % spf != 0) size = spf - cursor_ % spf;
  } else {
    size = std::min(size, spf - cursor_ % spf);  // a strip of rows of ONE frame
  }
  WorkItem item{cursor_, cursor_};
  while (item.chunk_end < n && item.chunk_end - item.chunk_begin < size && !done_[item.chunk_end])
    ++item.chunk_end;
  cursor_ = item.chunk_end;
  left_ -= item.chunk_end - item.chunk_begin;
  return item;
}

}  // namespace fractal
