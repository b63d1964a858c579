// Chunk compression speed and ratio (issue #4): libdeflate level 1 against the run-length zlib
// encoder (zlib_compress_runs, chunk_codec.hpp) on real shuffled count chunks of the reference
// workloads: w2 (Mandelbrot seahorse 4096², 2000 it, 32-row chunks of 256 KiB) and w1 (Julia sweep
// 500², 500 it, 250-row chunks; a few frames spread over the sweep). Each repeat times both
// encoders over all chunks of a workload, alternating which goes first; medians are printed.
//   codec_bench [--repeat N] [--w1-frames K] [--w2-size PX]
#include <libdeflate.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "fractal/output/chunk_codec.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/kernel/kernel.hpp"

using namespace fractal;
using namespace fractal::bench;

namespace {

// Renders p with the best row kernel and cuts it into shuffled uint16 chunks of strip_rows rows.
void add_chunks(const FrameParams& p, std::uint32_t strip_rows, std::vector<std::vector<std::uint8_t>>& chunks) {
  std::vector<std::uint32_t> c(std::size_t{p.width} * p.height);
  const RowKernel k = row_kernel(best_kernel());
  for (std::uint32_t r = 0; r < p.height; ++r) k(p, r, c.data() + std::size_t{r} * p.width);
  for (std::uint32_t r = 0; r < p.height; r += strip_rows) {
    const std::uint32_t rows = std::min(strip_rows, p.height - r);
    const std::span<const std::uint32_t> s(c.data() + std::size_t{r} * p.width, std::size_t{rows} * p.width);
    chunks.push_back(encode_chunk(s, rows, p.width, strip_rows, 2, 0));  // shuffle only
  }
}

struct Result {
  double libdeflate_s, runs_s;
  std::size_t raw, libdeflate_bytes, runs_bytes;
};

Result measure(const std::vector<std::vector<std::uint8_t>>& chunks, int repeat) {
  libdeflate_compressor* c1 = libdeflate_alloc_compressor(1);
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::size_t cap = 0, raw = 0;
  for (const auto& ch : chunks) {
    cap = std::max({cap, libdeflate_zlib_compress_bound(c1, ch.size()), zlib_runs_bound(ch.size(), ch.size() / 2)});
    raw += ch.size();
  }
  std::vector<std::uint8_t> out(cap), back;
  Result res{0, 0, raw, 0, 0};
  std::vector<double> tl, tr;
  for (int rep = 0; rep < repeat; ++rep) {
    for (int which = 0; which < 2; ++which) {
      const bool runs = (which == 0) == (rep % 2 == 0);  // alternate the order
      std::size_t bytes = 0;
      const double t0 = now();
      for (const auto& ch : chunks)
        bytes += runs ? zlib_compress_runs(ch.data(), ch.size(), ch.size() / 2, out.data(), out.size())
                      : libdeflate_zlib_compress(c1, ch.data(), ch.size(), out.data(), out.size());
      const double t = now() - t0;
      (runs ? tr : tl).push_back(t);
      (runs ? res.runs_bytes : res.libdeflate_bytes) = bytes;
    }
  }
  // Check: every chunk of the run-length encoder decodes to itself.
  for (const auto& ch : chunks) {
    const std::size_t n = zlib_compress_runs(ch.data(), ch.size(), ch.size() / 2, out.data(), out.size());
    back.assign(ch.size(), 0);
    std::size_t got = 0;
    if (libdeflate_zlib_decompress(d, out.data(), n, back.data(), back.size(), &got) != LIBDEFLATE_SUCCESS ||
        got != ch.size() || back != ch) {
      std::fprintf(stderr, "codec_bench: a chunk did not round-trip\n");
      std::exit(1);
    }
  }
  libdeflate_free_compressor(c1);
  libdeflate_free_decompressor(d);
  res.libdeflate_s = median(tl);
  res.runs_s = median(tr);
  return res;
}

void print(const char* name, std::size_t nchunks, const Result& r) {
  const double mb = r.raw / 1e6;
  std::printf("%s: %zu chunks, %.1f MB shuffled counts\n", name, nchunks, mb);
  std::printf("  libdeflate level 1 : %7.0f MB/s  ratio %5.2f  (%zu bytes)\n", mb / r.libdeflate_s,
              double(r.raw) / r.libdeflate_bytes, r.libdeflate_bytes);
  std::printf("  zlib_compress_runs : %7.0f MB/s  ratio %5.2f  (%zu bytes)\n", mb / r.runs_s,
              double(r.raw) / r.runs_bytes, r.runs_bytes);
  std::printf("  speed-up %.2fx, size %.3fx of libdeflate's\n", r.libdeflate_s / r.runs_s,
              double(r.runs_bytes) / r.libdeflate_bytes);
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 9, w1_frames = 6;
  std::uint32_t w2_size = 4096;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--w1-frames" && i + 1 < argc) w1_frames = std::max(1, std::atoi(argv[++i]));
    else if (a == "--w2-size" && i + 1 < argc) w2_size = static_cast<std::uint32_t>(std::max(64, std::atoi(argv[++i])));
    else {
      std::fprintf(stderr, "usage: codec_bench [--repeat N] [--w1-frames K] [--w2-size PX]\n");
      return 2;
    }
  }
  // w2: configs/w2-mandelbrot-seahorse-4096px.cfg; chunks of ~256 KiB (make_layout's default).
  std::vector<std::vector<std::uint8_t>> w2;
  {
    FrameParams p;
    p.fractal = Fractal::Mandelbrot;
    p.width = p.height = w2_size;
    p.xmin = -0.745, p.xmax = -0.735, p.ymin = 0.105, p.ymax = 0.115;
    p.max_iter = 2000;
    add_chunks(p, std::max<std::uint32_t>(1, 128 * 1024 / w2_size), w2);
  }
  // w1: configs/w1-julia-sweep-10s-500px.cfg, frames f = 0, 299/(K-1), ... of 300.
  std::vector<std::vector<std::uint8_t>> w1;
  for (int k = 0; k < w1_frames; ++k) {
    const int f = w1_frames == 1 ? 0 : k * 299 / (w1_frames - 1);
    FrameParams p;
    p.fractal = Fractal::Julia;
    p.width = p.height = 500;
    p.xmin = p.ymin = -1.8, p.xmax = p.ymax = 1.8;
    p.c_re = -0.62772, p.c_im = -0.7 + 1.4 * f / 299.0;
    p.max_iter = 500;
    add_chunks(p, 250, w1);
  }
  print("w2 (4096², 2000 it)", w2.size(), measure(w2, repeat));
  print("w1 (500², 500 it)", w1.size(), measure(w1, repeat));
  return 0;
}
