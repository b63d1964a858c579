#pragma once
// Small helpers shared by the benchmarks of tools/bench/.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "fractal/config/config.hpp"

namespace fractal::bench {

// Steady wall-clock seconds.
inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of this process (all its threads): what a core of its own would deliver, as the
// machine the benchmarks run on may be shared.
inline double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// A config file of the source tree (root/cfg) as fractal-render would resolve it, writing to out,
// with extra options on top.
inline Config load_config(const std::string& root, const std::string& cfg, const std::string& out,
                          const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"bench", root + "/" + cfg, "-o", out, "--overwrite"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_config(static_cast<int>(argv.size()), argv.data()).config;
}

}  // namespace fractal::bench
