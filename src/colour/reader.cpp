#include "fractal/colour/reader.hpp"

#include <H5PLpublic.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <malloc.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "fractal/output/chunk_codec.hpp"
#include "fractal/error.hpp"
#include "fractal/output/layout.hpp"

namespace fractal::colour {

namespace {

// Limits a render can produce (config.cpp); anything beyond is a damaged or foreign file.
constexpr std::uint64_t kMaxFrames = 1000000;
constexpr std::uint32_t kMaxSide = 65536;
constexpr std::uint64_t kMaxChunkBytes = 64u << 20;  // render_main.cpp refuses strips above 64 MiB
// Deflate cannot compress better than 1032:1 (258 bytes per 2-bit length/distance pair), so a
// deflated chunk smaller than its raw size / 1032 cannot decode to it.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
constexpr std::size_t kMaxAttrBytes = 1u << 20;  // a string attribute (the config: a few KB)

class Checker {
 public:
  explicit Checker(std::string path) : path_(std::move(path)) {}
  [[noreturn]] void fail(const std::string& what) const { throw RuntimeError("'" + path_ + "': " + what); }

  H5Handle open_dataset(hid_t loc, const char* name) const {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) fail(std::string("no dataset ") + name + " (not a fractal-render file?)");
    H5O_info_t oi;
    // Only hard links to real datasets: no external or soft links leading elsewhere.
    H5L_info_t li;
    if (H5Lget_info(loc, name, &li, H5P_DEFAULT) < 0 || li.type != H5L_TYPE_HARD) fail(std::string(name) + " is not a plain dataset");
    H5Handle d(H5Dopen2(loc, name, H5P_DEFAULT), H5Dclose);
    if (!d || H5Oget_info(d.get(), &oi) < 0 || oi.type != H5O_TYPE_DATASET) fail(std::string("cannot open dataset ") + name);
    return d;
  }

  // A group reached through a hard link only (a soft or external link could lead anywhere, even
  // into another file).
  H5Handle open_group(hid_t loc, const char* name) const {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) fail(std::string("no group /") + name + " (not a fractal-render file?)");
    H5L_info_t li;
    if (H5Lget_info(loc, name, &li, H5P_DEFAULT) < 0 || li.type != H5L_TYPE_HARD) fail(std::string("/") + name + " is not a plain group");
    H5Handle g(H5Gopen2(loc, name, H5P_DEFAULT), H5Gclose);
    if (!g) fail(std::string("cannot open group /") + name);
    return g;
  }

  std::vector<hsize_t> dims(hid_t d, const char* name) const {
    H5Handle s(H5Dget_space(d), H5Sclose);
    const int n = s ? H5Sget_simple_extent_ndims(s.get()) : -1;
    if (n < 0 || n > 8) fail(std::string("bad dataspace for ") + name);
    std::vector<hsize_t> v(static_cast<std::size_t>(n));
    H5Sget_simple_extent_dims(s.get(), v.data(), nullptr);
    return v;
  }

  template <class T>
  std::vector<T> read_1d(hid_t g, const char* name, hid_t mem_type, std::uint64_t n, H5T_class_t cls) const {
    H5Handle d = open_dataset(g, name);
    const auto dm = dims(d.get(), name);
    if (dm.size() != 1 || dm[0] != n) fail(std::string(name) + " has the wrong shape (expected [" + std::to_string(n) + "])");
    H5Handle t(H5Dget_type(d.get()), H5Tclose);
    if (!t || H5Tget_class(t.get()) != cls) fail(std::string(name) + " has the wrong type");
    std::vector<T> v(n);
    if (H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) fail(std::string("cannot read ") + name + " (truncated or damaged file?)");
    return v;
  }

  // A [n] dataset of variable-length strings (the deep jobs' exact view texts), each at most
  // kMaxAttrBytes.
  std::vector<std::string> read_strings_1d(hid_t g, const char* name, std::uint64_t n) const {
    H5Handle d = open_dataset(g, name);
    const auto dm = dims(d.get(), name);
    if (dm.size() != 1 || dm[0] != n) fail(std::string(name) + " has the wrong shape (expected [" + std::to_string(n) + "])");
    H5Handle t(H5Dget_type(d.get()), H5Tclose);
    if (!t || H5Tget_class(t.get()) != H5T_STRING || H5Tis_variable_str(t.get()) <= 0)
      fail(std::string(name) + " is not a dataset of variable-length strings");
    H5Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt.get(), H5T_VARIABLE);
    H5Tset_cset(mt.get(), H5Tget_cset(t.get()));
    std::vector<char*> p(n, nullptr);
    if (H5Dread(d.get(), mt.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) < 0)
      fail(std::string("cannot read ") + name + " (truncated or damaged file?)");
    std::vector<std::string> v(n);
    bool absurd = false;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!p[i]) continue;
      const std::size_t cap = malloc_usable_size(p[i]);
      if (cap > kMaxAttrBytes + 64) absurd = true;
      else v[i].assign(p[i], strnlen(p[i], cap));
    }
    H5Handle sp(H5Dget_space(d.get()), H5Sclose);
    H5Dvlen_reclaim(mt.get(), sp.get(), H5P_DEFAULT, p.data());
    if (absurd) fail(std::string(name) + " holds a string of absurd size");
    return v;
  }

  std::string attr_string(hid_t obj, const char* name, bool required = true) const {
    if (H5Aexists(obj, name) <= 0) {
      if (required) fail(std::string("no attribute ") + name + " (not a fractal-render file?)");
      return {};
    }
    H5Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    H5Handle t(a ? H5Aget_type(a.get()) : -1, H5Tclose);
    if (!t || H5Tget_class(t.get()) != H5T_STRING) fail(std::string("attribute ") + name + " is not a string");
    // One string: H5Aread writes every element of the attribute's dataspace into the buffer.
    H5Handle sp(H5Aget_space(a.get()), H5Sclose);
    if (!sp || H5Sget_simple_extent_npoints(sp.get()) != 1) fail(std::string("attribute ") + name + " is not a single string");
    H5Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_cset(mt.get(), H5Tget_cset(t.get()));  // HDF5 does not convert between ASCII and UTF-8
    if (H5Tis_variable_str(t.get()) > 0) {
      H5Tset_size(mt.get(), H5T_VARIABLE);
      char* p = nullptr;
      if (H5Aread(a.get(), mt.get(), &p) < 0 || !p) fail(std::string("cannot read attribute ") + name);
      // HDF5 allocates whatever length the attribute claims (a damaged length: hundreds of MB).
      // probe()'s child meets that first and refuses the file here, so this process never does.
      const std::size_t cap = malloc_usable_size(p);
      if (cap > kMaxAttrBytes + 64) {
        H5free_memory(p);
        fail(std::string("attribute ") + name + " has an absurd size");
      }
      std::string s(p, strnlen(p, cap));
      H5free_memory(p);
      return s;
    }
    const std::size_t n = H5Tget_size(t.get());
    if (n == 0 || n > kMaxAttrBytes) fail(std::string("attribute ") + name + " has an absurd size");
    std::string s(n, '\0');
    H5Tset_size(mt.get(), n);
    if (H5Aread(a.get(), mt.get(), s.data()) < 0) fail(std::string("cannot read attribute ") + name);
    s.resize(std::strlen(s.c_str()));
    return s;
  }

  template <class T>
  T attr_number(hid_t obj, const char* name, hid_t mem_type) const {
    if (H5Aexists(obj, name) <= 0) fail(std::string("no attribute ") + name + " (not a fractal-render file?)");
    H5Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    H5Handle s(a ? H5Aget_space(a.get()) : -1, H5Sclose);
    if (!s || H5Sget_simple_extent_npoints(s.get()) != 1) fail(std::string("attribute ") + name + " is not a scalar");
    T v{};
    if (H5Aread(a.get(), mem_type, &v) < 0) fail(std::string("cannot read attribute ") + name);
    return v;
  }

 private:
  std::string path_;
};

}  // namespace

std::uint64_t FileInfo::chunks_done() const {
  return static_cast<std::uint64_t>(std::count(chunk_done.begin(), chunk_done.end(), std::uint8_t{1}));
}

namespace {
bool g_isolate = true;
double g_probe_silence_s = 10;

// Writes all of `text` to fd (a pipe), ignoring failures: the reader of the pipe judges.
void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}
}  // namespace

void CountsReader::set_isolation(bool on, double silence_limit_s) {
  g_isolate = on;
  g_probe_silence_s = silence_limit_s;
}

CountsReader::CountsReader(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  H5PLset_loading_state(0);  // never load filter plugins named by a file
  if (g_isolate) probe(path);
  open(path);
}

// HDF5 1.10's decoders can crash, loop forever or allocate without bound on some damaged
// metadata (found by tests/fuzz: heap overflows decoding attribute messages, an endless loop and
// overlapping copies in the global heap that holds the string attributes, multi-GiB mallocs
// for metadata blocks of corrupted sizes), and nothing short of a parser of our own can tell such
// metadata apart beforehand. So a forked child walks everything open() and read_frame() touch
// before the counts themselves (every attribute, /frames, /chunks, the chunk index of every
// frame) and reports back through a pipe: a '.' after each step, then an error line or "OK" -
// or nothing, because it crashed, ran out of its memory allowance or went silent for the silence
// limit (a hang: killed). Only a file the child got through is then walked by this process. The
// child's stdout and stderr go to /dev/null, so whatever a crashing library prints never adds a
// line to fractal-colour's output. Costs one fork and a second metadata walk per file opened.
void CountsReader::probe(const std::string& path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;  // no isolation possible: read the file directly
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
#if !defined(__SANITIZE_ADDRESS__)
    // Metadata needs at most ~160 MB (1e6 frames of per-frame data, 2^26 chunk flags, HDF5's
    // metadata cache); 384 MiB more address space than the process has already is plenty, and
    // bounds what HDF5 may allocate for metadata blocks of corrupted sizes.
    if (std::FILE* st = std::fopen("/proc/self/statm", "r")) {
      unsigned long pages = 0;
      if (std::fscanf(st, "%lu", &pages) == 1) {
        const rlim_t as = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGE_SIZE)) + (rlim_t{384} << 20);
        const rlimit lim{as, as};
        setrlimit(RLIMIT_AS, &lim);
      }
      std::fclose(st);
    }
#endif
    std::string verdict = "OK";
    try {
      CountsReader r;
      r.heartbeat_fd_ = fds[1];  // a '.' after each step: a long walk is not a hang
      r.open(path);
      for (std::uint64_t f = 0; f < r.info_.frames; ++f) {
        r.check_chunks(f);
        r.beat();
      }
    } catch (const std::exception& e) {
      verdict = std::string("E") + e.what();
    }
    write_all(fds[1], "\n" + verdict);
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  bool silent = false;
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(g_probe_silence_s * 1000));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      silent = true;
      break;
    }
    char buf[4096];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  if (silent) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const Checker ck(path);
  if (silent)
    ck.fail("the HDF5 library hangs reading its metadata (no progress in " + std::to_string(static_cast<int>(g_probe_silence_s)) +
            " s; damaged file?)");
  const std::size_t nl = got.find('\n');  // after the progress dots
  const std::string verdict = nl == std::string::npos ? std::string() : got.substr(nl + 1);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && verdict == "OK") return;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && verdict.size() > 1 && verdict[0] == 'E')
    throw RuntimeError(verdict.substr(1));
  ck.fail(std::string("damaged HDF5 metadata: reading it crashed the HDF5 library (") +
          (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status)) : "exit status " + std::to_string(WEXITSTATUS(status))) + ")");
}

void CountsReader::beat() const {
  if (heartbeat_fd_ >= 0) write_all(heartbeat_fd_, ".");
}

// The type, chunking and filters of one [frames, height, width] plane: /counts (unsigned 16- or
// 32-bit integers) or /smooth, /distance (float32), chunked in /counts' strips.
void CountsReader::setup_plane(Plane& pl, bool floats) {
  const Checker ck(info_.path);
  FileInfo& in = info_;
  const hid_t c = pl.ds.get();
  const std::string name = pl.name;
  {
    H5Handle t(H5Dget_type(c), H5Tclose);
    if (floats) {
      if (!t || H5Tget_class(t.get()) != H5T_FLOAT || H5Tget_size(t.get()) != 4) ck.fail(name + " is not float32");
      pl.elem_bytes = 4;
      pl.big_endian = H5Tequal(t.get(), H5T_IEEE_F32BE) > 0;
      if (!pl.big_endian && H5Tequal(t.get(), H5T_IEEE_F32LE) <= 0) ck.fail(name + " is not a plain IEEE float32 type");
    } else {
      if (!t || H5Tget_class(t.get()) != H5T_INTEGER || H5Tget_sign(t.get()) != H5T_SGN_NONE ||
          (H5Tget_size(t.get()) != 2 && H5Tget_size(t.get()) != 4))
        ck.fail(name + " is not uint16 or uint32");
      pl.elem_bytes = static_cast<unsigned>(H5Tget_size(t.get()));
      // Plain little- or big-endian integers only (HDF5 also knows padded and partial-precision
      // ones, which no writer of this format produces).
      pl.big_endian = H5Tequal(t.get(), pl.elem_bytes == 2 ? H5T_STD_U16BE : H5T_STD_U32BE) > 0;
      if (!pl.big_endian && H5Tequal(t.get(), pl.elem_bytes == 2 ? H5T_STD_U16LE : H5T_STD_U32LE) <= 0)
        ck.fail(name + " is not a plain uint16 or uint32 type");
    }
    H5Handle p(H5Dget_create_plist(c), H5Pclose);
    hsize_t chunk[3] = {0, 0, 0};
    if (!p || H5Pget_layout(p.get()) != H5D_CHUNKED || H5Pget_chunk(p.get(), 3, chunk) != 3 || chunk[0] != 1 ||
        chunk[2] != in.width || chunk[1] < 1 || chunk[1] > in.height || (floats && chunk[1] != in.strip_rows))
      ck.fail(name + " is not chunked in strips [1, rows, width]" + (floats ? " like /counts" : ""));
    if (!floats) in.strip_rows = static_cast<std::uint32_t>(chunk[1]);
    if (std::uint64_t{in.strip_rows} * in.width * pl.elem_bytes > kMaxChunkBytes)
      ck.fail(name + " has chunks of " + std::to_string(std::uint64_t{in.strip_rows} * in.width * pl.elem_bytes) +
              " bytes (fractal-render writes at most " + std::to_string(kMaxChunkBytes) + ")");
    // fractal-render's pipeline is shuffle, then deflate (level 0: shuffle alone); files rewritten
    // by other tools (h5py, say) may drop either or add fletcher32 last. Every chunk is decoded
    // here (read_frame_raw), never by HDF5's filters: HDF5 1.10 copies a whole chunk's worth of
    // bytes out of a filter's output even when a damaged chunk decodes shorter (a heap over-read
    // tests/fuzz found). Any other filter, or another order, is refused before a chunk is read:
    // an unknown filter cannot be decoded (plugins are never loaded), and szip, nbit and
    // scale-offset are no part of this format.
    const int nf = H5Pget_nfilters(p.get());
    if (nf < 0 || nf > 3) ck.fail(name + " has " + std::to_string(nf) + " filters (fractal-colour reads shuffle, deflate, fletcher32)");
    const H5Z_filter_t order[3] = {H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE, H5Z_FILTER_FLETCHER32};
    int next = 0;  // the pipeline must be a subsequence of `order`
    for (int i = 0; i < nf; ++i) {
      unsigned flags = 0, cd[8];
      std::size_t ncd = 8;
      const H5Z_filter_t id = H5Pget_filter2(p.get(), static_cast<unsigned>(i), &flags, &ncd, cd, 0, nullptr, nullptr);
      if (id != H5Z_FILTER_SHUFFLE && id != H5Z_FILTER_DEFLATE && id != H5Z_FILTER_FLETCHER32)
        ck.fail(name + " uses HDF5 filter " + std::to_string(id) + ", which fractal-colour does not read (only shuffle, deflate and fletcher32)");
      while (next < 3 && order[next] != id) ++next;
      if (next == 3) ck.fail(name + " has its filters in an order fractal-colour does not read (shuffle, deflate, fletcher32)");
      pl.filter_bit[next++] = 1u << i;  // bit i of a chunk's filter mask: filter i was skipped
    }
  }
}

void CountsReader::open(const std::string& path) {
  const Checker ck(path);
  FileInfo& in = info_;
  in.path = path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    errno = ENOENT;
    if (std::filesystem::exists(path, ec)) ck.fail("not a regular file");
    ck.fail(std::strerror(ENOENT));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) ck.fail("not an HDF5 file (or truncated)");
  file_ = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file_) ck.fail("cannot open as HDF5 (truncated or damaged?)");
  const hid_t f = file_.get();
  beat();
  if (ck.attr_string(f, "format") != "fractal-hpc") ck.fail("not a fractal-hpc file (attribute format differs)");
  in.format_version = ck.attr_number<std::int32_t>(f, "format_version", H5T_NATIVE_INT32);
  if (in.format_version < 1 || in.format_version > 3)
    ck.fail("format_version " + std::to_string(in.format_version) + " is not supported (this reader knows 1 to 3)");
  in.complete = ck.attr_number<std::int32_t>(f, "complete", H5T_NATIVE_INT32) == 1;
  in.created = ck.attr_string(f, "created", false);
  in.software_version = ck.attr_string(f, "software_version", false);
  in.command_line = ck.attr_string(f, "command_line", false);
  in.config = ck.attr_string(f, "config", false);

  counts_.name = "/counts";
  counts_.ds = ck.open_dataset(f, "counts");
  beat();
  const hid_t c = counts_.ds.get();
  const auto dm = ck.dims(c, "/counts");
  if (dm.size() != 3) ck.fail("/counts is not 3-dimensional [frames, height, width]");
  if (dm[0] < 1 || dm[0] > kMaxFrames || dm[1] < 1 || dm[1] > kMaxSide || dm[2] < 1 || dm[2] > kMaxSide)
    ck.fail("/counts has an absurd shape [" + std::to_string(dm[0]) + ", " + std::to_string(dm[1]) + ", " + std::to_string(dm[2]) + "]");
  in.frames = dm[0];
  in.height = static_cast<std::uint32_t>(dm[1]);
  in.width = static_cast<std::uint32_t>(dm[2]);
  setup_plane(counts_, false);
  in.count_bytes = counts_.elem_bytes;
  // The optional float32 planes (format_version 2): the same shape, chunks and kind of filters.
  if (in.format_version >= 2) {
    for (Plane* pl : {&smooth_, &distance_}) {
      const char* name = pl == &smooth_ ? "smooth" : "distance";
      if (H5Lexists(f, name, H5P_DEFAULT) <= 0) continue;
      pl->name = pl == &smooth_ ? "/smooth" : "/distance";
      pl->ds = ck.open_dataset(f, name);
      if (ck.dims(pl->ds.get(), pl->name) != dm) ck.fail(std::string(pl->name) + " does not have the shape of /counts");
      setup_plane(*pl, true);
      beat();
    }
    in.has_smooth = static_cast<bool>(smooth_.ds);
    in.has_distance = static_cast<bool>(distance_.ds);
  }
  in.strips_per_frame = (in.height + in.strip_rows - 1) / in.strip_rows;
  if (ck.attr_number<std::uint32_t>(c, "width", H5T_NATIVE_UINT32) != in.width ||
      ck.attr_number<std::uint32_t>(c, "height", H5T_NATIVE_UINT32) != in.height)
    ck.fail("/counts attributes width/height disagree with its shape");
  in.fractal = ck.attr_string(c, "fractal");
  in.escape_radius = ck.attr_number<double>(c, "escape_radius", H5T_NATIVE_DOUBLE);
  in.fps = ck.attr_number<double>(c, "fps", H5T_NATIVE_DOUBLE);
  if (H5Aexists(c, "z0_re") > 0 && H5Aexists(c, "z0_im") > 0) {
    in.z0_re = ck.attr_number<double>(c, "z0_re", H5T_NATIVE_DOUBLE);
    in.z0_im = ck.attr_number<double>(c, "z0_im", H5T_NATIVE_DOUBLE);
  }
  if (H5Aexists(c, "zoom_sequence_ratio") > 0) {
    in.sequence_ratio = ck.attr_number<double>(c, "zoom_sequence_ratio", H5T_NATIVE_DOUBLE);
    in.sequence_oversize = ck.attr_number<std::uint32_t>(c, "zoom_sequence_oversize", H5T_NATIVE_UINT32);
    in.sequence_duration = ck.attr_number<double>(c, "zoom_sequence_duration", H5T_NATIVE_DOUBLE);
    in.sequence_steps = static_cast<double>(in.frames - 1);
    if (H5Aexists(c, "zoom_sequence_steps") > 0)
      in.sequence_steps = ck.attr_number<double>(c, "zoom_sequence_steps", H5T_NATIVE_DOUBLE);
    if (!(in.sequence_steps > 0 && in.sequence_steps <= static_cast<double>(in.frames - 1) + 1e-9))
      ck.fail("/counts attribute zoom_sequence_steps is out of range");
    if (!(in.sequence_ratio > 1 && in.sequence_ratio <= 1e6) || in.sequence_oversize < 1 || in.sequence_oversize > 64 ||
        !(in.sequence_duration >= 0 && in.sequence_duration <= 1e7))
      ck.fail("/counts attributes zoom_sequence_ratio/oversize/duration are out of range");
  }
  if (!(in.fps > 0 && in.fps <= 1000)) in.fps = 30;  // only a default for videos; --fps overrides
  in.output_width = in.width;
  in.output_height = in.height;
  if (in.format_version >= 2) {
    in.family = ck.attr_string(c, "family");
    in.power = ck.attr_number<std::uint32_t>(c, "power", H5T_NATIVE_UINT32);
    in.supersample = ck.attr_number<std::uint32_t>(c, "supersample", H5T_NATIVE_UINT32);
    in.output_width = ck.attr_number<std::uint32_t>(c, "output_width", H5T_NATIVE_UINT32);
    in.output_height = ck.attr_number<std::uint32_t>(c, "output_height", H5T_NATIVE_UINT32);
    if (in.supersample < 1 || in.supersample > 64 || std::uint64_t{in.output_width} * in.supersample != in.width ||
        std::uint64_t{in.output_height} * in.supersample != in.height)
      ck.fail("/counts attributes supersample, output_width and output_height disagree with its shape");
  }

  H5Handle g = ck.open_group(f, "frames");
  beat();
  const std::uint64_t n = in.frames;
  in.xmin = ck.read_1d<double>(g.get(), "xmin", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  beat();
  in.xmax = ck.read_1d<double>(g.get(), "xmax", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  beat();
  in.ymin = ck.read_1d<double>(g.get(), "ymin", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  beat();
  in.ymax = ck.read_1d<double>(g.get(), "ymax", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  beat();
  in.c_re = ck.read_1d<double>(g.get(), "c_re", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  beat();
  in.c_im = ck.read_1d<double>(g.get(), "c_im", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  beat();
  in.max_iter = ck.read_1d<std::uint32_t>(g.get(), "max_iter", H5T_NATIVE_UINT32, n, H5T_INTEGER);
  beat();
  in.rotation = in.format_version >= 2 ? ck.read_1d<double>(g.get(), "rotation", H5T_NATIVE_DOUBLE, n, H5T_FLOAT)
                                       : std::vector<double>(n, 0.0);
  in.method = in.format_version >= 3 ? ck.read_1d<std::uint8_t>(g.get(), "method", H5T_NATIVE_UINT8, n, H5T_INTEGER)
                                     : std::vector<std::uint8_t>(n, 0);
  if (in.format_version >= 3 && H5Lexists(g.get(), "center_re", H5P_DEFAULT) > 0) {
    in.center_re = ck.read_strings_1d(g.get(), "center_re", n);
    in.center_im = ck.read_strings_1d(g.get(), "center_im", n);
    in.view_width = ck.read_strings_1d(g.get(), "view_width", n);
    in.julia_c_re = ck.read_strings_1d(g.get(), "julia_c_re", n);
    in.julia_c_im = ck.read_strings_1d(g.get(), "julia_c_im", n);
  }
  beat();
  for (std::uint64_t i = 0; i < n; ++i) {
    if (in.method[i] > 2)
      ck.fail("/frames/method[" + std::to_string(i) + "] = " + std::to_string(in.method[i]) + " is not a known method (0, 1, 2)");
    if (in.max_iter[i] < 1 || (in.count_bytes == 2 && in.max_iter[i] > 65535))
      ck.fail("/frames/max_iter[" + std::to_string(i) + "] = " + std::to_string(in.max_iter[i]) + " does not fit the counts' type");
  }

  const std::uint64_t nchunks = n * in.strips_per_frame;
  if (nchunks > kMaxChunks) ck.fail("/counts claims " + std::to_string(nchunks) + " chunks (more than a render writes)");
  H5Handle cg = ck.open_group(f, "chunks");
  in.chunk_done = ck.read_1d<std::uint8_t>(cg.get(), "done", H5T_NATIVE_UINT8, nchunks, H5T_INTEGER);
  beat();
}

namespace {

// HDF5's fletcher32 filter: this Fletcher-32 variant over 16-bit big-endian words, stored after
// the data as a little-endian uint32 (files from HDF5 before 1.6.?: byte-swapped; both accepted).
std::uint32_t fletcher32(const std::uint8_t* data, std::size_t bytes) {
  std::size_t len = bytes / 2;
  std::uint32_t sum1 = 0, sum2 = 0;
  while (len) {
    std::size_t tlen = len > 360 ? 360 : len;
    len -= tlen;
    do {
      sum1 += (std::uint32_t{data[0]} << 8) | data[1];
      data += 2;
      sum2 += sum1;
    } while (--tlen);
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  if (bytes % 2) {
    sum1 += std::uint32_t{*data} << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  return (sum2 << 16) | sum1;
}

struct InflaterDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

}  // namespace

// Reads frame f's chunks as stored (H5Dread_chunk) and decodes them here. fractal-render's own
// layout (little-endian, shuffle, maybe deflate, no filter skipped) takes decode_chunk_into(),
// vectorised and libdeflate-based (several times faster than HDF5's zlib filter); anything else
// the reader accepts (big-endian, fletcher32, no shuffle, a filter skipped for a chunk) the
// general loop below.
void CountsReader::read_frame_raw(Plane& pl, std::uint64_t f, std::vector<std::uint32_t>& counts,
                                  const std::vector<std::uint8_t>& missing) {
  const FileInfo& in = info_;
  const std::size_t W = in.width, cb = pl.elem_bytes;
  chunk_.resize(std::size_t{in.strip_rows} * W);  // [strip_rows, width]
  const std::size_t elements = chunk_.size(), raw_bytes = elements * cb;
  for (std::uint32_t s = 0; s < in.strips_per_frame; ++s) {
    const std::uint32_t r0 = s * in.strip_rows, r1 = std::min(in.height, r0 + in.strip_rows);
    if (missing[r0]) {
      std::fill(counts.begin() + r0 * W, counts.begin() + r1 * W, 0u);
      continue;
    }
    auto damaged = [&](const char* what) {
      return RuntimeError("'" + in.path + "': chunk " + std::to_string(f * in.strips_per_frame + s) + " of " + pl.name + " " + what);
    };
    hsize_t offset[3] = {f, r0, 0};
    stored_.resize(pl.chunk_bytes[s]);  // checked by check_chunks()
    std::uint32_t mask = 0;
    if (H5Dread_chunk(pl.ds.get(), H5P_DEFAULT, offset, &mask, stored_.data()) < 0 ||
        (mask & ~(pl.filter_bit[0] | pl.filter_bit[1] | pl.filter_bit[2])) != 0)
      throw damaged("cannot be read (truncated or damaged file?)");
    const bool shuffled = pl.filter_bit[0] && !(mask & pl.filter_bit[0]);
    const bool deflated = pl.filter_bit[1] && !(mask & pl.filter_bit[1]);
    const bool fletcher = pl.filter_bit[2] && !(mask & pl.filter_bit[2]);
    if (shuffled && !fletcher && !pl.big_endian) {
      if (!decode_chunk_into(stored_, pl.elem_bytes, deflated, chunk_, scratch_))
        throw damaged("does not decompress to its size (damaged file)");
    } else {
      std::size_t n = stored_.size();
      if (fletcher) {  // the filters are undone last to first
        if (n <= 4) throw damaged("has an impossible size (damaged file?)");
        n -= 4;
        const std::uint8_t* t = stored_.data() + n;
        const std::uint32_t want = t[0] | (std::uint32_t{t[1]} << 8) | (std::uint32_t{t[2]} << 16) | (std::uint32_t{t[3]} << 24);
        const std::uint32_t got = fletcher32(stored_.data(), n);
        if (want != got && want != __builtin_bswap32(got))
          throw damaged("fails its fletcher32 checksum (damaged file)");
      }
      const std::uint8_t* bytes = stored_.data();
      if (deflated) {
        thread_local std::unique_ptr<libdeflate_decompressor, InflaterDeleter> inflater(libdeflate_alloc_decompressor());
        if (!inflater) throw RuntimeError("cannot allocate a deflate decompressor");
        scratch_.resize(raw_bytes);
        std::size_t got = 0;
        if (libdeflate_zlib_decompress(inflater.get(), stored_.data(), n, scratch_.data(), raw_bytes, &got) != LIBDEFLATE_SUCCESS ||
            got != raw_bytes)
          throw damaged("does not decompress to its size (damaged file)");
        bytes = scratch_.data();
      } else if (n != raw_bytes) {
        throw damaged("has an impossible size (damaged file?)");
      }
      // Byte k of element i: plane k (shuffled) or the element's own bytes; k = 0 least significant.
      for (std::size_t i = 0; i < elements; ++i) {
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < cb; ++k) {
          const std::size_t byte = pl.big_endian ? cb - 1 - k : k;
          v |= std::uint32_t{shuffled ? bytes[byte * elements + i] : bytes[i * cb + byte]} << (8 * k);
        }
        chunk_[i] = v;
      }
    }
    std::copy(chunk_.begin(), chunk_.begin() + (r1 - r0) * W, counts.begin() + r0 * W);
  }
}

// Every chunk of frame f that the file claims to hold must be on disk with a size its filters can
// decode to a strip, before the frame's buffers are allocated: a damaged or hostile file that
// claims a huge frame it does not hold is refused here rather than after allocating for it.
// (H5Dget_chunk_storage_size is a B-tree lookup; HDF5 1.10's H5Dget_chunk_info_by_coord, which
// would also give the chunk's filter mask, walks the whole chunk index per call. So the size is
// checked here against every filter mask the chunk could have, and read_frame_raw() checks it
// exactly against the mask H5Dread_chunk reports.)
void CountsReader::check_chunks(std::uint64_t f) {
  for (Plane* pl : {&counts_, &smooth_, &distance_})
    if (pl->ds) check_plane_chunks(*pl, f);
}

void CountsReader::check_plane_chunks(Plane& pl, std::uint64_t f) {
  const FileInfo& in = info_;
  const std::uint64_t raw_bytes = std::uint64_t{in.strip_rows} * in.width * pl.elem_bytes;
  const bool deflate = pl.filter_bit[1] != 0, fletcher = pl.filter_bit[2] != 0;
  // Deflate gives at least raw / 1032 and at most ~0.1% more; without it the size is exact;
  // fletcher32 appends 4 bytes.
  auto plausible = [&](std::uint64_t n) {
    return n == raw_bytes || (deflate && n >= raw_bytes / kMaxDeflateRatio && n <= raw_bytes + raw_bytes / 8 + 1024);
  };
  pl.chunk_bytes.assign(in.strips_per_frame, 0);
  for (std::uint32_t s = 0; s < in.strips_per_frame; ++s) {
    if (!in.chunk_done[f * in.strips_per_frame + s]) continue;
    hsize_t offset[3] = {f, hsize_t{s} * in.strip_rows, 0};
    hsize_t nbytes = 0;
    const bool ok = H5Dget_chunk_storage_size(pl.ds.get(), offset, &nbytes) >= 0 && nbytes > 0 &&
                    (plausible(nbytes) || (fletcher && nbytes > 4 && plausible(nbytes - 4)));
    if (!ok)
      throw RuntimeError("'" + in.path + "': chunk " + std::to_string(f * in.strips_per_frame + s) +
                         " of " + pl.name + " is missing or has an impossible size (damaged file?)");
    pl.chunk_bytes[s] = nbytes;
  }
}

void CountsReader::read_frame(std::uint64_t f, std::vector<std::uint32_t>& counts, std::vector<std::uint8_t>& missing) {
  const FileInfo& in = info_;
  if (f >= in.frames) throw RuntimeError("'" + in.path + "': no frame " + std::to_string(f));
  check_plane_chunks(counts_, f);
  counts.resize(std::size_t{in.width} * in.height);  // [height, width]
  missing.assign(in.height, 0);                       // [height]
  for (std::uint32_t s = 0; s < in.strips_per_frame; ++s)
    if (!in.chunk_done[f * in.strips_per_frame + s])
      for (std::uint32_t r = s * in.strip_rows; r < std::min(in.height, (s + 1) * in.strip_rows); ++r) missing[r] = 1;
  read_frame_raw(counts_, f, counts, missing);
  const std::uint32_t mi = in.max_iter[f];
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > mi)
      throw RuntimeError("'" + in.path + "': frame " + std::to_string(f) + " has a count " + std::to_string(counts[i]) +
                         " above its max_iter " + std::to_string(mi) + " (damaged file)");
}

void CountsReader::read_floats(Plane& pl, std::uint64_t f, std::vector<float>& out, const std::vector<std::uint8_t>& missing) {
  const FileInfo& in = info_;
  if (!pl.ds) throw RuntimeError("'" + in.path + "': no dataset " + pl.name);
  if (f >= in.frames) throw RuntimeError("'" + in.path + "': no frame " + std::to_string(f));
  if (missing.size() != in.height) throw RuntimeError("'" + in.path + "': read frame " + std::to_string(f) + " before its " + pl.name);
  check_plane_chunks(pl, f);
  bits_.resize(std::size_t{in.width} * in.height);
  read_frame_raw(pl, f, bits_, missing);
  out.resize(bits_.size());
  for (std::size_t i = 0; i < bits_.size(); ++i) out[i] = std::bit_cast<float>(bits_[i]);
}

void CountsReader::read_smooth(std::uint64_t f, std::vector<float>& out, const std::vector<std::uint8_t>& missing) {
  read_floats(smooth_, f, out, missing);
}

void CountsReader::read_distance(std::uint64_t f, std::vector<float>& out, const std::vector<std::uint8_t>& missing) {
  read_floats(distance_, f, out, missing);
}

}  // namespace fractal::colour
