// Config parser fuzzing (issue #5): a deterministic campaign of random and mutated inputs to
// fractal::parse_config, in process. Each case is a config file (random bytes, a mutated copy of
// one of configs/*.cfg, or random "name = value" lines built from the real option names) and/or a
// random argv vector. The only acceptable outcomes are success or fractal::UsageError with a
// non-empty one-line message (what fractal-render turns into exit 2); any other exception, a
// crash, a sanitizer report or a case running past the time limit (a hang) fails the run.
//
//   config_fuzz [--cases N] [--seed S] [--jobs J] [--case I] [--configs DIR]
//               [--case-limit SECONDS] [--time-limit SECONDS] [--verbose]
//
// --jobs J forks J workers, each taking every J-th case; --case I replays one case (printing its
// input); --time-limit stops generating new cases when the campaign runs longer than that (it
// then fails unless --cases were all run). The config file lives in a memfd, named to
// parse_config as /proc/self/fd/N: nothing touches the disk.
//
// Built twice (tests/fuzz.cmake): plain, and with -fsanitize=address,undefined from the same
// sources as fractal_core's config parts. Also, with -DFRACTAL_LIBFUZZER, a libFuzzer entry point
// (clang -fsanitize=fuzzer) over the same input decoding.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/error.hpp"
#include "fuzz_common.hpp"

using fractal::fuzz::Rng;
using fractal::fuzz::printable;

namespace {

// ---- the config file, in memory ---------------------------------------------------------------
class MemFile {
 public:
  MemFile() {
    fd_ = memfd_create("fuzz.cfg", MFD_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { close(fd_); }
  void set(const std::string& bytes) {
    if (ftruncate(fd_, 0) != 0) throw std::runtime_error("ftruncate failed");
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) throw std::runtime_error("pwrite failed");
      done += static_cast<std::size_t>(n);
    }
  }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// ---- what the generator knows -------------------------------------------------------------------
struct Knowledge {
  std::vector<std::string> options;  // long option names, from --help and the hidden aliases
  std::vector<std::string> configs;  // the text of configs/*.cfg
};

// The real option list: every "--name" in parse_config's own help text, plus the hidden ones.
std::vector<std::string> real_options() {
  const char* argv[] = {"fractal-render", "--help"};
  const fractal::ParseResult r = fractal::parse_config(2, argv);
  std::set<std::string> names;
  const std::string& t = r.help_text;
  for (std::size_t p = t.find("--"); p != std::string::npos; p = t.find("--", p + 2)) {
    std::size_t e = p + 2;
    while (e < t.size() && (std::isalnum(static_cast<unsigned char>(t[e])) || t[e] == '-')) ++e;
    if (e > p + 2 && std::islower(static_cast<unsigned char>(t[p + 2]))) names.insert(t.substr(p + 2, e - p - 2));
  }
  for (const char* h : {"config", "max-iterations", "num-frames", "framerate", "c-imag-initial", "c-imag-increment"})
    names.insert(h);
  if (names.size() < 30) throw std::runtime_error("found only " + std::to_string(names.size()) + " options in --help");
  return {names.begin(), names.end()};
}

std::vector<std::string> read_configs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".cfg") files.push_back(e.path());
  std::sort(files.begin(), files.end());  // deterministic order
  for (const auto& p : files) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    out.push_back(os.str());
  }
  // Always at least these (also when configs/ is not given): a julia and a mandelbrot job.
  out.push_back("fractal = julia\nc-re = -0.8\nc-im = 0.156\nwidth = 64\nheight = 48\nmax-iter = 300\nframes = 4\n"
                "c-im-increment = 0.01\nstrip-rows = 5\ncompression-level = 3\nkernel = scalar\n");
  out.push_back("fractal = mandelbrot\ncenter-re = -0.75\ncenter-im = 0.1\nview-width = 0.01\nnum-steps = 100\n"
                "max-iterations = 70000\nduration = 2\nframerate = 24\nend-center-re = -0.7501\nend-center-im = 0.1\n"
                "end-view-width = 0.0001\nprogress-interval = 1\nskip-disk-check = yes\n");
  return out;
}

// Values that probe the strict numeric parsing and the flag/enum handling.
const std::vector<std::string>& value_pool() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> p = {
        "", "0", "1", "-1", "2", "5", "17", "256", "65535", "65536", "65537", "1000000", "1000001",
        "4294967295", "4294967296", "18446744073709551615", "18446744073709551616", "-18446744073709551616",
        "99999999999999999999999999999", "1e6", "1e7", "1e150", "1e151", "1e308", "1e309", "-1e309", "1e-320",
        "4.9e-324", "2.2250738585072014e-308", "-0", "-0.0", "+0", "+1", "++1", "+-1", "-+1", "--1", "+", "-",
        ".", "1.", ".5", "1.5", "-1.8", "1.8", "0.5", "-2", "0.0000001", "999999.99999999", "1000000.0000001",
        "-1000000", "nan", "NaN", "-nan", "nan(123)", "inf", "-inf", "Inf", "infinity", "INFINITY", "0x10", "0X1p3",
        "1e", "e5", "1e+", "1e-", "1_000", "1,5", "1 000", " 1", "1 ", "\t1", "1\t", "10px", "2x", "0b101", "017",
        "true", "false", "yes", "no", "on", "off", "TRUE", "1.0", "julia", "mandelbrot", "Julia", "julia ",
        "auto", "scalar", "avx2", "avx512", "sse", "out.h5", "/dev/null", "=", "==", "a=b", "#", "# comment",
        "[section]", ";", "\"1\"", "'1'", "\\", "\\n", "%s%s%s%n", "\xff\xfe", "\xc3\xa9", "\x7f", "\x01"};
    p.push_back(std::string(10000, '1'));
    p.push_back("0." + std::string(5000, '0') + "1");
    p.push_back(std::string(1000, '0') + "1");
    p.push_back("1e" + std::string(400, '9'));
    p.push_back("-" + std::string(400, '9') + ".5");
    p.push_back(std::string(3000, 'x'));
    return p;
  }();
  return v;
}

std::string random_bytes(Rng& r, std::size_t n, bool text_like) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz-_0123456789.+eE= \t\n#[];\"'\\";
  std::string s(n, '\0');
  for (auto& c : s)
    c = text_like && r.chance(90) ? alphabet[r.below(sizeof alphabet - 1)] : static_cast<char>(r.below(256));
  return s;
}

std::string random_value(Rng& r) {
  if (r.chance(85)) return r.pick(value_pool());
  return random_bytes(r, r.range(0, 40), r.chance(50));
}

// A value with no NUL and no newline (an argv element; a newline typed into an argument is the
// user's own text and is echoed back as such).
std::string argv_safe(std::string s) {
  for (auto& c : s)
    if (c == '\0' || c == '\n') c = ' ';
  return s;
}

std::string random_option(Rng& r, const Knowledge& k) {
  if (r.chance(90)) return r.pick(k.options);
  static const std::vector<std::string> odd = {"", "-", "x", "width ", " width", "WIDTH", "widt", "widths",
                                               "help", "h", "o", "max_iter", "a.b", "general.width", "=", "c-im-"};
  if (r.chance(70)) return r.pick(odd);
  return random_bytes(r, r.range(1, 20), true);
}

std::string random_line(Rng& r, const Knowledge& k) {
  switch (r.below(8)) {
    case 0: return random_option(r, k) + "=" + random_value(r);
    case 1: return random_option(r, k);
    case 2: return "=" + random_value(r);
    case 3: return random_option(r, k) + " = " + random_value(r) + " = " + random_value(r);
    case 4: return "[" + random_bytes(r, r.range(0, 8), true) + "]";
    case 5: return "# " + random_bytes(r, r.range(0, 30), true);
    default: return random_option(r, k) + " = " + random_value(r);
  }
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> v;
  std::size_t b = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '\n') {
      if (i > b || i < s.size()) v.push_back(s.substr(b, i - b));
      b = i + 1;
    }
  return v;
}

std::string join_lines(const std::vector<std::string>& v, const std::string& eol) {
  std::string s;
  for (const auto& l : v) s += l + eol;
  return s;
}

// One mutation of a config text.
void mutate_config(Rng& r, const Knowledge& k, std::string& text) {
  std::vector<std::string> lines = split_lines(text);
  auto some_line = [&]() -> std::string* { return lines.empty() ? nullptr : &lines[r.below(lines.size())]; };
  switch (r.below(18)) {
    case 0:  // byte flips
      for (std::uint64_t n = r.range(1, 8); n-- && !text.empty();) text[r.below(text.size())] ^= static_cast<char>(1u << r.below(8));
      return;
    case 1:  // random bytes inserted
      if (true) text.insert(r.below(text.size() + 1), random_bytes(r, r.range(1, 16), r.chance(50)));
      return;
    case 2:  // bytes deleted
      if (!text.empty()) { const auto p = r.below(text.size()); text.erase(p, r.range(1, 32)); }
      return;
    case 3:  // truncated
      text.resize(r.below(text.size() + 1));
      return;
    case 4:  // NUL bytes
      for (std::uint64_t n = r.range(1, 4); n--;) text.insert(r.below(text.size() + 1), 1, '\0');
      return;
    case 5:  // a line deleted
      if (!lines.empty()) lines.erase(lines.begin() + static_cast<long>(r.below(lines.size())));
      break;
    case 6:  // a line duplicated (an option given twice)
      if (auto* l = some_line()) lines.insert(lines.begin() + static_cast<long>(r.below(lines.size() + 1)), *l);
      break;
    case 7:  // lines swapped
      if (lines.size() >= 2) std::swap(lines[r.below(lines.size())], lines[r.below(lines.size())]);
      break;
    case 8:  // a random line inserted
      lines.insert(lines.begin() + static_cast<long>(r.below(lines.size() + 1)), random_line(r, k));
      break;
    case 9:  // a value replaced
      if (auto* l = some_line()) {
        const auto eq = l->find('=');
        *l = (eq == std::string::npos ? *l + " " : l->substr(0, eq + 1) + " ") + random_value(r);
      }
      break;
    case 10:  // a name replaced by another real option
      if (auto* l = some_line()) {
        const auto eq = l->find('=');
        *l = random_option(r, k) + (eq == std::string::npos ? std::string(" = 1") : l->substr(eq));
      }
      break;
    case 11:  // '=' games
      if (auto* l = some_line()) {
        const auto eq = l->find('=');
        switch (r.below(6)) {
          case 0: if (eq != std::string::npos) l->erase(eq, 1); break;
          case 1: if (eq != std::string::npos) l->insert(eq, "="); break;
          case 2: *l = "=" + *l; break;
          case 3: *l += "="; break;
          case 4: if (eq != std::string::npos) l->resize(eq + 1); break;
          default: if (eq != std::string::npos) *l = l->substr(eq); break;
        }
      }
      break;
    case 12:  // a very long line
      lines.insert(lines.begin() + static_cast<long>(r.below(lines.size() + 1)),
                   r.chance(50) ? random_option(r, k) + " = " + std::string(r.range(4000, 40000), static_cast<char>('0' + r.below(10)))
                                : std::string(r.range(4000, 40000), static_cast<char>(r.range(0x20, 0x7e))));
      break;
    case 13:  // a section header (Boost prefixes the names after it)
      lines.insert(lines.begin() + static_cast<long>(r.below(lines.size() + 1)), "[" + random_option(r, k) + "]");
      break;
    case 14:  // whitespace and comment games
      if (auto* l = some_line()) {
        switch (r.below(4)) {
          case 0: *l = "  \t" + *l + " \t "; break;
          case 1: l->insert(r.below(l->size() + 1), "#"); break;
          case 2: l->insert(r.below(l->size() + 1), "\r"); break;
          default: l->insert(r.below(l->size() + 1), " "); break;
        }
      }
      break;
    case 15:  // CRLF line ends throughout
      text = join_lines(lines, "\r\n");
      return;
    case 16:  // an option that belongs on the command line only, or the positional's name
      lines.push_back(std::string(r.chance(50) ? "config" : r.chance(50) ? "output" : "help") + " = " + random_value(r));
      break;
    default:  // an option from the other fractal, or an alias next to its canonical name
      lines.push_back(r.pick(std::vector<std::string>{"z0-re = 0.1", "c-re = 0.3", "max-iterations = 10", "num-frames = 3",
                                                      "framerate = 10", "c-imag-initial = 0", "c-imag-increment = 1",
                                                      "num-steps = 10", "duration = 1", "end-view-width = 1"}));
      break;
  }
  text = join_lines(lines, "\n");
}

// ---- one case -----------------------------------------------------------------------------------
struct Case {
  std::string kind;
  bool has_file = false;
  std::string file;               // the config file's bytes
  std::vector<std::string> args;  // argv[1..]; "@CFG" stands for the config file's path
};

void add_random_args(Rng& r, const Knowledge& k, std::vector<std::string>& args, std::uint64_t n, bool allow_positional) {
  for (std::uint64_t i = 0; i < n; ++i) {
    switch (r.below(10)) {
      case 0: args.push_back(argv_safe("--" + random_option(r, k))); break;
      case 1: case 2: args.push_back(argv_safe("--" + random_option(r, k))); args.push_back(argv_safe(random_value(r))); break;
      case 3: case 4: args.push_back(argv_safe("--" + random_option(r, k) + "=" + random_value(r))); break;
      case 5: args.push_back(r.pick(std::vector<std::string>{"-o", "-h", "-", "--", "-x", "-oout.h5", "-o=", "--=", "---width"})); break;
      case 6: args.push_back("-o"); if (r.chance(80)) args.push_back("out.h5"); break;
      case 7: if (allow_positional) args.push_back(r.chance(50) ? "@CFG" : "no_such_file.cfg"); break;
      case 8: args.push_back(argv_safe(random_value(r))); break;
      default: args.push_back(argv_safe(random_bytes(r, r.range(0, 12), true))); break;
    }
  }
}

Case make_case(std::uint64_t seed, std::uint64_t index, const Knowledge& k) {
  Rng r(seed, index);
  Case c;
  const std::uint64_t kind = r.below(100);
  if (kind < 15) {  // random bytes as a config file
    c.kind = "random-bytes";
    c.has_file = true;
    c.file = random_bytes(r, r.chance(10) ? r.range(0, 30000) : r.range(0, 600), r.chance(60));
  } else if (kind < 55) {  // mutated valid config
    c.kind = "mutated-config";
    c.has_file = true;
    c.file = r.pick(k.configs);
    for (std::uint64_t n = r.range(1, 6); n--;) mutate_config(r, k, c.file);
  } else if (kind < 75) {  // random "name = value" lines from the real option names
    c.kind = "random-lines";
    c.has_file = true;
    for (std::uint64_t n = r.range(0, 25); n--;) c.file += random_line(r, k) + "\n";
  } else {  // random argv, with or without a config file
    c.kind = "random-argv";
    c.has_file = r.chance(30);
    if (c.has_file) {
      c.file = r.pick(k.configs);
      if (r.chance(50)) mutate_config(r, k, c.file);
    }
    add_random_args(r, k, c.args, r.range(0, 14), true);
    if (c.has_file && r.chance(70)) c.args.insert(c.args.begin() + static_cast<long>(r.below(c.args.size() + 1)), "@CFG");
    return c;
  }
  c.args.push_back("@CFG");
  if (r.chance(85)) { c.args.push_back("-o"); c.args.push_back("out.h5"); }
  if (r.chance(20)) add_random_args(r, k, c.args, r.range(1, 4), false);
  return c;
}

// An accepted configuration must be within the documented limits, and its resolved text (what
// --print-config prints and the file stores) must read back as the same job.
std::string check_accepted(const fractal::Config& c, MemFile& mf) {
  auto finite = [](double v) { return std::isfinite(v); };
  if (c.width < 1 || c.width > 65536 || c.height < 1 || c.height > 65536) return "size out of range";
  if (c.frames < 1 || c.frames > 1000000) return "frames out of range";
  if (c.max_iter < 1) return "max_iter 0";
  if (!finite(c.view.xmin) || !finite(c.view.xmax) || !finite(c.view.ymin) || !finite(c.view.ymax))
    return "view not finite";
  if (c.perturbation()) {
    // A deep view: its exact texts and a normalised pixel spacing; the double bounds only
    // approximate it (they may coincide).
    // A deep keyframed path may keep a base view given by bounds; its keys carry the texts.
    if (c.path.empty() && (c.center_re_text.empty() || c.center_im_text.empty() || c.view_width_text.empty()))
      return "deep view without its texts";
    for (const fractal::Keyframe& k : c.path.keys)
      if ((k.width && k.width_text.empty()) || (k.center_re && (k.center_re_text.empty() || k.center_im_text.empty())))
        return "deep key without its texts";
    if (!c.path.empty() && !c.deep_zoom) return "deep keyframed path not marked deep_zoom";
    if (!(c.pixel_spacing.m >= 1.0 && c.pixel_spacing.m < 2.0)) return "deep view: pixel spacing not normalised";
  } else if (!(c.view.xmin < c.view.xmax) || !(c.view.ymin < c.view.ymax)) {
    return "view empty";
  }
  if (!(c.fps > 0 && c.fps <= 1000) || !(c.escape_radius > 0) || !finite(c.escape_radius)) return "fps or escape radius out of range";
  if (c.compression_level < 0 || c.compression_level > 9 || c.strip_rows > 65536) return "run settings out of range";
  if (c.end_view && (!finite(c.end_view->xmin) || !finite(c.end_view->xmax) || !finite(c.end_view->ymin) ||
                     !finite(c.end_view->ymax) || !(c.end_view->xmin < c.end_view->xmax)))
    return "end view not finite or empty";
  const std::string text = c.resolved_text();
  if (text.empty()) return "empty resolved text";
  // Round trip: the resolved text as a config file gives the same resolved text.
  mf.set(text);
  const std::string path = mf.path();
  const char* argv[] = {"fractal-render", path.c_str(), "-o", "out.h5", nullptr};
  try {
    const std::string again = fractal::parse_config(4, argv).config.resolved_text();
    if (again != text) return "resolved text does not read back the same: " + printable(text) + " -> " + printable(again);
  } catch (const fractal::UsageError& e) {
    return "resolved text is refused when read back: " + printable(e.what()) + " (text: " + printable(text) + ")";
  }
  return {};
}

// Runs one case; returns "" if the outcome is acceptable, else what went wrong.
std::string run_case(const Case& c, MemFile& mf, std::string* outcome) {
  mf.set(c.file);  // empty when the case has no file (random argv may still name it)
  std::vector<std::string> args{"fractal-render"};
  for (const auto& a : c.args) args.push_back(a == "@CFG" ? mf.path() : a);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  try {
    const fractal::ParseResult r = fractal::parse_config(static_cast<int>(args.size()), argv.data());
    if (outcome) *outcome = r.help ? "help" : "ok";
    if (r.help) return r.help_text.empty() ? "--help gave no text" : "";
    const std::string bad = check_accepted(r.config, mf);
    if (!bad.empty()) return "accepted config: " + bad;
    return {};
  } catch (const fractal::UsageError& e) {
    const std::string m = e.what();
    if (outcome) *outcome = "UsageError: " + printable(m, 300);
    if (m.empty()) return "UsageError with an empty message";
    if (m.find('\n') != std::string::npos) return "UsageError message is not one line: " + printable(m);
    return {};
  } catch (const std::exception& e) {
    return std::string("unexpected exception (not fractal::UsageError): ") + typeid(e).name() + ": " + printable(e.what());
  } catch (...) {
    return "unexpected non-std exception";
  }
}

void print_case(std::FILE* out, std::uint64_t index, const Case& c) {
  std::fprintf(out, "case %llu (%s)\n  argv:", static_cast<unsigned long long>(index), c.kind.c_str());
  for (const auto& a : c.args) std::fprintf(out, " '%s'", printable(a, 200).c_str());
  std::fprintf(out, "\n");
  if (c.has_file) std::fprintf(out, "  config file (%zu bytes): %s\n", c.file.size(), printable(c.file, 2000).c_str());
}

}  // namespace

#ifdef FRACTAL_LIBFUZZER
// libFuzzer: the first byte picks the mode; the rest is the config file text (mode even) or
// NUL-separated argv elements (mode odd).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static MemFile mf;
  Case c;
  c.kind = "libfuzzer";
  const std::string rest(reinterpret_cast<const char*>(data) + (size ? 1 : 0), size ? size - 1 : 0);
  if (size == 0 || data[0] % 2 == 0) {
    c.has_file = true;
    c.file = rest;
    c.args = {"@CFG", "-o", "out.h5"};
  } else {
    std::string cur;
    for (char ch : rest) {
      if (ch == '\0') { c.args.push_back(argv_safe(cur)); cur.clear(); }
      else cur += ch;
    }
    c.args.push_back(argv_safe(cur));
  }
  const std::string err = run_case(c, mf, nullptr);
  if (!err.empty()) {
    std::fprintf(stderr, "FAIL: %s\n", err.c_str());
    std::abort();
  }
  return 0;
}
#else
// Shared between the workers and the parent: progress, for the summary and crash reports.
struct Slot {
  std::atomic<std::uint64_t> current{~std::uint64_t{0}}, run{0}, ok{0}, help{0}, usage{0}, failures{0};
};

// Cases first, first + step, ... < last. Returns the number of failures.
std::uint64_t campaign(const Knowledge& k, std::uint64_t seed, std::uint64_t first, std::uint64_t last,
                       std::uint64_t step, double case_limit, double time_limit, bool verbose, Slot& slot,
                       std::map<std::string, std::pair<std::uint64_t, double>>& by_kind) {
  MemFile mf;
  fractal::fuzz::Watchdog dog(case_limit, "config_fuzz");
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = first; i < last; i += step) {
    if (time_limit > 0 && fractal::fuzz::seconds_since(t0) > time_limit) break;
    const auto tc = std::chrono::steady_clock::now();
    const Case c = make_case(seed, i, k);
    if (verbose) print_case(stdout, i, c);
    std::string outcome;
    slot.current = i;
    dog.begin(i);
    const std::string err = run_case(c, mf, &outcome);
    dog.end();
    ++slot.run;
    auto& bk = by_kind[c.kind];
    ++bk.first;
    bk.second += fractal::fuzz::seconds_since(tc);
    if (verbose) std::printf("  case %llu -> %s\n", static_cast<unsigned long long>(i), outcome.c_str());
    ++(outcome == "ok" ? slot.ok : outcome == "help" ? slot.help : slot.usage);
    if (!err.empty()) {
      ++slot.failures;
      std::printf("FAIL: %s\n", err.c_str());
      print_case(stdout, i, c);
      std::fflush(stdout);
      if (slot.failures >= 20) break;
    }
  }
  slot.current = ~std::uint64_t{0};
  return slot.failures;
}

int main(int argc, char** argv) {
  std::uint64_t cases = 100000, seed = 20260521, only = ~std::uint64_t{0};
  double case_limit = 5.0, time_limit = 0;
  unsigned jobs = 1;
  std::string config_dir;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::fprintf(stderr, "config_fuzz: %s needs a value\n", a.c_str()); std::exit(2); }
      return argv[++i];
    };
    if (a == "--cases") cases = std::stoull(next());
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--case") only = std::stoull(next());
    else if (a == "--configs") config_dir = next();
    else if (a == "--case-limit") case_limit = std::stod(next());
    else if (a == "--time-limit") time_limit = std::stod(next());
    else if (a == "--jobs") jobs = std::max(1u, static_cast<unsigned>(std::stoul(next())));
    else if (a == "--verbose") verbose = true;
    else { std::fprintf(stderr, "config_fuzz: unknown argument %s\n", a.c_str()); return 2; }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Knowledge k;
  k.options = real_options();
  k.configs = read_configs(config_dir.empty() ? "." : config_dir);
  // parse_config reads nothing but the config file; run in an empty directory all the same, so
  // random positional names never meet a real file.
  const auto scratch = std::filesystem::temp_directory_path() / ("config_fuzz." + std::to_string(getpid()));
  std::filesystem::create_directories(scratch);
  std::filesystem::current_path(scratch);
  std::printf("config_fuzz: %zu option names, %zu seed configs, seed %llu, %u worker(s)\n", k.options.size(),
              k.configs.size(), static_cast<unsigned long long>(seed), jobs);
  const bool single = only != ~std::uint64_t{0};
  const std::uint64_t first = single ? only : 0, last = single ? only + 1 : cases;
  if (single) jobs = 1;
  void* mem = mmap(nullptr, sizeof(Slot) * jobs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap failed");
  Slot* slots = new (mem) Slot[jobs];
  const auto t0 = std::chrono::steady_clock::now();
  std::map<std::string, std::pair<std::uint64_t, double>> by_kind;  // kind -> (cases, seconds)
  bool crashed = false;
  if (jobs == 1) {
    campaign(k, seed, first, last, 1, case_limit, time_limit, verbose || single, slots[0], by_kind);
  } else {
    // Workers take every jobs-th case; a crash (or a sanitizer report) ends only its worker.
    std::vector<pid_t> pids;
    for (unsigned w = 0; w < jobs; ++w) {
      const pid_t pid = fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) {
        std::map<std::string, std::pair<std::uint64_t, double>> mine;
        campaign(k, seed, first + w, last, jobs, case_limit, time_limit, verbose, slots[w], mine);
        std::fflush(stdout);
        std::_Exit(0);
      }
      pids.push_back(pid);
    }
    for (unsigned w = 0; w < jobs; ++w) {
      int st = 0;
      while (waitpid(pids[w], &st, 0) < 0 && errno == EINTR) {
      }
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        crashed = true;
        const std::uint64_t i = slots[w].current.load();
        std::printf("FAIL: worker %u %s %d in case %llu (crash, hang or sanitizer report above); replay with --case %llu\n", w,
                    WIFSIGNALED(st) ? "killed by signal" : "exited with status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
                    static_cast<unsigned long long>(i), static_cast<unsigned long long>(i));
      }
    }
  }
  std::filesystem::current_path("/");
  std::filesystem::remove_all(scratch);
  std::uint64_t run = 0, failures = 0, ok = 0, help = 0, usage = 0;
  for (unsigned w = 0; w < jobs; ++w) {
    run += slots[w].run;
    failures += slots[w].failures;
    ok += slots[w].ok;
    help += slots[w].help;
    usage += slots[w].usage;
  }
  std::printf("config_fuzz: %llu cases in %.1f s: %llu accepted, %llu help, %llu UsageError, %llu failures%s\n",
              static_cast<unsigned long long>(run), fractal::fuzz::seconds_since(t0), static_cast<unsigned long long>(ok),
              static_cast<unsigned long long>(help), static_cast<unsigned long long>(usage),
              static_cast<unsigned long long>(failures), crashed ? ", a worker crashed" : "");
  for (const auto& [kind, v] : by_kind)
    std::printf("  %-15s %7llu cases %6.1f s\n", kind.c_str(), static_cast<unsigned long long>(v.first), v.second);
  if (failures || crashed) return 1;
  if (run < last - first) {
    std::printf("FAIL: only %llu of %llu cases ran within --time-limit %.0f s\n", static_cast<unsigned long long>(run),
                static_cast<unsigned long long>(last - first), time_limit);
    return 1;
  }
  return 0;
}
#endif
