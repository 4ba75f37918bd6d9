// Temporal smoothing of per-frame label scores: centred moving average in time, causal EMA with a
// time constant. See include/vigil/video_aggregate.h.
#include <cmath>

#include "vigil/video_aggregate.h"

namespace vigil {

Result<SmoothingKind> ParseSmoothingKind(const std::string& text) {
  if (text == "none" || text.empty()) return SmoothingKind::kNone;
  if (text == "moving-average" || text == "ma" || text == "mean") return SmoothingKind::kMovingAverage;
  if (text == "ema") return SmoothingKind::kEma;
  return InvalidArgumentError("unknown smoothing \"" + text + "\" (none, moving-average, ema)");
}

const char* SmoothingKindName(SmoothingKind kind) {
  switch (kind) {
    case SmoothingKind::kNone: return "none";
    case SmoothingKind::kMovingAverage: return "moving-average";
    case SmoothingKind::kEma: return "ema";
  }
  return "none";
}

std::vector<ScoredFrame> SmoothScores(const std::vector<ScoredFrame>& frames,
                                      const SmoothingOptions& options) {
  if (options.kind == SmoothingKind::kNone || !(options.window_s > 0) || frames.empty()) {
    return frames;
  }
  std::vector<ScoredFrame> out = frames;
  const size_t n = frames.size();
  if (options.kind == SmoothingKind::kMovingAverage) {
    const double half = options.window_s / 2;
    // Two pointers over the sorted times: [lo, hi) are the frames within +-half of frame i.
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < n; ++i) {
      const double t = frames[i].time_s;
      while (lo < n && frames[lo].time_s < t - half - 1e-9) ++lo;
      while (hi < n && frames[hi].time_s <= t + half + 1e-9) ++hi;
      const size_t labels = frames[i].scores.size();
      for (size_t c = 0; c < labels; ++c) {
        double sum = 0;
        size_t count = 0;
        for (size_t j = lo; j < hi; ++j) {
          if (frames[j].scores.size() != labels) continue;
          sum += frames[j].scores[c];
          ++count;
        }
        out[i].scores[c] = count ? float(sum / double(count)) : frames[i].scores[c];
      }
    }
    return out;
  }
  // EMA.
  for (size_t i = 1; i < n; ++i) {
    if (out[i].scores.size() != out[i - 1].scores.size()) continue;
    const double dt = std::max(0.0, frames[i].time_s - frames[i - 1].time_s);
    const double a = 1.0 - std::exp(-dt / options.window_s);
    for (size_t c = 0; c < out[i].scores.size(); ++c) {
      const double prev = out[i - 1].scores[c];
      out[i].scores[c] = float(prev + a * (double(frames[i].scores[c]) - prev));
    }
  }
  return out;
}

}  // namespace vigil
