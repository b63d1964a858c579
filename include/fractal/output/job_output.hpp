#pragma once
// Rank 0's side of a job's output, interruption-proof. It decides whether the job starts afresh,
// resumes an interrupted run or is already complete, and then writes every chunk once, into
// OUT.h5.partial (the HDF5 file being built, store.hpp), and appends to the journal
// OUT.h5.journal (the checkpoint, journal.hpp) a record of where its bytes lie there.
// On resume the HDF5 file is never reopened through HDF5: the chunks the journal records, whose
// bytes in OUT.h5.partial still verify, are copied into a new file, OUT.h5.partial.new, with a new
// journal, OUT.h5.journal.new; then the new file replaces the old, and the new journal the old
// (a job interrupted between the two is settled by the next run: a `.new` journal without a
// `.new` file is the current one). At the end OUT.h5.partial is finished and renamed to OUT.h5,
// and the journal is deleted.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/output/journal.hpp"
#include "fractal/output/layout.hpp"
#include "fractal/output/output_lock.hpp"
#include "fractal/run/render_item.hpp"
#include "fractal/output/store.hpp"
#include "fractal/deep/deep_job.hpp"

namespace fractal {

class JobOutput {
 public:
  // Checks the output path, takes OUT.h5.lock (UsageError if another job holds it), then:
  // - --overwrite: discards any earlier journal and starts afresh (an existing OUT.h5 stays until
  //   the new one replaces it at the end);
  // - OUT.h5.journal exists: the parameters it recorded must be this job's (else UsageError naming
  //   the first that differs); OUT.h5.partial is rebuilt from its intact records whose chunks
  //   still verify, and only the other chunks are left to render;
  // - OUT.h5 exists: it must be a finished file of this very job (else UsageError naming the first
  //   difference), and then already_complete() is true and nothing is created;
  // - otherwise a new journal and OUT.h5.partial.
  // RuntimeError for I/O failures, naming the path and the reason.
  JobOutput(const Config& cfg, const std::vector<FrameParams>& frames, const ChunkLayout& layout,
            const std::string& command_line);
  ~JobOutput();

  bool already_complete() const { return complete_hash_.has_value(); }
  std::uint64_t complete_hash() const { return complete_hash_.value_or(0); }
  std::uint64_t chunks_resumed() const { return resumed_; }
  // Journal records left out on resume because their bytes in OUT.h5.partial no longer verified
  // (a damaged or replaced .partial file): those chunks are rendered again.
  std::uint64_t chunks_dropped() const { return dropped_; }
  const std::string& journal_path() const { return journal_path_; }
  const std::string& output_path() const { return output_; }

  // One finished chunk (all its planes: counts and the job's /smooth, /distance): written to the
  // HDF5 file, then recorded in the journal. It survives the death of this process at once, and
  // a crash of the machine once a checkpoint begun after it has ended.
  void write_chunk(const EncodedChunk& c);
  // Makes every chunk written so far durable: fdatasync of OUT.h5.partial, then of the journal.
  // By default in a thread of its own (created at the first call), so the caller goes on at once;
  // a failure of that sync is thrown by the next call. With `file_state` (a job that stops): the
  // HDF5 file's /chunks state is written and flushed (else every 10 s; it is only a by-product,
  // resume never reads it) and the sync is done here, before returning.
  void checkpoint(bool file_state = false);
  // Every chunk done: the HDF5 file is finished, made durable and renamed to OUT.h5, then the
  // journal deleted (not synced first: until the rename it only saves re-rendering).
  void finish(std::uint64_t verification_hash);

  // A deep job's reference orbits (docs/FORMAT.md "OUT.h5.reference"): on resume, those saved by
  // the interrupted run if they verify and are of `specs` (else nullopt, `why` says why; "" when
  // this run is not a resume or no orbits were saved). save_reference writes them into the
  // output file's /reference and, with write_sidecar, beside the journal for a later resume.
  std::optional<std::vector<deep::ReferenceOrbit>> stored_reference(const std::vector<deep::ReferenceSpec>& specs,
                                                                   std::string& why) const;
  void save_reference(const deep::DeepJob& job, bool write_sidecar);

  bool all_done() const { return file_->all_done(); }
  std::uint64_t chunks_done() const { return file_->chunks_done(); }
  const std::vector<std::uint64_t>& chunk_hashes() const { return file_->chunk_hashes(); }
  const std::vector<std::uint8_t>& done_flags() const { return file_->done_flags(); }
  std::uint64_t bytes_written() const { return file_->bytes_written(); }

 private:
  std::string output_, journal_path_;
  OutputLock lock_;                     // held for the object's whole life
  std::optional<Journal> journal_;
  std::unique_ptr<OutputFile> file_;
  std::optional<std::uint64_t> complete_hash_;
  std::uint64_t resumed_ = 0, dropped_ = 0;
  bool resuming_ = false;               // an interrupted run's journal was taken over
  double last_file_state_ = 0;          // steady seconds of the last HDF5 state write
  std::uint64_t bytes_kicked_ = 0;      // bytes_written() when writeback was last started
  class Syncer;
  Syncer& syncer();                     // created at first use
  std::unique_ptr<Syncer> syncer_;      // background disk work; declared last: stopped first

  void rebuild(const Config& cfg, const std::vector<FrameParams>& frames, const ChunkLayout& layout,
               const std::string& command_line, const std::string& created);
  void sync_now();
};

}  // namespace fractal
