// Codec tests: encode/decode round trips, the encoded bytes are exactly what HDF5 itself stores
// for the same chunk (written raw with H5Dwrite_chunk, read back through HDF5's own shuffle and
// deflate filters), the verification hashes, and the per-frame plan of animations.
#include <gtest/gtest.h>

#include "test_support.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

#include "fractal/chunk_codec.hpp"
#include "fractal/config.hpp"
#include "fractal/frame_plan.hpp"

namespace fractal {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint32_t> random_counts(std::size_t n, unsigned count_bytes, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const std::uint32_t hi = count_bytes == 2 ? 65535u : 0xFFFFFFFFu;
  std::uniform_int_distribution<std::uint32_t> d(0, hi);
  std::vector<std::uint32_t> v(n);
  for (auto& x : v) x = d(rng);
  // Some runs of equal values and the extremes, as real counts have.
  for (std::size_t i = 0; i < n / 3; ++i) v[i] = 7;
  if (n > 0) v[n - 1] = hi;
  if (n > 1) v[n - 2] = 0;
  return v;
}

using fractal::test::ScopedDir;
ScopedDir test_dir() { return fractal::test::test_dir("fractal_codec"); }

// ---------------------------------------------------------------------------------------------
// Round trip

TEST(ChunkCodec, RoundTrip) {
  const std::uint32_t width = 37, strip_rows = 8;
  for (unsigned cb : {2u, 4u})
    for (int level : {0, 1, 9})
      for (std::uint32_t rows : {strip_rows, 5u, 1u}) {
        SCOPED_TRACE("count_bytes=" + std::to_string(cb) + " level=" + std::to_string(level) +
                     " rows=" + std::to_string(rows));
        const auto counts = random_counts(std::size_t{rows} * width, cb, 17 + rows + cb + level);
        const auto bytes = encode_chunk(counts, rows, width, strip_rows, cb, level);
        if (level == 0) {
          EXPECT_EQ(bytes.size(), std::size_t{strip_rows} * width * cb);
        }
        const auto back = decode_chunk(bytes, width, strip_rows, cb, level);
        ASSERT_EQ(back.size(), std::size_t{strip_rows} * width);
        for (std::size_t i = 0; i < counts.size(); ++i)
          ASSERT_EQ(back[i], counts[i]) << "element " << i;
        // Rows past `rows` of a partial last strip are zero padding.
        for (std::size_t i = counts.size(); i < back.size(); ++i)
          ASSERT_EQ(back[i], 0u) << "padding element " << i;
      }
}

TEST(ChunkCodec, LevelChangesSizeNotContent) {
  const std::uint32_t width = 256, strip_rows = 16;
  std::vector<std::uint32_t> counts(std::size_t{width} * strip_rows);
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<std::uint32_t>(i % 50);
  const auto raw = encode_chunk(counts, strip_rows, width, strip_rows, 2, 0);
  const auto z1 = encode_chunk(counts, strip_rows, width, strip_rows, 2, 1);
  EXPECT_LT(z1.size(), raw.size()) << "deflate did not compress a very regular chunk";
  EXPECT_EQ(decode_chunk(z1, width, strip_rows, 2, 1), counts);
  // Shuffle layout of level 0: byte plane 0 (low bytes) then plane 1 (high bytes).
  ASSERT_EQ(raw.size(), counts.size() * 2);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    EXPECT_EQ(raw[i], counts[i] & 0xFF);
    EXPECT_EQ(raw[counts.size() + i], counts[i] >> 8);
  }
}

// ---------------------------------------------------------------------------------------------
// The encoded chunk is what HDF5 stores: write it raw, read it through HDF5's filters.

struct H5 {
  hid_t id;
  herr_t (*close)(hid_t);
  ~H5() {
    if (id >= 0) close(id);
  }
};

// Writes `height` rows as chunks of `strip_rows` rows (the last one possibly partial) with
// H5Dwrite_chunk, then reads the whole dataset with H5Dread and returns it.
std::vector<std::uint32_t> write_raw_read_back(const fs::path& path,
                                               const std::vector<std::uint32_t>& counts,
                                               std::uint32_t height, std::uint32_t width,
                                               std::uint32_t strip_rows, unsigned cb, int level) {
  std::vector<std::uint32_t> out;
  H5 file{H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose};
  EXPECT_GE(file.id, 0);
  if (file.id < 0) return out;
  const hsize_t dims[3] = {1, height, width};
  const hsize_t chunk[3] = {1, strip_rows, width};
  H5 space{H5Screate_simple(3, dims, nullptr), H5Sclose};
  H5 dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
  EXPECT_GE(H5Pset_chunk(dcpl.id, 3, chunk), 0);
  EXPECT_GE(H5Pset_shuffle(dcpl.id), 0);
  if (level > 0) {
    EXPECT_GE(H5Pset_deflate(dcpl.id, static_cast<unsigned>(level)), 0);
  }
  const hid_t type = cb == 2 ? H5T_STD_U16LE : H5T_STD_U32LE;
  H5 dset{H5Dcreate2(file.id, "counts", type, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT),
          H5Dclose};
  EXPECT_GE(dset.id, 0);
  if (dset.id < 0) return out;
  for (std::uint32_t r0 = 0; r0 < height; r0 += strip_rows) {
    const std::uint32_t rows = std::min(strip_rows, height - r0);
    const std::span<const std::uint32_t> strip(counts.data() + std::size_t{r0} * width,
                                               std::size_t{rows} * width);
    const auto bytes = encode_chunk(strip, rows, width, strip_rows, cb, level);
    const hsize_t offset[3] = {0, r0, 0};
    EXPECT_GE(H5Dwrite_chunk(dset.id, H5P_DEFAULT, 0, offset, bytes.size(), bytes.data()), 0)
        << "H5Dwrite_chunk at row " << r0;
  }
  // Close and reopen, so the read really goes through the file.
  dset.close(dset.id);
  dset.id = -1;
  file.close(file.id);
  file.id = -1;
  H5 rfile{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  EXPECT_GE(rfile.id, 0);
  H5 rdset{H5Dopen2(rfile.id, "counts", H5P_DEFAULT), H5Dclose};
  EXPECT_GE(rdset.id, 0);
  if (rdset.id < 0) return out;
  out.assign(std::size_t{height} * width, 0xA5A5A5A5u);
  EXPECT_GE(H5Dread(rdset.id, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0);
  return out;
}

TEST(ChunkCodec, BytesAreWhatHdf5Stores) {
  const ScopedDir dir = test_dir();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // failures are reported by the checks instead
  for (unsigned cb : {2u, 4u})
    for (int level : {0, 1, 6, 9}) {
      SCOPED_TRACE("count_bytes=" + std::to_string(cb) + " level=" + std::to_string(level));
      // One full chunk: dataset [1, strip_rows, width] chunked [1, strip_rows, width].
      {
        const std::uint32_t width = 53, strip_rows = 9;
        const auto counts = random_counts(std::size_t{strip_rows} * width, cb, 5 + cb * 10 + level);
        const auto back = write_raw_read_back(dir / ("full_" + std::to_string(cb) + "_" +
                                                     std::to_string(level) + ".h5"),
                                              counts, strip_rows, width, strip_rows, cb, level);
        ASSERT_EQ(back.size(), counts.size());
        for (std::size_t i = 0; i < counts.size(); ++i)
          ASSERT_EQ(back[i], counts[i]) << "element " << i;
      }
      // Several chunks with a partial edge chunk: height 23 in strips of 9 (9, 9, 5 rows).
      {
        const std::uint32_t width = 31, strip_rows = 9, height = 23;
        const auto counts = random_counts(std::size_t{height} * width, cb, 99 + cb + level);
        const auto back = write_raw_read_back(dir / ("edge_" + std::to_string(cb) + "_" +
                                                     std::to_string(level) + ".h5"),
                                              counts, height, width, strip_rows, cb, level);
        ASSERT_EQ(back.size(), counts.size());
        for (std::size_t i = 0; i < counts.size(); ++i)
          ASSERT_EQ(back[i], counts[i]) << "element " << i << " (row " << i / width << ")";
      }
    }
}

// ---------------------------------------------------------------------------------------------
// Hashes

TEST(Hash, ChangesWhenOneCountChanges) {
  const auto counts = random_counts(500, 4, 3);
  const std::uint64_t h = hash_counts(counts);
  EXPECT_EQ(hash_counts(counts), h) << "not deterministic";
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{250}, std::size_t{499}}) {
    for (std::uint32_t delta : {1u, 0x10000u, 0x80000000u}) {
      auto changed = counts;
      changed[i] ^= delta;
      EXPECT_NE(hash_counts(changed), h) << "element " << i << " ^ " << delta;
    }
  }
  // Order matters too (row-major order is part of the definition).
  auto swapped = counts;
  std::swap(swapped[400], swapped[401]);
  ASSERT_NE(swapped[400], swapped[401]);
  EXPECT_NE(hash_counts(swapped), h);
  // Length matters: a trailing zero count is a different chunk.
  auto longer = counts;
  longer.push_back(0);
  EXPECT_NE(hash_counts(longer), h);
}

// docs/FORMAT.md's definition, written out independently of the implementation.
std::uint64_t fnv(std::uint64_t h, std::uint64_t v) { return (h ^ v) * 1099511628211ull; }
std::uint64_t reference_chunk_hash(const std::vector<std::uint32_t>& v) {
  std::uint64_t s[4] = {1469598103934665603ull, 1469598103934665603ull, 1469598103934665603ull, 1469598103934665603ull};
  for (std::size_t i = 0; i < v.size(); ++i) s[i % 4] = fnv(s[i % 4], v[i]);
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint64_t x : s) h = fnv(fnv(h, x & 0xffffffffu), x >> 32);
  return h;
}

TEST(Hash, KnownValues) {
  // 64-bit FNV-1a: the empty input is the offset basis.
  EXPECT_EQ(combine_hashes({}), 1469598103934665603ull);
  for (std::size_t n : {0, 1, 3, 4, 5, 8, 11, 1000}) {
    std::vector<std::uint32_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint32_t>(i * 2654435761u);
    EXPECT_EQ(hash_counts(v), reference_chunk_hash(v)) << "n = " << n;
  }
}

TEST(Hash, CombineIsOrderSensitiveAndDeterministic) {
  const std::vector<std::uint64_t> a = {hash_counts(random_counts(10, 2, 1)),
                                        hash_counts(random_counts(10, 2, 2)),
                                        hash_counts(random_counts(10, 2, 3))};
  const std::uint64_t h = combine_hashes(a);
  EXPECT_EQ(combine_hashes(a), h);
  std::vector<std::uint64_t> copy(a.begin(), a.end());
  EXPECT_EQ(combine_hashes(copy), h);
  std::vector<std::uint64_t> swapped = {a[1], a[0], a[2]};
  EXPECT_NE(combine_hashes(swapped), h);
  std::vector<std::uint64_t> rotated = {a[1], a[2], a[0]};
  EXPECT_NE(combine_hashes(rotated), h);
  // Both halves of each chunk hash count.
  std::vector<std::uint64_t> hi = a;
  hi[1] ^= 1ull << 63;
  EXPECT_NE(combine_hashes(hi), h);
  std::vector<std::uint64_t> lo = a;
  lo[1] ^= 1ull;
  EXPECT_NE(combine_hashes(lo), h);
  // Swapping the two 32-bit halves of one hash is a different job.
  std::vector<std::uint64_t> halves = {0x0000000100000002ull};
  std::vector<std::uint64_t> halves_swapped = {0x0000000200000001ull};
  EXPECT_NE(combine_hashes(halves), combine_hashes(halves_swapped));
}

// ---------------------------------------------------------------------------------------------
// Frame plan

ParseResult parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"fractal-render"};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back("-o");
  argv.push_back("x.h5");
  return parse_config(static_cast<int>(argv.size()), argv.data());
}

TEST(FramePlan, JuliaSweepIncludesBothEnds) {
  const Config cfg = parse({"--c-re", "-0.62772", "--c-im", "-0.42", "--c-im-increment", "0.042",
                            "--frames", "11", "--width", "40", "--height", "30", "--max-iter",
                            "300"})
                         .config;
  const auto plan = plan_frames(cfg);
  ASSERT_EQ(plan.size(), 11u);
  EXPECT_EQ(plan.front().c_im, -0.42);
  EXPECT_DOUBLE_EQ(plan.back().c_im, -0.42 + 0.042);
  const double step = 0.042 / 10;
  for (std::size_t f = 0; f < plan.size(); ++f) {
    const FrameParams& p = plan[f];
    SCOPED_TRACE("frame " + std::to_string(f));
    EXPECT_NEAR(p.c_im, -0.42 + step * static_cast<double>(f), 1e-15);
    if (f > 0) {
      EXPECT_NEAR(p.c_im - plan[f - 1].c_im, step, 1e-15);
    }
    EXPECT_EQ(p.fractal, Fractal::Julia);
    EXPECT_EQ(p.c_re, -0.62772);
    EXPECT_EQ(p.width, 40u);
    EXPECT_EQ(p.height, 30u);
    EXPECT_EQ(p.max_iter, 300u);
    EXPECT_EQ(p.escape_radius, 2.0);
    // No pan/zoom: every frame has the job's view.
    EXPECT_EQ(p.xmin, cfg.view.xmin);
    EXPECT_EQ(p.xmax, cfg.view.xmax);
    EXPECT_EQ(p.ymin, cfg.view.ymin);
    EXPECT_EQ(p.ymax, cfg.view.ymax);
  }
}

TEST(FramePlan, SingleFrameIsTheStart) {
  const Config cfg = parse({"--c-im", "0.3", "--c-im-increment", "0.5", "--width", "8"}).config;
  const auto plan = plan_frames(cfg);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].c_im, 0.3);
  EXPECT_EQ(plan[0].xmin, cfg.view.xmin);
}

TEST(FramePlan, TwoFramesAreBothEnds) {
  const Config cfg = parse({"--c-im", "0.25", "--c-im-increment", "0.5", "--frames", "2",
                            "--width", "8"})
                         .config;
  const auto plan = plan_frames(cfg);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].c_im, 0.25);
  EXPECT_EQ(plan[1].c_im, 0.75);
}

TEST(FramePlan, PanZoomIsGeometric) {
  const Config cfg = parse({"--fractal", "mandelbrot", "--z0-re", "0.01", "--center-re", "-0.5",
                            "--center-im", "0", "--view-width", "3", "--width", "64", "--height",
                            "48", "--end-center-re", "-0.7435", "--end-center-im", "0.1314",
                            "--end-view-width", "0.01", "--frames", "25", "--max-iter", "1000"})
                         .config;
  ASSERT_TRUE(cfg.end_view.has_value());
  const auto plan = plan_frames(cfg);
  ASSERT_EQ(plan.size(), 25u);
  // First frame = start view, last frame = end view, exactly.
  EXPECT_EQ(plan.front().xmin, cfg.view.xmin);
  EXPECT_EQ(plan.front().xmax, cfg.view.xmax);
  EXPECT_EQ(plan.front().ymin, cfg.view.ymin);
  EXPECT_EQ(plan.front().ymax, cfg.view.ymax);
  EXPECT_EQ(plan.back().xmin, cfg.end_view->xmin);
  EXPECT_EQ(plan.back().xmax, cfg.end_view->xmax);
  EXPECT_EQ(plan.back().ymin, cfg.end_view->ymin);
  EXPECT_EQ(plan.back().ymax, cfg.end_view->ymax);
  EXPECT_NEAR(plan.back().xmax - plan.back().xmin, 0.01, 1e-15);
  EXPECT_NEAR(0.5 * (plan.back().xmin + plan.back().xmax), -0.7435, 1e-15);
  EXPECT_NEAR(0.5 * (plan.back().ymin + plan.back().ymax), 0.1314, 1e-15);

  const auto w = [&](std::size_t f) { return plan[f].xmax - plan[f].xmin; };
  const auto h = [&](std::size_t f) { return plan[f].ymax - plan[f].ymin; };
  const double ratio = w(1) / w(0);
  EXPECT_NEAR(ratio, std::pow(0.01 / 3.0, 1.0 / 24.0), 1e-12);
  for (std::size_t f = 1; f < plan.size(); ++f) {
    SCOPED_TRACE("frame " + std::to_string(f));
    const double r = w(f) / w(f - 1);
    EXPECT_NEAR(r / ratio, 1.0, 1e-12) << "width ratio " << r << " vs " << ratio;
    // The view keeps the image's aspect ratio.
    EXPECT_NEAR(h(f) / w(f), 48.0 / 64.0, 1e-12);
    // The centre moves linearly.
    const double t = static_cast<double>(f) / 24.0;
    EXPECT_NEAR(0.5 * (plan[f].xmin + plan[f].xmax), -0.5 + (-0.7435 + 0.5) * t, 1e-12);
    EXPECT_NEAR(0.5 * (plan[f].ymin + plan[f].ymax), 0.1314 * t, 1e-12);
    EXPECT_EQ(plan[f].fractal, Fractal::Mandelbrot);
    EXPECT_EQ(plan[f].z0_re, 0.01);
    EXPECT_EQ(plan[f].max_iter, 1000u);
  }
}

}  // namespace
}  // namespace fractal
