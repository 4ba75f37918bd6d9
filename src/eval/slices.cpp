// Per-slice metrics (accuracy, macro-F1, per-class recall for each slice value, e.g. skin tone,
// source or device) and the largest gap between slices: a fairness check.
#include <cmath>
#include <limits>
#include <map>

#include "eval/eval_internal.h"

namespace vigil {
namespace {

// Records a metric value of one slice in the running best/worst of that metric.
void Track(std::map<std::string, SliceGap>& gaps, std::map<std::string, int>& counts,
           const std::string& metric, const std::string& slice, double value) {
  auto it = gaps.find(metric);
  if (it == gaps.end()) {
    SliceGap g;
    g.metric = metric;
    g.best_slice = g.worst_slice = slice;
    g.best = g.worst = value;
    gaps.emplace(metric, g);
    counts[metric] = 1;
    return;
  }
  SliceGap& g = it->second;
  ++counts[metric];
  if (value > g.best) {
    g.best = value;
    g.best_slice = slice;
  }
  if (value < g.worst) {
    g.worst = value;
    g.worst_slice = slice;
  }
  g.gap = g.best - g.worst;
}

}  // namespace

Result<SliceReport> ComputeSlices(const std::vector<int>& truth,
                                  const std::vector<std::vector<float>>& probs,
                                  const std::vector<std::string>& slices, int num_classes,
                                  const std::vector<std::string>& class_names,
                                  int min_slice_count) {
  VIGIL_RETURN_IF_ERROR(eval_internal::ValidateInputs(truth, probs, num_classes));
  if (slices.size() != truth.size())
    return InvalidArgumentError("eval: " + std::to_string(slices.size()) + " slice values for " +
                                std::to_string(truth.size()) + " items");
  // Confusion matrix per slice value (std::map keeps them sorted by value).
  std::map<std::string, std::vector<std::vector<int>>> confusion;
  for (size_t i = 0; i < truth.size(); ++i) {
    auto& m = confusion[slices[i]];
    if (m.empty()) m.assign(num_classes, std::vector<int>(num_classes, 0));
    ++m[truth[i]][eval_internal::ArgMax(probs[i])];
  }
  SliceReport report;
  std::map<std::string, SliceGap> gaps;
  std::map<std::string, int> counts;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [value, m] : confusion) {
    SliceMetrics s;
    s.slice = value;
    std::vector<ClassMetrics> classes = eval_internal::ClassMetricsFromConfusion(m, 1.0);
    int correct = 0;
    for (int c = 0; c < num_classes; ++c) {
      correct += m[c][c];
      s.count += classes[c].support;
      s.support.push_back(classes[c].support);
      s.recall.push_back(classes[c].support > 0 ? classes[c].recall : nan);
    }
    s.accuracy = static_cast<double>(correct) / s.count;
    s.macro_f1 = eval_internal::MacroAverage(classes).f1;
    if (s.count >= min_slice_count) {
      Track(gaps, counts, "accuracy", value, s.accuracy);
      Track(gaps, counts, "macro_f1", value, s.macro_f1);
      for (int c = 0; c < num_classes; ++c) {
        if (std::isnan(s.recall[c])) continue;
        const std::string name =
            c < static_cast<int>(class_names.size()) ? class_names[c] : std::to_string(c);
        Track(gaps, counts, "recall:" + name, value, s.recall[c]);
      }
    }
    report.slices.push_back(std::move(s));
  }
  for (auto& [metric, g] : gaps) {
    if (counts[metric] < 2) continue;
    report.gaps.push_back(g);
    if (!report.largest || g.gap > report.largest->gap) report.largest = g;
  }
  return report;
}

}  // namespace vigil
