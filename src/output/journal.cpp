#include "fractal/output/journal.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "fractal/error.hpp"

namespace fractal {

namespace {

// File header: magic, version, header text length, chunk count, text, CRC-32 of all before, zero.
constexpr char kMagic[8] = {'F', 'R', 'A', 'C', 'T', 'J', 'N', 'L'};
// Version 3: a record's payload is three plane references (offset uint64, size uint32, CRC-32
// uint32: /counts, /smooth, /distance), 48 bytes. Versions 1 and 2 (read only) held the planes:
// version 2's payload starts with the sizes of its planes (counts, smooth, distance, a zero word),
// then the planes; version 1's payload is the counts plane.
constexpr std::uint32_t kVersion = 3;
constexpr std::uint32_t kPlaneTable = 16;  // bytes of the version-2 plane size table
constexpr std::uint32_t kRefBytes = 48;    // a version-3 payload
constexpr std::uint32_t kMaxHeaderText = 16u << 20;
// Record: head, payload, tail. Little-endian, as the machines that run this are.
constexpr std::uint32_t kRecordMagic = 0x4b4e4843;  // "CHNK"
constexpr std::uint32_t kRecordEnd = 0x2e444e45;    // "END."
constexpr std::uint32_t kMaxChunkBytes = 3 * (128u << 20);  // three planes of at most 64 MiB raw each

struct FileHead {
  char magic[8];
  std::uint32_t version;
  std::uint32_t text_bytes;
  std::uint64_t chunk_count;
};
struct RecordHead {
  std::uint32_t magic;
  std::uint32_t nbytes;
  std::uint64_t index, hash, iterations;
};
struct RecordTail {
  std::uint32_t crc;
  std::uint32_t end;
};
static_assert(sizeof(FileHead) == 24 && sizeof(RecordHead) == 32 && sizeof(RecordTail) == 8);

std::uint32_t crc32(std::uint32_t crc, const void* p, std::size_t n) { return libdeflate_crc32(crc, p, n); }

struct RefWire {  // PlaneRef as stored
  std::uint64_t offset;
  std::uint32_t size, crc;
};
static_assert(sizeof(RefWire) * 3 == kRefBytes);

// read_exactly, throwing on an error; false at the end of the file (a short read).
bool read_at(int fd, void* buf, std::size_t n, std::uint64_t offset, const std::string& path) {
  if (read_exactly(fd, buf, n, offset)) return true;
  if (errno != 0) throw RuntimeError("reading the journal '" + path + "': " + std::strerror(errno));
  return false;
}

// Writes all n bytes at offset; returns 0 or the errno of the failure.
int write_at(int fd, const void* buf, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<const std::uint8_t*>(buf);
  while (n > 0) {
    const ssize_t put = pwrite(fd, p, n, static_cast<off_t>(offset));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return errno;
    if (put == 0) return EIO;
    p += put;
    n -= static_cast<std::size_t>(put);
    offset += static_cast<std::uint64_t>(put);
  }
  return 0;
}

}  // namespace

std::string journal_path(const std::string& output) { return output + ".journal"; }

bool read_exactly(int fd, void* buf, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<std::uint8_t*>(buf);
  while (n > 0) {
    const ssize_t got = pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (got == 0) errno = 0;
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

std::uint32_t plane_crc(std::span<const std::uint8_t> bytes) { return crc32(0, bytes.data(), bytes.size()); }

void sync_directory_of(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : std::string(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)fsync(fd);
  ::close(fd);
}

Journal::Journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

Journal::Journal(Journal&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), header_(std::move(o.header_)), chunk_count_(o.chunk_count_),
      end_(o.end_), dirty_(o.dirty_), version_(o.version_) {
  o.fd_ = -1;
}

Journal& Journal::operator=(Journal&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    header_ = std::move(o.header_);
    chunk_count_ = o.chunk_count_;
    end_ = o.end_;
    dirty_ = o.dirty_;
    version_ = o.version_;
    o.fd_ = -1;
  }
  return *this;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::fail(const std::string& what, int err) const {
  throw RuntimeError(what + " the journal '" + path_ + "': " + std::strerror(err));
}

Journal Journal::create(const std::string& path, const std::string& header, std::uint64_t chunk_count) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError("cannot create the journal '" + path + "': " + std::strerror(errno));
  Journal j(path, fd);
  j.header_ = header;
  j.chunk_count_ = chunk_count;
  j.version_ = kVersion;
  FileHead h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.text_bytes = static_cast<std::uint32_t>(header.size());
  h.chunk_count = chunk_count;
  std::vector<std::uint8_t> buf(sizeof h + header.size() + sizeof(RecordTail));
  std::memcpy(buf.data(), &h, sizeof h);
  std::memcpy(buf.data() + sizeof h, header.data(), header.size());
  const RecordTail t{crc32(0, buf.data(), sizeof h + header.size()), 0};
  std::memcpy(buf.data() + sizeof h + header.size(), &t, sizeof t);
  if (const int e = write_at(fd, buf.data(), buf.size(), 0)) j.fail("writing", e);
  j.end_ = buf.size();
  j.dirty_ = true;
  j.sync();
  sync_directory_of(path);
  return j;
}

std::optional<Journal> Journal::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw RuntimeError("cannot open the journal '" + path + "': " + std::strerror(errno));
  Journal j(path, fd);
  FileHead h{};
  if (!read_at(fd, &h, sizeof h, 0, path) || std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 ||
      h.version < 1 || h.version > kVersion || h.text_bytes > kMaxHeaderText)
    return std::nullopt;
  std::string text(h.text_bytes, '\0');
  RecordTail t{};
  if (!read_at(fd, text.data(), text.size(), sizeof h, path) ||
      !read_at(fd, &t, sizeof t, sizeof h + text.size(), path))
    return std::nullopt;
  if (t.crc != crc32(crc32(0, &h, sizeof h), text.data(), text.size()) || t.end != 0) return std::nullopt;
  j.header_ = std::move(text);
  j.chunk_count_ = h.chunk_count;
  j.version_ = h.version;
  j.end_ = sizeof h + j.header_.size() + sizeof t;
  return j;
}

std::uint64_t Journal::replay(const std::function<void(const JournalChunk&)>& visit) {
  std::uint64_t records = 0;
  std::vector<std::uint8_t> payload;
  for (;;) {
    RecordHead h{};
    if (!read_at(fd_, &h, sizeof h, end_, path_) || h.magic != kRecordMagic || h.nbytes > kMaxChunkBytes ||
        h.index >= chunk_count_)
      break;
    payload.resize(h.nbytes);
    RecordTail t{};
    if (!read_at(fd_, payload.data(), payload.size(), end_ + sizeof h, path_) ||
        !read_at(fd_, &t, sizeof t, end_ + sizeof h + payload.size(), path_))
      break;
    if (t.end != kRecordEnd || t.crc != crc32(crc32(0, &h, sizeof h), payload.data(), payload.size())) break;
    if (version_ == 3) {
      if (payload.size() != kRefBytes) break;
      RefWire w[3];
      std::memcpy(w, payload.data(), kRefBytes);
      JournalChunk c{h.index, h.hash, h.iterations};
      for (int i = 0; i < 3; ++i) c.where[i] = PlaneRef{w[i].offset, w[i].size, w[i].crc};
      visit(c);
    } else if (version_ == 1) {
      JournalChunk c{h.index, h.hash, h.iterations};
      c.by_reference = false;
      c.bytes = payload;
      visit(c);
    } else {
      std::uint32_t n[4] = {0, 0, 0, 0};
      if (payload.size() < kPlaneTable) break;
      std::memcpy(n, payload.data(), sizeof n);
      if (std::uint64_t{n[0]} + n[1] + n[2] + kPlaneTable != payload.size() || n[3] != 0) break;
      const std::span<const std::uint8_t> all(payload);
      JournalChunk c{h.index, h.hash, h.iterations};
      c.by_reference = false;
      c.bytes = all.subspan(kPlaneTable, n[0]);
      c.smooth = all.subspan(kPlaneTable + n[0], n[1]);
      c.distance = all.subspan(kPlaneTable + n[0] + n[1], n[2]);
      visit(c);
    }
    end_ += sizeof h + payload.size() + sizeof t;
    ++records;
  }
  struct stat st{};
  if (fstat(fd_, &st) != 0) fail("examining", errno);
  if (static_cast<std::uint64_t>(st.st_size) > end_) {  // a torn or damaged tail: cut it off
    if (ftruncate(fd_, static_cast<off_t>(end_)) != 0) fail("truncating", errno);
    dirty_ = true;
    sync();
  }
  return records;
}

void Journal::append(const JournalChunk& c) {
  // This process writes version 3 only (create()); an older journal is never appended to: a
  // resumed job copies its chunks into a new one (job_output.cpp).
  if (version_ != kVersion || !c.by_reference)
    throw RuntimeError("the journal '" + path_ + "' has version " + std::to_string(version_) +
                       "; this fractal-render appends only references to version " + std::to_string(kVersion));
  struct Record {
    RecordHead h;
    RefWire w[3];
    RecordTail t;
  } r{};
  static_assert(sizeof(Record) == sizeof(RecordHead) + kRefBytes + sizeof(RecordTail));
  r.h = RecordHead{kRecordMagic, kRefBytes, c.index, c.hash, c.iterations};
  for (int i = 0; i < 3; ++i) r.w[i] = RefWire{c.where[i].offset, c.where[i].size, c.where[i].crc};
  r.t = RecordTail{crc32(0, &r, sizeof r.h + kRefBytes), kRecordEnd};
  const int e = write_at(fd_, &r, sizeof r, end_);  // one write: one record
  if (e) {
    if (ftruncate(fd_, static_cast<off_t>(end_)) != 0) {
      // The torn record stays; reopening the journal cuts it off.
    }
    fail("writing chunk " + std::to_string(c.index) + " to", e);
  }
  end_ += sizeof r;
  dirty_ = true;
}

void Journal::rename_to(const std::string& path) {
  if (std::rename(path_.c_str(), path.c_str()) != 0)
    throw RuntimeError("renaming the journal '" + path_ + "' to '" + path + "': " + std::strerror(errno));
  path_ = path;
  sync_directory_of(path_);
}

void Journal::sync() {
  if (!dirty_) return;
  if (fdatasync(fd_) != 0) fail("flushing", errno);
  dirty_ = false;
}

void Journal::remove() {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) fail("removing", errno);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace fractal
