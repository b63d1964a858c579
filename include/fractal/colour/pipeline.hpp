#pragma once
// Hands coloured frames to the outputs on other threads: PNG files are compressed by a pool of
// writers (any order), the video encoder takes frames in order on a thread of its own. The main
// thread meanwhile reads and colours the next frames. At most `max_in_flight` frames are held,
// so memory stays bounded by a few frames whatever the frame count.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fractal/colour/image.hpp"
#include "fractal/colour/video.hpp"

namespace fractal::colour {

struct ColouredFrame {
  std::string png_path;  // empty: no PNG for this frame
  bool png16 = false;
  Image8 rgb8;           // always filled when a video is written, or for 8-bit PNGs
  ImageF rgbf;           // filled only for 16-bit PNGs
};

class OutputPipeline {
 public:
  // png_threads: writers for PNG files (0 when no PNGs are written); video may be null.
  OutputPipeline(unsigned png_threads, VideoEncoder* video, std::size_t max_in_flight);
  ~OutputPipeline();  // stops and joins the threads (after an error too)
  OutputPipeline(const OutputPipeline&) = delete;
  OutputPipeline& operator=(const OutputPipeline&) = delete;

  // Blocks while max_in_flight frames are pending; rethrows the first error of a worker.
  void push(std::shared_ptr<ColouredFrame> frame);
  // Waits until every frame is written (the caller then finishes the video); rethrows errors.
  void drain();
  std::uint64_t frames_done() const;

 private:
  struct Item {
    std::shared_ptr<ColouredFrame> frame;
    std::shared_ptr<int> tasks_left;  // guarded by mu_: PNG and video both done -> frame done
  };
  void png_worker();
  void video_worker();
  void task_done(Item& item);
  void fail(std::exception_ptr e);
  void rethrow_locked();

  VideoEncoder* video_;
  std::size_t max_in_flight_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, space_cv_;
  std::deque<Item> png_queue_, video_queue_;
  std::size_t in_flight_ = 0;
  std::uint64_t done_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace fractal::colour
