#pragma once
// The MPI side of a job: rank 0 hands out work items on request and is the single writer; every
// other rank renders items and sends back encoded chunks. Rank 0 also renders, in a thread of its
// own, so -np 1 works and no core idles at -np 2.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "fractal/frame_plan.hpp"
#include "fractal/layout.hpp"
#include "fractal/render_item.hpp"

namespace fractal {

class OutputFile;

struct JobResult {
  double wall_s = 0;
  std::vector<RankStats> ranks;  // [ranks], filled on rank 0
  std::uint64_t iterations = 0;
  std::uint64_t verification_hash = 0;
  std::uint64_t bytes_written = 0;
};

struct RunOptions {
  RenderSettings render;
  double progress_interval_s = 5.0;
  double checkpoint_interval_s = 10.0;  // how often rank 0 writes /chunks state and flushes
};

// Collective over comm. Rank 0 passes the open output file (others nullptr); on return rank 0's
// file is finished and renamed. Throws on a local failure (the caller aborts the job).
JobResult run_job(const std::vector<FrameParams>& frames, const ChunkLayout& layout,
                  const RunOptions& options, OutputFile* out, MPI_Comm comm);

}  // namespace fractal
