// The journal (journal.hpp) and the job identity (job_identity.hpp) without MPI: records survive
// reopening, a torn or damaged tail is cut off (and appends continue after the last intact
// record), a damaged header holds nothing, and a changed parameter is named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fractal/error.hpp"
#include "fractal/output/job_identity.hpp"
#include "fractal/output/journal.hpp"

using namespace fractal;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() : path(fs::temp_directory_path() / ("fractal-journal-" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

std::array<PlaneRef, 3> where_of(std::uint64_t k) {  // distinct references per chunk and plane
  return {PlaneRef{k * 100003 + 4096, static_cast<std::uint32_t>(10 + k % 31), static_cast<std::uint32_t>(k * 2654435761u)},
          PlaneRef{k * 7 + (1ull << 40), static_cast<std::uint32_t>(k), 0xdeadbeefu ^ static_cast<std::uint32_t>(k)},
          PlaneRef{}};
}

JournalChunk record_of(std::uint64_t k) {
  JournalChunk c{k, k * 3, k + 1};
  c.where = where_of(k);
  return c;
}

struct Seen {
  std::vector<std::uint64_t> index;
  bool payloads_ok = true;
};

Seen replay(Journal& j) {
  Seen s;
  j.replay([&](const JournalChunk& c) {
    s.index.push_back(c.index);
    const auto want = where_of(c.index);
    s.payloads_ok &= c.by_reference && c.hash == c.index * 3 && c.iterations == c.index + 1 && c.where == want &&
                     c.bytes.empty();
  });
  return s;
}

void write_records(const std::string& path, std::uint64_t n) {
  Journal j = Journal::create(path, "fractal = julia\nwidth = 8\n", 100);
  for (std::uint64_t k = 0; k < n; ++k) j.append(record_of(k));
  j.sync();
}

}  // namespace

TEST(Journal, RecordsSurviveReopening) {
  TempDir d;
  const std::string p = (d.path / "OUT.h5.journal").string();
  write_records(p, 20);
  auto j = Journal::open(p);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->header(), "fractal = julia\nwidth = 8\n");
  EXPECT_EQ(j->chunk_count(), 100u);
  const Seen s = replay(*j);
  EXPECT_EQ(s.index.size(), 20u);
  EXPECT_TRUE(s.payloads_ok);
}

TEST(Journal, EveryTornTailIsCutOffAndAppendsContinue) {
  TempDir d;
  const std::string p = (d.path / "OUT.h5.journal").string();
  write_records(p, 5);
  const auto full = fs::file_size(p);
  write_records(p, 4);
  const auto four = fs::file_size(p);
  for (auto cut = four + 1; cut < full; ++cut) {  // every byte of the fifth record
    write_records(p, 5);
    fs::resize_file(p, cut);
    auto j = Journal::open(p);
    ASSERT_TRUE(j.has_value());
    EXPECT_EQ(replay(*j).index.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(fs::file_size(p), four) << "the torn record was not cut off";
    j->append(record_of(4));
    j->sync();
    auto again = Journal::open(p);
    const Seen s = replay(*again);
    EXPECT_EQ(s.index.size(), 5u);
    EXPECT_TRUE(s.payloads_ok);
  }
}

TEST(Journal, ADamagedRecordEndsTheIntactPart) {
  TempDir d;
  const std::string p = (d.path / "OUT.h5.journal").string();
  write_records(p, 3);
  const auto three = fs::file_size(p);
  write_records(p, 6);
  {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(three + 40));  // inside record 4's payload
    f.put('\xff');
  }
  auto j = Journal::open(p);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(replay(*j).index, (std::vector<std::uint64_t>{0, 1, 2}));
}

TEST(Journal, ADamagedHeaderHoldsNothing) {
  TempDir d;
  const std::string p = (d.path / "OUT.h5.journal").string();
  write_records(p, 3);
  {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('X');
  }
  EXPECT_FALSE(Journal::open(p).has_value());
  fs::resize_file(p, 10);
  EXPECT_FALSE(Journal::open(p).has_value());
}

TEST(JobIdentity, TextRoundTripsAndTheFirstDifferenceIsNamed) {
  const JobIdentity id = {{"fractal", "--fractal", "julia"}, {"max-iter", "--max-iter", "300"}, {"fps", "--fps", "30"}};
  const auto recorded = parse_identity_text(identity_text(id) + "created = 2026-01-01T00:00:00Z\n");
  EXPECT_NO_THROW(require_same_job(recorded, id, "the journal", "advice"));
  JobIdentity other = id;
  other[1].value = "301";
  other[2].value = "25";
  try {
    require_same_job(recorded, other, "the journal", "pass --overwrite");
    FAIL() << "a changed --max-iter was accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--max-iter is 301 here but 300 in the journal; pass --overwrite");
  }
}
