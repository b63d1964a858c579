#pragma once
// The output file (DESIGN.md "The HDF5 file"), written by rank 0 alone. Chunks arrive already
// compressed and go to disk as they are (H5Dwrite_chunk). The file is built as OUT.h5.partial and
// renamed to OUT.h5 only when every chunk is on disk, so OUT.h5 is always a complete file.
#include <hdf5.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/deep/deep_job.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/output/h5handle.hpp"
#include "fractal/output/journal.hpp"
#include "fractal/output/layout.hpp"

namespace fractal {

// Rank 0's pre-flight checks of the output path, before anything is created: OUT.h5 is a
// directory (UsageError), its directory is missing or not writable (RuntimeError). Whether an
// existing OUT.h5 or journal may be resumed or replaced is job_output.hpp's business.
void check_output_path(const Config& cfg);
// The chunks still to render, uncompressed, exceed the free disk space: UsageError unless
// --skip-disk-check.
void check_disk_space(const Config& cfg, const ChunkLayout& layout, std::uint64_t chunks_left);

std::string partial_path(const std::string& final_path);
// The current time, ISO 8601 UTC (the `created` attribute).
std::string utc_now();

class OutputFile {
 public:
  // Creates OUT.h5.partial (replacing a stale one; or `path` if given) with every dataset and
  // per-frame parameter. created: the job's start time, ISO 8601 UTC (a resumed job keeps its
  // first start's).
  OutputFile(const Config& cfg, const std::vector<FrameParams>& frames, const ChunkLayout& layout,
             const std::string& command_line, const std::string& created = utc_now(), const std::string& path = "");
  ~OutputFile();  // an unfinished file is closed and left as OUT.h5.partial
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Writes one encoded chunk (chunk_codec.hpp) and records it done in memory. smooth/distance: the
  // chunk's /smooth and /distance planes, required exactly when the job stores that dataset
  // (RuntimeError otherwise). Returns where each plane's bytes now lie in the file (counts,
  // smooth, distance; size 0 for a plane the job does not store), as the journal records them.
  // The bytes are handed to the operating system before it returns (HDF5 writes a directly
  // written chunk at once), so they survive the death of this process.
  std::array<PlaneRef, 3> write_chunk(std::uint64_t chunk_index, std::span<const std::uint8_t> bytes,
                                      std::uint64_t hash, std::uint64_t iterations,
                                      std::span<const std::uint8_t> smooth = {},
                                      std::span<const std::uint8_t> distance = {});
  // Writes /reference: a deep job's reference orbits as the kernels used them (docs/FORMAT.md).
  void write_reference(const deep::DeepJob& job);
  // Writes the per-chunk state (/chunks/*) and flushes the file to disk.
  void checkpoint();
  // All chunks done: stores the verification hash and complete = 1, closes, makes the file durable
  // (fsync), renames it to OUT.h5 and makes the rename durable.
  void finish(std::uint64_t verification_hash);

  // A descriptor of the file for fdatasync only (the syncer thread of job_output.cpp may use it
  // while this object writes through HDF5); valid for the object's life.
  int sync_fd() const { return sync_fd_; }
  // fdatasync of the file: every chunk written so far is on disk. RuntimeError naming it if not.
  void sync_data();
  // Renames the unfinished file (durably); the object goes on with the new path.
  void rename_to(const std::string& path);

  bool all_done() const { return chunks_done_ == layout_.chunk_count(); }
  std::uint64_t chunks_done() const { return chunks_done_; }
  const std::vector<std::uint64_t>& chunk_hashes() const { return hash_; }
  const std::vector<std::uint8_t>& done_flags() const { return done_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  // Planes whose place had to be asked of HDF5 (not where a new chunk normally goes).
  std::uint64_t located_slowly() const { return located_slowly_; }
  const std::string& path() const { return partial_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;
  bool holds(std::uint64_t addr, std::span<const std::uint8_t> bytes) const;  // the file has these bytes there

  std::string final_, partial_;
  ChunkLayout layout_;
  H5Handle file_, counts_, smooth_, distance_, done_ds_, hash_ds_, iter_ds_;  // smooth_/distance_: if stored
  std::vector<std::uint8_t> done_;        // [chunk_count]
  std::vector<std::uint64_t> hash_;       // [chunk_count] hash_counts of each chunk
  std::vector<std::uint64_t> iterations_; // [chunk_count] sum of counts of each chunk
  std::uint64_t chunks_done_ = 0;
  std::uint64_t bytes_written_ = 0;
  std::uint64_t test_limit_ = 0;  // test hook FRACTAL_TEST_DISK_LIMIT (bytes of chunks), 0 = none
  int sync_fd_ = -1;
  std::uint64_t located_slowly_ = 0;
  bool finished_ = false;
};

}  // namespace fractal
