#pragma once
// Progress lines for both programs: one updating line with a bar on a terminal; a plain line every
// few seconds when stdout is a file (Slurm logs).
#include <chrono>
#include <cstdio>
#include <string>

namespace fractal {

class Progress {
 public:
  Progress(double interval_s, std::FILE* out);
  // fraction in [0, 1]; detail e.g. "frames 3/30  2.1 G it/s". Prints only when due.
  void update(double fraction, const std::string& detail);
  void finish(double fraction, const std::string& detail);
  double elapsed() const;

 private:
  void print(double fraction, const std::string& detail, bool final);
  using Clock = std::chrono::steady_clock;
  double interval_s_;
  std::FILE* out_;
  bool tty_;
  Clock::time_point start_, last_;
};

}  // namespace fractal
