// Binary precision-recall and ROC curves, average precision and ROC-AUC, computed the way
// scikit-learn's _binary_clf_curve / precision_recall_curve / roc_curve do (ties form one point).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "vigil/eval.h"

namespace vigil {
namespace {

// Cumulative true/false positives at each distinct score, scores in decreasing order.
struct ClfCounts {
  std::vector<double> tps;
  std::vector<double> fps;
  std::vector<double> thresholds;
};

ClfCounts BinaryClfCounts(const std::vector<bool>& labels, const std::vector<double>& scores) {
  ClfCounts out;
  const size_t n = std::min(labels.size(), scores.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double tp = 0;
  for (size_t i = 0; i < n; ++i) {
    if (labels[order[i]]) tp += 1;
    // The last item of a run of equal scores closes one curve point.
    if (i + 1 == n || scores[order[i + 1]] != scores[order[i]]) {
      out.tps.push_back(tp);
      out.fps.push_back(static_cast<double>(i + 1) - tp);
      out.thresholds.push_back(scores[order[i]]);
    }
  }
  return out;
}

}  // namespace

PrCurve PrecisionRecallCurve(const std::vector<bool>& labels, const std::vector<double>& scores) {
  ClfCounts c = BinaryClfCounts(labels, scores);
  PrCurve curve;
  const size_t m = c.tps.size();
  const double total_pos = m ? c.tps.back() : 0;
  // scikit-learn orders by increasing threshold and appends (P=1, R=0).
  for (size_t j = m; j-- > 0;) {
    const double predicted = c.tps[j] + c.fps[j];
    curve.precision.push_back(predicted > 0 ? c.tps[j] / predicted : 0);
    curve.recall.push_back(total_pos > 0 ? c.tps[j] / total_pos : 1.0);
    curve.thresholds.push_back(c.thresholds[j]);
  }
  curve.precision.push_back(1);
  curve.recall.push_back(0);
  return curve;
}

RocCurve RocCurveOf(const std::vector<bool>& labels, const std::vector<double>& scores) {
  ClfCounts c = BinaryClfCounts(labels, scores);
  RocCurve curve;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double total_pos = c.tps.empty() ? 0 : c.tps.back();
  const double total_neg = c.fps.empty() ? 0 : c.fps.back();
  curve.fpr.push_back(total_neg > 0 ? 0 : nan);
  curve.tpr.push_back(total_pos > 0 ? 0 : nan);
  curve.thresholds.push_back(std::numeric_limits<double>::infinity());
  for (size_t j = 0; j < c.tps.size(); ++j) {
    curve.fpr.push_back(total_neg > 0 ? c.fps[j] / total_neg : nan);
    curve.tpr.push_back(total_pos > 0 ? c.tps[j] / total_pos : nan);
    curve.thresholds.push_back(c.thresholds[j]);
  }
  return curve;
}

double AveragePrecision(const PrCurve& curve) {
  const size_t m = curve.recall.size();
  if (m < 2) return std::numeric_limits<double>::quiet_NaN();
  // precision[0] is the precision at the lowest threshold, i.e. the positive rate: 0 means no
  // positives, where precision_recall_curve sets recall to 1 everywhere and AP is undefined.
  if (curve.precision.empty() || curve.precision[0] == 0)
    return std::numeric_limits<double>::quiet_NaN();
  double ap = 0;
  for (size_t i = 0; i + 1 < m; ++i) {
    ap -= (curve.recall[i + 1] - curve.recall[i]) * curve.precision[i];
  }
  return ap;
}

double RocAuc(const RocCurve& curve) {
  const size_t m = curve.fpr.size();
  if (m < 2 || std::isnan(curve.fpr.back()) || std::isnan(curve.tpr.back()))
    return std::numeric_limits<double>::quiet_NaN();
  double area = 0;
  for (size_t i = 1; i < m; ++i) {
    area += (curve.fpr[i] - curve.fpr[i - 1]) * (curve.tpr[i] + curve.tpr[i - 1]) * 0.5;
  }
  return area;
}

}  // namespace vigil
