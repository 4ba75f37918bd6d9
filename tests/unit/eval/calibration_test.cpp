// ECE/MCE/NLL/Brier on a hand-computed case; temperature scaling recovers the temperature that
// generated seeded synthetic labels.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "vigil/eval.h"

namespace vigil {
namespace {

// Five items (truth, probabilities); top-label confidence, correctness and bin ((m-1)/10, m/10]:
//   0 [.95 .05] conf .95 right bin 9 | 1 [.92 .08] conf .92 wrong bin 9
//   1 [.35 .65] conf .65 right bin 6 | 0 [.45 .55] conf .55 wrong bin 5
//   0 [.62 .38] conf .62 right bin 6
// bin 9: 2 items, conf .935, acc .5 -> |gap| .435; bin 6: conf .635, acc 1 -> .365;
// bin 5: conf .55, acc 0 -> .55.  ECE = (2*.435 + 2*.365 + .55) / 5 = .43, MCE = .55.
const std::vector<int> kTruth = {0, 1, 1, 0, 0};
const std::vector<std::vector<float>> kProbs = {
    {0.95f, 0.05f}, {0.92f, 0.08f}, {0.35f, 0.65f}, {0.45f, 0.55f}, {0.62f, 0.38f}};

TEST(EvalCalibration, HandComputedEce) {
  auto r = ComputeCalibration(kTruth, kProbs, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->ece, 0.43, 1e-6);
  EXPECT_NEAR(r->mce, 0.55, 1e-6);
  ASSERT_EQ(r->bins.size(), 10u);
  EXPECT_EQ(r->bins[9].count, 2);
  EXPECT_NEAR(r->bins[9].mean_confidence, 0.935, 1e-6);
  EXPECT_DOUBLE_EQ(r->bins[9].accuracy, 0.5);
  EXPECT_EQ(r->bins[6].count, 2);
  EXPECT_DOUBLE_EQ(r->bins[6].accuracy, 1.0);
  EXPECT_EQ(r->bins[5].count, 1);
  EXPECT_EQ(r->bins[0].count + r->bins[1].count + r->bins[2].count + r->bins[3].count +
                r->bins[4].count + r->bins[7].count + r->bins[8].count,
            0);
  EXPECT_NEAR(r->bins[6].lower, 0.6, 1e-12);
  EXPECT_NEAR(r->bins[6].upper, 0.7, 1e-12);
  const double nll =
      -(std::log(0.95) + std::log(0.08) + std::log(0.65) + std::log(0.45) + std::log(0.62)) / 5;
  EXPECT_NEAR(r->nll, nll, 1e-6);
  const double brier = (2 * 0.05 * 0.05 + 2 * 0.92 * 0.92 + 2 * 0.35 * 0.35 + 2 * 0.55 * 0.55 +
                        2 * 0.38 * 0.38) / 5;
  EXPECT_NEAR(r->brier, brier, 1e-6);
}

TEST(EvalCalibration, PerfectlyCalibratedBinsHaveNoError) {
  // In the (0.7, 0.8] bin, 3 of 4 items with confidence .75 are right: accuracy = confidence.
  auto r = ComputeCalibration({0, 0, 0, 1}, {{0.75f, 0.25f}, {0.75f, 0.25f}, {0.75f, 0.25f},
                                             {0.75f, 0.25f}}, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->ece, 0.0, 1e-7);
  EXPECT_EQ(r->bins[7].count, 4);
}

TEST(EvalCalibration, EvaluateUsesConfiguredBins) {
  EvalOptions options;
  options.calibration_bins = 5;
  auto e = Evaluate(kTruth, kProbs, {"a", "b"}, options);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->calibration.bins.size(), 5u);
  EXPECT_FALSE(ComputeCalibration(kTruth, kProbs, 0).ok());
}

// Synthetic data: logits z ~ N(0, 2^2) per class; the true label is drawn from softmax(z / T0),
// while the model reports softmax(z). The fitted temperature must come back close to T0.
struct Synthetic {
  std::vector<int> truth;
  std::vector<std::vector<float>> logits;
  std::vector<std::vector<float>> probs;
};

Synthetic MakeSynthetic(double t0, int n, int k, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 2.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Synthetic s;
  for (int i = 0; i < n; ++i) {
    std::vector<double> z(k);
    for (double& v : z) v = normal(rng);
    std::vector<double> q(k), p(k);
    double qs = 0, ps = 0;
    for (int c = 0; c < k; ++c) {
      q[c] = std::exp(z[c] / t0);
      p[c] = std::exp(z[c]);
      qs += q[c];
      ps += p[c];
    }
    double u = uniform(rng) * qs;
    int label = k - 1;
    for (int c = 0; c < k; ++c) {
      if (u < q[c]) {
        label = c;
        break;
      }
      u -= q[c];
    }
    s.truth.push_back(label);
    std::vector<float> zf(k), pf(k);
    for (int c = 0; c < k; ++c) {
      zf[c] = static_cast<float>(z[c]);
      pf[c] = static_cast<float>(p[c] / ps);
    }
    s.logits.push_back(zf);
    s.probs.push_back(pf);
  }
  return s;
}

TEST(EvalCalibration, TemperatureScalingRecoversKnownTemperature) {
  for (double t0 : {2.5, 0.6}) {
    Synthetic s = MakeSynthetic(t0, 20000, 4, 42);
    auto from_probs = FitTemperature(s.truth, s.probs, ScoreKind::kProbabilities);
    ASSERT_TRUE(from_probs.ok()) << from_probs.status().ToString();
    EXPECT_NEAR(from_probs->temperature, t0, 0.06 * t0) << "T0 " << t0;
    EXPECT_LT(from_probs->nll_after, from_probs->nll_before);
    auto from_logits = FitTemperature(s.truth, s.logits, ScoreKind::kLogits);
    ASSERT_TRUE(from_logits.ok());
    // softmax is shift-invariant, so log p and z give the same fit.
    EXPECT_NEAR(from_logits->temperature, from_probs->temperature, 1e-3);

    // Scaling by the fitted T makes the probabilities better calibrated.
    auto before = ComputeCalibration(s.truth, s.probs, 10);
    auto after = ComputeCalibration(
        s.truth, ApplyTemperature(s.probs, from_probs->temperature), 10);
    ASSERT_TRUE(before.ok() && after.ok());
    EXPECT_LT(after->ece, before->ece);
    EXPECT_LT(after->ece, 0.02);
  }
}

TEST(EvalCalibration, ApplyTemperatureIsSoftmaxOfScaledLogits) {
  // T = 2 on probabilities [0.8, 0.2]: softmax(log p / 2) = sqrt(p) / sum sqrt(p).
  auto out = ApplyTemperature({{0.8f, 0.2f}}, 2.0);
  const double a = std::sqrt(0.8), b = std::sqrt(0.2);
  EXPECT_NEAR(out[0][0], a / (a + b), 1e-6);
  EXPECT_NEAR(out[0][1], b / (a + b), 1e-6);
  auto same = ApplyTemperature({{0.7f, 0.2f, 0.1f}}, 1.0);
  EXPECT_NEAR(same[0][0], 0.7, 1e-6);
  auto logits = ApplyTemperature({{1.0f, 0.0f}}, 0.5, ScoreKind::kLogits);
  EXPECT_NEAR(logits[0][0], std::exp(2.0) / (std::exp(2.0) + 1), 1e-6);
}

}  // namespace
}  // namespace vigil
