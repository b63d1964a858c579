// Decimal-text validation (config/decimal.hpp) and location files (config/location.hpp): every
// accepted and refused decimal form, the digit and exponent limits, decimal_exponent10, the six
// Kalles Fraktaler benchmark locations and their Fraktaler-3 TOML, CRLF and Latin-1 files, missing
// keys, bad values, unknown extensions and unreadable files, with the message text checked.
#include <gtest/gtest.h>

#include "test_support.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fractal/config/decimal.hpp"
#include "fractal/config/location.hpp"
#include "fractal/error.hpp"

#ifndef FRACTAL_SOURCE_DIR
#error "FRACTAL_SOURCE_DIR (the source tree) must be defined"
#endif

namespace fractal {
namespace {

const std::string kData = FRACTAL_SOURCE_DIR "/tests/data/locations/";
const std::string kMustBe = " must be a decimal number (digits, optional point and exponent), got ";

// The UsageError message `f` throws ("" and a test failure when it throws nothing or another type).
template <class F>
std::string usage_message(F&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "message is not one line: " << m;
    return m;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "threw nothing";
  return "";
}

std::string decimal_error(const std::string& text) {
  return usage_message([&] { check_decimal("--center-re", text); });
}

// --- check_decimal: accepted forms ---

TEST(Decimal, AcceptsEveryForm) {
  for (const std::string s :
       {"0", "1", "-1", "+1", "-0", "007", "1.", "-1.", "+1.", ".5", "+.5", "-.5", "1.25", "-0.000",
        "1e5", "1E5", "1e+5", "1e-5", "1.e3", ".5e-3", "-.5E+03", "1.00e014", "4.00000000000E533",
        "1E1086", "1e0000000000000000000000000005", "-1.7598171308048478136108250105617982382439"}) {
    EXPECT_EQ(check_decimal("--center-re", s), s) << s;
  }
}

TEST(Decimal, TrimsSurroundingWhitespaceOnly) {
  EXPECT_EQ(check_decimal("--center-re", "  -1.5\t\r\n"), "-1.5");
  EXPECT_EQ(check_decimal("--center-re", "\v\f1e5 "), "1e5");
  // Not reformatted: leading zeros, trailing zeros, signs and exponent spelling are kept.
  EXPECT_EQ(check_decimal("--center-re", "+000.100E+007"), "+000.100E+007");
}

// --- check_decimal: refused forms ---

TEST(Decimal, RefusesJunk) {
  for (const std::string s :
       {"", " ", "\t\n", "abc", "nan", "NaN", "-nan", "inf", "-inf", "+inf", "infinity", "Infinity",
        "0x10", "0x1p3", "0X1P-3", "1 2", "1. 5", "1 .5", "1e 5", "1 e5", "- 1", "+", "-", ".", "+.",
        "-.", "e5", "E5", ".e5", "-e5", "1e", "1E", "1e+", "1e-", "1.2.3", "1..2", "1e5.5", "1e5e5",
        "--1", "+-1", "-+1", "1_000", "1,5", "1'000", "1e5x", "1x", "x1", "1d5", "1f", "1L", "0b101",
        "\xd9\xa1", "1\xc2\xa0", "(1)", "1/2", "1+2", "1-", "1e--5", "1e5-"}) {
    EXPECT_EQ(decimal_error(s), "--center-re" + kMustBe + quote_text(s)) << s;
  }
}

TEST(Decimal, MessageQuotesTheValue) {
  EXPECT_EQ(decimal_error("abc"),
            "--center-re must be a decimal number (digits, optional point and exponent), got 'abc'");
  EXPECT_EQ(usage_message([] { check_decimal("--location 'a.kfr': Re", "1,5"); }),
            "--location 'a.kfr': Re" + kMustBe + "'1,5'");
}

TEST(Decimal, ControlCharactersDoNotBreakTheLine) {
  EXPECT_EQ(decimal_error("1\n2"), "--center-re" + kMustBe + "'1\\x0a2'");
  EXPECT_EQ(decimal_error(std::string("1\0" "2", 3)), "--center-re" + kMustBe + "'1\\x002'");
  EXPECT_EQ(decimal_error("\x1b[31m1"), "--center-re" + kMustBe + "'\\x1b[31m1'");
  EXPECT_EQ(decimal_error("1\x7f"), "--center-re" + kMustBe + "'1\\x7f'");
}

TEST(Decimal, LongJunkIsShownCut) {
  const std::string junk(5000, 'x');
  const std::string m = decimal_error(junk);
  EXPECT_EQ(m, "--center-re" + kMustBe + "'" + std::string(200, 'x') + "...'");
}

// --- check_decimal: limits ---

TEST(Decimal, DigitLimit) {
  static_assert(kMaxDecimalDigits == 100000);
  const std::string max(kMaxDecimalDigits, '7');
  EXPECT_EQ(check_decimal("--center-re", max), max);
  EXPECT_EQ(check_decimal("--center-re", "-" + max + "e-5"), "-" + max + "e-5");  // signs don't count
  const std::string split_max = "0." + std::string(kMaxDecimalDigits - 2, '0') + "1";
  EXPECT_EQ(check_decimal("--center-re", split_max), split_max);
  EXPECT_EQ(check_decimal("--center-re", "." + max), "." + max);

  EXPECT_EQ(decimal_error(max + "7"), "--center-re has 100001 digits; at most 100000 are supported");
  EXPECT_EQ(decimal_error("1." + max), "--center-re has 100001 digits; at most 100000 are supported");
  EXPECT_EQ(decimal_error(std::string(250000, '0')),  // zeros count too
            "--center-re has 250000 digits; at most 100000 are supported");
  // Junk is reported as junk, however long.
  EXPECT_NE(decimal_error(max + "7x").find(kMustBe), std::string::npos);
}

TEST(Decimal, ExponentLimit) {
  static_assert(kMaxDecimalExponent == 1000000);
  for (const std::string s : {"1e1000000", "1e-1000000", "1E+1000000", "1e0001000000"})
    EXPECT_EQ(check_decimal("--view-width", s), s);
  EXPECT_EQ(usage_message([] { check_decimal("--view-width", "1e-2000000"); }),
            "--view-width exponent 'e-2000000' is beyond +-1000000");
  EXPECT_EQ(usage_message([] { check_decimal("--view-width", " 2.5E+1000001 "); }),
            "--view-width exponent 'E+1000001' is beyond +-1000000");
  // Exponents that overflow any integer type are refused the same way, not wrapped.
  EXPECT_EQ(usage_message([] { check_decimal("--view-width", "1e18446744073709551621"); }),
            "--view-width exponent 'e18446744073709551621' is beyond +-1000000");
  const std::string huge = "1e-" + std::string(5000, '9');
  EXPECT_EQ(usage_message([&] { check_decimal("--view-width", huge); }),
            "--view-width exponent '" + huge.substr(1, 200) + "...' is beyond +-1000000");
  // Thousands of leading zeros are still a small exponent.
  const std::string padded = "1e" + std::string(5000, '0') + "5";
  EXPECT_EQ(check_decimal("--view-width", padded), padded);
  EXPECT_EQ(decimal_exponent10(padded), 5);
  // Junk after a huge exponent is junk.
  EXPECT_NE(usage_message([] { check_decimal("--view-width", "1e99999999999x"); }).find(kMustBe),
            std::string::npos);
}

// --- zero, sign, exponent ---

TEST(Decimal, ZeroAndNegative) {
  for (const std::string s : {"0", "-0", "+0", "0.", "-0.000", ".0", "-.0", "0e5", "0.000e-7", "000", " 0 "}) {
    EXPECT_TRUE(decimal_is_zero(s)) << s;
    EXPECT_FALSE(decimal_is_negative(s)) << s;
  }
  for (const std::string s : {"1", "+1", "0.001", "1e-900", "00.0001e3"}) {
    EXPECT_FALSE(decimal_is_zero(s)) << s;
    EXPECT_FALSE(decimal_is_negative(s)) << s;
  }
  for (const std::string s : {"-1", "-.5", "-0.0000001", "-1e-900", "-1.7598171308"}) {
    EXPECT_FALSE(decimal_is_zero(s)) << s;
    EXPECT_TRUE(decimal_is_negative(s)) << s;
  }
  EXPECT_THROW(decimal_is_zero("abc"), std::invalid_argument);
  EXPECT_THROW(decimal_is_negative(""), std::invalid_argument);
}

TEST(Decimal, Exponent10) {
  struct Case {
    const char* text;
    std::int64_t e;
  };
  for (const Case c : {Case{"0.00123e5", 2}, {"-1.76", 0}, {"1E1086", 1086}, {"4.00000000000E533", 533},
                       {"1.00e014", 14}, {"5.00e113", 113}, {"5.00e227", 227}, {"1.00e050", 50},
                       {"1", 0}, {"9.99", 0}, {"10", 1}, {"99.9", 1}, {"000123.4", 2}, {"0.5", -1},
                       {".001", -3}, {"-0.001e3", 0}, {"100e-2", 0}, {"0.0999e1", -1}, {"7e-5", -5},
                       {"1.", 0}, {"+.5E+1", 0}, {"-0.04947002906", -2}, {"0.0012666135", -3}}) {
    EXPECT_EQ(decimal_exponent10(c.text), c.e) << c.text;
  }
  // The extremes the limits allow.
  EXPECT_EQ(decimal_exponent10("1" + std::string(kMaxDecimalDigits - 1, '0') + "e1000000"), 1099999);
  EXPECT_EQ(decimal_exponent10("." + std::string(kMaxDecimalDigits - 1, '0') + "1e-1000000"), -1100000);
  EXPECT_THROW(decimal_exponent10("0"), std::invalid_argument);
  EXPECT_THROW(decimal_exponent10("-0.000e5"), std::invalid_argument);
  EXPECT_THROW(decimal_exponent10("1e"), std::invalid_argument);
}

TEST(Decimal, QuoteText) {
  EXPECT_EQ(quote_text("abc"), "'abc'");
  EXPECT_EQ(quote_text("a\tb"), "'a\\x09b'");
  EXPECT_EQ(quote_text("caf\xe9"), "'caf\xe9'");  // bytes >= 0x80 as they are
  EXPECT_EQ(quote_text("abcdef", 3), "'abc...'");
  EXPECT_EQ(quote_text("abc", 3), "'abc'");
}

// --- location files ---

std::string write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

std::string location_error(const std::string& path) {
  return usage_message([&] { read_location_file(path); });
}

TEST(Location, Benchmark1e14) {
  const Location loc = read_location_file(kData + "1e14.kfr");
  EXPECT_EQ(loc.path, kData + "1e14.kfr");
  EXPECT_EQ(loc.re, "-1.759817130804847813610825010561798238243999999999999999999800");
  EXPECT_EQ(loc.im, "-0.012593310799749865383746631843264858450340000000000000000000");
  EXPECT_EQ(loc.zoom, "1.00e014");
  EXPECT_EQ(loc.iterations, 4036u);
}

TEST(Location, AllSixBenchmarks) {
  struct Case {
    const char* name;
    const char* re_start;
    const char* im_start;
    const char* zoom;
    std::int64_t zoom_e10;
    std::uint32_t iterations;
  };
  for (const Case c : {Case{"1e14", "-1.7598171308", "-0.0125933107", "1.00e014", 14, 4036},
                       {"1e50", "-0.0494700290", "-0.6747875758", "1.00e050", 50, 263010},
                       {"5e113", "-1.4798157761", "-0.0006391119", "5.00e113", 113, 35494},
                       {"5e227", "-0.7496244973", "0.0342701087", "5.00e227", 227, 1200000},
                       {"4e533", "-1.7691083304", "-0.0090206880", "4.00000000000E533", 533, 120000},
                       {"1e1086", "-1.7686104930", "0.0012666135", "1E1086", 1086, 600100}}) {
    SCOPED_TRACE(c.name);
    const Location loc = read_location_file(kData + c.name + ".kfr");
    EXPECT_EQ(loc.re.rfind(c.re_start, 0), 0u) << loc.re;
    EXPECT_EQ(loc.im.rfind(c.im_start, 0), 0u) << loc.im;
    EXPECT_EQ(loc.zoom, c.zoom);
    EXPECT_EQ(decimal_exponent10(loc.zoom), c.zoom_e10);
    EXPECT_EQ(loc.iterations, c.iterations);
    // The centre carries enough digits for the zoom (view height 4/zoom, 1024 pixels).
    EXPECT_GT(static_cast<std::int64_t>(loc.re.size()), c.zoom_e10);
    EXPECT_GT(static_cast<std::int64_t>(loc.im.size()), c.zoom_e10);
    EXPECT_FALSE(decimal_is_zero(loc.zoom));
    EXPECT_FALSE(decimal_is_negative(loc.zoom));
  }
}

TEST(Location, TomlOfTheSameLocation) {
  const Location kfr = read_location_file(kData + "1e14.kfr");
  const Location toml = read_location_file(kData + "1e14.toml");
  EXPECT_EQ(toml.path, kData + "1e14.toml");
  EXPECT_EQ(toml.re, kfr.re);
  EXPECT_EQ(toml.im, kfr.im);
  EXPECT_EQ(toml.zoom, kfr.zoom);
  EXPECT_EQ(toml.iterations, kfr.iterations);
}

TEST(Location, ConfigsMatchTheLocations) {
  // configs/deep-NAME.cfg carry each location verbatim.
  for (const std::string name : {"1e14", "1e50", "5e113", "5e227", "4e533", "1e1086"}) {
    SCOPED_TRACE(name);
    const Location loc = read_location_file(kData + name + ".kfr");
    std::ifstream in(FRACTAL_SOURCE_DIR "/configs/deep-" + name + ".cfg");
    ASSERT_TRUE(in) << name;
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') lines.push_back(line);
    EXPECT_EQ(lines, (std::vector<std::string>{"fractal = mandelbrot", "center-re = " + loc.re,
                                               "center-im = " + loc.im, "zoom = " + loc.zoom,
                                               "max-iter = " + std::to_string(*loc.iterations),
                                               "width = 1024", "height = 1024"}));
  }
}

TEST(Location, KfrCrlfLatin1AndOtherKeys) {
  const auto dir = test::test_dir("loc");
  const std::string text =
      "Re: -0.75\r\nIm: 0.1\r\nZoom: 2.5E3\r\nIterations: 1000\r\nColors: 195,128,66,251,\xe9\xff\r\n"
      "IterDiv: 0.010000\r\nRatio: 360.000000\r\nRotate: 0.000000\r\nComment: caf\xe9\r\n"
      "Re: 99\r\n\r\n";
  for (const char* name : {"crlf.kfr", "UPPER.KFR", "Mixed.Kfr"}) {
    const Location loc = read_location_file(write_file(dir / name, text));
    EXPECT_EQ(loc.re, "-0.75");  // the first Re line counts
    EXPECT_EQ(loc.im, "0.1");
    EXPECT_EQ(loc.zoom, "2.5E3");
    EXPECT_EQ(loc.iterations, 1000u);
  }
  // LF only, no final newline, whitespace around keys and values, a byte order mark, no Iterations.
  const Location loc = read_location_file(write_file(dir / "lf.kfr", "\xEF\xBB\xBFRe:1\n  Im :  -2  \nZoom:\t4"));
  EXPECT_EQ(loc.re, "1");
  EXPECT_EQ(loc.im, "-2");
  EXPECT_EQ(loc.zoom, "4");
  EXPECT_FALSE(loc.iterations.has_value());
}

TEST(Location, KfrMissingKeys) {
  const auto dir = test::test_dir("loc");
  const std::string p = (dir / "x.kfr").string();
  const std::string label = "--location '" + p + "'";
  write_file(p, "Im: 0\r\nZoom: 1\r\n");
  EXPECT_EQ(location_error(p), label + ": no 'Re' line");
  write_file(p, "Re: 0\nZoom: 1\n");
  EXPECT_EQ(location_error(p), label + ": no 'Im' line");
  write_file(p, "Re: 0\nIm: 0\nIterations: 5\n");
  EXPECT_EQ(location_error(p), label + ": no 'Zoom' line");
  write_file(p, "re: 0\nim: 0\nzoom: 1\n");  // keys are case-sensitive, as KF writes them
  EXPECT_EQ(location_error(p), label + ": no 'Re' line");
  write_file(p, "");
  EXPECT_EQ(location_error(p), label + ": no 'Re' line");
}

TEST(Location, KfrBadValues) {
  const auto dir = test::test_dir("loc");
  const std::string p = (dir / "x.kfr").string();
  const std::string label = "--location '" + p + "'";
  const auto with = [&](const std::string& re, const std::string& im, const std::string& zoom,
                        const std::string& iterations) {
    write_file(p, "Re: " + re + "\r\nIm: " + im + "\r\nZoom: " + zoom + "\r\nIterations: " + iterations + "\r\n");
    return location_error(p);
  };
  EXPECT_EQ(with("abc", "0", "1", "10"), label + ": Re" + kMustBe + "'abc'");
  EXPECT_EQ(with("0", "1.2.3", "1", "10"), label + ": Im" + kMustBe + "'1.2.3'");
  EXPECT_EQ(with("0", "0", "1e", "10"), label + ": Zoom" + kMustBe + "'1e'");
  EXPECT_EQ(with("0", "0", "", "10"), label + ": Zoom" + kMustBe + "''");
  EXPECT_EQ(with("0", "0", "0", "10"), label + ": Zoom must be > 0, got '0'");
  EXPECT_EQ(with("0", "0", "-0.000", "10"), label + ": Zoom must be > 0, got '-0.000'");
  EXPECT_EQ(with("0", "0", "-1E5", "10"), label + ": Zoom must be > 0, got '-1E5'");
  EXPECT_EQ(with("0", "0", "1e-2000000", "10"), label + ": Zoom exponent 'e-2000000' is beyond +-1000000");
  EXPECT_EQ(with(std::string(100001, '1'), "0", "1", "10"),
            label + ": Re has 100001 digits; at most 100000 are supported");
  const std::string iter = label + ": Iterations must be an integer in [1, 4294967295], got ";
  for (const std::string bad : {"0", "-1", "+5", "1.5", "1e3", "abc", "4294967296", "99999999999999999999999", "1 2", ""})
    EXPECT_EQ(with("0", "0", "1", bad), iter + "'" + bad + "'") << bad;
  write_file(p, "Re: 0\nIm: 0\nZoom: 1\nIterations: 4294967295\n");
  EXPECT_EQ(read_location_file(p).iterations, 4294967295u);
  write_file(p, "Re: 0\nIm: 0\nZoom: 1\nIterations: 1\n");
  EXPECT_EQ(read_location_file(p).iterations, 1u);
}

TEST(Location, TomlForms) {
  const auto dir = test::test_dir("loc");
  const std::string p = write_file(dir / "a.toml",
                                   "# a comment\r\n"
                                   "title = \"root keys are ignored\"\r\n"
                                   "real = \"7\"\r\n"
                                   "\r\n"
                                   "[image]\r\n"
                                   "real = \"junk in another section\"\r\n"
                                   "zoom = not-even-toml\r\n"
                                   "[colour]\r\n"
                                   "shader = \"\"\"\r\n"
                                   "[location]\r\n"
                                   "zoom = junk inside a multi-line string\r\n"
                                   "\"\"\"\r\n"
                                   "palette = [\r\n"
                                   "  1, 2,\r\n"
                                   "]\r\n"
                                   "[ location ]\r\n"
                                   "real = \"-1.25\"   # the centre\r\n"
                                   "imag = '0.5e-3'\r\n"
                                   "  zoom=1e14\r\n"
                                   "[bailout]\r\n"
                                   "iterations = 4036 # cap\r\n"
                                   "maximum_bla_steps = 4036\r\n"
                                   "[render]\r\n"
                                   "filename = \"x\"\r\n");
  const Location loc = read_location_file(p);
  EXPECT_EQ(loc.re, "-1.25");
  EXPECT_EQ(loc.im, "0.5e-3");
  EXPECT_EQ(loc.zoom, "1e14");
  EXPECT_EQ(loc.iterations, 4036u);

  const Location no_iter = read_location_file(
      write_file(dir / "B.TOML", "[location]\nreal = \"0\"\nimag = \"0\"\nzoom = \"4\"\n[bailout]\nescape_radius = 625\n"));
  EXPECT_EQ(no_iter.zoom, "4");
  EXPECT_FALSE(no_iter.iterations.has_value());
}

TEST(Location, TomlErrors) {
  const auto dir = test::test_dir("loc");
  const std::string p = (dir / "x.toml").string();
  const std::string label = "--location '" + p + "'";
  const auto err = [&](const std::string& text) {
    write_file(p, text);
    return location_error(p);
  };
  const std::string good_iter = "[bailout]\niterations = 100\n";
  EXPECT_EQ(err("[location]\nreal = \"0\"\nimag = \"0\"\nzoom = \"abc\"\n" + good_iter),
            label + ": [location] zoom" + kMustBe + "'abc'");
  EXPECT_EQ(err("[location]\nreal = \"nan\"\nimag = \"0\"\nzoom = \"1\"\n"),
            label + ": [location] real" + kMustBe + "'nan'");
  EXPECT_EQ(err("[location]\nreal = \"0\"\nimag = 0x10\nzoom = \"1\"\n"),
            label + ": [location] imag" + kMustBe + "'0x10'");
  EXPECT_EQ(err("[location]\nreal = \"0\"\nimag = \"0\"\nzoom = \"0\"\n"),
            label + ": [location] zoom must be > 0, got '0'");
  EXPECT_EQ(err("[location]\nreal = \"0\"\nimag = \"0\"\n" + good_iter), label + ": no [location] zoom");
  EXPECT_EQ(err("[location]\nimag = \"0\"\nzoom = \"1\"\n"), label + ": no [location] real");
  EXPECT_EQ(err("[view]\nreal = \"0\"\nimag = \"0\"\nzoom = \"1\"\n"), label + ": no [location] real");
  EXPECT_EQ(err(""), label + ": no [location] real");
  EXPECT_EQ(err("[location]\nreal = \"0\"\nimag = \"0\"\nzoom = \"1\"\n[bailout]\niterations = 0\n"),
            label + ": [bailout] iterations must be an integer in [1, 4294967295], got '0'");
  EXPECT_EQ(err("[location]\nreal = \"0\"\nimag = \"0\"\nzoom = \"1\"\n[bailout]\niterations = 1.5e3\n"),
            label + ": [bailout] iterations must be an integer in [1, 4294967295], got '1.5e3'");
  EXPECT_EQ(err("[location]\nreal = \"0\"\nreal = \"1\"\nimag = \"0\"\nzoom = \"1\"\n"),
            label + ": line 3: duplicate [location] real");
  EXPECT_EQ(err("[location]\nreal = \"0\nimag = \"0\"\nzoom = \"1\"\n"),
            label + ": line 2: [location] real must be a one-line \"string\" or a number, got '\"0'");
  EXPECT_EQ(err("[location]\nreal = \"0\" junk\nimag = \"0\"\nzoom = \"1\"\n"),
            label + ": line 2: [location] real must be a one-line \"string\" or a number, got '\"0\" junk'");
  EXPECT_EQ(err("[location]\nreal = \"\"\"0\"\"\"\nimag = \"0\"\nzoom = \"1\"\n"),
            label + ": line 2: [location] real must be a one-line \"string\" or a number, got '\"\"\"0\"\"\"'");
  EXPECT_EQ(err("[location]\nreal \"0\"\n"), label + ": line 2: [location] expected key = value");
  EXPECT_EQ(err("[location\nreal = \"0\"\n"), label + ": line 1: section header without ']'");
}

TEST(Location, UnknownExtension) {
  for (const std::string p : {"x", "x.txt", "x.kfr.bak", "x.", "kfr", "dir.kfr/x", "x.tom"})
    EXPECT_EQ(location_error(p), "--location '" + p + "': unknown extension (expected .kfr or .toml)") << p;
}

TEST(Location, UnreadableFiles) {
  EXPECT_EQ(location_error("/nonexistent-dir/x.kfr"),
            "--location '/nonexistent-dir/x.kfr': cannot open: No such file or directory");
  EXPECT_EQ(location_error("/nonexistent-dir/x.toml"),
            "--location '/nonexistent-dir/x.toml': cannot open: No such file or directory");
  const auto dir = test::test_dir("loc");
  const std::string d = (dir / "d.kfr").string();
  std::filesystem::create_directories(d);
  EXPECT_EQ(location_error(d), "--location '" + d + "': cannot read: Is a directory");
  // A path with a control character is shown escaped: the message stays one line.
  EXPECT_EQ(location_error("/nonexistent-dir/a\nb.kfr"),
            "--location '/nonexistent-dir/a\\x0ab.kfr': cannot open: No such file or directory");
}

}  // namespace
}  // namespace fractal
