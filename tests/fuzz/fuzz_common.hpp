#pragma once
// Shared pieces of the fuzz drivers (tests/fuzz/*.cpp): a seeded generator, a per-case watchdog
// and printable dumps of failing inputs. Header-only; test code, not part of the programs.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

namespace fractal::fuzz {

// splitmix64: every case gets its own generator, seeded from (campaign seed, case index), so any
// single case can be replayed alone (--case N) without generating the ones before it.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  Rng(std::uint64_t seed, std::uint64_t index) : s_(seed ^ (index * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull)) {
    next();
  }
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n > 0; the modulo bias is irrelevant here).
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  // Uniform in [lo, hi].
  std::uint64_t range(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <class C>
  const auto& pick(const C& c) { return c[below(std::size(c))]; }

 private:
  std::uint64_t s_;
};

// Escapes bytes for a one-line dump: printable ASCII as is, everything else as \xNN.
inline std::string printable(std::string_view s, std::size_t max = 600) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// Watchdog: a thread that aborts the process when one case runs longer than the limit (a hang),
// after printing which case it was. begin()/end() bracket each case.
class Watchdog {
 public:
  explicit Watchdog(double limit_s, const char* what) : limit_ns_(static_cast<std::int64_t>(limit_s * 1e9)), what_(what) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Watchdog() {
    stop_ = true;
    thread_.join();
  }
  void begin(std::uint64_t index) {
    index_.store(index, std::memory_order_relaxed);
    start_.store(now(), std::memory_order_release);
  }
  void end() { start_.store(0, std::memory_order_release); }

 private:
  static std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  void loop() {
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const std::int64_t s = start_.load(std::memory_order_acquire);
      if (s != 0 && now() - s > limit_ns_) {
        std::fprintf(stderr, "FAIL: %s case %llu still running after %.1f s (hang); replay with --case %llu\n", what_,
                     static_cast<unsigned long long>(index_.load()), limit_ns_ / 1e9,
                     static_cast<unsigned long long>(index_.load()));
        std::fflush(stderr);
        std::_Exit(3);
      }
    }
  }
  std::int64_t limit_ns_;
  const char* what_;
  std::atomic<std::int64_t> start_{0};
  std::atomic<std::uint64_t> index_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace fractal::fuzz
