// Aggregation of per-frame label scores into one score per label, for a whole video or per time
// range (shots). See include/vigil/video_aggregate.h for the definitions.
#include <algorithm>
#include <functional>

#include "vigil/video_aggregate.h"

namespace vigil {

Result<AggregateMethod> ParseAggregateMethod(const std::string& text) {
  if (text == "mean") return AggregateMethod::kMean;
  if (text == "max") return AggregateMethod::kMax;
  if (text == "vote") return AggregateMethod::kVote;
  if (text == "topk" || text == "top-k") return AggregateMethod::kTopK;
  return InvalidArgumentError("unknown aggregation \"" + text + "\" (mean, max, vote, topk)");
}

const char* AggregateMethodName(AggregateMethod method) {
  switch (method) {
    case AggregateMethod::kMean: return "mean";
    case AggregateMethod::kMax: return "max";
    case AggregateMethod::kVote: return "vote";
    case AggregateMethod::kTopK: return "topk";
  }
  return "mean";
}

namespace {

// Aggregates the frames selected by `frame_ptrs` (all with num_labels scores).
std::vector<float> AggregateSelected(const std::vector<const ScoredFrame*>& frame_ptrs,
                                     size_t num_labels, const AggregateOptions& options) {
  std::vector<float> out(num_labels, 0.0f);
  const size_t n = frame_ptrs.size();
  if (n == 0 || num_labels == 0) return out;
  switch (options.method) {
    case AggregateMethod::kMean: {
      std::vector<double> sum(num_labels, 0.0);
      for (const ScoredFrame* f : frame_ptrs) {
        for (size_t c = 0; c < num_labels; ++c) sum[c] += f->scores[c];
      }
      for (size_t c = 0; c < num_labels; ++c) out[c] = float(sum[c] / double(n));
      break;
    }
    case AggregateMethod::kMax: {
      out = frame_ptrs[0]->scores;
      for (const ScoredFrame* f : frame_ptrs) {
        for (size_t c = 0; c < num_labels; ++c) out[c] = std::max(out[c], f->scores[c]);
      }
      break;
    }
    case AggregateMethod::kVote: {
      std::vector<int> votes(num_labels, 0);
      for (const ScoredFrame* f : frame_ptrs) {
        auto best = std::max_element(f->scores.begin(), f->scores.end());
        if (*best <= 0.0f) continue;  // a frame with nothing in it casts no vote
        ++votes[size_t(best - f->scores.begin())];
      }
      for (size_t c = 0; c < num_labels; ++c) out[c] = float(double(votes[c]) / double(n));
      break;
    }
    case AggregateMethod::kTopK: {
      const size_t k = std::min(n, size_t(std::max(1, options.top_k)));
      std::vector<float> column(n);
      for (size_t c = 0; c < num_labels; ++c) {
        for (size_t i = 0; i < n; ++i) column[i] = frame_ptrs[i]->scores[c];
        std::partial_sort(column.begin(), column.begin() + k, column.end(), std::greater<float>());
        double sum = 0;
        for (size_t i = 0; i < k; ++i) sum += column[i];
        out[c] = float(sum / double(k));
      }
      break;
    }
  }
  return out;
}

}  // namespace

std::vector<float> AggregateScores(const std::vector<ScoredFrame>& frames, size_t num_labels,
                                   const AggregateOptions& options) {
  std::vector<const ScoredFrame*> selected;
  selected.reserve(frames.size());
  for (const ScoredFrame& f : frames) {
    if (f.scores.size() == num_labels) selected.push_back(&f);
  }
  return AggregateSelected(selected, num_labels, options);
}

std::vector<std::vector<float>> AggregateRanges(const std::vector<ScoredFrame>& frames,
                                                size_t num_labels,
                                                const std::vector<TimeRange>& ranges,
                                                const AggregateOptions& options,
                                                std::vector<int>* frame_counts) {
  std::vector<std::vector<float>> out;
  out.reserve(ranges.size());
  if (frame_counts) frame_counts->assign(ranges.size(), 0);
  std::vector<const ScoredFrame*> valid;
  for (const ScoredFrame& f : frames) {
    if (f.scores.size() == num_labels) valid.push_back(&f);
  }
  for (size_t r = 0; r < ranges.size(); ++r) {
    const TimeRange& range = ranges[r];
    std::vector<const ScoredFrame*> inside;
    for (const ScoredFrame* f : valid) {
      if (f->time_s >= range.start_s && f->time_s < range.end_s) inside.push_back(f);
    }
    if (frame_counts) (*frame_counts)[r] = int(inside.size());
    if (inside.empty() && !valid.empty()) {
      // Sample and hold: the last frame at or before the midpoint (else the first frame).
      const double mid = 0.5 * (range.start_s + range.end_s);
      const ScoredFrame* held = valid.front();
      for (const ScoredFrame* f : valid) {
        if (f->time_s <= mid) held = f;
      }
      inside.push_back(held);
    }
    out.push_back(AggregateSelected(inside, num_labels, options));
  }
  return out;
}

}  // namespace vigil
