#pragma once
// How a job is cut up: the HDF5 chunk grid (one strip of rows of one frame per chunk) and the work
// items rank 0 hands out (runs of consecutive chunks in frame-major order). No MPI, no fractals.
#include <cstdint>
#include <optional>
#include <vector>

namespace fractal {

// More chunks than this would make the per-chunk state (17 bytes each, held by rank 0 and by
// readers) unreasonably big: such a job needs taller strips (--strip-rows).
inline constexpr std::uint64_t kMaxChunks = std::uint64_t{1} << 26;

struct ChunkLayout {
  std::uint64_t frames = 0;
  std::uint32_t width = 0, height = 0;
  std::uint32_t strip_rows = 0;        // rows per chunk; the last strip of a frame may be shorter
  std::uint32_t strips_per_frame = 0;  // ceil(height / strip_rows)

  std::uint64_t chunk_count() const { return frames * strips_per_frame; }
};

// One chunk: frame `frame`, rows [row_begin, row_end). Chunk index = frame * strips_per_frame + strip.
struct ChunkRef {
  std::uint64_t index = 0;
  std::uint64_t frame = 0;
  std::uint32_t row_begin = 0, row_end = 0;
};

// A work item: chunks [chunk_begin, chunk_end) in frame-major order. Whole frames when frames are
// small, a strip of rows (one or a few chunks) when they are big.
struct WorkItem {
  std::uint64_t chunk_begin = 0, chunk_end = 0;
};

// strip_rows = requested, or (0) by default: the whole frame for an animation of small frames (at
// least kWholeFrameMinFrames frames of at most kWholeFrameMaxBytes of stored counts each), else
// about 256 KiB of stored counts per chunk, at most the height. The default depends on the job's
// parameters only (never on ranks or threads), as the file and its hashes must.
inline constexpr std::uint64_t kWholeFrameMinFrames = 64;
inline constexpr std::uint64_t kWholeFrameMaxBytes = 1u << 20;
ChunkLayout make_layout(std::uint64_t frames, std::uint32_t width, std::uint32_t height,
                        unsigned count_bytes, std::uint32_t strip_rows_requested);
ChunkRef chunk_ref(const ChunkLayout& layout, std::uint64_t chunk_index);

// Hands out the chunks not yet done, in order, in items of decreasing size (guided scheduling: big
// items early to keep messages few, single chunks at the end so the ranks finish together).
// Items never span a chunk that is already done, and are whole frames when a frame is small.
class WorkQueue {
 public:
  // done: [chunk_count] flags of chunks already on disk (resuming), or empty for none.
  WorkQueue(const ChunkLayout& layout, int ranks, std::vector<std::uint8_t> done = {});

  std::optional<WorkItem> next();
  std::uint64_t chunks_left() const { return left_; }

 private:
  ChunkLayout layout_;
  int ranks_;
  std::vector<std::uint8_t> done_;  // [chunk_count]
  std::uint64_t cursor_ = 0;        // first chunk not yet handed out
  std::uint64_t left_ = 0;          // chunks not done and not yet handed out
};

}  // namespace fractal
