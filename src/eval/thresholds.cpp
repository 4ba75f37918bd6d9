// Threshold selection on a precision-recall curve: the operating points a moderation policy needs
// ("catch 95% of X: which threshold, at what precision?").
#include "vigil/eval.h"

namespace vigil {

namespace {
// The curve's operating point i, reported for `target`.
ThresholdPoint PointAt(const PrCurve& curve, size_t i, double target) {
  ThresholdPoint p;
  p.target = target;
  p.found = true;
  p.threshold = curve.thresholds[i];
  p.precision = curve.precision[i];
  p.recall = curve.recall[i];
  return p;
}
}  // namespace

// The curve's thresholds increase with the index; point i means "predict when score >= t_i".
// Recall does not increase with the threshold, so the highest threshold reaching a recall target
// is the last index whose recall still reaches it.
std::vector<ThresholdPoint> ThresholdsForRecall(const PrCurve& curve,
                                                const std::vector<double>& targets) {
  std::vector<ThresholdPoint> out;
  const size_t n = curve.thresholds.size();
  const bool has_positives = !curve.precision.empty() && curve.precision[0] > 0;
  for (double target : targets) {
    ThresholdPoint p;
    p.target = target;
    for (size_t i = n; has_positives && i-- > 0;) {
      if (curve.recall[i] >= target) {
        p = PointAt(curve, i, target);
        break;
      }
    }
    out.push_back(p);
  }
  return out;
}

// Precision is not monotonic in the threshold; the lowest threshold reaching a precision target
// is the one with the most recall among those that reach it.
std::vector<ThresholdPoint> ThresholdsForPrecision(const PrCurve& curve,
                                                   const std::vector<double>& targets) {
  std::vector<ThresholdPoint> out;
  const size_t n = curve.thresholds.size();
  const bool has_positives = !curve.precision.empty() && curve.precision[0] > 0;
  for (double target : targets) {
    ThresholdPoint p;
    p.target = target;
    for (size_t i = 0; has_positives && i < n; ++i) {
      if (curve.precision[i] >= target) {
        p = PointAt(curve, i, target);
        break;
      }
    }
    out.push_back(p);
  }
  return out;
}

}  // namespace vigil
