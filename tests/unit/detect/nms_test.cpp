// NonMaxSuppression and BoxIou on hand-worked boxes.
#include <gtest/gtest.h>

#include "detect/nms.h"

namespace vigil {
namespace {

Candidate Box(int cls, float score, float x1, float y1, float x2, float y2) {
  Candidate c;
  c.class_id = cls;
  c.score = score;
  c.x1 = x1;
  c.y1 = y1;
  c.x2 = x2;
  c.y2 = y2;
  return c;
}

TEST(BoxIou, HandWorkedValues) {
  // 10x10 boxes shifted by 5 in x: intersection 50, union 150.
  EXPECT_FLOAT_EQ(BoxIou(Box(0, 1, 0, 0, 10, 10), Box(0, 1, 5, 0, 15, 10)), 50.0f / 150.0f);
  EXPECT_FLOAT_EQ(BoxIou(Box(0, 1, 0, 0, 10, 10), Box(0, 1, 0, 0, 10, 10)), 1.0f);
  // Nested: 4x4 inside 8x8 -> 16 / 64.
  EXPECT_FLOAT_EQ(BoxIou(Box(0, 1, 0, 0, 8, 8), Box(0, 1, 2, 2, 6, 6)), 0.25f);
  // Touching edges and empty boxes do not overlap.
  EXPECT_EQ(BoxIou(Box(0, 1, 0, 0, 10, 10), Box(0, 1, 10, 0, 20, 10)), 0.0f);
  EXPECT_EQ(BoxIou(Box(0, 1, 5, 5, 5, 9), Box(0, 1, 0, 0, 10, 10)), 0.0f);
}

TEST(NonMaxSuppression, KeepsBestOfOverlappingSameClassBoxes) {
  std::vector<Candidate> c = {
      Box(0, 0.6f, 1, 1, 11, 11),     // overlaps #1 with IoU 81/119 = 0.68: dropped
      Box(0, 0.9f, 0, 0, 10, 10),     // best
      Box(0, 0.5f, 20, 20, 30, 30),   // elsewhere: kept
      Box(1, 0.7f, 0, 0, 10, 10),     // other class, same place: kept (per-class NMS)
  };
  std::vector<size_t> kept = NonMaxSuppression(c, 0.5f, 100, false);
  EXPECT_EQ(kept, (std::vector<size_t>{1, 3, 2}));
  // Class-agnostic: the class-1 box is suppressed by the class-0 one.
  kept = NonMaxSuppression(c, 0.5f, 100, true);
  EXPECT_EQ(kept, (std::vector<size_t>{1, 2}));
  // A threshold above the overlap keeps both same-class boxes.
  kept = NonMaxSuppression(c, 0.7f, 100, false);
  EXPECT_EQ(kept, (std::vector<size_t>{1, 3, 0, 2}));
}

TEST(NonMaxSuppression, MaxDetectionsAndTies) {
  std::vector<Candidate> c;
  for (int i = 0; i < 10; ++i) c.push_back(Box(0, 0.5f, i * 20.0f, 0, i * 20.0f + 10, 10));
  // Equal scores: input order decides.
  EXPECT_EQ(NonMaxSuppression(c, 0.5f, 3, false), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(NonMaxSuppression(c, 0.5f, 100, false).size(), 10u);
  EXPECT_TRUE(NonMaxSuppression({}, 0.5f, 100, false).empty());
}

TEST(NonMaxSuppression, SuppressionIsAgainstKeptBoxesOnly) {
  // A overlaps B, B overlaps C, A does not overlap C: greedy keeps A and C.
  std::vector<Candidate> c = {Box(0, 0.9f, 0, 0, 10, 10), Box(0, 0.8f, 4, 0, 14, 10),
                              Box(0, 0.7f, 9, 0, 19, 10)};
  EXPECT_EQ(NonMaxSuppression(c, 0.3f, 100, false), (std::vector<size_t>{0, 2}));
}

}  // namespace
}  // namespace vigil
