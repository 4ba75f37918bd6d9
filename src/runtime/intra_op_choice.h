// IntraOpChoice: which executor a multi-threaded session uses for work that is not split image by
// image (batch 1, or a batch remainder): its T-thread OpenMP executor, or a 1-thread one.
// Why: every oneDNN primitive is an OpenMP parallel region that ends in a barrier, with work split
// statically between the T threads. When other processes keep the cores busy, each region waits
// until every one of its threads has been scheduled, and a T-thread run collapses (measured with
// ~13 runnable processes on 2 cores, MobileNetV2 batch 1: 1 thread 98 img/s, 2 threads 3.7 img/s;
// ONNX Runtime, whose calling thread runs the shards a busy worker has not started, 35 img/s).
// Policy: measured wall time per image of each choice (moving average), the faster one is used;
// the other is tried again after `interval` runs, an interval that doubles (up to kMaxInterval)
// each time the retry loses and halves (down to kMinInterval) when the retry beats the current
// choice by kMargin. A collapsed multi-threaded run can take 100x a single-threaded one, so retries
// stay rare: on busy cores at most one run in kMaxInterval is a multi-threaded retry; on idle
// cores the T-thread executor wins and a 1-thread retry costs about one run in kMaxInterval.
// Thread-safety: none; one per session (sessions are used by one thread at a time).
#pragma once

#include <algorithm>

namespace vigil {

class IntraOpChoice {
 public:
  enum Choice { kMultiThread = 0, kSingleThread = 1 };
  static constexpr int kMinInterval = 32;
  static constexpr int kMaxInterval = 1024;
  static constexpr double kMargin = 0.8;  // a retry wins when it takes < kMargin x the current choice

  // The executor for the next run.
  Choice Next() {
    for (int c : {kMultiThread, kSingleThread}) {
      if (ms_per_item_[c] <= 0) return static_cast<Choice>(c);  // measure both first
    }
    if (runs_until_retry_ <= 0) return Loser();
    return Winner();
  }

  // Records that a run with `choice` took `ms_per_item` wall milliseconds per image.
  void Record(Choice choice, double ms_per_item) {
    const bool both = ms_per_item_[kMultiThread] > 0 && ms_per_item_[kSingleThread] > 0;
    const bool was_retry = both && choice == Loser() && runs_until_retry_ <= 0;
    if (was_retry) {
      const bool wins = ms_per_item < kMargin * ms_per_item_[Winner()];
      interval_ = wins ? std::max(interval_ / 2, kMinInterval) : std::min(2 * interval_, kMaxInterval);
      runs_until_retry_ = interval_;
      ms_per_item_[choice] = wins ? ms_per_item : std::max(ms_per_item, ms_per_item_[choice]);
      return;
    }
    double& avg = ms_per_item_[choice];
    avg = avg <= 0 ? ms_per_item : 0.7 * avg + 0.3 * ms_per_item;
    if (both) --runs_until_retry_;
  }

  double ms_per_item(Choice c) const { return ms_per_item_[c]; }

 private:
  Choice Winner() const {
    return ms_per_item_[kSingleThread] < ms_per_item_[kMultiThread] ? kSingleThread : kMultiThread;
  }
  Choice Loser() const { return Winner() == kMultiThread ? kSingleThread : kMultiThread; }

  double ms_per_item_[2] = {0, 0};  // 0: not measured yet
  int interval_ = kMinInterval;
  int runs_until_retry_ = kMinInterval;
};

}  // namespace vigil
