// VideoEncoder round trips: encode synthetic frames, decode them back with libavformat /
// libavcodec (and ffprobe when on PATH) and check frame count, size, rate and duration.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fractal/colour/video.hpp"
#include "fractal/error.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace fs = std::filesystem;
using fractal::colour::VideoEncoder;
using fractal::colour::VideoSettings;

namespace {

// The encoders' informational chatter would bury the test output; errors still print.
const int kQuietLibav = (av_log_set_level(AV_LOG_ERROR), 0);

constexpr int kFrames = 24;

// A fresh scratch directory per test, removed with everything in it at scope exit.
struct ScratchDir {
  fs::path dir;
  ScratchDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("fractal_video_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

// A gradient that moves a few pixels per frame, so the encoder sees real motion.
std::vector<std::uint8_t> gradient_frame(std::uint32_t w, std::uint32_t h, int t) {
  std::vector<std::uint8_t> rgb(std::size_t{w} * h * 3);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x) {
      std::uint8_t* p = &rgb[(std::size_t{y} * w + x) * 3];
      p[0] = static_cast<std::uint8_t>((x * 4 + static_cast<std::uint32_t>(t) * 3) & 255u);
      p[1] = static_cast<std::uint8_t>((y * 5 + static_cast<std::uint32_t>(t) * 2) & 255u);
      p[2] = static_cast<std::uint8_t>(((x + y) * 2 + 64) & 255u);
    }
  return rgb;
}

bool encoder_available(const std::string& codec) {
  const char* name = codec == "h264" ? "libx264" : codec == "h265" ? "libx265" : "libvpx-vp9";
  return avcodec_find_encoder_by_name(name) != nullptr;
}

struct Probe {
  int frames = 0;
  int width = 0, height = 0;
  AVRational r_frame_rate{0, 1}, avg_frame_rate{0, 1};
  double duration = 0;  // seconds
  std::vector<std::vector<std::uint8_t>> luma;  // decoded Y planes, tightly packed
};

// Opens the file with libavformat and decodes every packet of the video stream.
Probe decode_file(const std::string& path) {
  Probe p;
  AVFormatContext* fc = nullptr;
  if (avformat_open_input(&fc, path.c_str(), nullptr, nullptr) < 0) {
    ADD_FAILURE() << "cannot open " << path;
    return p;
  }
  EXPECT_GE(avformat_find_stream_info(fc, nullptr), 0);
  const int si = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  EXPECT_GE(si, 0);
  if (si < 0) {
    avformat_close_input(&fc);
    return p;
  }
  AVStream* st = fc->streams[si];
  p.width = st->codecpar->width;
  p.height = st->codecpar->height;
  p.r_frame_rate = st->r_frame_rate;
  p.avg_frame_rate = st->avg_frame_rate;
  p.duration = st->duration != AV_NOPTS_VALUE ? static_cast<double>(st->duration) * av_q2d(st->time_base)
                                               : static_cast<double>(fc->duration) / AV_TIME_BASE;

  const AVCodec* dec = avcodec_find_decoder(st->codecpar->codec_id);
  AVCodecContext* dc = avcodec_alloc_context3(dec);
  avcodec_parameters_to_context(dc, st->codecpar);
  EXPECT_GE(avcodec_open2(dc, dec, nullptr), 0);
  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  auto drain = [&] {
    while (avcodec_receive_frame(dc, frame) >= 0) {
      ++p.frames;
      EXPECT_EQ(frame->width, p.width);
      EXPECT_EQ(frame->height, p.height);
      std::vector<std::uint8_t> y(std::size_t(frame->width) * frame->height);
      for (int r = 0; r < frame->height; ++r)
        std::copy_n(frame->data[0] + std::ptrdiff_t{r} * frame->linesize[0], frame->width,
                    y.begin() + std::ptrdiff_t{r} * frame->width);
      p.luma.push_back(std::move(y));
      av_frame_unref(frame);
    }
  };
  while (av_read_frame(fc, pkt) >= 0) {
    if (pkt->stream_index == si) {
      EXPECT_GE(avcodec_send_packet(dc, pkt), 0);
      drain();
    }
    av_packet_unref(pkt);
  }
  avcodec_send_packet(dc, nullptr);
  drain();
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dc);
  avformat_close_input(&fc);
  return p;
}

bool have_ffprobe() { return std::system("command -v ffprobe >/dev/null 2>&1") == 0; }

// ffprobe's csv line for the stream: width,height,r_frame_rate,nb_read_frames (its field order).
std::string ffprobe_line(const std::string& path) {
  const std::string cmd = "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                          "stream=nb_read_frames,width,height,r_frame_rate -of csv=p=0 '" + path + "'";
  std::string out;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    ::pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string encode(const std::string& path, std::uint32_t w, std::uint32_t h, const VideoSettings& s,
                   int frames = kFrames) {
  VideoEncoder enc(path, w, h, s);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists(path + ".partial"));
  for (int t = 0; t < frames; ++t) enc.add_frame(gradient_frame(w, h, t).data());
  EXPECT_EQ(enc.frames_written(), static_cast<std::uint64_t>(frames));
  EXPECT_FALSE(fs::exists(path));  // the final name appears only at finish()
  enc.finish();
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
  return path;
}

struct Case {
  std::string codec;
  std::uint32_t w, h;
  int fps;
};

class VideoRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(VideoRoundTrip, DecodesToWhatWasWritten) {
  const Case c = GetParam();
  const ScratchDir tmp;
  if (!encoder_available(c.codec)) GTEST_SKIP() << c.codec << " encoder not in this libavcodec build";
  VideoSettings s;
  s.codec = c.codec;
  s.crf = 23;
  s.preset = "veryfast";
  s.fps = c.fps;
  const std::uint32_t ew = c.w + (c.w & 1u), eh = c.h + (c.h & 1u);
  const std::string name = c.codec + "_" + std::to_string(c.w) + "x" + std::to_string(c.h) + "_" +
                           std::to_string(c.fps) + (c.codec == "vp9" ? ".webm" : ".mp4");
  {
    VideoEncoder probe_size(tmp / ("size_" + name), c.w, c.h, s);
    EXPECT_EQ(probe_size.encoded_width(), ew);
    EXPECT_EQ(probe_size.encoded_height(), eh);
  }
  const std::string path = encode(tmp / name, c.w, c.h, s);

  const Probe p = decode_file(path);
  EXPECT_EQ(p.frames, kFrames);
  EXPECT_EQ(p.width, static_cast<int>(ew));
  EXPECT_EQ(p.height, static_cast<int>(eh));
  EXPECT_EQ(av_cmp_q(p.r_frame_rate, AVRational{c.fps, 1}), 0)
      << p.r_frame_rate.num << "/" << p.r_frame_rate.den;
  EXPECT_EQ(av_cmp_q(p.avg_frame_rate, AVRational{c.fps, 1}), 0)
      << p.avg_frame_rate.num << "/" << p.avg_frame_rate.den;
  EXPECT_NEAR(p.duration, static_cast<double>(kFrames) / c.fps, 1.0 / c.fps);

  if (have_ffprobe()) {
    std::ostringstream want;
    want << ew << "," << eh << "," << c.fps << "/1," << kFrames;
    EXPECT_EQ(ffprobe_line(path), want.str());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, VideoRoundTrip,
    ::testing::Values(Case{"h264", 64, 48, 30}, Case{"h264", 65, 49, 24}, Case{"h264", 65, 49, 30},
                      Case{"h265", 64, 48, 24}, Case{"h265", 65, 49, 30}, Case{"vp9", 64, 48, 30},
                      Case{"vp9", 65, 49, 24}),
    [](const ::testing::TestParamInfo<Case>& i) {
      return i.param.codec + "_" + std::to_string(i.param.w) + "x" + std::to_string(i.param.h) + "_" +
             std::to_string(i.param.fps) + "fps";
    });

// Lossless x264 (crf 0) makes the padding visible exactly: identical RGB gives identical luma,
// so the padded column / row must equal the last real one.
TEST(VideoEncoder, OddSizeIsPaddedByRepeatingLastColumnAndRow) {
  if (!encoder_available("h264")) GTEST_SKIP();
  VideoSettings s;
  s.crf = 0;
  s.preset = "ultrafast";
  const ScratchDir tmp;
  const std::string path = encode(tmp / "pad.mp4", 65, 49, s, 3);
  const Probe p = decode_file(path);
  ASSERT_EQ(p.frames, 3);
  ASSERT_EQ(p.width, 66);
  ASSERT_EQ(p.height, 50);
  for (const auto& y : p.luma) {
    for (int r = 0; r < 50; ++r) EXPECT_EQ(y[std::size_t(r) * 66 + 65], y[std::size_t(r) * 66 + 64]) << "row " << r;
    for (int c = 0; c < 66; ++c) EXPECT_EQ(y[49 * 66 + std::size_t(c)], y[48 * 66 + std::size_t(c)]) << "col " << c;
  }
}

TEST(VideoEncoder, NonIntegerFpsGivesRationalRate) {
  if (!encoder_available("h264")) GTEST_SKIP();
  VideoSettings s;
  s.preset = "ultrafast";
  s.fps = 29.97;
  const ScratchDir tmp;
  const std::string path = encode(tmp / "ntsc.mp4", 64, 48, s);
  const Probe p = decode_file(path);
  EXPECT_EQ(p.frames, kFrames);
  EXPECT_EQ(av_cmp_q(p.avg_frame_rate, AVRational{2997, 100}), 0)
      << p.avg_frame_rate.num << "/" << p.avg_frame_rate.den;
  EXPECT_NEAR(p.duration, kFrames / 29.97, 1 / 29.97);
}

template <class E>
std::string message_of(const VideoSettings& s, const std::string& path) {
  try {
    VideoEncoder enc(path, 64, 48, s);
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return {};
}

TEST(VideoEncoder, BadOptionsAreUsageErrors) {
  const ScratchDir tmp;
  const std::string path = tmp / "bad.mp4";
  VideoSettings s;
  s.codec = "av1";
  std::string m = message_of<fractal::UsageError>(s, path);
  EXPECT_EQ(m, "--codec must be h264, h265 or vp9, got 'av1'");

  s = VideoSettings{};
  s.crf = 52;
  m = message_of<fractal::UsageError>(s, path);
  EXPECT_NE(m.find("--crf"), std::string::npos) << m;
  EXPECT_NE(m.find("52"), std::string::npos) << m;
  s.codec = "vp9";
  s.crf = 64;
  EXPECT_NE(message_of<fractal::UsageError>(s, path).find("--crf"), std::string::npos);

  s = VideoSettings{};
  s.preset = "warp9";
  m = message_of<fractal::UsageError>(s, path);
  EXPECT_EQ(m.rfind("--preset", 0), 0u) << m;
  EXPECT_NE(m.find("'warp9'"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;

  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST(VideoEncoder, Vp9IgnoresPreset) {
  if (!encoder_available("vp9")) GTEST_SKIP();
  VideoSettings s;
  s.codec = "vp9";
  s.preset = "not-a-preset";
  const ScratchDir tmp;
  const std::string path = tmp / "vp9preset.webm";
  { VideoEncoder enc(path, 64, 48, s); }
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST(VideoEncoder, MissingDirectoryIsRuntimeErrorAndLeavesNoFile) {
  const ScratchDir tmp;
  const fs::path dir = tmp.dir / "no_such_dir";
  const std::string path = (dir / "out.mp4").string();
  const std::string m = message_of<fractal::RuntimeError>(VideoSettings{}, path);
  EXPECT_NE(m.find("cannot encode video '" + path + "'"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(dir));
}

TEST(VideoEncoder, UnfinishedEncoderLeavesNothing) {
  if (!encoder_available("h264")) GTEST_SKIP();
  const ScratchDir tmp;
  const std::string path = tmp / "unfinished.mp4";
  {
    VideoSettings s;
    s.preset = "ultrafast";
    VideoEncoder enc(path, 64, 48, s);
    for (int t = 0; t < 5; ++t) enc.add_frame(gradient_frame(64, 48, t).data());
    EXPECT_TRUE(fs::exists(path + ".partial"));
    EXPECT_FALSE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path + ".partial"));
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
