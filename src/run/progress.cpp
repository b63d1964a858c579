#include "fractal/run/progress.hpp"

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

Progress::Progress(double interval_s, std::FILE* out)
    : interval_s_(interval_s), out_(out), tty_(stdout_is_terminal(out)), start_(Clock::now()), last_(start_) {}

double Progress::elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

void Progress::update(double fraction, const std::string& detail) {
  const auto now = Clock::now();
  const double due = tty_ ? 0.2 : interval_s_;
  if (std::chrono::duration<double>(now - last_).count() < due) return;
  last_ = now;
  print(fraction, detail, false);
}

void Progress::finish(double fraction, const std::string& detail) { print(fraction, detail, true); }

void Progress::print(double frac, const std::string& detail, bool final) {
  const double t = elapsed();
  const double eta = frac > 0 ? t * (1 - frac) / frac : -1;
  if (tty_) {
    constexpr int kBar = 30;
    std::string bar(static_cast<std::size_t>(frac * kBar), '#');
    bar.resize(kBar, '.');
    std::fprintf(out_, "\r[%s] %5.1f%%  %s  ETA %s ", bar.c_str(), 100 * frac, detail.c_str(), hms(eta).c_str());
    if (final) std::fputc('\n', out_);
  } else {
    std::fprintf(out_, "progress: %5.1f%%  %s  elapsed %s  ETA %s\n", 100 * frac, detail.c_str(), hms(t).c_str(),
                 hms(eta).c_str());
  }
  std::fflush(out_);
}

}  // namespace fractal
