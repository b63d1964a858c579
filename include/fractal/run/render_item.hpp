#pragma once
// Renders one work item on this rank: OpenMP threads over its rows (dynamic schedule: escape-time
// cost is very uneven; the optional smooth/distance pass follows each row's kernel), then each chunk
// encoded for the file. No MPI, no HDF5.
#include <cstdint>
#include <functional>
#include <vector>

#include "fractal/config/frame_plan.hpp"
#include "fractal/kernel/kernel.hpp"
#include "fractal/output/layout.hpp"

namespace fractal {

struct EncodedChunk {
  std::uint64_t index = 0;       // chunk index (layout.hpp)
  std::uint64_t iterations = 0;  // sum of the chunk's counts
  std::uint64_t hash = 0;        // hash_counts of the chunk's counts
  std::vector<std::uint8_t> bytes;  // shuffled + deflated, as stored in /counts
  // The optional planes (extras.hpp), float32 encoded the same way (element size 4), as stored in
  // /smooth and /distance; empty when the job does not store them. The hash covers counts only.
  std::vector<std::uint8_t> smooth, distance;
};

// Time spent by one rank, by kind; summed over its items.
struct RankStats {
  double kernel_s = 0;     // wall time of the parallel kernel loops
  double compress_s = 0;   // wall time of packing, hashing and compressing
  double write_s = 0;      // rank 0: writing chunks and state to the file
  double wall_s = 0;       // from the start of the job to this rank's end
  std::uint64_t iterations = 0;
  std::uint64_t chunks = 0;
  std::uint64_t items = 0;
  std::int32_t threads = 1;
  std::int32_t pad = 0;
};

struct RenderSettings {
  RowKernel kernel = nullptr;
  unsigned count_bytes = 2;
  int compression_level = 1;
  bool smooth = false, distance = false;  // also compute and encode /smooth, /distance (extras.hpp)
  // If set: called with the item's frames (distinct, ascending) before any of its rows are rendered,
  // on the calling thread (a deep zoom builds those frames' BLA tables: DeepJob::prepare_frames).
  std::function<void(const std::vector<std::uint64_t>&)> prepare = {};
};

// progress, if given, is called by the calling thread (OpenMP's master: the thread that may make MPI
// calls) between rows and chunks, about every 50 microseconds; it must not throw. The MPI worker
// uses it to move its previous item's chunks on to rank 0 while it renders this one.
std::vector<EncodedChunk> render_item(const std::vector<FrameParams>& frames, const ChunkLayout& layout,
                                      const WorkItem& item, const RenderSettings& settings, RankStats& stats,
                                      const std::function<void()>& progress = {});

}  // namespace fractal
