#pragma once
// Reads a fractal-render file for fractal-colour, one frame at a time (memory: one frame).
// Everything is validated before anything big is allocated: a file from elsewhere, a truncated
// or partial file, wrong shapes or types give one RuntimeError line naming the file.
#include <cstdint>
#include <string>
#include <vector>

#include "fractal/h5handle.hpp"

namespace fractal::colour {

struct FileInfo {
  std::string path;
  std::string fractal, created, software_version, command_line, config;
  std::int32_t format_version = 0;
  bool complete = false;
  std::uint64_t frames = 0;
  std::uint32_t width = 0, height = 0, strip_rows = 0, strips_per_frame = 0;
  unsigned count_bytes = 0;
  double escape_radius = 0, fps = 0;
  std::vector<double> xmin, xmax, ymin, ymax, c_re, c_im;  // [frames]
  std::vector<std::uint32_t> max_iter;                     // [frames]
  std::vector<std::uint8_t> chunk_done;                    // [frames * strips_per_frame]
  std::uint64_t chunks_done() const;
};

class CountsReader {
 public:
  explicit CountsReader(const std::string& path);
  const FileInfo& info() const { return info_; }
  // Frame f: counts [height, width] and per-row missing flags [height] (rows of chunks that are
  // not on disk; only possible in a partial file).
  void read_frame(std::uint64_t f, std::vector<std::uint32_t>& counts, std::vector<std::uint8_t>& missing);

 private:
  bool read_frame_raw(std::uint64_t f, std::vector<std::uint32_t>& counts, const std::vector<std::uint8_t>& missing);
  void read_frame_hdf5(std::uint64_t f, std::vector<std::uint32_t>& counts);

  FileInfo info_;
  bool raw_chunks_ = false, deflated_ = false;  // chunks in fractal-render's own filter pipeline
  std::vector<std::uint8_t> stored_, scratch_;  // one chunk as stored / inflated
  std::vector<std::uint32_t> chunk_;            // [strip_rows, width] one decoded chunk
  H5Handle file_, counts_;
  std::vector<std::uint16_t> narrow_;  // [height, width] read buffer for uint16 files
};

}  // namespace fractal::colour
