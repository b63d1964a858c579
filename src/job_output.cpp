#include "fractal/job_output.hpp"

#include <chrono>
#include <filesystem>

#include "fractal/error.hpp"
#include "fractal/job_identity.hpp"

namespace fractal {

namespace {

constexpr double kFileStateInterval = 10.0;  // seconds between HDF5 /chunks state writes

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The path checks come first, so a missing directory is reported as such, not as a lock failure.
const std::string& checked_output(const Config& cfg) {
  check_output_path(cfg);
  return cfg.output;
}

void remove_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::remove(path, ec) && ec)
    throw RuntimeError("cannot remove '" + path + "': " + ec.message());
}

}  // namespace

JobOutput::JobOutput(const Config& cfg, const std::vector<FrameParams>& frames, const ChunkLayout& layout,
                     const std::string& command_line)
    : output_(cfg.output), journal_path_(fractal::journal_path(cfg.output)), lock_(checked_output(cfg)) {
  namespace fs = std::filesystem;
  const JobIdentity id = job_identity(cfg, frames, layout);
  std::string created = utc_now();
  std::error_code ec;
  if (cfg.overwrite) {
    remove_file(journal_path_);
  } else {
    if (fs::exists(journal_path_, ec)) {
      journal_ = Journal::open(journal_path_);
      if (!journal_) remove_file(journal_path_);  // its creation never completed: it holds nothing
    }
    if (journal_) {
      const auto recorded = parse_identity_text(journal_->header());
      require_same_job(recorded, id, "the interrupted job recorded in '" + journal_path_ + "'",
                       "run that job's command to resume it, or pass --overwrite to start afresh");
      if (journal_->chunk_count() != layout.chunk_count())
        throw RuntimeError("the journal '" + journal_path_ + "' is damaged (its chunk count " +
                           std::to_string(journal_->chunk_count()) + " does not match its parameters)");
      if (auto it = recorded.find("created"); it != recorded.end()) created = it->second;
    } else if (fs::exists(output_, ec)) {
      const FinishedFile done = read_finished_file(output_);
      require_same_job(done.identity, id, "the existing '" + output_ + "'", "pass --overwrite to replace it");
      complete_hash_ = done.verification_hash;
      return;
    }
  }

  if (!journal_) {
    check_disk_space(cfg, layout, layout.chunk_count());
    journal_ = Journal::create(journal_path_, identity_text(id) + "created = " + created + "\n", layout.chunk_count());
  }
  file_ = std::make_unique<OutputFile>(cfg, frames, layout, command_line, created);
  // Every intact record goes back into the fresh HDF5 file, bytes as they are. A chunk recorded
  // twice (never written so, but harmless) is simply written again.
  journal_->replay([&](const JournalChunk& c) {
    file_->write_chunk(c.index, c.bytes, c.hash, c.iterations, c.smooth, c.distance);
  });
  resumed_ = file_->chunks_done();
  if (resumed_ > 0) check_disk_space(cfg, layout, layout.chunk_count() - resumed_);
  last_file_state_ = now_s();
}

void JobOutput::write_chunk(const EncodedChunk& c) {
  journal_->append(JournalChunk{c.index, c.hash, c.iterations, c.bytes, c.smooth, c.distance});
  file_->write_chunk(c.index, c.bytes, c.hash, c.iterations, c.smooth, c.distance);
}

void JobOutput::checkpoint(bool file_state) {
  journal_->sync();
  if (file_state || now_s() - last_file_state_ >= kFileStateInterval) {
    file_->checkpoint();
    last_file_state_ = now_s();
  }
}

void JobOutput::finish(std::uint64_t verification_hash) {
  journal_->sync();
  file_->finish(verification_hash);
  journal_->remove();
}

}  // namespace fractal
