// Layout tests: the chunk grid (make_layout, chunk_ref) and the work queue. Draining the queue in
// any request order covers every chunk and every pixel row exactly once, with items that are
// contiguous, non-empty, and never cross a frame boundary unless they are whole frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fractal/output/layout.hpp"

namespace fractal {
namespace {

std::string describe(const ChunkLayout& l, int ranks) {
  return "frames=" + std::to_string(l.frames) + " width=" + std::to_string(l.width) +
         " height=" + std::to_string(l.height) + " strip_rows=" + std::to_string(l.strip_rows) +
         " strips_per_frame=" + std::to_string(l.strips_per_frame) +
         " ranks=" + std::to_string(ranks);
}

enum class Order { RoundRobin, Random };

// Drains the queue with `ranks` ranks asking in turn (round robin) or in a seeded random order.
// Returns the items in the order they were handed out; items_by_rank gets who took what.
std::vector<WorkItem> drain(WorkQueue& q, int ranks, Order order, std::uint32_t seed,
                            std::vector<std::vector<WorkItem>>* items_by_rank = nullptr) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, ranks - 1);
  std::vector<WorkItem> items;
  std::vector<std::vector<WorkItem>> by_rank(static_cast<std::size_t>(ranks));
  std::vector<bool> finished(static_cast<std::size_t>(ranks), false);
  int turn = 0;
  std::uint64_t left = q.chunks_left();
  // Each rank asks until it is told there is no more work; stop when every rank has been told.
  while (std::count(finished.begin(), finished.end(), false) > 0) {
    const int r = order == Order::RoundRobin ? turn++ % ranks : pick(rng);
    if (finished[static_cast<std::size_t>(r)]) continue;
    const auto item = q.next();
    if (!item) {
      finished[static_cast<std::size_t>(r)] = true;
      EXPECT_EQ(q.chunks_left(), 0u) << "next() returned nothing with chunks left";
      continue;
    }
    EXPECT_LT(item->chunk_begin, item->chunk_end) << "empty item";
    const std::uint64_t size = item->chunk_end - item->chunk_begin;
    EXPECT_LE(size, left) << "item larger than what was left";
    if (size > left) return items;
    left -= size;
    EXPECT_EQ(q.chunks_left(), left) << "chunks_left() does not drop by the item's size";
    items.push_back(*item);
    by_rank[static_cast<std::size_t>(r)].push_back(*item);
    if (items.size() > 10'000'000) {
      ADD_FAILURE() << "queue never ends";
      break;
    }
  }
  EXPECT_EQ(q.chunks_left(), 0u);
  EXPECT_FALSE(q.next().has_value()) << "next() after the end must stay empty";
  if (items_by_rank) *items_by_rank = std::move(by_rank);
  return items;
}

// Items never cross a frame boundary unless they consist of whole frames (layout.hpp: "Whole
// frames when frames are small, a strip of rows (one or a few chunks) when they are big";
// DESIGN.md: "a frame range, or one strip of rows of one frame").
void check_frame_rule(const ChunkLayout& l, const std::vector<WorkItem>& items) {
  const std::uint64_t spf = l.strips_per_frame;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const WorkItem& it = items[k];
    if (it.chunk_begin >= it.chunk_end) continue;  // reported by check_items
    const std::uint64_t f0 = it.chunk_begin / spf, f1 = (it.chunk_end - 1) / spf;
    if (f0 == f1) continue;
    EXPECT_TRUE(it.chunk_begin % spf == 0 && it.chunk_end % spf == 0)
        << "item " << k << " = chunks [" << it.chunk_begin << ", " << it.chunk_end
        << ") spans frames " << f0 << ".." << f1 << " but is not whole frames (starts at strip "
        << it.chunk_begin % spf << ", ends before strip " << it.chunk_end % spf << " of "
        << spf << ")";
  }
}

// Checks items against the layout. `expected[c]` = 1 for chunks that must be handed out.
void check_items(const ChunkLayout& l, const std::vector<WorkItem>& items,
                 const std::vector<std::uint8_t>& expected) {
  const std::uint64_t n = l.chunk_count();
  const std::uint64_t spf = l.strips_per_frame;
  std::vector<int> chunk_hits(n, 0);
  std::vector<int> row_hits(l.frames * l.height, 0);  // [frames, height]
  std::uint64_t prev_end = 0;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const WorkItem& it = items[k];
    ASSERT_LT(it.chunk_begin, it.chunk_end) << "item " << k << " is empty";
    ASSERT_LE(it.chunk_end, n) << "item " << k << " runs past the last chunk";
    // Handed out in order: items follow one another (rank 0 hands chunks out frame-major).
    EXPECT_GE(it.chunk_begin, prev_end) << "item " << k << " overlaps or goes back";
    prev_end = it.chunk_end;
    for (std::uint64_t c = it.chunk_begin; c < it.chunk_end; ++c) {
      ++chunk_hits[c];
      const ChunkRef ref = chunk_ref(l, c);
      EXPECT_EQ(ref.index, c);
      EXPECT_EQ(ref.frame, c / spf);
      ASSERT_LT(ref.frame, l.frames);
      EXPECT_LT(ref.row_begin, ref.row_end) << "chunk " << c << " has no rows";
      EXPECT_LE(ref.row_end - ref.row_begin, l.strip_rows) << "chunk " << c;
      ASSERT_LE(ref.row_end, l.height) << "chunk " << c;
      EXPECT_EQ(ref.row_begin, (c % spf) * l.strip_rows) << "chunk " << c;
      for (std::uint32_t r = ref.row_begin; r < ref.row_end; ++r) ++row_hits[ref.frame * l.height + r];
    }
  }
  for (std::uint64_t c = 0; c < n; ++c)
    EXPECT_EQ(chunk_hits[c], expected[c] ? 1 : 0) << "chunk " << c << " handed out "
                                                  << chunk_hits[c] << " times";
  // Rows: every row of every expected chunk's frame exactly once (when all chunks are expected,
  // that is every row of every frame).
  std::vector<int> expected_rows(l.frames * l.height, 0);
  for (std::uint64_t c = 0; c < n; ++c) {
    if (!expected[c]) continue;
    const std::uint64_t f = c / spf;
    const std::uint64_t r0 = (c % spf) * l.strip_rows;
    const std::uint64_t r1 = std::min<std::uint64_t>(l.height, r0 + l.strip_rows);
    for (std::uint64_t r = r0; r < r1; ++r) expected_rows[f * l.height + r] = 1;
  }
  for (std::uint64_t f = 0; f < l.frames; ++f)
    for (std::uint32_t r = 0; r < l.height; ++r)
      EXPECT_EQ(row_hits[f * l.height + r], expected_rows[f * l.height + r])
          << "frame " << f << " row " << r << " covered " << row_hits[f * l.height + r] << " times";
}

TEST(Layout, GridShape) {
  for (std::uint32_t sr : {1u, 7u, 10u, 101u, 200u}) {
    const ChunkLayout l = make_layout(7, 13, 101, 2, sr);
    EXPECT_EQ(l.frames, 7u);
    EXPECT_EQ(l.width, 13u);
    EXPECT_EQ(l.height, 101u);
    EXPECT_EQ(l.strip_rows, std::min(sr, 101u)) << "requested " << sr;
    EXPECT_EQ(l.strips_per_frame, (101u + l.strip_rows - 1) / l.strip_rows) << "requested " << sr;
    EXPECT_EQ(l.chunk_count(), 7u * l.strips_per_frame);
  }
  // The last strip of a frame is the short one.
  const ChunkLayout l = make_layout(2, 5, 101, 2, 10);
  ASSERT_EQ(l.strips_per_frame, 11u);
  const ChunkRef last = chunk_ref(l, 10);
  EXPECT_EQ(last.frame, 0u);
  EXPECT_EQ(last.row_begin, 100u);
  EXPECT_EQ(last.row_end, 101u);
  const ChunkRef first_of_1 = chunk_ref(l, 11);
  EXPECT_EQ(first_of_1.frame, 1u);
  EXPECT_EQ(first_of_1.row_begin, 0u);
  EXPECT_EQ(first_of_1.row_end, 10u);
}

// The request orders and layouts of the decomposition tests.
template <typename F>
void for_each_decomposition(F&& f) {
  const std::uint64_t frames = 7;
  const std::uint32_t height = 101;
  for (std::uint32_t width : {1u, 13u})
    for (std::uint32_t sr : {0u, 1u, 7u, 10u, 101u, 200u})
      for (int ranks : {1, 2, 3, 5})
        for (Order order : {Order::RoundRobin, Order::Random}) {
          const ChunkLayout l = make_layout(frames, width, height, 2, sr);
          SCOPED_TRACE(describe(l, ranks) + " requested_strip_rows=" + std::to_string(sr) +
                       (order == Order::RoundRobin ? " round-robin" : " random order"));
          const std::uint32_t seed =
              1234u + width * 7919u + sr * 31u + static_cast<std::uint32_t>(ranks);
          f(l, ranks, order, seed);
        }
}

// An item smaller than a frame must stay inside one frame (e.g. frames=7 height=101 strip_rows=1
// ranks=2 once produced item [88, 165): rows 88..100 of frame 0 and rows 0..63 of frame 1).
TEST(WorkQueue, ItemsNeverCrossFrameBoundaryUnlessWholeFrames) {
  for_each_decomposition([](const ChunkLayout& l, int ranks, Order order, std::uint32_t seed) {
    WorkQueue q(l, ranks);
    check_frame_rule(l, drain(q, ranks, order, seed));
  });
}

TEST(WorkQueue, DecompositionCoversEverythingOnce) {
  for_each_decomposition([](const ChunkLayout& l, int ranks, Order order, std::uint32_t seed) {
    ASSERT_GE(l.strip_rows, 1u);
    ASSERT_LE(l.strip_rows, l.height);
    WorkQueue q(l, ranks);
    EXPECT_EQ(q.chunks_left(), l.chunk_count());
    std::vector<std::vector<WorkItem>> by_rank;
    const std::vector<WorkItem> items = drain(q, ranks, order, seed, &by_rank);
    check_items(l, items, std::vector<std::uint8_t>(l.chunk_count(), 1));
    // What the ranks took adds up to the whole job (nothing lost in the hand-out).
    std::uint64_t total = 0;
    for (const auto& v : by_rank)
      for (const auto& it : v) total += it.chunk_end - it.chunk_begin;
    EXPECT_EQ(total, l.chunk_count());
  });
}

// The default chunk height: a whole frame for animations of small frames, ~256 KiB strips
// otherwise (stills and short animations, so their few frames still split among ranks).
TEST(Layout, DefaultStripRows) {
  // Workload 1: 300 frames of 500x500 uint16 (500 000 bytes): one chunk per frame.
  EXPECT_EQ(make_layout(300, 500, 500, 2, 0).strip_rows, 500u);
  EXPECT_EQ(make_layout(300, 500, 500, 2, 0).strips_per_frame, 1u);
  // At the limits: 64 frames of exactly 1 MiB, yes; 63 frames, or one byte-row more, no.
  EXPECT_EQ(make_layout(64, 512, 1024, 2, 0).strips_per_frame, 1u);
  EXPECT_EQ(make_layout(63, 512, 1024, 2, 0).strip_rows, 256u);  // 256 KiB / 1 KiB rows
  EXPECT_EQ(make_layout(64, 512, 1025, 2, 0).strips_per_frame, 5u);
  // The same frames as a still: ~256 KiB strips, even heights (500 rows of 1000 bytes -> 2 strips).
  EXPECT_EQ(make_layout(1, 500, 500, 2, 0).strip_rows, 250u);
  // Workload 2: 4096x4096 uint16, 8 KiB rows: 32-row strips; 1080p uint32 animations: strips.
  EXPECT_EQ(make_layout(1, 4096, 4096, 2, 0).strip_rows, 32u);
  EXPECT_GT(make_layout(600, 1920, 1080, 4, 0).strips_per_frame, 1u);
  // A request always wins.
  EXPECT_EQ(make_layout(300, 500, 500, 2, 100).strip_rows, 100u);
}

// More ranks than chunks, and a single-chunk job.
TEST(WorkQueue, TinyJobs) {
  for (int ranks : {1, 4, 64}) {
    const ChunkLayout one = make_layout(1, 1, 1, 2, 0);
    ASSERT_EQ(one.chunk_count(), 1u);
    WorkQueue q(one, ranks);
    const auto items = drain(q, ranks, Order::RoundRobin, 1);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].chunk_begin, 0u);
    EXPECT_EQ(items[0].chunk_end, 1u);

    const ChunkLayout few = make_layout(3, 4, 4, 4, 2);  // 2 strips x 3 frames
    WorkQueue q2(few, ranks);
    check_items(few, drain(q2, ranks, Order::Random, 7), std::vector<std::uint8_t>(6, 1));
  }
}

// Many small frames: items become frame ranges (still exact coverage).
TEST(WorkQueue, ManySmallFrames) {
  const ChunkLayout l = make_layout(1000, 16, 16, 2, 0);
  ASSERT_EQ(l.strips_per_frame, 1u);
  for (int ranks : {1, 3, 48}) {
    SCOPED_TRACE(describe(l, ranks));
    WorkQueue q(l, ranks);
    const auto items = drain(q, ranks, Order::Random, 99);
    check_items(l, items, std::vector<std::uint8_t>(l.chunk_count(), 1));
    // Guided: early items carry several frames, so far fewer messages than frames.
    EXPECT_LT(items.size(), l.frames);
    EXPECT_GT(items.front().chunk_end - items.front().chunk_begin, 1u);
  }
}

std::vector<std::vector<std::uint8_t>> done_patterns(const ChunkLayout& l);

TEST(WorkQueue, SkipsExactlyTheDoneChunks) {
  const ChunkLayout l = make_layout(7, 13, 101, 2, 10);  // 11 strips per frame, 77 chunks
  const std::uint64_t n = l.chunk_count();
  const auto patterns = done_patterns(l);
  for (std::size_t p = 0; p < patterns.size(); ++p)
    for (int ranks : {1, 3}) {
      SCOPED_TRACE("pattern " + std::to_string(p) + " " + describe(l, ranks));
      const auto& done = patterns[p];
      std::vector<std::uint8_t> expected(n);
      for (std::uint64_t c = 0; c < n; ++c) expected[c] = done[c] ? 0 : 1;
      WorkQueue q(l, ranks, done);
      EXPECT_EQ(q.chunks_left(),
                static_cast<std::uint64_t>(std::count(done.begin(), done.end(), std::uint8_t{0})));
      const auto items = drain(q, ranks, Order::Random, static_cast<std::uint32_t>(p));
      check_items(l, items, expected);
      for (const auto& it : items)
        for (std::uint64_t c = it.chunk_begin; c < it.chunk_end; ++c)
          EXPECT_FALSE(done[c]) << "done chunk " << c << " handed out again";
    }
}

// The same rule when resuming (items around chunks already done).
TEST(WorkQueue, ResumedItemsNeverCrossFrameBoundaryUnlessWholeFrames) {
  const ChunkLayout l = make_layout(7, 13, 101, 2, 10);
  const auto patterns = done_patterns(l);
  for (std::size_t p = 0; p < patterns.size(); ++p)
    for (int ranks : {1, 3}) {
      SCOPED_TRACE("pattern " + std::to_string(p) + " " + describe(l, ranks));
      WorkQueue q(l, ranks, patterns[p]);
      check_frame_rule(l, drain(q, ranks, Order::Random, static_cast<std::uint32_t>(p)));
    }
}

std::vector<std::vector<std::uint8_t>> done_patterns(const ChunkLayout& l) {
  const std::uint64_t n = l.chunk_count();
  std::vector<std::vector<std::uint8_t>> patterns;
  patterns.emplace_back(n, 0);  // nothing done
  patterns.emplace_back(n, 1);  // everything done
  {
    std::vector<std::uint8_t> d(n, 0);
    for (std::uint64_t c = 0; c < l.strips_per_frame; ++c) d[c] = 1;  // frame 0 done
    patterns.push_back(d);
  }
  {
    std::vector<std::uint8_t> d(n, 0);
    for (std::uint64_t c = 0; c < n; c += 2) d[c] = 1;  // every other chunk
    patterns.push_back(d);
  }
  {
    std::vector<std::uint8_t> d(n, 1);
    d[n - 1] = 0;  // only the last chunk left
    d[5] = 0;      // and one in frame 0
    patterns.push_back(d);
  }
  std::mt19937 rng(42);
  for (int k = 0; k < 20; ++k) {
    std::vector<std::uint8_t> d(n, 0);
    std::bernoulli_distribution b(0.1 + 0.04 * k);
    for (auto& x : d) x = b(rng) ? 1 : 0;
    patterns.push_back(d);
  }
  return patterns;
}

TEST(Layout, AutoStripRowsAbout256KiB) {
  // The documented example: 4096 uint16 counts per row = 8 KiB -> 32 rows = 256 KiB.
  EXPECT_EQ(make_layout(1, 4096, 4096, 2, 0).strip_rows, 32u);
  EXPECT_EQ(make_layout(1, 4096, 4096, 4, 0).strip_rows, 16u);
  EXPECT_EQ(make_layout(1, 1024, 1024, 2, 0).strip_rows, 128u);

  constexpr std::uint64_t kTarget = 256 * 1024;
  for (std::uint32_t width : {1u, 3u, 100u, 1000u, 1080u, 4096u, 65536u})
    for (std::uint32_t height : {1u, 7u, 100u, 1000u, 1080u, 65536u})
      for (unsigned cb : {2u, 4u}) {
        const ChunkLayout l = make_layout(3, width, height, cb, 0);
        SCOPED_TRACE("width=" + std::to_string(width) + " height=" + std::to_string(height) +
                     " count_bytes=" + std::to_string(cb) +
                     " -> strip_rows=" + std::to_string(l.strip_rows));
        const std::uint64_t row_bytes = std::uint64_t{width} * cb;
        ASSERT_GE(l.strip_rows, 1u);
        EXPECT_LE(l.strip_rows, height);
        EXPECT_EQ(l.strips_per_frame, (height + l.strip_rows - 1) / l.strip_rows);
        const std::uint64_t chunk_bytes = l.strip_rows * row_bytes;
        // Never above the target unless one row alone is bigger.
        EXPECT_LE(chunk_bytes, std::max(kTarget, row_bytes));
        if (height * row_bytes <= kTarget) {
          // A whole frame fits in one chunk: one strip.
          EXPECT_EQ(l.strip_rows, height);
        } else if (row_bytes <= kTarget / 2) {
          // Roughly the target. Evening out the strips can at worst halve the rows of a chunk
          // that was just under the target: so always more than a quarter of it.
          EXPECT_GT(chunk_bytes, kTarget / 4);
        }
      }
}

TEST(Layout, AutoStripsAreEven) {
  // 1000 rows at up to 128 rows per chunk: 8 strips of 125, not 7 x 128 + 104.
  const ChunkLayout l = make_layout(1, 1024, 1000, 2, 0);
  EXPECT_EQ(l.strips_per_frame, 8u);
  EXPECT_EQ(l.strip_rows, 125u);
  const ChunkRef last = chunk_ref(l, 7);
  EXPECT_EQ(last.row_end - last.row_begin, 125u);
}

}  // namespace
}  // namespace fractal
