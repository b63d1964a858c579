#pragma once
// Turns rendered counts into the exact bytes HDF5 stores for a chunk (shuffle, then deflate), so
// workers compress in parallel and rank 0 only moves bytes (H5Dwrite_chunk). Also the
// verification hash, which depends on the counts only (not on ranks, threads or schedule).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fractal {

// counts: [rows, width] of one strip. Output: a full chunk [strip_rows, width] of count_bytes-wide
// little-endian integers (rows past `rows` zero, as HDF5 expects for an edge chunk), byte-shuffled,
// then zlib-compressed at `level` (level 0: shuffle only, the file then has no deflate filter).
std::vector<std::uint8_t> encode_chunk(std::span<const std::uint32_t> counts, std::uint32_t rows,
                                       std::uint32_t width, std::uint32_t strip_rows,
                                       unsigned count_bytes, int level);

// The inverse, for tests and readers that bypass HDF5: returns [strip_rows, width] counts.
std::vector<std::uint32_t> decode_chunk(std::span<const std::uint8_t> bytes, std::uint32_t width,
                                        std::uint32_t strip_rows, unsigned count_bytes, int level);

// The same into a caller's buffer (out.size() = strip_rows * width), reusing `scratch`; returns
// false if the bytes do not decode to exactly that size (a damaged chunk).
bool decode_chunk_into(std::span<const std::uint8_t> bytes, unsigned count_bytes, bool deflated,
                       std::span<std::uint32_t> out, std::vector<std::uint8_t>& scratch);

// 64-bit FNV-1a over the counts as 32-bit values in row-major order, in four interleaved streams
// (docs/FORMAT.md gives the exact definition).
std::uint64_t hash_counts(std::span<const std::uint32_t> counts);
// The job's verification hash: FNV-1a over the per-chunk hashes in chunk-index order.
std::uint64_t combine_hashes(std::span<const std::uint64_t> chunk_hashes);

}  // namespace fractal
