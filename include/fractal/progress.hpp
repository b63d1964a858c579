#pragma once
// Rank 0's progress report: one updating line with a bar on a terminal; a plain line every few
// seconds when stdout is a file (Slurm logs).
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace fractal {

class Progress {
 public:
  Progress(std::uint64_t total_chunks, std::uint64_t total_frames, double interval_s, std::FILE* out);
  // Called often; prints only when due.
  void update(std::uint64_t chunks_done, std::uint64_t frames_done, std::uint64_t iterations);
  // Final line (and newline on a terminal).
  void finish(std::uint64_t chunks_done, std::uint64_t frames_done, std::uint64_t iterations);

 private:
  void print(std::uint64_t chunks_done, std::uint64_t frames_done, std::uint64_t iterations, bool final);
  using Clock = std::chrono::steady_clock;
  std::uint64_t total_chunks_, total_frames_;
  double interval_s_;
  std::FILE* out_;
  bool tty_;
  Clock::time_point start_, last_;
};

}  // namespace fractal
