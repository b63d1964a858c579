#pragma once
// One job per output: rank 0 holds an exclusive lock on OUT.h5.lock for the whole job, so a second
// job started on the same output (a resubmitted batch job while the first still runs) is refused
// instead of writing the same journal.
#include <string>

namespace fractal {

std::string lock_path(const std::string& output);

class OutputLock {
 public:
  // Takes a non-blocking flock(2) on OUT.h5.lock (creating it). Throws UsageError naming the holder
  // (pid and host) if another job holds it, RuntimeError if the file cannot be created. Where the
  // file system has no locks (ENOLCK, ENOSYS, EOPNOTSUPP) it warns once on stderr and goes on.
  explicit OutputLock(const std::string& output);
  // Removes the lock file, then releases the lock (a process that opened the old file meanwhile
  // sees it unlinked and retries). A killed job leaves the file; the kernel has released its lock.
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace fractal
