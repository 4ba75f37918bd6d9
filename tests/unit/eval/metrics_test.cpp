// Confusion matrix, accuracy, precision/recall/F-beta and their averages against the worked
// examples printed in scikit-learn's documentation, plus hand-checked extreme cases.
#include <cmath>

#include <gtest/gtest.h>

#include "eval_test_util.h"
#include "vigil/eval.h"

namespace vigil {
namespace {

using vigil_test::OneHot;

// sklearn.metrics.confusion_matrix docstring: y_true=[2,0,2,2,0,1], y_pred=[0,0,2,2,0,2]
// -> [[2,0,0],[0,0,1],[1,0,2]].
TEST(EvalMetrics, ConfusionMatrixMatchesSklearnExample) {
  auto e = Evaluate({2, 0, 2, 2, 0, 1}, OneHot({0, 0, 2, 2, 0, 2}, 3), {"a", "b", "c"});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<std::vector<int>> expected = {{2, 0, 0}, {0, 0, 1}, {1, 0, 2}};
  EXPECT_EQ(e->confusion, expected);
}

// sklearn.metrics.accuracy_score docstring: y_pred=[0,2,1,3], y_true=[0,1,2,3] -> 0.5.
TEST(EvalMetrics, AccuracyMatchesSklearnExample) {
  auto e = Evaluate({0, 1, 2, 3}, OneHot({0, 2, 1, 3}, 4), {"a", "b", "c", "d"});
  ASSERT_TRUE(e.ok());
  EXPECT_DOUBLE_EQ(e->accuracy, 0.5);
}

// precision_recall_fscore_support docstring: y_true=[cat,dog,pig,cat,dog,pig],
// y_pred=[cat,pig,dog,cat,cat,dog]; macro (0.22, 0.33, 0.26), weighted (0.22, 0.33, 0.26);
// labels=[pig,dog,cat], average=None: precision [0, 0, 0.66], recall [0, 0, 1], f [0, 0, 0.8],
// support [2, 2, 2].
TEST(EvalMetrics, PrecisionRecallFscoreSupportMatchesSklearnExample) {
  // cat=0, dog=1, pig=2
  auto e = Evaluate({0, 1, 2, 0, 1, 2}, OneHot({0, 2, 1, 0, 0, 1}, 3), {"cat", "dog", "pig"});
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->macro.precision, 0.2222222, 1e-6);
  EXPECT_NEAR(e->macro.recall, 0.3333333, 1e-6);
  EXPECT_NEAR(e->macro.f1, 0.2666667, 1e-6);
  EXPECT_NEAR(e->weighted.precision, 0.2222222, 1e-6);
  EXPECT_NEAR(e->weighted.recall, 0.3333333, 1e-6);
  EXPECT_NEAR(e->weighted.f1, 0.2666667, 1e-6);
  const ClassMetrics& pig = e->classes[2];
  const ClassMetrics& dog = e->classes[1];
  const ClassMetrics& cat = e->classes[0];
  EXPECT_EQ(pig.name, "pig");
  EXPECT_DOUBLE_EQ(pig.precision, 0);
  EXPECT_DOUBLE_EQ(dog.precision, 0);
  EXPECT_NEAR(cat.precision, 0.6666667, 1e-6);
  EXPECT_DOUBLE_EQ(pig.recall, 0);
  EXPECT_DOUBLE_EQ(dog.recall, 0);
  EXPECT_DOUBLE_EQ(cat.recall, 1);
  EXPECT_DOUBLE_EQ(pig.f1, 0);
  EXPECT_DOUBLE_EQ(dog.f1, 0);
  EXPECT_NEAR(cat.f1, 0.8, 1e-12);
  EXPECT_EQ(pig.support, 2);
  EXPECT_EQ(dog.support, 2);
  EXPECT_EQ(cat.support, 2);
}

// fbeta_score docstring: y_true=[0,1,2,0,1,2], y_pred=[0,2,1,0,0,1], beta=0.5:
// macro 0.238..., weighted 0.238..., average=None [0.71..., 0, 0].
TEST(EvalMetrics, FBetaMatchesSklearnExample) {
  EvalOptions options;
  options.beta = 0.5;
  auto e = Evaluate({0, 1, 2, 0, 1, 2}, OneHot({0, 2, 1, 0, 0, 1}, 3), {"0", "1", "2"}, options);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->macro.fbeta, 0.238, 5e-4);
  EXPECT_NEAR(e->weighted.fbeta, 0.238, 5e-4);
  EXPECT_NEAR(e->classes[0].fbeta, 0.714, 5e-4);
  EXPECT_DOUBLE_EQ(e->classes[1].fbeta, 0);
  EXPECT_DOUBLE_EQ(e->classes[2].fbeta, 0);
  // f1_score docstring, same data: macro 0.26..., average=None [0.8, 0, 0].
  EXPECT_NEAR(e->macro.f1, 0.2667, 5e-4);
  EXPECT_NEAR(e->classes[0].f1, 0.8, 1e-12);
}

TEST(EvalMetrics, FBetaFormula) {
  // F2 of P=0.5, R=1: 5 * 0.5 / (4 * 0.5 + 1) = 2.5 / 3.
  EXPECT_NEAR(FBeta(0.5, 1.0, 2.0), 2.5 / 3, 1e-12);
  EXPECT_NEAR(FBeta(0.6, 0.3, 1.0), 2 * 0.18 / 0.9, 1e-12);
  EXPECT_DOUBLE_EQ(FBeta(0, 0, 2.0), 0);
}

TEST(EvalMetrics, PerfectClassifierScoresOne) {
  std::vector<int> truth = {0, 1, 2, 2, 1, 0, 2};
  std::vector<std::vector<float>> probs;
  for (int t : truth) {
    std::vector<float> row = {0.1f, 0.1f, 0.1f};
    row[t] = 0.8f;
    probs.push_back(row);
  }
  auto e = Evaluate(truth, probs, {"a", "b", "c"});
  ASSERT_TRUE(e.ok());
  EXPECT_DOUBLE_EQ(e->accuracy, 1);
  for (const ClassMetrics& m : e->classes) {
    EXPECT_DOUBLE_EQ(m.precision, 1);
    EXPECT_DOUBLE_EQ(m.recall, 1);
    EXPECT_DOUBLE_EQ(m.f1, 1);
    EXPECT_DOUBLE_EQ(m.fbeta, 1);
    EXPECT_DOUBLE_EQ(m.average_precision, 1);
    EXPECT_DOUBLE_EQ(m.roc_auc, 1);
  }
  EXPECT_DOUBLE_EQ(e->macro.f1, 1);
  EXPECT_DOUBLE_EQ(e->macro.roc_auc, 1);
}

TEST(EvalMetrics, AllWrongClassifierScoresZero) {
  // Binary, every score points the wrong way: accuracy 0, F1 0, ROC-AUC 0.
  std::vector<int> truth = {0, 0, 1, 1, 1};
  auto e = Evaluate(truth, vigil_test::Binary({0.9f, 0.8f, 0.2f, 0.3f, 0.1f}), {"neg", "pos"});
  ASSERT_TRUE(e.ok());
  EXPECT_DOUBLE_EQ(e->accuracy, 0);
  EXPECT_DOUBLE_EQ(e->macro.f1, 0);
  EXPECT_DOUBLE_EQ(e->classes[1].roc_auc, 0);
  EXPECT_DOUBLE_EQ(e->classes[0].roc_auc, 0);
  // AP of the positive class: the positives come last, AP = sum over the 3 recall steps of the
  // precision there: 1/3 * (1/3 + 2/4 + 3/5).
  EXPECT_NEAR(e->classes[1].average_precision, (1.0 / 3 + 2.0 / 4 + 3.0 / 5) / 3, 1e-12);
}

TEST(EvalMetrics, AbsentClassIsUndefinedAndLeftOutOfAverages) {
  // Class "c" never occurs and is never predicted: scikit-learn's label set leaves it out.
  std::vector<std::vector<float>> probs = {{0.7f, 0.2f, 0.1f}, {0.3f, 0.6f, 0.1f},
                                           {0.6f, 0.3f, 0.1f}, {0.2f, 0.7f, 0.1f}};
  auto e = Evaluate({0, 1, 0, 1}, probs, {"a", "b", "c"});
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(std::isnan(e->classes[2].average_precision));
  EXPECT_TRUE(std::isnan(e->classes[2].roc_auc));
  EXPECT_DOUBLE_EQ(e->macro.f1, 1);
  EXPECT_DOUBLE_EQ(e->macro.roc_auc, 1);
  EXPECT_DOUBLE_EQ(e->macro.average_precision, 1);
}

TEST(EvalMetrics, RejectsMalformedInput) {
  EXPECT_FALSE(Evaluate({}, {}, {"a", "b"}).ok());
  EXPECT_FALSE(Evaluate({0}, {{1.0f, 0.0f}}, {"a"}).ok());
  EXPECT_FALSE(Evaluate({2}, {{1.0f, 0.0f}}, {"a", "b"}).ok());
  EXPECT_FALSE(Evaluate({0}, {{1.0f, 0.0f, 0.0f}}, {"a", "b"}).ok());
  EXPECT_FALSE(Evaluate({0, 1}, {{1.0f, 0.0f}}, {"a", "b"}).ok());
  EXPECT_FALSE(Evaluate({0}, {{NAN, 0.0f}}, {"a", "b"}).ok());
  std::vector<std::string> slices = {"x", "y"};
  auto bad_slices = Evaluate({0}, {{1.0f, 0.0f}}, {"a", "b"}, {}, &slices);
  ASSERT_FALSE(bad_slices.ok());
  EXPECT_EQ(bad_slices.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil
