// Rank 0's ingest rate (issue #4): how many compressed chunks per second the single writer can
// store, through the same calls as the scheduler (JobOutput::write_chunk: OutputFile::write_chunk,
// i.e. H5Dwrite_chunk, then a journal record pointing at it; a checkpoint requested at the
// scheduler's default interval, done by JobOutput's background thread, as is the early writeback),
// against how many chunks per second ONE rank produces on the same workload (kernel +
// shuffle/deflate, as render_item does). The ratio is the number of ranks rank 0 can keep fed.
// (MPI receive costs are not included: rank 0 also spends a few microseconds per message.)
//
// For each workload: render a sample of its work items for real with render_item (1 thread = one
// rank per core, the most demanding placement for rank 0) -> per-rank chunks/s and realistic
// compressed chunks; then write a file of --chunks chunks (at most ~64 MB; the sample's bytes,
// cycled) and time it. The same writes are also timed with raw HDF5 calls, and with the chunk
// index HDF5 1.10's file format allows (a fixed array instead of a B-tree), to show what a
// one-line change in store.cpp would give.
// Medians of --repeat runs.
// Usage: ingest_bench [--repeat N] [--dir DIR] [--chunks N] [--json FILE] [--root DIR]
#include <hdf5.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "fractal/output/chunk_codec.hpp"
#include "fractal/config/config.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/kernel/kernel.hpp"
#include "fractal/output/layout.hpp"
#include "fractal/run/render_item.hpp"
#include "fractal/run/scheduler.hpp"
#include "fractal/output/store.hpp"
#if __has_include("fractal/output/job_output.hpp")
#include "fractal/output/job_output.hpp"  // rank 0's output path with the resume journal
#define FRACTAL_HAVE_JOB_OUTPUT 1
#else
#define FRACTAL_HAVE_JOB_OUTPUT 0
#endif

using namespace fractal;
using namespace fractal::bench;

namespace {


// The same writes as OutputFile (H5Dwrite_chunk of pre-compressed chunks into /counts with
// shuffle + deflate declared), without the rest of the file, with the file format's lower bound
// `low`: H5F_LIBVER_EARLIEST is what OutputFile creates (chunk index: a version-1 B-tree),
// H5F_LIBVER_V110 lets HDF5 index a fixed-size dataset's chunks with a fixed array (O(1) lookup).
// Returns chunks per second.
double raw_ingest(const std::string& path, const ChunkLayout& L, unsigned count_bytes,
                  const std::vector<std::vector<std::uint8_t>>& sample, H5F_libver_t low) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_libver_bounds(fapl, low, H5F_LIBVER_LATEST);
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (f < 0) {
    std::fprintf(stderr, "ingest_bench: cannot create %s\n", path.c_str());
    std::exit(1);
  }
  hsize_t dims[3] = {L.frames, L.height, L.width};
  hsize_t chunk[3] = {1, L.strip_rows, L.width};
  const hid_t space = H5Screate_simple(3, dims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 3, chunk);
  H5Pset_shuffle(dcpl);
  H5Pset_deflate(dcpl, 1);
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  const hid_t d = H5Dcreate2(f, "counts", count_bytes == 2 ? H5T_STD_U16LE : H5T_STD_U32LE, space,
                             H5P_DEFAULT, dcpl, H5P_DEFAULT);
  const double t0 = now();
  for (std::uint64_t c = 0; c < L.chunk_count(); ++c) {
    const ChunkRef r = chunk_ref(L, c);
    hsize_t off[3] = {r.frame, r.row_begin, 0};
    const auto& b = sample[c % sample.size()];
    if (H5Dwrite_chunk(d, H5P_DEFAULT, 0, off, b.size(), b.data()) < 0) {
      std::fprintf(stderr, "ingest_bench: H5Dwrite_chunk failed\n");
      std::exit(1);
    }
  }
  const double rate = L.chunk_count() / (now() - t0);
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
  H5Pclose(fapl);
  std::remove(path.c_str());
  return rate;
}



struct Workload {
  std::string key, config;
  std::uint64_t sample_stride;      // render every Nth chunk of the job (spread over the animation)
  std::vector<std::string> extra;   // options on top of the config
};

}  // namespace

int main(int argc, char** argv) {
  int repeat = 5;
  std::uint64_t write_chunks = 16000;
  std::string dir = "/tmp", json, root = FRACTAL_SOURCE_DIR;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--repeat") repeat = std::max(1, std::atoi(v.c_str()));
    else if (a == "--dir") dir = v;
    else if (a == "--chunks") write_chunks = std::max(1, std::atoi(v.c_str()));
    else if (a == "--json") json = v;
    else if (a == "--root") root = v;
    else {
      std::fprintf(stderr, "usage: ingest_bench [--repeat N] [--dir DIR] [--chunks N] [--json FILE]\n");
      return 2;
    }
  }
  const std::vector<Workload> workloads = {
      {"w1", "configs/w1-julia-sweep-10s-500px.cfg", 8, {}},           // 300 chunks (one per frame): every 8th
      // The same job with two chunks per frame (--strip-rows 250), the default before session 3.
      {"w1-strip250", "configs/w1-julia-sweep-10s-500px.cfg", 15, {"--strip-rows", "250"}},
      {"w1-1080", "configs/w1-julia-spiral-60s-1080px.cfg", 401, {}},  // 9000 chunks: every 401st
      {"w2", "configs/w2-mandelbrot-seahorse-4096px.cfg", 8, {}},      // 128 chunks: every 8th
  };
  const std::string out = dir + "/ingest_bench_" + std::to_string(getpid()) + ".h5";
  const RenderSettings settings0{row_kernel(best_kernel()), 2, 1};

  std::FILE* js = json.empty() ? nullptr : std::fopen(json.c_str(), "w");
  if (js) std::fprintf(js, "{\"repeat\": %d, \"kernel\": \"%s\", \"results\": [\n", repeat, kernel_name(best_kernel()));
  std::printf("rank 0 ingest vs one rank's (one core's) production, kernel %s, medians of %d runs\n",
              kernel_name(best_kernel()), repeat);
  std::printf("%-11s %6s %9s %12s %14s %11s %9s %9s | %10s %9s %9s %8s\n", "workload", "chunks", "KiB/chunk",
              "rank chunk/s", "ingest chunk/s", "ingest MB/s", "ranks fed", "(per CPU)", "OutputFile",
              "raw HDF5", "raw v110", "v110 fed");
  bool first = true;
  for (const Workload& w : workloads) {
    const Config cfg = load_config(root, w.config, out, w.extra);
    const std::vector<FrameParams> frames = plan_frames(cfg);
    const ChunkLayout layout = make_layout(cfg.frames, cfg.width, cfg.height, cfg.count_bytes(), cfg.strip_rows);
    RenderSettings settings = settings0;
    settings.count_bytes = cfg.count_bytes();
    settings.compression_level = cfg.compression_level;

    // Per-rank production: one chunk per item, as the scheduler's smallest items (1 thread).
    omp_set_num_threads(1);
    std::vector<std::vector<std::uint8_t>> sample;
    std::vector<double> per_chunk;
    for (int r = 0; r < repeat; ++r) {
      RankStats st;
      const double t0 = cpu_now();
      std::uint64_t n = 0;
      for (std::uint64_t c = (r * 7) % w.sample_stride; c < layout.chunk_count(); c += w.sample_stride, ++n) {
        auto enc = render_item(frames, layout, WorkItem{c, c + 1}, settings, st);
        if (r == 0) sample.push_back(std::move(enc[0].bytes));
      }
      per_chunk.push_back((cpu_now() - t0) / n);
    }
    omp_set_num_threads(omp_get_num_procs());
    const double rank_rate = 1.0 / median(per_chunk);
    double bytes = 0;
    for (const auto& s : sample) bytes += s.size();
    const double chunk_bytes = bytes / sample.size();

    // Ingest: a job of about write_chunks chunks, at most ~64 MB (more frames of the same size).
    Config big = cfg;
    const std::uint64_t want = std::max<std::uint64_t>(1000, std::min<std::uint64_t>(write_chunks, 64e6 / chunk_bytes));
    const std::uint64_t frames_needed = (want + layout.strips_per_frame - 1) / layout.strips_per_frame;
    big.frames = std::max<std::uint64_t>(frames_needed, 1);
    big.c_im_increment = 0;
    const std::vector<FrameParams> big_frames = plan_frames(big);
    const ChunkLayout big_layout = make_layout(big.frames, big.width, big.height, big.count_bytes(), big.strip_rows);
    // Rank 0's path: JobOutput (H5Dwrite_chunk + journal record per chunk, background checkpoint
    // requested at the scheduler's interval), then OutputFile alone, then raw HDF5 (today's format and
    // the v110 one). Only the writing is timed, not creating or finishing the file.
    const double ckpt_interval = RunOptions{}.checkpoint_interval_s;
    std::vector<double> full, full_cpu, file_only, raw_v18, raw_v110;
    for (int r = 0; r < repeat; ++r) {
#if FRACTAL_HAVE_JOB_OUTPUT
      {
        JobOutput job(big, big_frames, big_layout, "ingest_bench");
        EncodedChunk e;
        const double c0 = cpu_now();
        const double t0 = now();
        double last = t0;
        for (std::uint64_t c = 0; c < big_layout.chunk_count(); ++c) {
          e.index = c, e.hash = c, e.iterations = 0;
          e.bytes = sample[c % sample.size()];
          job.write_chunk(e);
          if (now() - last > ckpt_interval) job.checkpoint(), last = now();
        }
        job.checkpoint();
        full.push_back(big_layout.chunk_count() / (now() - t0));
        full_cpu.push_back(big_layout.chunk_count() / (cpu_now() - c0));
        job.finish(0);
      }
      std::remove(out.c_str());
#endif
      {
        OutputFile file(big, big_frames, big_layout, "ingest_bench");
        const double t0 = now();
        for (std::uint64_t c = 0; c < big_layout.chunk_count(); ++c)
          file.write_chunk(c, sample[c % sample.size()], c, 0);
        file_only.push_back(big_layout.chunk_count() / (now() - t0));
      }
      std::remove(partial_path(out).c_str());
      raw_v18.push_back(raw_ingest(out, big_layout, big.count_bytes(), sample, H5F_LIBVER_EARLIEST));
      raw_v110.push_back(raw_ingest(out, big_layout, big.count_bytes(), sample, H5F_LIBVER_V110));
    }
    const double ingest_file = median(file_only), ingest_raw = median(raw_v18), ingest_fa = median(raw_v110);
    const double ingest = full.empty() ? ingest_file : median(full);
    // Per CPU-second of rank 0 (user + system time: what a core of its own would sustain; the
    // wall-time rate also contains the waits of a shared machine and of the disk).
    const double ingest_cpu = full_cpu.empty() ? 0.0 : median(full_cpu);
    // With the fixed-array index: rank 0's time per chunk less what the B-tree format costs.
    const double ingest_v110 = 1.0 / (1.0 / ingest - 1.0 / ingest_raw + 1.0 / ingest_fa);
    std::printf("%-11s %6llu %9.1f %12.1f %14.0f %11.0f %9.0f %9.0f | %10.0f %9.0f %9.0f %8.0f\n", w.key.c_str(),
                static_cast<unsigned long long>(big_layout.chunk_count()), chunk_bytes / 1024, rank_rate,
                ingest, ingest * chunk_bytes / 1e6, ingest / rank_rate, ingest_cpu / rank_rate, ingest_file,
                ingest_raw, ingest_fa, ingest_v110 / rank_rate);
    std::fflush(stdout);
    if (js)
      std::fprintf(js, "%s  {\"workload\": \"%s\", \"config\": \"%s\", \"chunk_bytes\": %.0f, \"rank_chunks_per_s\": %.3f, "
                       "\"ingest_chunks_per_s\": %.1f, \"ingest_MB_per_s\": %.1f, \"ranks_fed\": %.1f, "
                       "\"output_file_chunks_per_s\": %.1f, \"raw_hdf5_chunks_per_s\": %.1f, "
                       "\"raw_v110_chunks_per_s\": %.1f, \"v110_ranks_fed\": %.1f, \"journal\": %s, "
                       "\"ingest_chunks_per_cpu_s\": %.1f, \"ranks_fed_cpu\": %.1f, \"strip_rows\": %u}",
                   first ? "" : ",\n", w.key.c_str(), w.config.c_str(), chunk_bytes, rank_rate, ingest,
                   ingest * chunk_bytes / 1e6, ingest / rank_rate, ingest_file, ingest_raw, ingest_fa,
                   ingest_v110 / rank_rate, full.empty() ? "false" : "true", ingest_cpu, ingest_cpu / rank_rate,
                   layout.strip_rows);
    first = false;
  }
  if (js) {
    std::fprintf(js, "\n]}\n");
    std::fclose(js);
  }
  return 0;
}
