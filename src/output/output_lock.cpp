#include "fractal/output/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fractal/error.hpp"

namespace fractal {

namespace {

std::string holder_of(int fd) {
  char buf[256] = {};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s.empty() ? "holder unknown" : s;
}

}  // namespace

std::string lock_path(const std::string& output) { return output + ".lock"; }

OutputLock::OutputLock(const std::string& output) : path_(lock_path(output)) {
  // The holder unlinks the file before releasing it: whoever locked a file that is no longer the
  // one at path_ locked a dead inode and tries again.
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw RuntimeError("cannot create the lock file '" + path_ + "': " + std::strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int e = errno;
      const std::string holder = holder_of(fd);
      ::close(fd);
      if (e == EWOULDBLOCK)
        throw UsageError("--output '" + output + "' is in use by another job (" + holder + ", lock '" + path_ +
                         "'); wait for it to end or choose another output");
      if (e == ENOLCK || e == ENOSYS || e == EOPNOTSUPP) {
        std::fprintf(stderr, "fractal-render: warning: cannot lock '%s' (%s); a second job on the same output "
                     "would not be noticed\n", path_.c_str(), std::strerror(e));
        fd_ = -1;
        ::unlink(path_.c_str());
        return;
      }
      throw RuntimeError("cannot lock '" + path_ + "': " + std::strerror(e));
    }
    struct stat held{}, named{};
    if (fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      fd_ = fd;
      char host[128] = {};
      gethostname(host, sizeof host - 1);
      const std::string who = "pid " + std::to_string(getpid()) + " on " + host + "\n";
      if (ftruncate(fd_, 0) != 0 || pwrite(fd_, who.data(), who.size(), 0) < 0) {
        // Only informative: the lock is what counts.
      }
      return;
    }
    ::close(fd);
  }
  throw RuntimeError("cannot lock '" + path_ + "': it keeps being replaced by another job");
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace fractal
