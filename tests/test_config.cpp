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

#include "fractal/config.hpp"
#include "fractal/error.hpp"

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

}  // namespace
}  // namespace fractal
