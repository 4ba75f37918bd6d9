// PR/ROC curves, average precision and ROC-AUC against scikit-learn's documented examples, against
// the rank (Mann-Whitney) definition of ROC-AUC and a naive AP on seeded random data with ties.
#include <cmath>
#include <random>
#include <algorithm>

#include <gtest/gtest.h>

#include "eval_test_util.h"
#include "vigil/eval.h"

namespace vigil {
namespace {

const std::vector<bool> kDocLabels = {false, false, true, true};
const std::vector<double> kDocScores = {0.1, 0.4, 0.35, 0.8};

void ExpectVectorNear(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isinf(want[i])) {
      EXPECT_TRUE(std::isinf(got[i])) << i;
    } else {
      EXPECT_NEAR(got[i], want[i], 1e-8) << i;
    }
  }
}

// precision_recall_curve docstring: precision [0.5, 0.66666667, 0.5, 1, 1],
// recall [1, 1, 0.5, 0.5, 0], thresholds [0.1, 0.35, 0.4, 0.8].
TEST(EvalCurves, PrecisionRecallCurveMatchesSklearnExample) {
  PrCurve c = PrecisionRecallCurve(kDocLabels, kDocScores);
  ExpectVectorNear(c.precision, {0.5, 2.0 / 3, 0.5, 1, 1});
  ExpectVectorNear(c.recall, {1, 1, 0.5, 0.5, 0});
  ExpectVectorNear(c.thresholds, {0.1, 0.35, 0.4, 0.8});
}

// average_precision_score docstring: 0.83...
TEST(EvalCurves, AveragePrecisionMatchesSklearnExample) {
  EXPECT_NEAR(AveragePrecision(PrecisionRecallCurve(kDocLabels, kDocScores)), 0.8333333, 1e-6);
}

// roc_curve docstring (y=[1,1,2,2], pos_label=2): fpr [0, 0, 0.5, 0.5, 1],
// tpr [0, 0.5, 0.5, 1, 1], thresholds [inf, 0.8, 0.4, 0.35, 0.1]; auc docstring: 0.75.
TEST(EvalCurves, RocCurveMatchesSklearnExample) {
  RocCurve c = RocCurveOf(kDocLabels, kDocScores);
  ExpectVectorNear(c.fpr, {0, 0, 0.5, 0.5, 1});
  ExpectVectorNear(c.tpr, {0, 0.5, 0.5, 1, 1});
  ExpectVectorNear(c.thresholds, {INFINITY, 0.8, 0.4, 0.35, 0.1});
  EXPECT_NEAR(RocAuc(c), 0.75, 1e-12);
}

// The same example through Evaluate, as two-class probability rows [1 - s, s].
TEST(EvalCurves, EvaluateOneVsRestMatchesBinaryExample) {
  auto e = Evaluate({0, 0, 1, 1}, vigil_test::Binary({0.1f, 0.4f, 0.35f, 0.8f}), {"neg", "pos"});
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->classes[1].average_precision, 0.8333333, 1e-6);
  EXPECT_NEAR(e->classes[1].roc_auc, 0.75, 1e-12);
  // Class 0 sees the mirrored problem: scores 1 - s with labels flipped, same ranking.
  EXPECT_NEAR(e->classes[0].roc_auc, 0.75, 1e-12);
  EXPECT_NEAR(e->macro.roc_auc, 0.75, 1e-12);
  EXPECT_EQ(e->curves[1].pr.thresholds.size(), 4u);
}

TEST(EvalCurves, TiesFormOnePoint) {
  // All scores equal: one point; ROC-AUC 0.5, AP = the positive rate.
  std::vector<bool> labels = {false, true, false, true};
  std::vector<double> same = {0.5, 0.5, 0.5, 0.5};
  EXPECT_DOUBLE_EQ(RocAuc(RocCurveOf(labels, same)), 0.5);
  EXPECT_DOUBLE_EQ(AveragePrecision(PrecisionRecallCurve(labels, same)), 0.5);
  // A tie between a positive and a negative counts half (hand-computed):
  // ROC-AUC = (0.5 + 1 + 0 + 1) / 4; AP = 0.5 * 0.5 + 0.5 * 2/3.
  std::vector<bool> l2 = {true, false, true, false};
  std::vector<double> s2 = {0.8, 0.8, 0.4, 0.2};
  EXPECT_NEAR(RocAuc(RocCurveOf(l2, s2)), 0.625, 1e-12);
  EXPECT_NEAR(AveragePrecision(PrecisionRecallCurve(l2, s2)), 0.25 + 1.0 / 3, 1e-12);
}

TEST(EvalCurves, UndefinedWithoutPositivesOrNegatives) {
  std::vector<bool> none = {false, false, false};
  std::vector<bool> all = {true, true, true};
  std::vector<double> s = {0.2, 0.5, 0.9};
  EXPECT_TRUE(std::isnan(AveragePrecision(PrecisionRecallCurve(none, s))));
  EXPECT_TRUE(std::isnan(RocAuc(RocCurveOf(none, s))));
  EXPECT_TRUE(std::isnan(RocAuc(RocCurveOf(all, s))));
  EXPECT_DOUBLE_EQ(AveragePrecision(PrecisionRecallCurve(all, s)), 1);
}

// ROC-AUC equals the probability that a random positive outscores a random negative (ties 1/2);
// AP equals the mean, over positives, of the precision at that positive's score (ties included).
TEST(EvalCurves, AgreesWithRankDefinitionsOnRandomDataWithTies) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 50 + trial * 7;
    std::vector<bool> labels(n);
    std::vector<double> scores(n);
    for (int i = 0; i < n; ++i) {
      labels[i] = rng() % 3 == 0;
      scores[i] = static_cast<double>(rng() % 12) / 12.0;  // few distinct values: many ties
    }
    labels[0] = true;
    labels[1] = false;
    double pairs = 0, wins = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        if (labels[i] && !labels[j]) {
          pairs += 1;
          wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
        }
    EXPECT_NEAR(RocAuc(RocCurveOf(labels, scores)), wins / pairs, 1e-12);

    double ap = 0, positives = 0;
    for (int i = 0; i < n; ++i) {
      if (!labels[i]) continue;
      positives += 1;
      double tp = 0, predicted = 0;
      for (int j = 0; j < n; ++j) {
        if (scores[j] >= scores[i]) {
          predicted += 1;
          tp += labels[j] ? 1 : 0;
        }
      }
      ap += tp / predicted;
    }
    EXPECT_NEAR(AveragePrecision(PrecisionRecallCurve(labels, scores)), ap / positives, 1e-12);
  }
}

// Stored curves are thinned for plotting; the metrics still come from the full curves.
TEST(EvalCurves, StoredCurvesAreThinnedButMetricsUseFullCurves) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<int> truth;
  std::vector<std::vector<float>> probs;
  std::vector<bool> labels;
  std::vector<double> scores;
  for (int i = 0; i < 3000; ++i) {
    const int t = i % 2;
    const float s = std::min(1.0f, u(rng) * 0.7f + (t ? 0.3f : 0.0f));
    truth.push_back(t);
    probs.push_back({1.0f - s, s});
    labels.push_back(t == 1);
    scores.push_back(s);
  }
  EvalOptions options;
  options.max_curve_points = 100;
  auto e = Evaluate(truth, probs, {"a", "b"}, options);
  ASSERT_TRUE(e.ok());
  const PrCurve full_pr = PrecisionRecallCurve(labels, scores);
  const RocCurve full_roc = RocCurveOf(labels, scores);
  ASSERT_GT(full_pr.thresholds.size(), 1000u);
  EXPECT_NEAR(e->classes[1].average_precision, AveragePrecision(full_pr), 1e-12);
  EXPECT_NEAR(e->classes[1].roc_auc, RocAuc(full_roc), 1e-12);
  const ClassCurves& c = e->curves[1];
  EXPECT_LE(c.pr.thresholds.size(), 101u);
  EXPECT_EQ(c.pr.precision.size(), c.pr.thresholds.size() + 1);
  EXPECT_EQ(c.pr.recall.back(), 0);
  EXPECT_EQ(c.pr.thresholds.front(), full_pr.thresholds.front());
  EXPECT_EQ(c.pr.thresholds.back(), full_pr.thresholds.back());
  EXPECT_LE(c.roc.fpr.size(), 101u);
  EXPECT_TRUE(std::isinf(c.roc.thresholds.front()));
  EXPECT_EQ(c.roc.fpr.back(), 1);
  EXPECT_EQ(c.roc.tpr.back(), 1);
  // The thinned ROC curve stays close to the full one in area.
  EXPECT_NEAR(RocAuc(c.roc), RocAuc(full_roc), 0.01);
}

}  // namespace
}  // namespace vigil
