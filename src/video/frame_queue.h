// Internal to src/video: a bounded FIFO of sampled frames between the decode thread (producer)
// and the inference thread (consumer). Push blocks while full; PopBatch blocks until it can return
// a full batch or the queue is closed. Close wakes both sides.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "vigil/video.h"

namespace vigil::video {

class FrameQueue {
 public:
  explicit FrameQueue(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // False (frame dropped) once the queue is closed.
  bool Push(VideoFrame frame) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || frames_.size() < capacity_; });
    if (closed_) return false;
    frames_.push_back(std::move(frame));
    not_empty_.notify_one();
    return true;
  }

  // Moves up to max_count frames into *out (cleared first): waits for max_count frames (or
  // capacity, if smaller) unless the queue is closed. False when closed and empty.
  bool PopBatch(size_t max_count, std::vector<VideoFrame>* out) {
    out->clear();
    const size_t want = std::max<size_t>(1, std::min(max_count, capacity_));
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || frames_.size() >= want; });
    while (!frames_.empty() && out->size() < max_count) {
      out->push_back(std::move(frames_.front()));
      frames_.pop_front();
    }
    not_full_.notify_all();
    return !out->empty();
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<VideoFrame> frames_;
  bool closed_ = false;
};

}  // namespace vigil::video
