#include "fractal/colour/pipeline.hpp"

namespace fractal::colour {

OutputPipeline::OutputPipeline(unsigned png_threads, VideoEncoder* video, std::size_t max_in_flight)
    : video_(video), max_in_flight_(std::max<std::size_t>(1, max_in_flight)) {
  for (unsigned i = 0; i < png_threads; ++i) threads_.emplace_back([this] { png_worker(); });
  if (video_) threads_.emplace_back([this] { video_worker(); });
}

OutputPipeline::~OutputPipeline() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void OutputPipeline::rethrow_locked() {
  if (error_) std::rethrow_exception(error_);
}

void OutputPipeline::fail(std::exception_ptr e) {
  std::lock_guard lock(mu_);
  if (!error_) error_ = e;
  stopping_ = true;
  work_cv_.notify_all();
  space_cv_.notify_all();
}

void OutputPipeline::push(std::shared_ptr<ColouredFrame> frame) {
  std::unique_lock lock(mu_);
  space_cv_.wait(lock, [&] { return in_flight_ < max_in_flight_ || error_; });
  rethrow_locked();
  const int tasks = (frame->png_path.empty() ? 0 : 1) + (video_ ? 1 : 0);
  if (tasks == 0) {
    ++done_;
    return;
  }
  Item item{std::move(frame), std::make_shared<int>(tasks)};
  ++in_flight_;
  if (!item.frame->png_path.empty()) png_queue_.push_back(item);
  if (video_) video_queue_.push_back(item);
  work_cv_.notify_all();
}

void OutputPipeline::drain() {
  std::unique_lock lock(mu_);
  space_cv_.wait(lock, [&] { return in_flight_ == 0 || error_; });
  rethrow_locked();
}

std::uint64_t OutputPipeline::frames_done() const {
  std::lock_guard lock(mu_);
  return done_;
}

void OutputPipeline::task_done(Item& item) {
  std::lock_guard lock(mu_);
  if (--*item.tasks_left == 0) {
    --in_flight_;
    ++done_;
    space_cv_.notify_all();
  }
}

void OutputPipeline::png_worker() {
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return !png_queue_.empty() || stopping_; });
      if (stopping_) return;
      item = std::move(png_queue_.front());
      png_queue_.pop_front();
    }
    try {
      const ColouredFrame& f = *item.frame;
      if (f.png16) write_png(f.png_path, f.rgbf, true);
      else write_png(f.png_path, f.rgb8);
    } catch (...) {
      fail(std::current_exception());
      return;
    }
    task_done(item);
  }
}

void OutputPipeline::video_worker() {
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return !video_queue_.empty() || stopping_; });
      if (stopping_) return;
      item = std::move(video_queue_.front());
      video_queue_.pop_front();
    }
    try {
      video_->add_frame(item.frame->rgb8.rgb.data());
    } catch (...) {
      fail(std::current_exception());
      return;
    }
    task_done(item);
  }
}

}  // namespace fractal::colour
