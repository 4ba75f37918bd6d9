// Helpers shared by the files of src/eval (not part of the public API).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "vigil/eval.h"

namespace vigil {
namespace eval_internal {

// Index of the largest value (the first one on ties), as numpy.argmax.
inline int ArgMax(const std::vector<float>& v) {
  int best = 0;
  for (size_t k = 1; k < v.size(); ++k)
    if (v[k] > v[best]) best = static_cast<int>(k);
  return best;
}

// Checks N truth labels in [0, K) against N rows of K finite scores (K >= 1).
Status ValidateInputs(const std::vector<int>& truth, const std::vector<std::vector<float>>& probs,
                      int num_classes);

// Per-class metrics from a K x K confusion matrix ([true][pred]); AP/ROC-AUC left at NaN.
std::vector<ClassMetrics> ClassMetricsFromConfusion(const std::vector<std::vector<int>>& confusion,
                                                    double beta);

// Macro and weighted averages over classes present in truth or predictions (scikit-learn's
// default label set). NaN entries (AP, ROC-AUC) are skipped; NaN if none is defined.
AveragedMetrics MacroAverage(const std::vector<ClassMetrics>& classes);
AveragedMetrics WeightedAverage(const std::vector<ClassMetrics>& classes);

// Confusion matrix [true][argmax prediction].
std::vector<std::vector<int>> ConfusionMatrix(const std::vector<int>& truth,
                                              const std::vector<std::vector<float>>& probs,
                                              int num_classes);

}  // namespace eval_internal
}  // namespace vigil
