// Config tests: defaults, views, config files, workload-1 aliases, strict value checking of every
// numeric option (table-driven: one test per option, bad value and spelling), consistency rules,
// --help, and resolved_text() round trips.
#include <gtest/gtest.h>

#include "test_support.hpp"

#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

#include "fractal/config/config.hpp"
#include "fractal/error.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/deep/deep_job.hpp"
#include "fractal/deep/key_path.hpp"
#include "fractal/config/keyframes.hpp"

namespace fractal {
namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;

ParseResult parse(const Args& args) {
  std::vector<const char*> argv{"fractal-render"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_config(static_cast<int>(argv.size()), argv.data());
}

// Parses and returns the UsageError's message; records a failure if nothing (or something else)
// was thrown.
std::string usage_error(const Args& args) {
  try {
    parse(args);
  } catch (const UsageError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected fractal::UsageError, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected fractal::UsageError, parse succeeded";
  return {};
}

std::string join(const Args& args) {
  std::string s;
  for (const auto& a : args) s += "[" + a + "] ";
  return s;
}

using fractal::test::ScopedDir;
ScopedDir test_dir() { return fractal::test::test_dir("fractal_config"); }

std::string write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path.string();
}

bool bit_equal(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Every field of the job (what resolved_text() promises to reproduce), doubles bit for bit.
void expect_same_job(const Config& a, const Config& b) {
  EXPECT_EQ(a.fractal, b.fractal);
  EXPECT_TRUE(bit_equal(a.c_re, b.c_re)) << a.c_re << " vs " << b.c_re;
  EXPECT_TRUE(bit_equal(a.c_im, b.c_im)) << a.c_im << " vs " << b.c_im;
  EXPECT_TRUE(bit_equal(a.z0_re, b.z0_re)) << a.z0_re << " vs " << b.z0_re;
  EXPECT_TRUE(bit_equal(a.z0_im, b.z0_im)) << a.z0_im << " vs " << b.z0_im;
  EXPECT_EQ(a.max_iter, b.max_iter);
  EXPECT_TRUE(bit_equal(a.escape_radius, b.escape_radius));
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_TRUE(bit_equal(a.view.xmin, b.view.xmin)) << a.view.xmin << " vs " << b.view.xmin;
  EXPECT_TRUE(bit_equal(a.view.xmax, b.view.xmax)) << a.view.xmax << " vs " << b.view.xmax;
  EXPECT_TRUE(bit_equal(a.view.ymin, b.view.ymin)) << a.view.ymin << " vs " << b.view.ymin;
  EXPECT_TRUE(bit_equal(a.view.ymax, b.view.ymax)) << a.view.ymax << " vs " << b.view.ymax;
  EXPECT_EQ(a.frames, b.frames);
  EXPECT_TRUE(bit_equal(a.fps, b.fps)) << a.fps << " vs " << b.fps;
  EXPECT_TRUE(bit_equal(a.c_im_increment, b.c_im_increment));
  ASSERT_EQ(a.end_view.has_value(), b.end_view.has_value());
  if (a.end_view) {
    EXPECT_TRUE(bit_equal(a.end_view->xmin, b.end_view->xmin))
        << std::hexfloat << a.end_view->xmin << " vs " << b.end_view->xmin;
    EXPECT_TRUE(bit_equal(a.end_view->xmax, b.end_view->xmax))
        << std::hexfloat << a.end_view->xmax << " vs " << b.end_view->xmax;
    EXPECT_TRUE(bit_equal(a.end_view->ymin, b.end_view->ymin))
        << std::hexfloat << a.end_view->ymin << " vs " << b.end_view->ymin;
    EXPECT_TRUE(bit_equal(a.end_view->ymax, b.end_view->ymax))
        << std::hexfloat << a.end_view->ymax << " vs " << b.end_view->ymax;
  }
  EXPECT_EQ(a.strip_rows, b.strip_rows);
  EXPECT_EQ(a.compression_level, b.compression_level);
  EXPECT_EQ(a.kernel, b.kernel);
  EXPECT_TRUE(bit_equal(a.progress_interval, b.progress_interval));
  EXPECT_EQ(a.count_bytes(), b.count_bytes());
}

// ---------------------------------------------------------------------------------------------
// Defaults and views

TEST(ConfigDefaults, JuliaDefaultsResolve) {
  const ParseResult r = parse({"-o", "x.h5"});
  EXPECT_FALSE(r.help);
  const Config& c = r.config;
  EXPECT_EQ(c.fractal, Fractal::Julia);
  EXPECT_EQ(c.view.xmin, -1.8);
  EXPECT_EQ(c.view.xmax, 1.8);
  EXPECT_EQ(c.view.ymin, -1.8);
  EXPECT_EQ(c.view.ymax, 1.8);
  EXPECT_EQ(c.width, 1024u);
  EXPECT_EQ(c.height, 1024u);  // square view -> square image
  EXPECT_EQ(c.c_re, -0.62772);
  EXPECT_EQ(c.c_im, -0.42193);
  EXPECT_EQ(c.max_iter, 256u);
  EXPECT_EQ(c.escape_radius, 2.0);
  EXPECT_EQ(c.frames, 1u);
  EXPECT_EQ(c.fps, 30.0);
  EXPECT_EQ(c.c_im_increment, 0.0);
  EXPECT_FALSE(c.end_view.has_value());
  EXPECT_EQ(c.strip_rows, 0u);
  EXPECT_EQ(c.compression_level, 1);
  EXPECT_EQ(c.kernel, "auto");
  EXPECT_EQ(c.output, "x.h5");
  EXPECT_FALSE(c.print_config);
  EXPECT_TRUE(c.config_file.empty());
  EXPECT_EQ(c.count_bytes(), 2u);
}

TEST(ConfigDefaults, MandelbrotDefaultView) {
  const Config c = parse({"--fractal", "mandelbrot", "-o", "x.h5"}).config;
  EXPECT_EQ(c.fractal, Fractal::Mandelbrot);
  EXPECT_EQ(c.view.xmin, -2.0);
  EXPECT_EQ(c.view.xmax, 0.5);
  EXPECT_EQ(c.view.ymin, -1.25);
  EXPECT_EQ(c.view.ymax, 1.25);
  EXPECT_EQ(c.width, 1024u);
  EXPECT_EQ(c.height, 1024u);  // 2.5 x 2.5 view
  EXPECT_EQ(c.z0_re, 0.0);
  EXPECT_EQ(c.z0_im, 0.0);
}

TEST(ConfigDefaults, MandelbrotZ0) {
  const Config c =
      parse({"--fractal=mandelbrot", "--z0-re", "0.25", "--z0-im=-0.5", "-o", "x.h5"}).config;
  EXPECT_EQ(c.z0_re, 0.25);
  EXPECT_EQ(c.z0_im, -0.5);
}

TEST(ConfigView, CentreAndWidthGiveBounds) {
  const Config c = parse({"--center-re", "0.25", "--center-im", "-0.5", "--view-width", "2",
                          "--width", "400", "--height", "300", "-o", "x.h5"})
                       .config;
  EXPECT_DOUBLE_EQ(c.view.xmin, 0.25 - 1.0);
  EXPECT_DOUBLE_EQ(c.view.xmax, 0.25 + 1.0);
  // Height of the view from the pixel aspect: 2 * 300 / 400 = 1.5.
  EXPECT_DOUBLE_EQ(c.view.ymin, -0.5 - 0.75);
  EXPECT_DOUBLE_EQ(c.view.ymax, -0.5 + 0.75);
  EXPECT_EQ(c.width, 400u);
  EXPECT_EQ(c.height, 300u);
}

TEST(ConfigView, CentreWithOnlyWidthIsSquare) {
  const Config c = parse({"--center-re=-0.7", "--center-im=0.3", "--view-width=0.5",
                          "--width=200", "-o", "x.h5"})
                       .config;
  EXPECT_EQ(c.width, 200u);
  EXPECT_EQ(c.height, 200u);
  EXPECT_DOUBLE_EQ(c.view.xmin, -0.7 - 0.25);
  EXPECT_DOUBLE_EQ(c.view.xmax, -0.7 + 0.25);
  EXPECT_DOUBLE_EQ(c.view.ymin, 0.3 - 0.25);
  EXPECT_DOUBLE_EQ(c.view.ymax, 0.3 + 0.25);
}

TEST(ConfigView, BoundsWithOnlyWidthDeriveHeightFromViewAspect) {
  const Config c = parse({"--xmin", "-2", "--xmax", "2", "--ymin", "-1", "--ymax", "1",
                          "--width", "800", "-o", "x.h5"})
                       .config;
  EXPECT_EQ(c.view.xmin, -2.0);
  EXPECT_EQ(c.view.xmax, 2.0);
  EXPECT_EQ(c.view.ymin, -1.0);
  EXPECT_EQ(c.view.ymax, 1.0);
  EXPECT_EQ(c.width, 800u);
  EXPECT_EQ(c.height, 400u);

  // Rounded to the nearest pixel: 3 x 1 view, width 100 -> 33.33 -> 33.
  const Config d = parse({"--xmin", "0", "--xmax", "3", "--ymin", "0", "--ymax", "1", "--width",
                          "100", "-o", "x.h5"})
                       .config;
  EXPECT_EQ(d.height, 33u);
}

TEST(ConfigView, BoundsWithOnlyHeightDeriveWidth) {
  const Config c = parse({"--xmin", "-2", "--xmax", "2", "--ymin", "-1", "--ymax", "1",
                          "--height", "300", "-o", "x.h5"})
                       .config;
  EXPECT_EQ(c.height, 300u);
  EXPECT_EQ(c.width, 600u);
}

// ---------------------------------------------------------------------------------------------
// Config files

TEST(ConfigFile, IsRead) {
  const ScopedDir dir = test_dir();
  const std::string cfg = write_file(dir / "job.cfg",
                                     "# a comment\n"
                                     "fractal = mandelbrot\n"
                                     "width = 640\n"
                                     "max-iter = 1000\n"
                                     "frames = 4\n");
  const Config c = parse({cfg, "-o", "x.h5"}).config;
  EXPECT_EQ(c.fractal, Fractal::Mandelbrot);
  EXPECT_EQ(c.width, 640u);
  EXPECT_EQ(c.height, 640u);
  EXPECT_EQ(c.max_iter, 1000u);
  EXPECT_EQ(c.frames, 4u);
  EXPECT_EQ(c.config_file, cfg);
}

TEST(ConfigFile, CommandLineWins) {
  const ScopedDir dir = test_dir();
  const std::string cfg =
      write_file(dir / "job.cfg", "width = 640\nmax-iter = 1000\nfps = 12\n");
  const Config c = parse({cfg, "--width", "320", "--fps=50", "-o", "x.h5"}).config;
  EXPECT_EQ(c.width, 320u);
  EXPECT_EQ(c.max_iter, 1000u);  // not on the command line: from the file
  EXPECT_EQ(c.fps, 50.0);
  // The command line also wins when it spells the option as an alias, or the file does.
  const std::string cfg2 = write_file(dir / "alias.cfg", "max-iterations = 1000\n");
  EXPECT_EQ(parse({cfg2, "--max-iter", "77", "-o", "x.h5"}).config.max_iter, 77u);
  EXPECT_EQ(parse({cfg, "--max-iterations", "78", "-o", "x.h5"}).config.max_iter, 78u);
}

TEST(ConfigFile, UnknownOptionInFileIsRefused) {
  const ScopedDir dir = test_dir();
  const std::string cfg = write_file(dir / "bad.cfg", "width = 64\nbogus-option = 1\n");
  const std::string msg = usage_error({cfg, "-o", "x.h5"});
  EXPECT_NE(msg.find("bogus-option"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(ConfigFile, BadValueInFileNamesOptionValueAndFile) {
  const ScopedDir dir = test_dir();
  const std::string cfg = write_file(dir / "bad.cfg", "width = 10px\n");
  const std::string msg = usage_error({cfg, "-o", "x.h5"});
  EXPECT_NE(msg.find("--width"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'10px'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.cfg"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  // ... and a good value on the command line overrides the bad one in the file.
  EXPECT_EQ(parse({cfg, "--width", "64", "-o", "x.h5"}).config.width, 64u);
}

TEST(ConfigFile, MissingFileIsRefused) {
  const ScopedDir dir = test_dir();
  const std::string msg = usage_error({(dir / "nope.cfg").string(), "-o", "x.h5"});
  EXPECT_NE(msg.find("nope.cfg"), std::string::npos) << msg;
}

TEST(ConfigCommandLine, UnknownOptionIsRefused) {
  const std::string msg = usage_error({"--bogus-option", "1", "-o", "x.h5"});
  EXPECT_NE(msg.find("bogus-option"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  usage_error({"--bogus-flag", "-o", "x.h5"});
}

TEST(ConfigCommandLine, ExtraPositionalIsRefused) {
  const ScopedDir dir = test_dir();
  const std::string cfg = write_file(dir / "a.cfg", "width = 64\n");
  usage_error({cfg, cfg, "-o", "x.h5"});
}

// ---------------------------------------------------------------------------------------------
// Workload-1 aliases

TEST(ConfigAliases, NumStepsSetsWidthAndHeight) {
  const Config c = parse({"--num-steps", "300", "-o", "x.h5"}).config;
  EXPECT_EQ(c.width, 300u);
  EXPECT_EQ(c.height, 300u);
  // Also with a non-square view: both sizes are exactly N.
  const Config d = parse({"--num-steps=50", "--xmin", "0", "--xmax", "4", "--ymin", "0", "--ymax",
                          "1", "-o", "x.h5"})
                       .config;
  EXPECT_EQ(d.width, 50u);
  EXPECT_EQ(d.height, 50u);
}

TEST(ConfigAliases, NumStepsWithWidthOrHeightIsRefused) {
  usage_error({"--num-steps", "300", "--width", "300", "-o", "x.h5"});
  usage_error({"--num-steps", "300", "--height", "300", "-o", "x.h5"});
}

TEST(ConfigAliases, MapToCanonicalOptions) {
  const Config c = parse({"--max-iterations", "500", "--num-frames", "12", "--framerate", "24",
                          "--c-imag-initial", "0.1", "--c-imag-increment", "0.05", "-o", "x.h5"})
                       .config;
  EXPECT_EQ(c.max_iter, 500u);
  EXPECT_EQ(c.frames, 12u);
  EXPECT_EQ(c.fps, 24.0);
  EXPECT_EQ(c.c_im, 0.1);
  EXPECT_EQ(c.c_im_increment, 0.05);
}

TEST(ConfigAliases, AliasesInConfigFile) {
  const ScopedDir dir = test_dir();
  const std::string cfg = write_file(dir / "w1.cfg",
                                     "max-iterations = 500\nnum-frames = 12\nframerate = 24\n"
                                     "c-imag-initial = 0.1\nc-imag-increment = 0.05\n"
                                     "num-steps = 100\n");
  const Config c = parse({cfg, "-o", "x.h5"}).config;
  EXPECT_EQ(c.max_iter, 500u);
  EXPECT_EQ(c.frames, 12u);
  EXPECT_EQ(c.fps, 24.0);
  EXPECT_EQ(c.c_im, 0.1);
  EXPECT_EQ(c.c_im_increment, 0.05);
  EXPECT_EQ(c.width, 100u);
  EXPECT_EQ(c.height, 100u);
}

TEST(ConfigAliases, AliasWithCanonicalNameIsRefused) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"max-iterations", "max-iter"}, {"num-frames", "frames"},
      {"framerate", "fps"},           {"c-imag-initial", "c-im"},
      {"c-imag-increment", "c-im-increment"}};
  const ScopedDir dir = test_dir();
  for (const auto& [alias, canon] : pairs) {
    SCOPED_TRACE("--" + alias + " with --" + canon);
    // Same value or not, giving both is ambiguous.
    std::string msg = usage_error({"--" + alias, "10", "--" + canon, "10", "-o", "x.h5"});
    EXPECT_NE(msg.find("--" + alias), std::string::npos) << msg;
    EXPECT_NE(msg.find("--" + canon), std::string::npos) << msg;
    usage_error({"--" + canon, "10", "--" + alias, "20", "-o", "x.h5"});
    // Both in the same config file.
    const std::string cfg =
        write_file(dir / (alias + ".cfg"), alias + " = 10\n" + canon + " = 10\n");
    msg = usage_error({cfg, "-o", "x.h5"});
    EXPECT_NE(msg.find("--" + alias), std::string::npos) << msg;
  }
}

TEST(ConfigAliases, DurationTimesFpsGivesFrames) {
  EXPECT_EQ(parse({"--duration", "2.5", "--fps", "24", "-o", "x.h5"}).config.frames, 60u);
  // round(), not truncation: 1.03 s x 30 fps = 30.9 -> 31.
  EXPECT_EQ(parse({"--duration", "1.03", "--fps", "30", "-o", "x.h5"}).config.frames, 31u);
  // Default fps is 30.
  EXPECT_EQ(parse({"--duration", "2", "-o", "x.h5"}).config.frames, 60u);
  // --duration overrides --frames, whichever comes first.
  EXPECT_EQ(parse({"--frames", "5", "--duration", "2", "--fps", "10", "-o", "x.h5"}).config.frames,
            20u);
  EXPECT_EQ(parse({"--duration", "2", "--fps", "10", "--frames", "5", "-o", "x.h5"}).config.frames,
            20u);
  // With the alias for fps.
  EXPECT_EQ(parse({"--duration", "3", "--framerate", "60", "-o", "x.h5"}).config.frames, 180u);
  // A duration that rounds to zero frames is refused.
  const std::string msg = usage_error({"--duration", "0.001", "--fps", "30", "-o", "x.h5"});
  EXPECT_NE(msg.find("--duration"), std::string::npos) << msg;
}

// ---------------------------------------------------------------------------------------------
// Bad values, table driven: every numeric option x every bad value x both spellings.

struct OptionSpec {
  std::string name;
  Args context;           // other options needed so that this one is what fails
  std::string good;       // a valid value (control: the context itself is fine)
  bool forbids_zero;
  bool forbids_negative;
};

const Args kBounds4 = {"--xmin", "-1", "--xmax", "1", "--ymin", "-1", "--ymax", "1"};

Args bounds_without(const std::string& name) {
  Args out;
  for (std::size_t i = 0; i < kBounds4.size(); i += 2)
    if (kBounds4[i] != "--" + name) out.insert(out.end(), {kBounds4[i], kBounds4[i + 1]});
  return out;
}

Args centre_without(const std::string& name) {
  const Args all = {"--center-re", "0", "--center-im", "0", "--view-width", "2"};
  Args out;
  for (std::size_t i = 0; i < all.size(); i += 2)
    if (all[i] != "--" + name) out.insert(out.end(), {all[i], all[i + 1]});
  return out;
}

Args end_without(const std::string& name) {
  const Args all = {"--end-center-re", "0.1", "--end-center-im", "0.1", "--end-view-width", "1"};
  Args out{"--frames", "10"};
  for (std::size_t i = 0; i < all.size(); i += 2)
    if (all[i] != "--" + name) out.insert(out.end(), {all[i], all[i + 1]});
  return out;
}

const std::vector<OptionSpec>& option_specs() {
  static const std::vector<OptionSpec> specs = {
      {"c-re", {}, "0.1", false, false},
      {"c-im", {}, "0.1", false, false},
      {"z0-re", {"--fractal", "mandelbrot"}, "0.1", false, false},
      {"z0-im", {"--fractal", "mandelbrot"}, "0.1", false, false},
      {"max-iter", {}, "100", true, true},
      {"escape-radius", {}, "4", true, true},
      {"xmin", bounds_without("xmin"), "-2", false, false},
      {"xmax", bounds_without("xmax"), "2", false, false},
      {"ymin", bounds_without("ymin"), "-2", false, false},
      {"ymax", bounds_without("ymax"), "2", false, false},
      {"center-re", centre_without("center-re"), "0.5", false, false},
      {"center-im", centre_without("center-im"), "0.5", false, false},
      {"view-width", centre_without("view-width"), "3", true, true},
      {"width", {}, "64", true, true},
      {"height", {}, "64", true, true},
      {"num-steps", {}, "64", true, true},
      {"frames", {}, "3", true, true},
      {"duration", {}, "1", true, true},
      {"fps", {}, "24", true, true},
      {"c-im-increment", {"--frames", "10"}, "0.1", false, false},
      {"end-center-re", end_without("end-center-re"), "0.2", false, false},
      {"end-center-im", end_without("end-center-im"), "0.2", false, false},
      {"end-view-width", end_without("end-view-width"), "0.5", true, true},
      {"strip-rows", {}, "8", true, true},
      {"compression-level", {}, "5", false, true},
      {"progress-interval", {}, "2", true, true},
  };
  return specs;
}

struct BadValueCase {
  std::string option;
  Args context;
  std::string value;
  bool equals_form;  // "--opt=value" rather than "--opt" "value"
};

// Readable parameter in gtest's failure lists.
void PrintTo(const BadValueCase& c, std::ostream* os) {
  *os << (c.equals_form ? "--" + c.option + "=" + c.value
                        : "--" + c.option + " '" + c.value + "'");
}

std::vector<BadValueCase> bad_value_cases() {
  const std::vector<std::string> always = {"nan", "inf", "-inf", "1e309",
                                           "18446744073709551616", "10px", ""};
  std::vector<BadValueCase> cases;
  for (const auto& spec : option_specs()) {
    std::vector<std::string> values = always;
    // An escape radius of 2^64 is legitimate (the limit is where R*R would overflow; see
    // ConfigValues.RangeLimits), so that one value is not a bad value for this option.
    if (spec.name == "escape-radius") std::erase(values, "18446744073709551616");
    if (spec.forbids_negative) values.push_back("-1");
    if (spec.forbids_zero) values.push_back("0");
    for (const auto& v : values)
      for (bool eq : {false, true}) cases.push_back({spec.name, spec.context, v, eq});
  }
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<BadValueCase>& info) {
  const BadValueCase& c = info.param;
  std::string v = c.value;
  if (v.empty()) v = "empty";
  else if (v == "-inf") v = "minus_inf";
  else if (v == "-1") v = "minus_1";
  else if (v == "18446744073709551616") v = "two_pow_64";
  std::string name = c.option + "_" + v + (c.equals_form ? "_eq" : "_sep");
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

class BadValue : public ::testing::TestWithParam<BadValueCase> {};

TEST_P(BadValue, IsRefusedNamingOptionAndValue) {
  const BadValueCase& c = GetParam();
  Args args = c.context;
  if (c.equals_form) {
    args.push_back("--" + c.option + "=" + c.value);
  } else {
    args.push_back("--" + c.option);
    args.push_back(c.value);
  }
  args.insert(args.end(), {"-o", "x.h5"});
  SCOPED_TRACE("argv: " + join(args));
  std::string msg;
  try {
    parse(args);
    FAIL() << "--" << c.option << " '" << c.value << "' was accepted";
  } catch (const UsageError& e) {
    msg = e.what();
  } catch (const std::exception& e) {
    FAIL() << "--" << c.option << " '" << c.value << "': expected UsageError, got " << e.what();
  }
  EXPECT_NE(msg.find("--" + c.option), std::string::npos)
      << "message does not name --" << c.option << ": " << msg;
  // The value, quoted as in DESIGN.md's example ("got '-5'"). For an empty value the option name
  // is what identifies the problem ("--width=" is a syntax error before any value check).
  if (!c.value.empty()) {
    EXPECT_NE(msg.find("'" + c.value + "'"), std::string::npos)
        << "message does not quote the value '" << c.value << "': " << msg;
  }
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
}

INSTANTIATE_TEST_SUITE_P(EveryNumericOption, BadValue, ::testing::ValuesIn(bad_value_cases()),
                         case_name);

// Control for the table: each option's context with a good value parses, so the failures above
// come from the value under test.
TEST(ConfigValues, GoodValueOfEveryOptionIsAccepted) {
  for (const auto& spec : option_specs()) {
    for (bool eq : {false, true}) {
      Args args = spec.context;
      if (eq) {
        args.push_back("--" + spec.name + "=" + spec.good);
      } else {
        args.push_back("--" + spec.name);
        args.push_back(spec.good);
      }
      args.insert(args.end(), {"-o", "x.h5"});
      try {
        parse(args);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "argv " << join(args) << " refused: " << e.what();
      }
    }
  }
}

TEST(ConfigValues, RangeLimits) {
  EXPECT_EQ(parse({"--width", "65536", "--height", "1", "-o", "x.h5"}).config.width, 65536u);
  usage_error({"--width", "65537", "-o", "x.h5"});
  EXPECT_EQ(parse({"--max-iter", "4294967295", "-o", "x.h5"}).config.max_iter, 4294967295u);
  EXPECT_EQ(parse({"--max-iter", "4294967295", "-o", "x.h5"}).config.count_bytes(), 4u);
  EXPECT_EQ(parse({"--max-iter", "65535", "-o", "x.h5"}).config.count_bytes(), 2u);
  EXPECT_EQ(parse({"--max-iter", "65536", "-o", "x.h5"}).config.count_bytes(), 4u);
  usage_error({"--max-iter", "4294967296", "-o", "x.h5"});
  EXPECT_EQ(parse({"--compression-level", "0", "-o", "x.h5"}).config.compression_level, 0);
  EXPECT_EQ(parse({"--compression-level", "9", "-o", "x.h5"}).config.compression_level, 9);
  usage_error({"--compression-level", "10", "-o", "x.h5"});
  usage_error({"--frames", "1000001", "-o", "x.h5"});
  usage_error({"--width", "1.5", "-o", "x.h5"});
  usage_error({"--width", " 64", "-o", "x.h5"});
  usage_error({"--c-re", "0.1 ", "-o", "x.h5"});
  usage_error({"--c-re", "0x1p-2", "-o", "x.h5"});
  // Escape radius: large radii are fine, but not one whose square overflows a double.
  EXPECT_EQ(parse({"--escape-radius", "1e100", "-o", "x.h5"}).config.escape_radius, 1e100);
  std::string msg = usage_error({"--escape-radius", "1e300", "-o", "x.h5"});
  EXPECT_NE(msg.find("--escape-radius"), std::string::npos) << msg;
  EXPECT_EQ(parse({"--c-re", "+0.5", "-o", "x.h5"}).config.c_re, 0.5);
  EXPECT_EQ(parse({"--c-re", "-1e-3", "-o", "x.h5"}).config.c_re, -1e-3);
}

// ---------------------------------------------------------------------------------------------
// Consistency rules

TEST(ConfigRules, EmptyBoundsAreRefused) {
  // xmin >= xmax
  std::string msg =
      usage_error({"--xmin", "1", "--xmax", "1", "--ymin", "-1", "--ymax", "1", "-o", "x.h5"});
  EXPECT_NE(msg.find("--xmin"), std::string::npos) << msg;
  usage_error({"--xmin", "2", "--xmax", "1", "--ymin", "-1", "--ymax", "1", "-o", "x.h5"});
  // ymin >= ymax
  msg = usage_error({"--xmin", "-1", "--xmax", "1", "--ymin", "1", "--ymax", "1", "-o", "x.h5"});
  EXPECT_NE(msg.find("--ymin"), std::string::npos) << msg;
  usage_error({"--xmin", "-1", "--xmax", "1", "--ymin", "0.5", "--ymax", "-0.5", "-o", "x.h5"});
}

TEST(ConfigRules, PartialBoundsOrCentreAreRefused) {
  std::string msg = usage_error({"--xmin", "-1", "--xmax", "1", "--ymin", "-1", "-o", "x.h5"});
  EXPECT_NE(msg.find("--ymax"), std::string::npos) << msg;
  msg = usage_error({"--center-re", "0", "--view-width", "1", "-o", "x.h5"});
  EXPECT_NE(msg.find("--center-im"), std::string::npos) << msg;
  msg = usage_error({"--end-center-re", "0", "--end-center-im", "0", "-o", "x.h5"});
  EXPECT_NE(msg.find("--end-view-width"), std::string::npos) << msg;
}

TEST(ConfigRules, MixingBoundsAndCentreIsRefused) {
  Args args = kBounds4;
  args.insert(args.end(), {"--center-re", "0", "--center-im", "0", "--view-width", "1", "-o",
                           "x.h5"});
  std::string msg = usage_error(args);
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  usage_error({"--xmin", "-1", "--center-re", "0", "-o", "x.h5"});
}

TEST(ConfigRules, JuliaOptionsWithMandelbrotAreRefused) {
  // {option given, name the message must contain (an alias may be reported by its canonical name)}
  const std::vector<std::pair<std::string, std::string>> julia_only = {
      {"--c-re", "--c-re"},
      {"--c-im", "--c-im"},
      {"--c-im-increment", "--c-im-increment"},
      {"--c-imag-initial", "--c-im"},
      {"--c-imag-increment", "--c-im"}};
  for (const auto& [opt, named] : julia_only) {
    SCOPED_TRACE(opt);
    const std::string msg = usage_error({"--fractal", "mandelbrot", opt, "0.1", "-o", "x.h5"});
    EXPECT_NE(msg.find(named), std::string::npos) << msg;
    EXPECT_NE(msg.find("mandelbrot"), std::string::npos) << msg;
  }
  for (const char* opt : {"--z0-re", "--z0-im"}) {
    SCOPED_TRACE(opt);
    const std::string msg = usage_error({opt, "0.1", "-o", "x.h5"});  // default julia
    EXPECT_NE(msg.find(opt), std::string::npos) << msg;
  }
  usage_error({"--fractal", "burningship", "-o", "x.h5"});
}

TEST(ConfigRules, OutputIsRequiredUnlessPrintConfig) {
  std::string msg = usage_error({});
  EXPECT_NE(msg.find("--output"), std::string::npos) << msg;
  usage_error({"--width", "64"});
  usage_error({"-o", ""});
  const ParseResult r = parse({"--print-config"});
  EXPECT_TRUE(r.config.print_config);
  EXPECT_TRUE(r.config.output.empty());
  EXPECT_FALSE(r.help);
  EXPECT_EQ(parse({"--output", "y.h5"}).config.output, "y.h5");
  EXPECT_EQ(parse({"--output=z.h5"}).config.output, "z.h5");
}

TEST(ConfigRules, Flags) {
  const Config c = parse({"--overwrite", "--skip-disk-check", "-o", "x.h5"}).config;
  EXPECT_TRUE(c.overwrite);
  EXPECT_TRUE(c.skip_disk_check);
  const Config d = parse({"--overwrite=false", "-o", "x.h5"}).config;
  EXPECT_FALSE(d.overwrite);
  EXPECT_FALSE(d.skip_disk_check);
  usage_error({"--overwrite=maybe", "-o", "x.h5"});
  EXPECT_EQ(parse({"--kernel", "scalar", "-o", "x.h5"}).config.kernel, "scalar");
  usage_error({"--kernel", "sse9", "-o", "x.h5"});
}

TEST(ConfigHelp, ListsEveryOptionAndDefaults) {
  const ParseResult r = parse({"--help"});
  ASSERT_TRUE(r.help);
  const std::string& t = r.help_text;
  const std::vector<std::string> names = {
      "help",          "print-config",   "output",         "overwrite",      "fractal",
      "c-re",          "c-im",           "z0-re",          "z0-im",          "max-iter",
      "escape-radius", "xmin",           "xmax",           "ymin",           "ymax",
      "center-re",     "center-im",      "view-width",     "width",          "height",
      "num-steps",     "frames",         "duration",       "fps",            "c-im-increment",
      "end-center-re", "end-center-im",  "end-view-width", "strip-rows",     "compression-level",
      "kernel",        "progress-interval", "skip-disk-check"};
  for (const auto& n : names) {
    // "--width" must appear as an option of its own, not only inside "--view-width".
    const std::string key = "--" + n;
    bool found = false;
    for (std::size_t p = t.find(key); p != std::string::npos; p = t.find(key, p + 1)) {
      const bool left_ok = p == 0 || (t[p - 1] != '-' && !std::isalnum(static_cast<unsigned char>(t[p - 1])));
      const std::size_t e = p + key.size();
      const bool right_ok = e == t.size() || (t[e] != '-' && !std::isalnum(static_cast<unsigned char>(t[e])));
      if (left_ok && right_ok) found = true;
    }
    EXPECT_TRUE(found) << "help text does not list " << key;
  }
  EXPECT_NE(t.find("default"), std::string::npos);
  // -h is the same.
  EXPECT_TRUE(parse({"-h"}).help);
  // --help wins over a missing -o and other options.
  EXPECT_TRUE(parse({"--width", "64", "--help"}).help);
}

// ---------------------------------------------------------------------------------------------
// resolved_text() round trip

void expect_round_trip(const Args& args, const fs::path& dir, const std::string& name) {
  SCOPED_TRACE("argv: " + join(args));
  Args full = args;
  full.insert(full.end(), {"-o", "x.h5"});
  const Config a = parse(full).config;
  const std::string text = a.resolved_text();
  SCOPED_TRACE("resolved_text:\n" + text);
  const std::string cfg = write_file(dir / (name + ".cfg"), text);
  const Config b = parse({cfg, "-o", "x.h5"}).config;
  expect_same_job(a, b);
  // And the text is a fixed point.
  EXPECT_EQ(b.resolved_text(), text);
}

TEST(ConfigResolvedText, DefaultsRoundTrip) {
  const ScopedDir dir = test_dir();
  expect_round_trip({}, dir, "julia");
  expect_round_trip({"--fractal", "mandelbrot"}, dir, "mandelbrot");
}

TEST(ConfigResolvedText, JuliaSweepRoundTrips) {
  const ScopedDir dir = test_dir();
  expect_round_trip({"--c-re", "0.123456789012345", "--c-im", "-0.3333333333333333",
                     "--c-im-increment", "0.0421", "--max-iter", "70000", "--escape-radius",
                     "3.7", "--center-re", "0.1", "--center-im", "-0.2", "--view-width",
                     "0.3", "--width", "333", "--height", "217", "--frames", "17", "--fps",
                     "23.976", "--strip-rows", "9", "--compression-level", "6", "--kernel",
                     "scalar"},
                    dir, "sweep");
}

TEST(ConfigResolvedText, MandelbrotRoundTrips) {
  const ScopedDir dir = test_dir();
  expect_round_trip({"--fractal", "mandelbrot", "--z0-re", "0.01", "--z0-im", "-0.07",
                     "--xmin", "-0.7436447860", "--xmax", "-0.7436447850", "--ymin",
                     "0.1318252530", "--ymax", "0.1318252540", "--width", "97"},
                    dir, "mandel");
}

// Pan/zoom: the end view is stored as centre + width and converted back to bounds.
TEST(ConfigResolvedText, PanZoomRoundTrips) {
  const ScopedDir dir = test_dir();
  expect_round_trip({"--fractal", "mandelbrot", "--frames", "40", "--end-center-re", "-0.75",
                     "--end-center-im", "0.125", "--end-view-width", "0.5", "--width", "64"},
                    dir, "panzoom_simple");
  expect_round_trip({"--fractal", "mandelbrot", "--frames", "40", "--end-center-re",
                     "-0.743643887037151", "--end-center-im", "0.131825904205330",
                     "--end-view-width", "0.0001", "--width", "64", "--height", "48"},
                    dir, "panzoom_deep");
  expect_round_trip({"--frames", "12", "--end-center-re", "0.1", "--end-center-im", "-0.7",
                     "--end-view-width", "0.3", "--num-steps", "100"},
                    dir, "panzoom_julia");
}


// ---------------------------------------------------------------------------------------------
// Keyframes (--key, --interp*, --max-iter-growth; docs/ANIMATION.md)

// Two plans equal field by field, doubles bit for bit.
void expect_same_plan(const Config& a, const Config& b) {
  const std::vector<FrameParams> pa = plan_frames(a), pb = plan_frames(b);
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t f = 0; f < pa.size(); ++f) {
    SCOPED_TRACE("frame " + std::to_string(f));
    for (auto m : {&FrameParams::xmin, &FrameParams::xmax, &FrameParams::ymin, &FrameParams::ymax, &FrameParams::c_re,
                   &FrameParams::c_im, &FrameParams::rotation, &FrameParams::rot_cos, &FrameParams::rot_sin})
      EXPECT_TRUE(bit_equal(pa[f].*m, pb[f].*m)) << std::hexfloat << pa[f].*m << " vs " << pb[f].*m;
    EXPECT_EQ(pa[f].max_iter, pb[f].max_iter);
    EXPECT_EQ(pa[f].width, pb[f].width);
    EXPECT_EQ(pa[f].height, pb[f].height);
  }
}

struct KeyRefusal {
  Args args;
  std::vector<std::string> named;  // every one must appear in the message
};

TEST(ConfigKeyframes, RefusalsNameKeyAndText) {
  const Args M = {"--fractal", "mandelbrot", "--width", "64", "--height", "48"};
  auto with = [](Args base, const Args& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
  };
  const std::vector<KeyRefusal> cases = {
      {{"--key", "frame=0 zom=2"}, {"--key", "'frame=0 zom=2'", "unknown field 'zom'"}},
      {{"--key", "frame=0 width"}, {"--key", "'frame=0 width'"}},
      {{"--key", "width=2"}, {"--key", "'width=2'", "frame"}},
      {{"--key", "frame=0 time=1 width=2"}, {"--key", "'frame=0 time=1 width=2'"}},
      {{"--key", "frame=3"}, {"--key", "'frame=3'"}},
      {{"--key", "frame=0 width=2 width=3"}, {"--key", "width"}},
      {{"--key", "frame=2 width=2", "--key", "frame=2 width=3"}, {"--key", "'frame=2 width=3'", "width"}},
      {{"--key", "frame=2 width=2", "--key", "time=0.0667 width=3"}, {"--key", "width", "frame 2"}},
      {{"--key", "frame=-1 width=2"}, {"--key", "'-1'"}},
      {{"--key", "frame=1.5 width=2"}, {"--key", "'1.5'"}},
      {{"--key", "frame=1000000 width=2"}, {"--key", "'1000000'"}},
      {{"--key", "time=nan width=2"}, {"--key", "'nan'"}},
      {{"--key", "time=1e6 width=2"}, {"--key", "time"}},
      {{"--key", "frame=0 width=nan"}, {"--key", "'nan'", "width"}},
      {{"--key", "frame=0 width=inf"}, {"--key", "'inf'"}},
      {{"--key", "frame=0 width=0"}, {"--key", "'0'", "width"}},
      {{"--key", "frame=0 width=-1"}, {"--key", "'-1'"}},
      {{"--key", "frame=0 width=1e7"}, {"--key", "'1e7'"}},
      {{"--key", "frame=0 center=2e6,0"}, {"--key", "'2e6'", "center"}},
      {{"--key", "frame=0 center=0"}, {"--key", "center"}},
      {{"--key", "frame=0 center=0,1,2"}, {"--key", "center"}},
      {{"--key", "frame=0 center=0,1e309"}, {"--key", "'1e309'"}},
      {{"--key", "frame=0 rotation=inf"}, {"--key", "rotation"}},
      {{"--key", "frame=0 rotation=2e6"}, {"--key", "rotation"}},
      {{"--key", "frame=0 c=0.1,nan"}, {"--key", "'nan'"}},
      {{"--key", "frame=0 c-polar=-1,0"}, {"--key", "'-1'"}},
      {{"--key", "frame=0 c=1,0 c-polar=1,0"}, {"--key", "c-polar"}},
      {{"--key", "frame=0 c=1,0", "--key", "frame=5 c-polar=1,90"}, {"--key", "'frame=5 c-polar=1,90'", "c="}},
      {{"--key", "frame=0 max-iter=0"}, {"--key", "'0'", "max-iter"}},
      {{"--key", "frame=0 max-iter=4294967296"}, {"--key", "'4294967296'"}},
      {{"--key", "frame=0 max-iter=1e3"}, {"--key", "'1e3'"}},
      {with(M, {"--key", "frame=0 c=0.1,0.2"}), {"--key", "'frame=0 c=0.1,0.2'", "mandelbrot"}},
      {with(M, {"--key", "frame=0 c-polar=0.1,20"}), {"--key", "mandelbrot"}},
      // With --precision double: too narrow for the sample grid, at this key's centre or at another
      // key's centre (auto or perturbation renders these paths by perturbation).
      {with(M, {"--precision", "double", "--key", "frame=0 center=-0.75,0.1 width=1e-20"}), {"--key", "width", "narrow", "perturbation"}},
      {with(M, {"--precision", "double", "--key", "frame=0 center=-0.75,0.1", "--key", "frame=9 width=1e-18"}), {"--key", "narrow"}},
      {with(M, {"--precision", "double", "--key", "frame=0 width=3e-17", "--key", "frame=9 center=0.5,0.5"}), {"--key", "narrow"}},
      {with(M, {"--precision", "double", "--key", "frame=0 width=1e-4", "--supersample", "16", "--key", "frame=1 width=1e-14",
                "--key", "frame=2 center=-1.5,0"}), {"--key", "narrow"}},
      {with(M, {"--key", "frame=0 width=1e-1000000"}), {"--key", "deepest"}},
      {with(M, {"--key", "frame=0 zoom=1 width=2"}), {"--key", "zoom=", "width="}},
      {with(M, {"--key", "frame=0 zoom=0"}), {"--key", "zoom", "'0'"}},
      {with(M, {"--key", "frame=0 zoom=1e-7"}), {"--key", "zoom", "2e6"}},
      {with(M, {"--key", "frame=0 location=missing.kfr"}), {"--key", "missing.kfr"}},
      {with(M, {"--key", "frame=0 location=missing.kfr center=0,0"}), {"--key", "location="}},
      {with(M, {"--key", "frame=0 width=0"}), {"--key", "width", "> 0"}},
      {with(M, {"--key", "frame=0 center=-0.75,0.1x width=1e-30"}), {"--key", "center"}},
      {{"--fractal", "julia", "--key", "frame=0 width=1e-30 c=0.1,0.2"}, {"--key", "Julia", "c=0.1,0.2"}},
      // Other options that cannot go with keys.
      {{"--key", "frame=3 width=1", "--c-im-increment", "0.1"}, {"--key", "--c-im-increment"}},
      {{"--key", "frame=3 width=1", "--end-center-re", "0", "--end-center-im", "0", "--end-view-width", "1",
        "--frames", "9"}, {"--key", "--end-center-re"}},
      {{"--key", "frame=3 width=1", "--frames", "3"}, {"--frames", "--key", "3"}},
      {{"--key", "time=2 width=1", "--duration", "1"}, {"--duration", "--key"}},
      {{"--key", "frame=3 max-iter=500", "--max-iter-growth", "10"}, {"--key", "--max-iter-growth", "'frame=3 max-iter=500'"}},
  };
  for (const KeyRefusal& c : cases) {
    Args args = c.args;
    args.insert(args.end(), {"-o", "x.h5"});
    SCOPED_TRACE("argv: " + join(args));
    const std::string msg = usage_error(args);
    for (const auto& n : c.named) EXPECT_NE(msg.find(n), std::string::npos) << "message does not name " << n << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // Controls: the same contexts with good keys parse.
  for (const Args& good : std::vector<Args>{
           {"--key", "frame=0 width=2", "--key", "frame=2 width=3"},
           {"--key", "frame=0 width=2", "--key", "frame=2 rotation=3"},
           {"--key", "time=1e-3 width=2 center=0,1e5 rotation=-1e6 c=0.1,0.2 max-iter=4294967295"},
           {"--key", "frame=999999 c-polar=0,0"},
           {"--key", "frame=0 c=1,0", "--key", "frame=5 c=1,90"},
           with(M, {"--key", "frame=0 center=-0.75,0.1 width=1e-12"}),
           with(M, {"--key", "frame=0 rotation=20 max-iter=7"}),
           {"--key", "frame=3 width=1", "--frames", "4"},
           {"--key", "frame=3 width=1", "--max-iter-growth", "10"}}) {
    Args args = good;
    args.insert(args.end(), {"-o", "x.h5"});
    try {
      parse(args);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "argv " << join(args) << " refused: " << e.what();
    }
  }
}

TEST(ConfigKeyframes, InterpAndGrowthOptions) {
  const Args key = {"--key", "frame=0 width=2", "--key", "frame=4 width=1", "-o", "x.h5"};
  auto with = [&](Args more) {
    more.insert(more.end(), key.begin(), key.end());
    return more;
  };
  const Config d = parse(with({})).config;
  EXPECT_EQ(d.path.center, Interp::Zoom);
  EXPECT_EQ(d.path.width, Interp::Cubic);
  EXPECT_EQ(d.path.rotation, Interp::Cubic);
  EXPECT_EQ(d.path.c, Interp::Cubic);
  EXPECT_EQ(d.path.max_iter, Interp::Cubic);
  EXPECT_FALSE(d.path.max_iter_growth);
  const Config e = parse(with({"--interp", "ease", "--interp-rotation", "linear"})).config;
  EXPECT_EQ(e.path.center, Interp::Zoom);  // the centre keeps zoom unless --interp-center
  EXPECT_EQ(e.path.width, Interp::Ease);
  EXPECT_EQ(e.path.rotation, Interp::Linear);
  EXPECT_EQ(e.path.c, Interp::Ease);
  EXPECT_EQ(e.path.max_iter, Interp::Ease);
  EXPECT_EQ(parse(with({"--interp-center", "linear"})).config.path.center, Interp::Linear);
  EXPECT_EQ(*parse(with({"--max-iter-growth", "12.5"})).config.path.max_iter_growth, 12.5);
  for (const Args& bad : std::vector<Args>{{"--interp", "zoom"}, {"--interp", "spline"}, {"--interp-width", "zoom"},
                                           {"--interp-c", ""}, {"--interp-center", "Zoom"}}) {
    const std::string msg = usage_error(with(bad));
    EXPECT_NE(msg.find(bad[0]), std::string::npos) << msg;
    EXPECT_NE(msg.find("'" + bad[1] + "'"), std::string::npos) << msg;
  }
  for (const char* v : {"-1", "nan", "inf", "1e10", "x"}) {
    const std::string msg = usage_error(with({"--max-iter-growth", v}));
    EXPECT_NE(msg.find("--max-iter-growth"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string("'") + v + "'"), std::string::npos) << msg;
  }
  // Without keys these options have nothing to act on.
  for (const char* opt : {"--interp", "--interp-center", "--interp-width", "--interp-rotation", "--interp-c",
                          "--interp-max-iter", "--max-iter-growth"}) {
    const std::string msg = usage_error({opt, std::string(opt) == "--max-iter-growth" ? "5" : "linear", "-o", "x.h5"});
    EXPECT_NE(msg.find(opt), std::string::npos) << msg;
    EXPECT_NE(msg.find("--key"), std::string::npos) << msg;
  }
}

TEST(ConfigKeyframes, FramesFromKeysTimeAndFiles) {
  EXPECT_EQ(parse({"--key", "frame=24 width=1", "-o", "x.h5"}).config.frames, 25u);
  EXPECT_EQ(parse({"--key", "frame=24 width=1", "--frames", "40", "-o", "x.h5"}).config.frames, 40u);
  // time -> frame = round(time * fps), half away from zero.
  const Config t = parse({"--key", "time=0.5 width=1", "--key", "time=0 width=2", "--fps", "25", "-o", "x.h5"}).config;
  ASSERT_EQ(t.path.keys.size(), 2u);
  EXPECT_EQ(t.path.keys[0].frame, 0u);
  EXPECT_EQ(t.path.keys[1].frame, 13u);
  EXPECT_EQ(t.frames, 14u);
  // A config file's keys, out of order; keys on the command line replace them all.
  const ScopedDir dir = test_dir();
  const std::string cfg = write_file(dir.path / "keys.cfg",
                                     "fractal = mandelbrot\nwidth = 32\nkey = frame=9 width=0.5\n"
                                     "key = frame=0 width=3 center=-0.5,0\nkey = frame=4 rotation=45\n");
  const Config f = parse({cfg, "-o", "x.h5"}).config;
  EXPECT_EQ(f.frames, 10u);
  ASSERT_EQ(f.path.keys.size(), 3u);
  EXPECT_EQ(f.path.key_texts()[0], "frame=0 center=-0.5,0 width=3");
  EXPECT_EQ(f.path.key_texts()[1], "frame=4 rotation=45");
  EXPECT_EQ(f.path.key_texts()[2], "frame=9 width=0.5");
  const Config g = parse({cfg, "--key", "frame=2 width=1", "-o", "x.h5"}).config;
  EXPECT_EQ(g.frames, 3u);
  ASSERT_EQ(g.path.keys.size(), 1u);
  // Errors in a file's keys name the file.
  const std::string bad = write_file(dir.path / "bad.cfg", "key = frame=0 widht=2\n");
  const std::string msg = usage_error({bad, "-o", "x.h5"});
  EXPECT_NE(msg.find("--key 'frame=0 widht=2'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(bad), std::string::npos) << msg;
}

// --print-config of a keyframed job reads back to the same text and the same plan.
void expect_keyed_round_trip(const Args& args, const fs::path& dir, const std::string& name) {
  expect_round_trip(args, dir, name);
  Args full = args;
  full.insert(full.end(), {"-o", "x.h5"});
  const Config a = parse(full).config;
  const std::string cfg = write_file(dir / (name + "_plan.cfg"), a.resolved_text());
  const Config b = parse({cfg, "-o", "x.h5"}).config;
  EXPECT_EQ(a.path.key_texts(), b.path.key_texts());
  EXPECT_EQ(a.max_iter_peak, b.max_iter_peak);
  expect_same_plan(a, b);
}

TEST(ConfigKeyframes, ResolvedTextRoundTrips) {
  const ScopedDir dir = test_dir();
  expect_keyed_round_trip({"--fractal", "mandelbrot", "--width", "96", "--height", "54", "--max-iter", "300",
                           "--key", "frame=30 center=-0.743643887037151,0.131825904205330 width=1e-9",
                           "--key", "time=0 center=-0.75,0 width=3.5 rotation=0", "--key", "frame=12 rotation=90",
                           "--interp-width", "linear", "--interp-rotation", "ease", "--max-iter-growth", "333.3",
                           "--frames", "35"},
                          dir.path, "zoom");
  expect_keyed_round_trip({"--key", "frame=0 c-polar=0.7885,0", "--key", "frame=20 c-polar=0.7885,360 max-iter=900",
                           "--key", "frame=7 max-iter=100", "--interp", "linear", "--interp-max-iter", "cubic",
                           "--center-re", "0", "--center-im", "0", "--view-width", "3.2", "--width", "50"},
                          dir.path, "polar");
  // A preview's resolved text is the preview job itself.
  expect_keyed_round_trip({"--preview", "--preview-size", "48", "--width", "1280", "--height", "720", "--fractal",
                           "mandelbrot", "--max-iter", "1000", "--key", "frame=0 width=3 max-iter=2000", "--key",
                           "frame=8 width=0.001 center=-0.1,0.9 max-iter=400", "--interp", "ease"},
                          dir.path, "preview");
  const Config p = parse({"--preview", "--key", "frame=0 max-iter=2000", "--key", "frame=1 max-iter=40", "-o", "x.h5"}).config;
  EXPECT_NE(p.resolved_text().find("key = frame=0 max-iter=2000\n"), std::string::npos) << p.resolved_text();
  EXPECT_NE(p.resolved_text().find("key = frame=1 max-iter=40\n"), std::string::npos) << p.resolved_text();
}

// A centre view whose bounds pass the coordinate limit would print a --print-config that does not
// read back (found by fuzz_config): refused.
TEST(ConfigRules, CentreViewBeyondCoordinateLimitIsRefused) {
  const std::string msg = usage_error({"--center-re", "0", "--center-im", "1000000", "--view-width", "3.2", "-o", "x.h5"});
  EXPECT_NE(msg.find("--center-im"), std::string::npos) << msg;
  EXPECT_EQ(parse({"--center-re", "0", "--center-im", "999998", "--view-width", "3.2", "-o", "x.h5"}).config.view.ymax, 999999.6);
}

TEST(ConfigKeyframes, HelpListsKeyOptions) {
  const std::string t = parse({"--help"}).help_text;
  for (const char* n : {"--key ", "--interp ", "--interp-center", "--interp-width", "--interp-rotation", "--interp-c ",
                        "--interp-max-iter", "--max-iter-growth"})
    EXPECT_NE(t.find(n), std::string::npos) << n;
}

}  // namespace
}  // namespace fractal

namespace fractal {
namespace {

// Deep zooms (docs/ANIMATION.md "Deep zooms"): widths as MPFR text, growth by decades to 1e-1000.
TEST(ConfigDeepZoom, WidthsAndGrowthTo1e1000) {
  const ParseResult r = parse({"--fractal", "mandelbrot", "--center-re", "-1.5", "--center-im", "0", "--view-width", "1e-5",
                               "--end-view-width", "1e-1000", "--frames", "5", "--max-iter", "100", "--max-iter-growth", "10",
                               "--width", "8", "--height", "8", "-o", "x.h5"});
  const Config& c = r.config;
  ASSERT_TRUE(c.deep_zoom);
  EXPECT_EQ(c.method, deep::Method::PerturbExp);
  EXPECT_EQ(c.end_view_width_text, "1e-1000");
  const std::vector<FrameParams> plan = plan_frames(c);
  ASSERT_EQ(plan.size(), 5u);
  for (std::uint64_t f = 0; f < 5; ++f)  // 995 decades over 4 steps
    EXPECT_EQ(plan[f].max_iter, static_cast<std::uint32_t>(std::llround(100 + 10 * 995.0 * static_cast<double>(f) / 4))) << f;
  EXPECT_EQ(c.max_iter_peak, 100u + 9950u);
  const deep::DeepJob job = deep::plan_deep(c, plan);
  ASSERT_EQ(job.view_width.size(), 5u);
  EXPECT_EQ(job.view_width[0], "1e-5");
  EXPECT_EQ(job.view_width[4], "1e-1000");
  EXPECT_EQ(job.view_width[2], "3.1622776601683793320e-503");  // 10^-502.5, 20 digits
  EXPECT_EQ(job.method[0], deep::Method::Double);  // 1e-5 over 8 pixels: double resolves it
  EXPECT_EQ(job.method[1], deep::Method::PerturbDouble);  // 1e-253.75
  EXPECT_EQ(job.method[4], deep::Method::PerturbExp);
  EXPECT_EQ(job.specs.size(), 1u);
  EXPECT_EQ(job.specs[0].max_iter, 10050u);  // the largest frame budget
  EXPECT_TRUE(job.per_frame_bla);
  // A zoom sequence: keyframe k is 1e-5 / 2^k, as many as reach 1e-1000 (ceil(995 / log10 2) + 1).
  const ParseResult s = parse({"--fractal", "mandelbrot", "--center-re", "-1.5", "--center-im", "0", "--view-width", "1e-5",
                               "--end-view-width", "1e-1000", "--zoom-sequence", "2", "--width", "8", "--height", "8", "-o", "x.h5"});
  EXPECT_EQ(s.config.frames, 3307u);
  const deep::DeepJob sj = deep::plan_deep(s.config, plan_frames(s.config));
  EXPECT_EQ(sj.view_width[1], "5.0000000000000000000e-06");
  EXPECT_EQ(sj.view_width[10].substr(0, 9), "9.7656250");  // 1e-5 / 1024
}

// Deep keyframes (docs/ANIMATION.md "Deep keyframes"): where the keys fit a double, deep::KeyPath
// (MPFR) follows the double model (PathEvaluator) to rounding, for every centre and width mode.
TEST(ConfigDeepKeys, KeyPathFollowsTheDoubleModel) {
  for (const char* centre : {"zoom", "linear", "ease", "cubic"}) {
    for (const char* width : {"linear", "ease", "cubic"}) {
      const ParseResult r = parse({"--fractal", "mandelbrot", "--width", "96", "--height", "54",
                                   "--key", "frame=0 center=-0.75,0 width=3.5", "--key", "frame=9 center=-0.745,0.11 width=0.01",
                                   "--key", "frame=20 center=-0.7436,0.1318 width=2e-6",
                                   "--key", "frame=31 center=-0.743643887037151,0.131825904205330 width=1e-11",
                                   "--key", "frame=40 center=-0.7436438870371,0.1318259042053 width=1e-11",
                                   "--interp-center", centre, "--interp-width", width, "-o", "x.h5"});
      const Config& c = r.config;
      SCOPED_TRACE(std::string("centre ") + centre + ", width " + width);
      ASSERT_TRUE(c.deep_zoom);  // 1e-11 over 96 pixels needs perturbation
      const deep::KeyPath kp(c);
      const PathEvaluator eval(c.path, path_base(c));
      for (std::uint64_t f = 0; f <= 40; ++f) {
        const PathPoint q = eval.at(f);
        const double w = std::strtod(kp.width_text(f).c_str(), nullptr);
        EXPECT_NEAR(w / q.width, 1.0, 1e-13) << f;
        for (int axis = 0; axis < 2; ++axis) {
          const double v = std::strtod(kp.centre_text(axis, f, 200).c_str(), nullptr);
          // The double model rounds each step at the centre's magnitude: a few ulps of 0.75.
          EXPECT_NEAR(v, axis == 0 ? q.center_re : q.center_im, 1e-15) << "frame " << f << " axis " << axis;
        }
      }
      // Key frames: the keys' own texts.
      EXPECT_EQ(kp.width_text(31), "1e-11");
      EXPECT_EQ(kp.centre_text(0, 20, 200), "-0.7436");
      EXPECT_EQ(kp.centre_text(1, 40, 200), "0.1318259042053");
    }
  }
}

TEST(ConfigDeepKeys, WidthsAndCentresBeyondDouble) {
  // c1 = c0 - 3.3...e-501: a third of the first key's width away, 601 significant digits.
  const std::string c0 = "-1.7685736562998620", c1 = c0 + std::string(484, '0') + std::string(100, '3') + "1";
  const ParseResult r = parse({"--fractal", "mandelbrot", "--width", "8", "--height", "8", "--max-iter", "100",
                               "--max-iter-growth", "2", "--interp-width", "linear",
                               "--key", "frame=0 center=" + c0 + ",0 width=1e-500",
                               "--key", "frame=4 center=" + c1 + ",0 width=1e-1000", "-o", "x.h5"});
  const Config& c = r.config;
  ASSERT_TRUE(c.deep_zoom);
  EXPECT_EQ(c.method, deep::Method::PerturbExp);
  EXPECT_EQ(c.max_iter_peak, 100u + 2u * 500u);
  const deep::KeyPath kp(c);
  EXPECT_EQ(kp.width_text(0), "1e-500");
  EXPECT_EQ(kp.width_text(2), "1.0000000000000000000e-750");  // linear in log: 10^-750
  EXPECT_NEAR(kp.decades(1), 125.0, 1e-9);
  const std::vector<FrameParams> plan = plan_frames(c);
  EXPECT_EQ(plan[2].max_iter, 600u);
  const deep::DeepJob job = deep::plan_deep(c, plan);
  EXPECT_EQ(job.view_width[4], "1e-1000");
  EXPECT_EQ(job.center_re[4], c1);
  // Zoom rule: c(f) - c1 = (c0 - c1) (w(f) - w1) / (w0 - w1); at frame 2 that is (c0 - c1) 1e-250
  // (to 1e-250 relative): the centre's digits past 250 + 17 places follow c1's.
  const std::string mid = job.center_re[2];
  EXPECT_EQ(mid.substr(0, 6), "-1.768") << mid;
  EXPECT_EQ(job.specs.size(), 1u);  // every frame within reach of the deepest key's centre
  EXPECT_EQ(job.specs[0].c_re, c1);
  for (std::size_t f = 0; f < 4; ++f) EXPECT_TRUE(job.frames[f].has_offset) << f;
  EXPECT_FALSE(job.frames[4].has_offset);
}

// zoom=Z keys (Kalles Fraktaler's zoom: view height 4 / Z) and location=FILE keys (centre and zoom
// of a .kfr file), as --zoom and --location give a view.
TEST(ConfigDeepKeys, ZoomAndLocationKeys) {
  const ScopedDir dir = test_dir();
  const std::string kfr = write_file(dir.path / "p.kfr", "Re: -1.7490930627924075786e+00\r\nIm: 1.4e-12\r\nZoom: 2.5E50\r\nIterations: 9000\r\n");
  const ParseResult r = parse({"--fractal", "mandelbrot", "--width", "32", "--height", "16", "--key", "frame=0 zoom=1",
                               "--key", "frame=6 location=" + kfr, "-o", "x.h5"});
  const Config& c = r.config;
  ASSERT_TRUE(c.deep_zoom);
  ASSERT_EQ(c.path.keys.size(), 2u);
  EXPECT_EQ(c.path.keys[0].width_text, deep::width_from_zoom("1", 32, 16));  // 4 / 1 x 32 / 16 = 8
  EXPECT_EQ(c.path.keys[1].width_text, deep::width_from_zoom("2.5E50", 32, 16));
  EXPECT_EQ(c.path.keys[1].center_re_text, "-1.7490930627924075786e+00");
  EXPECT_EQ(c.path.keys[1].center_im_text, "1.4e-12");
  EXPECT_NE(c.max_iter, 9000u);  // a key's location sets the view only, not the budget
  const deep::DeepJob job = deep::plan_deep(c, plan_frames(c));
  EXPECT_EQ(job.view_width[6], deep::width_from_zoom("2.5E50", 32, 16));
  EXPECT_EQ(job.center_re[6], "-1.7490930627924075786e+00");
  // --print-config writes them as width= and center= keys, which read back to the same path.
  const std::string cfg = write_file(dir.path / "zl.cfg", c.resolved_text());
  const Config b = parse({cfg, "-o", "x.h5"}).config;
  EXPECT_EQ(b.path.key_texts(true), c.path.key_texts(true));
}

// A pan at depth, 2.5 frame widths per frame over 15 widths (linear centre): frames take the first
// reference within 4 widths (keys deepest first, then the ones frames start), so frame 2 starts one
// (5 widths from both keys), frame 4 another (10 and 5), frames 5 and 6 take the end key's.
TEST(ConfigDeepKeys, ReferencesWithinReach) {
  const ParseResult r = parse({"--fractal", "mandelbrot", "--width", "16", "--height", "16", "--interp-center", "linear",
                               "--key", "frame=0 center=0.1,0.6 width=1e-20",
                               "--key", "frame=6 center=0.10000000000000000015,0.6 width=1e-20", "-o", "x.h5"});
  const Config& c = r.config;
  ASSERT_TRUE(c.deep_zoom);
  const deep::DeepJob job = deep::plan_deep(c, plan_frames(c));
  ASSERT_EQ(job.specs.size(), 4u);
  EXPECT_EQ(job.references(), 4u);
  EXPECT_EQ(job.roles, (std::vector<std::string>{"centre", "centre-1", "centre-2", "centre-3"}));
  EXPECT_EQ(job.frame_ref, (std::vector<std::uint32_t>{0, 0, 1, 1, 2, 3, 3}));
  EXPECT_EQ(job.specs[0].c_re, "0.1");
  EXPECT_EQ(job.specs[3].c_re, "0.10000000000000000015");
  EXPECT_EQ(job.specs[1].c_re, job.center_re[2]);
  // A fixed centre: one reference, whatever the widths do.
  const ParseResult z = parse({"--fractal", "mandelbrot", "--width", "16", "--height", "16", "--center-re", "0.1",
                               "--center-im", "0.6", "--view-width", "1", "--key", "frame=0 width=1e-20",
                               "--key", "frame=5 width=1e-40", "--key", "frame=9 width=1e-30", "-o", "x.h5"});
  const deep::DeepJob zj = deep::plan_deep(z.config, plan_frames(z.config));
  EXPECT_EQ(zj.specs.size(), 1u);
  EXPECT_EQ(zj.specs[0].c_re, "0.1");
}

}  // namespace
}  // namespace fractal
