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
// Level 1 (the default) uses zlib_compress_runs below, not libdeflate: on the reference
// workloads' chunks it is 5 to 6.5 times faster than libdeflate level 1 (~1.8 / 2.7 GB/s against
// ~0.35 / 0.4 GB/s on w2 / w1) and its output is 5 to 7% smaller (tools/bench/codec_bench).
// Levels 2..9 use libdeflate at that level. Either way the chunk is a standard zlib stream.
std::vector<std::uint8_t> encode_chunk(std::span<const std::uint32_t> counts, std::uint32_t rows,
                                       std::uint32_t width, std::uint32_t strip_rows,
                                       unsigned count_bytes, int level);

// A fast zlib encoder (RFC 1950 stream, RFC 1951 deflate) specialised for shuffled count planes:
// the only matches it looks for are runs of equal bytes (distance 1), found 16 bytes at a time;
// then one dynamic-Huffman block per `block_bytes` of input (0: one block; encode_chunk passes
// the byte-plane size, so each plane gets its own codes), or a stored block where that is
// smaller. Any zlib/libdeflate/HDF5 deflate decoder reads the output.
// The pointer form writes into out[0..capacity) and returns the size, or 0 if capacity is below
// zlib_runs_bound(n, block_bytes). Thread-safe (per-thread scratch).
std::size_t zlib_runs_bound(std::size_t n, std::size_t block_bytes);
std::size_t zlib_compress_runs(const std::uint8_t* in, std::size_t n, std::size_t block_bytes,
                               std::uint8_t* out, std::size_t capacity);
std::vector<std::uint8_t> zlib_compress_runs(std::span<const std::uint8_t> in, std::size_t block_bytes = 0);

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
