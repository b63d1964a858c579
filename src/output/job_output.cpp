#include "fractal/output/job_output.hpp"

#include "fractal/deep/reference_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "fractal/error.hpp"
#include "fractal/output/job_identity.hpp"

namespace fractal {

namespace {

constexpr double kFileStateInterval = 10.0;  // seconds between HDF5 /chunks state writes
constexpr std::uint64_t kWritebackStep = 1u << 20;  // bytes of chunks between writeback starts

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The path checks come first, so a missing directory is reported as such, not as a lock failure.
const std::string& checked_output(const Config& cfg) {
  check_output_path(cfg);
  return cfg.output;
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

void remove_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::remove(path, ec) && ec)
    throw RuntimeError("cannot remove '" + path + "': " + ec.message());
}

std::string rebuilt(const std::string& path) { return path + ".new"; }

// A resume interrupted while it rebuilt the output (JobOutput::rebuild) is settled first. Its
// steps: the new file (.partial.new), then the new journal (.journal.new), both filled and synced;
// the new file renamed over .partial, then the new journal over .journal. So a new journal whose
// file is still there means the rebuild did not finish (the old pair is intact: drop the new one);
// a new journal alone means only its rename is missing.
void settle_rebuild(const std::string& partial, const std::string& journal) {
  const std::string new_partial = rebuilt(partial), new_journal = rebuilt(journal);
  if (exists(new_journal) && !exists(new_partial)) {
    if (std::rename(new_journal.c_str(), journal.c_str()) != 0)
      throw RuntimeError("renaming '" + new_journal + "' to '" + journal + "': " + std::strerror(errno));
    sync_directory_of(journal);
    return;
  }
  remove_file(new_journal);
  remove_file(new_partial);
}

// Reads one plane of a chunk by its journal reference and checks it; false if it is not there as
// recorded (the file is shorter, or the bytes differ).
bool read_plane(int fd, const PlaneRef& ref, std::vector<std::uint8_t>& buf) {
  buf.resize(ref.size);
  return read_exactly(fd, buf.data(), buf.size(), ref.offset) && plane_crc(buf) == ref.crc;
}

}  // namespace

// Background disk work, on request: starting the writeback of the data file's newest bytes
// (sync_file_range, so that the fsync before the final rename has little left to do: the job's
// serial end stays short), and checkpoints (fdatasync of the data file, then of the journal).
// Only system calls on descriptors that stay open as long as this object: no HDF5, no MPI.
class JobOutput::Syncer {
 public:
  Syncer(int data_fd, std::string data_path, int journal_fd, std::string journal_path)
      : data_fd_(data_fd), journal_fd_(journal_fd), data_path_(std::move(data_path)),
        journal_path_(std::move(journal_path)), thread_([this] { run(); }) {}
  ~Syncer() { stop(); }

  void request() {
    {
      std::lock_guard lock(m_);
      pending_ = true;
    }
    cv_.notify_one();
  }
  // Starts writing the data file up to byte `end` to disk (no waiting for it).
  void write_back(std::uint64_t end) {
    {
      std::lock_guard lock(m_);
      kick_to_ = std::max(kick_to_, end);
    }
    cv_.notify_one();
  }
  // Waits for a sync in progress (a pending request is dropped) and ends the thread.
  void stop() {
    {
      std::lock_guard lock(m_);
      if (!thread_.joinable()) return;
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  // The failure of a background sync, if any, as the caller's exception.
  void rethrow() {
    std::lock_guard lock(m_);
    if (!error_.empty()) throw RuntimeError(error_);
  }

 private:
  void run() {
    std::unique_lock lock(m_);
    for (;;) {
      cv_.wait(lock, [this] { return pending_ || stop_ || kick_to_ > kicked_to_; });
      if (stop_) return;
      const bool sync = pending_;
      const std::uint64_t from = kicked_to_, to = kick_to_;
      pending_ = false;
      kicked_to_ = kick_to_;
      lock.unlock();
      if (to > from)  // only a hint to the kernel: its failure changes nothing
        (void)sync_file_range(data_fd_, static_cast<off_t>(from), static_cast<off_t>(to - from), SYNC_FILE_RANGE_WRITE);
      std::string error;
      if (sync && fdatasync(data_fd_) != 0)
        error = "flushing '" + data_path_ + "' to disk: " + std::strerror(errno);
      else if (sync && fdatasync(journal_fd_) != 0)
        error = "flushing the journal '" + journal_path_ + "': " + std::strerror(errno);
      lock.lock();
      if (!error.empty() && error_.empty()) error_ = error;
    }
  }

  int data_fd_, journal_fd_;
  std::string data_path_, journal_path_;
  std::mutex m_;
  std::condition_variable cv_;
  bool pending_ = false, stop_ = false;
  std::uint64_t kick_to_ = 0, kicked_to_ = 0;  // writeback asked up to, started up to
  std::string error_;
  std::thread thread_;
};

JobOutput::JobOutput(const Config& cfg, const std::vector<FrameParams>& frames, const ChunkLayout& layout,
                     const std::string& command_line)
    : output_(cfg.output), journal_path_(fractal::journal_path(cfg.output)), lock_(checked_output(cfg)) {
  const JobIdentity id = job_identity(cfg, frames, layout);
  const std::string partial = partial_path(output_);
  std::string created = utc_now();
  if (cfg.overwrite) {
    remove_file(rebuilt(journal_path_));
    remove_file(rebuilt(partial));
    remove_file(journal_path_);
  } else {
    settle_rebuild(partial, journal_path_);
    if (exists(journal_path_)) {
      journal_ = Journal::open(journal_path_);
      if (!journal_) remove_file(journal_path_);  // its creation never completed: it holds nothing
    }
    // A finished job's journal is deleted without waiting for the disk (finish()): after a crash
    // it may be back, beside the OUT.h5 that replaced its .partial file. Then the job is done.
    // (Anything else, e.g. a file of another job, is left to the usual checks below.)
    if (journal_ && !exists(partial) && exists(output_)) {
      try {
        const FinishedFile done = read_finished_file(output_);
        require_same_job(parse_identity_text(journal_->header()), id, "the journal", "");
        require_same_job(done.identity, id, "the existing file", "");
        journal_.reset();
        remove_file(journal_path_);
      } catch (const UsageError&) {
      }
    }
    if (journal_) {
      const auto recorded = parse_identity_text(journal_->header());
      require_same_job(recorded, id, "the interrupted job recorded in '" + journal_path_ + "'",
                       "run that job's command to resume it, or pass --overwrite to start afresh");
      if (journal_->chunk_count() != layout.chunk_count())
        throw RuntimeError("the journal '" + journal_path_ + "' is damaged (its chunk count " +
                           std::to_string(journal_->chunk_count()) + " does not match its parameters)");
      if (auto it = recorded.find("created"); it != recorded.end()) created = it->second;
    } else if (exists(output_)) {
      const FinishedFile done = read_finished_file(output_);
      require_same_job(done.identity, id, "the existing '" + output_ + "'", "pass --overwrite to replace it");
      complete_hash_ = done.verification_hash;
      return;
    }
  }

  if (journal_) {
    resuming_ = true;
    rebuild(cfg, frames, layout, command_line, created);
    if (resumed_ > 0) check_disk_space(cfg, layout, layout.chunk_count() - resumed_);
  } else {
    check_disk_space(cfg, layout, layout.chunk_count());
    remove_file(deep::reference_path(output_));  // an earlier job's orbits: never used by a fresh one
    journal_ = Journal::create(journal_path_, identity_text(id) + "created = " + created + "\n", layout.chunk_count());
    file_ = std::make_unique<OutputFile>(cfg, frames, layout, command_line, created);
  }
  last_file_state_ = now_s();
}

JobOutput::~JobOutput() = default;

void JobOutput::rebuild(const Config& cfg, const std::vector<FrameParams>& frames, const ChunkLayout& layout,
                        const std::string& command_line, const std::string& created) {
  const std::string partial = partial_path(output_);
  Journal old = std::move(*journal_);
  journal_.reset();
  // The new file first, then the new journal (settle_rebuild relies on this order).
  file_ = std::make_unique<OutputFile>(cfg, frames, layout, command_line, created, rebuilt(partial));
  Journal fresh = Journal::create(rebuilt(journal_path_), old.header(), old.chunk_count());
  const int src = ::open(partial.c_str(), O_RDONLY | O_CLOEXEC);  // -1: every reference is lost
  std::vector<std::uint8_t> buf[3];
  old.replay([&](const JournalChunk& c) {
    if (file_->done_flags()[c.index]) return;  // recorded twice (never written so): the first counts
    std::span<const std::uint8_t> planes[3] = {c.bytes, c.smooth, c.distance};
    if (c.by_reference) {
      for (int i = 0; i < 3; ++i) {
        if (src < 0 || !read_plane(src, c.where[i], buf[i])) {
          ++dropped_;
          return;
        }
        planes[i] = buf[i];
      }
    }
    if (planes[0].empty() || planes[1].empty() == cfg.smooth || planes[2].empty() == cfg.distance) {
      ++dropped_;  // not this job's planes (cannot pass the identity check; never trusted anyway)
      return;
    }
    JournalChunk r{c.index, c.hash, c.iterations};
    r.where = file_->write_chunk(c.index, planes[0], c.hash, c.iterations, planes[1], planes[2]);
    fresh.append(r);
  });
  if (src >= 0) ::close(src);
  file_->sync_data();
  fresh.sync();
  file_->rename_to(partial);
  fresh.rename_to(journal_path_);
  journal_ = std::move(fresh);
  resumed_ = file_->chunks_done();
}

void JobOutput::write_chunk(const EncodedChunk& c) {
  JournalChunk r{c.index, c.hash, c.iterations};
  r.where = file_->write_chunk(c.index, c.bytes, c.hash, c.iterations, c.smooth, c.distance);
  journal_->append(r);
  if (file_->bytes_written() - bytes_kicked_ >= kWritebackStep) {
    std::uint64_t end = 0;
    for (const PlaneRef& p : r.where) end = std::max(end, p.offset + p.size);
    syncer().write_back(end);
    bytes_kicked_ = file_->bytes_written();
  }
}

JobOutput::Syncer& JobOutput::syncer() {
  if (!syncer_)
    syncer_ = std::make_unique<Syncer>(file_->sync_fd(), file_->path(), journal_->fd(), journal_->path());
  return *syncer_;
}

void JobOutput::sync_now() {
  if (syncer_) syncer_->rethrow();
  file_->sync_data();
  journal_->sync();
}

void JobOutput::checkpoint(bool file_state) {
  if (file_state || now_s() - last_file_state_ >= kFileStateInterval) {
    file_->checkpoint();
    last_file_state_ = now_s();
  }
  if (file_state) {
    sync_now();
    return;
  }
  syncer().rethrow();
  syncer_->request();
}

void JobOutput::finish(std::uint64_t verification_hash) {
  if (syncer_) {
    syncer_->stop();
    syncer_->rethrow();
  }
  file_->finish(verification_hash);
  journal_->remove();
  std::error_code ec;
  std::filesystem::remove(deep::reference_path(output_), ec);  // like the journal: only saves work until now
}

std::optional<std::vector<deep::ReferenceOrbit>> JobOutput::stored_reference(const std::vector<deep::ReferenceSpec>& specs,
                                                                            std::string& why) const {
  why.clear();
  if (!resuming_) return std::nullopt;
  return deep::read_reference_file(deep::reference_path(output_), specs, why);
}

void JobOutput::save_reference(const deep::DeepJob& job, bool write_sidecar) {
  if (write_sidecar) deep::write_reference_file(deep::reference_path(output_), job.orbits);
  file_->write_reference(job);
}

}  // namespace fractal
