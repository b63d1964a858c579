#include "fractal/run/render_item.hpp"

#include <omp.h>

#include <bit>
#include <exception>
#include <numeric>

#include "fractal/output/chunk_codec.hpp"
#include "fractal/kernel/extras.hpp"
#include "fractal/deep/perturb.hpp"

namespace fractal {

std::vector<EncodedChunk> render_item(const std::vector<FrameParams>& frames, const ChunkLayout& layout,
                                      const WorkItem& item, const RenderSettings& s, RankStats& stats,
                                      const std::function<void()>& progress) {
  // Called on the master thread only, at most every 50 us (a clock read per row otherwise).
  double next_progress = 0;
  auto maybe_progress = [&] {
    if (!progress || omp_get_thread_num() != 0) return;
    const double t = omp_get_wtime();
    if (t < next_progress) return;
    progress();
    next_progress = t + 50e-6;
  };
  const std::uint64_t nchunks = item.chunk_end - item.chunk_begin;
  const std::size_t W = layout.width;
  // Every row of the item, in order: (frame, row) and where its chunk starts.
  struct Row {
    std::uint64_t frame;
    std::uint32_t row;
  };
  std::vector<Row> rows;                   // [item rows]
  std::vector<std::size_t> first_row(nchunks + 1);  // [nchunks + 1] offsets into rows
  std::vector<ChunkRef> refs(nchunks);
  for (std::uint64_t k = 0; k < nchunks; ++k) {
    refs[k] = chunk_ref(layout, item.chunk_begin + k);
    first_row[k] = rows.size();
    for (std::uint32_t r = refs[k].row_begin; r < refs[k].row_end; ++r) rows.push_back({refs[k].frame, r});
  }
  first_row[nchunks] = rows.size();
  if (s.prepare) {
    std::vector<std::uint64_t> item_frames;
    for (const ChunkRef& c : refs)
      if (item_frames.empty() || item_frames.back() != c.frame) item_frames.push_back(c.frame);
    s.prepare(item_frames);
  }

  std::vector<std::uint32_t> counts(rows.size() * W);  // [item rows, width]
  std::vector<std::uint64_t> row_sum(rows.size());     // [item rows]
  // [item rows, width] each, only when the job stores them.
  std::vector<float> smooth(s.smooth ? rows.size() * W : 0), distance(s.distance ? rows.size() * W : 0);
  // /smooth without /distance: the kernel reports each escaped pixel's z at escape, so the extras
  // pass takes only the steps past it (extras.hpp); per thread, one row at a time.
  const RowKernelEsc esc_kernel = s.smooth && !s.distance ? escape_row_kernel(s.kernel) : nullptr;
  std::exception_ptr error;
  const double t0 = omp_get_wtime();
  const std::int64_t nrows = static_cast<std::int64_t>(rows.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t r = 0; r < nrows; ++r) {
    maybe_progress();
    const FrameParams& p = frames[rows[r].frame];
    std::uint32_t* row_counts = counts.data() + r * W;
    thread_local std::vector<double> esc_x, esc_y;  // [width]: z at escape (esc_kernel)
    if (p.deep) {  // perturbation (deep/perturb.hpp), /smooth and /distance (pixel spacings) in the same pass
      row_sum[r] = deep::render_row_deep(*p.deep, rows[r].row, row_counts, s.smooth ? smooth.data() + r * W : nullptr,
                                         s.distance ? distance.data() + r * W : nullptr);
      continue;
    }
    if (esc_kernel) {
      esc_x.resize(W);
      esc_y.resize(W);
      row_sum[r] = esc_kernel(p, rows[r].row, row_counts, esc_x.data(), esc_y.data());
    } else {
      row_sum[r] = s.kernel(p, rows[r].row, row_counts);
    }
    if (s.smooth || s.distance) {  // a scalar pass over the row's counts (extras.hpp)
      try {
        render_row_extras(p, rows[r].row, row_counts, esc_kernel ? esc_x.data() : nullptr,
                          esc_kernel ? esc_y.data() : nullptr, s.smooth ? smooth.data() + r * W : nullptr,
                          s.distance ? distance.data() + r * W : nullptr);
      } catch (...) {  // no exception may leave an OpenMP region: rethrown below
#pragma omp critical(fractal_render_item_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  const double t1 = omp_get_wtime();

  std::vector<EncodedChunk> out(nchunks);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t k = 0; k < static_cast<std::int64_t>(nchunks); ++k) {
    maybe_progress();
    const std::size_t r0 = first_row[k], r1 = first_row[k + 1];
    const std::span<const std::uint32_t> c(counts.data() + r0 * W, (r1 - r0) * W);
    EncodedChunk& e = out[k];
    e.index = refs[k].index;
    e.iterations = std::accumulate(row_sum.begin() + r0, row_sum.begin() + r1, std::uint64_t{0});
    e.hash = hash_counts(c);
    e.bytes = encode_chunk(c, static_cast<std::uint32_t>(r1 - r0), layout.width, layout.strip_rows,
                           s.count_bytes, s.compression_level);
    // float32 planes: their bit patterns, shuffled and deflated like 4-byte counts.
    auto encode_floats = [&](const std::vector<float>& v) {
      std::vector<std::uint32_t> b((r1 - r0) * W);
      for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::bit_cast<std::uint32_t>(v[r0 * W + i]);
      return encode_chunk(b, static_cast<std::uint32_t>(r1 - r0), layout.width, layout.strip_rows, 4,
                          s.compression_level);
    };
    if (s.smooth) e.smooth = encode_floats(smooth);
    if (s.distance) e.distance = encode_floats(distance);
  }
  const double t2 = omp_get_wtime();

  stats.kernel_s += t1 - t0;
  stats.compress_s += t2 - t1;
  stats.items += 1;
  stats.chunks += nchunks;
  for (const EncodedChunk& e : out) stats.iterations += e.iterations;
  stats.threads = omp_get_max_threads();
  return out;
}

}  // namespace fractal
