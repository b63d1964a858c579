#include "fractal/run/scheduler.hpp"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "fractal/output/chunk_codec.hpp"
#include "fractal/run/chunk_message.hpp"
#include "fractal/error.hpp"
#include "fractal/output/job_output.hpp"
#include "fractal/run/progress.hpp"
#include "fractal/run/report.hpp"
#include "fractal/run/signals.hpp"

namespace fractal {

namespace {

// Message tags. Every REQUEST gets exactly one WORK reply: an item, or {kStop, signal} (signal 0:
// the job is complete). INTERRUPT: a worker caught a stop signal and asks rank 0 to stop the job.
enum Tag : int { kTagRequest = 1, kTagWork = 2, kTagChunks = 3, kTagDone = 4, kTagInterrupt = 5 };
constexpr std::uint64_t kStop = ~std::uint64_t{0};

// Test hook (tests/resume/rank_failure.py): FRACTAL_TEST_FAIL_RANK=N with
// FRACTAL_TEST_FAIL_AFTER_ITEMS=K makes rank N throw after rendering K items, as a rank whose
// node failed would, so the tests can check that the whole job ends promptly with one message.
struct FailureHook {
  explicit FailureHook(int rank) {
    const char* r = std::getenv("FRACTAL_TEST_FAIL_RANK");
    const char* k = std::getenv("FRACTAL_TEST_FAIL_AFTER_ITEMS");
    armed = r && std::atoi(r) == rank;
    after = k ? std::strtoull(k, nullptr, 10) : 0;
  }
  void check(std::uint64_t items_done) const {
    if (armed && items_done >= after)
      throw RuntimeError("simulated failure after " + std::to_string(items_done) +
                         " items (test hook FRACTAL_TEST_FAIL_RANK)");
  }
  bool armed = false;
  std::uint64_t after = 0;
};

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw RuntimeError(std::string("MPI call failed: ") + what);
}

// Polls done() until it is true, sleeping between looks (20 us, doubling up to 1 ms) instead of
// spinning a core: Open MPI's blocking calls busy-poll, which would steal the CPU from the render
// threads sharing this core.
template <class Done>
void poll_until(Done done) {
  auto pause = std::chrono::microseconds(20);
  while (!done()) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
}

// Waits for a matching message (poll_until).
void wait_for(MPI_Comm comm, int source, int tag, MPI_Status* st) {
  poll_until([&] {
    int flag = 0;
    check(MPI_Iprobe(source, tag, comm, &flag, st), "MPI_Iprobe");
    return flag != 0;
  });
}

// Renders items until rank 0 answers kStop; returns the stop signal rank 0 reported (0: complete).
int worker(const std::vector<FrameParams>& frames, const ChunkLayout& layout, const RunOptions& opt,
           MPI_Comm comm, int rank, RankStats& stats) {
  const int dummy = 0;
  const FailureHook hook(rank);
  int outstanding = 0, stop = 0;
  bool told = false;
  std::vector<std::uint8_t> sending;  // the chunks of the last item rendered, being sent
  MPI_Request send_req = MPI_REQUEST_NULL;
  int progress_rc = MPI_SUCCESS;
  const std::function<void()> progress = [&] {  // called inside render_item: must not throw
    if (send_req == MPI_REQUEST_NULL || progress_rc != MPI_SUCCESS) return;
    int done = 0;
    progress_rc = MPI_Test(&send_req, &done, MPI_STATUS_IGNORE);
  };
  // Waits for the chunk send in flight (poll_until).
  auto complete_send = [&] {
    check(progress_rc, "send chunks (progress)");
    poll_until([&] {
      int done = 1;
      if (send_req != MPI_REQUEST_NULL) check(MPI_Test(&send_req, &done, MPI_STATUS_IGNORE), "send chunks");
      return done != 0;
    });
  };
  auto receive_work = [&](std::uint64_t (&range)[2]) {
    MPI_Status st;
    wait_for(comm, 0, kTagWork, &st);
    check(MPI_Recv(range, 2, MPI_UINT64_T, 0, kTagWork, comm, MPI_STATUS_IGNORE), "receive work");
    --outstanding;
    if (range[0] == kStop) stop = std::max(stop, static_cast<int>(range[1]));
  };
  // A failure on this rank (thrown below) ends the whole job with MPI_Abort in main; until then a
  // chunk send still in flight reads `sending`, so its bytes must outlive the unwinding (rank 0
  // received freed memory and reported a second, misleading error: "malformed chunk message").
  struct KeepInFlight {
    std::vector<std::uint8_t>& bytes;
    const MPI_Request& req;
    ~KeepInFlight() {
      if (std::uncaught_exceptions() > 0 && req != MPI_REQUEST_NULL)
        new std::vector<std::uint8_t>(std::move(bytes));  // leaked on purpose: the process is aborting
    }
  } keep{sending, send_req};
  // Two requests in flight: while rendering one item the next is already on its way.
  for (int i = 0; i < 2; ++i, ++outstanding) check(MPI_Send(&dummy, 1, MPI_INT, 0, kTagRequest, comm), "send request");
  for (;;) {
    // A signal that reached this rank only (not rank 0) still stops the whole job, through rank 0.
    if (const int sig = opt.stop_requested ? opt.stop_requested() : 0; sig && !told) {
      check(MPI_Send(&sig, 1, MPI_INT, 0, kTagInterrupt, comm), "send interrupt");
      told = true;
    }
    std::uint64_t range[2];
    receive_work(range);
    if (range[0] == kStop) break;
    check(MPI_Send(&dummy, 1, MPI_INT, 0, kTagRequest, comm), "send request");
    ++outstanding;
    hook.check(stats.items);
    // The previous item's chunks travel while this one renders: its send is non-blocking and
    // render_item moves it on from time to time (the transfer of a large message needs calls
    // into MPI on both sides, and this rank would otherwise wait for rank 0 to pick it up).
    const auto chunks = render_item(frames, layout, WorkItem{range[0], range[1]}, opt.render, stats, progress);
    complete_send();
    sending = pack_chunks(chunks);
    check(MPI_Isend(sending.data(), static_cast<int>(sending.size()), MPI_BYTE, 0, kTagChunks, comm, &send_req),
          "send chunks");
  }
  complete_send();
  while (outstanding > 0) {  // the replies to requests still in flight are all kStop
    std::uint64_t range[2];
    receive_work(range);
  }
  return stop;
}

// Rank 0: serves requests, writes chunks, renders in a thread of its own, reports progress.
class Coordinator {
 public:
  Coordinator(const std::vector<FrameParams>& frames, const ChunkLayout& layout, const RunOptions& opt,
              JobOutput& out, MPI_Comm comm, int ranks)
      : frames_(frames), layout_(layout), opt_(opt), out_(out), comm_(comm), ranks_(ranks),
        queue_(layout, ranks, out.done_flags()), frame_chunks_(layout.frames, 0),
        progress_(opt.progress_interval_s, stdout) {
    const auto& done = out.done_flags();  // chunks taken over from the journal
    for (std::uint64_t k = 0; k < done.size(); ++k)
      if (done[k] && ++frame_chunks_[k / layout.strips_per_frame] == layout.strips_per_frame) ++frames_done_;
  }

  // Returns 0 when every chunk is done, else the signal that stopped the job.
  int run(RankStats& own, std::vector<RankStats>& worker_stats) {
    std::thread local([&] { render_locally(own); });
    try {
      loop(worker_stats);
    } catch (...) {
      stop_local_ = true;
      local.join();
      throw;
    }
    if (abandoned_) abandon();  // does not return
    local.join();
    if (local_error_) std::rethrow_exception(local_error_);
    write_local_chunks();  // what the render thread added after the loop's last look
    if (stopping_ && !out_.all_done()) {
      out_.checkpoint(/*file_state=*/true);
      return stop_signal_;
    }
    progress_.finish(fraction(), detail());
    return 0;
  }

  std::uint64_t iterations() const { return iterations_; }
  double write_s() const { return write_s_; }

 private:
  double fraction() const {
    return layout_.chunk_count() ? static_cast<double>(out_.chunks_done()) / layout_.chunk_count() : 1.0;
  }
  std::string detail() const {
    char buf[128];
    const double t = progress_.elapsed();
    std::snprintf(buf, sizeof buf, "frames %llu/%llu  %.2f G it/s", static_cast<unsigned long long>(frames_done_),
                  static_cast<unsigned long long>(layout_.frames), t > 0 ? iterations_ / t / 1e9 : 0.0);
    return buf;
  }

  std::optional<WorkItem> next_item() {
    if (stopping_) return std::nullopt;
    std::lock_guard lock(queue_mutex_);
    return queue_.next();
  }

  // Stop handing out work; wait for the items in flight until the grace period ends.
  void begin_stop(int sig) {
    if (stopping_ || out_.all_done()) return;
    stop_signal_ = sig;
    stopping_ = true;
    stop_local_ = true;
    stop_deadline_ = MPI_Wtime() + opt_.stop_grace_s;
  }

  // Some rank is still inside an item after the grace period: keep what arrived and end the job
  // hard. MPI_Abort makes mpirun end every rank and return kExitInterrupted.
  [[noreturn]] void abandon() {
    out_.checkpoint(/*file_state=*/true);
    print_interrupted(stderr, stop_signal_, out_.chunks_done(), layout_.chunk_count(), out_.journal_path());
    std::fflush(stdout);
    MPI_Abort(comm_, kExitInterrupted);
    std::_Exit(kExitInterrupted);
  }

  void render_locally(RankStats& own) {
    const FailureHook hook(0);
    try {
      while (!stop_local_) {
        auto item = next_item();
        if (!item) break;
        hook.check(own.items);
        auto chunks = render_item(frames_, layout_, *item, opt_.render, own);
        std::lock_guard lock(local_mutex_);
        for (auto& c : chunks) local_chunks_.push_back(std::move(c));
      }
    } catch (...) {
      local_error_ = std::current_exception();
    }
    local_finished_ = true;
  }

  void write(const EncodedChunk& c) {
    const double t0 = MPI_Wtime();
    out_.write_chunk(c);
    write_s_ += MPI_Wtime() - t0;
    iterations_ += c.iterations;
    if (++frame_chunks_[c.index / layout_.strips_per_frame] == layout_.strips_per_frame) ++frames_done_;
  }

  // Handles one pending message if there is one; returns whether it did.
  bool serve_one(std::vector<RankStats>& worker_stats) {
    int flag = 0;
    MPI_Status st;
    check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &st), "MPI_Iprobe");
    if (!flag) return false;
    const int src = st.MPI_SOURCE;
    switch (st.MPI_TAG) {
      case kTagRequest: {
        int dummy;
        check(MPI_Recv(&dummy, 1, MPI_INT, src, kTagRequest, comm_, MPI_STATUS_IGNORE), "receive request");
        const auto item = next_item();
        const std::uint64_t range[2] = {item ? item->chunk_begin : kStop,
                                        item ? item->chunk_end : static_cast<std::uint64_t>(stop_signal_)};
        check(MPI_Send(range, 2, MPI_UINT64_T, src, kTagWork, comm_), "send work");
        break;
      }
      case kTagChunks: {
        int n = 0;
        check(MPI_Get_count(&st, MPI_BYTE, &n), "MPI_Get_count");
        std::vector<std::uint8_t> buf(static_cast<std::size_t>(n));
        check(MPI_Recv(buf.data(), n, MPI_BYTE, src, kTagChunks, comm_, MPI_STATUS_IGNORE), "receive chunks");
        for (const auto& c : unpack_chunks(buf)) write(c);
        break;
      }
      case kTagInterrupt: {
        int sig = 0;
        check(MPI_Recv(&sig, 1, MPI_INT, src, kTagInterrupt, comm_, MPI_STATUS_IGNORE), "receive interrupt");
        begin_stop(sig);
        break;
      }
      case kTagDone: {
        check(MPI_Recv(&worker_stats[src], sizeof(RankStats), MPI_BYTE, src, kTagDone, comm_, MPI_STATUS_IGNORE),
              "receive stats");
        ++workers_done_;
        break;
      }
      default:
        throw RuntimeError("unexpected message tag " + std::to_string(st.MPI_TAG) + " from rank " + std::to_string(src));
    }
    return true;
  }

  // Writes the chunks rank 0's render thread finished; returns whether there were any.
  bool write_local_chunks() {
    std::deque<EncodedChunk> mine;
    {
      std::lock_guard lock(local_mutex_);
      mine.swap(local_chunks_);
    }
    for (const auto& c : mine) write(c);
    return !mine.empty();
  }

  bool finished() const {
    if (workers_done_ != ranks_ - 1) return false;
    return out_.all_done() || (stopping_ && local_finished_);
  }

  void loop(std::vector<RankStats>& worker_stats) {
    double last_checkpoint = MPI_Wtime();
    auto pause = std::chrono::microseconds(20);
    while (!finished()) {
      if (const int sig = opt_.stop_requested ? opt_.stop_requested() : 0) begin_stop(sig);
      bool busy = false;
      while (serve_one(worker_stats)) busy = true;
      busy = write_local_chunks() || busy;
      if (local_finished_ && local_error_) std::rethrow_exception(local_error_);
      if (stopping_ && MPI_Wtime() > stop_deadline_) {
        abandoned_ = true;
        return;
      }
      if (!stopping_) progress_.update(fraction(), detail());
      if (MPI_Wtime() - last_checkpoint > opt_.checkpoint_interval_s) {
        const double t0 = MPI_Wtime();
        out_.checkpoint();
        write_s_ += MPI_Wtime() - t0;
        last_checkpoint = MPI_Wtime();
      }
      if (busy) {
        pause = std::chrono::microseconds(20);
      } else {
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(500));
      }
    }
  }

  const std::vector<FrameParams>& frames_;
  const ChunkLayout& layout_;
  const RunOptions& opt_;
  JobOutput& out_;
  MPI_Comm comm_;
  int ranks_;
  std::mutex queue_mutex_;
  WorkQueue queue_;
  std::mutex local_mutex_;
  std::deque<EncodedChunk> local_chunks_;
  std::atomic<bool> local_finished_{false}, stop_local_{false}, stopping_{false};
  int stop_signal_ = 0;
  double stop_deadline_ = 0;
  bool abandoned_ = false;
  std::exception_ptr local_error_;
  std::vector<std::uint32_t> frame_chunks_;  // [frames] chunks written per frame
  std::uint64_t frames_done_ = 0, iterations_ = 0;
  int workers_done_ = 0;
  double write_s_ = 0;
  Progress progress_;
};

}  // namespace

JobResult run_job(const std::vector<FrameParams>& frames, const ChunkLayout& layout, const RunOptions& opt,
                  JobOutput* out, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  JobResult result;
  result.chunk_count = layout.chunk_count();
  RankStats own;
  own.threads = omp_get_max_threads();
  const double t0 = MPI_Wtime();
  if (rank != 0) {
    result.stop_signal = worker(frames, layout, opt, comm, rank, own);
    own.wall_s = MPI_Wtime() - t0;
    check(MPI_Send(&own, sizeof own, MPI_BYTE, 0, kTagDone, comm), "send stats");
    return result;
  }
  result.ranks.resize(ranks);
  Coordinator coord(frames, layout, opt, *out, comm, ranks);
  result.stop_signal = coord.run(own, result.ranks);
  double tw = MPI_Wtime();
  if (!result.stop_signal) {
    result.verification_hash = combine_hashes(out->chunk_hashes());
    out->finish(result.verification_hash);
  }
  own.write_s = coord.write_s() + (MPI_Wtime() - tw);
  own.wall_s = MPI_Wtime() - t0;
  result.ranks[0] = own;
  result.wall_s = own.wall_s;
  result.iterations = coord.iterations();
  result.bytes_written = out->bytes_written();
  result.chunks_done = out->chunks_done();
  return result;
}

}  // namespace fractal
