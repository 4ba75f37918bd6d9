// LinearHead: separable toy data, softmax against a hand computation, C selection, folding.
#include "inference/linear_head.h"
#include "learn/head_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace vigil {
namespace {

// Three Gaussian blobs in 4-D, far apart (linearly separable), with per-dimension offsets and
// scales so standardisation matters.
void Blobs(int per_class, uint64_t seed, std::vector<std::vector<float>>* x, std::vector<int>* y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.3f);
  const float centers[3][4] = {{0, 0, 5, 0}, {4, 0, 5, 0}, {0, 4, 5, 0}};
  const float scale[4] = {1, 10, 0.1f, 100};
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < per_class; ++i) {
      std::vector<float> r(4);
      for (int d = 0; d < 4; ++d) r[d] = (centers[k][d] + noise(rng)) * scale[d];
      x->push_back(r);
      y->push_back(k);
    }
  }
}

TEST(LinearHead, SeparableToySetIsLearnedPerfectly) {
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  Blobs(30, 1, &x, &y);
  for (HeadKind kind : {HeadKind::kLogistic, HeadKind::kLinearSvm}) {
    for (FeatureNorm norm : {FeatureNorm::kNone, FeatureNorm::kStandardize}) {
      LinearHeadOptions o;
      o.kind = kind;
      o.norm = norm;
      o.c_grid = {10.0};
      auto fit = TrainLinearHead(x, y, 3, o);
      ASSERT_TRUE(fit.ok()) << fit.status().ToString();
      std::vector<std::vector<float>> xt;
      std::vector<int> yt;
      Blobs(20, 2, &xt, &yt);
      for (size_t i = 0; i < xt.size(); ++i) {
        EXPECT_EQ(fit->head.Predict(xt[i].data()), yt[i]) << HeadKindName(kind) << " " << FeatureNormName(norm);
      }
    }
  }
}

TEST(LinearHead, L2HeadIsScaleInvariant) {
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  Blobs(20, 4, &x, &y);
  LinearHeadOptions o;
  o.norm = FeatureNorm::kL2;
  o.c_grid = {1.0};
  auto fit = TrainLinearHead(x, y, 3, o);
  ASSERT_TRUE(fit.ok());
  for (const auto& r : x) {
    std::vector<float> r3 = r;
    for (float& v : r3) v *= 3.f;
    std::vector<float> a = fit->head.Probabilities(r.data()).value(), b = fit->head.Probabilities(r3.data()).value();
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(a[k], b[k], 1e-6);
  }
}

TEST(LinearHead, ProbabilitiesAreSoftmaxOfWxPlusB) {
  LinearHead h;
  h.norm = FeatureNorm::kNone;
  h.num_classes = 3;
  h.dim = 2;
  h.weights = {1, 2, -1, 0.5f, 0, -3};
  h.bias = {0.1f, -0.2f, 0.3f};
  h.temperature = 2.0f;
  const float x[2] = {0.7f, -0.4f};
  // Hand computation: z = (Wx + b) / T.
  const double z0 = (1 * 0.7 + 2 * -0.4 + 0.1) / 2, z1 = (-1 * 0.7 + 0.5 * -0.4 - 0.2) / 2,
               z2 = (0 * 0.7 - 3 * -0.4 + 0.3) / 2;
  const double s = std::exp(z0) + std::exp(z1) + std::exp(z2);
  std::vector<float> p = h.Probabilities(x).value();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NEAR(p[0], std::exp(z0) / s, 1e-7);
  EXPECT_NEAR(p[1], std::exp(z1) / s, 1e-7);
  EXPECT_NEAR(p[2], std::exp(z2) / s, 1e-7);
}

TEST(LinearHead, TrainedLogisticProbabilitiesMatchSoftmaxOfItsWeights) {
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  Blobs(20, 3, &x, &y);
  LinearHeadOptions o;
  o.norm = FeatureNorm::kStandardize;
  o.c_grid = {1.0};
  auto fit = TrainLinearHead(x, y, 3, o);
  ASSERT_TRUE(fit.ok());
  const LinearHead& h = fit->head;
  for (size_t i = 0; i < 5; ++i) {
    double z[3], s = 0;
    for (int k = 0; k < 3; ++k) {
      z[k] = h.bias[k];
      for (int d = 0; d < 4; ++d) z[k] += h.weights[k * 4 + d] * (x[i][d] - h.mean[d]) * h.inv_std[d];
      s += std::exp(z[k]);
    }
    std::vector<float> p = h.Probabilities(x[i].data()).value();
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(p[k], std::exp(z[k]) / s, 1e-6);
  }
}

TEST(LinearHead, BinaryHeadHasOppositeRows) {
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  for (int i = 0; i < 20; ++i) {
    x.push_back({static_cast<float>(i % 2 == 0 ? 1 + 0.01 * i : -1 - 0.01 * i)});
    y.push_back(i % 2 == 0 ? 1 : 0);
  }
  LinearHeadOptions o;
  o.norm = FeatureNorm::kNone;
  o.c_grid = {1.0};
  auto fit = TrainLinearHead(x, y, 2, o);
  ASSERT_TRUE(fit.ok());
  EXPECT_FLOAT_EQ(fit->head.weights[0], -fit->head.weights[1]);
  EXPECT_GT(fit->head.weights[1], 0.f);  // class 1 is the positive side
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(fit->head.Predict(x[i].data()), y[i]);
}

TEST(LinearHead, CrossValidationAvoidsDegenerateC) {
  // Noisy overlapping blobs: a tiny C underfits (all scores near 0, imbalanced data collapses).
  std::mt19937_64 rng(5);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  for (int i = 0; i < 200; ++i) {
    const int k = i % 4 == 0 ? 1 : 0;
    std::vector<float> r(10);
    for (float& v : r) v = n(rng);
    r[0] += k ? 1.5f : -1.5f;
    x.push_back(r);
    y.push_back(k);
  }
  LinearHeadOptions o;
  o.c_grid = {1e-6, 1e-3, 1e-1, 10};
  o.threads = 2;
  auto fit = TrainLinearHead(x, y, 2, o);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  ASSERT_EQ(fit->cv.size(), 4u);
  EXPECT_GT(fit->head.c, 1e-6);
  double best = 0;
  for (const auto& p : fit->cv) best = std::max(best, p.macro_f1);
  EXPECT_GT(best, 0.85);  // Bayes rate for this separation is about 0.93 accuracy
  ASSERT_EQ(fit->oof_logits.size(), x.size());
  for (const auto& row : fit->oof_logits) ASSERT_EQ(row.size(), 2u);
  // Same seed, same result.
  auto again = TrainLinearHead(x, y, 2, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->head.c, fit->head.c);
  EXPECT_EQ(again->head.weights, fit->head.weights);
}

TEST(LinearHead, FoldedWeightsGiveTheSameLogits) {
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  Blobs(15, 7, &x, &y);
  LinearHeadOptions o;
  o.c_grid = {0.5};
  auto fit = TrainLinearHead(x, y, 3, o);
  ASSERT_TRUE(fit.ok());
  LinearHead h = fit->head;
  h.temperature = 1.7f;
  std::vector<float> w, b;
  ASSERT_TRUE(h.Folded(&w, &b).ok());
  for (size_t i = 0; i < x.size(); ++i) {
    std::vector<float> z = h.Logits(x[i].data());
    for (int k = 0; k < 3; ++k) {
      double s = b[k];
      for (int d = 0; d < 4; ++d) s += static_cast<double>(w[k * 4 + d]) * x[i][d];
      EXPECT_NEAR(s, z[k], 1e-3 * (1 + std::fabs(z[k])));
    }
  }
  // L2: the temperature is folded, the normalisation is not (the exporter normalises first).
  h.norm = FeatureNorm::kL2;
  ASSERT_TRUE(h.Folded(&w, &b).ok());
  for (size_t i = 0; i < x.size(); ++i) {
    std::vector<float> z = h.Logits(x[i].data());
    double n = 0;
    for (int d = 0; d < 4; ++d) n += static_cast<double>(x[i][d]) * x[i][d];
    n = std::sqrt(n);
    for (int k = 0; k < 3; ++k) {
      double s = b[k];
      for (int d = 0; d < 4; ++d) s += static_cast<double>(w[k * 4 + d]) * x[i][d] / n;
      EXPECT_NEAR(s, z[k], 1e-4 * (1 + std::fabs(z[k])));
    }
  }
}

TEST(LinearHead, RejectsBadInput) {
  LinearHeadOptions o;
  EXPECT_FALSE(TrainLinearHead({}, {}, 2, o).ok());
  EXPECT_FALSE(TrainLinearHead({{1.f}, {2.f}}, {0, 2}, 2, o).ok());
  EXPECT_FALSE(TrainLinearHead({{1.f}, {2.f, 3.f}}, {0, 1}, 2, o).ok());
  EXPECT_FALSE(TrainLinearHead({{1.f}, {NAN}}, {0, 1}, 2, o).ok());
  // Too few items per class for 5 folds.
  EXPECT_FALSE(TrainLinearHead({{1.f}, {2.f}}, {0, 1}, 2, o).ok());
}

TEST(MacroF1, MatchesScikitLearnExample) {
  // sklearn.metrics.f1_score([0,1,2,0,1,2], [0,2,1,0,0,1], average='macro') == 0.26666...
  EXPECT_NEAR(MacroF1({0, 1, 2, 0, 1, 2}, {0, 2, 1, 0, 0, 1}, 3), 0.26666666, 1e-6);
}

}  // namespace
}  // namespace vigil
