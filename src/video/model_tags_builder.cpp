// BuildModelTags: per-frame scores of one model -> smoothed track -> video labels, segments, first
// crossings and shot labels (see include/vigil/video_aggregate.h for the definitions).
#include "video/model_tags_builder.h"

#include <algorithm>

namespace vigil::video {

void BuildModelTags(const VideoTaggerOptions& options, const std::vector<Shot>& shots, double end_s,
                    ModelTags* tags) {
  const size_t num_labels = tags->label_names.size();
  std::vector<ScoredFrame> track;
  track.reserve(tags->frames.size());
  for (const FrameTags& f : tags->frames) track.push_back({f.time_s, f.scores});
  const std::vector<ScoredFrame> smooth = SmoothScores(track, options.smoothing);

  SegmentOptions seg;
  seg.default_threshold = options.threshold;
  seg.thresholds.resize(num_labels, options.threshold);
  for (size_t c = 0; c < num_labels; ++c) {
    auto it = options.label_thresholds.find(tags->label_names[c]);
    if (it != options.label_thresholds.end()) seg.thresholds[c] = it->second;
  }
  seg.merge_gap_s = options.merge_gap_s;
  seg.min_duration_s = options.min_segment_s;

  const std::vector<float> video = AggregateScores(smooth, num_labels, options.aggregate);
  const std::vector<LabelSegment> segments = FindSegments(smooth, end_s, seg);
  const auto first = FirstCrossings(smooth, num_labels, seg);

  tags->labels.clear();
  for (size_t c = 0; c < num_labels; ++c) {
    VideoLabel l;
    l.label = tags->label_names[c];
    l.confidence = video[c];
    l.first_time_s = first[c];
    for (const LabelSegment& s : segments) {
      if (size_t(s.label) == c) l.total_duration_s += s.end_s - s.start_s;
    }
    l.present = l.confidence >= seg.thresholds[c] || l.total_duration_s > 0;
    tags->labels.push_back(std::move(l));
  }
  std::stable_sort(tags->labels.begin(), tags->labels.end(),
                   [](const VideoLabel& a, const VideoLabel& b) { return a.confidence > b.confidence; });

  tags->segments.clear();
  for (const LabelSegment& s : segments) {
    TaggedSegment t;
    t.label = tags->label_names[size_t(s.label)];
    t.start_s = s.start_s;
    t.end_s = s.end_s;
    t.confidence = s.mean_score;
    t.max_confidence = s.max_score;
    t.best_time_s = s.start_s;
    float best = -1;
    for (const ScoredFrame& f : smooth) {
      if (f.time_s >= s.start_s && f.time_s < s.end_s && f.scores.size() == num_labels &&
          f.scores[size_t(s.label)] > best) {
        best = f.scores[size_t(s.label)];
        t.best_time_s = f.time_s;
      }
    }
    tags->segments.push_back(std::move(t));
  }
  std::stable_sort(tags->segments.begin(), tags->segments.end(),
                   [](const TaggedSegment& a, const TaggedSegment& b) {
                     return a.label != b.label ? a.label < b.label : a.start_s < b.start_s;
                   });

  std::vector<TimeRange> ranges;
  for (const Shot& s : shots) ranges.push_back({s.start_s, s.end_s});
  std::vector<int> counts;
  const auto per_shot = AggregateRanges(smooth, num_labels, ranges, options.aggregate, &counts);
  tags->shots.clear();
  for (size_t i = 0; i < shots.size(); ++i) {
    TaggedShot t;
    t.start_s = shots[i].start_s;
    t.end_s = shots[i].end_s;
    t.frame_count = counts[i];
    for (size_t c = 0; c < num_labels; ++c) {
      t.labels.emplace_back(tags->label_names[c], per_shot[i][c]);
      if (per_shot[i][c] >= seg.thresholds[c]) t.present.push_back(tags->label_names[c]);
    }
    std::stable_sort(t.labels.begin(), t.labels.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    tags->shots.push_back(std::move(t));
  }
}

}  // namespace vigil::video
