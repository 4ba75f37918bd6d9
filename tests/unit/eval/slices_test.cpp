// Per-slice metrics and the largest gap between slices on a hand-made split.
#include <cmath>

#include <gtest/gtest.h>

#include "eval_test_util.h"
#include "vigil/eval.h"

namespace vigil {
namespace {

// Slice "a": 0->0, 1->1 (all right). Slice "b": 0->0, 0->0, 1->0, 1->0.
// Slice "c": a single item (0->1), below min_slice_count = 2.
// b: accuracy .5; class 0 P .5 R 1 F1 2/3; class 1 P 0 R 0 F1 0 -> macro-F1 1/3.
// Gaps over a and b: accuracy .5, macro_f1 2/3, recall:x 0, recall:y 1 (the largest).
TEST(EvalSlices, MetricsPerSliceAndLargestGap) {
  std::vector<int> truth = {0, 1, 0, 0, 1, 1, 0};
  std::vector<int> pred = {0, 1, 0, 0, 0, 0, 1};
  std::vector<std::string> slices = {"a", "a", "b", "b", "b", "b", "c"};
  EvalOptions options;
  options.min_slice_count = 2;
  auto e = Evaluate(truth, vigil_test::OneHot(pred, 2), {"x", "y"}, options, &slices);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_TRUE(e->slices.has_value());
  const SliceReport& r = *e->slices;
  ASSERT_EQ(r.slices.size(), 3u);
  EXPECT_EQ(r.slices[0].slice, "a");
  EXPECT_EQ(r.slices[0].count, 2);
  EXPECT_DOUBLE_EQ(r.slices[0].accuracy, 1);
  EXPECT_DOUBLE_EQ(r.slices[0].macro_f1, 1);
  EXPECT_EQ(r.slices[1].count, 4);
  EXPECT_DOUBLE_EQ(r.slices[1].accuracy, 0.5);
  EXPECT_NEAR(r.slices[1].macro_f1, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(r.slices[1].recall[0], 1);
  EXPECT_DOUBLE_EQ(r.slices[1].recall[1], 0);
  EXPECT_EQ(r.slices[1].support, (std::vector<int>{2, 2}));
  // Slice c has no item of class y: its recall there is undefined.
  EXPECT_TRUE(std::isnan(r.slices[2].recall[1]));
  EXPECT_DOUBLE_EQ(r.slices[2].accuracy, 0);

  ASSERT_TRUE(r.largest.has_value());
  EXPECT_EQ(r.largest->metric, "recall:y");
  EXPECT_DOUBLE_EQ(r.largest->gap, 1);
  EXPECT_EQ(r.largest->best_slice, "a");
  EXPECT_EQ(r.largest->worst_slice, "b");
  bool saw_accuracy = false;
  for (const SliceGap& g : r.gaps) {
    if (g.metric == "accuracy") {
      saw_accuracy = true;
      EXPECT_DOUBLE_EQ(g.gap, 0.5);  // c (accuracy 0) is excluded by min_slice_count
    }
    if (g.metric == "macro_f1") {
      EXPECT_NEAR(g.gap, 2.0 / 3, 1e-12);
    }
    if (g.metric == "recall:x") {
      EXPECT_DOUBLE_EQ(g.gap, 0);
    }
  }
  EXPECT_TRUE(saw_accuracy);
}

TEST(EvalSlices, SingleSliceHasNoGap) {
  std::vector<std::string> slices = {"only", "only"};
  auto r = ComputeSlices({0, 1}, vigil_test::OneHot({0, 0}, 2), slices, 2, {"x", "y"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->slices.size(), 1u);
  EXPECT_TRUE(r->gaps.empty());
  EXPECT_FALSE(r->largest.has_value());
}

}  // namespace
}  // namespace vigil
