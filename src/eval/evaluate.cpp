// Evaluate(): validates the inputs and assembles an Evaluation from the per-concept pieces
// (confusion and per-class metrics, one-vs-rest curves, thresholds, calibration, slices).
#include "eval/eval_internal.h"

namespace vigil {

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
