// Time segments where a label stays at or above its threshold (sample and hold between frames),
// with gap merging and a minimum duration; first threshold crossings. See
// include/vigil/video_aggregate.h.
#include <algorithm>

#include "vigil/video_aggregate.h"

namespace vigil {
namespace {

float ThresholdOf(const SegmentOptions& options, size_t label) {
  return label < options.thresholds.size() ? options.thresholds[label] : options.default_threshold;
}

// Labels of the track: the score count of the first frame (frames with another count are skipped).
size_t LabelCount(const std::vector<ScoredFrame>& frames) {
  return frames.empty() ? 0 : frames.front().scores.size();
}

struct Run {
  double start = 0, end = 0;
  double sum = 0;
  float max = 0;
  int count = 0;
};

}  // namespace

std::vector<LabelSegment> FindSegments(const std::vector<ScoredFrame>& frames, double end_s,
                                       const SegmentOptions& options) {
  std::vector<LabelSegment> segments;
  const size_t num_labels = LabelCount(frames);
  std::vector<const ScoredFrame*> valid;
  for (const ScoredFrame& f : frames) {
    if (f.scores.size() == num_labels) valid.push_back(&f);
  }
  if (valid.empty()) return segments;
  const double stream_end = std::max(end_s, valid.back()->time_s);
  const double eps = 1e-9;
  for (size_t c = 0; c < num_labels; ++c) {
    const float threshold = ThresholdOf(options, c);
    std::vector<Run> runs;
    bool open = false;
    for (size_t i = 0; i < valid.size(); ++i) {
      const double t = valid[i]->time_s;
      const double next = i + 1 < valid.size() ? valid[i + 1]->time_s : stream_end;
      const float s = valid[i]->scores[c];
      if (s >= threshold) {
        if (!open) {
          runs.push_back(Run{t, next, 0.0, s, 0});
          open = true;
        }
        Run& r = runs.back();
        r.end = next;
        r.sum += s;
        r.max = std::max(r.max, s);
        ++r.count;
      } else {
        open = false;
      }
    }
    // Merge runs separated by short gaps.
    std::vector<Run> merged;
    for (const Run& r : runs) {
      if (!merged.empty() && r.start - merged.back().end <= options.merge_gap_s + eps) {
        Run& m = merged.back();
        m.end = r.end;
        m.sum += r.sum;
        m.max = std::max(m.max, r.max);
        m.count += r.count;
      } else {
        merged.push_back(r);
      }
    }
    for (const Run& r : merged) {
      if (r.end - r.start + eps < options.min_duration_s) continue;
      LabelSegment seg;
      seg.label = int(c);
      seg.start_s = r.start;
      seg.end_s = r.end;
      seg.mean_score = float(r.sum / std::max(1, r.count));
      seg.max_score = r.max;
      seg.frame_count = r.count;
      segments.push_back(seg);
    }
  }
  return segments;
}

std::vector<std::optional<double>> FirstCrossings(const std::vector<ScoredFrame>& frames,
                                                  size_t num_labels,
                                                  const SegmentOptions& options) {
  std::vector<std::optional<double>> first(num_labels);
  for (const ScoredFrame& f : frames) {
    if (f.scores.size() != num_labels) continue;
    for (size_t c = 0; c < num_labels; ++c) {
      if (!first[c] && f.scores[c] >= ThresholdOf(options, c)) first[c] = f.time_s;
    }
  }
  return first;
}

}  // namespace vigil
