// Threshold selection on a hand-made ranked list whose precision/recall at each cut is written
// out below.
#include <gtest/gtest.h>

#include "vigil/eval.h"

namespace vigil {
namespace {

// Scores in decreasing order and whether each item is positive (5 positives):
//   cut at  0.9  0.8  0.7  0.6  0.5  0.4  0.3  0.2  0.1  0.05
//   label    1    1    0    1    1    0    0    1    0    0
//   P       1    1   .667 .75  .8  .667 .571 .625 .556  .5
//   R      .2   .4   .4   .6   .8   .8   .8    1    1    1
PrCurve HandCurve() {
  return PrecisionRecallCurve({true, true, false, true, true, false, false, true, false, false},
                              {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05});
}

TEST(EvalThresholds, HighestThresholdReachingRecall) {
  auto points = ThresholdsForRecall(HandCurve(), {0.5, 0.8, 0.9, 0.99, 1.0});
  ASSERT_EQ(points.size(), 5u);
  EXPECT_TRUE(points[0].found);
  EXPECT_DOUBLE_EQ(points[0].threshold, 0.6);
  EXPECT_DOUBLE_EQ(points[0].precision, 0.75);
  EXPECT_DOUBLE_EQ(points[0].recall, 0.6);
  EXPECT_DOUBLE_EQ(points[1].threshold, 0.5);
  EXPECT_DOUBLE_EQ(points[1].precision, 0.8);
  for (int i = 2; i < 5; ++i) {
    EXPECT_TRUE(points[i].found);
    EXPECT_DOUBLE_EQ(points[i].threshold, 0.2) << i;
    EXPECT_DOUBLE_EQ(points[i].precision, 0.625) << i;
    EXPECT_DOUBLE_EQ(points[i].recall, 1.0) << i;
  }
}

TEST(EvalThresholds, LowestThresholdReachingPrecision) {
  auto points = ThresholdsForPrecision(HandCurve(), {0.6, 0.7, 0.8, 0.9, 1.0, 1.01});
  ASSERT_EQ(points.size(), 6u);
  EXPECT_DOUBLE_EQ(points[0].threshold, 0.2);  // P .625 >= .6 at the lowest such cut
  EXPECT_DOUBLE_EQ(points[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(points[1].threshold, 0.5);
  EXPECT_DOUBLE_EQ(points[1].recall, 0.8);
  EXPECT_DOUBLE_EQ(points[2].threshold, 0.5);
  EXPECT_DOUBLE_EQ(points[2].precision, 0.8);
  EXPECT_DOUBLE_EQ(points[3].threshold, 0.8);
  EXPECT_DOUBLE_EQ(points[3].recall, 0.4);
  EXPECT_DOUBLE_EQ(points[4].threshold, 0.8);
  EXPECT_FALSE(points[5].found);
  EXPECT_DOUBLE_EQ(points[5].target, 1.01);
}

TEST(EvalThresholds, NothingFoundWithoutPositives) {
  PrCurve none = PrecisionRecallCurve({false, false}, {0.3, 0.7});
  EXPECT_FALSE(ThresholdsForRecall(none, {0.5})[0].found);
  EXPECT_FALSE(ThresholdsForPrecision(none, {0.5})[0].found);
}

TEST(EvalThresholds, EvaluateFillsTableForEveryClassAndTarget) {
  EvalOptions options;
  options.recall_targets = {0.5, 0.9};
  options.precision_targets = {0.9};
  auto e = Evaluate({0, 1, 1, 0}, {{0.8f, 0.2f}, {0.3f, 0.7f}, {0.6f, 0.4f}, {0.9f, 0.1f}},
                    {"a", "b"}, options);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->thresholds.size(), 2u);
  ASSERT_EQ(e->thresholds[1].at_recall.size(), 2u);
  ASSERT_EQ(e->thresholds[1].at_precision.size(), 1u);
  // Class b: scores .7 (pos), .4 (pos), .2, .1 -> recall .5 at .7; 1.0 at .4 with precision 1.
  EXPECT_NEAR(e->thresholds[1].at_recall[0].threshold, 0.7, 1e-6);
  EXPECT_NEAR(e->thresholds[1].at_recall[1].threshold, 0.4, 1e-6);
  EXPECT_NEAR(e->thresholds[1].at_precision[0].threshold, 0.4, 1e-6);
  EXPECT_DOUBLE_EQ(e->thresholds[1].at_precision[0].recall, 1.0);
}

}  // namespace
}  // namespace vigil
