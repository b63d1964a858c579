#pragma once
// Reads a fractal-render file for fractal-colour, one frame at a time (memory: one frame).
// Everything is validated before anything big is allocated: a file from elsewhere, a truncated
// or partial file, wrong shapes or types give one RuntimeError line naming the file.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "fractal/output/h5handle.hpp"

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
  double z0_re = std::numeric_limits<double>::quiet_NaN();  // /counts attributes z0_re, z0_im
  double z0_im = std::numeric_limits<double>::quiet_NaN();  // (NaN for Julia, or when absent)
  std::vector<double> xmin, xmax, ymin, ymax, c_re, c_im;  // [frames]
  std::vector<std::uint32_t> max_iter;                     // [frames]
  // format_version 2 (version 1 files: multibrot, power 2, supersample 1, no rotation, and the
  // output size is the stored size). width/height above are the STORED grid (samples).
  std::string family = "multibrot";
  std::uint32_t power = 2, supersample = 1;
  std::uint32_t output_width = 0, output_height = 0;  // the image the samples are for
  std::vector<double> rotation;                       // [frames] degrees (zeros in version 1)
  bool has_smooth = false, has_distance = false;      // /smooth, /distance present
  // format_version 3: how each frame was computed (/frames/method: 0 double kernels, 1 and 2
  // perturbation; zeros before). /distance is in complex-plane units where it is 0, in the
  // frame's sample spacings otherwise.
  std::vector<std::uint8_t> method;                   // [frames]
  // Deep jobs only (empty otherwise): the exact decimal texts of each frame's centre, view width
  // and Julia's c (/frames/center_re, ...; the c texts are empty strings for Mandelbrot).
  std::vector<std::string> center_re, center_im, view_width, julia_c_re, julia_c_im;  // [frames]
  // A zoom sequence (fractal-render --zoom-sequence; /counts attributes zoom_sequence_*): frame k
  // covers width w0 / ratio^k on a grid `oversize` times finer than the video frame; 0: not one.
  double sequence_ratio = 0, sequence_duration = 0;
  double sequence_steps = 0;  // the zoom asked for in keyframe steps, log_R(w0 / w1) (older files: keyframes - 1)
  std::uint32_t sequence_oversize = 1;
  std::vector<std::uint8_t> chunk_done;                    // [frames * strips_per_frame]
  std::uint64_t chunks_done() const;
};

class CountsReader {
 public:
  // Walks the file's metadata in a forked child first (see probe() in reader.cpp), unless
  // set_isolation(false) was called.
  explicit CountsReader(const std::string& path);
  // Isolation of the first metadata walk in a child process (default on), and how long the child
  // may go without progress before it counts as hung (default 10 s). For tests.
  static void set_isolation(bool on, double silence_limit_s = 10);
  const FileInfo& info() const { return info_; }
  // Frame f: counts [height, width] and per-row missing flags [height] (rows of chunks that are
  // not on disk; only possible in a partial file).
  void read_frame(std::uint64_t f, std::vector<std::uint32_t>& counts, std::vector<std::uint8_t>& missing);
  // Frame f of /smooth or /distance: [height, width] (rows of missing chunks: 0). RuntimeError if
  // the file has no such dataset. read_frame(f) first gives `missing` (the same chunk state).
  void read_smooth(std::uint64_t f, std::vector<float>& out, const std::vector<std::uint8_t>& missing);
  void read_distance(std::uint64_t f, std::vector<float>& out, const std::vector<std::uint8_t>& missing);

 private:
  // One stored [frames, height, width] dataset with /counts' chunk grid, read chunk by chunk.
  struct Plane {
    const char* name = "/counts";
    H5Handle ds;
    unsigned filter_bit[3] = {0, 0, 0};  // shuffle, deflate, fletcher32: its bit in a chunk's filter mask, 0 = absent
    bool big_endian = false;             // stored big-endian (not by fractal-render)
    unsigned elem_bytes = 0;             // 2 or 4
    std::vector<hsize_t> chunk_bytes;    // [strips_per_frame] stored sizes of the current frame's chunks
  };
  CountsReader() = default;
  static void probe(const std::string& path);
  void open(const std::string& path);
  void setup_plane(Plane& pl, bool floats);
  void check_chunks(std::uint64_t f);
  void check_plane_chunks(Plane& pl, std::uint64_t f);
  void beat() const;  // progress for probe()
  void read_frame_raw(Plane& pl, std::uint64_t f, std::vector<std::uint32_t>& values, const std::vector<std::uint8_t>& missing);
  void read_floats(Plane& pl, std::uint64_t f, std::vector<float>& out, const std::vector<std::uint8_t>& missing);

  FileInfo info_;
  H5Handle file_;                               // declared before the planes: closed after them
  Plane counts_, smooth_, distance_;            // smooth_/distance_: ds empty when absent
  std::vector<std::uint8_t> stored_, scratch_;  // one chunk as stored / inflated
  std::vector<std::uint32_t> chunk_;            // [strip_rows, width] one decoded chunk
  std::vector<std::uint32_t> bits_;             // [height, width] a float frame's bit patterns
  int heartbeat_fd_ = -1;                       // in probe()'s child: the pipe to the parent
};

}  // namespace fractal::colour
