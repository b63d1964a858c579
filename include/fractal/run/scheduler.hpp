#pragma once
// The MPI side of a job: rank 0 hands out work items on request and is the single writer; every
// other rank renders items and sends back encoded chunks. Rank 0 also renders, in a thread of its
// own, so -np 1 works and no core idles at -np 2.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "fractal/config/frame_plan.hpp"
#include "fractal/output/layout.hpp"
#include "fractal/run/render_item.hpp"

namespace fractal {

class JobOutput;

struct JobResult {
  double wall_s = 0;
  std::vector<RankStats> ranks;  // [ranks], filled on rank 0
  std::uint64_t iterations = 0;  // rendered by this run (chunks taken over from a journal excluded)
  std::uint64_t verification_hash = 0;
  std::uint64_t bytes_written = 0;
  // Non-zero (every rank): the job was stopped by this signal; rank 0's journal holds every chunk
  // that arrived and is durable, the output is not finished.
  int stop_signal = 0;
  std::uint64_t chunks_done = 0, chunk_count = 0;  // rank 0: chunks kept (resumed + rendered) of all
};

struct RunOptions {
  RenderSettings render;
  double progress_interval_s = 5.0;
  // How often rank 0 makes the journal durable (fdatasync): the work a crash of the machine can
  // lose, beyond the items in flight. The death of a process loses only the items in flight.
  double checkpoint_interval_s = 2.0;
  // Polled by every rank: non-zero = a stop signal arrived (signals.hpp). Rank 0 then stops handing
  // out work, keeps what arrives for up to stop_grace_s, makes it durable and ends the job.
  int (*stop_requested)() = nullptr;
  double stop_grace_s = 20.0;
};

// Collective over comm. Rank 0 passes the job's output (others nullptr); on a normal return rank
// 0's file is finished and renamed. On a stop request every rank returns with stop_signal set; if a
// rank is still busy after the grace period, rank 0 makes the journal durable, prints the
// interruption line and ends the whole job with MPI_Abort(kExitInterrupted). Throws on a local
// failure (the caller aborts the job).
JobResult run_job(const std::vector<FrameParams>& frames, const ChunkLayout& layout,
                  const RunOptions& options, JobOutput* out, MPI_Comm comm);

}  // namespace fractal
