#include "fractal/chunk_codec.hpp"

#include <zlib.h>

#include <cstring>
#include <string>

#include "fractal/error.hpp"

namespace fractal {

namespace {
constexpr std::uint64_t kFnvOffset = 1469598103934665603ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

// HDF5's shuffle filter: byte b of every element goes to plane b.
std::vector<std::uint8_t> shuffle(std::span<const std::uint32_t> counts, std::size_t elements,
                                  unsigned count_bytes) {
  std::vector<std::uint8_t> out(elements * count_bytes, 0);  // [count_bytes, elements]
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const std::uint32_t v = counts[i];
    for (unsigned b = 0; b < count_bytes; ++b) out[b * elements + i] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  return out;
}
}  // namespace

std::vector<std::uint8_t> encode_chunk(std::span<const std::uint32_t> counts, std::uint32_t rows,
                                       std::uint32_t width, std::uint32_t strip_rows,
                                       unsigned count_bytes, int level) {
  const std::size_t elements = std::size_t{strip_rows} * width;
  std::vector<std::uint8_t> shuffled = shuffle(counts.first(std::size_t{rows} * width), elements, count_bytes);
  if (level == 0) return shuffled;
  uLongf n = compressBound(static_cast<uLong>(shuffled.size()));
  std::vector<std::uint8_t> out(n);
  const int rc = compress2(out.data(), &n, shuffled.data(), static_cast<uLong>(shuffled.size()), level);
  if (rc != Z_OK) throw RuntimeError("zlib compress2 failed (code " + std::to_string(rc) + ")");
  out.resize(n);
  return out;
}

std::vector<std::uint32_t> decode_chunk(std::span<const std::uint8_t> bytes, std::uint32_t width,
                                        std::uint32_t strip_rows, unsigned count_bytes, int level) {
  const std::size_t elements = std::size_t{strip_rows} * width;
  std::vector<std::uint8_t> shuffled(elements * count_bytes);
  if (level == 0) {
    if (bytes.size() != shuffled.size()) throw RuntimeError("chunk has the wrong size");
    std::memcpy(shuffled.data(), bytes.data(), bytes.size());
  } else {
    uLongf n = static_cast<uLongf>(shuffled.size());
    const int rc = uncompress(shuffled.data(), &n, bytes.data(), static_cast<uLong>(bytes.size()));
    if (rc != Z_OK || n != shuffled.size()) throw RuntimeError("chunk does not inflate to its size");
  }
  std::vector<std::uint32_t> out(elements, 0);
  for (std::size_t i = 0; i < elements; ++i)
    for (unsigned b = 0; b < count_bytes; ++b) out[i] |= std::uint32_t{shuffled[b * elements + i]} << (8 * b);
  return out;
}

std::uint64_t hash_counts(std::span<const std::uint32_t> counts) {
  std::uint64_t h = kFnvOffset;
  for (std::uint32_t v : counts) h = (h ^ v) * kFnvPrime;
  return h;
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
