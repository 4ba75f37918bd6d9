// Confusion matrix, per-class precision/recall/F-beta and their macro and weighted averages
// (scikit-learn's precision_recall_fscore_support with zero_division=0).
#include <cmath>
#include <limits>

#include "eval/eval_internal.h"

namespace vigil {

double FBeta(double precision, double recall, double beta) {
  const double b2 = beta * beta;
  const double denom = b2 * precision + recall;
  if (denom <= 0) return 0;
  return (1 + b2) * precision * recall / denom;
}

namespace eval_internal {

Status ValidateInputs(const std::vector<int>& truth, const std::vector<std::vector<float>>& probs,
                      int num_classes) {
  if (num_classes < 1) return InvalidArgumentError("eval: no classes");
  if (truth.empty()) return InvalidArgumentError("eval: no items");
  if (truth.size() != probs.size())
    return InvalidArgumentError("eval: " + std::to_string(truth.size()) + " labels but " +
                                std::to_string(probs.size()) + " probability rows");
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= num_classes)
      return InvalidArgumentError("eval: item " + std::to_string(i) + " has class " +
                                  std::to_string(truth[i]) + ", expected 0.." +
                                  std::to_string(num_classes - 1));
    if (static_cast<int>(probs[i].size()) != num_classes)
      return InvalidArgumentError("eval: item " + std::to_string(i) + " has " +
                                  std::to_string(probs[i].size()) + " scores, expected " +
                                  std::to_string(num_classes));
    for (float p : probs[i])
      if (!std::isfinite(p))
        return InvalidArgumentError("eval: item " + std::to_string(i) + " has a non-finite score");
  }
  return Status::Ok();
}

std::vector<std::vector<int>> ConfusionMatrix(const std::vector<int>& truth,
                                              const std::vector<std::vector<float>>& probs,
                                              int num_classes) {
  std::vector<std::vector<int>> m(num_classes, std::vector<int>(num_classes, 0));
  for (size_t i = 0; i < truth.size(); ++i) ++m[truth[i]][ArgMax(probs[i])];
  return m;
}

std::vector<ClassMetrics> ClassMetricsFromConfusion(const std::vector<std::vector<int>>& confusion,
                                                    double beta) {
  const size_t k = confusion.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<ClassMetrics> out(k);
  for (size_t c = 0; c < k; ++c) {
    ClassMetrics& m = out[c];
    for (size_t j = 0; j < k; ++j) {
      m.support += confusion[c][j];
      m.predicted += confusion[j][c];
    }
    const double tp = confusion[c][c];
    m.precision = m.predicted > 0 ? tp / m.predicted : 0;
    m.recall = m.support > 0 ? tp / m.support : 0;
    m.f1 = FBeta(m.precision, m.recall, 1);
    m.fbeta = FBeta(m.precision, m.recall, beta);
    m.average_precision = nan;
    m.roc_auc = nan;
  }
  return out;
}

namespace {

AveragedMetrics Average(const std::vector<ClassMetrics>& classes, bool weighted) {
  AveragedMetrics a;
  double w_sum = 0, w_ap = 0, w_roc = 0;
  double ap = 0, roc = 0;
  for (const ClassMetrics& m : classes) {
    if (m.support == 0 && m.predicted == 0) continue;  // not in scikit-learn's label set
    const double w = weighted ? m.support : 1.0;
    w_sum += w;
    a.precision += w * m.precision;
    a.recall += w * m.recall;
    a.f1 += w * m.f1;
    a.fbeta += w * m.fbeta;
    if (!std::isnan(m.average_precision)) {
      ap += w * m.average_precision;
      w_ap += w;
    }
    if (!std::isnan(m.roc_auc)) {
      roc += w * m.roc_auc;
      w_roc += w;
    }
  }
  if (w_sum > 0) {
    a.precision /= w_sum;
    a.recall /= w_sum;
    a.f1 /= w_sum;
    a.fbeta /= w_sum;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  a.average_precision = w_ap > 0 ? ap / w_ap : nan;
  a.roc_auc = w_roc > 0 ? roc / w_roc : nan;
  return a;
}

}  // namespace

AveragedMetrics MacroAverage(const std::vector<ClassMetrics>& classes) {
  return Average(classes, false);
}
AveragedMetrics WeightedAverage(const std::vector<ClassMetrics>& classes) {
  return Average(classes, true);
}

}  // namespace eval_internal
}  // namespace vigil
