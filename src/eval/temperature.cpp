// Temperature scaling: fit one scalar T on validation data by minimising the NLL of
// softmax(z / T), with golden-section search on log T; apply it to new scores.
#include <algorithm>
#include <cmath>

#include "eval/eval_internal.h"

namespace vigil {
namespace {

constexpr double kMinProbability = 1e-12;

std::vector<double> Logits(const std::vector<float>& row, ScoreKind kind) {
  std::vector<double> z(row.size());
  for (size_t k = 0; k < row.size(); ++k) {
    z[k] = kind == ScoreKind::kLogits
               ? row[k]
               : std::log(std::max(static_cast<double>(row[k]), kMinProbability));
  }
  return z;
}

// Mean -log softmax(z_i / T)[y_i], with the log-sum-exp trick.
double MeanNll(const std::vector<std::vector<double>>& logits, const std::vector<int>& truth,
               double temperature) {
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const std::vector<double>& z = logits[i];
    double zmax = z[0] / temperature;
    for (double v : z) zmax = std::max(zmax, v / temperature);
    double sum = 0;
    for (double v : z) sum += std::exp(v / temperature - zmax);
    total += zmax + std::log(sum) - z[truth[i]] / temperature;
  }
  return total / static_cast<double>(logits.size());
}

}  // namespace

Result<TemperatureFit> FitTemperature(const std::vector<int>& truth,
                                      const std::vector<std::vector<float>>& scores,
                                      ScoreKind kind) {
  const int k = scores.empty() ? 0 : static_cast<int>(scores[0].size());
  VIGIL_RETURN_IF_ERROR(eval_internal::ValidateInputs(truth, scores, k));
  if (k < 2) return InvalidArgumentError("eval: temperature scaling needs at least 2 classes");
  std::vector<std::vector<double>> logits;
  logits.reserve(scores.size());
  for (const auto& row : scores) logits.push_back(Logits(row, kind));

  // NLL is convex in 1/T, hence unimodal in u = log T: golden-section search on u.
  const double inv_phi = (std::sqrt(5.0) - 1) / 2;
  double a = std::log(0.01), b = std::log(100.0);
  double c = b - inv_phi * (b - a), d = a + inv_phi * (b - a);
  double fc = MeanNll(logits, truth, std::exp(c)), fd = MeanNll(logits, truth, std::exp(d));
  while (b - a > 1e-6) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - inv_phi * (b - a);
      fc = MeanNll(logits, truth, std::exp(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + inv_phi * (b - a);
      fd = MeanNll(logits, truth, std::exp(d));
    }
  }
  TemperatureFit fit;
  fit.temperature = std::exp((a + b) / 2);
  fit.nll_before = MeanNll(logits, truth, 1.0);
  fit.nll_after = MeanNll(logits, truth, fit.temperature);
  return fit;
}

std::vector<std::vector<float>> ApplyTemperature(const std::vector<std::vector<float>>& scores,
                                                 double temperature, ScoreKind kind) {
  std::vector<std::vector<float>> out;
  out.reserve(scores.size());
  for (const auto& row : scores) {
    std::vector<double> z = Logits(row, kind);
    std::vector<float> p(row.size());
    if (!z.empty()) {
      double zmax = z[0] / temperature;
      for (double v : z) zmax = std::max(zmax, v / temperature);
      double sum = 0;
      for (double v : z) sum += std::exp(v / temperature - zmax);
      for (size_t k = 0; k < z.size(); ++k)
        p[k] = static_cast<float>(std::exp(z[k] / temperature - zmax) / sum);
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace vigil
