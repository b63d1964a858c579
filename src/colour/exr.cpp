#include "fractal/colour/exr.hpp"

#include <ImfChannelList.h>
#include <ImfCompression.h>
#include <ImfDoubleAttribute.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfIntAttribute.h>
#include <ImfOutputFile.h>
#include <ImfStdIO.h>
#include <ImfStringAttribute.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "fractal/colour/reader.hpp"
#include "fractal/error.hpp"
#include "fractal/version.hpp"

namespace fractal::colour {

namespace {

constexpr float kBelowOne = 0x1.fffffep-1f;  // the largest float below 1: NF lies in [0, 1)

std::string g17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A decimal text (optional sign, digits, optional point, optional exponent) as m * 10^e with
// m in [1, 10) (long double, the first 21 significant digits); false when it is no such number
// or zero.
bool decimal_parts(const std::string& t, long double& m, long long& e) {
  std::size_t i = 0;
  bool neg = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
  long double mant = 0;
  long long exp10 = 0;  // value = mant * 10^exp10
  int sig = 0;
  bool any = false, point = false;
  for (; i < t.size(); ++i) {
    const char ch = t[i];
    if (ch == '.' && !point) {
      point = true;
      continue;
    }
    if (ch < '0' || ch > '9') break;
    any = true;
    if (sig == 0 && ch == '0') {
      if (point) --exp10;
      continue;
    }
    if (sig < 21) {
      mant = mant * 10 + (ch - '0');
      ++sig;
      if (point) --exp10;
    } else if (!point) {
      ++exp10;
    }
  }
  if (!any) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) eneg = t[i++] == '-';
    if (i == t.size()) return false;
    long long x = 0;
    for (; i < t.size(); ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      if (x < 1000000000000LL) x = x * 10 + (t[i] - '0');
    }
    exp10 += eneg ? -x : x;
  }
  if (i != t.size() || mant == 0) return false;
  while (mant >= 10) {
    mant /= 10;
    ++exp10;
  }
  m = neg ? -mant : mant;
  e = exp10;
  return true;
}

// m * 10^e as decimal text with 17 significant digits ("d.dddde+N" when e is far from 0).
std::string decimal_text(long double m, long long e) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.16Le", m);  // m in [1, 10): "d.dddde+00" (or e+01 after rounding)
  char* x = std::strchr(buf, 'e');
  if (!x) return buf;
  const long long total = e + std::atoll(x + 1);
  *x = '\0';
  if (total >= -300 && total <= 300) return g17(std::strtod((std::string(buf) + "e" + std::to_string(total)).c_str(), nullptr));
  return std::string(buf) + "e" + (total >= 0 ? "+" : "") + std::to_string(total);
}

bool deep_texts(const FileInfo& in, std::uint64_t f) {
  return f < in.center_re.size() && f < in.center_im.size() && f < in.view_width.size() && !in.center_re[f].empty();
}

void text_or_int(Imf::Header& h, const char* name, std::uint64_t v) {
  if (v < static_cast<std::uint64_t>(INT_MAX) - 1) h.insert(name, Imf::IntAttribute(static_cast<int>(v)));
  else h.insert(name, Imf::StringAttribute(std::to_string(v)));
}

const char* method_name(std::uint8_t m) {
  switch (m) {
    case 1: return "perturbation, double deltas";
    case 2: return "perturbation, extended-exponent deltas";
    default: return "double";
  }
}

Imf::Compression imf_compression(ExrCompression c) {
  switch (c) {
    case ExrCompression::None: return Imf::NO_COMPRESSION;
    case ExrCompression::Zips: return Imf::ZIPS_COMPRESSION;
    case ExrCompression::Piz: return Imf::PIZ_COMPRESSION;
    case ExrCompression::Zip: break;
  }
  return Imf::ZIP_COMPRESSION;
}

}  // namespace

ExrCompression exr_compression_from_name(const std::string& name) {
  if (name == "none") return ExrCompression::None;
  if (name == "zip") return ExrCompression::Zip;
  if (name == "zips") return ExrCompression::Zips;
  if (name == "piz") return ExrCompression::Piz;
  throw UsageError("--exr-compression must be none, zip, zips or piz, got '" + name + "'");
}

const char* exr_compression_name(ExrCompression c) {
  switch (c) {
    case ExrCompression::None: return "none";
    case ExrCompression::Zips: return "zips";
    case ExrCompression::Piz: return "piz";
    case ExrCompression::Zip: break;
  }
  return "zip";
}

ExrPlanes exr_planes(std::span<const std::uint32_t> counts, std::uint32_t width, std::uint32_t height,
                     std::uint32_t max_iter, std::span<const std::uint8_t> missing, std::span<const float> smooth,
                     std::span<const float> distance, double distance_scale) {
  const std::size_t npx = std::size_t{width} * height;
  if (counts.size() != npx || (!missing.empty() && missing.size() != height) ||
      (!smooth.empty() && smooth.size() != npx) || (!distance.empty() && distance.size() != npx))
    throw RuntimeError("exr_planes: inconsistent sizes for a " + std::to_string(width) + "x" + std::to_string(height) + " frame");
  ExrPlanes p;
  p.width = width;
  p.height = height;
  // The largest biased count of an escaped pixel is max_iter - 1 + bias; KF's rule: above
  // 0xFFFFFFFE (the interior marker) it takes two channels.
  p.split = std::uint64_t{max_iter} - 1 + kExrIterationsBias > 0xFFFFFFFEull;
  p.n0.assign(npx, kExrNoData);
  if (p.split) p.n1.assign(npx, kExrNoData);
  if (!smooth.empty()) p.nf.assign(npx, 0.0f);
  if (!distance.empty()) {
    p.dex.assign(npx, 0.0f);
    p.dey.assign(npx, 0.0f);
  }
  for (std::uint32_t y = 0; y < height; ++y) {
    if (!missing.empty() && missing[y]) continue;  // no data: N = 0, NF = DEX = DEY = 0
    for (std::uint32_t x = 0; x < width; ++x) {
      const std::size_t k = std::size_t{y} * width + x;
      const std::uint32_t n = counts[k];
      if (n >= max_iter) {  // interior: N = 0xFFFFFFFF, NF = DEX = DEY = 0
        p.n0[k] = kExrNotEscaped;
        if (p.split) p.n1[k] = kExrNotEscaped;
        continue;
      }
      const std::uint64_t biased = n + kExrIterationsBias;
      p.n0[k] = static_cast<std::uint32_t>(biased & 0xFFFFFFFFu);
      if (p.split) p.n1[k] = static_cast<std::uint32_t>(biased >> 32);
      if (!smooth.empty()) {
        // N + NF - IterationsBias = smooth + 1 (docs/FORMAT.md "EXR export"), clamped to [0, 1).
        const float nf = static_cast<float>(static_cast<double>(smooth[k]) + 1.0 - static_cast<double>(n));
        p.nf[k] = nf >= 0.0f ? std::min(nf, kBelowOne) : 0.0f;  // NaN -> 0
      }
      if (!distance.empty()) {
        const float d = static_cast<float>(static_cast<double>(distance[k]) * distance_scale);
        p.dex[k] = std::isfinite(d) && d > 0.0f ? d : 0.0f;
      }
    }
  }
  return p;
}

std::string exr_zoom_text(const FileInfo& in, std::uint64_t f) {
  const double aspect = static_cast<double>(in.output_width) / in.output_height;  // = stored width / height
  long double m = 0;
  long long e = 0;
  if (deep_texts(in, f) && decimal_parts(in.view_width[f], m, e) && m > 0)
    return decimal_text(4.0L * aspect / m, -e);  // height = width / aspect; zoom = 4 / height
  return g17(4.0 / (in.ymax[f] - in.ymin[f]));
}

void write_exr(const std::string& path, const FileInfo& in, std::uint64_t f, const ExrPlanes& p,
               ExrCompression compression) {
  auto fail = [&path](const std::string& why) { return RuntimeError("cannot write EXR '" + path + "': " + why); };
  const std::size_t npx = std::size_t{p.width} * p.height;
  if (p.width == 0 || p.height == 0 || p.width > INT_MAX || p.height > INT_MAX || p.n0.size() != npx ||
      (p.split && p.n1.size() != npx) || (!p.nf.empty() && p.nf.size() != npx) ||
      (!p.dex.empty() && (p.dex.size() != npx || p.dey.size() != npx)) || f >= in.frames)
    throw fail("inconsistent channel sizes");

  Imf::Header h(static_cast<int>(p.width), static_cast<int>(p.height));
  h.compression() = imf_compression(compression);
  // Kalles Fraktaler's and Fraktaler-3's attributes (int, or text when out of int's range).
  const std::uint32_t max_iter = in.max_iter[f];
  // As Fraktaler-3: int while max_iter + bias stays below INT_MAX - 1, text beyond.
  if (std::uint64_t{max_iter} + kExrIterationsBias < static_cast<std::uint64_t>(INT_MAX) - 1)
    h.insert("Iterations", Imf::IntAttribute(static_cast<int>(max_iter)));
  else
    h.insert("Iterations", Imf::StringAttribute(std::to_string(max_iter)));
  h.insert("IterationsBias", Imf::IntAttribute(static_cast<int>(kExrIterationsBias)));

  const bool deep = deep_texts(in, f);
  const std::string re = deep ? in.center_re[f] : g17(0.5 * (in.xmin[f] + in.xmax[f]));
  const std::string im = deep ? in.center_im[f] : g17(0.5 * (in.ymin[f] + in.ymax[f]));
  const std::string zoom = exr_zoom_text(in, f);
  const double rotation = f < in.rotation.size() ? in.rotation[f] : 0.0;
  // KF's parameter text (a .kfr's "Key: value" lines), which KF reads back as the location: only
  // where KF's formula 0 is the same fractal (Mandelbrot z^d + c from z0 = 0) and unrotated.
  if (in.fractal == "mandelbrot" && in.family == "multibrot" && in.z0_re == 0 && in.z0_im == 0 && rotation == 0) {
    const std::string kfr = "Re: " + re + "\r\nIm: " + im + "\r\nZoom: " + zoom + "\r\nIterations: " +
                            std::to_string(max_iter) + "\r\nFractalType: 0\r\nPower: " + std::to_string(in.power) +
                            "\r\nRotate: 0\r\n";
    h.insert("KallesFraktaler2+", Imf::StringAttribute(kfr));
  }
  // Ours: the view, so that it can be recovered exactly (FORMAT.md "EXR export").
  h.insert("fractal-hpc:software", Imf::StringAttribute(std::string("fractal-colour ") + kVersion));
  h.insert("fractal-hpc:source", Imf::StringAttribute(in.path));
  text_or_int(h, "fractal-hpc:frame", f);
  h.insert("fractal-hpc:fractal", Imf::StringAttribute(in.fractal));
  h.insert("fractal-hpc:family", Imf::StringAttribute(in.family));
  h.insert("fractal-hpc:power", Imf::IntAttribute(static_cast<int>(in.power)));
  h.insert("fractal-hpc:center_re", Imf::StringAttribute(re));
  h.insert("fractal-hpc:center_im", Imf::StringAttribute(im));
  h.insert("fractal-hpc:view_width", Imf::StringAttribute(deep ? in.view_width[f] : g17(in.xmax[f] - in.xmin[f])));
  h.insert("fractal-hpc:zoom", Imf::StringAttribute(zoom));
  h.insert("fractal-hpc:xmin", Imf::DoubleAttribute(in.xmin[f]));
  h.insert("fractal-hpc:xmax", Imf::DoubleAttribute(in.xmax[f]));
  h.insert("fractal-hpc:ymin", Imf::DoubleAttribute(in.ymin[f]));
  h.insert("fractal-hpc:ymax", Imf::DoubleAttribute(in.ymax[f]));
  h.insert("fractal-hpc:rotation", Imf::DoubleAttribute(rotation));
  if (in.fractal == "julia") {
    const bool deep_c = deep && f < in.julia_c_re.size() && f < in.julia_c_im.size() && !in.julia_c_re[f].empty();
    h.insert("fractal-hpc:c_re", Imf::StringAttribute(deep_c ? in.julia_c_re[f] : g17(in.c_re[f])));
    h.insert("fractal-hpc:c_im", Imf::StringAttribute(deep_c ? in.julia_c_im[f] : g17(in.c_im[f])));
  } else if (std::isfinite(in.z0_re) && std::isfinite(in.z0_im)) {
    h.insert("fractal-hpc:z0_re", Imf::DoubleAttribute(in.z0_re));
    h.insert("fractal-hpc:z0_im", Imf::DoubleAttribute(in.z0_im));
  }
  h.insert("fractal-hpc:max_iter", Imf::StringAttribute(std::to_string(max_iter)));
  h.insert("fractal-hpc:escape_radius", Imf::DoubleAttribute(in.escape_radius));
  h.insert("fractal-hpc:method", Imf::StringAttribute(method_name(f < in.method.size() ? in.method[f] : 0)));
  h.insert("fractal-hpc:supersample", Imf::IntAttribute(static_cast<int>(in.supersample)));
  h.insert("fractal-hpc:output_width", Imf::IntAttribute(static_cast<int>(in.output_width)));
  h.insert("fractal-hpc:output_height", Imf::IntAttribute(static_cast<int>(in.output_height)));
  h.insert("fractal-hpc:N", Imf::StringAttribute(
      "N - IterationsBias = count (z_{count+1} is the first iterate with |z| > escape_radius); "
      "0xFFFFFFFF: not escaped within max_iter; 0: no data"));
  if (!p.nf.empty())
    h.insert("fractal-hpc:NF", Imf::StringAttribute("N + NF - IterationsBias = smooth + 1, NF clamped to [0, 1)"));
  if (!p.dex.empty())
    h.insert("fractal-hpc:DE", Imf::StringAttribute(
        "DEX = the exterior distance estimate in sample spacings (no direction is stored: DEY = 0); 0 where none"));

  Imf::FrameBuffer fb;
  auto slice = [&](const char* name, Imf::PixelType t, const void* data) {
    h.channels().insert(name, Imf::Channel(t));
    fb.insert(name, Imf::Slice(t, const_cast<char*>(static_cast<const char*>(data)), 4, std::size_t{4} * p.width));
  };
  if (p.split) {
    slice("N0", Imf::UINT, p.n0.data());
    slice("N1", Imf::UINT, p.n1.data());
  } else {
    slice("N", Imf::UINT, p.n0.data());
  }
  if (!p.nf.empty()) slice("NF", Imf::FLOAT, p.nf.data());
  if (!p.dex.empty()) {
    slice("DEX", Imf::FLOAT, p.dex.data());
    slice("DEY", Imf::FLOAT, p.dey.data());
  }

  const std::string partial = path + ".partial";
  std::string why;
  {
    std::ofstream os(partial, std::ios::binary | std::ios::trunc);
    if (!os) throw fail(std::strerror(errno));
    try {
      Imf::StdOFStream stream(os, partial.c_str());
      {
        Imf::OutputFile out(stream, h);
        out.setFrameBuffer(fb);
        out.writePixels(static_cast<int>(p.height));
      }  // the destructor writes the line offset table (errors there leave the stream failed)
      os.flush();
      if (!os) why = std::string("write error: ") + std::strerror(errno);
    } catch (const std::exception& e) {
      why = e.what();
    }
    os.close();
    if (why.empty() && os.fail()) why = std::string("write error: ") + std::strerror(errno);
  }
  if (why.empty() && std::rename(partial.c_str(), path.c_str()) != 0)
    why = std::string("cannot rename '") + partial + "': " + std::strerror(errno);
  if (!why.empty()) {
    std::remove(partial.c_str());
    // OpenEXR's messages can span lines: one line for the user.
    for (char& ch : why)
      if (ch == '\n' || ch == '\r') ch = ' ';
    throw fail(why);
  }
}

}  // namespace fractal::colour
