#include "fractal/output/job_identity.hpp"

#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include "fractal/deep/bla.hpp"
#include "fractal/config/parse.hpp"
#include "fractal/error.hpp"
#include "fractal/output/h5handle.hpp"
#include "fractal/version.hpp"

namespace fractal {

namespace {

// A job as a file records it; built from a Config or read from a finished file, so that both
// sides of a comparison go through the same text.
struct Recorded {
  std::string fractal;
  std::string family = "multibrot";
  std::uint32_t power = 2, supersample = 1;   // width/height below: output pixels
  bool smooth = false, distance = false;      // /smooth, /distance stored
  std::uint32_t width = 0, height = 0, strip_rows = 0;
  std::uint64_t frames = 0;
  unsigned count_bytes = 2;
  int compression_level = 0;
  double fps = 0, escape_radius = 0, z0_re = NAN, z0_im = NAN;   // z0: NaN for Julia
  std::vector<double> xmin, xmax, ymin, ymax, c_re, c_im;         // [frames]; c: NaN for Mandelbrot
  std::vector<double> rotation, rot_cos, rot_sin;                 // [frames]
  std::vector<std::uint32_t> max_iter;                            // [frames]
  std::string deep = "none";                                      // deep_identity()
};

std::string num(double v) {
  if (std::isnan(v)) return "nan";
  return shortest_text(v);
}

std::uint64_t bits(double v) {
  if (std::isnan(v)) return 0x7ff8000000000000ull;
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// FNV-1a-64 over every per-frame value, column by column.
std::string frame_table_hash(const Recorded& r) {
  std::uint64_t h = 14695981039346656037ull;
  auto add = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xff)) * 1099511628211ull;
  };
  for (const auto* col : {&r.xmin, &r.xmax, &r.ymin, &r.ymax, &r.c_re, &r.c_im})
    for (double v : *col) add(bits(v));
  for (std::uint32_t v : r.max_iter) add(v);
  for (const auto* col : {&r.rotation, &r.rot_cos, &r.rot_sin})
    for (double v : *col) add(bits(v));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

JobIdentity identity_of(const Recorded& r) {
  const bool any = r.frames > 0 && r.xmin.size() == r.frames && r.max_iter.size() == r.frames;
  const std::size_t last = any ? r.frames - 1 : 0;
  auto first = [&](const std::vector<double>& c) { return any ? num(c[0]) : std::string("none"); };
  const std::string end_view = any ? num(r.xmin[last]) + "," + num(r.xmax[last]) + "," + num(r.ymin[last]) + "," +
                                         num(r.ymax[last])
                                   : "none";
  return {
      {"fractal", "--fractal", r.fractal},
      {"family", "--family", r.family},
      {"power", "--power", std::to_string(r.power)},
      {"width", "--width", std::to_string(r.width)},
      {"height", "--height", std::to_string(r.height)},
      {"supersample", "--supersample", std::to_string(r.supersample)},
      {"smooth", "--smooth", r.smooth ? "true" : "false"},
      {"distance", "--distance", r.distance ? "true" : "false"},
      {"frames", "--frames", std::to_string(r.frames)},
      {"max-iter", "--max-iter", any ? std::to_string(r.max_iter[0]) : "none"},
      {"data-type", "the count data type", r.count_bytes == 2 ? "uint16" : "uint32"},
      {"escape-radius", "--escape-radius", num(r.escape_radius)},
      {"c-re", "--c-re", first(r.c_re)},
      {"c-im", "--c-im", first(r.c_im)},
      {"c-im-last", "--c-im-increment (the last frame's c_im)", any ? num(r.c_im[last]) : "none"},
      {"z0-re", "--z0-re", num(r.z0_re)},
      {"z0-im", "--z0-im", num(r.z0_im)},
      {"xmin", "--xmin (the view)", first(r.xmin)},
      {"xmax", "--xmax (the view)", first(r.xmax)},
      {"ymin", "--ymin (the view)", first(r.ymin)},
      {"ymax", "--ymax (the view)", first(r.ymax)},
      {"end-view", "the end view (--end-center-re/--end-center-im/--end-view-width)", end_view},
      {"fps", "--fps", num(r.fps)},
      {"strip-rows", "--strip-rows", std::to_string(r.strip_rows)},
      {"compression-level", "--compression-level", std::to_string(r.compression_level)},
      {"frame-table", "the per-frame parameters (/frames)", frame_table_hash(r)},
      {"deep", "the deep view (method; --center-re, --center-im, --view-width or --zoom, Julia's --c-re, --c-im as text)", r.deep},
  };
}

// ---- reading a finished file ----------------------------------------------------------------

struct NotFinished {
  std::string why;
};

H5Handle open_object(hid_t loc, const char* name) {
  H5Handle h(H5Oopen(loc, name, H5P_DEFAULT), H5Oclose);
  if (!h) throw NotFinished{std::string("no ") + name};
  return h;
}

template <class T>
T read_attr(hid_t obj, const char* name, hid_t mem_type) {
  if (H5Aexists(obj, name) <= 0) throw NotFinished{std::string("no attribute ") + name};
  H5Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  T v{};
  if (!a || H5Aread(a.get(), mem_type, &v) < 0) throw NotFinished{std::string("unreadable attribute ") + name};
  return v;
}

std::string read_string_attr(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) throw NotFinished{std::string("no attribute ") + name};
  H5Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  H5Handle ft(a ? H5Aget_type(a.get()) : H5I_INVALID_HID, H5Tclose);
  if (!ft || H5Tget_class(ft.get()) != H5T_STRING) throw NotFinished{std::string("attribute ") + name + " is not a string"};
  H5Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(mt.get(), H5Tget_cset(ft.get()));  // HDF5 converts no ASCII <-> UTF-8
  if (H5Tis_variable_str(ft.get()) > 0) {
    H5Tset_size(mt.get(), H5T_VARIABLE);
    char* p = nullptr;
    if (H5Aread(a.get(), mt.get(), &p) < 0 || !p) throw NotFinished{std::string("unreadable attribute ") + name};
    std::string s(p);
    H5free_memory(p);
    return s;
  }
  const std::size_t n = H5Tget_size(ft.get());
  std::string s(n, '\0');
  H5Tset_size(mt.get(), n);
  if (H5Aread(a.get(), mt.get(), s.data()) < 0) throw NotFinished{std::string("unreadable attribute ") + name};
  return s.substr(0, s.find('\0'));
}

template <class T>
std::vector<T> read_column(hid_t group, const char* name, hid_t mem_type, std::uint64_t n) {
  H5Handle d(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose);
  if (!d) throw NotFinished{std::string("no /frames/") + name};
  H5Handle space(H5Dget_space(d.get()), H5Sclose);
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_ndims(space.get()) != 1 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0 ||
      dims[0] != n)
    throw NotFinished{std::string("/frames/") + name + " does not have one entry per frame"};
  std::vector<T> v(n);
  if (H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw NotFinished{std::string("unreadable /frames/") + name};
  return v;
}

}  // namespace

std::string deep_identity(const Config& cfg) {
  if (!cfg.perturbation()) return "none";
  std::string t = cfg.center_re_text + '\n' + cfg.center_im_text + '\n' + cfg.view_width_text + '\n';
  if (cfg.fractal == Fractal::Julia) t += cfg.c_re_text + '\n' + cfg.c_im_text + '\n';
  if (cfg.deep_zoom) t += "zoom to " + cfg.end_view_width_text + '\n';
  if (!cfg.end_center_re_text.empty()) t += "towards " + cfg.end_center_re_text + '\n' + cfg.end_center_im_text + '\n';
  if (cfg.zoom_sequence) t += "sequence " + std::to_string(cfg.zoom_sequence) + '\n';
  if (cfg.deep_zoom && !cfg.path.empty()) {  // a deep keyframed path: its keys and modes, as text
    for (const std::string& k : cfg.path.key_texts(true)) t += "key " + k + '\n';
    t += std::string("interp ") + interp_name(cfg.path.center) + ' ' + interp_name(cfg.path.width) + ' ' +
         interp_name(cfg.path.rotation) + ' ' + interp_name(cfg.path.max_iter) + '\n';
    if (cfg.path.max_iter_growth) t += "growth " + std::to_string(*cfg.path.max_iter_growth) + '\n';
  }
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : t) h = (h ^ ch) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  // BLA changes counts (slightly): a job with it never resumes one without, nor one with another
  // tolerance or shortest step (epsilon follows from the sample grid, recorded apart). Plain
  // perturbation keeps the name it had before BLA existed.
  std::string method = deep::method_name(cfg.method);
  if (cfg.bla) {
    char b[64];
    std::snprintf(b, sizeof b, "+bla(%a,%d)", deep::kBlaEta, deep::kBlaMinLevel);
    method += b;
  }
  return method + ":" + buf;
}

JobIdentity job_identity(const Config& cfg, const std::vector<FrameParams>& frames, const ChunkLayout& layout) {
  const bool julia = cfg.fractal == Fractal::Julia;
  Recorded r;
  r.fractal = fractal_name(cfg.fractal);
  r.family = family_name(cfg.family);
  r.power = cfg.family == Family::Multibrot ? cfg.power : 2u;  // as store.cpp records it
  r.supersample = cfg.supersample;
  r.smooth = cfg.smooth;
  r.distance = cfg.distance;
  r.width = cfg.width;
  r.height = cfg.height;
  r.strip_rows = layout.strip_rows;
  r.frames = cfg.frames;
  r.count_bytes = cfg.count_bytes();
  r.compression_level = cfg.compression_level;
  r.fps = cfg.fps;
  r.escape_radius = cfg.escape_radius;
  r.z0_re = julia ? NAN : cfg.z0_re;
  r.z0_im = julia ? NAN : cfg.z0_im;
  r.deep = deep_identity(cfg);
  for (const FrameParams& p : frames) {  // as the file stores them (store.cpp)
    r.xmin.push_back(p.xmin);
    r.xmax.push_back(p.xmax);
    r.ymin.push_back(p.ymin);
    r.ymax.push_back(p.ymax);
    r.c_re.push_back(julia ? p.c_re : NAN);
    r.c_im.push_back(julia ? p.c_im : NAN);
    r.max_iter.push_back(p.max_iter);
    r.rotation.push_back(p.rotation);
    r.rot_cos.push_back(p.rot_cos);
    r.rot_sin.push_back(p.rot_sin);
  }
  return identity_of(r);
}

std::string identity_text(const JobIdentity& id) {
  std::string s;
  for (const JobParam& p : id) s += p.key + " = " + p.value + "\n";
  return s;
}

std::map<std::string, std::string> parse_identity_text(const std::string& text) {
  std::map<std::string, std::string> m;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find(" = ");
    if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return m;
}

void require_same_job(const std::map<std::string, std::string>& recorded, const JobIdentity& wanted,
                      const std::string& where, const std::string& advice) {
  for (const JobParam& p : wanted) {
    const auto it = recorded.find(p.key);
    const std::string theirs = it == recorded.end() ? "(not recorded)" : it->second;
    if (theirs != p.value)
      throw UsageError(p.label + " is " + p.value + " here but " + theirs + " in " + where + "; " + advice);
  }
}

FinishedFile read_finished_file(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  try {
    if (H5Fis_hdf5(path.c_str()) <= 0) throw NotFinished{"not an HDF5 file"};
    H5Handle f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!f) throw NotFinished{"cannot be opened as HDF5"};
    if (read_string_attr(f.get(), "format") != "fractal-hpc") throw NotFinished{"not a fractal-hpc file"};
    if (read_attr<std::int32_t>(f.get(), "format_version", H5T_NATIVE_INT32) != kFormatVersion)
      throw NotFinished{"another format_version (this fractal-render writes " + std::to_string(kFormatVersion) + ")"};
    if (read_attr<std::int32_t>(f.get(), "complete", H5T_NATIVE_INT32) != 1) throw NotFinished{"complete != 1"};

    H5Handle counts(H5Dopen2(f.get(), "counts", H5P_DEFAULT), H5Dclose);
    if (!counts) throw NotFinished{"no /counts"};
    const hid_t c = counts.get();
    Recorded r;
    r.fractal = read_string_attr(c, "fractal");
    r.family = read_string_attr(c, "family");
    r.power = read_attr<std::uint32_t>(c, "power", H5T_NATIVE_UINT32);
    r.supersample = read_attr<std::uint32_t>(c, "supersample", H5T_NATIVE_UINT32);
    r.width = read_attr<std::uint32_t>(c, "output_width", H5T_NATIVE_UINT32);  // width/height: the samples
    r.height = read_attr<std::uint32_t>(c, "output_height", H5T_NATIVE_UINT32);
    r.smooth = H5Lexists(f.get(), "smooth", H5P_DEFAULT) > 0;
    r.distance = H5Lexists(f.get(), "distance", H5P_DEFAULT) > 0;
    r.frames = read_attr<std::uint64_t>(c, "frames", H5T_NATIVE_UINT64);
    if (r.frames > 1000000) throw NotFinished{"implausible frame count"};
    r.fps = read_attr<double>(c, "fps", H5T_NATIVE_DOUBLE);
    r.escape_radius = read_attr<double>(c, "escape_radius", H5T_NATIVE_DOUBLE);
    r.z0_re = read_attr<double>(c, "z0_re", H5T_NATIVE_DOUBLE);
    r.z0_im = read_attr<double>(c, "z0_im", H5T_NATIVE_DOUBLE);
    if (H5Aexists(c, "deep") > 0) r.deep = read_string_attr(c, "deep");
    H5Handle type(H5Dget_type(c), H5Tclose);
    r.count_bytes = type ? static_cast<unsigned>(H5Tget_size(type.get())) : 0;
    // The chunk grid and the deflate level as the dataset actually has them.
    H5Handle dcpl(H5Dget_create_plist(c), H5Pclose);
    hsize_t chunk[3] = {0, 0, 0};
    if (!dcpl || H5Pget_chunk(dcpl.get(), 3, chunk) != 3) throw NotFinished{"/counts is not chunked in strips"};
    r.strip_rows = static_cast<std::uint32_t>(chunk[1]);
    unsigned flags = 0, level = 0;
    std::size_t nvalues = 1;
    if (H5Pget_filter_by_id2(dcpl.get(), H5Z_FILTER_DEFLATE, &flags, &nvalues, &level, 0, nullptr, nullptr) >= 0)
      r.compression_level = static_cast<int>(level);
    H5Handle g = open_object(f.get(), "frames");
    r.xmin = read_column<double>(g.get(), "xmin", H5T_NATIVE_DOUBLE, r.frames);
    r.xmax = read_column<double>(g.get(), "xmax", H5T_NATIVE_DOUBLE, r.frames);
    r.ymin = read_column<double>(g.get(), "ymin", H5T_NATIVE_DOUBLE, r.frames);
    r.ymax = read_column<double>(g.get(), "ymax", H5T_NATIVE_DOUBLE, r.frames);
    r.c_re = read_column<double>(g.get(), "c_re", H5T_NATIVE_DOUBLE, r.frames);
    r.c_im = read_column<double>(g.get(), "c_im", H5T_NATIVE_DOUBLE, r.frames);
    r.max_iter = read_column<std::uint32_t>(g.get(), "max_iter", H5T_NATIVE_UINT32, r.frames);
    r.rotation = read_column<double>(g.get(), "rotation", H5T_NATIVE_DOUBLE, r.frames);
    r.rot_cos = read_column<double>(g.get(), "rotation_cos", H5T_NATIVE_DOUBLE, r.frames);
    r.rot_sin = read_column<double>(g.get(), "rotation_sin", H5T_NATIVE_DOUBLE, r.frames);
    FinishedFile out;
    out.identity = parse_identity_text(identity_text(identity_of(r)));
    out.verification_hash = read_attr<std::uint64_t>(c, "verification_hash", H5T_NATIVE_UINT64);
    return out;
  } catch (const NotFinished& e) {
    throw UsageError("--output '" + path + "' exists and is not a finished fractal-render file (" + e.why +
                     "); pass --overwrite to replace it");
  }
}

}  // namespace fractal
