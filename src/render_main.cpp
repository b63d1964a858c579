// fractal-render: init MPI, read the config, open (or resume) the output, render, report.
#include <mpi.h>
#include <sched.h>
#include <omp.h>

#include <cstdio>
#include <memory>
#include <string>

#include "fractal/config/config.hpp"
#include "fractal/error.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/output/job_output.hpp"
#include "fractal/kernel/kernel.hpp"
#include "fractal/output/layout.hpp"
#include "fractal/run/report.hpp"
#include "fractal/run/scheduler.hpp"
#include "fractal/run/signals.hpp"
#include "fractal/run/deep_setup.hpp"
#include "fractal/deep/deep_job.hpp"
#include "fractal/deep/reference_file.hpp"

using namespace fractal;

namespace {

// MPI_Init_thread / MPI_Finalize. FUNNELED: only the main thread calls MPI (rank 0's render
// thread and the OpenMP threads never do).
struct MpiSession {
  MpiSession(int& argc, char**& argv) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (provided < MPI_THREAD_FUNNELED) {
      if (rank == 0) std::fprintf(stderr, "fractal-render: error: MPI does not provide MPI_THREAD_FUNNELED\n");
      MPI_Abort(MPI_COMM_WORLD, kExitRuntime);
    }
  }
  ~MpiSession() { MPI_Finalize(); }
  int rank = 0, size = 1;
};

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    s += argv[i];
  }
  return s;
}

// Rank 0's verdict "OUT.h5 is already this job, complete": every rank then exits 0 at once.
constexpr int kAlreadyComplete = -1;

// Every rank agrees on rank 0's verdict; rank 0 alone prints it.
int agree(int status) {
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return status;
}

}  // namespace

// The number of CPUs this process may run on (its affinity mask); 0 if unknown.
static int bound_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

int main(int argc, char** argv) {
  MpiSession mpi(argc, argv);
  install_stop_handlers();  // before any output exists: a stop request is honoured from here on
  const bool root = mpi.rank == 0;
  auto error = [&](const std::exception& e, int code) {
    if (root) std::fprintf(stderr, "fractal-render: error: %s\n", e.what());
    return code;
  };

  // 1. Configuration: parsed alike on every rank, so every rank reaches the same verdict.
  ParseResult parsed;
  KernelKind kernel = KernelKind::Scalar;
  try {
    parsed = parse_config(argc, argv);
    if (!parsed.help && !parsed.config.print_config) kernel = kernel_from_name(parsed.config.kernel);
  } catch (const UsageError& e) {
    return error(e, kExitUsage);
  }
  const Config& cfg = parsed.config;
  if (parsed.help || cfg.print_config) {
    if (root) std::fputs(parsed.help ? parsed.help_text.c_str() : cfg.resolved_text().c_str(), stdout);
    return kExitOk;
  }
  // The stored grid is the sample grid: K x K samples per output pixel with --supersample K.
  const ChunkLayout layout = make_layout(cfg.frames, cfg.sample_width(), cfg.sample_height(), cfg.count_bytes(), cfg.strip_rows);
  // The largest element of a chunk: the counts, or 4 bytes when float32 /smooth or /distance are stored.
  const unsigned plane_bytes = (cfg.smooth || cfg.distance) ? 4u : cfg.count_bytes();
  if (layout.chunk_count() > kMaxChunks)
    return error(UsageError("--frames " + std::to_string(cfg.frames) + " x " + std::to_string(layout.strips_per_frame) +
                            " strips per frame is more than " + std::to_string(kMaxChunks) + " chunks; raise --strip-rows"), kExitUsage);
  if (std::uint64_t{layout.strip_rows} * layout.width * plane_bytes > (64u << 20))
    return error(UsageError("--strip-rows " + std::to_string(layout.strip_rows) + " makes chunks over 64 MiB at width " +
                            std::to_string(layout.width)), kExitUsage);

  // 2. Output: rank 0 locks it and decides: afresh, resume from the journal, already complete, or
  //    refused (parameters differ from what the journal or the file recorded); everyone learns it.
  std::unique_ptr<JobOutput> out;
  std::vector<FrameParams> frames = plan_frames(cfg);  // on the sample grid, as the layout
  int status = kExitOk;
  if (root) {
    try {
      out = std::make_unique<JobOutput>(cfg, frames, layout, command_line(argc, argv));
      if (out->already_complete()) status = kAlreadyComplete;
    } catch (const UsageError& e) {
      status = error(e, kExitUsage);
    } catch (const std::exception& e) {
      status = error(e, kExitRuntime);
    }
  }
  status = agree(status);
  if (status == kAlreadyComplete) {
    if (root) print_already_complete(stdout, cfg.output, out->complete_hash());
    return kExitOk;
  }
  if (status != kExitOk) return status;
  {
    // Each rank's threads against the cores its binding allows: more threads than cores is a
    // launch mistake (e.g. mpirun binds each of up to 2 ranks to one core by default).
    const int mine[2] = {omp_get_max_threads(), bound_cores()};
    std::vector<int> all(root ? 2 * static_cast<std::size_t>(mpi.size) : 2);
    MPI_Gather(mine, 2, MPI_INT, all.data(), 2, MPI_INT, 0, MPI_COMM_WORLD);
    if (root) print_binding_warning(stderr, all);
  }
  if (root) {
    print_summary(stdout, cfg, layout, kernel, mpi.size, omp_get_max_threads());
    if (out->chunks_resumed() > 0 || out->chunks_dropped() > 0)
      print_resuming(stdout, out->chunks_resumed(), layout.chunk_count(), out->journal_path(), out->chunks_dropped());
  }

  // 3. Deep jobs: the reference orbits, on rank 0 (read back on resume, else computed in MPFR),
  //    then broadcast; each rank builds the BLA tables; every perturbation frame is linked to them.
  deep::DeepJob deep_job = deep::plan_deep(cfg, frames);
  DeepSharedMemory deep_memory;  // one copy of the orbits and BLA tables per node, until the end
  if (deep_job.active()) {
    try {
      const ReferenceTiming t =
          setup_references(deep_job, out.get(), cfg.progress_interval, stdout, MPI_COMM_WORLD, deep_memory);
      // the same counts with any of them
      deep_job.lanes = kernel == KernelKind::Avx512 ? 8 : kernel == KernelKind::Avx2 ? 4 : 1;
      if (root) {
        print_reference(stdout, deep_job, t, deep::reference_path(cfg.output));
        print_bla(stdout, deep_job, t.bla_s);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fractal-render: rank %d: error: %s\n", mpi.rank, e.what());
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, kExitRuntime);
    }
    deep_job.attach(frames);
  }

  // 4. Render. A failure here is local to one rank: it names itself and ends the whole job.
  JobResult result;
  try {
    RunOptions opt;
    opt.render = {row_kernel(kernel), cfg.count_bytes(), cfg.compression_level, cfg.smooth, cfg.distance, {}};
    if (deep_job.per_frame_bla)
      opt.render.prepare = [&deep_job](const std::vector<std::uint64_t>& f) { deep_job.prepare_frames(f); };
    opt.progress_interval_s = cfg.progress_interval;
    opt.stop_requested = stop_signal;
    result = run_job(frames, layout, opt, out.get(), MPI_COMM_WORLD);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fractal-render: rank %d: error: %s\n", mpi.rank, e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, kExitRuntime);
  }

  // 5. Report: interrupted (resumable, exit 3) or done.
  if (result.stop_signal) {
    if (root) print_interrupted(stderr, result.stop_signal, result.chunks_done, result.chunk_count, out->journal_path());
    return kExitInterrupted;
  }
  if (root) print_report(stdout, cfg, layout, result, out->chunks_resumed());
  if (root && deep_job.per_frame_bla)
    std::printf("  BLA tables for %llu frame(s) built on rank 0 in %.3f s\n",
                static_cast<unsigned long long>(deep_job.frame_bla_builds), deep_job.frame_bla_s);
  return kExitOk;
}
