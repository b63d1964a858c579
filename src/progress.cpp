#include "fractal/progress.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace fractal {

namespace {
// Open MPI hands rank 0 a pseudo-terminal even when mpirun's own stdout is a file (a Slurm log),
// so under mpirun ask what the launcher's stdout is.
bool stdout_is_terminal(std::FILE* out) {
  if (!isatty(fileno(out))) return false;
  if (!std::getenv("OMPI_COMM_WORLD_SIZE")) return true;
  char target[256] = {};
  const std::string link = "/proc/" + std::to_string(getppid()) + "/fd/1";
  const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return false;
  const std::string t(target, static_cast<std::size_t>(n));
  return t.rfind("/dev/pts/", 0) == 0 || t.rfind("/dev/tty", 0) == 0;
}

std::string hms(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}
}  // namespace

Progress::Progress(std::uint64_t total_chunks, std::uint64_t total_frames, double interval_s, std::FILE* out)
    : total_chunks_(total_chunks), total_frames_(total_frames), interval_s_(interval_s), out_(out),
      tty_(stdout_is_terminal(out)), start_(Clock::now()), last_(start_) {}

void Progress::update(std::uint64_t chunks_done, std::uint64_t frames_done, std::uint64_t iterations) {
  const auto now = Clock::now();
  const double due = tty_ ? 0.2 : interval_s_;
  if (std::chrono::duration<double>(now - last_).count() < due) return;
  last_ = now;
  print(chunks_done, frames_done, iterations, false);
}

void Progress::finish(std::uint64_t chunks_done, std::uint64_t frames_done, std::uint64_t iterations) {
  print(chunks_done, frames_done, iterations, true);
}

void Progress::print(std::uint64_t chunks_done, std::uint64_t frames_done, std::uint64_t iterations, bool final) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double frac = total_chunks_ ? static_cast<double>(chunks_done) / total_chunks_ : 1.0;
  const double rate = elapsed > 0 ? iterations / elapsed / 1e9 : 0.0;
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : -1;
  if (tty_) {
    constexpr int kBar = 30;
    const int filled = static_cast<int>(frac * kBar);
    std::string bar(filled, '#');
    bar.resize(kBar, '.');
    std::fprintf(out_, "\r[%s] %5.1f%%  frames %llu/%llu  %.2f G it/s  ETA %s ", bar.c_str(), 100 * frac,
                 static_cast<unsigned long long>(frames_done), static_cast<unsigned long long>(total_frames_),
                 rate, hms(eta).c_str());
    if (final) std::fputc('\n', out_);
  } else {
    std::fprintf(out_, "progress: %5.1f%%  frames %llu/%llu  chunks %llu/%llu  %.2f G it/s  elapsed %s  ETA %s\n",
                 100 * frac, static_cast<unsigned long long>(frames_done),
                 static_cast<unsigned long long>(total_frames_), static_cast<unsigned long long>(chunks_done),
                 static_cast<unsigned long long>(total_chunks_), rate, hms(elapsed).c_str(), hms(eta).c_str());
  }
  std::fflush(out_);
}

}  // namespace fractal
