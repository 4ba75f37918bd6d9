// Evaluate(): validates the inputs and assembles an Evaluation from the per-concept pieces
// (confusion and per-class metrics, one-vs-rest curves, thresholds, calibration, slices).
#include "eval/eval_internal.h"

namespace vigil {
namespace {

// Indices 0..n-1 thinned to about `limit` evenly spaced ones, first and last kept.
std::vector<size_t> ThinIndices(size_t n, int limit) {
  std::vector<size_t> idx;
  if (limit <= 0 || n <= static_cast<size_t>(limit) || limit < 2) {
    for (size_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  const double step = static_cast<double>(n - 1) / (limit - 1);
  for (int j = 0; j < limit; ++j) {
    const size_t i = static_cast<size_t>(j * step + 0.5);
    if (idx.empty() || i != idx.back()) idx.push_back(i);
  }
  if (idx.back() != n - 1) idx.push_back(n - 1);
  return idx;
}

std::vector<double> Pick(const std::vector<double>& v, const std::vector<size_t>& idx) {
  std::vector<double> out;
  out.reserve(idx.size());
  for (size_t i : idx) out.push_back(v[i]);
  return out;
}

void ThinCurves(ClassCurves& c, int limit) {
  if (limit <= 0) return;
  // PR: thin the thresholded points, then re-append the final (P=1, R=0) point.
  const size_t m = c.pr.thresholds.size();
  if (m > static_cast<size_t>(limit)) {
    std::vector<size_t> idx = ThinIndices(m, limit);
    c.pr.thresholds = Pick(c.pr.thresholds, idx);
    idx.push_back(m);
    c.pr.precision = Pick(c.pr.precision, idx);
    c.pr.recall = Pick(c.pr.recall, idx);
  }
  const size_t r = c.roc.fpr.size();
  if (r > static_cast<size_t>(limit)) {
    const std::vector<size_t> idx = ThinIndices(r, limit);
    c.roc.fpr = Pick(c.roc.fpr, idx);
    c.roc.tpr = Pick(c.roc.tpr, idx);
    c.roc.thresholds = Pick(c.roc.thresholds, idx);
  }
}

}  // namespace

Result<Evaluation> Evaluate(const std::vector<int>& truth,
                            const std::vector<std::vector<float>>& probs,
                            const std::vector<std::string>& class_names,
                            const EvalOptions& options, const std::vector<std::string>* slices) {
  const int k = static_cast<int>(class_names.size());
  if (k < 2) return InvalidArgumentError("eval: need at least 2 class names");
  if (!(options.beta > 0)) return InvalidArgumentError("eval: beta must be > 0");
  VIGIL_RETURN_IF_ERROR(eval_internal::ValidateInputs(truth, probs, k));

  Evaluation e;
  e.class_names = class_names;
  e.count = static_cast<int>(truth.size());
  e.beta = options.beta;
  e.confusion = eval_internal::ConfusionMatrix(truth, probs, k);
  int correct = 0;
  for (int c = 0; c < k; ++c) correct += e.confusion[c][c];
  e.accuracy = static_cast<double>(correct) / e.count;

  e.classes = eval_internal::ClassMetricsFromConfusion(e.confusion, options.beta);
  std::vector<bool> labels(truth.size());
  std::vector<double> scores(truth.size());
  for (int c = 0; c < k; ++c) {
    for (size_t i = 0; i < truth.size(); ++i) {
      labels[i] = truth[i] == c;
      scores[i] = probs[i][c];
    }
    ClassCurves curves;
    curves.pr = PrecisionRecallCurve(labels, scores);
    curves.roc = RocCurveOf(labels, scores);
    e.classes[c].name = class_names[c];
    e.classes[c].average_precision = AveragePrecision(curves.pr);
    e.classes[c].roc_auc = RocAuc(curves.roc);
    ClassThresholds t;
    t.at_recall = ThresholdsForRecall(curves.pr, options.recall_targets);
    t.at_precision = ThresholdsForPrecision(curves.pr, options.precision_targets);
    e.thresholds.push_back(std::move(t));
    ThinCurves(curves, options.max_curve_points);
    e.curves.push_back(std::move(curves));
  }
  e.macro = eval_internal::MacroAverage(e.classes);
  e.weighted = eval_internal::WeightedAverage(e.classes);

  VIGIL_ASSIGN_OR_RETURN(e.calibration,
                         ComputeCalibration(truth, probs, options.calibration_bins));
  if (slices) {
    VIGIL_ASSIGN_OR_RETURN(SliceReport report,
                           ComputeSlices(truth, probs, *slices, k, class_names,
                                         options.min_slice_count));
    e.slices = std::move(report);
  }
  return e;
}

}  // namespace vigil
