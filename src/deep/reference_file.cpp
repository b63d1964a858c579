// OUT.h5.reference (reference_file.hpp). Layout, all integers little-endian:
//   magic "FRACTREF" (8), version uint32 = 2, orbit count uint32;
//   per orbit: spec text length uint32, the spec text (ReferenceSpec::text), escaped uint32,
//              length L uint64, then L triples (re float64, im float64, e int64): Z_n as CxExp;
//   CRC-32 of every byte before it, uint32; end magic "END." (4).
#include "fractal/deep/reference_file.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "fractal/error.hpp"

namespace fractal::deep {

namespace {

constexpr char kMagic[8] = {'F', 'R', 'A', 'C', 'T', 'R', 'E', 'F'};
constexpr char kEnd[4] = {'E', 'N', 'D', '.'};
constexpr std::uint32_t kVersion = 2;

template <class T>
void put(std::vector<unsigned char>& b, T v) {
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, &v, sizeof(T));  // x86-64 and every target here are little-endian
  b.insert(b.end(), raw, raw + sizeof(T));
}

struct Reader {
  const std::vector<unsigned char>& b;
  std::size_t at = 0;
  bool ok = true;
  template <class T>
  T get() {
    T v{};
    if (at + sizeof(T) > b.size()) {
      ok = false;
      return v;
    }
    std::memcpy(&v, b.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  std::string text(std::size_t n) {
    if (at + n > b.size()) {
      ok = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(b.data() + at), n);
    at += n;
    return s;
  }
};

}  // namespace

std::string reference_path(const std::string& output) { return output + ".reference"; }

void write_reference_file(const std::string& path, const std::vector<ReferenceOrbit>& orbits) {
  std::vector<unsigned char> b(kMagic, kMagic + 8);
  put<std::uint32_t>(b, kVersion);
  put<std::uint32_t>(b, static_cast<std::uint32_t>(orbits.size()));
  for (const ReferenceOrbit& o : orbits) {
    const std::string t = o.spec.text();
    put<std::uint32_t>(b, static_cast<std::uint32_t>(t.size()));
    b.insert(b.end(), t.begin(), t.end());
    put<std::uint32_t>(b, o.escaped ? 1u : 0u);
    put<std::uint64_t>(b, o.length());
    for (const CxExp& v : o.zx) {
      put<double>(b, v.re);
      put<double>(b, v.im);
      put<std::int64_t>(b, v.e);
    }
  }
  put<std::uint32_t>(b, static_cast<std::uint32_t>(libdeflate_crc32(0, b.data(), b.size())));
  b.insert(b.end(), kEnd, kEnd + 4);

  const std::string tmp = path + ".tmp";
  auto fail = [&](const std::string& what, const std::string& name) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    throw RuntimeError("cannot " + what + " '" + name + "': " + reason);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create", tmp);
  std::size_t done = 0;
  while (done < b.size()) {
    const ssize_t n = ::write(fd, b.data() + done, b.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      const int e = errno;
      ::close(fd);
      errno = e;
      fail("write", tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    fail("sync", tmp);
  }
  if (::close(fd) != 0) fail("close", tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("rename to", path);
}

std::optional<std::vector<ReferenceOrbit>> read_reference_file(const std::string& path,
                                                               const std::vector<ReferenceSpec>& specs,
                                                               std::string& why) {
  why.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (b.size() < 8 + 8 + 8 || std::memcmp(b.data(), kMagic, 8) != 0 ||
      std::memcmp(b.data() + b.size() - 4, kEnd, 4) != 0) {
    why = "not a complete reference file";
    return std::nullopt;
  }
  std::uint32_t crc;
  std::memcpy(&crc, b.data() + b.size() - 8, 4);
  if (crc != static_cast<std::uint32_t>(libdeflate_crc32(0, b.data(), b.size() - 8))) {
    why = "its CRC-32 does not verify (damaged)";
    return std::nullopt;
  }
  Reader r{b, 8};
  if (r.get<std::uint32_t>() != kVersion) {
    why = "unknown version";
    return std::nullopt;
  }
  const std::uint32_t count = r.get<std::uint32_t>();
  if (count != specs.size()) {
    why = "it holds " + std::to_string(count) + " orbits, this job needs " + std::to_string(specs.size());
    return std::nullopt;
  }
  std::vector<ReferenceOrbit> out(count);
  for (std::uint32_t k = 0; k < count && r.ok; ++k) {
    const std::string t = r.text(r.get<std::uint32_t>());
    if (!r.ok || t != specs[k].text()) {
      why = "its orbit " + std::to_string(k) + " is of another reference point, precision or budget";
      return std::nullopt;
    }
    out[k].spec = specs[k];
    out[k].escaped = r.get<std::uint32_t>() != 0;
    const std::uint64_t len = r.get<std::uint64_t>();
    if (!r.ok || len == 0 || len > std::uint64_t{specs[k].max_iter} + 1 || r.at + len * 24 > b.size() - 8) {
      why = "its orbit " + std::to_string(k) + " has an impossible length";
      return std::nullopt;
    }
    std::vector<CxExp> zs(len);
    for (CxExp& v : zs) {
      v.re = r.get<double>();
      v.im = r.get<double>();
      v.e = r.get<std::int64_t>();
    }
    out[k].set_values(std::move(zs));
  }
  if (!r.ok || r.at != b.size() - 8) {
    why = "it is malformed";
    return std::nullopt;
  }
  return out;
}

}  // namespace fractal::deep
