#include "fractal/colour/reader.hpp"

#include <H5PLpublic.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "fractal/chunk_codec.hpp"
#include "fractal/error.hpp"
#include "fractal/layout.hpp"

namespace fractal::colour {

namespace {

// Limits a render can produce (config.cpp); anything beyond is a damaged or foreign file.
constexpr std::uint64_t kMaxFrames = 1000000;
constexpr std::uint32_t kMaxSide = 65536;

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

  std::string attr_string(hid_t obj, const char* name, bool required = true) const {
    if (H5Aexists(obj, name) <= 0) {
      if (required) fail(std::string("no attribute ") + name + " (not a fractal-render file?)");
      return {};
    }
    H5Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    H5Handle t(a ? H5Aget_type(a.get()) : -1, H5Tclose);
    if (!t || H5Tget_class(t.get()) != H5T_STRING) fail(std::string("attribute ") + name + " is not a string");
    H5Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_cset(mt.get(), H5Tget_cset(t.get()));  // HDF5 does not convert between ASCII and UTF-8
    if (H5Tis_variable_str(t.get()) > 0) {
      H5Tset_size(mt.get(), H5T_VARIABLE);
      char* p = nullptr;
      if (H5Aread(a.get(), mt.get(), &p) < 0 || !p) fail(std::string("cannot read attribute ") + name);
      std::string s(p);
      H5free_memory(p);
      return s;
    }
    const std::size_t n = H5Tget_size(t.get());
    if (n == 0 || n > (1u << 20)) fail(std::string("attribute ") + name + " has an absurd size");
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

CountsReader::CountsReader(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  H5PLset_loading_state(0);  // never load filter plugins named by a file
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
  if (ck.attr_string(f, "format") != "fractal-hpc") ck.fail("not a fractal-hpc file (attribute format differs)");
  in.format_version = ck.attr_number<std::int32_t>(f, "format_version", H5T_NATIVE_INT32);
  if (in.format_version != 1) ck.fail("format_version " + std::to_string(in.format_version) + " is not supported (this reader knows 1)");
  in.complete = ck.attr_number<std::int32_t>(f, "complete", H5T_NATIVE_INT32) == 1;
  in.created = ck.attr_string(f, "created", false);
  in.software_version = ck.attr_string(f, "software_version", false);
  in.command_line = ck.attr_string(f, "command_line", false);
  in.config = ck.attr_string(f, "config", false);

  counts_ = ck.open_dataset(f, "counts");
  const hid_t c = counts_.get();
  const auto dm = ck.dims(c, "/counts");
  if (dm.size() != 3) ck.fail("/counts is not 3-dimensional [frames, height, width]");
  if (dm[0] < 1 || dm[0] > kMaxFrames || dm[1] < 1 || dm[1] > kMaxSide || dm[2] < 1 || dm[2] > kMaxSide)
    ck.fail("/counts has an absurd shape [" + std::to_string(dm[0]) + ", " + std::to_string(dm[1]) + ", " + std::to_string(dm[2]) + "]");
  in.frames = dm[0];
  in.height = static_cast<std::uint32_t>(dm[1]);
  in.width = static_cast<std::uint32_t>(dm[2]);
  {
    H5Handle t(H5Dget_type(c), H5Tclose);
    if (!t || H5Tget_class(t.get()) != H5T_INTEGER || H5Tget_sign(t.get()) != H5T_SGN_NONE ||
        (H5Tget_size(t.get()) != 2 && H5Tget_size(t.get()) != 4))
      ck.fail("/counts is not uint16 or uint32");
    in.count_bytes = static_cast<unsigned>(H5Tget_size(t.get()));
    H5Handle p(H5Dget_create_plist(c), H5Pclose);
    hsize_t chunk[3] = {0, 0, 0};
    if (!p || H5Pget_layout(p.get()) != H5D_CHUNKED || H5Pget_chunk(p.get(), 3, chunk) != 3 || chunk[0] != 1 ||
        chunk[2] != in.width || chunk[1] < 1 || chunk[1] > in.height)
      ck.fail("/counts is not chunked in strips [1, rows, width]");
    in.strip_rows = static_cast<std::uint32_t>(chunk[1]);
    // fractal-render's pipelines: shuffle, or shuffle then deflate. Those chunks are decoded here;
    // anything else goes through HDF5 (which refuses filters it does not have built in).
    const int nf = H5Pget_nfilters(p.get());
    unsigned flags = 0, cd[8];
    std::size_t ncd = 8;
    const H5Z_filter_t f0 = nf >= 1 ? H5Pget_filter2(p.get(), 0, &flags, &ncd, cd, 0, nullptr, nullptr) : -1;
    ncd = 8;
    const H5Z_filter_t f1 = nf >= 2 ? H5Pget_filter2(p.get(), 1, &flags, &ncd, cd, 0, nullptr, nullptr) : -1;
    raw_chunks_ = (nf == 1 && f0 == H5Z_FILTER_SHUFFLE) || (nf == 2 && f0 == H5Z_FILTER_SHUFFLE && f1 == H5Z_FILTER_DEFLATE);
    deflated_ = nf == 2;
  }
  in.strips_per_frame = (in.height + in.strip_rows - 1) / in.strip_rows;
  if (ck.attr_number<std::uint32_t>(c, "width", H5T_NATIVE_UINT32) != in.width ||
      ck.attr_number<std::uint32_t>(c, "height", H5T_NATIVE_UINT32) != in.height)
    ck.fail("/counts attributes width/height disagree with its shape");
  in.fractal = ck.attr_string(c, "fractal");
  in.escape_radius = ck.attr_number<double>(c, "escape_radius", H5T_NATIVE_DOUBLE);
  in.fps = ck.attr_number<double>(c, "fps", H5T_NATIVE_DOUBLE);
  if (!(in.fps > 0 && in.fps <= 1000)) in.fps = 30;  // only a default for videos; --fps overrides

  if (H5Lexists(f, "frames", H5P_DEFAULT) <= 0) ck.fail("no group /frames (not a fractal-render file?)");
  H5Handle g(H5Gopen2(f, "frames", H5P_DEFAULT), H5Gclose);
  if (!g) ck.fail("cannot open group /frames");
  const std::uint64_t n = in.frames;
  in.xmin = ck.read_1d<double>(g.get(), "xmin", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  in.xmax = ck.read_1d<double>(g.get(), "xmax", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  in.ymin = ck.read_1d<double>(g.get(), "ymin", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  in.ymax = ck.read_1d<double>(g.get(), "ymax", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  in.c_re = ck.read_1d<double>(g.get(), "c_re", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  in.c_im = ck.read_1d<double>(g.get(), "c_im", H5T_NATIVE_DOUBLE, n, H5T_FLOAT);
  in.max_iter = ck.read_1d<std::uint32_t>(g.get(), "max_iter", H5T_NATIVE_UINT32, n, H5T_INTEGER);
  for (std::uint64_t i = 0; i < n; ++i) {
    if (in.max_iter[i] < 1 || (in.count_bytes == 2 && in.max_iter[i] > 65535))
      ck.fail("/frames/max_iter[" + std::to_string(i) + "] = " + std::to_string(in.max_iter[i]) + " does not fit the counts' type");
  }

  const std::uint64_t nchunks = n * in.strips_per_frame;
  if (nchunks > kMaxChunks) ck.fail("/counts claims " + std::to_string(nchunks) + " chunks (more than a render writes)");
  if (H5Lexists(f, "chunks", H5P_DEFAULT) <= 0) ck.fail("no group /chunks (not a fractal-render file?)");
  H5Handle cg(H5Gopen2(f, "chunks", H5P_DEFAULT), H5Gclose);
  if (!cg) ck.fail("cannot open group /chunks");
  in.chunk_done = ck.read_1d<std::uint8_t>(cg.get(), "done", H5T_NATIVE_UINT8, nchunks, H5T_INTEGER);
}

// The fast path for files in the layout fractal-render writes (shuffle, optionally deflate):
// each chunk's stored bytes are read as they are and decoded here (libdeflate: several times
// faster than HDF5's zlib filter). Returns false when a chunk is stored otherwise (a filter
// skipped), and the caller then reads the frame through HDF5.
bool CountsReader::read_frame_raw(std::uint64_t f, std::vector<std::uint32_t>& counts,
                                  const std::vector<std::uint8_t>& missing) {
  const FileInfo& in = info_;
  const std::size_t W = in.width;
  chunk_.resize(std::size_t{in.strip_rows} * W);  // [strip_rows, width]
  const std::size_t raw_bytes = chunk_.size() * in.count_bytes;
  for (std::uint32_t s = 0; s < in.strips_per_frame; ++s) {
    const std::uint32_t r0 = s * in.strip_rows, r1 = std::min(in.height, r0 + in.strip_rows);
    if (missing[r0]) {
      std::fill(counts.begin() + r0 * W, counts.begin() + r1 * W, 0u);
      continue;
    }
    hsize_t offset[3] = {f, r0, 0};
    hsize_t nbytes = 0;
    // A sane chunk never exceeds its raw size by much (deflate's worst case is ~0.1% bigger).
    if (H5Dget_chunk_storage_size(counts_.get(), offset, &nbytes) < 0 || nbytes == 0 || nbytes > raw_bytes + raw_bytes / 8 + 1024)
      throw RuntimeError("'" + in.path + "': chunk " + std::to_string(f * in.strips_per_frame + s) +
                         " of /counts is missing or has an impossible size (damaged file?)");
    stored_.resize(nbytes);
    std::uint32_t mask = 0;
    if (H5Dread_chunk(counts_.get(), H5P_DEFAULT, offset, &mask, stored_.data()) < 0)
      throw RuntimeError("'" + in.path + "': cannot read chunk " + std::to_string(f * in.strips_per_frame + s) +
                         " of /counts (truncated or damaged file?)");
    if (mask != 0) return false;
    if (!decode_chunk_into(stored_, in.count_bytes, deflated_, chunk_, scratch_))
      throw RuntimeError("'" + in.path + "': chunk " + std::to_string(f * in.strips_per_frame + s) +
                         " of /counts does not decompress to its size (damaged file)");
    std::copy(chunk_.begin(), chunk_.begin() + (r1 - r0) * W, counts.begin() + r0 * W);
  }
  return true;
}

void CountsReader::read_frame_hdf5(std::uint64_t f, std::vector<std::uint32_t>& counts) {
  const FileInfo& in = info_;
  // Memory space of the same shape and the file's own integer type: HDF5 then copies whole
  // decompressed chunks instead of converting element by element.
  H5Handle fs(H5Dget_space(counts_.get()), H5Sclose);
  hsize_t start[3] = {f, 0, 0}, count[3] = {1, in.height, in.width};
  H5Handle ms(H5Screate_simple(3, count, nullptr), H5Sclose);
  bool ok = fs && H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) >= 0;
  if (ok && in.count_bytes == 2) {
    std::vector<std::uint16_t>& narrow = narrow_;  // [height, width]
    narrow.resize(counts.size());
    ok = H5Dread(counts_.get(), H5T_NATIVE_UINT16, ms.get(), fs.get(), H5P_DEFAULT, narrow.data()) >= 0;
    if (ok) std::copy(narrow.begin(), narrow.end(), counts.begin());
  } else if (ok) {
    ok = H5Dread(counts_.get(), H5T_NATIVE_UINT32, ms.get(), fs.get(), H5P_DEFAULT, counts.data()) >= 0;
  }
  if (!ok)
    throw RuntimeError("'" + in.path + "': cannot read frame " + std::to_string(f) + " of /counts (truncated or damaged file?)");
}

void CountsReader::read_frame(std::uint64_t f, std::vector<std::uint32_t>& counts, std::vector<std::uint8_t>& missing) {
  const FileInfo& in = info_;
  counts.resize(std::size_t{in.width} * in.height);  // [height, width]
  missing.assign(in.height, 0);                       // [height]
  for (std::uint32_t s = 0; s < in.strips_per_frame; ++s)
    if (!in.chunk_done[f * in.strips_per_frame + s])
      for (std::uint32_t r = s * in.strip_rows; r < std::min(in.height, (s + 1) * in.strip_rows); ++r) missing[r] = 1;
  if (!(raw_chunks_ && read_frame_raw(f, counts, missing))) read_frame_hdf5(f, counts);
  const std::uint32_t mi = in.max_iter[f];
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > mi)
      throw RuntimeError("'" + in.path + "': frame " + std::to_string(f) + " has a count " + std::to_string(counts[i]) +
                         " above its max_iter " + std::to_string(mi) + " (damaged file)");
}

}  // namespace fractal::colour
