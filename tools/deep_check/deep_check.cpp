// fractal-deep-check: the independent judge of deep-zoom counts.
//
// What it proves: for sampled pixels of a fractal-render HDF5 file (format_version 3), the stored
// escape count equals the count obtained by iterating z <- z^2 + c directly in MPFR, with no
// perturbation, no reference orbit and no double-precision deltas. It shares no code with the
// renderer: the pixel mapping, the iteration and the escape rule are re-derived here from the
// file's own metadata (decimal centre / view width / Julia c, float64 rotation and escape radius).
//
// How: each sampled pixel is iterated twice, at p1 = ceil(log2(1/dx)) + ceil(log2(max(1,|centre|)))
// + 64 bits and at p2 = p1 + --extra-bits. When the two disagree the pixel's count depends on the
// working precision (its orbit sits on an escape boundary to within rounding) and no single answer is
// "right": it is excluded and reported. A third run, at p2 with the pixel moved by --position-shift
// (default 2^-36) pixel spacings in both coordinates, finds pixels whose count changes within a
// sliver of a pixel: a renderer places pixels with double-precision offsets (relative error up to
// 2^-53 of the offset, so up to 2^-38 of a pixel spacing at 65536 pixels), so for such pixels too
// no single answer is right: they are excluded as position-sensitive and reported. Every other
// pixel is compared with the file. The escape test
// |z_k|^2 > R^2 is decided exactly for the computed squares (R^2 of the float64 R held exactly and the
// rounding direction of x^2 + y^2 resolving a tie), so no float64 comparison can blur it.
// When the file has /distance (fractal-render --distance), the same direct iteration also carries
// the derivative (dz/dc, or dz/dz_0 for Julia, in MPFR) through the steps past escape the renderer
// takes (while |z|^2 <= 2^64, at most 64), and each exactly counted escaped pixel's distance
// estimate |z| log|z| / |dz|, in pixel spacings, must match the file's to --distance-tol (relative).
// Exit 0: exact/compared >= --min-exact and compared > 0 (and, with /distance, the same fraction of
// the distances within tolerance); 1: otherwise; 2: usage / file errors.
#include <hdf5.h>
#include <mpfr.h>
#include <omp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Usage : std::runtime_error { using std::runtime_error::runtime_error; };  // -> exit 2
[[noreturn]] void fail(const std::string& m) { throw Usage(m); }

const char* kHelp =
    "usage: fractal-deep-check FILE.h5 [options]\n"
    "Recomputes sampled pixels of deep-zoom frames by direct MPFR iteration and compares the counts.\n"
    "  --frames LIST     frames to consider, e.g. 0,3,5-7 (default: all)\n"
    "  --samples N       pixels per frame, stratified over the frame (default 200; all if N >= W*H)\n"
    "  --pixels LIST     exactly these pixels instead, as ROW:COL,ROW:COL,... (e.g. the ones two files differ at)\n"
    "  --min-exact F     required fraction of exact counts among compared pixels (default 0.999)\n"
    "  --extra-bits B    second precision p2 = p1 + B; pixels whose counts differ are excluded (default 128)\n"
    "  --position-shift S  third run at p2 with the pixel moved by S pixel spacings; pixels whose count\n"
    "                    changes are excluded as position-sensitive (default 2^-36; 0 = off)\n"
    "  --distance-tol T  relative tolerance for /distance, when the file has it (default 1e-3; 0 = not checked)\n"
    "  --allow-partial   check a file whose root attribute complete != 1\n"
    "  --all-methods     also check method 0 (double kernel) frames\n"
    "  --quiet           print only the overall line\n"
    "  --help            this text\n"
    "Exit status: 0 passed, 1 failed (or nothing compared), 2 usage or file error.\n";

struct Options {
  std::string file;
  std::string frames;  // empty = all
  uint64_t samples = 200;
  std::vector<std::pair<uint32_t, uint32_t>> pixels;  // --pixels (row, column); empty: --samples
  double min_exact = 0.999;
  long extra_bits = 128;
  double position_shift = 0x1p-36;  // pixel spacings; 0: no position-sensitivity run
  double distance_tol = 1e-3;       // relative; 0: /distance not checked
  bool allow_partial = false, all_methods = false, quiet = false;
};

uint64_t parse_uint(const std::string& opt, const std::string& v, uint64_t lo, uint64_t hi) {
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      v.size() > 18 || std::stoull(v) < lo || std::stoull(v) > hi)
    fail(opt + ": bad value '" + v + "' (an integer in [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "])");
  return std::stoull(v);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int a = 1; a < argc; ++a) {
    std::string arg = argv[a], val;
    bool has_val = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      val = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
      has_val = true;
    }
    auto value = [&]() -> std::string {
      if (has_val) return val;
      if (a + 1 >= argc) fail(arg + ": missing value");
      return argv[++a];
    };
    auto flag = [&](bool& b) {
      if (has_val) fail(arg + ": takes no value (got '" + val + "')");
      b = true;
    };
    if (arg == "--help" || arg == "-h") { std::fputs(kHelp, stdout); std::exit(0); }
    else if (arg == "--frames") { o.frames = value(); if (o.frames.empty()) fail("--frames: empty list"); }
    else if (arg == "--samples") o.samples = parse_uint(arg, value(), 1, 1000000000000ULL);
    else if (arg == "--pixels") {
      const std::string v = value();
      std::size_t at = 0;
      while (at <= v.size()) {
        const std::size_t comma = std::min(v.find(',', at), v.size());
        const std::string item = v.substr(at, comma - at);
        const std::size_t colon = item.find(':');
        if (colon == std::string::npos) fail("--pixels: '" + item + "' is not ROW:COL");
        o.pixels.emplace_back(uint32_t(parse_uint("--pixels", item.substr(0, colon), 0, 1u << 30)),
                              uint32_t(parse_uint("--pixels", item.substr(colon + 1), 0, 1u << 30)));
        at = comma + 1;
      }
    }
    else if (arg == "--extra-bits") o.extra_bits = long(parse_uint(arg, value(), 1, 1000000));
    else if (arg == "--position-shift") {
      const std::string v = value();
      char* end = nullptr;
      errno = 0;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || errno || !(d >= 0 && d <= 0.25))
        throw Usage("--position-shift must be a number in [0, 0.25] (pixel spacings), got '" + v + "'");
      o.position_shift = d;
    }
    else if (arg == "--distance-tol") {
      const std::string v = value();
      char* end = nullptr;
      errno = 0;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || errno || !(d >= 0 && d < 1))
        fail("--distance-tol: bad value '" + v + "' (a relative tolerance in [0, 1))");
      o.distance_tol = d;
    }
    else if (arg == "--min-exact") {
      std::string v = value();
      char* end = nullptr;
      o.min_exact = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(o.min_exact >= 0.0 && o.min_exact <= 1.0))
        fail("--min-exact: bad value '" + v + "' (a fraction in [0, 1])");
    }
    else if (arg == "--allow-partial") flag(o.allow_partial);
    else if (arg == "--all-methods") flag(o.all_methods);
    else if (arg == "--quiet") flag(o.quiet);
    else if (arg.size() > 1 && arg[0] == '-') fail("unknown option '" + arg + "' (see --help)");
    else if (!o.file.empty()) fail("more than one FILE ('" + o.file + "' and '" + arg + "')");
    else o.file = arg;
  }
  if (o.file.empty()) fail("no FILE given (see --help)");
  return o;
}

// ---- HDF5 reading (all failures are usage errors naming the file and object) ----
struct Hid {  // closes an HDF5 handle with the matching H5?close
  hid_t id;
  herr_t (*close)(hid_t);
  Hid(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  Hid(Hid&& o) noexcept : id(o.id), close(o.close) { o.id = -1; }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { if (id >= 0) close(id); }
  operator hid_t() const { return id; }
};

std::string g_file;  // for messages
std::string where(const std::string& obj) { return g_file + ": " + obj; }

hid_t open_dataset(hid_t f, const std::string& path) {
  std::string parent = path.substr(0, path.rfind('/'));
  if ((!parent.empty() && H5Lexists(f, parent.c_str(), H5P_DEFAULT) <= 0) ||
      H5Lexists(f, path.c_str(), H5P_DEFAULT) <= 0)
    fail(where("missing dataset " + path));
  hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
  if (d < 0) fail(where("cannot open dataset " + path));
  return d;
}

std::vector<hsize_t> dims_of(hid_t d) {
  Hid s{H5Dget_space(d), H5Sclose};
  int n = H5Sget_simple_extent_ndims(s);
  std::vector<hsize_t> dims(n > 0 ? n : 0);
  if (n > 0) H5Sget_simple_extent_dims(s, dims.data(), nullptr);
  return dims;
}

template <class T>
T read_attr(hid_t obj, const char* name, hid_t memtype, const std::string& objname) {
  if (H5Aexists(obj, name) <= 0) fail(where("missing attribute " + objname + "@" + name));
  Hid a{H5Aopen(obj, name, H5P_DEFAULT), H5Aclose};
  Hid s{H5Aget_space(a), H5Sclose};
  T v{};
  if (H5Sget_simple_extent_npoints(s) != 1 || H5Aread(a, memtype, &v) < 0)
    fail(where("attribute " + objname + "@" + name + " is not a readable scalar"));
  return v;
}

// Reads one string (fixed- or variable-length) from an attribute (attr >= 0) or dataset element.
std::string read_string(hid_t ftype, const std::string& what,
                        const std::function<herr_t(hid_t, void*)>& read) {
  if (H5Tget_class(ftype) != H5T_STRING) fail(where(what + " is not a string"));
  Hid mt{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_cset(mt, H5Tget_cset(ftype));
  std::string out;
  if (H5Tis_variable_str(ftype) > 0) {
    H5Tset_size(mt, H5T_VARIABLE);
    char* p = nullptr;
    if (read(mt, &p) < 0) fail(where("cannot read " + what));
    if (p) out = p;
    H5free_memory(p);
  } else {
    size_t n = H5Tget_size(ftype);
    H5Tset_size(mt, n);
    H5Tset_strpad(mt, H5Tget_strpad(ftype));
    std::vector<char> buf(n + 1, '\0');
    if (read(mt, buf.data()) < 0) fail(where("cannot read " + what));
    out.assign(buf.data(), strnlen(buf.data(), n));
  }
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  size_t b = 0;
  while (b < out.size() && std::isspace(static_cast<unsigned char>(out[b]))) ++b;
  return out.substr(b);
}

std::string read_string_attr(hid_t obj, const char* name, const std::string& objname) {
  std::string what = objname + "@" + name;
  if (H5Aexists(obj, name) <= 0) fail(where("missing attribute " + what));
  Hid a{H5Aopen(obj, name, H5P_DEFAULT), H5Aclose};
  Hid t{H5Aget_type(a), H5Tclose};
  return read_string(t, what, [&](hid_t mt, void* buf) { return H5Aread(a, mt, buf); });
}

std::string read_string_elem(hid_t d, const std::string& path, hsize_t index) {
  std::string what = path + "[" + std::to_string(index) + "]";
  Hid t{H5Dget_type(d), H5Tclose};
  Hid fs{H5Dget_space(d), H5Sclose};
  hsize_t one = 1;
  Hid ms{H5Screate_simple(1, &one, nullptr), H5Sclose};
  H5Sselect_hyperslab(fs, H5S_SELECT_SET, &index, nullptr, &one, nullptr);
  return read_string(t, what, [&](hid_t mt, void* buf) { return H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf); });
}

template <class T>
std::vector<T> read_vector(hid_t f, const std::string& path, hid_t memtype, hsize_t n) {
  Hid d{open_dataset(f, path), H5Dclose};
  auto dims = dims_of(d);
  if (dims.size() != 1 || dims[0] != n)
    fail(where(path + " must be 1-D with " + std::to_string(n) + " elements (one per frame)"));
  std::vector<T> v(n);
  if (n && H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    fail(where("cannot read " + path));
  return v;
}

// ---- decimal text -> MPFR ----
bool is_decimal(const std::string& s) {  // [+-] digits [. digits] [e[+-]digits], some digit before e
  size_t i = 0, n = s.size(), digits = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < n && s[i] == '.') for (++i; i < n && std::isdigit(static_cast<unsigned char>(s[i])); ++i) ++digits;
  if (digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t e0 = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == e0 || i - e0 > 15) return false;
  }
  return i == n;
}

void set_decimal(mpfr_t x, const std::string& s, const std::string& what) {
  if (!is_decimal(s) || mpfr_set_str(x, s.c_str(), 10, MPFR_RNDN) != 0)
    fail(where("malformed decimal in " + what + ": '" + (s.size() > 60 ? s.substr(0, 60) + "..." : s) + "'"));
}

struct Frame {
  uint64_t index = 0;
  uint32_t max_iter = 0;
  double cs = 1, sn = 0;
  std::string cre, cim, vw, jre, jim;  // decimal text
};

struct Mpfr {  // an mpfr_t that frees itself
  mpfr_t v;
  explicit Mpfr(mpfr_prec_t p) { mpfr_init2(v, p); }
  ~Mpfr() { mpfr_clear(v); }
  Mpfr(const Mpfr&) = delete;
  Mpfr& operator=(const Mpfr&) = delete;
};

// Frame constants at one precision; read-only once built, so all threads share them.
struct Consts {
  mpfr_prec_t prec;
  Mpfr cre, cim, dx, jre, jim;
  Consts(const Frame& f, mpfr_prec_t p, uint32_t W, bool julia, const std::string& path)
      : prec(p), cre(p), cim(p), dx(p), jre(p), jim(p) {
    std::string fi("[");
    fi += std::to_string(f.index) + "]";
    set_decimal(cre.v, f.cre, path + "center_re" + fi);
    set_decimal(cim.v, f.cim, path + "center_im" + fi);
    set_decimal(dx.v, f.vw, path + "view_width" + fi);
    if (mpfr_sgn(dx.v) <= 0) fail(where(path + "view_width" + fi + " must be > 0: '" + f.vw + "'"));
    mpfr_div_ui(dx.v, dx.v, W, MPFR_RNDN);
    if (julia) {
      set_decimal(jre.v, f.jre, path + "julia_c_re" + fi);
      set_decimal(jim.v, f.jim, path + "julia_c_im" + fi);
    }
  }
};

// p1 = ceil(log2(1/dx)) + ceil(log2(max(1, |centre|))) + 64, at least 64.
mpfr_prec_t base_precision(const Frame& f, uint32_t W) {
  Consts k(f, 64, W, false, "/frames/");
  Mpfr t(64);
  mpfr_log2(t.v, k.dx.v, MPFR_RNDN);
  mpfr_floor(t.v, t.v);
  long bits = -mpfr_get_si(t.v, MPFR_RNDN);
  mpfr_hypot(t.v, k.cre.v, k.cim.v, MPFR_RNDN);
  if (mpfr_cmp_ui(t.v, 1) > 0) {
    mpfr_log2(t.v, t.v, MPFR_RNDN);
    mpfr_ceil(t.v, t.v);
    bits += mpfr_get_si(t.v, MPFR_RNDN);
  }
  return std::max<long>(64, bits + 64);
}

// Per-thread scratch at one precision: allocated once per frame, never inside the iteration.
struct Work {
  Mpfr x, y, x2, y2, t, u, v, a, cr, ci;
  Mpfr dr, di, e, g;  // the derivative and its scratch, at kDerivBits
  static constexpr mpfr_prec_t kDerivBits = 128;
  explicit Work(mpfr_prec_t p)
      : x(p), y(p), x2(p), y2(p), t(p), u(p), v(p), a(p), cr(p), ci(p), dr(kDerivBits), di(kDerivBits),
        e(kDerivBits), g(kDerivBits) {}
  // (dr, di) <- 2 z (dr, di) (+ 1 unless Julia), z = (x, y) before the step.
  void derivative_step(bool julia) {
    const mpfr_rnd_t r = MPFR_RNDN;
    mpfr_mul(e.v, x.v, dr.v, r);
    mpfr_mul(g.v, y.v, di.v, r);
    mpfr_sub(e.v, e.v, g.v, r);    // Re(z dz)
    mpfr_mul(g.v, x.v, di.v, r);
    mpfr_mul(di.v, y.v, dr.v, r);
    mpfr_add(di.v, di.v, g.v, r);  // Im(z dz)
    mpfr_mul_2ui(dr.v, e.v, 1, r);
    mpfr_mul_2ui(di.v, di.v, 1, r);
    if (!julia) mpfr_add_ui(dr.v, dr.v, 1, r);
  }
};

struct Pixel { uint32_t i, j; };

// The count of one pixel by direct iteration at k.prec bits; iters accumulates the steps taken.
// With distance: the derivative is carried too, and for an escaped pixel *distance is set to its
// distance estimate in pixel spacings (the steps past escape as the renderer takes them).
uint32_t brute(Work& w, const Consts& k, const mpfr_t R2, const Frame& f, uint32_t W, uint32_t H,
               bool julia, Pixel px, uint64_t& iters, double shift = 0, double* distance = nullptr) {
  const mpfr_rnd_t r = MPFR_RNDN;
  // Half-integer factors (plus the optional shift, a small power of two: still exact doubles).
  mpfr_mul_d(w.u.v, k.dx.v, double(px.j) + 0.5 - double(W) / 2 + shift, r);
  mpfr_mul_d(w.v.v, k.dx.v, -(double(px.i) + 0.5 - double(H) / 2) + shift, r);  // row 0 = top
  if (!(f.cs == 1.0 && f.sn == 0.0)) {
    mpfr_mul_d(w.t.v, w.u.v, f.cs, r);
    mpfr_mul_d(w.a.v, w.v.v, f.sn, r);
    mpfr_sub(w.x.v, w.t.v, w.a.v, r);  // cos*u - sin*v
    mpfr_mul_d(w.t.v, w.u.v, f.sn, r);
    mpfr_mul_d(w.a.v, w.v.v, f.cs, r);
    mpfr_add(w.v.v, w.t.v, w.a.v, r);  // sin*u + cos*v
    mpfr_set(w.u.v, w.x.v, r);
  }
  mpfr_add(w.u.v, w.u.v, k.cre.v, r);  // the point
  mpfr_add(w.v.v, w.v.v, k.cim.v, r);
  if (julia) {
    mpfr_set(w.x.v, w.u.v, r); mpfr_set(w.y.v, w.v.v, r);
    mpfr_set(w.cr.v, k.jre.v, r); mpfr_set(w.ci.v, k.jim.v, r);
  } else {
    mpfr_set_zero(w.x.v, 1); mpfr_set_zero(w.y.v, 1);
    mpfr_set(w.cr.v, w.u.v, r); mpfr_set(w.ci.v, w.v.v, r);
  }
  mpfr_ptr x = w.x.v, y = w.y.v, x2 = w.x2.v, y2 = w.y2.v, t = w.t.v, cr = w.cr.v, ci = w.ci.v;
  mpfr_sqr(x2, x, r);
  mpfr_sqr(y2, y, r);
  if (distance) {
    mpfr_set_ui(w.dr.v, julia ? 1 : 0, r);
    mpfr_set_ui(w.di.v, 0, r);
  }
  auto step = [&] {
    mpfr_mul(y, x, y, r);
    mpfr_mul_2ui(y, y, 1, r);
    mpfr_add(y, y, ci, r);
    mpfr_sub(x, x2, y2, r);
    mpfr_add(x, x, cr, r);
    mpfr_sqr(x2, x, r);
    mpfr_sqr(y2, y, r);
  };
  for (uint32_t n = 1; n <= f.max_iter; ++n) {  // z_n = z_{n-1}^2 + c; z_0 is never tested
    if (distance) {
      w.derivative_step(julia);
      step();
      int tern = mpfr_add(t, x2, y2, r);
      int c = mpfr_cmp(t, R2);
      if (!(c > 0 || (c == 0 && tern < 0))) continue;
      iters += n;
      // past escape: while |z|^2 <= 2^64, at most 64 steps; then |z| log|z| / |dz| / dx
      for (uint32_t m = 0; m < 64 && mpfr_cmp_ui_2exp(t, 1, 64) <= 0; ++m) {
        w.derivative_step(julia);
        step();
        mpfr_add(t, x2, y2, r);
      }
      Mpfr L(Work::kDerivBits), q(Work::kDerivBits);
      mpfr_log(L.v, t, r);
      mpfr_div_2ui(L.v, L.v, 1, r);             // L = log|z|
      mpfr_sqrt(q.v, t, r);                      // |z|
      mpfr_mul(q.v, q.v, L.v, r);
      mpfr_hypot(L.v, w.dr.v, w.di.v, r);
      mpfr_div(q.v, q.v, L.v, r);
      mpfr_div(q.v, q.v, k.dx.v, r);
      *distance = mpfr_get_d(q.v, r);
      return n - 1;
    }
    step();
    int tern = mpfr_add(t, x2, y2, r);  // t = round(x2 + y2); tern > 0: t above the exact sum
    int c = mpfr_cmp(t, R2);
    if (c > 0 || (c == 0 && tern < 0)) { iters += n; return n - 1; }
  }
  iters += f.max_iter;
  return f.max_iter;
}

std::vector<bool> parse_frames(const std::string& list, uint64_t nframes) {
  std::vector<bool> sel(nframes, list.empty());
  size_t pos = 0;
  while (!list.empty() && pos <= list.size()) {
    size_t end = list.find(',', pos);
    std::string item = list.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    size_t dash = item.find('-');
    std::string a = item.substr(0, dash), b = dash == std::string::npos ? a : item.substr(dash + 1);
    auto num = [&](const std::string& s) {
      if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
        fail("--frames: bad value '" + list + "' (e.g. 0,3,5-7)");
      return std::stoull(s);
    };
    uint64_t lo = num(a), hi = num(b);
    if (lo > hi) fail("--frames: bad range '" + item + "' in '" + list + "'");
    if (hi >= nframes)
      fail("--frames: frame " + std::to_string(hi) + " out of range in '" + list + "' (" + g_file +
           " has " + std::to_string(nframes) + " frames)");
    for (uint64_t k = lo; k <= hi; ++k) sel[k] = true;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return sel;
}

std::string percent(uint64_t num, uint64_t den) {  // truncated to 3 decimals: never rounds up to a pass
  if (den == 0) return "n/a";
  unsigned __int128 q = (unsigned __int128)num * 100000 / den;
  char b[64];
  std::snprintf(b, sizeof b, "%llu.%03llu%%", (unsigned long long)(q / 1000), (unsigned long long)(q % 1000));
  return b;
}

int run(const Options& o) {
  g_file = o.file;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  mpfr_set_emin(mpfr_get_emin_min());  // decimal exponents like e-5000000 must not underflow
  mpfr_set_emax(mpfr_get_emax_max());
  if (FILE* fp = std::fopen(o.file.c_str(), "rb")) std::fclose(fp);
  else fail("cannot open file '" + o.file + "': " + std::strerror(errno));
  if (H5Fis_hdf5(o.file.c_str()) <= 0) fail("'" + o.file + "' is not an HDF5 file");
  Hid f{H5Fopen(o.file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  if (f < 0) fail("cannot open HDF5 file '" + o.file + "'");

  int32_t complete = read_attr<int32_t>(f, "complete", H5T_NATIVE_INT32, "/");
  if (complete != 1 && !o.allow_partial)
    fail(where("not complete (/@complete = " + std::to_string(complete) + "); --allow-partial to check it anyway"));

  Hid counts{open_dataset(f, "/counts"), H5Dclose};
  auto cd = dims_of(counts);
  if (cd.size() != 3) fail(where("/counts must be 3-D [frames, height, width]"));
  const std::string fractal = read_string_attr(counts, "fractal", "/counts");
  if (fractal != "julia" && fractal != "mandelbrot")
    fail(where("/counts@fractal must be 'julia' or 'mandelbrot', not '" + fractal + "'"));
  const bool julia = fractal == "julia";
  const double R = read_attr<double>(counts, "escape_radius", H5T_NATIVE_DOUBLE, "/counts");
  const uint32_t W = read_attr<uint32_t>(counts, "width", H5T_NATIVE_UINT32, "/counts");
  const uint32_t H = read_attr<uint32_t>(counts, "height", H5T_NATIVE_UINT32, "/counts");
  const uint32_t ss =  // informational only: W, H are already the stored sample grid
      H5Aexists(counts, "supersample") > 0 ? read_attr<uint32_t>(counts, "supersample", H5T_NATIVE_UINT32, "/counts") : 1;
  if (!(R > 0 && R < 1e300)) fail(where("/counts@escape_radius must be a positive finite number"));
  if (W == 0 || H == 0 || cd[1] != H || cd[2] != W)
    fail(where("/counts is " + std::to_string(cd[1]) + "x" + std::to_string(cd[2]) +
               " (height x width) but its attributes say " + std::to_string(H) + "x" + std::to_string(W)));
  const uint64_t nframes = cd[0];

  auto sel = parse_frames(o.frames, nframes);
  auto max_iter = read_vector<uint32_t>(f, "/frames/max_iter", H5T_NATIVE_UINT32, nframes);
  auto rcos = read_vector<double>(f, "/frames/rotation_cos", H5T_NATIVE_DOUBLE, nframes);
  auto rsin = read_vector<double>(f, "/frames/rotation_sin", H5T_NATIVE_DOUBLE, nframes);
  auto method = read_vector<uint8_t>(f, "/frames/method", H5T_NATIVE_UINT8, nframes);
  const char* snames[] = {"center_re", "center_im", "view_width", "julia_c_re", "julia_c_im"};
  std::vector<Hid> sd;
  for (const char* n : snames) {
    std::string p = std::string("/frames/") + n;
    if (!julia && sd.size() == 3) break;  // Julia's c is only needed (and required) for Julia files
    sd.emplace_back(open_dataset(f, p), H5Dclose);
    auto d = dims_of(sd.back());
    if (d.size() != 1 || d[0] != nframes) fail(where(p + " must be 1-D with one string per frame"));
  }

  const bool check_dist = o.distance_tol > 0 && H5Lexists(f, "distance", H5P_DEFAULT) > 0;
  Hid dist_ds{check_dist ? open_dataset(f, "/distance") : H5I_INVALID_HID, H5Dclose};
  if (check_dist && dims_of(dist_ds) != cd) fail(where("/distance must have the shape of /counts"));

  Mpfr R2(128);  // R^2 of the float64 R, exact (53-bit square fits in 128 bits)
  mpfr_set_d(R2.v, R, MPFR_RNDN);
  mpfr_sqr(R2.v, R2.v, MPFR_RNDN);

  const uint64_t npix = uint64_t(W) * H;
  const uint64_t N = o.pixels.empty() ? std::min<uint64_t>(o.samples, npix) : o.pixels.size();
  std::vector<Pixel> pix(N);
  for (uint64_t s = 0; s < N; ++s) {  // stratified: floor((s + 0.5) * W*H / N)
    uint64_t idx = uint64_t((unsigned __int128)(2 * s + 1) * npix / (2 * N));
    pix[s] = {uint32_t(idx / W), uint32_t(idx % W)};
    if (!o.pixels.empty()) {
      if (o.pixels[s].first >= H || o.pixels[s].second >= W)
        fail("--pixels: " + std::to_string(o.pixels[s].first) + ":" + std::to_string(o.pixels[s].second) +
             " is outside the " + std::to_string(W) + "x" + std::to_string(H) + " grid");
      pix[s] = {o.pixels[s].first, o.pixels[s].second};
    }
  }
  if (!o.quiet)
    std::printf("%s: %s, %llu frames, stored %ux%u (supersample %u), escape radius %g; %llu samples/frame, "
                "%d threads\n", o.file.c_str(), fractal.c_str(), (unsigned long long)nframes, W, H, ss, R,
                (unsigned long long)N, omp_get_max_threads());

  uint64_t tot_cmp = 0, tot_exact = 0, tot_sens = 0, tot_psens = 0, frames_checked = 0;
  uint64_t tot_dcmp = 0, tot_dok = 0;  // /distance: compared (exact escaped pixels), within tolerance
  double tot_dmax = 0;                 // the largest relative difference
  std::string why_none = "no frame selected";
  for (uint64_t fi = 0; fi < nframes; ++fi) {
    if (!sel[fi]) continue;
    if (method[fi] > 2) fail(where("/frames/method[" + std::to_string(fi) + "] = " + std::to_string(method[fi]) + " is not 0, 1 or 2"));
    Frame fr;
    fr.index = fi; fr.max_iter = max_iter[fi]; fr.cs = rcos[fi]; fr.sn = rsin[fi];
    if (method[fi] == 0 && !o.all_methods) {
      why_none = "no selected frame uses perturbation (method 1 or 2); --all-methods checks method 0 frames";
      if (!o.quiet) std::printf("frame %llu: method 0 (double kernel), skipped (--all-methods checks it)\n", (unsigned long long)fi);
      continue;
    }
    std::string* dst[] = {&fr.cre, &fr.cim, &fr.vw, &fr.jre, &fr.jim};
    for (int k = 0; k < 5; ++k)
      if (k < 3 || julia) *dst[k] = read_string_elem(sd[k], std::string("/frames/") + snames[k], fi);
    if (method[fi] == 0 && fr.cre.empty() && fr.cim.empty() && fr.vw.empty()) {
      why_none = "the selected method 0 frames carry no decimal centre / view width";
      if (!o.quiet) std::printf("frame %llu: method 0 without decimal centre/view width, skipped\n", (unsigned long long)fi);
      continue;
    }
    if (!std::isfinite(fr.cs) || !std::isfinite(fr.sn))
      fail(where("/frames/rotation_cos/sin[" + std::to_string(fi) + "] not finite"));
    const mpfr_prec_t p1 = base_precision(fr, W), p2 = p1 + o.extra_bits;
    Consts k1(fr, p1, W, julia, "/frames/"), k2(fr, p2, W, julia, "/frames/");

    std::vector<uint32_t> file_counts(N);
    std::vector<float> file_dist;                // [N] when check_dist
    std::vector<double> bdist(N, 0.0);           // brute force's distance estimates (escaped pixels)
    {
      std::vector<hsize_t> coords(3 * N);
      for (uint64_t s = 0; s < N; ++s) { coords[3 * s] = fi; coords[3 * s + 1] = pix[s].i; coords[3 * s + 2] = pix[s].j; }
      Hid fs{H5Dget_space(counts), H5Sclose};
      hsize_t n = N;
      Hid ms{H5Screate_simple(1, &n, nullptr), H5Sclose};
      if (H5Sselect_elements(fs, H5S_SELECT_SET, N, coords.data()) < 0 ||
          H5Dread(counts, H5T_NATIVE_UINT32, ms, fs, H5P_DEFAULT, file_counts.data()) < 0)
        fail(where("cannot read /counts of frame " + std::to_string(fi)));
      if (check_dist) {
        file_dist.resize(N);
        if (H5Dread(dist_ds, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, file_dist.data()) < 0)
          fail(where("cannot read /distance of frame " + std::to_string(fi)));
      }
    }

    std::vector<uint32_t> b1(N), b2(N), b3(N);
    uint64_t iters = 0;
    double thread_s = 0, t0 = omp_get_wtime();
#pragma omp parallel reduction(+ : iters, thread_s)
    {
      mpfr_set_emin(mpfr_get_emin_min());  // the exponent range is per thread in a thread-safe MPFR
      mpfr_set_emax(mpfr_get_emax_max());
      Work w1(p1), w2(p2);
#pragma omp for schedule(dynamic, 1)
      for (uint64_t s = 0; s < N; ++s) {
        double ts = omp_get_wtime();
        b1[s] = brute(w1, k1, R2.v, fr, W, H, julia, pix[s], iters, 0, check_dist ? &bdist[s] : nullptr);
        b2[s] = brute(w2, k2, R2.v, fr, W, H, julia, pix[s], iters);
        b3[s] = o.position_shift > 0 && b1[s] == b2[s] ? brute(w2, k2, R2.v, fr, W, H, julia, pix[s], iters, o.position_shift)
                                                      : b2[s];
        thread_s += omp_get_wtime() - ts;
      }
    }
    double wall = omp_get_wtime() - t0;

    uint64_t cmp = 0, exact = 0, sens = 0, psens = 0, shown = 0, shown_sens = 0, dcmp = 0, dok = 0, shown_d = 0;
    double dmax = 0;
    std::string lines;
    char buf[256];
    for (uint64_t s = 0; s < N; ++s) {
      if (b1[s] != b2[s]) {
        ++sens;
        if (shown_sens++ < 5) {
          std::snprintf(buf, sizeof buf, "  precision-sensitive (%u, %u): %ld bits %u, %ld bits %u, file %u\n",
                        pix[s].i, pix[s].j, (long)p1, b1[s], (long)p2, b2[s], file_counts[s]);
          lines += buf;
        }
        continue;
      }
      if (b3[s] != b2[s]) {
        ++psens;
        if (shown_sens++ < 5) {
          std::snprintf(buf, sizeof buf, "  position-sensitive (%u, %u): %u, moved by %g pixel %u, file %u\n", pix[s].i,
                        pix[s].j, b2[s], o.position_shift, b3[s], file_counts[s]);
          lines += buf;
        }
        continue;
      }
      ++cmp;
      if (b1[s] == file_counts[s]) {
        ++exact;
        if (check_dist && b1[s] < fr.max_iter) {
          ++dcmp;
          const double rel = std::fabs(double(file_dist[s]) - bdist[s]) / bdist[s];
          dmax = std::max(dmax, std::isfinite(rel) ? rel : HUGE_VAL);
          if (rel <= o.distance_tol) ++dok;
          else if (shown_d++ < 5) {
            std::snprintf(buf, sizeof buf, "  distance (%u, %u): file %.9g, brute force %.9g pixel spacings\n", pix[s].i,
                          pix[s].j, double(file_dist[s]), bdist[s]);
            lines += buf;
          }
        }
        continue;
      }
      if (shown++ < 10) {
        std::snprintf(buf, sizeof buf, "  pixel (%u, %u): file %u, brute force %u\n", pix[s].i, pix[s].j,
                      file_counts[s], b1[s]);
        lines += buf;
      }
    }
    ++frames_checked;
    if (!o.quiet) {
      std::printf("frame %llu: compared %llu, exact %llu (%s), precision-sensitive %llu, position-sensitive %llu\n",
                  (unsigned long long)fi, (unsigned long long)cmp, (unsigned long long)exact, percent(exact, cmp).c_str(),
                  (unsigned long long)sens, (unsigned long long)psens);
      if (check_dist)
        std::printf("  distance: %llu escaped pixels compared, %llu within %g (%s), largest relative difference %.3g\n",
                    (unsigned long long)dcmp, (unsigned long long)dok, o.distance_tol, percent(dok, dcmp).c_str(), dmax);
      std::fputs(lines.c_str(), stdout);
      std::printf("  method %u, max_iter %u, precision %ld/%ld bits, %llu iterations in %.2f s (%.1f ns/iteration/thread)\n",
                  method[fi], fr.max_iter, (long)p1, (long)p2, (unsigned long long)iters, wall,
                  iters ? thread_s * 1e9 / double(iters) : 0.0);
      std::fflush(stdout);
    }
    tot_cmp += cmp; tot_exact += exact; tot_sens += sens; tot_psens += psens;
    tot_dcmp += dcmp; tot_dok += dok; tot_dmax = std::max(tot_dmax, dmax);
  }

  // exact/compared >= min-exact, in integers (min-exact to 1e-9), so 999/1000 passes 0.999 exactly
  const uint64_t need = uint64_t(std::llround(o.min_exact * 1e9));
  const bool counts_pass = tot_cmp > 0 && (unsigned __int128)tot_exact * 1000000000u >= (unsigned __int128)need * tot_cmp;
  const bool dist_pass = !check_dist || (unsigned __int128)tot_dok * 1000000000u >= (unsigned __int128)need * tot_dcmp;
  const bool pass = counts_pass && dist_pass;
  std::printf("overall: compared %llu, exact %llu (%s), precision-sensitive %llu, position-sensitive %llu; required >= %s: %s\n",
              (unsigned long long)tot_cmp, (unsigned long long)tot_exact, percent(tot_exact, tot_cmp).c_str(),
              (unsigned long long)tot_sens, (unsigned long long)tot_psens, percent(need, 1000000000).c_str(),
              counts_pass ? "PASSED" : "FAILED");
  if (check_dist)
    std::printf("overall /distance: compared %llu, within %g %llu (%s), largest relative difference %.3g; required >= %s: %s\n",
                (unsigned long long)tot_dcmp, o.distance_tol, (unsigned long long)tot_dok, percent(tot_dok, tot_dcmp).c_str(),
                tot_dmax, percent(need, 1000000000).c_str(), dist_pass ? "PASSED" : "FAILED");
  if (tot_cmp == 0)
    std::printf("nothing compared: %s\n",
                frames_checked ? "every sampled pixel was precision-sensitive (try --extra-bits or --samples)"
                               : why_none.c_str());
  return pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const Usage& e) {
    std::fprintf(stderr, "fractal-deep-check: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fractal-deep-check: error: %s\n", e.what());
    return 2;
  }
}
