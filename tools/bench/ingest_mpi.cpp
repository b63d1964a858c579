// Rank 0's ingest with the MPI receive included (issue #4; ingest_bench leaves it out). Under
// `mpirun -np 2`, rank 1 plays all the workers at once: it sends a workload's chunks (a sample
// rendered once with render_item on 1 thread, then cycled) to rank 0, one chunk per message, as
// the scheduler's items are at ~256 one-core ranks on workload 1, as fast as rank 0 takes them
// (MPI_Isend, 16 in flight). Rank 0 receives and stores each as the scheduler's serving loop does
// (MPI_Iprobe + MPI_Recv of the packed message, unpack_chunks, JobOutput::write_chunk, a
// checkpoint requested every 2 s). Rank 0's chunks per second divided by one rank's production
// (chunks per CPU-second) is the number of ranks it keeps fed. Medians of --repeat runs of about
// 64 MB each. On a 2-core machine rank 1 and rank 0's background thread share the cores with it.
// Usage: mpirun -np 2 ingest_mpi [--repeat N] [--dir DIR] [--json FILE] [--root DIR]
#include <mpi.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "fractal/run/chunk_message.hpp"
#include "fractal/config/config.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/output/job_output.hpp"
#include "fractal/kernel/kernel.hpp"
#include "fractal/output/layout.hpp"
#include "fractal/run/render_item.hpp"
#include "fractal/run/scheduler.hpp"
#include "fractal/output/store.hpp"

using namespace fractal;
using namespace fractal::bench;

namespace {

constexpr int kTagChunks = 3;




struct Workload {
  std::string key, config;
  std::uint64_t sample_stride;  // render every Nth chunk of the job (spread over the animation)
};

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int repeat = 5;
  std::string dir = "/tmp", json, root = FRACTAL_SOURCE_DIR;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--repeat") repeat = std::max(1, std::atoi(v.c_str()));
    else if (a == "--dir") dir = v;
    else if (a == "--json") json = v;
    else if (a == "--root") root = v;
    else {
      if (rank == 0) std::fprintf(stderr, "usage: mpirun -np 2 ingest_mpi [--repeat N] [--dir DIR] [--json FILE]\n");
      MPI_Finalize();
      return 2;
    }
  }
  if (size != 2) {
    if (rank == 0) std::fprintf(stderr, "ingest_mpi: run it with mpirun -np 2 (got %d ranks)\n", size);
    MPI_Finalize();
    return 2;
  }
  const std::vector<Workload> workloads = {
      {"w1", "configs/w1-julia-sweep-10s-500px.cfg", 8},
      {"w2", "configs/w2-mandelbrot-seahorse-4096px.cfg", 8},
  };
  const std::string out = dir + "/ingest_mpi_" + std::to_string(getpid()) + ".h5";  // rank 0 writes it
  std::FILE* js = (rank == 0 && !json.empty()) ? std::fopen(json.c_str(), "w") : nullptr;
  if (js) std::fprintf(js, "{\"repeat\": %d, \"results\": [\n", repeat);
  if (rank == 0)
    std::printf("rank 0 ingest with the MPI receive (one chunk per message), medians of %d runs\n"
                "%-9s %9s %12s %18s %11s %9s\n", repeat, "workload", "KiB/chunk", "rank chunk/s",
                "rank 0 chunk/s", "MB/s", "ranks fed");
  bool first = true;
  for (const Workload& w : workloads) {
    const Config cfg = load_config(root, w.config, out);
    const std::vector<FrameParams> frames = plan_frames(cfg);
    const ChunkLayout layout = make_layout(cfg.frames, cfg.width, cfg.height, cfg.count_bytes(), cfg.strip_rows);
    // Rank 1: the sample chunks and one rank's production rate (chunks per CPU-second, 1 thread).
    std::vector<EncodedChunk> sample;
    double rank_rate = 0, chunk_bytes = 0;
    if (rank == 1) {
      omp_set_num_threads(1);
      RenderSettings settings{row_kernel(best_kernel()), cfg.count_bytes(), cfg.compression_level};
      RankStats st;
      const double t0 = cpu_now();
      for (std::uint64_t c = 0; c < layout.chunk_count(); c += w.sample_stride) {
        auto enc = render_item(frames, layout, WorkItem{c, c + 1}, settings, st);
        sample.push_back(std::move(enc[0]));
      }
      rank_rate = sample.size() / (cpu_now() - t0);
      for (const auto& e : sample) chunk_bytes += e.bytes.size();
      chunk_bytes /= sample.size();
    }
    // Rank 0 waits without spinning, so that rank 1's render has a core to itself.
    double figures[2] = {rank_rate, chunk_bytes};
    if (rank == 1) {
      MPI_Send(figures, 2, MPI_DOUBLE, 0, 1, MPI_COMM_WORLD);
    } else {
      MPI_Request req;
      MPI_Irecv(figures, 2, MPI_DOUBLE, 1, 1, MPI_COMM_WORLD, &req);
      for (int done = 0; !done;) {
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      rank_rate = figures[0];
      chunk_bytes = figures[1];
    }
    // The job rank 0 stores: ~64 MB of these chunks (more frames of the same size).
    Config big = cfg;
    const std::uint64_t want = std::max<std::uint64_t>(1000, static_cast<std::uint64_t>(64e6 / chunk_bytes));
    big.frames = std::max<std::uint64_t>((want + layout.strips_per_frame - 1) / layout.strips_per_frame, 1);
    big.c_im_increment = 0;
    const std::vector<FrameParams> big_frames = plan_frames(big);
    const ChunkLayout big_layout = make_layout(big.frames, big.width, big.height, big.count_bytes(), big.strip_rows);
    const std::uint64_t n = big_layout.chunk_count();
    const double ckpt_interval = RunOptions{}.checkpoint_interval_s;
    std::vector<double> rates;
    for (int r = 0; r < repeat; ++r) {
      MPI_Barrier(MPI_COMM_WORLD);
      if (rank == 1) {
        constexpr int kWindow = 16;
        std::vector<std::vector<std::uint8_t>> bufs(kWindow);
        std::vector<MPI_Request> reqs(kWindow, MPI_REQUEST_NULL);
        for (std::uint64_t c = 0; c < n; ++c) {
          int slot = static_cast<int>(c % kWindow);
          if (c >= kWindow) MPI_Wait(&reqs[slot], MPI_STATUS_IGNORE);
          EncodedChunk e = sample[c % sample.size()];
          e.index = c;
          bufs[slot] = pack_chunks({e});
          MPI_Isend(bufs[slot].data(), static_cast<int>(bufs[slot].size()), MPI_BYTE, 0, kTagChunks, MPI_COMM_WORLD,
                    &reqs[slot]);
        }
        MPI_Waitall(kWindow, reqs.data(), MPI_STATUSES_IGNORE);
      } else {
        JobOutput job(big, big_frames, big_layout, "ingest_mpi");
        std::vector<std::uint8_t> buf;
        double t0 = 0, last = 0;
        for (std::uint64_t got = 0; got < n;) {
          MPI_Status st;
          int flag = 0;
          MPI_Iprobe(1, kTagChunks, MPI_COMM_WORLD, &flag, &st);
          if (!flag) continue;
          if (got == 0) t0 = last = MPI_Wtime();
          int bytes = 0;
          MPI_Get_count(&st, MPI_BYTE, &bytes);
          buf.resize(static_cast<std::size_t>(bytes));
          MPI_Recv(buf.data(), bytes, MPI_BYTE, 1, kTagChunks, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          for (const auto& c : unpack_chunks(buf)) job.write_chunk(c), ++got;
          if (MPI_Wtime() - last > ckpt_interval) job.checkpoint(), last = MPI_Wtime();
        }
        // From the first message on: the first one's wait for rank 1 is not rank 0's cost.
        rates.push_back((n - 1) / (MPI_Wtime() - t0));
        job.finish(0);
        std::remove(out.c_str());
      }
    }
    if (rank == 0) {
      const double ingest = median(rates);
      std::printf("%-9s %9.1f %12.1f %18.0f %11.0f %9.0f\n", w.key.c_str(), chunk_bytes / 1024, rank_rate, ingest,
                  ingest * chunk_bytes / 1e6, ingest / rank_rate);
      std::fflush(stdout);
      if (js)
        std::fprintf(js, "%s  {\"workload\": \"%s\", \"chunk_bytes\": %.0f, \"rank_chunks_per_s\": %.3f, "
                         "\"ingest_chunks_per_s\": %.1f, \"ranks_fed\": %.1f}",
                     first ? "" : ",\n", w.key.c_str(), chunk_bytes, rank_rate, ingest, ingest / rank_rate);
      first = false;
    }
  }
  if (js) {
    std::fprintf(js, "\n]}\n");
    std::fclose(js);
  }
  MPI_Finalize();
  return 0;
}
