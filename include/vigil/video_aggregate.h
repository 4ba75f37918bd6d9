// Video aggregation: per-frame label scores over time -> video-level labels, smoothed tracks,
// time segments, first crossings and per-shot labels. Pure functions on plain data (no decoding,
// no models): VideoTagger uses them, and so can anyone holding per-frame scores.
//
//   std::vector<vigil::ScoredFrame> frames = {{0.0, {0.9f, 0.1f}}, {1.0, {0.8f, 0.2f}}, ...};
//   vigil::AggregateOptions agg;                 // kMean
//   std::vector<float> video = vigil::AggregateScores(frames, 2, agg);
//   vigil::SegmentOptions seg;
//   seg.thresholds = {0.5f, 0.5f};
//   seg.merge_gap_s = 1.0;
//   seg.min_duration_s = 2.0;
//   auto segments = vigil::FindSegments(frames, /*end_s=*/10.0, seg);
//
// Time model: frames are sorted by time; frame i stands for the interval [t_i, t_{i+1}) and the
// last frame for [t_last, end_s) (sample and hold). So with key frames 2 s apart a label seen on
// one key frame covers 2 s.
// Thread-safety: every function is pure (no shared state); call them from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

// The scores of one sampled frame (or one clip of frames, stamped with its first frame's time)
// over a fixed label set.
struct ScoredFrame {
  double time_s = 0;          // presentation time, seconds from the start of the stream
  std::vector<float> scores;  // one per label, in the caller's label order
};

// How frame scores become one score per label.
enum class AggregateMethod {
  kMean,  // mean over frames
  kMax,   // max over frames
  kVote,  // fraction of frames whose highest-scoring label it is (all-zero frames cast no vote;
          // ties go to the first label)
  kTopK,  // mean of the label's top_k highest frame scores (fewer frames: mean of all)
};
// "mean", "max", "vote", "topk".
Result<AggregateMethod> ParseAggregateMethod(const std::string& text);
const char* AggregateMethodName(AggregateMethod method);

struct AggregateOptions {
  AggregateMethod method = AggregateMethod::kMean;
  int top_k = 3;  // kTopK only; >= 1
};

// One score per label (num_labels values). Frames with a different number of scores are
// ignored. No frames: all zeros.
std::vector<float> AggregateScores(const std::vector<ScoredFrame>& frames, size_t num_labels,
                                   const AggregateOptions& options);

// Temporal smoothing of a score track (applied per label, before thresholding).
enum class SmoothingKind {
  kNone,
  kMovingAverage,  // mean of the frames with |t - t_i| <= window_s / 2 (a centred window in time)
  kEma,            // causal exponential moving average with time constant window_s:
                   // s_i = s_{i-1} + a (x_i - s_{i-1}), a = 1 - exp(-(t_i - t_{i-1}) / window_s),
                   // s_0 = x_0 (irregular sampling handled through the time step)
};
// "none", "moving-average" (or "ma"), "ema".
Result<SmoothingKind> ParseSmoothingKind(const std::string& text);
const char* SmoothingKindName(SmoothingKind kind);

struct SmoothingOptions {
  SmoothingKind kind = SmoothingKind::kNone;
  double window_s = 1.0;  // window width (moving average) or time constant (EMA), seconds, > 0
};

// Same frames and times, smoothed scores. kNone or window_s <= 0 returns the input unchanged.
std::vector<ScoredFrame> SmoothScores(const std::vector<ScoredFrame>& frames,
                                      const SmoothingOptions& options);

struct SegmentOptions {
  // Per-label threshold: a frame counts for a label when its score >= threshold. Labels beyond
  // the vector's size use default_threshold.
  std::vector<float> thresholds;
  float default_threshold = 0.5f;
  // Two segments of one label separated by a gap <= merge_gap_s become one.
  double merge_gap_s = 0;
  // Segments shorter than this (after merging) are dropped.
  double min_duration_s = 0;
};

// A contiguous time range in which one label stays at or above its threshold.
struct LabelSegment {
  int label = 0;          // index into the label set
  double start_s = 0;
  double end_s = 0;
  float mean_score = 0;   // mean score of the frames inside (merged gaps not counted)
  float max_score = 0;
  int frame_count = 0;    // frames at or above the threshold inside
};

// Segments of every label, sorted by label then start. The label count is the first frame's
// score count. end_s is the end of the analysed range (the video duration); values below the last
// frame's time are raised to it.
std::vector<LabelSegment> FindSegments(const std::vector<ScoredFrame>& frames, double end_s,
                                       const SegmentOptions& options);

// Per label: the time of the first frame whose score reaches the label's threshold, or nullopt.
std::vector<std::optional<double>> FirstCrossings(const std::vector<ScoredFrame>& frames,
                                                  size_t num_labels,
                                                  const SegmentOptions& options);

// A half-open time range [start_s, end_s), e.g. a shot.
struct TimeRange {
  double start_s = 0;
  double end_s = 0;
};

// Aggregated scores of the frames inside each range. A range containing no frame gets the frame
// that holds at its midpoint (sample and hold, see above) and `frame_counts` 0 for it; with no
// frames at all, zeros.
std::vector<std::vector<float>> AggregateRanges(const std::vector<ScoredFrame>& frames,
                                                size_t num_labels,
                                                const std::vector<TimeRange>& ranges,
                                                const AggregateOptions& options,
                                                std::vector<int>* frame_counts = nullptr);

}  // namespace vigil
