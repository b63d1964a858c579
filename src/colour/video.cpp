// VideoEncoder: RGB24 frames -> yuv420p -> libx264 / libx265 / libvpx-vp9 -> MP4 / WebM, through
// libavformat / libavcodec / libswscale directly. See include/fractal/colour/video.hpp.
#include "fractal/colour/video.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string_view>
#include <system_error>
#include <vector>

#include "fractal/error.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace fractal::colour {
namespace {

// av_err2str() expands to a C compound literal, which is not valid C++.
std::string av_error_text(int err) {
  std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
  if (av_strerror(err, buf.data(), buf.size()) < 0) return "libav error " + std::to_string(err);
  return buf.data();
}

struct FormatCloser {
  void operator()(AVFormatContext* fc) const {
    // The output context does not own its AVIOContext: close it ourselves (no-op if closed).
    if (fc->pb && !(fc->oformat->flags & AVFMT_NOFILE)) avio_closep(&fc->pb);
    avformat_free_context(fc);
  }
};
struct CodecCloser {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameCloser {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketCloser {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsCloser {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

struct CodecChoice {
  const char* encoder;  // libavcodec encoder name
  const char* muxer;    // passed explicitly: the ".partial" suffix defeats format guessing
  int crf_max;
  bool has_preset;
};

CodecChoice choose_codec(const std::string& codec) {
  if (codec == "h264") return {"libx264", "mp4", 51, true};
  if (codec == "h265") return {"libx265", "mp4", 51, true};
  if (codec == "vp9") return {"libvpx-vp9", "webm", 63, false};
  throw UsageError("--codec must be h264, h265 or vp9, got '" + codec + "'");
}

// x264 and x265 share this preset list (x264_preset_names / x265_preset_names). libavcodec
// exposes "preset" as a free string and only fails later, inside avcodec_open2, with a generic
// EINVAL; checking here gives the user a usage error that names the option.
constexpr std::array<std::string_view, 10> kPresets = {
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium",    "slow",      "slower",   "veryslow", "placebo"};

}  // namespace

struct VideoEncoder::Impl {
  std::string path;
  std::string partial;
  std::uint32_t width = 0, height = 0;        // input size
  std::uint32_t enc_width = 0, enc_height = 0;  // padded to even
  std::unique_ptr<AVFormatContext, FormatCloser> fmt;
  std::unique_ptr<AVCodecContext, CodecCloser> enc;
  std::unique_ptr<AVFrame, FrameCloser> frame;
  std::unique_ptr<AVPacket, PacketCloser> pkt;
  std::unique_ptr<SwsContext, SwsCloser> sws;
  AVStream* stream = nullptr;  // owned by fmt
  std::vector<std::uint8_t> padded;  // RGB staging buffer, only for odd sizes
  std::uint64_t frames = 0;
  bool file_opened = false;  // partial file exists and must be removed unless finished
  bool finished = false;

  ~Impl() {
    // Free the codec before closing the file; then delete the partial file if unfinished.
    sws.reset();
    enc.reset();
    fmt.reset();
    if (file_opened && !finished) {
      std::error_code ec;
      std::filesystem::remove(partial, ec);  // best effort: destructors must not throw
    }
  }

  [[noreturn]] void fail(const std::string& what, int err) const {
    throw RuntimeError("cannot encode video '" + path + "': " + what + ": " + av_error_text(err));
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw RuntimeError("cannot encode video '" + path + "': " + what);
  }

  void open(const VideoSettings& s);
  void write_packets();  // drain every packet the encoder has ready into the muxer
};

void VideoEncoder::Impl::open(const VideoSettings& s) {
  // All usage checks first, so a bad option never leaves a file behind.
  const CodecChoice choice = choose_codec(s.codec);
  if (s.crf < 0 || s.crf > choice.crf_max)
    throw UsageError("--crf must be 0.." + std::to_string(choice.crf_max) + " for " + s.codec + ", got " +
                     std::to_string(s.crf));
  if (choice.has_preset && std::find(kPresets.begin(), kPresets.end(), s.preset) == kPresets.end())
    throw UsageError("--preset must be one of ultrafast, superfast, veryfast, faster, fast, medium, slow, "
                     "slower, veryslow, placebo for " + s.codec + ", got '" + s.preset + "'");
  if (!std::isfinite(s.fps) || s.fps <= 0 || s.fps > 1000)
    throw UsageError("--fps must be a number in (0, 1000], got " + std::to_string(s.fps));
  if (s.threads < 0) throw UsageError("--threads must be >= 0, got " + std::to_string(s.threads));
  if (width == 0 || height == 0 || width > 16384 || height > 16384)
    fail("frame size " + std::to_string(width) + "x" + std::to_string(height) + " is outside 1..16384");

  const AVCodec* codec = avcodec_find_encoder_by_name(choice.encoder);
  if (!codec) fail(std::string("encoder ") + choice.encoder + " is not available in this libavcodec build");

  // Integer rates get the exact time base 1/fps; others the closest rational (29.97 -> 2997/100).
  const AVRational rate = (s.fps == std::floor(s.fps)) ? AVRational{static_cast<int>(s.fps), 1}
                                                       : av_d2q(s.fps, 100000);
  const AVRational time_base = av_inv_q(rate);

  AVFormatContext* fc = nullptr;
  int err = avformat_alloc_output_context2(&fc, nullptr, choice.muxer, partial.c_str());
  if (err < 0 || !fc) fail(std::string("cannot create ") + choice.muxer + " muxer", err < 0 ? err : AVERROR(ENOMEM));
  fmt.reset(fc);

  AVCodecContext* cc = avcodec_alloc_context3(codec);
  if (!cc) fail("cannot allocate codec context", AVERROR(ENOMEM));
  enc.reset(cc);
  cc->width = static_cast<int>(enc_width);
  cc->height = static_cast<int>(enc_height);
  cc->pix_fmt = AV_PIX_FMT_YUV420P;
  cc->time_base = time_base;
  cc->framerate = rate;
  cc->sample_aspect_ratio = AVRational{1, 1};
  // Colour metadata matching the swscale conversion below: BT.709 matrix, limited ("TV") range.
  // The RGB input is sRGB, whose primaries are BT.709; the transfer is tagged BT.709 as
  // ffmpeg and most players expect for sRGB-derived content.
  cc->color_range = AVCOL_RANGE_MPEG;
  cc->color_primaries = AVCOL_PRI_BT709;
  cc->color_trc = AVCOL_TRC_BT709;
  cc->colorspace = AVCOL_SPC_BT709;
  cc->thread_count = s.threads;  // 0: x264/x265/libvpx choose from the core count
  cc->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  if (fmt->oformat->flags & AVFMT_GLOBALHEADER) cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  auto set_opt = [&](const char* key, const std::string& value) {
    const int e = av_opt_set(cc->priv_data, key, value.c_str(), 0);
    if (e < 0) fail(std::string("cannot set ") + choice.encoder + " option " + key + "=" + value, e);
  };
  set_opt("crf", std::to_string(s.crf));
  if (choice.has_preset) {
    set_opt("preset", s.preset);
  } else {
    // VP9 constant quality needs a zero target bitrate; "good" deadline with cpu-used 4 is the
    // usual speed/quality balance, row-mt lets libvpx use threads within a tile column too.
    cc->bit_rate = 0;
    set_opt("deadline", "good");
    set_opt("cpu-used", "4");
    set_opt("row-mt", "1");
  }
  // x265 logs through its own logger, not av_log: errors only (it warns about tiny test sizes).
  if (s.codec == "h265") set_opt("x265-params", "log-level=error");

  err = avcodec_open2(cc, codec, nullptr);
  if (err < 0) fail(std::string("cannot open encoder ") + choice.encoder, err);

  stream = avformat_new_stream(fc, nullptr);
  if (!stream) fail("cannot create stream", AVERROR(ENOMEM));
  err = avcodec_parameters_from_context(stream->codecpar, cc);
  if (err < 0) fail("cannot copy codec parameters", err);
  // Apple players (and browsers following them) only accept HEVC in MP4 tagged hvc1, not hev1.
  if (s.codec == "h265") stream->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
  stream->time_base = time_base;  // a hint; the muxer may pick its own in write_header
  stream->avg_frame_rate = rate;
  stream->r_frame_rate = rate;

  err = avio_open(&fc->pb, partial.c_str(), AVIO_FLAG_WRITE);
  if (err < 0) fail("cannot open '" + partial + "'", err);
  file_opened = true;

  AVDictionary* mux_opts = nullptr;
  // faststart moves the index to the front (one extra copy of the file at the end, small next
  // to encoding) so the MP4 plays while still downloading.
  if (std::strcmp(choice.muxer, "mp4") == 0) av_dict_set(&mux_opts, "movflags", "+faststart", 0);
  err = avformat_write_header(fc, &mux_opts);
  av_dict_free(&mux_opts);
  if (err < 0) fail("cannot write header", err);

  frame.reset(av_frame_alloc());
  pkt.reset(av_packet_alloc());
  if (!frame || !pkt) fail("cannot allocate frame", AVERROR(ENOMEM));
  frame->format = cc->pix_fmt;
  frame->width = cc->width;
  frame->height = cc->height;
  frame->color_range = cc->color_range;
  frame->color_primaries = cc->color_primaries;
  frame->color_trc = cc->color_trc;
  frame->colorspace = cc->colorspace;
  err = av_frame_get_buffer(frame.get(), 0);
  if (err < 0) fail("cannot allocate frame buffer", err);

  // Same size in and out, so swscale only converts (never scales). BICUBIC governs the chroma
  // downsampling filter; the flags are the ffmpeg CLI's defaults, so its SIMD paths apply.
  sws.reset(sws_getContext(cc->width, cc->height, AV_PIX_FMT_RGB24, cc->width, cc->height, AV_PIX_FMT_YUV420P,
                           SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!sws) fail("cannot create RGB to yuv420p converter", AVERROR(EINVAL));
  // Full-range RGB in, limited-range BT.709 YUV out; matches the metadata set above.
  const int* coeffs = sws_getCoefficients(SWS_CS_ITU709);
  sws_setColorspaceDetails(sws.get(), coeffs, 1, coeffs, 0, 0, 1 << 16, 1 << 16);

  if (enc_width != width || enc_height != height) padded.resize(std::size_t{enc_width} * enc_height * 3);
}

void VideoEncoder::Impl::write_packets() {
  for (;;) {
    int err = avcodec_receive_packet(enc.get(), pkt.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) fail("cannot receive packet from encoder", err);
    // Constant frame rate: every packet lasts one frame. Encoders with delay leave duration 0,
    // which would make the MP4's last sample (and the reported duration) one frame short.
    if (pkt->duration == 0) pkt->duration = 1;
    av_packet_rescale_ts(pkt.get(), enc->time_base, stream->time_base);
    pkt->stream_index = stream->index;
    err = av_interleaved_write_frame(fmt.get(), pkt.get());  // takes the packet's reference
    if (err < 0) fail("cannot write packet", err);
  }
}

VideoEncoder::VideoEncoder(const std::string& path, std::uint32_t width, std::uint32_t height,
                           const VideoSettings& s)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->partial = path + ".partial";
  impl_->width = width;
  impl_->height = height;
  impl_->enc_width = width + (width & 1u);
  impl_->enc_height = height + (height & 1u);
  // open() runs after Impl is fully built, so if it throws, ~Impl frees what was allocated and
  // deletes the partial file.
  impl_->open(s);
}

VideoEncoder::~VideoEncoder() = default;

void VideoEncoder::add_frame(const std::uint8_t* rgb) {
  Impl& m = *impl_;
  if (m.finished) m.fail("add_frame() after finish()");
  const std::size_t in_stride = std::size_t{m.width} * 3;
  const std::uint8_t* src = rgb;
  if (!m.padded.empty()) {
    // Pad odd sizes by repeating the last column / row (no scaling, no black border).
    const std::size_t out_stride = std::size_t{m.enc_width} * 3;
    for (std::uint32_t y = 0; y < m.height; ++y) {
      std::uint8_t* row = m.padded.data() + y * out_stride;
      std::memcpy(row, rgb + y * in_stride, in_stride);
      if (m.enc_width != m.width) std::memcpy(row + in_stride, row + in_stride - 3, 3);
    }
    if (m.enc_height != m.height)
      std::memcpy(m.padded.data() + m.height * out_stride, m.padded.data() + (m.height - 1) * out_stride,
                  out_stride);
    src = m.padded.data();
  }
  // The encoder may still reference the previous frame's buffer.
  int err = av_frame_make_writable(m.frame.get());
  if (err < 0) m.fail("cannot make frame writable", err);
  const std::uint8_t* src_planes[1] = {src};
  const int src_stride[1] = {static_cast<int>(std::size_t{m.enc_width} * 3)};
  sws_scale(m.sws.get(), src_planes, src_stride, 0, static_cast<int>(m.enc_height), m.frame->data,
            m.frame->linesize);
  m.frame->pts = static_cast<std::int64_t>(m.frames);
  err = avcodec_send_frame(m.enc.get(), m.frame.get());
  if (err < 0) m.fail("cannot send frame " + std::to_string(m.frames) + " to encoder", err);
  ++m.frames;
  m.write_packets();
}

void VideoEncoder::finish() {
  Impl& m = *impl_;
  if (m.finished) return;
  int err = avcodec_send_frame(m.enc.get(), nullptr);  // enter draining mode
  if (err < 0) m.fail("cannot flush encoder", err);
  m.write_packets();
  err = av_write_trailer(m.fmt.get());
  if (err < 0) m.fail("cannot write trailer", err);
  err = avio_closep(&m.fmt->pb);  // reports deferred write errors (e.g. disk full)
  if (err < 0) m.fail("cannot close '" + m.partial + "'", err);
  std::error_code ec;
  std::filesystem::rename(m.partial, m.path, ec);
  if (ec) throw RuntimeError("cannot encode video '" + m.path + "': cannot rename '" + m.partial + "': " + ec.message());
  m.finished = true;
}

std::uint64_t VideoEncoder::frames_written() const { return impl_->frames; }
std::uint32_t VideoEncoder::encoded_width() const { return impl_->enc_width; }
std::uint32_t VideoEncoder::encoded_height() const { return impl_->enc_height; }

}  // namespace fractal::colour
