#pragma once
// The job's journal, OUT.h5.journal: the checkpoint of an unfinished job. An append-only file that
// rank 0 writes next to OUT.h5.partial: a header (the job's identity, job_identity.hpp) and one
// record per finished chunk, each with a CRC-32. Version 3 (written now): a record holds the
// chunk's index, hash, iterations and, for each of its planes (/counts, /smooth, /distance), where
// its stored bytes lie in OUT.h5.partial (byte offset, size, CRC-32 of the bytes): each chunk is
// written once, into the HDF5 file, and the journal only points at it. Versions 1 and 2 (read,
// never appended to) held the planes' bytes themselves. A record counts only if it is complete and
// its CRC verifies, so a record torn by a kill (or by a full disk) is cut off when the journal is
// reopened; a version-3 record's chunk counts only if its bytes in OUT.h5.partial still verify.
// The HDF5 file is never reopened through HDF5 after a crash (HDF5 does not promise that a file
// reopens after its writer died mid-write): on resume its verified chunks are copied, by their
// recorded places, into a new file (job_output.hpp). Layout: docs/FORMAT.md.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace fractal {

std::string journal_path(const std::string& output);

// Reads exactly n bytes at offset: true; false at the end of the file (errno 0) or on an error
// (errno set). EINTR is retried.
bool read_exactly(int fd, void* buf, std::size_t n, std::uint64_t offset);

// fsync of the directory holding `path`, so that a file created, renamed or removed there stays so
// after a crash. Best effort: some file systems refuse fsync on a directory.
void sync_directory_of(const std::string& path);

// Where one stored plane of a chunk lies in OUT.h5.partial; size 0: the job has no such plane.
struct PlaneRef {
  std::uint64_t offset = 0;  // byte offset in the file
  std::uint32_t size = 0;    // bytes, as stored (filtered)
  std::uint32_t crc = 0;     // CRC-32 of those bytes
  bool operator==(const PlaneRef&) const = default;
};

struct JournalChunk {
  std::uint64_t index = 0;       // chunk index (layout.hpp)
  std::uint64_t hash = 0;        // hash_counts of the chunk's counts
  std::uint64_t iterations = 0;  // sum of the chunk's counts
  // Version 3 (by_reference): the places of the /counts, /smooth and /distance planes.
  std::array<PlaneRef, 3> where = {};
  bool by_reference = true;
  // Versions 1 and 2 (replay only, by_reference false): the planes' stored bytes themselves
  // (chunk_codec.hpp); smooth/distance empty when the job has none.
  std::span<const std::uint8_t> bytes = {}, smooth = {}, distance = {};
};

// CRC-32 (zlib's) of a plane's bytes, as recorded in PlaneRef::crc.
std::uint32_t plane_crc(std::span<const std::uint8_t> bytes);

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
  // Appends one version-3 record (index, hash, iterations, where; written at once, so it survives
  // the death of this process; it survives a crash of the machine once it and the bytes it points
  // at are synced). Throws RuntimeError naming the path and reason; the journal then still ends
  // after its last complete record.
  void append(const JournalChunk& chunk);
  // fdatasync: every record appended so far is on disk.
  void sync();
  // The open file, for a thread that only calls fdatasync on it (job_output.cpp's syncer).
  int fd() const { return fd_; }
  // Renames the file (and makes the rename durable); the object goes on with the new path.
  void rename_to(const std::string& path);
  std::uint32_t version() const { return version_; }
  // Deletes the journal (the job is complete). Not made durable: a journal that reappears after a
  // crash, next to the complete OUT.h5 and without OUT.h5.partial, is recognised as done and
  // deleted (job_output.cpp).
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
  std::uint32_t version_ = 3; // the file's journal version (1, 2: records with the bytes, read only)
};

}  // namespace fractal
