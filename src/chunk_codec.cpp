#include "fractal/chunk_codec.hpp"

#include <libdeflate.h>

#include <cstring>
#include <memory>
#include <string>

#include "fractal/error.hpp"

namespace fractal {

namespace {
constexpr std::uint64_t kFnvOffset = 1469598103934665603ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

// HDF5's shuffle filter: byte b of every element goes to plane b. One loop per plane, so the
// compiler vectorises it.
std::vector<std::uint8_t> shuffle(std::span<const std::uint32_t> counts, std::size_t elements,
                                  unsigned count_bytes) {
  std::vector<std::uint8_t> out(elements * count_bytes, 0);  // [count_bytes, elements]
  const std::size_t n = counts.size();
  const std::uint32_t* c = counts.data();
  for (unsigned b = 0; b < count_bytes; ++b) {
    std::uint8_t* plane = out.data() + b * elements;
    for (std::size_t i = 0; i < n; ++i) plane[i] = static_cast<std::uint8_t>(c[i] >> (8 * b));
  }
  return out;
}

// libdeflate writes the same zlib format as HDF5's deflate filter expects, faster than zlib and
// smaller at the same level. Its (de)compressors are not thread-safe and cost a few hundred KiB
// to set up: one per thread (and level), kept for the thread's life.
struct DeflateDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

libdeflate_compressor* compressor(int level) {
  thread_local std::unique_ptr<libdeflate_compressor, DeflateDeleter> c;
  thread_local int c_level = -1;
  if (!c || c_level != level) {
    c.reset(libdeflate_alloc_compressor(level));
    c_level = level;
    if (!c) throw RuntimeError("cannot allocate a deflate compressor (level " + std::to_string(level) + ")");
  }
  return c.get();
}

libdeflate_decompressor* decompressor() {
  thread_local std::unique_ptr<libdeflate_decompressor, DeflateDeleter> d(libdeflate_alloc_decompressor());
  if (!d) throw RuntimeError("cannot allocate a deflate decompressor");
  return d.get();
}

}  // namespace

std::vector<std::uint8_t> encode_chunk(std::span<const std::uint32_t> counts, std::uint32_t rows,
                                       std::uint32_t width, std::uint32_t strip_rows,
                                       unsigned count_bytes, int level) {
  const std::size_t elements = std::size_t{strip_rows} * width;
  std::vector<std::uint8_t> shuffled = shuffle(counts.first(std::size_t{rows} * width), elements, count_bytes);
  if (level == 0) return shuffled;
  libdeflate_compressor* c = compressor(level);
  std::vector<std::uint8_t> out(libdeflate_zlib_compress_bound(c, shuffled.size()));
  const std::size_t n = libdeflate_zlib_compress(c, shuffled.data(), shuffled.size(), out.data(), out.size());
  if (n == 0) throw RuntimeError("deflate failed on a chunk of " + std::to_string(shuffled.size()) + " bytes");
  out.resize(n);
  return out;
}

std::vector<std::uint32_t> decode_chunk(std::span<const std::uint8_t> bytes, std::uint32_t width,
                                        std::uint32_t strip_rows, unsigned count_bytes, int level) {
  std::vector<std::uint32_t> out(std::size_t{strip_rows} * width);
  std::vector<std::uint8_t> scratch;
  if (!decode_chunk_into(bytes, count_bytes, level != 0, out, scratch)) throw RuntimeError("chunk does not decode to its size");
  return out;
}

bool decode_chunk_into(std::span<const std::uint8_t> bytes, unsigned count_bytes, bool deflated,
                       std::span<std::uint32_t> out, std::vector<std::uint8_t>& scratch) {
  const std::size_t elements = out.size();
  const std::size_t raw = elements * count_bytes;
  const std::uint8_t* planes = bytes.data();
  if (deflated) {
    scratch.resize(raw);
    std::size_t got = 0;
    if (libdeflate_zlib_decompress(decompressor(), bytes.data(), bytes.size(), scratch.data(), raw, &got) !=
            LIBDEFLATE_SUCCESS || got != raw)
      return false;
    planes = scratch.data();
  } else if (bytes.size() != raw) {
    return false;
  }
  std::uint32_t* o = out.data();
  if (count_bytes == 2) {
    const std::uint8_t* lo = planes;
    const std::uint8_t* hi = planes + elements;
    for (std::size_t i = 0; i < elements; ++i) o[i] = lo[i] | (std::uint32_t{hi[i]} << 8);
  } else {
    const std::uint8_t* p0 = planes;
    const std::uint8_t* p1 = planes + elements;
    const std::uint8_t* p2 = planes + 2 * elements;
    const std::uint8_t* p3 = planes + 3 * elements;
    for (std::size_t i = 0; i < elements; ++i)
      o[i] = p0[i] | (std::uint32_t{p1[i]} << 8) | (std::uint32_t{p2[i]} << 16) | (std::uint32_t{p3[i]} << 24);
  }
  return true;
}

std::uint64_t hash_counts(std::span<const std::uint32_t> counts) {
  // Four interleaved FNV-1a streams (value i goes to stream i % 4), so four multiplies are in
  // flight instead of one long dependency chain; then the four stream hashes, FNV-1a'd in order.
  std::uint64_t h[4] = {kFnvOffset, kFnvOffset, kFnvOffset, kFnvOffset};
  const std::size_t n = counts.size(), n4 = n / 4 * 4;
  const std::uint32_t* c = counts.data();
  for (std::size_t i = 0; i < n4; i += 4)
    for (int k = 0; k < 4; ++k) h[k] = (h[k] ^ c[i + k]) * kFnvPrime;
  for (std::size_t i = n4; i < n; ++i) h[i % 4] = (h[i % 4] ^ c[i]) * kFnvPrime;
  std::uint64_t out = kFnvOffset;
  for (std::uint64_t v : h) {
    out = (out ^ (v & 0xffffffffu)) * kFnvPrime;
    out = (out ^ (v >> 32)) * kFnvPrime;
  }
  return out;
}

std::uint64_t combine_hashes(std::span<const std::uint64_t> chunk_hashes) {
  std::uint64_t h = kFnvOffset;
  for (std::uint64_t v : chunk_hashes) {
    h = (h ^ (v & 0xffffffffu)) * kFnvPrime;
    h = (h ^ (v >> 32)) * kFnvPrime;
  }
  return h;
}

}  // namespace fractal
