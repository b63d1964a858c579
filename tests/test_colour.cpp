// Colouring library: colormaps against matplotlib, normalisations, downscaling, PNG output.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fractal/colour/colormap.hpp"
#include "fractal/colour/compose.hpp"
#include "fractal/colour/image.hpp"
#include "fractal/colour/normalize.hpp"
#include "fractal/error.hpp"

namespace fs = std::filesystem;
using namespace fractal::colour;
using fractal::RuntimeError;
using fractal::UsageError;

namespace {

// tests/data; CMake compiles with absolute source paths, so __FILE__ locates it. A build may
// override it with -DFRACTAL_TEST_DATA_DIR="...".
fs::path data_dir() {
#ifdef FRACTAL_TEST_DATA_DIR
  return FRACTAL_TEST_DATA_DIR;
#else
  return fs::path(__FILE__).parent_path() / "data";
#endif
}

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "fractal-colour-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

void expect_rgb_near(const RGB& got, const RGB& want, double tol, const std::string& what) {
  EXPECT_NEAR(got.r, want.r, tol) << what;
  EXPECT_NEAR(got.g, want.g, tol) << what;
  EXPECT_NEAR(got.b, want.b, tol) << what;
}

// The pixel at (x, y) of an image.
RGB pixel(const ImageF& img, std::uint32_t x, std::uint32_t y) {
  const float* p = img.rgb.data() + (std::size_t{y} * img.width + x) * 3;
  return {p[0], p[1], p[2]};
}

struct PngRead {
  std::uint32_t width = 0, height = 0;
  int depth = 0, colour_type = 0;
  bool has_time = false;
  std::vector<unsigned char> bytes;  // rows as stored (16-bit samples big-endian)
};

// Reads a PNG untransformed. libpng's default error handler longjmps here; `out` belongs to the
// caller, so no local with a destructor is skipped.
bool read_png(const char* path, PngRead* out) {
  std::FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(f);
    return false;
  }
  png_init_io(png, f);
  png_read_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->depth = png_get_bit_depth(png, info);
  out->colour_type = png_get_color_type(png, info);
  out->has_time = png_get_valid(png, info, PNG_INFO_tIME) != 0;
  const std::size_t rowbytes = png_get_rowbytes(png, info);
  png_bytepp rows = png_get_rows(png, info);
  out->bytes.resize(rowbytes * out->height);
  for (std::uint32_t y = 0; y < out->height; ++y) std::memcpy(out->bytes.data() + y * rowbytes, rows[y], rowbytes);
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(f);
  return true;
}

// A small image with values that exercise rounding: 0, 1, mid-points and out-of-range values.
ImageF test_image() {
  ImageF img;
  img.width = 3;
  img.height = 2;
  img.rgb = {0.0f, 1.0f, 0.5f,   0.25f, 0.75f, 0.1f,  1.0f / 255, 0.3333f, 0.999f,
             1.5f, -0.2f, 0.002f, 0.6f, 0.4f, 0.8f,  0.12345f, 0.5f / 255, 0.9999f};
  return img;
}

}  // namespace

// ---- colormaps ------------------------------------------------------------------------------

TEST(Colormap, MatchesMatplotlibReference) {
  std::ifstream in(data_dir() / "colormap_reference.txt");
  ASSERT_TRUE(in) << "missing " << (data_dir() / "colormap_reference.txt");
  std::map<std::string, int> samples;
  std::map<std::string, Colormap> maps;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name;
    double t, r, g, b;
    ASSERT_TRUE(ss >> name >> t >> r >> g >> b) << line;
    auto it = maps.find(name);
    if (it == maps.end()) it = maps.emplace(name, Colormap::named(name)).first;
    const RGB& got = it->second.at(t);
    // The contract: within 1/255 per channel of matplotlib's cmap(t).
    expect_rgb_near(got, {float(r), float(g), float(b)}, 1.0 / 255, line);
    // Stronger: the same table entry (only float32 storage differs), so an off-by-one index in
    // the lookup or the reversal, which 1/255 could hide in a smooth map, fails here.
    expect_rgb_near(got, {float(r), float(g), float(b)}, 1e-6, line);
    ++samples[name];
  }
  for (const auto& base : colormap_names()) {
    EXPECT_GE(samples[base], 10) << base;
    EXPECT_GE(samples[base + "_r"], 10) << base << "_r";
  }
}

TEST(Colormap, NamesSizesAndReversal) {
  const std::vector<std::string> want = {"viridis", "plasma",           "inferno", "magma", "cividis",
                                         "twilight", "twilight_shifted", "turbo",   "gray"};
  EXPECT_EQ(colormap_names(), want);
  EXPECT_EQ(Colormap::named("viridis").table().size(), 256u);
  EXPECT_EQ(Colormap::named("twilight").table().size(), 510u);
  EXPECT_EQ(Colormap::named("twilight_shifted_r").table().size(), 510u);
  const auto v = Colormap::named("viridis");
  const auto vr = Colormap::named("viridis_r");
  EXPECT_EQ(vr.name(), "viridis_r");
  expect_rgb_near(vr.table().front(), v.table().back(), 0, "reversed first");
  expect_rgb_near(vr.at(1.0), v.at(0.0), 0, "reversed at(1)");
  EXPECT_THROW(Colormap::named("jet"), UsageError);
  EXPECT_THROW(Colormap::named("viridis_r_r"), UsageError);
  try {
    Colormap::named("nope");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--cmap"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
}

TEST(Colormap, LookupEdges) {
  const auto g = Colormap::named("gray");  // entry i is i / 255
  EXPECT_FLOAT_EQ(g.at(0).r, 0);
  EXPECT_FLOAT_EQ(g.at(-3).r, 0);
  EXPECT_FLOAT_EQ(g.at(std::nan("")).r, 0);
  EXPECT_FLOAT_EQ(g.at(1).r, 1);
  EXPECT_FLOAT_EQ(g.at(7).r, 1);
  EXPECT_FLOAT_EQ(g.at(INFINITY).r, 1);
  EXPECT_NEAR(g.at(0.5).r, 128.0 / 255, 1e-6);           // floor(0.5 * 256) = 128
  EXPECT_NEAR(g.at(1.0 / 256).r, 1.0 / 255, 1e-6);       // exactly on entry 1's start
  EXPECT_NEAR(g.at(0.999999).r, 1.0, 1e-6);              // floor(255.99...) = 255
}

// ---- custom colour stops --------------------------------------------------------------------

TEST(Colormap, FromFileValid) {
  TempDir dir;
  const auto p = dir / "stops.txt";
  write_text(p, "# black, red, white\n\n0 0 0 0\n  0.5 1 0 0   # red\n1 1 1 1\n");
  const auto c = Colormap::from_file(p.string());
  ASSERT_EQ(c.table().size(), 256u);
  expect_rgb_near(c.at(0), {0, 0, 0}, 0, "at(0)");
  expect_rgb_near(c.at(1), {1, 1, 1}, 0, "at(1)");
  // Entry 64 sits at x = 64/255 in the first segment: red ramps, green and blue stay 0.
  expect_rgb_near(c.table()[64], {float(64.0 / 255 / 0.5), 0, 0}, 1e-6, "entry 64");
  const double f = (128.0 / 255 - 0.5) / 0.5;  // entry 128 is just past the red stop
  expect_rgb_near(c.table()[128], {1, float(f), float(f)}, 1e-6, "entry 128");
}

TEST(Colormap, FromFileMalformed) {
  TempDir dir;
  struct Case {
    const char* text;
    const char* line;  // expected "line N"
  };
  const Case cases[] = {
      {"0 0 0 0\n0.5 abc 0 0\n1 1 1 1\n", "line 2: not a number: 'abc'"},
      {"0 0 0 0\n0.6 1 1 1\n0.4 0 0 0\n1 1 1 1\n", "line 3:"},        // decreasing position
      {"0 0 0 0\n0.5 0.5 0.5 0.5\n0.5 1 1 1\n", "line 3:"},          // equal position
      {"0 0 0 0\n1 1.5 0 0\n", "line 2: colour value 1.5"},          // value > 1
      {"# one stop\n0 0 0 0\n", "line 2:"},                          // single stop
      {"0 0 0\n1 1 1 1\n", "line 1:"},                               // three fields
      {"0.1 0 0 0\n1 1 1 1\n", "line 1:"},                           // does not start at 0
      {"0 0 0 0\n0.9 1 1 1\n", "line 2:"},                           // does not end at 1
  };
  int i = 0;
  for (const auto& c : cases) {
    const auto p = dir / ("bad" + std::to_string(i++) + ".txt");
    write_text(p, c.text);
    try {
      Colormap::from_file(p.string());
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const UsageError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("--cmap-file '" + p.string() + "' " + c.line), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
  EXPECT_THROW(Colormap::from_file((dir / "absent.txt").string()), UsageError);
}

// ---- normalisation --------------------------------------------------------------------------

TEST(Normalize, Names) {
  for (Norm n : {Norm::Linear, Norm::Log, Norm::Histogram, Norm::HistogramPerFrame, Norm::Cycle})
    EXPECT_EQ(norm_from_name(norm_name(n)), n);
  try {
    norm_from_name("sqrt");
    ADD_FAILURE();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--norm must be linear, log, histogram, histogram-per-frame, cycle, smooth, smooth-log, smooth-cycle or smooth-histogram, got 'sqrt'");
  }
}

TEST(Normalize, LinearAndLogThroughColourFrame) {
  const auto gray = Colormap::named("gray");
  const RGB interior{0.1f, 0.2f, 0.3f};
  const std::vector<std::uint32_t> counts = {0, 50, 100, 99};  // 2 x 2, max_iter 100
  Normalizer lin({Norm::Linear});
  auto img = colour_frame(counts, 2, 2, 100, 0, lin, gray, interior);
  EXPECT_FLOAT_EQ(pixel(img, 0, 0).r, 0);
  EXPECT_NEAR(pixel(img, 1, 0).r, 128.0 / 255, 1e-6);  // 0.5 -> entry 128
  expect_rgb_near(pixel(img, 0, 1), interior, 0, "interior");
  EXPECT_NEAR(pixel(img, 1, 1).r, 253.0 / 255, 1e-6);  // 0.99 * 256 = 253.44

  Normalizer lg({Norm::Log});
  EXPECT_NEAR(lg.value(15, 255, 0), 0.5, 1e-12);  // log 16 / log 256
  EXPECT_DOUBLE_EQ(lg.value(0, 255, 0), 0);
  EXPECT_DOUBLE_EQ(lg.value(255, 255, 0), 1);
  img = colour_frame(std::vector<std::uint32_t>{3}, 1, 1, 255, 0, lg, gray, interior);
  EXPECT_FLOAT_EQ(pixel(img, 0, 0).r, gray.at(std::log1p(3.0) / std::log1p(255.0)).r);
}

TEST(Normalize, HistogramAllFramesVersusPerFrame) {
  const std::vector<std::uint32_t> a = {1, 1, 2, 2, 10};  // 10 == max_iter: interior, not counted
  const std::vector<std::uint32_t> b = {5, 5, 5, 5};
  Normalizer all({Norm::Histogram});
  ASSERT_TRUE(all.needs_histogram());
  all.add(a, 10);
  all.add(b, 10);
  all.finalize();
  EXPECT_DOUBLE_EQ(all.value(0, 10, 0), 0);
  EXPECT_DOUBLE_EQ(all.value(1, 10, 0), 2.0 / 8);
  EXPECT_DOUBLE_EQ(all.value(2, 10, 0), 4.0 / 8);
  EXPECT_DOUBLE_EQ(all.value(3, 10, 0), 4.0 / 8);
  EXPECT_DOUBLE_EQ(all.value(5, 10, 1), 1);
  EXPECT_DOUBLE_EQ(all.value(9, 10, 1), 1);

  Normalizer per({Norm::HistogramPerFrame});
  per.add(a, 10);
  per.finalize();
  EXPECT_DOUBLE_EQ(per.value(1, 10, 0), 0.5);
  EXPECT_DOUBLE_EQ(per.value(2, 10, 0), 1.0);
  per.reset();
  per.add(b, 10);
  per.finalize();
  EXPECT_DOUBLE_EQ(per.value(5, 10, 1), 1.0);
  EXPECT_DOUBLE_EQ(per.value(2, 10, 1), 0.0);

  // Frame a coloured with both: different colours for the same counts.
  const auto gray = Colormap::named("gray");
  per.reset();
  per.add(a, 10);
  per.finalize();
  const auto ia = colour_frame(a, 5, 1, 10, 0, all, gray, {});
  const auto ip = colour_frame(a, 5, 1, 10, 0, per, gray, {});
  EXPECT_NEAR(pixel(ia, 2, 0).r, 128.0 / 255, 1e-6);  // 0.5 -> entry 128
  EXPECT_FLOAT_EQ(pixel(ip, 2, 0).r, 1.0f);           // 1.0 -> entry 255

  Normalizer empty({Norm::Histogram});
  empty.add(std::vector<std::uint32_t>{7, 7}, 7);  // all interior
  empty.finalize();
  EXPECT_DOUBLE_EQ(empty.value(3, 7, 0), 0);
}

TEST(Normalize, HistogramSparseForHugeCounts) {
  // Counts far above 2^24 must not allocate by the raw maximum (2^31 entries would be 16 GiB).
  Normalizer n({Norm::Histogram});
  n.add(std::vector<std::uint32_t>{3, 3}, 100);  // dense first...
  const std::uint32_t big = 1u << 31;
  n.add(std::vector<std::uint32_t>{(1u << 24) + 5, big, big, 4000000000u}, 4000000000u);  // ...then sparse
  n.finalize();
  EXPECT_DOUBLE_EQ(n.value(0, 4000000000u, 0), 0);
  EXPECT_DOUBLE_EQ(n.value(3, 4000000000u, 0), 2.0 / 5);
  EXPECT_DOUBLE_EQ(n.value((1u << 24) + 4, 4000000000u, 0), 2.0 / 5);
  EXPECT_DOUBLE_EQ(n.value((1u << 24) + 5, 4000000000u, 0), 3.0 / 5);
  EXPECT_DOUBLE_EQ(n.value(big, 4000000000u, 0), 1);
  EXPECT_DOUBLE_EQ(n.value(3999999999u, 4000000000u, 0), 1);
}

TEST(Normalize, CycleShiftsWithFrame) {
  Normalizer still({Norm::Cycle, 10, 0});
  EXPECT_FALSE(still.needs_histogram());
  EXPECT_NEAR(still.value(13, 1000, 0), 0.3, 1e-12);
  EXPECT_NEAR(still.value(13, 1000, 5), 0.3, 1e-12);
  Normalizer moving({Norm::Cycle, 10, 2.5});
  EXPECT_NEAR(moving.value(13, 1000, 0), 0.3, 1e-12);
  EXPECT_NEAR(moving.value(13, 1000, 2), 0.8, 1e-12);  // (13 + 5) mod 10
  EXPECT_NEAR(moving.value(13, 1000, 3), 0.05, 1e-12);  // (13 + 7.5) mod 10
  Normalizer back({Norm::Cycle, 10, -3});
  EXPECT_NEAR(back.value(1, 1000, 1), 0.8, 1e-12);  // -2 wraps to 8
  const auto gray = Colormap::named("gray");
  const auto f0 = colour_frame(std::vector<std::uint32_t>{13}, 1, 1, 1000, 0, moving, gray, {});
  const auto f2 = colour_frame(std::vector<std::uint32_t>{13}, 1, 1, 1000, 2, moving, gray, {});
  EXPECT_NE(pixel(f0, 0, 0).r, pixel(f2, 0, 0).r);
  EXPECT_FLOAT_EQ(pixel(f2, 0, 0).r, gray.at(0.8).r);
}

TEST(ColourFrame, MissingRowsAndSizeCheck) {
  const auto gray = Colormap::named("gray");
  Normalizer lin({Norm::Linear});
  const std::vector<std::uint32_t> counts = {0, 0, 0, 0, 0, 0};
  const std::vector<std::uint8_t> missing = {0, 1, 0};
  const auto img = colour_frame(counts, 2, 3, 10, 0, lin, gray, {1, 1, 1}, missing, {0.5f, 0.25f, 0.125f});
  expect_rgb_near(pixel(img, 1, 1), {0.5f, 0.25f, 0.125f}, 0, "missing row");
  expect_rgb_near(pixel(img, 1, 2), {0, 0, 0}, 0, "present row");
  EXPECT_THROW(colour_frame(counts, 3, 3, 10, 0, lin, gray, {}), RuntimeError);
}

// ---- downscale ------------------------------------------------------------------------------

TEST(Downscale, CheckerAveragesToMean) {
  const RGB a{0.9f, 0.1f, 0.4f}, b{0.1f, 0.5f, 0.0f};
  ImageF img;
  img.width = img.height = 4;
  for (std::uint32_t y = 0; y < 4; ++y)
    for (std::uint32_t x = 0; x < 4; ++x) {
      const RGB& c = (x + y) % 2 ? a : b;
      img.rgb.insert(img.rgb.end(), {c.r, c.g, c.b});
    }
  const auto out = downscale(img, 2);
  ASSERT_EQ(out.width, 2u);
  ASSERT_EQ(out.height, 2u);
  const RGB mean{(a.r + b.r) / 2, (a.g + b.g) / 2, (a.b + b.b) / 2};
  for (std::uint32_t y = 0; y < 2; ++y)
    for (std::uint32_t x = 0; x < 2; ++x) expect_rgb_near(pixel(out, x, y), mean, 1e-6, "mean");
  EXPECT_EQ(downscale(img, 1).rgb, img.rgb);
  try {
    downscale(img, 3);
    ADD_FAILURE();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--downscale 3 must divide the image size 4x4");
  }
  EXPECT_THROW(downscale(img, 0), UsageError);
}

// ---- PNG ------------------------------------------------------------------------------------

TEST(Png, Roundtrip8And16BitAndDeterministic) {
  TempDir dir;
  const auto img = test_image();
  const auto q8 = to_rgb8(img);
  const auto q16 = to_rgb16(img);
  EXPECT_EQ(q8[0], 0);
  EXPECT_EQ(q8[1], 255);
  EXPECT_EQ(q8[2], 128);  // round(127.5)
  EXPECT_EQ(q8[9], 255);  // 1.5 clamps
  EXPECT_EQ(q8[10], 0);   // -0.2 clamps
  EXPECT_EQ(q16[2], 32768);

  for (bool sixteen : {false, true}) {
    const auto p = dir / (sixteen ? "i16.png" : "i8.png");
    write_png(p.string(), img, sixteen);
    EXPECT_FALSE(fs::exists(p.string() + ".partial"));
    PngRead r;
    ASSERT_TRUE(read_png(p.c_str(), &r));
    EXPECT_EQ(r.width, 3u);
    EXPECT_EQ(r.height, 2u);
    EXPECT_EQ(r.colour_type, PNG_COLOR_TYPE_RGB);
    EXPECT_FALSE(r.has_time);
    if (!sixteen) {
      EXPECT_EQ(r.depth, 8);
      EXPECT_EQ(std::vector<std::uint8_t>(r.bytes.begin(), r.bytes.end()), q8);
    } else {
      EXPECT_EQ(r.depth, 16);
      ASSERT_EQ(r.bytes.size(), q16.size() * 2);
      std::vector<std::uint16_t> got(q16.size());
      for (std::size_t i = 0; i < got.size(); ++i) got[i] = std::uint16_t(r.bytes[2 * i] << 8 | r.bytes[2 * i + 1]);
      EXPECT_EQ(got, q16);
    }
    // The same image again gives the same bytes (no timestamp, fixed settings).
    const auto again = dir / "again.png";
    write_png(again.string(), img, sixteen);
    EXPECT_EQ(read_bytes(p), read_bytes(again));
  }
}

TEST(Png, MissingDirectoryThrowsAndLeavesNothing) {
  TempDir dir;
  const auto p = dir / "no-such-dir" / "out.png";
  try {
    write_png(p.string(), test_image(), false);
    ADD_FAILURE();
  } catch (const RuntimeError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot write PNG '" + p.string() + "': ", 0), 0u) << e.what();
  }
  EXPECT_FALSE(fs::exists(p));
  EXPECT_FALSE(fs::exists(p.string() + ".partial"));
  ImageF empty;
  EXPECT_THROW(write_png((dir / "empty.png").string(), empty, false), RuntimeError);
  EXPECT_FALSE(fs::exists(dir / "empty.png.partial"));
}

// The table fast path must give exactly the bytes of the float path for every normalisation,
// including interior pixels, counts at 0 and max_iter - 1, and missing rows.
TEST(ColourTable8, EqualsFloatPathByteForByte) {
  const std::uint32_t W = 37, H = 11, max_iter = 300;
  std::vector<std::uint32_t> counts(W * H);
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<std::uint32_t>((i * 7919u) % (max_iter + 1));
  counts[0] = 0;
  counts[1] = max_iter - 1;
  counts[2] = max_iter;
  std::vector<std::uint8_t> missing(H, 0);
  missing[4] = 1;
  const RGB interior{0.2f, 0.4f, 0.6f}, grey{0.5f, 0.5f, 0.5f};
  for (const char* cm : {"viridis", "twilight_shifted", "gray_r"}) {
    const Colormap cmap = Colormap::named(cm);
    for (Norm n : {Norm::Linear, Norm::Log, Norm::Histogram, Norm::HistogramPerFrame, Norm::Cycle}) {
      NormSettings ns;
      ns.norm = n;
      ns.cycle_period = 17;
      ns.cycle_speed = 2.5;
      Normalizer norm(ns);
      norm.add(counts, max_iter);
      norm.finalize();
      for (std::uint64_t frame : {0u, 3u}) {
        const auto expect = to_rgb8(colour_frame(counts, W, H, max_iter, frame, norm, cmap, interior, missing, grey));
        Image8 got;
        colour_frame8(counts, W, H, colour_table8(max_iter, frame, norm, cmap, interior), missing, grey, got);
        ASSERT_EQ(got.width, W);
        ASSERT_EQ(got.height, H);
        EXPECT_EQ(got.rgb, expect) << cm << " norm " << norm_name(n) << " frame " << frame;
      }
    }
  }
}

// ---- smooth norms and the optional data (issue 7) ----------------------------------------------

TEST(SmoothNorm, NamesAndValues) {
  for (const char* n : {"smooth", "smooth-log", "smooth-cycle"}) EXPECT_STREQ(norm_name(norm_from_name(n)), n);
  EXPECT_THROW(norm_from_name("smoothest"), fractal::UsageError);
  NormSettings s;
  s.norm = Norm::Smooth;
  const Normalizer lin(s);
  EXPECT_TRUE(lin.uses_smooth());
  EXPECT_DOUBLE_EQ(lin.value_smooth(12.5, 100, 0), 0.125);
  EXPECT_DOUBLE_EQ(lin.value_smooth(-0.7, 100, 0), 0.0);   // clamped to [0, max_iter]
  EXPECT_DOUBLE_EQ(lin.value_smooth(150.0, 100, 0), 1.0);
  s.norm = Norm::SmoothLog;
  EXPECT_DOUBLE_EQ(Normalizer(s).value_smooth(12.5, 100, 0), std::log1p(12.5) / std::log1p(100.0));
  s.norm = Norm::SmoothCycle;
  s.cycle_period = 10;
  s.cycle_speed = 2;
  EXPECT_NEAR(Normalizer(s).value_smooth(12.5, 100, 3), 0.85, 1e-12);  // (12.5 + 6) mod 10 / 10
  s.norm = Norm::Linear;
  EXPECT_FALSE(Normalizer(s).uses_smooth());
}

TEST(SmoothNorm, ColourFrameUsesSmoothAndBoundary) {
  const Colormap cm = Colormap::named("gray");
  NormSettings s;
  s.norm = Norm::Smooth;
  const Normalizer norm(s);
  const std::vector<std::uint32_t> counts = {3, 3, 10, 4};  // 4 pixels, max_iter 10 (pixel 2 interior)
  const std::vector<float> smooth = {2.2f, 2.9f, 10.0f, 3.5f};
  const std::vector<float> distance = {0.5f, 0.01f, 0.0f, 0.2f};
  ExtraColouring ex;
  ex.smooth = smooth;
  const RGB interior{0.25f, 0.5f, 0.75f};
  ImageF img = colour_frame(counts, 4, 1, 10, 0, norm, cm, interior, {}, {}, &ex);
  EXPECT_EQ(img.rgb[0], cm.at(0.22).r);
  EXPECT_EQ(img.rgb[3], cm.at(0.29).r);
  EXPECT_NE(img.rgb[0], img.rgb[3]);  // same count, different smooth values
  EXPECT_EQ(img.rgb[6], interior.r);
  ex.distance = distance;
  ex.boundary_below = 0.1;
  ex.boundary = {1, 0, 1};
  img = colour_frame(counts, 4, 1, 10, 0, norm, cm, interior, {}, {}, &ex);
  EXPECT_EQ(img.rgb[3], 1.0f);  // distance 0.01 < 0.1: boundary
  EXPECT_EQ(img.rgb[4], 0.0f);
  EXPECT_EQ(img.rgb[6], interior.r);  // interior keeps its colour although its distance is 0
  EXPECT_EQ(img.rgb[9], cm.at(0.35).r);
}

// ---- smooth-histogram (issue 15): one CDF of the smooth values over every frame ----------------

namespace {
// A frame of n exterior pixels whose smooth values run evenly over [lo, hi] (counts = floor(s)),
// plus `interior` pixels at max_iter.
struct SmoothFrame {
  std::vector<std::uint32_t> counts;
  std::vector<float> smooth;
};
SmoothFrame smooth_frame(double lo, double hi, int n, std::uint32_t max_iter, int interior = 0) {
  SmoothFrame f;
  for (int i = 0; i < n; ++i) {
    const double s = lo + (hi - lo) * (n == 1 ? 0.0 : static_cast<double>(i) / (n - 1));
    f.smooth.push_back(static_cast<float>(s));
    f.counts.push_back(static_cast<std::uint32_t>(std::floor(std::max(0.0, s))));
  }
  for (int i = 0; i < interior; ++i) {
    f.smooth.push_back(static_cast<float>(max_iter));
    f.counts.push_back(max_iter);
  }
  return f;
}
Normalizer smooth_histogram() {
  NormSettings s;
  s.norm = Norm::SmoothHistogram;
  return Normalizer(s);
}
}  // namespace

TEST(SmoothHistogram, NameAndKind) {
  EXPECT_EQ(norm_from_name("smooth-histogram"), Norm::SmoothHistogram);
  EXPECT_STREQ(norm_name(Norm::SmoothHistogram), "smooth-histogram");
  const Normalizer n = smooth_histogram();
  EXPECT_TRUE(n.uses_smooth());
  EXPECT_TRUE(n.needs_smooth_histogram());
  EXPECT_FALSE(n.needs_histogram());
  EXPECT_EQ(n.value_smooth(5.0, 100, 0), 0.0);  // nothing added: 0, not NaN
}

// The mapping is the empirical CDF of the smooth values: monotone, continuous (no bands: a small
// step in s gives a small step in colour), 0 below every value and 1 above.
TEST(SmoothHistogram, CdfIsMonotoneContinuousAndEqualising) {
  Normalizer n = smooth_histogram();
  n.set_smooth_top(1000);
  // Skewed data: most pixels at low s, a tail up to 900.
  const SmoothFrame a = smooth_frame(2.0, 40.0, 3000, 1000), b = smooth_frame(40.0, 900.0, 1000, 1000);
  n.add_smooth(a.counts, a.smooth, 1000);
  n.add_smooth(b.counts, b.smooth, 1000);
  n.finalize();
  double prev = -1, max_step = 0;
  for (double s = 0; s <= 1000; s += 0.01) {
    const double v = n.value_smooth(s, 1000, 0);
    ASSERT_GE(v, prev) << "not monotone at s = " << s;
    ASSERT_GE(v, 0.0);
    ASSERT_LE(v, 1.0);
    if (prev >= 0) max_step = std::max(max_step, v - prev);
    prev = v;
  }
  EXPECT_LT(max_step, 1e-3);  // continuous: no jump of a band anywhere
  EXPECT_EQ(n.value_smooth(1.0, 1000, 0), 0.0);
  EXPECT_EQ(n.value_smooth(950.0, 1000, 0), 1.0);
  // Equalised: the value is the fraction of pixels below (3/4 of them lie under s = 40).
  EXPECT_NEAR(n.value_smooth(40.0, 1000, 0), 0.75, 2e-3);
  EXPECT_NEAR(n.value_smooth(21.0, 1000, 0), 0.375, 2e-3);
  EXPECT_NEAR(n.value_smooth(470.0, 1000, 0), 0.875, 2e-3);
  // Not a linear or log map of s/max_iter.
  EXPECT_GT(n.value_smooth(40.0, 1000, 0), 0.5);
}

// One CDF for the whole video: the value depends on s alone, not on the frame or its max_iter,
// and every frame added moves it (a per-frame histogram would colour frame 0 differently).
TEST(SmoothHistogram, GlobalAcrossFramesWithDifferentMaxIter) {
  Normalizer all = smooth_histogram(), first = smooth_histogram();
  all.set_smooth_top(5000);
  first.set_smooth_top(5000);
  const SmoothFrame f0 = smooth_frame(1.0, 90.0, 500, 100, 50), f1 = smooth_frame(300.0, 4000.0, 500, 5000, 200);
  all.add_smooth(f0.counts, f0.smooth, 100);
  all.add_smooth(f1.counts, f1.smooth, 5000);
  first.add_smooth(f0.counts, f0.smooth, 100);
  all.finalize();
  first.finalize();
  for (double s : {1.5, 10.0, 45.25, 89.0})
    EXPECT_EQ(all.value_smooth(s, 100, 0), all.value_smooth(s, 5000, 7)) << s;
  // f0's pixels are the lower half of all exterior pixels: its top is at 1/2, not at 1.
  EXPECT_NEAR(all.value_smooth(90.0, 100, 0), 0.5, 1e-3);
  EXPECT_NEAR(first.value_smooth(90.0, 100, 0), 1.0, 1e-3);
  EXPECT_NEAR(all.value_smooth(2150.0, 5000, 1), 0.75, 2e-3);
  // Equal smooth values in different frames get equal colours through colour_frame too.
  const Colormap cm = Colormap::named("viridis");
  const std::vector<std::uint32_t> c0 = {45, 100}, c1 = {45, 3000};
  const std::vector<float> s0 = {45.25f, 100.0f}, s1 = {45.25f, 3000.5f};
  ExtraColouring e0, e1;
  e0.smooth = s0;
  e1.smooth = s1;
  const RGB interior{1, 0, 0};
  const ImageF i0 = colour_frame(c0, 2, 1, 100, 0, all, cm, interior, {}, {}, &e0);
  const ImageF i1 = colour_frame(c1, 2, 1, 5000, 3, all, cm, interior, {}, {}, &e1);
  for (int ch = 0; ch < 3; ++ch) EXPECT_EQ(i0.rgb[ch], i1.rgb[ch]);
  EXPECT_EQ(i0.rgb[3], 1.0f);  // interior (count == max_iter) keeps the interior colour
  EXPECT_EQ(i0.rgb[4], 0.0f);
  EXPECT_NE(i1.rgb[3], 1.0f);  // s 3000.5 < max_iter 5000: exterior
}

// Interior pixels (count >= the frame's max_iter) are not in the histogram, whatever their /smooth.
TEST(SmoothHistogram, InteriorPixelsAreNotCounted) {
  Normalizer n = smooth_histogram();
  n.set_smooth_top(100);
  const std::vector<std::uint32_t> counts = {10, 20, 100, 100, 100, 100};
  const std::vector<float> smooth = {10.5f, 20.5f, 100.0f, 100.0f, 5.0f, 15.0f};
  n.add_smooth(counts, smooth, 100);
  n.finalize();
  EXPECT_EQ(n.value_smooth(9.0, 100, 0), 0.0);
  EXPECT_NEAR(n.value_smooth(15.0, 100, 0), 0.5, 1e-4);
  EXPECT_EQ(n.value_smooth(21.0, 100, 0), 1.0);  // 2 of 2 exterior pixels lie below
  // Non-finite smooth values count as 0; sizes must match.
  Normalizer m = smooth_histogram();
  m.set_smooth_top(100);
  const std::vector<float> odd = {std::nanf(""), 50.0f};
  m.add_smooth(std::vector<std::uint32_t>{0, 50}, odd, 100);
  m.finalize();
  EXPECT_NEAR(m.value_smooth(25.0, 100, 0), 0.5, 1e-3);
  EXPECT_THROW(m.add_smooth(std::vector<std::uint32_t>{1, 2}, std::vector<float>{1.0f}, 100), RuntimeError);
}

// Deterministic: the same frames in any order give the same values (the bins are counts).
TEST(SmoothHistogram, IndependentOfFrameOrder) {
  Normalizer ab = smooth_histogram(), ba = smooth_histogram();
  ab.set_smooth_top(3000);
  ba.set_smooth_top(3000);
  const SmoothFrame a = smooth_frame(0.3, 700.0, 777, 1000, 3), b = smooth_frame(5.0, 2999.0, 1234, 3000, 9);
  ab.add_smooth(a.counts, a.smooth, 1000);
  ab.add_smooth(b.counts, b.smooth, 3000);
  ba.add_smooth(b.counts, b.smooth, 3000);
  ba.add_smooth(a.counts, a.smooth, 1000);
  ab.finalize();
  ba.finalize();
  for (double s = 0; s < 3000; s += 7.77) EXPECT_EQ(ab.value_smooth(s, 1000, 0), ba.value_smooth(s, 3000, 1)) << s;
}

// Colour cycling is by depth: the phase of cycle and smooth-cycle follows the absolute count or
// smooth value and the frame, never the frame's max_iter (a zoom with max-iter-growth changes
// max_iter every frame and must not jump).
TEST(SmoothHistogram, CyclePhaseIndependentOfMaxIter) {
  for (Norm nm : {Norm::Cycle, Norm::SmoothCycle}) {
    NormSettings s;
    s.norm = nm;
    s.cycle_period = 37;
    s.cycle_speed = 1.5;
    const Normalizer n(s);
    for (std::uint32_t c : {0u, 13u, 99u, 1234u}) {
      EXPECT_EQ(n.value(c, 100, 4), n.value(c, 100000, 4)) << norm_name(nm) << " " << c;
      EXPECT_EQ(n.value_smooth(c + 0.25, 2000, 4), n.value_smooth(c + 0.25, 3000000, 4)) << norm_name(nm) << " " << c;
    }
  }
  // The table fast path agrees: one count, two budgets, the same colour.
  NormSettings s;
  s.norm = Norm::Cycle;
  s.cycle_period = 37;
  const Normalizer n(s);
  const Colormap cm = Colormap::named("twilight");
  const std::vector<std::uint32_t> counts = {50};
  Image8 a, b;
  colour_frame8(counts, 1, 1, colour_table8(100, 0, n, cm, {0, 0, 0}), {}, {}, a);
  colour_frame8(counts, 1, 1, colour_table8(400, 0, n, cm, {0, 0, 0}), {}, {}, b);
  EXPECT_EQ(a.rgb, b.rgb);
}

// ---- exponential-map composition (compose.hpp) ------------------------------------------------

namespace {

// A scale-invariant pattern (a logarithmic spiral: the same detail at every zoom), in [0, 1]: the
// colour of the point (x, y) of the plane, the zoom centre at the origin.
double spiral(double x, double y) {
  const double r = std::hypot(x, y);
  if (r == 0) return 0.5;
  return 0.5 + 0.5 * std::sin(3.0 * std::log(r) + 2.0 * std::atan2(y, x));
}

// Keyframe k of a synthetic zoom sequence: w x h samples over width w0 / R^k (square samples).
ImageF spiral_keyframe(std::uint32_t w, std::uint32_t h, double w0, double ratio, int k) {
  ImageF img{w, h, std::vector<float>(std::size_t{w} * h * 3)};
  const double width = w0 * std::pow(ratio, -k), dx = width / w;
  for (std::uint32_t i = 0; i < h; ++i)
    for (std::uint32_t j = 0; j < w; ++j) {
      const double v = spiral((j + 0.5 - w / 2.0) * dx, (h / 2.0 - i - 0.5) * dx);
      for (int c = 0; c < 3; ++c) img.rgb[(std::size_t{i} * w + j) * 3 + c] = static_cast<float>(c == 0 ? v : 1 - v);
    }
  return img;
}

// The pattern over a video frame of width w0 / R^z: each pixel the mean of 8 x 8 point samples.
ImageF spiral_direct(std::uint32_t w, std::uint32_t h, double w0, double ratio, double z) {
  ImageF img{w, h, std::vector<float>(std::size_t{w} * h * 3)};
  const double dx = w0 * std::pow(ratio, -z) / w;
  for (std::uint32_t i = 0; i < h; ++i)
    for (std::uint32_t j = 0; j < w; ++j) {
      double s = 0;
      for (int a = 0; a < 8; ++a)
        for (int b = 0; b < 8; ++b) s += spiral((j + (b + 0.5) / 8 - w / 2.0) * dx, (h / 2.0 - i - (a + 0.5) / 8) * dx);
      s /= 64;
      for (int c = 0; c < 3; ++c) img.rgb[(std::size_t{i} * w + j) * 3 + c] = static_cast<float>(c == 0 ? s : 1 - s);
    }
  return img;
}

double max_abs_diff(const ImageF& a, const ImageF& b, double skip_radius = 0) {
  double m = 0;
  for (std::uint32_t i = 0; i < a.height; ++i)
    for (std::uint32_t j = 0; j < a.width; ++j) {
      if (std::hypot(j + 0.5 - a.width / 2.0, i + 0.5 - a.height / 2.0) < skip_radius) continue;
      for (int c = 0; c < 3; ++c) {
        const std::size_t p = (std::size_t{i} * a.width + j) * 3 + c;
        m = std::max(m, std::fabs(double{a.rgb[p]} - b.rgb[p]));
      }
    }
  return m;
}

}  // namespace

TEST(Compose, PositionCoversTheSequence) {
  EXPECT_EQ(compose_position(0, 9, 5, 4).coarse, 0u);
  EXPECT_EQ(compose_position(0, 9, 5, 4).a, 0.0);
  EXPECT_EQ(compose_position(2, 9, 5, 4).coarse, 1u);  // z = 4 * 2 / 8 = 1
  EXPECT_EQ(compose_position(2, 9, 5, 4).a, 0.0);
  EXPECT_EQ(compose_position(3, 9, 5, 4).coarse, 1u);
  EXPECT_DOUBLE_EQ(compose_position(3, 9, 5, 4).a, 0.5);
  EXPECT_EQ(compose_position(8, 9, 5, 4).coarse, 3u);  // the last frame: keyframe 4 alone (a = 1)
  EXPECT_EQ(compose_position(8, 9, 5, 4).a, 1.0);
  // A zoom ending 3.5 steps in: the last frame half way from keyframe 3 to 4.
  EXPECT_EQ(compose_position(8, 9, 5, 3.5).coarse, 3u);
  EXPECT_DOUBLE_EQ(compose_position(8, 9, 5, 3.5).a, 0.5);
}

// The composed frames of a synthetic zoom match the pattern rendered directly at every position
// (no seam where the fine keyframe ends), and a keyframe hands over to the next without a jump.
TEST(Compose, SyntheticZoomMatchesDirectAndHandsOverSmoothly) {
  const std::uint32_t W = 96, H = 54, S = 2;  // video size, oversize
  const double w0 = 4.0, R = 2.0;
  std::vector<ImageF> keys;
  for (int k = 0; k < 4; ++k) keys.push_back(spiral_keyframe(W * S, H * S, w0, R, k));
  double worst = 0;
  for (double z : {0.0, 0.25, 0.5, 0.75, 0.999, 1.0, 1.3, 1.6, 2.2, 2.9, 3.0}) {
    std::uint64_t k = static_cast<std::uint64_t>(std::floor(z));
    if (k > 2) k = 2;
    const double a = z - static_cast<double>(k);
    const ImageF c = compose_frame(keys[k], keys[k + 1], a, R, W, H);
    // The spiral's centre has detail at every scale: no finite grid resolves its inner pixels.
    const double e = max_abs_diff(c, spiral_direct(W, H, w0, R, z), 6.0);
    worst = std::max(worst, e);
    EXPECT_LT(e, 0.08) << "z = " << z;
  }
  std::printf("compose: worst |composed - direct| %.4f\n", worst);
  // Across the handover at z = 1 and z = 2: the frames just before and just after agree.
  for (int k : {1, 2}) {
    const ImageF before = compose_frame(keys[k - 1], keys[k], 1.0 - 1e-7, R, W, H);
    const ImageF after = compose_frame(keys[k], keys[k + 1], 1e-7, R, W, H);
    EXPECT_LT(max_abs_diff(before, after), 1e-4) << "handover to keyframe " << k;
  }
  // And the fine keyframe's edge leaves no seam: at a = 0.5 the change between neighbouring pixels
  // across its edge is no larger than the pattern's own change there (direct rendering).
  const double a = 0.5, sf = std::pow(R, 1 - a);
  const ImageF c = compose_frame(keys[1], keys[2], a, R, W, H), d = spiral_direct(W, H, w0, R, 1 + a);
  const std::uint32_t edge = static_cast<std::uint32_t>(std::lround(W * (0.5 + 0.5 / sf)));  // the fine edge's column
  double step_c = 0, step_d = 0;
  for (std::uint32_t i = H / 2 - 5; i < H / 2 + 5; ++i) {
    const std::size_t p = (std::size_t{i} * W + edge) * 3, q = p - 3;
    step_c = std::max(step_c, double{std::fabs(c.rgb[p] - c.rgb[q])});
    step_d = std::max(step_d, double{std::fabs(d.rgb[p] - d.rgb[q])});
  }
  EXPECT_LT(step_c, step_d + 0.03) << "seam at column " << edge;
}
