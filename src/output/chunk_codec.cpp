#include "fractal/output/chunk_codec.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "fractal/error.hpp"

namespace fractal {

namespace {
constexpr std::uint64_t kFnvOffset = 1469598103934665603ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

// HDF5's shuffle filter: byte b of every element goes to plane b, out[0, elements * count_bytes);
// elements past counts.size() (the rows past the end of an edge chunk) are zero. One loop per
// plane, so the compiler vectorises it.
void shuffle_into(std::span<const std::uint32_t> counts, std::size_t elements, unsigned count_bytes,
                  std::uint8_t* out) {
  const std::size_t n = counts.size();
  const std::uint32_t* c = counts.data();
  for (unsigned b = 0; b < count_bytes; ++b) {
    std::uint8_t* plane = out + b * elements;
    for (std::size_t i = 0; i < n; ++i) plane[i] = static_cast<std::uint8_t>(c[i] >> (8 * b));
    std::memset(plane + n, 0, elements - n);
  }
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

// ---------------------------------------------------------------------------------------------
// The run-length zlib encoder (see chunk_codec.hpp). Written for this project from RFC 1950/1951.
namespace rle {

inline std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian host assumed (x86-64, AArch64); see the static_assert below
}
inline void store64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
static_assert(std::endian::native == std::endian::little, "the bit writer assumes a little-endian host");

constexpr int kLitLenSyms = 286;  // 0..255 literals, 256 end of block, 257..285 lengths
constexpr int kMaxLitLenBits = 15;
constexpr int kMaxPreBits = 7;
constexpr std::size_t kStoredMax = 65535;

// Deflate's length codes: symbol 257 + i covers kLenBase[i] .. kLenBase[i] + 2^kLenExtra[i] - 1,
// except that 258 has its own symbol (285), never 284 + 31.
constexpr std::uint16_t kLenBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                        31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::uint8_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                        2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
// Order in which the code-length code's lengths are sent.
constexpr std::uint8_t kPreOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

struct LenTable {
  std::uint8_t sym[259];  // length -> symbol - 257
  LenTable() {
    for (int i = 0; i < 29; ++i)
      for (int l = kLenBase[i]; l < kLenBase[i] + (1 << kLenExtra[i]) && l <= 258; ++l) sym[l] = static_cast<std::uint8_t>(i);
    sym[258] = 28;
  }
};
const LenTable kLen;

// One piece of a block: `literals` bytes sent as literals, then a run of `match` more copies of
// the last of them (distance 1; 0 = none, else >= 3, split into matches of <= 258 when sent).
struct Segment {
  std::uint32_t literals, match;
};

// Splits a run of `m` >= 3 bytes into deflate matches of 3..258 (the last piece never 1 or 2).
template <class F>
inline void for_each_match(std::uint32_t m, F&& f) {
  while (m > 258) {
    std::uint32_t take = 258;
    if (m - take < 3) take = m - 3;
    f(take);
    m -= take;
  }
  f(m);
}

// Length-limited Huffman code lengths for freq[0..n): a Huffman tree (two queues over the
// symbols sorted by frequency), leaves deeper than max_bits moved up to max_bits, then the Kraft
// sum repaired one unit at a time (as zlib's gen_bitlen does), which keeps the code complete;
// the shortest lengths go to the most frequent symbols. Needs >= 2 used symbols for a complete
// code (one used symbol gets length 1, an incomplete code; callers add a second symbol).
void huffman_lengths(const std::uint32_t* freq, int n, int max_bits, std::uint8_t* len) {
  std::uint16_t sym[kLitLenSyms];
  int m = 0;
  for (int s = 0; s < n; ++s) {
    len[s] = 0;
    if (freq[s] != 0) sym[m++] = static_cast<std::uint16_t>(s);
  }
  if (m == 0) return;
  if (m == 1) {
    len[sym[0]] = 1;
    return;
  }
  std::sort(sym, sym + m, [&](std::uint16_t a, std::uint16_t b) { return freq[a] != freq[b] ? freq[a] < freq[b] : a < b; });
  std::uint64_t w[2 * kLitLenSyms];
  std::uint16_t parent[2 * kLitLenSyms];
  std::uint16_t depth[2 * kLitLenSyms];
  for (int i = 0; i < m; ++i) w[i] = freq[sym[i]];
  int leaf = 0, inner = m;  // next unused leaf, next unused internal node
  for (int k = m; k < 2 * m - 1; ++k) {
    int pick[2];
    for (int& p : pick) p = (leaf < m && (inner >= k || w[leaf] <= w[inner])) ? leaf++ : inner++;
    w[k] = w[pick[0]] + w[pick[1]];
    parent[pick[0]] = parent[pick[1]] = static_cast<std::uint16_t>(k);
  }
  depth[2 * m - 2] = 0;
  for (int k = 2 * m - 3; k >= 0; --k) depth[k] = static_cast<std::uint16_t>(depth[parent[k]] + 1);
  std::uint32_t count[kMaxLitLenBits + 1] = {};
  for (int i = 0; i < m; ++i) ++count[std::min<int>(depth[i], max_bits)];
  std::uint64_t kraft = 0;
  for (int d = 1; d <= max_bits; ++d) kraft += std::uint64_t{count[d]} << (max_bits - d);
  while (kraft > (std::uint64_t{1} << max_bits)) {
    int d = max_bits - 1;
    while (count[d] == 0) --d;
    --count[d];
    count[d + 1] += 2;
    --count[max_bits];
    --kraft;
  }
  int i = 0;  // least frequent first: longest codes
  for (int d = max_bits; d >= 1; --d)
    for (std::uint32_t c = 0; c < count[d]; ++c) len[sym[i++]] = static_cast<std::uint8_t>(d);
}

// Canonical codes (RFC 1951 3.2.2), bit-reversed for the LSB-first bit writer.
void canonical_codes(const std::uint8_t* len, int n, std::uint16_t* code) {
  std::uint32_t count[16] = {}, next[16] = {};
  for (int s = 0; s < n; ++s) ++count[len[s]];
  count[0] = 0;
  std::uint32_t c = 0;
  for (int b = 1; b < 16; ++b) {
    c = (c + count[b - 1]) << 1;
    next[b] = c;
  }
  for (int s = 0; s < n; ++s) {
    if (len[s] == 0) {
      code[s] = 0;
      continue;
    }
    std::uint32_t v = next[len[s]]++, r = 0;
    for (int b = 0; b < len[s]; ++b) r |= ((v >> b) & 1u) << (len[s] - 1 - b);
    code[s] = static_cast<std::uint16_t>(r);
  }
}

// 64-bit little-endian bit writer. put() needs bits + n <= 63; flush() leaves bits <= 7. Writes
// up to 8 bytes past its position, so the output needs 8 bytes of slack.
struct BitWriter {
  std::uint8_t* out;
  std::uint64_t buf = 0;
  unsigned bits = 0;
  void put(std::uint64_t v, unsigned n) {
    buf |= v << bits;
    bits += n;
  }
  void flush() {
    store64(out, buf);
    out += bits >> 3;
    buf >>= bits & 56u;
    bits &= 7u;
  }
  void align() {  // to a byte boundary, zero padding
    flush();
    if (bits != 0) {
      ++out;
      buf = 0;
      bits = 0;
    }
  }
};

// Scratch kept per thread across calls.
struct Scratch {
  std::vector<Segment> segments;
  std::vector<std::uint8_t> out;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// The statistics of one block.
struct BlockStats {
  std::uint32_t freq[kLitLenSyms];
  std::uint32_t matches;
};

// Literal byte histogram of p[0..n) into 4 tables (4 independent counter streams).
inline void histogram(const std::uint8_t* p, std::size_t n, std::uint32_t (*h)[256]) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    ++h[0][p[i]];
    ++h[1][p[i + 1]];
    ++h[2][p[i + 2]];
    ++h[3][p[i + 3]];
  }
  for (; i < n; ++i) ++h[0][p[i]];
}

// End of the run of p[s] that starts at s with >= 4 equal bytes, within p[0..n).
inline std::size_t run_end(const std::uint8_t* p, std::size_t s, std::size_t n) {
  const std::uint8_t b = p[s];
  const std::uint64_t pattern = 0x0101010101010101ull * b;
  std::size_t j = s + 4;
  while (j + 8 <= n) {
    const std::uint64_t x = load64(p + j) ^ pattern;
    if (x != 0) return j + (static_cast<unsigned>(std::countr_zero(x)) >> 3);
    j += 8;
  }
  while (j < n && p[j] == b) ++j;
  return j;
}

// Cuts p[0..n) into segments (literals, then a run of >= 4 equal bytes sent as its first byte
// and distance-1 matches) and counts the symbols they use.
// Appends to `seg`.
void tokenize(const std::uint8_t* p, std::size_t n, std::vector<Segment>& seg, BlockStats& st) {
  std::uint32_t h[4][256] = {};
  std::uint32_t lens[259] = {};
  std::size_t lit_start = 0, i = 0;
  auto record = [&](std::size_t s, std::size_t e) {  // run of p[s] over [s, e), e - s >= 4
    histogram(p + lit_start, s + 1 - lit_start, h);
    const auto m = static_cast<std::uint32_t>(e - s - 1);
    seg.push_back({static_cast<std::uint32_t>(s + 1 - lit_start), m});
    for_each_match(m, [&](std::uint32_t l) { ++lens[l]; });
    lit_start = i = e;
  };
#if defined(__SSE2__)
  // 16 bytes at a time: bit k of `eq` says p[i+k] == p[i+k+1]; a run of 4 starts where three
  // consecutive bits are set.
  while (i + 17 <= n) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1));
    const auto eq = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, b)));
    const unsigned r = eq & (eq >> 1) & (eq >> 2);  // bits 0..13 meaningful
    if (r == 0) {
      i += 14;
      continue;
    }
    const std::size_t s = i + static_cast<unsigned>(std::countr_zero(r));
    record(s, run_end(p, s, n));
  }
#else
  // 8 bytes at a time: byte k of x is zero where p[i+k] == p[i+k+1].
  while (i + 9 <= n) {
    const std::uint64_t x = load64(p + i) ^ load64(p + i + 1);
    // High bit of each byte set where that byte of x is zero.
    const std::uint64_t z = ~(((x & 0x7F7F7F7F7F7F7F7Full) + 0x7F7F7F7F7F7F7F7Full) | x) & 0x8080808080808080ull;
    const std::uint64_t r = z & (z >> 8) & (z >> 16);  // bytes 0..5 meaningful
    if (r == 0) {
      i += 6;
      continue;
    }
    const std::size_t s = i + (static_cast<unsigned>(std::countr_zero(r)) >> 3);
    record(s, run_end(p, s, n));
  }
#endif
  while (i + 4 <= n) {
    if (p[i] == p[i + 1] && p[i] == p[i + 2] && p[i] == p[i + 3])
      record(i, run_end(p, i, n));
    else
      ++i;
  }
  if (lit_start < n) {
    histogram(p + lit_start, n - lit_start, h);
    seg.push_back({static_cast<std::uint32_t>(n - lit_start), 0});
  }
  for (int s = 0; s < 256; ++s) st.freq[s] = h[0][s] + h[1][s] + h[2][s] + h[3][s];
  st.freq[256] = 1;  // end of block
  for (int s = 257; s < kLitLenSyms; ++s) st.freq[s] = 0;
  st.matches = 0;
  for (int l = 3; l <= 258; ++l) {
    st.freq[257 + kLen.sym[l]] += lens[l];
    st.matches += lens[l];
  }
}

// The code-length sequence of a block's header, run-length coded with symbols 16/17/18.
struct PreItem {
  std::uint8_t sym, extra;
};

int encode_lengths(const std::uint8_t* lens, int total, PreItem* items) {
  int k = 0;
  for (int i = 0; i < total;) {
    const std::uint8_t v = lens[i];
    int run = 1;
    while (i + run < total && lens[i + run] == v) ++run;
    i += run;
    if (v == 0) {
      while (run >= 11) {
        const int r = std::min(run, 138);
        items[k++] = {18, static_cast<std::uint8_t>(r - 11)};
        run -= r;
      }
      if (run >= 3) {
        items[k++] = {17, static_cast<std::uint8_t>(run - 3)};
        run = 0;
      }
      for (; run > 0; --run) items[k++] = {0, 0};
    } else {
      items[k++] = {v, 0};
      --run;
      while (run >= 3) {
        const int r = std::min(run, 6);
        items[k++] = {16, static_cast<std::uint8_t>(r - 3)};
        run -= r;
      }
      for (; run > 0; --run) items[k++] = {v, 0};
    }
  }
  return k;
}

constexpr std::uint8_t kPreExtraBits[19] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7};

// Literals p[0..n) with the literal codes `lc` (code | length << 16), G per flush.
template <int G>
inline void put_literals(BitWriter& bw, const std::uint8_t* p, std::size_t n, const std::uint32_t* lc) {
  std::size_t i = 0;
  for (; i + G <= n; i += G) {
    for (int g = 0; g < G; ++g) bw.put(lc[p[i + g]] & 0xFFFFu, lc[p[i + g]] >> 16);
    bw.flush();
  }
  for (; i < n; ++i) {
    bw.put(lc[p[i]] & 0xFFFFu, lc[p[i]] >> 16);
    bw.flush();
  }
}

// Stored block(s) for p[0..n) (n may exceed 65535: several blocks).
void put_stored(BitWriter& bw, const std::uint8_t* p, std::size_t n, bool final) {
  do {
    const std::size_t len = std::min(n, kStoredMax);
    const bool last = final && len == n;
    bw.put(last ? 1u : 0u, 3);  // BFINAL, BTYPE 00
    bw.align();
    const auto l16 = static_cast<std::uint16_t>(len);
    const std::uint8_t hdr[4] = {static_cast<std::uint8_t>(l16), static_cast<std::uint8_t>(l16 >> 8),
                                 static_cast<std::uint8_t>(~l16), static_cast<std::uint8_t>(~l16 >> 8)};
    std::memcpy(bw.out, hdr, 4);
    if (len) std::memcpy(bw.out + 4, p, len);
    bw.out += 4 + len;
    p += len;
    n -= len;
  } while (n > 0);
}

// Bytes of stored blocks for n bytes starting at a byte boundary (upper bound: +1 for alignment).
inline std::size_t stored_bytes(std::size_t n) { return n + 5 * std::max<std::size_t>(1, (n + kStoredMax - 1) / kStoredMax); }

// The fixed Huffman code of BTYPE 01 (RFC 1951 3.2.6).
struct FixedCode {
  std::uint8_t lens[288];
  std::uint16_t codes[288];
  FixedCode() {
    for (int s = 0; s < 288; ++s) lens[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
    canonical_codes(lens, 288, codes);
  }
};
const FixedCode kFixed;

// The block's symbols with codes `codes`/`lens`; distance 1 is `dist_bits` zero bits (symbol 0).
void put_symbols(BitWriter& bw, const std::uint8_t* p, const Segment* seg_begin, const Segment* seg_end,
                 const std::uint16_t* codes, const std::uint8_t* lens, unsigned dist_bits) {
  std::uint32_t lc[256];
  int maxlit = 0;
  for (int s = 0; s < 256; ++s) {
    lc[s] = codes[s] | (std::uint32_t{lens[s]} << 16);
    maxlit = std::max<int>(maxlit, lens[s]);
  }
  // Matches: length code, its extra bits, then the distance code (all zero bits), as one string.
  std::uint32_t mc[259] = {}, ml[259] = {};
  for (int l = 3; l <= 258; ++l) {
    const int i = kLen.sym[l];
    if (lens[257 + i] == 0) continue;  // length not used in this block
    mc[l] = codes[257 + i] | (static_cast<std::uint32_t>(l - kLenBase[i]) << lens[257 + i]);
    ml[l] = lens[257 + i] + kLenExtra[i] + dist_bits;
  }
  const std::uint8_t* q = p;
  for (const Segment* it = seg_begin; it != seg_end; ++it) {
    const Segment& s = *it;
    if (maxlit <= 14)
      put_literals<4>(bw, q, s.literals, lc);
    else
      put_literals<3>(bw, q, s.literals, lc);
    q += s.literals;
    if (s.match != 0) {
      for_each_match(s.match, [&](std::uint32_t l) {
        bw.put(mc[l], ml[l]);
        bw.flush();
      });
      q += s.match;
    }
  }
  bw.put(codes[256], lens[256]);
  bw.flush();
}

// Bits of the block's symbols (without header) with code lengths `lens`.
std::uint64_t symbol_bits(const BlockStats& st, const std::uint8_t* lens, unsigned dist_bits) {
  std::uint64_t total = 0;
  for (int s = 0; s < 257; ++s) total += std::uint64_t{st.freq[s]} * lens[s];
  for (int i = 0; i < 29; ++i) total += std::uint64_t{st.freq[257 + i]} * (lens[257 + i] + kLenExtra[i]);
  return total + std::uint64_t{st.matches} * dist_bits;
}

// A block's statistics and its plan: dynamic Huffman codes, or the fixed code, or stored,
// whichever is smallest (the sizes are exact, computed before anything is written).
struct Block {
  const std::uint8_t* p;
  std::size_t n;
  std::size_t seg_begin, seg_end;  // its segments in Scratch::segments
  BlockStats st;
  enum Kind { kStored, kFixed, kDynamic } kind;
  std::uint64_t bits;  // of the chosen kind (stored: an upper bound, alignment included)
  std::uint8_t lens[kLitLenSyms + 2];
  std::uint8_t plen[19];
  PreItem items[kLitLenSyms + 2];
  int nitems, hlit, hclen;
};

void plan_block(Block& b) {
  const BlockStats& st = b.st;
  huffman_lengths(st.freq, kLitLenSyms, kMaxLitLenBits, b.lens);
  int hlit = kLitLenSyms;
  while (hlit > 257 && b.lens[hlit - 1] == 0) --hlit;
  // Distance alphabet: codes 0 (distance 1) and 1 (unused), one bit each, a complete code.
  b.lens[hlit] = 1;
  b.lens[hlit + 1] = 1;
  b.hlit = hlit;
  b.nitems = encode_lengths(b.lens, hlit + 2, b.items);
  std::uint32_t pfreq[19] = {};
  for (int k = 0; k < b.nitems; ++k) ++pfreq[b.items[k].sym];
  int used = 0;
  for (std::uint32_t f : pfreq) used += f != 0;
  if (used < 2) pfreq[pfreq[0] ? 1 : 0] = 1;  // a complete code needs two symbols
  huffman_lengths(pfreq, 19, kMaxPreBits, b.plen);
  int hclen = 19;
  while (hclen > 4 && b.plen[kPreOrder[hclen - 1]] == 0) --hclen;
  b.hclen = hclen;

  std::uint64_t dynamic_bits = 3 + 5 + 5 + 4 + 3 * hclen + symbol_bits(st, b.lens, 1);
  for (int k = 0; k < b.nitems; ++k) dynamic_bits += b.plen[b.items[k].sym] + kPreExtraBits[b.items[k].sym];
  const std::uint64_t fixed_bits = 3 + symbol_bits(st, kFixed.lens, 5);
  const std::uint64_t stored_bits = 8 * (stored_bytes(b.n) + 1);
  b.kind = Block::kDynamic;
  b.bits = dynamic_bits;
  if (fixed_bits <= b.bits) b.kind = Block::kFixed, b.bits = fixed_bits;
  if (stored_bits <= b.bits + 8) b.kind = Block::kStored, b.bits = stored_bits;
}

void put_block(BitWriter& bw, const Block& b, bool final, const Scratch& sc) {
  if (b.kind == Block::kStored) {
    put_stored(bw, b.p, b.n, final);
    return;
  }
  if (b.kind == Block::kFixed) {
    bw.put((final ? 1u : 0u) | (1u << 1), 3);
    put_symbols(bw, b.p, sc.segments.data() + b.seg_begin, sc.segments.data() + b.seg_end, kFixed.codes, kFixed.lens, 5);
    return;
  }
  std::uint16_t codes[kLitLenSyms];
  canonical_codes(b.lens, b.hlit, codes);
  std::uint16_t pcodes[19];
  canonical_codes(b.plen, 19, pcodes);
  bw.put((final ? 1u : 0u) | (2u << 1), 3);
  bw.put(static_cast<unsigned>(b.hlit - 257) | (1u << 5) | (static_cast<unsigned>(b.hclen - 4) << 10), 14);  // HDIST = 2
  bw.flush();
  for (int k = 0; k < b.hclen; ++k) {
    bw.put(b.plen[kPreOrder[k]], 3);
    bw.flush();
  }
  for (int k = 0; k < b.nitems; ++k) {
    const unsigned s = b.items[k].sym;
    bw.put(pcodes[s], b.plen[s]);
    bw.put(b.items[k].extra, kPreExtraBits[s]);
    bw.flush();
  }
  put_symbols(bw, b.p, sc.segments.data() + b.seg_begin, sc.segments.data() + b.seg_end, codes, b.lens, 1);
}

// Cuts in[0, n) into blocks of block_bytes, then joins neighbours where one block is smaller
// than two (one header instead of two: small chunks, planes of similar statistics).
void put_blocks(BitWriter& bw, const std::uint8_t* in, std::size_t n, std::size_t block_bytes, Scratch& sc) {
  sc.segments.clear();
  const std::size_t step = block_bytes == 0 ? n : block_bytes;
  auto make = [&](Block& b, std::size_t at) {
    b.p = in + at;
    b.n = std::min(step, n - at);
    b.seg_begin = sc.segments.size();
    tokenize(b.p, b.n, sc.segments, b.st);
    b.seg_end = sc.segments.size();
    plan_block(b);
  };
  Block blocks[3];
  Block* cur = &blocks[0];
  Block* next = &blocks[1];
  Block* joined = &blocks[2];
  make(*cur, 0);
  for (std::size_t at = step; at < n; at += step) {
    make(*next, at);
    joined->p = cur->p;
    joined->n = cur->n + next->n;
    joined->seg_begin = cur->seg_begin;
    joined->seg_end = next->seg_end;
    for (int s = 0; s < kLitLenSyms; ++s) joined->st.freq[s] = cur->st.freq[s] + next->st.freq[s];
    joined->st.freq[256] = 1;
    joined->st.matches = cur->st.matches + next->st.matches;
    plan_block(*joined);
    if (joined->bits < cur->bits + next->bits) {
      std::swap(cur, joined);
    } else {
      put_block(bw, *cur, false, sc);
      std::swap(cur, next);
    }
  }
  put_block(bw, *cur, true, sc);
}

}  // namespace rle

std::size_t zlib_runs_bound(std::size_t n, std::size_t block_bytes) {
  const std::size_t blocks = block_bytes == 0 || n == 0 ? 1 : (n + block_bytes - 1) / block_bytes;
  return 2 + 4 + n + 5 * (n / rle::kStoredMax + 1) + 6 * blocks + 8;
}

std::size_t zlib_compress_runs(const std::uint8_t* in, std::size_t n, std::size_t block_bytes,
                               std::uint8_t* out, std::size_t capacity) {
  if (capacity < zlib_runs_bound(n, block_bytes)) return 0;
  out[0] = 0x78;  // deflate, 32 KiB window
  out[1] = 0x01;  // FLEVEL 0 (fastest), FCHECK: 0x7801 % 31 == 0
  rle::BitWriter bw{out + 2};
  rle::Scratch& sc = rle::scratch();
  if (n == 0) {
    rle::put_stored(bw, in, 0, true);
  } else {
    rle::put_blocks(bw, in, n, block_bytes, sc);
  }
  bw.align();
  const std::uint32_t a = libdeflate_adler32(1, in, n);
  const std::uint8_t trailer[4] = {static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
                                   static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
  std::memcpy(bw.out, trailer, 4);
  return static_cast<std::size_t>(bw.out + 4 - out);
}

std::vector<std::uint8_t> zlib_compress_runs(std::span<const std::uint8_t> in, std::size_t block_bytes) {
  std::vector<std::uint8_t>& buf = rle::scratch().out;
  const std::size_t bound = zlib_runs_bound(in.size(), block_bytes);
  if (buf.size() < bound) buf.resize(bound);
  const std::size_t n = zlib_compress_runs(in.data(), in.size(), block_bytes, buf.data(), buf.size());
  return std::vector<std::uint8_t>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
}

std::vector<std::uint8_t> encode_chunk(std::span<const std::uint32_t> counts, std::uint32_t rows,
                                       std::uint32_t width, std::uint32_t strip_rows,
                                       unsigned count_bytes, int level) {
  const std::size_t elements = std::size_t{strip_rows} * width;
  const std::span<const std::uint32_t> valid = counts.first(std::size_t{rows} * width);
  if (level == 0) {
    std::vector<std::uint8_t> shuffled(elements * count_bytes);
    shuffle_into(valid, elements, count_bytes, shuffled.data());
    return shuffled;
  }
  thread_local std::vector<std::uint8_t> shuffled;  // reused: no allocation or zeroing per chunk
  shuffled.resize(elements * count_bytes);
  shuffle_into(valid, elements, count_bytes, shuffled.data());
  // Level 1: the run-length encoder, one deflate block per byte plane.
  if (level == 1) return zlib_compress_runs(shuffled, elements);
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
