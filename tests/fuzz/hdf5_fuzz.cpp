// HDF5 input fuzzing for fractal-colour (issue #5): corrupted fractal-render files through the
// reader (fractal::colour::CountsReader) and the colouring, in process, under AddressSanitizer
// and UBSan (tests/fuzz.cmake builds this from the reader and colouring sources).
//
//   hdf5_fuzz --seeds DIR [--cases N] [--seed S] [--jobs J] [--case I] [--file PATH]
//             [--case-limit SECONDS] [--probe-limit SECONDS] [--no-isolation]
//             [--rss-limit-mb MB] [--save DIR] [--verbose]
//
// DIR holds the seed files from make_hdf5_seeds.py: base_*.h5 (real renders) and ok_*.h5 must be
// read and coloured cleanly, bad_*.h5 must be refused, odd_*.h5 either; same_counts.txt names ok_
// files that must decode to a base file's counts. Cases 0 .. seeds-1 are the seeds as they are;
// every later case is a seed (mostly a real render) with 1-3 random byte-level mutations: bytes
// flipped (1-50), truncation, zeroed ranges, swapped/copied/inserted/deleted blocks, interesting
// integers written over fields, flips next to HDF5 structure signatures (object headers, B-trees,
// heaps). Each case's file is written to a fresh file in /dev/shm (tmpfs: nothing touches the
// disk); workers run with the seed directory as working directory, so external links in the
// seeds would resolve if the reader followed them.
//
// Accepted outcomes: success (every frame read and coloured), or fractal::RuntimeError /
// fractal::UsageError with a non-empty one-line message. Failures: any other exception (e.g.
// std::bad_alloc), a crash, a sanitizer report, a case running longer than --case-limit (a hang),
// HDF5 identifiers left open after a case, peak RSS above --rss-limit-mb, and (sanitized build)
// any single allocation above 256 MiB (ASan's max_allocation_size_mb; the reader must refuse a
// file before allocating for claims its data cannot back). The one exception: a crash, hang or
// huge allocation inside libhdf5 itself, in the child process the reader walks the metadata in
// first (see "telling HDF5's bugs from ours" below and README.md), is HDF5 1.10's bug, absorbed
// by that child and reported as a one-line refusal; it is listed ("HDF5 bug (tolerated)"), not
// failed.
//
// Cases are spread over --jobs forked workers (i = worker, worker + jobs, ...); the parent
// watches them, and a worker that crashes is reported with its case and restarted after it.
// Every case is reproducible alone: --case I (in process, verbose) or --save DIR (writes failing
// inputs there as case_I.h5) then --file DIR/case_I.h5.
#include <execinfo.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include <hdf5.h>

#include "fractal/output/chunk_codec.hpp"
#include "fractal/colour/colormap.hpp"
#include "fractal/colour/image.hpp"
#include "fractal/colour/normalize.hpp"
#include "fractal/colour/reader.hpp"
#include "fractal/error.hpp"
#include "fuzz_common.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
// Defaults for the sanitized build (ASAN_OPTIONS / UBSAN_OPTIONS still override): a single
// allocation above 256 MiB is reported as an error (the "huge allocation" check), a small
// quarantine keeps RSS meaningful, exit code 66 tells a sanitizer report from other failures.
extern "C" const char* __asan_default_options() {
  return "max_allocation_size_mb=256:allocator_may_return_null=0:quarantine_size_mb=16:malloc_context_size=8:"
         "exitcode=66:detect_leaks=1:handle_abort=1:print_summary=1";
}
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1:exitcode=66"; }
#endif

using fractal::fuzz::Rng;
namespace fs = std::filesystem;
namespace fc = fractal::colour;

namespace {

// ---- seeds ----------------------------------------------------------------------------------------
enum class Expect { Accept, Refuse, Either };

struct Seed {
  std::string name;
  std::vector<std::uint8_t> bytes;
  Expect expect = Expect::Either;
  std::string same_counts_as;  // a base file whose counts this one must decode to
};

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<Seed> load_seeds(const fs::path& dir) {
  std::vector<Seed> seeds;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".h5") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, std::string> same;
  if (std::ifstream in(dir / "same_counts.txt"); in) {
    std::string a, b;
    while (in >> a >> b) same[a] = b;
  }
  for (const auto& p : files) {
    Seed s;
    s.name = p.filename().string();
    s.bytes = read_bytes(p);
    if (s.name.rfind("base_", 0) == 0 || s.name.rfind("ok_", 0) == 0) s.expect = Expect::Accept;
    else if (s.name.rfind("bad_", 0) == 0) s.expect = Expect::Refuse;
    if (auto it = same.find(s.name); it != same.end()) s.same_counts_as = it->second;
    seeds.push_back(std::move(s));
  }
  if (std::none_of(seeds.begin(), seeds.end(), [](const Seed& s) { return s.name.rfind("base_", 0) == 0; }))
    throw std::runtime_error("no base_*.h5 seed in " + dir.string() + " (run make_hdf5_seeds.py)");
  return seeds;
}

// ---- mutations ------------------------------------------------------------------------------------
// HDF5 structure signatures: flips right after them hit object headers, B-trees, heaps, ...
const char* const kSignatures[] = {"\x89HDF", "OHDR", "OCHK", "TREE", "HEAP", "SNOD", "GCOL", "FRHP", "FHDB", "FHIB",
                                   "FSHD", "FSSE", "BTHD", "BTIN", "BTLF", "EAHD", "EAIB", "EADB", "FAHD", "FADB", "SMTB", "SMLI"};

std::size_t find_signature(Rng& r, const std::vector<std::uint8_t>& b) {
  std::vector<std::size_t> hits;
  for (const char* sig : kSignatures) {
    const std::size_t n = std::strlen(sig);
    for (auto it = b.begin(); (it = std::search(it, b.end(), sig, sig + n)) != b.end(); ++it)
      hits.push_back(static_cast<std::size_t>(it - b.begin()));
  }
  return hits.empty() ? r.below(b.size()) : r.pick(hits);
}

void mutate_once(Rng& r, std::vector<std::uint8_t>& b, std::string& desc) {
  auto pos = [&] { return static_cast<std::size_t>(r.below(b.size())); };
  char buf[160];
  if (b.empty()) {
    b.push_back(static_cast<std::uint8_t>(r.below(256)));
    desc += " [one byte]";
    return;
  }
  const std::uint64_t kind = r.below(100);
  switch (kind < 40 ? 0 : kind < 50 ? 1 : kind < 57 ? 2 : kind < 63 ? 3 : kind < 67 ? 4 : kind < 79 ? 5 : kind < 85 ? 6 : kind < 89 ? 7 : 8) {
    case 0: {  // byte flips: random bytes or single bits, 1..50 positions
      const std::uint64_t n = r.chance(50) ? r.range(1, 4) : r.range(1, 50);
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::size_t p = pos();
        b[p] = r.chance(50) ? static_cast<std::uint8_t>(b[p] ^ (1u << r.below(8))) : static_cast<std::uint8_t>(r.below(256));
      }
      std::snprintf(buf, sizeof buf, " [flip %llu bytes]", static_cast<unsigned long long>(n));
      break;
    }
    case 1: {  // truncation
      const std::size_t n = r.chance(30) ? b.size() - std::min<std::size_t>(b.size(), r.range(1, 64)) : pos();
      std::snprintf(buf, sizeof buf, " [truncate %zu -> %zu]", b.size(), n);
      b.resize(n);
      break;
    }
    case 2: {  // zeroed (or 0xff-filled) range
      const std::size_t p = pos(), n = std::min<std::size_t>(b.size() - p, r.range(1, 512));
      const std::uint8_t v = r.chance(75) ? 0 : 0xff;
      std::fill(b.begin() + static_cast<long>(p), b.begin() + static_cast<long>(p + n), v);
      std::snprintf(buf, sizeof buf, " [fill %zu bytes at %zu with %02x]", n, p, v);
      break;
    }
    case 3: {  // swapped blocks
      const std::size_t n = r.range(1, 256);
      if (b.size() < 2 * n) { std::snprintf(buf, sizeof buf, " [no swap]"); break; }
      const std::size_t p = r.below(b.size() - n + 1), q = r.below(b.size() - n + 1);
      std::vector<std::uint8_t> t(b.begin() + static_cast<long>(p), b.begin() + static_cast<long>(p + n));
      std::copy(b.begin() + static_cast<long>(q), b.begin() + static_cast<long>(q + n), b.begin() + static_cast<long>(p));
      std::copy(t.begin(), t.end(), b.begin() + static_cast<long>(q));
      std::snprintf(buf, sizeof buf, " [swap %zu bytes %zu <-> %zu]", n, p, q);
      break;
    }
    case 4: {  // a block copied over another
      const std::size_t n = std::min<std::size_t>(b.size(), r.range(1, 256));
      const std::size_t p = r.below(b.size() - n + 1), q = r.below(b.size() - n + 1);
      std::memmove(b.data() + q, b.data() + p, n);
      std::snprintf(buf, sizeof buf, " [copy %zu bytes %zu -> %zu]", n, p, q);
      break;
    }
    case 5: {  // an interesting integer over a field
      static const std::uint64_t vals[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 255, 256, 4095, 65535, 65536, 0x7fffffff, 0x80000000,
                                           0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                           0xffffffffffffffffull};
      std::uint64_t v = r.chance(20) ? b.size() + r.below(3) - 1 : r.pick(vals);
      const unsigned w = 1u << r.below(4);  // 1, 2, 4 or 8 bytes, little-endian
      const std::size_t p = r.chance(50) ? find_signature(r, b) + r.below(48) : pos();
      for (unsigned i = 0; i < w && p + i < b.size(); ++i, v >>= 8) b[p + i] = static_cast<std::uint8_t>(v);
      std::snprintf(buf, sizeof buf, " [%u-byte value at %zu]", w, p);
      break;
    }
    case 6: {  // inserted bytes (everything after moves)
      const std::size_t p = pos(), n = r.range(1, 64);
      std::vector<std::uint8_t> ins(n);
      for (auto& c : ins) c = static_cast<std::uint8_t>(r.below(256));
      b.insert(b.begin() + static_cast<long>(p), ins.begin(), ins.end());
      std::snprintf(buf, sizeof buf, " [insert %zu bytes at %zu]", n, p);
      break;
    }
    case 7: {  // deleted bytes
      const std::size_t p = pos(), n = std::min<std::size_t>(b.size() - p, r.range(1, 64));
      b.erase(b.begin() + static_cast<long>(p), b.begin() + static_cast<long>(p + n));
      std::snprintf(buf, sizeof buf, " [delete %zu bytes at %zu]", n, p);
      break;
    }
    default: {  // flips right after an HDF5 structure signature
      const std::size_t at = find_signature(r, b);
      const std::uint64_t n = r.range(1, 6);
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::size_t p = at + r.below(64);
        if (p < b.size()) b[p] = static_cast<std::uint8_t>(r.below(256));
      }
      std::snprintf(buf, sizeof buf, " [flip %llu bytes after the signature at %zu]", static_cast<unsigned long long>(n), at);
      break;
    }
  }
  desc += buf;
}

struct Case {
  std::size_t seed = 0;  // index into the seeds
  bool mutated = false;
  std::vector<std::uint8_t> bytes;
  std::string desc;
  fc::Norm norm = fc::Norm::Linear;
  bool allow_partial = false;
};

Case make_case(std::uint64_t campaign_seed, std::uint64_t index, const std::vector<Seed>& seeds) {
  Rng r(campaign_seed, index);
  Case c;
  c.norm = static_cast<fc::Norm>(r.below(5));
  c.allow_partial = r.chance(50);
  if (index < seeds.size()) {  // each seed once as it is
    c.seed = index;
  } else {
    // Mostly real renders (their structure is what a damaged real file looks like).
    std::vector<std::size_t> pool;
    const bool base = r.chance(60);
    for (std::size_t i = 0; i < seeds.size(); ++i)
      if ((seeds[i].name.rfind("base_", 0) == 0) == base) pool.push_back(i);
    c.seed = r.pick(pool);
    c.mutated = true;
  }
  c.bytes = seeds[c.seed].bytes;
  c.desc = seeds[c.seed].name;
  if (c.mutated)
    for (std::uint64_t n = r.chance(70) ? 1 : r.range(2, 3); n--;) mutate_once(r, c.bytes, c.desc);
  c.desc += std::string(" norm=") + fc::norm_name(c.norm) + (c.allow_partial ? " allow-partial" : "");
  return c;
}

// ---- running one file ------------------------------------------------------------------------------
struct Result {
  std::string failure;  // "" = acceptable
  bool accepted = false;
  std::string message;  // the refusal's message
  std::uint64_t counts_hash = 0;
};

// What fractal-colour does with a file (colour_main.cpp), minus the output: open, refuse an
// incomplete file unless --allow-partial, read every frame, normalise, colour.
constexpr std::uint64_t kPartialPixelBudget = 1u << 22;  // fractal-colour bounds this by physical memory

Result colour_file(const std::string& path, const Case& c) {
  Result res;
  try {
    fc::CountsReader reader(path);
    const fc::FileInfo& in = reader.info();
    if (!in.complete && !c.allow_partial) throw fractal::RuntimeError("'" + path + "' is incomplete");
    if (!in.complete && std::uint64_t{in.width} * in.height > kPartialPixelBudget)
      throw fractal::RuntimeError("'" + path + "': partial frame beyond the harness's memory budget");
    const fc::Colormap cmap = fc::Colormap::named("viridis");
    fc::Normalizer norm(fc::NormSettings{c.norm, 64, 3});
    std::vector<std::uint32_t> counts;
    std::vector<std::uint8_t> missing;
    std::vector<std::uint64_t> hashes;
    if (c.norm == fc::Norm::Histogram) {
      for (std::uint64_t f = 0; f < in.frames; ++f) {
        reader.read_frame(f, counts, missing);
        norm.add(counts, in.max_iter[f]);
      }
      norm.finalize();
    }
    for (std::uint64_t f = 0; f < in.frames; ++f) {
      reader.read_frame(f, counts, missing);
      if (counts.size() != std::size_t{in.width} * in.height || missing.size() != in.height)
        throw std::logic_error("read_frame returned a frame of the wrong size");
      hashes.push_back(fractal::hash_counts(counts));
      if (c.norm == fc::Norm::HistogramPerFrame) {
        norm.reset();
        norm.add(counts, in.max_iter[f]);
        norm.finalize();
      }
      const fc::RGB interior{0, 0, 0}, grey{0.5f, 0.5f, 0.5f};
      if (in.max_iter[f] <= 70000) {  // the table path (fractal-colour: up to kMaxTableIter; kept cheap here)
        fc::Image8 img;
        fc::colour_frame8(counts, in.width, in.height, fc::colour_table8(in.max_iter[f], f, norm, cmap, interior),
                          missing, grey, img);
      } else {
        const fc::ImageF img = fc::colour_frame(counts, in.width, in.height, in.max_iter[f], f, norm, cmap, interior,
                                                missing, grey);
        (void)fc::to_rgb8(img);
      }
    }
    res.accepted = true;
    res.counts_hash = fractal::combine_hashes(hashes);
  } catch (const fractal::RuntimeError& e) {
    res.message = e.what();
  } catch (const fractal::UsageError& e) {
    res.message = e.what();
  } catch (const std::exception& e) {
    res.failure = std::string("unexpected exception ") + typeid(e).name() + ": " + e.what();
    return res;
  } catch (...) {
    res.failure = "unexpected non-std exception";
    return res;
  }
  if (!res.accepted) {
    if (res.message.empty()) res.failure = "refused with an empty message";
    else if (res.message.find('\n') != std::string::npos) res.failure = "refusal message is not one line: " + fractal::fuzz::printable(res.message);
  }
  // Every HDF5 identifier the reader opened must be closed again (also on the error paths).
  const ssize_t open_ids = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (res.failure.empty() && open_ids != 0) res.failure = std::to_string(open_ids) + " HDF5 identifiers left open";
  return res;
}

// Each case's file: a fresh file (a new inode, so HDF5 never mistakes it for one still open) in
// a tmpfs directory (/dev/shm where writable), removed after the case. HDF5 needs a real path:
// it resolves the file's real path on open, which a memfd's /proc/self/fd/N does not have.
class ScratchFile {
 public:
  explicit ScratchFile(const std::vector<std::uint8_t>& bytes) {
    static std::uint64_t counter = 0;
    path_ = (dir() / ("hdf5_fuzz." + std::to_string(getpid()) + "." + std::to_string(counter++) + ".h5")).string();
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path_ + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) { close(fd); throw std::runtime_error("cannot write " + path_); }
      done += static_cast<std::size_t>(n);
    }
    close(fd);
  }
  ~ScratchFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  static const fs::path& dir() {
    static const fs::path d = access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm") : fs::temp_directory_path();
    return d;
  }

 private:
  std::string path_;
};

long maxrss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// ---- telling HDF5's bugs from ours ------------------------------------------------------------
// The reader walks a file's metadata in a forked child first and refuses the file if the child
// crashes or hangs (reader.cpp, probe()). That is right for fractal-colour, but it would also hide
// a bug of ours in the code the child runs. So every child the reader forks here (pthread_atfork)
// writes its sanitizer report to a file of its own (__sanitizer_set_report_path), and arms a CPU
// time alarm (--probe-limit) whose handler writes a backtrace there (a hang; the reader's own
// silence limit is longer).
// After a refusal of that kind, the reports are read: the crash or hang is HDF5's own (tolerated,
// listed as "HDF5 bug") only if the innermost frame outside the sanitizer runtime is in libhdf5;
// anything else, or no report at all, fails the run.
struct Diagnosis {
  bool hdf5 = false;   // the crash or hang is inside libhdf5
  std::string what;    // one line: kind and function
  std::string report;  // the report, for failures
};

std::string g_report_dir;   // per worker
double g_child_alarm_s = 2;
constexpr double kSlowRetry = 8;  // a case whose child "hangs" outside libhdf5 is retried with this many times the limit
int g_hang_fd = -1;         // in a reader's child: where the alarm handler writes

extern "C" void on_child_alarm(int) {
  void* frames[64];
  const int n = backtrace(frames, 64);
  static const char head[] = "HANG backtrace:\n";
  if (write(g_hang_fd, head, sizeof head - 1) < 0) {}
  backtrace_symbols_fd(frames, n, g_hang_fd);
  _exit(70);
}

#if defined(__SANITIZE_ADDRESS__)
// ASan calls this when it has found an error, before it writes the report. Symbolising the
// report's frames costs CPU time (seconds on a loaded machine), and the alarm must not fire in the
// middle of it: that left a report cut off before its first frame ("... in ?", a failure) beside a
// "hang" whose frames were ASan's own reporting.
extern "C" void __asan_on_error() {
  itimerval off{};
  setitimer(ITIMER_PROF, &off, nullptr);
}
#endif

extern "C" void in_forked_child() {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_report_path((g_report_dir + "/asan").c_str());  // asan.PID
#endif
  const std::string hang = g_report_dir + "/hang." + std::to_string(getpid());
  g_hang_fd = ::open(hang.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  // CPU time, not wall time: HDF5's hangs are busy loops, and a loaded machine must not make a
  // slow child look hung.
  std::signal(SIGPROF, on_child_alarm);
  itimerval t{};
  t.it_value.tv_sec = static_cast<time_t>(g_child_alarm_s);
  t.it_value.tv_usec = static_cast<suseconds_t>((g_child_alarm_s - static_cast<double>(t.it_value.tv_sec)) * 1e6);
  setitimer(ITIMER_PROF, &t, nullptr);
}

std::string first_symbol(const std::string& line) {
  const auto in = line.find(" in ");
  if (in != std::string::npos) {
    const auto e = line.find_first_of(" (", in + 4);
    return line.substr(in + 4, e == std::string::npos ? std::string::npos : e - in - 4);
  }
  const auto lp = line.find('('), plus = line.find('+', lp == std::string::npos ? 0 : lp);
  if (lp != std::string::npos && plus != std::string::npos && plus > lp + 1) return line.substr(lp + 1, plus - lp - 1);
  return "";
}

// Where in libhdf5: the first named H5* function among the frames, else the first frame's text.
std::string hdf5_where(const std::vector<std::string>& frames) {
  for (const auto& f : frames)
    if (f.find("libhdf5") != std::string::npos && first_symbol(f).rfind("H5", 0) == 0) return first_symbol(f);
  if (frames.empty()) return "?";
  const std::string& f = frames.front();  // "#1 0x... (/lib/.../libhdf5_openmpi.so.103+0x1294b3)"
  const auto slash = f.rfind('/'), close = f.rfind(')');
  return slash != std::string::npos && close != std::string::npos && close > slash ? f.substr(slash + 1, close - slash - 1) : f;
}

Diagnosis classify(const std::string& report) {
  Diagnosis d;
  d.report = report;
  std::vector<std::string> lines;
  std::istringstream ls(report);
  for (std::string l; std::getline(ls, l);) lines.push_back(l);
  if (report.rfind("HANG backtrace:", 0) == 0) {
    // backtrace() from the handler: the handler (and, under ASan, its interceptor), the signal
    // trampoline in libc, then where the child was stuck, maybe in a libc function (memcpy)
    // called from there: the first frame past those decides
    std::size_t i = 1;
    while (i < lines.size() && lines[i].find("libc.so") == std::string::npos) ++i;
    // ... and the sanitizer runtime: under ASan a stuck memcpy is its interceptor's, in libasan.
    while (i < lines.size() && (lines[i].find("libc.so") != std::string::npos || lines[i].find("libasan") != std::string::npos)) ++i;
    std::vector<std::string> frames(lines.begin() + static_cast<long>(std::min(i, lines.size())), lines.end());
    d.hdf5 = !frames.empty() && frames.front().find("libhdf5") != std::string::npos;
    d.what = "hang in " + hdf5_where(frames);
    return d;
  }
  if (report.find("runtime error:") != std::string::npos) {  // UBSan: only our code is instrumented
    d.what = "undefined behaviour (UBSan)";
    return d;
  }
  const auto at = report.find("ERROR: AddressSanitizer: ");
  if (at == std::string::npos) {
    d.what = "a report without a recognised error";
    return d;
  }
  std::string kind = report.substr(at + 25, report.find_first_of(" :\n", at + 25) - at - 25);
  if (kind == "requested") kind = "allocation-size-too-big";
  // Frames outside the sanitizer runtime and libc (memcpy and friends called from the culprit),
  // innermost first.
  std::vector<std::string> frames;
  for (const auto& l : lines) {
    const auto h = l.find_first_not_of(' ');
    if (h == std::string::npos || l[h] != '#') continue;
    if (l.find("libsanitizer") != std::string::npos || l.find("libasan") != std::string::npos ||
        l.find("libc.so") != std::string::npos || l.find("/sysdeps/") != std::string::npos ||
        l.find("../string/") != std::string::npos)
      continue;
    frames.push_back(l);
  }
  d.hdf5 = !frames.empty() && frames.front().find("libhdf5") != std::string::npos;
  d.what = kind + " in " + hdf5_where(frames);
  return d;
}

// Reads and removes the reports the reader's children left; returns their diagnoses.
std::vector<Diagnosis> child_reports() {
  std::vector<Diagnosis> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(g_report_dir, ec)) {
    std::ifstream in(e.path());
    std::ostringstream os;
    os << in.rdbuf();
    in.close();
    fs::remove(e.path(), ec);
    if (!os.str().empty()) out.push_back(classify(os.str()));
  }
  return out;
}

// ---- the campaign ------------------------------------------------------------------------------
struct Options {
  fs::path seeds_dir, save_dir;
  std::uint64_t cases = 500, seed = 20260521;
  unsigned jobs = 2;
  double case_limit = 30;
  double probe_limit = 0.5;  // CPU seconds a reader's child may use (a hang: stopped with a backtrace)
  bool isolation = true;
  long rss_limit_mb = 512;
  bool verbose = false;
};

// Per worker, in shared memory: what it is doing, for the parent's watchdog and reports.
struct Slot {
  std::atomic<std::int64_t> start_ns{0};  // 0 = between cases
  std::atomic<std::uint64_t> index{0}, done{0}, accepted{0}, refused{0}, failed{0}, hdf5_bugs{0};
  std::atomic<long> maxrss_kb{0};
  char desc[512] = {};
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Baseline {
  std::map<std::string, std::uint64_t> hash;  // base/ok seed -> counts hash when read
};

// Checks one case's result against its seed's expectation; returns "" or the failure.
std::string judge(const Case& c, const Result& res, const std::vector<Seed>& seeds, const Baseline* base) {
  if (!res.failure.empty()) return res.failure;
  const Seed& s = seeds[c.seed];
  if (c.mutated) return {};
  if (s.expect == Expect::Accept && !res.accepted) {
    const bool partial_refused = !c.allow_partial && res.message.find("is incomplete") != std::string::npos;
    if (!partial_refused) return "a valid file was refused: " + res.message;
  }
  if (s.expect == Expect::Refuse && res.accepted) return "a damaged file was accepted";
  if (base && res.accepted && !s.same_counts_as.empty()) {
    const auto it = base->hash.find(s.same_counts_as);
    if (it != base->hash.end() && it->second != res.counts_hash) return "counts differ from " + s.same_counts_as + "'s";
  }
  return {};
}

void save_case(const Options& o, std::uint64_t index, const Case& c) {
  if (o.save_dir.empty()) return;
  fs::create_directories(o.save_dir);
  const fs::path p = o.save_dir / ("case_" + std::to_string(index) + ".h5");
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(c.bytes.data()), static_cast<std::streamsize>(c.bytes.size()));
  std::printf("  saved as %s\n", p.c_str());
}

// A worker: cases first, first + step, ... < cases. Returns its exit status.
int worker(const Options& o, const std::vector<Seed>& seeds, std::uint64_t first, std::uint64_t step, Slot& slot) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  // The reader's children report here; they are killed by their alarm (with a backtrace) well
  // before the reader's own silence limit.
  // the reader's own (wall-clock) silence limit: beyond the retry's CPU limit, with room for a loaded machine
  fc::CountsReader::set_isolation(o.isolation, std::max(10.0, o.probe_limit * kSlowRetry * 3));
  g_child_alarm_s = o.probe_limit;
  g_report_dir = (fs::path(ScratchFile::dir()) / ("hdf5_fuzz_reports." + std::to_string(getpid()))).string();
  fs::create_directories(g_report_dir);
  pthread_atfork(nullptr, nullptr, in_forked_child);
  // Baseline counts of the base files, for the same_counts checks of the ok_ seeds.
  Baseline base;
  for (const Seed& s : seeds) {
    if (s.name.rfind("base_", 0) != 0) continue;
    Case c;
    c.bytes = s.bytes;
    ScratchFile m(c.bytes);
    const Result r = colour_file(m.path(), c);
    if (r.accepted) base.hash[s.name] = r.counts_hash;
  }
  const long limit_kb = o.rss_limit_mb * 1024;
  int status = 0;
  for (std::uint64_t i = first; i < o.cases; i += step) {
    const Case c = make_case(o.seed, i, seeds);
    std::snprintf(slot.desc, sizeof slot.desc, "%s", c.desc.c_str());
    slot.index = i;
    slot.start_ns = now_ns();
    Result res;
    std::vector<Diagnosis> reports;
    {
      ScratchFile m(c.bytes);
      res = colour_file(m.path(), c);
      reports = child_reports();
      // A "hang" outside libhdf5 may be a slow child on a loaded machine (a file claiming a
      // million frames: freeing its metadata under ASan alone takes ~0.3 CPU seconds): the case
      // is run once more with kSlowRetry times the CPU limit, and only that run's reports count.
      if (std::any_of(reports.begin(), reports.end(),
                      [](const Diagnosis& d) { return !d.hdf5 && d.what.rfind("hang", 0) == 0; })) {
        const double limit = g_child_alarm_s;
        g_child_alarm_s = limit * kSlowRetry;
        res = colour_file(m.path(), c);
        reports = child_reports();
        g_child_alarm_s = limit;
      }
    }
    slot.start_ns = 0;
    ++slot.done;
    ++(res.accepted ? slot.accepted : slot.refused);
    std::string why = judge(c, res, seeds, &base);
    if (why.empty() && !res.accepted &&
        (res.message.find("crashed the HDF5 library") != std::string::npos ||
         res.message.find("hangs reading its metadata") != std::string::npos)) {
#if defined(__SANITIZE_ADDRESS__)
      if (reports.empty()) why = "the reader's child failed without a sanitizer report or backtrace";
#endif
      for (const Diagnosis& d : reports) {
        if (d.hdf5) {
          ++slot.hdf5_bugs;
          std::printf("HDF5 bug (tolerated: the reader's child absorbed it): case %llu (%s): %s\n",
                      static_cast<unsigned long long>(i), c.desc.c_str(), d.what.c_str());
        } else {
          why = "the reader's child failed, and not inside libhdf5: " + d.what + "\n" + d.report;
        }
      }
    } else if (why.empty() && !reports.empty()) {
      why = "a report from the reader's child, which the reader did not notice: " + reports.front().what + "\n" +
            reports.front().report;
    }
    const long rss = maxrss_kb();
    slot.maxrss_kb = rss;
    if (why.empty() && rss > limit_kb)
      why = "peak RSS " + std::to_string(rss / 1024) + " MB above the " + std::to_string(o.rss_limit_mb) + " MB limit";
    if (o.verbose)
      std::printf("case %llu: %s -> %s\n", static_cast<unsigned long long>(i), c.desc.c_str(),
                  res.accepted ? "accepted" : fractal::fuzz::printable(res.message, 200).c_str());
    if (!why.empty()) {
      ++slot.failed;
      status = 1;
      std::printf("FAIL: case %llu (%s): %s\n", static_cast<unsigned long long>(i), c.desc.c_str(), why.c_str());
      save_case(o, i, c);
      std::fflush(stdout);
      if (rss > limit_kb) break;  // every later case would fail the same way
    }
  }
  std::fflush(stdout);
  std::error_code ec;
  fs::remove_all(g_report_dir, ec);
  return status;
}

int campaign(const Options& o, const std::vector<Seed>& seeds) {
  const unsigned jobs = std::max(1u, o.jobs);
  void* mem = mmap(nullptr, sizeof(Slot) * jobs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap failed");
  Slot* slots = new (mem) Slot[jobs];
  std::vector<pid_t> pids(jobs, -1);
  std::vector<bool> finished(jobs, false);
  std::vector<std::int64_t> killed(jobs, 0);  // start time of the case a worker was killed in
  std::uint64_t failures = 0, crashes = 0;
  long peak_kb = 0;
  auto spawn = [&](unsigned w, std::uint64_t first) {
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) std::_Exit(worker(o, seeds, first, jobs, slots[w]));
    pids[w] = pid;
  };
  for (unsigned w = 0; w < jobs; ++w) spawn(w, w);
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t limit_ns = static_cast<std::int64_t>(o.case_limit * 1e9);
  unsigned running = jobs;
  while (running > 0) {
    int st = 0;
    rusage ru{};
    const pid_t pid = wait4(-1, &st, WNOHANG, &ru);
    if (pid > 0) {
      const unsigned w = static_cast<unsigned>(std::find(pids.begin(), pids.end(), pid) - pids.begin());
      if (w >= jobs) continue;
      peak_kb = std::max(peak_kb, ru.ru_maxrss);
      Slot& s = slots[w];
      const bool mid_case = s.start_ns.load() != 0;
      if (WIFEXITED(st) && WEXITSTATUS(st) <= 1 && !mid_case) {
        if (WEXITSTATUS(st) == 1) ++failures;  // the worker printed them
        finished[w] = true;
        --running;
        continue;
      }
      // A crash, a sanitizer report or a leak report at exit.
      const std::uint64_t i = s.index.load();
      ++failures;
      ++crashes;
      if (mid_case) {
        std::printf("FAIL: case %llu (%s): worker %s %d (crash or sanitizer report above)\n", static_cast<unsigned long long>(i),
                    s.desc, WIFSIGNALED(st) ? "killed by signal" : "exited with status",
                    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        save_case(o, i, make_case(o.seed, i, seeds));
      } else {
        std::printf("FAIL: worker %u %s %d after its last case (a leak report?)\n", w,
                    WIFSIGNALED(st) ? "killed by signal" : "exited with status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
      }
      std::fflush(stdout);
      if (mid_case && i + jobs < o.cases && crashes < 20) {
        s.start_ns = 0;
        spawn(w, i + jobs);  // carry on after the crashing case
      } else {
        finished[w] = true;
        --running;
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    const std::int64_t t = now_ns();
    for (unsigned w = 0; w < jobs; ++w) {
      const std::int64_t s = slots[w].start_ns.load();
      if (!finished[w] && s != 0 && t - s > limit_ns && killed[w] != s) {
        killed[w] = s;
        std::printf("FAIL: case %llu (%s): still running after %.0f s (hang); killed\n",
                    static_cast<unsigned long long>(slots[w].index.load()), slots[w].desc, o.case_limit);
        std::fflush(stdout);
        kill(pids[w], SIGKILL);  // reported above; wait4 then restarts it after the case
      }
    }
    usleep(20000);
  }
  std::uint64_t done = 0, acc = 0, ref = 0, hdf5_bugs = 0;
  long self_kb = 0;  // the workers' own peak (wait4's figure includes their children)
  for (unsigned w = 0; w < jobs; ++w) {
    self_kb = std::max(self_kb, slots[w].maxrss_kb.load());
    done += slots[w].done;
    hdf5_bugs += slots[w].hdf5_bugs;
    acc += slots[w].accepted;
    ref += slots[w].refused;
  }
  std::printf("hdf5_fuzz: %llu files in %.1f s (%u workers): %llu accepted, %llu refused (%llu of them HDF5 library "
              "bugs absorbed by the reader's child process); peak RSS %ld MB (the reader's children: %ld MB); %s\n",
              static_cast<unsigned long long>(done), fractal::fuzz::seconds_since(t0), jobs,
              static_cast<unsigned long long>(acc), static_cast<unsigned long long>(ref),
              static_cast<unsigned long long>(hdf5_bugs), self_kb / 1024, peak_kb / 1024, failures ? "FAILURES" : "no failures");
  if (done + crashes < o.cases && !failures) {
    std::printf("FAIL: only %llu of %llu cases ran\n", static_cast<unsigned long long>(done), static_cast<unsigned long long>(o.cases));
    return 1;
  }
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::uint64_t only = ~std::uint64_t{0};
  std::string file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::fprintf(stderr, "hdf5_fuzz: %s needs a value\n", a.c_str()); std::exit(2); }
      return argv[++i];
    };
    if (a == "--seeds") o.seeds_dir = next();
    else if (a == "--cases") o.cases = std::stoull(next());
    else if (a == "--seed") o.seed = std::stoull(next());
    else if (a == "--jobs") o.jobs = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--case") only = std::stoull(next());
    else if (a == "--file") file = next();
    else if (a == "--case-limit") o.case_limit = std::stod(next());
    else if (a == "--probe-limit") o.probe_limit = std::stod(next());
    else if (a == "--no-isolation") o.isolation = false;
    else if (a == "--rss-limit-mb") o.rss_limit_mb = std::stol(next());
    else if (a == "--save") o.save_dir = fs::absolute(next());
    else if (a == "--verbose") o.verbose = true;
    else { std::fprintf(stderr, "hdf5_fuzz: unknown argument %s\n", a.c_str()); return 2; }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (!file.empty()) {  // one file as it is, e.g. a saved failing case
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    fc::CountsReader::set_isolation(o.isolation);
    Case c;
    c.allow_partial = true;
    const Result r = colour_file(file, c);
    std::printf("%s: %s\n", file.c_str(), !r.failure.empty() ? ("FAIL: " + r.failure).c_str()
                                           : r.accepted ? "accepted" : ("refused: " + r.message).c_str());
    return r.failure.empty() ? 0 : 1;
  }
  if (o.seeds_dir.empty()) {
    std::fprintf(stderr, "usage: hdf5_fuzz --seeds DIR [--cases N] [--seed S] [--jobs J] [--case I] [--file PATH] "
                         "[--case-limit S] [--probe-limit S] [--no-isolation] [--rss-limit-mb MB] [--save DIR] [--verbose]\n");
    return 2;
  }
  const std::vector<Seed> seeds = load_seeds(o.seeds_dir);
  fs::current_path(o.seeds_dir);  // external links in the seeds resolve here
  if (only != ~std::uint64_t{0}) {  // one case, in process
    std::printf("hdf5_fuzz: %zu seed files, case %llu of seed %llu\n", seeds.size(), static_cast<unsigned long long>(only),
                static_cast<unsigned long long>(o.seed));
    Slot slot;
    o.verbose = true;
    o.cases = only + 1;
    return worker(o, seeds, only, 1, slot);
  }
  std::printf("hdf5_fuzz: %zu seed files, %llu cases, seed %llu\n", seeds.size(), static_cast<unsigned long long>(o.cases),
              static_cast<unsigned long long>(o.seed));
  return campaign(o, seeds);
}
