#pragma once
// Video encoding through libavcodec / libavformat / libswscale directly (no shell, no ffmpeg
// process). Frames go in as 8-bit RGB; the encoder converts to the codec's pixel format.
#include <cstdint>
#include <memory>
#include <string>

namespace fractal::colour {

struct VideoSettings {
  std::string codec = "h264";   // h264 (MP4, libx264) | h265 (MP4, libx265) | vp9 (WebM, libvpx-vp9)
  int crf = 18;                 // constant rate factor (quality; lower = better)
  std::string preset = "medium";  // x264/x265 preset; ignored for vp9
  double fps = 30;
  int threads = 0;              // encoder threads; 0 = the codec's automatic choice
};

// Opens `path` + ".partial" for writing; finish() flushes the encoder, writes the trailer and
// renames to `path`. Destroying an unfinished encoder deletes the partial file. Odd sizes are
// padded to even (yuv420p needs even dimensions) by repeating the last column / row, so the
// picture is never scaled. Throws RuntimeError naming the path and the libav* reason.
class VideoEncoder {
 public:
  VideoEncoder(const std::string& path, std::uint32_t width, std::uint32_t height, const VideoSettings& s);
  ~VideoEncoder();
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  // rgb: [height, width, 3] 8-bit, tightly packed.
  void add_frame(const std::uint8_t* rgb);
  void finish();
  std::uint64_t frames_written() const;
  // The padded size actually encoded.
  std::uint32_t encoded_width() const;
  std::uint32_t encoded_height() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fractal::colour
