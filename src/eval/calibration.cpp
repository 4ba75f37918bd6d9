// Calibration of probability vectors: expected/maximum calibration error over equal-width bins of
// top-label confidence (Guo et al. 2017), reliability-diagram bins, NLL and Brier score.
#include <algorithm>
#include <cmath>

#include "eval/eval_internal.h"

namespace vigil {

Result<CalibrationReport> ComputeCalibration(const std::vector<int>& truth,
                                             const std::vector<std::vector<float>>& probs,
                                             int bins) {
  if (bins < 1) return InvalidArgumentError("eval: calibration needs at least one bin");
  const int k = probs.empty() ? 0 : static_cast<int>(probs[0].size());
  VIGIL_RETURN_IF_ERROR(eval_internal::ValidateInputs(truth, probs, k));
  CalibrationReport r;
  r.bins.resize(bins);
  std::vector<double> conf_sum(bins, 0), correct(bins, 0);
  for (int b = 0; b < bins; ++b) {
    r.bins[b].lower = static_cast<double>(b) / bins;
    r.bins[b].upper = static_cast<double>(b + 1) / bins;
  }
  const size_t n = truth.size();
  for (size_t i = 0; i < n; ++i) {
    const int pred = eval_internal::ArgMax(probs[i]);
    const double conf = probs[i][pred];
    // Bin m holds ((m-1)/M, m/M]; confidence 0 goes to the first bin.
    int b = static_cast<int>(std::ceil(conf * bins)) - 1;
    b = std::clamp(b, 0, bins - 1);
    ++r.bins[b].count;
    conf_sum[b] += conf;
    if (pred == truth[i]) correct[b] += 1;
    const double p_true = std::max(static_cast<double>(probs[i][truth[i]]), 1e-15);
    r.nll -= std::log(p_true);
    for (int c = 0; c < k; ++c) {
      const double d = probs[i][c] - (c == truth[i] ? 1.0 : 0.0);
      r.brier += d * d;
    }
  }
  r.nll /= static_cast<double>(n);
  r.brier /= static_cast<double>(n);
  for (int b = 0; b < bins; ++b) {
    ReliabilityBin& bin = r.bins[b];
    if (bin.count == 0) continue;
    bin.mean_confidence = conf_sum[b] / bin.count;
    bin.accuracy = correct[b] / bin.count;
    const double gap = std::fabs(bin.accuracy - bin.mean_confidence);
    r.ece += gap * bin.count / static_cast<double>(n);
    r.mce = std::max(r.mce, gap);
  }
  return r;
}

}  // namespace vigil
