#pragma once
// The job's journal, OUT.h5.journal: the checkpoint of an unfinished job. An append-only file that
// rank 0 writes next to OUT.h5.partial: a header (the job's identity, job_identity.hpp) and one
// record per finished chunk (index, hash, iterations and the chunk's stored bytes), each with a
// CRC-32 (journal version 2: a record holds the chunk's /counts, /smooth and /distance planes;
// version 1 journals, counts only, are still read). A chunk counts as done only if its record is complete and its CRC verifies, so a record
// torn by a kill (or by a full disk) is simply cut off when the journal is reopened. The HDF5
// file is rebuilt from the journal on resume and is never trusted after a crash: HDF5 does not
// promise that a file reopens after its writer died mid-write. Layout: docs/FORMAT.md.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace fractal {

std::string journal_path(const std::string& output);

// fsync of the directory holding `path`, so that a file created, renamed or removed there stays so
// after a crash. Best effort: some file systems refuse fsync on a directory.
void sync_directory_of(const std::string& path);

struct JournalChunk {
  std::uint64_t index = 0;       // chunk index (layout.hpp)
  std::uint64_t hash = 0;        // hash_counts of the chunk's counts
  std::uint64_t iterations = 0;  // sum of the chunk's counts
  std::span<const std::uint8_t> bytes;  // the chunk as stored in /counts (chunk_codec.hpp)
  // The chunk's planes as stored in /smooth and /distance; empty when the job has none.
  std::span<const std::uint8_t> smooth = {}, distance = {};
};

class Journal {
 public:
  // Creates `path` afresh (replacing any file there) holding `header`; durable on return.
  static Journal create(const std::string& path, const std::string& header, std::uint64_t chunk_count);
  // Opens an existing journal and reads its header; nullopt if the header is incomplete or does
  // not verify (a journal whose creation never completed holds no chunks). Throws RuntimeError if
  // the file cannot be opened or read.
  static std::optional<Journal> open(const std::string& path);

  Journal(Journal&& o) noexcept;
  Journal& operator=(Journal&& o) noexcept;
  Journal(const Journal&) = delete;
  ~Journal();

  const std::string& header() const { return header_; }
  std::uint64_t chunk_count() const { return chunk_count_; }
  const std::string& path() const { return path_; }

  // Calls visit for every intact record, in file order, then cuts off what follows the last one
  // (a torn or damaged tail) so that appends continue from there. Returns the records visited.
  std::uint64_t replay(const std::function<void(const JournalChunk&)>& visit);
  // Appends one record (written at once, so it survives the death of this process; it survives a
  // crash of the machine after the next sync()). Throws RuntimeError naming the path and reason;
  // the journal then still ends after its last complete record.
  void append(const JournalChunk& chunk);
  // fdatasync: every record appended so far is on disk.
  void sync();
  // Deletes the journal (the job is complete).
  void remove();

 private:
  Journal(std::string path, int fd);
  [[noreturn]] void fail(const std::string& what, int err) const;

  std::string path_;
  int fd_ = -1;
  std::string header_;
  std::uint64_t chunk_count_ = 0;
  std::uint64_t end_ = 0;     // offset just past the last complete record
  bool dirty_ = false;        // records appended since the last sync
  std::uint64_t limit_ = 0;   // test hook FRACTAL_TEST_JOURNAL_LIMIT (bytes), 0 = none
  std::uint32_t version_ = 2; // the file's journal version (1: counts-only records, read only)
};

}  // namespace fractal
