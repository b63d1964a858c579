#include "fractal/output/store.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>

#include "fractal/error.hpp"
#include "fractal/output/journal.hpp"
#include "fractal/output/job_identity.hpp"
#include "fractal/version.hpp"
#include "fractal/deep/zoom_path.hpp"

namespace fractal {

namespace {

std::string system_reason() { return errno ? std::strerror(errno) : "HDF5 library error"; }

std::string directory_of(const std::string& path) {
  std::filesystem::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

// Attribute writers; each throws with the attribute's name on failure.
void attr_string(hid_t obj, const char* name, const std::string& value) {
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  H5Handle a(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  if (!a || H5Awrite(a.get(), type.get(), &p) < 0)
    throw RuntimeError(std::string("cannot write attribute '") + name + "'");
}

template <class T>
void attr_scalar(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, T value) {
  H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  H5Handle a(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a || H5Awrite(a.get(), mem_type, &value) < 0)
    throw RuntimeError(std::string("cannot write attribute '") + name + "'");
}

H5Handle create_1d(hid_t parent, const char* name, hid_t file_type, std::uint64_t n) {
  hsize_t dims[1] = {n};
  H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  H5Handle d(H5Dcreate2(parent, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             H5Dclose);
  if (!d) throw RuntimeError(std::string("cannot create dataset '") + name + "'");
  return d;
}

template <class T>
void write_1d(hid_t parent, const char* name, hid_t file_type, hid_t mem_type, const std::vector<T>& v) {
  H5Handle d = create_1d(parent, name, file_type, v.size());
  if (H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw RuntimeError(std::string("cannot write dataset '") + name + "'");
}

// A [n] dataset of variable-length UTF-8 strings.
void write_strings(hid_t parent, const char* name, const std::vector<std::string>& v) {
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  H5Handle d = create_1d(parent, name, type.get(), v.size());
  std::vector<const char*> p(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) p[i] = v[i].c_str();
  if (H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) < 0)
    throw RuntimeError(std::string("cannot write dataset '") + name + "'");
}

}  // namespace

std::string partial_path(const std::string& final_path) { return final_path + ".partial"; }

std::string utc_now() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void check_output_path(const Config& cfg) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(cfg.output, ec))
    throw UsageError("--output '" + cfg.output + "' is a directory; give a file name");
  const std::string dir = directory_of(cfg.output);
  if (!fs::is_directory(dir, ec))
    throw RuntimeError("cannot create '" + cfg.output + "': directory '" + dir + "' does not exist");
  if (access(dir.c_str(), W_OK | X_OK) != 0)
    throw RuntimeError("cannot create '" + cfg.output + "': " + std::strerror(errno));
}

void check_disk_space(const Config& cfg, const ChunkLayout& layout, std::uint64_t chunks_left) {
  const std::string dir = directory_of(cfg.output);
  struct statvfs st{};
  if (!cfg.skip_disk_check && statvfs(dir.c_str(), &st) == 0) {
    // Uncompressed size: compression usually saves several times that (a resumed job briefly
    // holds the kept chunks twice while it copies them), but a job that only fits if it
    // compresses well should be a conscious choice (--skip-disk-check).
    // Counts, plus 4 bytes per sample for each of /smooth and /distance the job stores.
    const unsigned sample_bytes = cfg.count_bytes() + (cfg.smooth ? 4u : 0u) + (cfg.distance ? 4u : 0u);
    const long double all = static_cast<long double>(layout.frames) * layout.width * layout.height * sample_bytes;
    const long double need = layout.chunk_count() ? all * chunks_left / layout.chunk_count() : 0;
    const long double have = static_cast<long double>(st.f_bavail) * st.f_frsize;
    if (need > have) {
      char msg[512];
      std::snprintf(msg, sizeof msg,
                    "--output '%s': the job's %.3g GB of counts (uncompressed) exceed the %.3g GB free in '%s'; "
                    "free space, choose another directory, or pass --skip-disk-check",
                    cfg.output.c_str(), static_cast<double>(need / 1e9), static_cast<double>(have / 1e9), dir.c_str());
      throw UsageError(msg);
    }
  }
}

OutputFile::OutputFile(const Config& cfg, const std::vector<FrameParams>& frames,
                       const ChunkLayout& layout, const std::string& command_line, const std::string& created,
                       const std::string& path)
    : final_(cfg.output), partial_(path.empty() ? partial_path(cfg.output) : path), layout_(layout) {
  if (const char* v = std::getenv("FRACTAL_TEST_DISK_LIMIT")) test_limit_ = std::strtoull(v, nullptr, 10);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // every return code is checked here instead
  const std::uint64_t nchunks = layout.chunk_count();
  done_.assign(nchunks, 0);
  hash_.assign(nchunks, 0);
  iterations_.assign(nchunks, 0);

  errno = 0;
  // No aggregation of small raw-data allocations: every chunk gets its own space, at the end of
  // the file, where write_chunk looks for it first.
  H5Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_small_data_block_size(fapl.get(), 0);
  file_ = H5Handle(H5Fcreate(partial_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!file_) fail("cannot create");
  sync_fd_ = ::open(partial_.c_str(), O_RDONLY | O_CLOEXEC);
  if (sync_fd_ < 0) fail("cannot open");
  try {
    const hid_t f = file_.get();
    attr_string(f, "format", "fractal-hpc");
    attr_scalar<std::int32_t>(f, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT32, kFormatVersion);
    attr_string(f, "software_version", kVersion);
    attr_string(f, "created", created);
    attr_string(f, "command_line", command_line);
    attr_string(f, "config", cfg.resolved_text());
    attr_scalar<std::int32_t>(f, "complete", H5T_STD_I32LE, H5T_NATIVE_INT32, 0);

    // /counts [frames, height, width] of the stored sample grid (output pixels x --supersample),
    // one strip of rows per chunk: [1, strip_rows, width].
    hsize_t dims[3] = {layout.frames, layout.height, layout.width};
    hsize_t chunk[3] = {1, layout.strip_rows, layout.width};
    H5Handle space(H5Screate_simple(3, dims, nullptr), H5Sclose);
    H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl.get(), 3, chunk);
    H5Pset_shuffle(dcpl.get());
    if (cfg.compression_level > 0) H5Pset_deflate(dcpl.get(), static_cast<unsigned>(cfg.compression_level));
    H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
    const hid_t count_type = cfg.count_bytes() == 2 ? H5T_STD_U16LE : H5T_STD_U32LE;
    counts_ = H5Handle(H5Dcreate2(f, "counts", count_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose);
    if (!counts_) fail("cannot create dataset /counts in");
    const hid_t c = counts_.get();
    attr_string(c, "fractal", fractal_name(cfg.fractal));
    attr_scalar<double>(c, "escape_radius", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cfg.escape_radius);
    // width/height: the stored grid (samples); output_width/height: the image it is for.
    attr_scalar<std::uint32_t>(c, "width", H5T_STD_U32LE, H5T_NATIVE_UINT32, layout.width);
    attr_scalar<std::uint32_t>(c, "height", H5T_STD_U32LE, H5T_NATIVE_UINT32, layout.height);
    attr_scalar<std::uint32_t>(c, "output_width", H5T_STD_U32LE, H5T_NATIVE_UINT32, cfg.width);
    attr_scalar<std::uint32_t>(c, "output_height", H5T_STD_U32LE, H5T_NATIVE_UINT32, cfg.height);
    attr_scalar<std::uint32_t>(c, "supersample", H5T_STD_U32LE, H5T_NATIVE_UINT32, cfg.supersample);
    attr_string(c, "family", family_name(cfg.family));
    attr_scalar<std::uint32_t>(c, "power", H5T_STD_U32LE, H5T_NATIVE_UINT32,
                               cfg.family == Family::Multibrot ? cfg.power : 2u);
    attr_scalar<std::uint64_t>(c, "frames", H5T_STD_U64LE, H5T_NATIVE_UINT64, cfg.frames);
    attr_scalar<double>(c, "fps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cfg.fps);
    attr_scalar<double>(c, "z0_re", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cfg.fractal == Fractal::Mandelbrot ? cfg.z0_re : NAN);
    attr_scalar<double>(c, "z0_im", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cfg.fractal == Fractal::Mandelbrot ? cfg.z0_im : NAN);
    attr_scalar<std::uint32_t>(c, "strip_rows", H5T_STD_U32LE, H5T_NATIVE_UINT32, layout.strip_rows);
    if (cfg.perturbation()) attr_string(c, "deep", deep_identity(cfg));
    if (cfg.zoom_sequence) {  // exponential map (docs/FORMAT.md "Zoom sequences"): fractal-colour composes from these
      attr_scalar<double>(c, "zoom_sequence_ratio", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cfg.zoom_sequence);
      attr_scalar<std::uint64_t>(c, "zoom_sequence_keyframes", H5T_STD_U64LE, H5T_NATIVE_UINT64, cfg.frames);
      attr_scalar<std::uint32_t>(c, "zoom_sequence_oversize", H5T_STD_U32LE, H5T_NATIVE_UINT32, cfg.supersample);
      attr_scalar<double>(c, "zoom_sequence_duration", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cfg.sequence_duration);
      // The zoom asked for, in keyframe steps: log_R(w0 / w1) <= keyframes - 1 (the video ends at w1).
      attr_scalar<double>(c, "zoom_sequence_steps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                          deep::zoom_decades(cfg.view_width_text, cfg.end_view_width_text) / std::log10(cfg.zoom_sequence));
    }

    // /smooth and /distance: float32 on the same grid and chunks, the same filters.
    auto float_plane = [&](const char* name) {
      H5Handle d(H5Dcreate2(f, name, H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose);
      if (!d) fail(std::string("cannot create dataset /") + name + " in");
      return d;
    };
    if (cfg.smooth) smooth_ = float_plane("smooth");
    if (cfg.distance) distance_ = float_plane("distance");

    // /frames/*: the per-frame parameters actually used, so any pixel can be recomputed.
    H5Handle g(H5Gcreate2(f, "frames", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g) fail("cannot create group /frames in");
    std::vector<double> v(frames.size());
    auto column = [&](const char* name, auto member) {
      for (std::size_t i = 0; i < frames.size(); ++i) v[i] = member(frames[i]);
      write_1d(g.get(), name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
    };
    const bool julia = cfg.fractal == Fractal::Julia;
    column("xmin", [](const FrameParams& p) { return p.xmin; });
    column("xmax", [](const FrameParams& p) { return p.xmax; });
    column("ymin", [](const FrameParams& p) { return p.ymin; });
    column("ymax", [](const FrameParams& p) { return p.ymax; });
    column("c_re", [julia](const FrameParams& p) { return julia ? p.c_re : NAN; });
    column("c_im", [julia](const FrameParams& p) { return julia ? p.c_im : NAN; });
    column("rotation", [](const FrameParams& p) { return p.rotation; });
    column("rotation_cos", [](const FrameParams& p) { return p.rot_cos; });
    column("rotation_sin", [](const FrameParams& p) { return p.rot_sin; });
    std::vector<std::uint32_t> mi(frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) mi[i] = frames[i].max_iter;
    write_1d(g.get(), "max_iter", H5T_STD_U32LE, H5T_NATIVE_UINT32, mi);
    // How each frame was computed, and for perturbation frames the exact view as text (a still
    // repeats the job's view; a deep zoom has each frame's own width and centre).
    const deep::DeepJob dj = deep::plan_deep(cfg, frames);
    std::vector<std::uint8_t> method(frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) method[i] = static_cast<std::uint8_t>(dj.method[i]);
    write_1d(g.get(), "method", H5T_STD_U8LE, H5T_NATIVE_UINT8, method);
    if (dj.active()) {
      write_strings(g.get(), "center_re", dj.center_re);
      write_strings(g.get(), "center_im", dj.center_im);
      write_strings(g.get(), "view_width", dj.view_width);
      write_strings(g.get(), "julia_c_re", dj.julia_c_re);
      write_strings(g.get(), "julia_c_im", dj.julia_c_im);
      // The reference each perturbation frame starts from: its index in /reference's orbits (the
      // order of their roles), -1 for a double frame.
      std::vector<std::int32_t> ref(frames.size());
      for (std::size_t i = 0; i < frames.size(); ++i)
        ref[i] = dj.method[i] == deep::Method::Double ? -1 : static_cast<std::int32_t>(dj.frame_ref[i]);
      write_1d(g.get(), "reference", H5T_STD_I32LE, H5T_NATIVE_INT32, ref);
    }

    // /chunks/*: completion state, one entry per chunk in chunk-index order (frame-major).
    H5Handle cg(H5Gcreate2(f, "chunks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!cg) fail("cannot create group /chunks in");
    attr_scalar<std::uint32_t>(cg.get(), "strips_per_frame", H5T_STD_U32LE, H5T_NATIVE_UINT32, layout.strips_per_frame);
    done_ds_ = create_1d(cg.get(), "done", H5T_STD_U8LE, nchunks);
    hash_ds_ = create_1d(cg.get(), "hash", H5T_STD_U64LE, nchunks);
    iter_ds_ = create_1d(cg.get(), "iterations", H5T_STD_U64LE, nchunks);
    checkpoint();
  } catch (const RuntimeError& e) {
    fail(e.what() + std::string(" in"));
  }
}

OutputFile::~OutputFile() {
  // Close in dependency order; a file left unfinished stays as OUT.h5.partial.
  iter_ds_.reset();
  hash_ds_.reset();
  done_ds_.reset();
  distance_.reset();
  smooth_.reset();
  counts_.reset();
  file_.reset();
  if (sync_fd_ >= 0) ::close(sync_fd_);
}

void OutputFile::fail(const std::string& what) const {
  throw RuntimeError(what + " '" + partial_ + "': " + system_reason());
}

std::array<PlaneRef, 3> OutputFile::write_chunk(std::uint64_t index, std::span<const std::uint8_t> bytes,
                                                 std::uint64_t hash, std::uint64_t iterations,
                                                 std::span<const std::uint8_t> smooth,
                                                 std::span<const std::uint8_t> distance) {
  const ChunkRef r = chunk_ref(layout_, index);
  hsize_t offset[3] = {r.frame, r.row_begin, 0};
  if (static_cast<bool>(smooth_) != !smooth.empty() || static_cast<bool>(distance_) != !distance.empty())
    throw RuntimeError("chunk " + std::to_string(index) + " does not carry the /smooth and /distance planes this job stores");
  auto what = [&] { return "writing chunk " + std::to_string(index) + " (frame " + std::to_string(r.frame) + ") to"; };
  const std::uint64_t n = bytes.size() + smooth.size() + distance.size();
  if (test_limit_ && bytes_written_ + n > test_limit_) {  // as a full disk would
    errno = ENOSPC;
    fail(what());
  }
  std::array<PlaneRef, 3> where{};
  const hid_t sets[3] = {counts_.get(), smooth_ ? smooth_.get() : H5I_INVALID_HID,
                         distance_ ? distance_.get() : H5I_INVALID_HID};
  const std::span<const std::uint8_t> planes[3] = {bytes, smooth, distance};
  for (int i = 0; i < 3; ++i) {
    if (sets[i] == H5I_INVALID_HID) continue;
    // Where HDF5 puts it: a new chunk's space is normally taken at the end of the file's
    // allocated space, so that address is tried first and checked against the bytes now in the
    // file; only if they differ is HDF5 asked (H5Dget_chunk_info_by_coord walks the whole chunk
    // index: far too slow per chunk). File addresses are byte offsets: the file has no user block.
    haddr_t eoa = HADDR_UNDEF;
    errno = 0;
    if (H5Fget_eoa(file_.get(), &eoa) < 0 ||
        H5Dwrite_chunk(sets[i], H5P_DEFAULT, 0, offset, planes[i].size(), planes[i].data()) < 0)
      fail(what());
    haddr_t addr = eoa;
    if (!holds(eoa, planes[i])) {
      ++located_slowly_;
      unsigned filters = 0;
      hsize_t size = 0;
      addr = HADDR_UNDEF;
      if (H5Dget_chunk_info_by_coord(sets[i], offset, &filters, &addr, &size) < 0 || addr == HADDR_UNDEF ||
          size != planes[i].size() || !holds(addr, planes[i]))
        fail("locating chunk " + std::to_string(index) + " in");
    }
    where[i] = PlaneRef{addr, static_cast<std::uint32_t>(planes[i].size()), plane_crc(planes[i])};
  }
  if (!done_[index]) ++chunks_done_;
  done_[index] = 1;
  hash_[index] = hash;
  iterations_[index] = iterations;
  bytes_written_ += n;
  return where;
}

// Whether the file holds `bytes` at addr, judged by their first and last 64 bytes (a wrong
// address holds other data there; a resumed job checks every byte against the CRC anyway).
bool OutputFile::holds(std::uint64_t addr, std::span<const std::uint8_t> bytes) const {
  if (addr == HADDR_UNDEF) return false;
  const std::size_t n = std::min<std::size_t>(64, bytes.size());
  for (const std::size_t at : {std::size_t{0}, bytes.size() - n}) {
    std::uint8_t buf[64];
    if (!read_exactly(sync_fd_, buf, n, addr + at) || std::memcmp(buf, bytes.data() + at, n) != 0) return false;
  }
  return true;
}

void OutputFile::sync_data() {
  if (fdatasync(sync_fd_) != 0) throw RuntimeError("flushing '" + partial_ + "' to disk: " + std::strerror(errno));
}

void OutputFile::rename_to(const std::string& path) {
  if (std::rename(partial_.c_str(), path.c_str()) != 0)
    throw RuntimeError("renaming '" + partial_ + "' to '" + path + "': " + std::strerror(errno));
  partial_ = path;
  sync_directory_of(partial_);
}

void OutputFile::checkpoint() {
  errno = 0;
  if (H5Dwrite(done_ds_.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, done_.data()) < 0 ||
      H5Dwrite(hash_ds_.get(), H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, hash_.data()) < 0 ||
      H5Dwrite(iter_ds_.get(), H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, iterations_.data()) < 0)
    fail("writing the chunk state /chunks to");
  if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) fail("flushing");
}

void OutputFile::finish(std::uint64_t verification_hash) {
  checkpoint();
  std::uint64_t total = 0;
  for (std::uint64_t n : iterations_) total += n;
  try {
    attr_scalar<std::uint64_t>(counts_.get(), "verification_hash", H5T_STD_U64LE, H5T_NATIVE_UINT64, verification_hash);
    attr_scalar<std::uint64_t>(counts_.get(), "total_iterations", H5T_STD_U64LE, H5T_NATIVE_UINT64, total);
    attr_scalar<std::int32_t>(file_.get(), "complete", H5T_STD_I32LE, H5T_NATIVE_INT32, 1);
  } catch (const RuntimeError& e) {
    fail(e.what() + std::string(" in"));
  }
  iter_ds_.reset();
  hash_ds_.reset();
  done_ds_.reset();
  distance_.reset();
  smooth_.reset();
  counts_.reset();
  errno = 0;
  if (H5Fclose(file_.release()) < 0) fail("closing");
  // Durable before it is renamed: OUT.h5 must never name a file whose data a crash could lose.
  if (fsync(sync_fd_) != 0) throw RuntimeError("flushing '" + partial_ + "' to disk: " + std::strerror(errno));
  if (std::rename(partial_.c_str(), final_.c_str()) != 0)
    throw RuntimeError("renaming '" + partial_ + "' to '" + final_ + "': " + std::strerror(errno));
  sync_directory_of(final_);
  finished_ = true;
}

void OutputFile::write_reference(const deep::DeepJob& job) {
  H5Handle g(H5Gcreate2(file_.get(), "reference", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g) fail("cannot create group /reference in");
  // BLA's parameters (docs/FORMAT.md "Deep zoom: BLA"): epsilon 0 = plain perturbation.
  attr_scalar<double>(g.get(), "bla_epsilon", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, job.bla ? job.bla_eps : 0.0);
  attr_scalar<std::int32_t>(g.get(), "bla_min_level", H5T_STD_I32LE, H5T_NATIVE_INT32, deep::kBlaMinLevel);
  for (std::size_t k = 0; k < job.orbits.size(); ++k) {
    const deep::ReferenceOrbit& o = job.orbits[k];
    hsize_t dims[2] = {o.length(), 2};
    H5Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
    H5Handle d(H5Dcreate2(g.get(), job.roles[k].c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT),
               H5Dclose);
    if (!d || H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, o.z.data()) < 0)
      fail("cannot write /reference/" + job.roles[k] + " in");
    // The extended values (the extended-exponent kernel's): [L, 3] = (re, im, e) with Z_n = (re + i im) * 2^e.
    {
      hsize_t xd[2] = {o.length(), 3};
      H5Handle xs(H5Screate_simple(2, xd, nullptr), H5Sclose);
      std::vector<double> v(3 * o.length());
      for (std::size_t n = 0; n < o.length(); ++n) {
        v[3 * n] = o.zx[n].re;
        v[3 * n + 1] = o.zx[n].im;
        v[3 * n + 2] = static_cast<double>(o.zx[n].e);
      }
      const std::string xname = job.roles[k] + "_exp";
      H5Handle x(H5Dcreate2(g.get(), xname.c_str(), H5T_IEEE_F64LE, xs.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
      if (!x || H5Dwrite(x.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
        fail("cannot write /reference/" + xname + " in");
    }
    attr_string(d.get(), "z0_re", o.spec.z0_re);
    attr_string(d.get(), "z0_im", o.spec.z0_im);
    attr_string(d.get(), "c_re", o.spec.c_re);
    attr_string(d.get(), "c_im", o.spec.c_im);
    attr_scalar<std::uint32_t>(d.get(), "precision_bits", H5T_STD_U32LE, H5T_NATIVE_UINT32, o.spec.precision_bits);
    attr_scalar<std::uint32_t>(d.get(), "max_iter", H5T_STD_U32LE, H5T_NATIVE_UINT32, o.spec.max_iter);
    attr_scalar<double>(d.get(), "escape_radius", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, o.spec.escape_radius);
    attr_scalar<std::uint64_t>(d.get(), "length", H5T_STD_U64LE, H5T_NATIVE_UINT64, o.length());
    attr_scalar<std::uint8_t>(d.get(), "escaped", H5T_STD_U8LE, H5T_NATIVE_UINT8, o.escaped ? 1 : 0);
  }
}

}  // namespace fractal
