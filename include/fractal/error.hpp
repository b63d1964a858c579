#pragma once
// Error types shared by both programs. Library code throws; only main() catches and turns an
// exception into an exit code (see DESIGN.md "Exit codes and messages").
#include <stdexcept>
#include <string>

namespace fractal {

// Exit codes, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;  // I/O failure, disk full, allocation failure, ...
inline constexpr int kExitUsage = 2;    // bad option, bad config value

// A usage or configuration error: every rank sees it alike, rank 0 prints it once.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure while running (I/O, resources). The message names the file or operation.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace fractal
