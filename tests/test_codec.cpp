// Codec tests: encode/decode round trips, the encoded bytes are exactly what HDF5 itself stores
// for the same chunk (written raw with H5Dwrite_chunk, read back through HDF5's own shuffle and
// deflate filters), the verification hashes, and the per-frame plan of animations.
#include <gtest/gtest.h>

#include "test_support.hpp"

#include <hdf5.h>
#include <libdeflate.h>
#if __has_include(<zlib.h>)
#include <zlib.h>  // HDF5 links zlib (its deflate filter); a second, independent decoder
#define FRACTAL_TEST_HAVE_ZLIB 1
#endif

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

#include "fractal/output/chunk_codec.hpp"
#include "fractal/run/chunk_message.hpp"
#include "fractal/error.hpp"
#include "fractal/config/config.hpp"
#include "fractal/config/frame_plan.hpp"

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


// ---------------------------------------------------------------------------------------------
// The run-length zlib encoder of level 1 (zlib_compress_runs): every output decodes to exactly
// its input with libdeflate, zlib (when its header is available) and HDF5's deflate filter.

// Decodes with libdeflate (and zlib) and compares; returns the compressed size.
std::size_t check_runs_roundtrip(const std::vector<std::uint8_t>& in, std::size_t block_bytes,
                                 std::vector<std::uint8_t>* compressed = nullptr) {
  const std::vector<std::uint8_t> z = zlib_compress_runs(in, block_bytes);
  EXPECT_GE(z.size(), 7u);
  EXPECT_LE(z.size() + 8, zlib_runs_bound(in.size(), block_bytes)) << "output past the bound";
  // Same bytes through the pointer form.
  std::vector<std::uint8_t> z2(zlib_runs_bound(in.size(), block_bytes));
  z2.resize(zlib_compress_runs(in.data(), in.size(), block_bytes, z2.data(), z2.size()));
  EXPECT_EQ(z2, z);
  EXPECT_EQ(zlib_compress_runs(in.data(), in.size(), block_bytes, z2.data(), zlib_runs_bound(in.size(), block_bytes) - 1), 0u)
      << "capacity below the bound accepted";
  // zlib header: deflate, 32 KiB window, valid check bits, no dictionary.
  EXPECT_EQ(z[0], 0x78);
  EXPECT_EQ(((z[0] << 8) | z[1]) % 31, 0);
  EXPECT_EQ(z[1] & 0x20, 0);

  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::vector<std::uint8_t> back(in.size() + 1, 0xA5);
  std::size_t got = 0;
  // Room for one byte more than the input: the stream itself must end at the right size.
  const auto r = libdeflate_zlib_decompress(d, z.data(), z.size(), back.data(), back.size(), &got);
  libdeflate_free_decompressor(d);
  EXPECT_EQ(r, LIBDEFLATE_SUCCESS) << "libdeflate rejects the stream";
  EXPECT_EQ(got, in.size());
  back.resize(std::min(got, in.size()));
  EXPECT_TRUE(back == in) << "libdeflate decodes other bytes";
#ifdef FRACTAL_TEST_HAVE_ZLIB
  std::vector<std::uint8_t> zb(in.size() + 1, 0x5A);
  uLongf zlen = static_cast<uLongf>(zb.size());
  const int zr = uncompress(zb.data(), &zlen, z.data(), static_cast<uLong>(z.size()));
  EXPECT_EQ(zr, Z_OK) << "zlib rejects the stream";
  EXPECT_EQ(zlen, in.size());
  zb.resize(std::min<std::size_t>(zlen, in.size()));
  EXPECT_TRUE(zb == in) << "zlib decodes other bytes";
#endif
  if (compressed) *compressed = z;
  return z.size();
}

// Writes `z` (a zlib stream of n bytes) as the one chunk of a 1-D uint8 dataset with HDF5's
// deflate filter, and reads the dataset back through HDF5.
std::vector<std::uint8_t> hdf5_inflate(const fs::path& path, const std::vector<std::uint8_t>& z, std::size_t n) {
  std::vector<std::uint8_t> out;
  H5 file{H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose};
  EXPECT_GE(file.id, 0);
  if (file.id < 0) return out;
  const hsize_t dims[1] = {n};
  H5 space{H5Screate_simple(1, dims, nullptr), H5Sclose};
  H5 dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
  EXPECT_GE(H5Pset_chunk(dcpl.id, 1, dims), 0);
  EXPECT_GE(H5Pset_deflate(dcpl.id, 1), 0);
  H5 dset{H5Dcreate2(file.id, "bytes", H5T_NATIVE_UINT8, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT), H5Dclose};
  EXPECT_GE(dset.id, 0);
  if (dset.id < 0) return out;
  const hsize_t offset[1] = {0};
  EXPECT_GE(H5Dwrite_chunk(dset.id, H5P_DEFAULT, 0, offset, z.size(), z.data()), 0);
  dset.close(dset.id);
  dset.id = -1;
  file.close(file.id);
  file.id = -1;
  H5 rfile{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  H5 rdset{H5Dopen2(rfile.id, "bytes", H5P_DEFAULT), H5Dclose};
  EXPECT_GE(rdset.id, 0);
  if (rdset.id < 0) return out;
  out.assign(n, 0xA5);
  EXPECT_GE(H5Dread(rdset.id, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0);
  return out;
}

// All three decoders, HDF5 included (n >= 1).
void check_runs_all_decoders(const fs::path& dir, const std::string& name, const std::vector<std::uint8_t>& in,
                             std::size_t block_bytes) {
  SCOPED_TRACE(name);
  std::vector<std::uint8_t> z;
  check_runs_roundtrip(in, block_bytes, &z);
  if (in.empty()) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  EXPECT_TRUE(hdf5_inflate(dir / (name + ".h5"), z, in.size()) == in) << "HDF5's deflate filter decodes other bytes";
}

// Escape counts of a view, as the kernels compute them (plain scalar loop).
std::vector<std::uint32_t> escape_counts(std::uint32_t w, std::uint32_t h, double x0, double y0, double step,
                                         std::uint32_t max_iter, bool julia, double cr = 0, double ci = 0) {
  std::vector<std::uint32_t> v(std::size_t{w} * h);
  for (std::uint32_t r = 0; r < h; ++r)
    for (std::uint32_t c = 0; c < w; ++c) {
      const double px = x0 + c * step, py = y0 + r * step;
      double zr = julia ? px : 0, zi = julia ? py : 0;
      const double ar = julia ? cr : px, ai = julia ? ci : py;
      std::uint32_t n = 0;
      while (n < max_iter && zr * zr + zi * zi <= 4.0) {
        const double t = zr * zr - zi * zi + ar;
        zi = 2 * zr * zi + ai;
        zr = t;
        ++n;
      }
      v[std::size_t{r} * w + c] = n;
    }
  return v;
}

TEST(RunsCodec, RealLookingCountChunksThroughHdf5) {
  const ScopedDir dir = test_dir();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  struct View {
    const char* name;
    std::vector<std::uint32_t> counts;
    std::uint32_t w, h;
  };
  std::vector<View> views;
  // Seahorse valley (w2's view, coarser) and a Julia frame of w1's sweep, plus a view with
  // most of the pixels inside the set (long runs of max_iter).
  views.push_back({"seahorse", escape_counts(160, 40, -0.745, 0.105, 0.01 / 160, 2000, false), 160, 40});
  views.push_back({"julia", escape_counts(125, 50, -1.8, -0.9, 3.6 / 125, 500, true, -0.62772, -0.3), 125, 50});
  views.push_back({"interior", escape_counts(200, 30, -0.6, -0.15, 0.3 / 200, 300, false), 200, 30});
  for (const View& v : views)
    for (unsigned cb : {2u, 4u}) {
      SCOPED_TRACE(std::string(v.name) + " count_bytes=" + std::to_string(cb));
      // Chunks of 9 rows: full ones and a partial edge chunk.
      const auto back = write_raw_read_back(dir / (std::string(v.name) + std::to_string(cb) + ".h5"), v.counts, v.h,
                                            v.w, 9, cb, 1);
      ASSERT_EQ(back.size(), v.counts.size());
      for (std::size_t i = 0; i < back.size(); ++i) ASSERT_EQ(back[i], v.counts[i]) << "element " << i;
      // Level 1 is the run-length encoder over the shuffled planes, one block per plane.
      const auto shuffled = encode_chunk(v.counts, v.h, v.w, v.h, cb, 0);
      const auto z = encode_chunk(v.counts, v.h, v.w, v.h, cb, 1);
      EXPECT_EQ(z, zlib_compress_runs(shuffled, std::size_t{v.w} * v.h));
      check_runs_roundtrip(shuffled, std::size_t{v.w} * v.h);
      EXPECT_EQ(decode_chunk(z, v.w, v.h, cb, 1), v.counts);
      // And it compresses these chunks about as well as libdeflate level 1 (well within 1.3x).
      libdeflate_compressor* c = libdeflate_alloc_compressor(1);
      std::vector<std::uint8_t> ref(libdeflate_zlib_compress_bound(c, shuffled.size()));
      const std::size_t nref = libdeflate_zlib_compress(c, shuffled.data(), shuffled.size(), ref.data(), ref.size());
      libdeflate_free_compressor(c);
      EXPECT_LE(double(z.size()), 1.3 * double(nref)) << z.size() << " bytes vs libdeflate's " << nref;
      EXPECT_LT(z.size(), shuffled.size() / 2);
    }
}

TEST(RunsCodec, AllEqualChunks) {
  const ScopedDir dir = test_dir();
  for (std::uint8_t value : {std::uint8_t{0}, std::uint8_t{7}, std::uint8_t{255}})
    for (std::size_t n : {1u, 4u, 258u, 259u, 1000u, 65536u, 262144u, 1u << 20}) {
      const std::vector<std::uint8_t> in(n, value);
      check_runs_all_decoders(dir, "equal_" + std::to_string(value) + "_" + std::to_string(n), in, 0);
      // A run is one literal and one match per 258 bytes: about 2 bits per 258 bytes.
      EXPECT_LT(check_runs_roundtrip(in, 0), 60 + n / 100) << n << " equal bytes";
      check_runs_roundtrip(in, n / 2 + 1);
    }
}

TEST(RunsCodec, RandomBytesFallBackToStoredBlocks) {
  const ScopedDir dir = test_dir();
  std::mt19937 rng(2024);
  for (std::size_t n : {1u, 100u, 65535u, 65536u, 200000u}) {
    std::vector<std::uint8_t> in(n);
    for (auto& b : in) b = static_cast<std::uint8_t>(rng());
    std::vector<std::uint8_t> z;
    check_runs_roundtrip(in, 0, &z);
    // Stored: the header, 5 bytes per stored block of <= 65535 bytes, the Adler-32.
    const std::size_t stored = 2 + n + 5 * ((n + 65534) / 65535) + 4;
    if (n >= 100) {
      EXPECT_EQ(z.size(), stored) << n << " random bytes";
      EXPECT_EQ((z[2] >> 1) & 3, 0) << "first block is not stored";
    } else {
      EXPECT_LE(z.size(), stored);
    }
    check_runs_all_decoders(dir, "random_" + std::to_string(n), in, 0);
    // Two planes: one noise, one runs: a stored block then a Huffman block.
    std::vector<std::uint8_t> two = in;
    two.resize(2 * n, 3);
    check_runs_all_decoders(dir, "random_then_runs_" + std::to_string(n), two, n);
    EXPECT_LT(check_runs_roundtrip(two, n), stored + 40 + n / 100);
  }
}

// Mixed content: runs of random lengths and values between stretches of noise.
std::vector<std::uint8_t> mixed_bytes(std::size_t n, std::mt19937& rng, unsigned noise_values = 256) {
  std::vector<std::uint8_t> v;
  v.reserve(n);
  while (v.size() < n) {
    const std::size_t run = rng() % 4 == 0 ? rng() % 2000 : rng() % 12;
    v.insert(v.end(), std::min(run, n - v.size()), static_cast<std::uint8_t>(rng()));
    const std::size_t noise = rng() % 40;
    for (std::size_t i = 0; i < noise && v.size() < n; ++i) v.push_back(static_cast<std::uint8_t>(rng() % noise_values));
  }
  return v;
}

TEST(RunsCodec, EdgeSizes) {
  const ScopedDir dir = test_dir();
  std::mt19937 rng(7);
  for (std::size_t n : {0u, 1u, 2u, 3u, 257u, 258u, 259u, 65535u, 65536u, 65537u}) {
    const std::string s = std::to_string(n);
    check_runs_all_decoders(dir, "zeros_" + s, std::vector<std::uint8_t>(n, 0), 0);
    std::vector<std::uint8_t> counting(n);
    for (std::size_t i = 0; i < n; ++i) counting[i] = static_cast<std::uint8_t>(i * 7 / 5);
    check_runs_all_decoders(dir, "counting_" + s, counting, 0);
    const auto mixed = mixed_bytes(n, rng);
    check_runs_all_decoders(dir, "mixed_" + s, mixed, 0);
    check_runs_all_decoders(dir, "mixed_blocks_" + s, mixed, n / 2 + 1);
  }
  // 4 MiB: one block, and blocks of 1 MiB.
  const auto big = mixed_bytes(std::size_t{4} << 20, rng, 16);
  check_runs_all_decoders(dir, "big", big, 0);
  check_runs_all_decoders(dir, "big_blocks", big, std::size_t{1} << 20);
}

TEST(RunsCodec, RunsAroundMatchLengthLimits) {
  const ScopedDir dir = test_dir();
  // Runs of every length near multiples of 258 (a run is one literal plus matches of 3..258),
  // each of another value than its neighbours, so no two runs merge.
  std::vector<std::uint8_t> in;
  std::uint8_t value = 0;
  for (std::size_t base : {0u, 258u, 516u, 774u, 1032u})
    for (std::size_t len = (base > 6 ? base - 6 : 1); len <= base + 8; ++len) {
      in.insert(in.end(), len, value);
      value = static_cast<std::uint8_t>(value + 1);
    }
  check_runs_all_decoders(dir, "runs", in, 0);
  // The same with a noise byte between runs, and runs of the byte just before them.
  std::vector<std::uint8_t> in2;
  for (std::size_t len = 1; len <= 800; ++len) {
    in2.push_back(static_cast<std::uint8_t>(len * 31));
    in2.insert(in2.end(), len, static_cast<std::uint8_t>(len * 31));
    in2.push_back(static_cast<std::uint8_t>(len * 31 + 1));
  }
  check_runs_all_decoders(dir, "runs_after_literal", in2, 0);
  check_runs_all_decoders(dir, "runs_after_literal_blocks", in2, 1000);
}

TEST(RunsCodec, AllByteValuesAndSingleSymbols) {
  const ScopedDir dir = test_dir();
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  check_runs_all_decoders(dir, "all_once", all, 0);
  // Every value, value i repeated i + 1 times (runs of every length up to 256).
  std::vector<std::uint8_t> ramp;
  for (int i = 0; i < 256; ++i) ramp.insert(ramp.end(), i + 1, static_cast<std::uint8_t>(i));
  check_runs_all_decoders(dir, "all_runs", ramp, 0);
  // One used literal only (and no match, or matches of one length only).
  for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 261u})
    check_runs_all_decoders(dir, "single_" + std::to_string(n), std::vector<std::uint8_t>(n, 42), 0);
  // Two literal values alternating: no runs, two literal symbols and end of block.
  std::vector<std::uint8_t> alt(1001);
  for (std::size_t i = 0; i < alt.size(); ++i) alt[i] = i % 2 ? 9 : 200;
  check_runs_all_decoders(dir, "alternating", alt, 0);
}

TEST(RunsCodec, HuffmanLengthLimit) {
  const ScopedDir dir = test_dir();
  std::mt19937 rng(99);
  // Literal i used fib(i) times: an unlimited Huffman code would need codes of ~24 bits.
  std::vector<std::uint8_t> lit;
  std::uint64_t a = 1, b = 1;
  for (int i = 0; i < 26; ++i) {
    lit.insert(lit.end(), a, static_cast<std::uint8_t>(i * 9 + 1));
    const std::uint64_t c = a + b;
    a = b;
    b = c;
  }
  std::shuffle(lit.begin(), lit.end(), rng);
  // Break up runs (so the counts stay literal counts): after 3 equal bytes, put another.
  std::vector<std::uint8_t> in;
  for (std::uint8_t x : lit) {
    const std::size_t k = in.size();
    if (k >= 3 && in[k - 1] == x && in[k - 2] == x && in[k - 3] == x) in.push_back(static_cast<std::uint8_t>(x + 1));
    in.push_back(x);
  }
  check_runs_all_decoders(dir, "fib_literals", in, 0);
  // Fibonacci-like counts of match lengths (runs of 4 + i bytes used fib(i) times) with a few
  // literals: the length symbols need the limit too.
  std::vector<std::size_t> runs;
  a = 1, b = 1;
  for (int i = 0; i < 22; ++i) {
    runs.insert(runs.end(), a, 4 + static_cast<std::size_t>(i) * 11);
    const std::uint64_t c = a + b;
    a = b;
    b = c;
  }
  std::shuffle(runs.begin(), runs.end(), rng);
  std::vector<std::uint8_t> rin;
  std::uint8_t v = 0;
  for (std::size_t r : runs) {
    v = static_cast<std::uint8_t>(v + 1 + rng() % 3);
    rin.insert(rin.end(), r, v);
  }
  check_runs_all_decoders(dir, "fib_runs", rin, 0);
}

TEST(RunsCodec, RandomizedRoundTrips) {
  // Fixed seed; a few thousand buffers of runs and noise, sizes 0..~20 000, with and without
  // block splits. Any mismatch fails the test.
  std::mt19937 rng(123456789);
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::size_t failures = 0;
  for (int t = 0; t < 3000 && failures < 5; ++t) {
    const std::size_t n = rng() % 8 == 0 ? rng() % 20 : rng() % 20000;
    const unsigned noise_values = 1u << (rng() % 9);  // 1..256 distinct noise values
    const auto in = mixed_bytes(n, rng, noise_values);
    const std::size_t block = rng() % 3 == 0 ? 1 + rng() % (n + 1) : 0;
    const auto z = zlib_compress_runs(in, block);
    std::vector<std::uint8_t> back(n + 1);
    std::size_t got = 0;
    const bool ok = libdeflate_zlib_decompress(d, z.data(), z.size(), back.data(), back.size(), &got) == LIBDEFLATE_SUCCESS &&
                    got == n && std::equal(in.begin(), in.end(), back.begin());
    bool zok = true;
#ifdef FRACTAL_TEST_HAVE_ZLIB
    uLongf zlen = static_cast<uLongf>(back.size());
    zok = uncompress(back.data(), &zlen, z.data(), static_cast<uLong>(z.size())) == Z_OK && zlen == n &&
          std::equal(in.begin(), in.end(), back.begin());
#endif
    if (!ok || !zok) ++failures;
    EXPECT_TRUE(ok) << "libdeflate: buffer " << t << " (" << n << " bytes, block " << block << ")";
    EXPECT_TRUE(zok) << "zlib: buffer " << t << " (" << n << " bytes, block " << block << ")";
    EXPECT_LE(z.size(), 2 + n + 5 * (n / 65535 + 1) + 6 * (block ? n / block + 1 : 1) + 4);
  }
  libdeflate_free_decompressor(d);
}


// The worker -> rank 0 message (chunk_message.hpp): a round trip keeps every field and plane;
// a message cut short anywhere, or with bytes after it, is refused.
TEST(ChunkMessage, RoundTripAndMalformed) {
  std::vector<EncodedChunk> chunks(3);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    chunks[i].index = 100 + i;
    chunks[i].iterations = 1000 * i + 7;
    chunks[i].hash = 0x0123456789abcdefull ^ i;
    chunks[i].bytes.assign(5 + 3 * i, static_cast<std::uint8_t>(i + 1));
    if (i == 1) chunks[i].smooth.assign(4, 0xaa);
    if (i == 2) chunks[i].distance.assign(9, 0x55);
  }
  const auto buf = pack_chunks(chunks);
  const auto back = unpack_chunks(buf);
  ASSERT_EQ(back.size(), chunks.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(back[i].index, chunks[i].index);
    EXPECT_EQ(back[i].iterations, chunks[i].iterations);
    EXPECT_EQ(back[i].hash, chunks[i].hash);
    EXPECT_EQ(back[i].bytes, chunks[i].bytes);
    EXPECT_EQ(back[i].smooth, chunks[i].smooth);
    EXPECT_EQ(back[i].distance, chunks[i].distance);
  }
  EXPECT_TRUE(unpack_chunks(pack_chunks({})).empty());
  for (std::size_t cut = 0; cut < buf.size(); ++cut)
    EXPECT_THROW(unpack_chunks(std::vector<std::uint8_t>(buf.begin(), buf.begin() + cut)), RuntimeError) << "cut at " << cut;
  auto longer = buf;
  longer.push_back(0);
  EXPECT_THROW(unpack_chunks(longer), RuntimeError);
}

}  // namespace
}  // namespace fractal
