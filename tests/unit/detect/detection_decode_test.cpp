// NanoDet and CenterNet decoding on synthetic tensors whose boxes are worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "detect/detection_decode.h"

namespace vigil {
namespace {

DetectionSpec NanoSpec() {
  DetectionSpec s;
  s.architecture = "nanodet";
  s.strides = {8, 16};
  s.reg_max = 3;  // 4 bins per side
  s.score_outputs = {"s8", "s16"};
  s.box_outputs = {"b8", "b16"};
  return s;
}

// One-hot distance logits: bin k of each side gets a large logit.
void SetSides(float* d, int bins, const int k[4]) {
  for (int side = 0; side < 4; ++side) {
    for (int b = 0; b < bins; ++b) d[side * bins + b] = b == k[side] ? 30.0f : -30.0f;
  }
}

TEST(DecodeNanoDet, BoxFromCellCentreAndOneHotDistances) {
  const DetectionSpec spec = NanoSpec();
  const int w = 64, h = 32, classes = 3, bins = 4;
  // stride 8: 8x4 grid; stride 16: 4x2 grid.
  std::vector<float> s8(8 * 4 * classes, 0.01f), s16(4 * 2 * classes, 0.01f);
  std::vector<float> b8(8 * 4 * 4 * bins, 0.0f), b16(4 * 2 * 4 * bins, 0.0f);
  // Stride-8 cell (x=5, y=2) = index 21, class 2, score 0.9; centre (44, 20).
  s8[21 * classes + 2] = 0.9f;
  const int k8[4] = {1, 2, 3, 0};  // left 8, top 16, right 24, bottom 0
  SetSides(&b8[21 * 4 * bins], bins, k8);
  // Stride-16 cell (x=0, y=1) = index 4, classes 0 and 1; centre (8, 24); sides 3*16 = 48.
  s16[4 * classes + 0] = 0.5f;
  s16[4 * classes + 1] = 0.6f;
  const int k16[4] = {3, 3, 1, 3};
  SetSides(&b16[4 * 4 * bins], bins, k16);

  RawDetectorOutputs raw{{s8.data(), s16.data()}, {b8.data(), b16.data()}};
  EXPECT_EQ(ExpectedScoreElements(spec, 0, w, h, classes), int64_t(s8.size()));
  EXPECT_EQ(ExpectedBoxElements(spec, 1, w, h), int64_t(b16.size()));
  std::vector<Candidate> c = DecodeNanoDet(spec, raw, w, h, classes, 0.3f);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].class_id, 2);
  EXPECT_FLOAT_EQ(c[0].score, 0.9f);
  EXPECT_NEAR(c[0].x1, 44 - 8, 1e-3);
  EXPECT_NEAR(c[0].y1, 20 - 16, 1e-3);
  EXPECT_FLOAT_EQ(c[0].x2, 64.0f);  // 44 + 24 = 68, clipped to the input width
  EXPECT_NEAR(c[0].y2, 20, 1e-3);
  // Stride 16: left 48 from x 8 -> clipped to 0; top 24 - 48 -> 0; right 8 + 16; bottom clipped 32.
  EXPECT_EQ(c[1].class_id, 0);
  EXPECT_EQ(c[2].class_id, 1);
  EXPECT_FLOAT_EQ(c[1].x1, 0.0f);
  EXPECT_FLOAT_EQ(c[1].y1, 0.0f);
  EXPECT_NEAR(c[1].x2, 24, 1e-3);
  EXPECT_FLOAT_EQ(c[1].y2, 32.0f);
  // The threshold is inclusive; nothing passes above every score.
  EXPECT_EQ(DecodeNanoDet(spec, raw, w, h, classes, 0.9f).size(), 1u);
  EXPECT_TRUE(DecodeNanoDet(spec, raw, w, h, classes, 0.95f).empty());
}

TEST(DecodeNanoDet, DistanceIsTheSoftmaxExpectation) {
  DetectionSpec spec = NanoSpec();
  spec.strides = {8};
  spec.score_outputs = {"s"};
  spec.box_outputs = {"b"};
  const int bins = 4;
  std::vector<float> s(4 * 4, 0.8f);  // 32x32 input, stride 8: 4x4 cells, 1 class
  std::vector<float> b(16 * 4 * bins, 0.0f);
  // Cell 5 (x=1, y=1), centre (12, 12). Left: logits {0, log 3, 0, 0} -> p = {1,3,1,1}/6,
  // E = (0 + 3 + 2 + 3) / 6 = 4/3 bins. Other sides uniform: E = 1.5 bins.
  b[5 * 4 * bins + 1] = std::log(3.0f);
  RawDetectorOutputs raw{{s.data()}, {b.data()}};
  std::vector<Candidate> c = DecodeNanoDet(spec, raw, 32, 32, 1, 0.5f);
  ASSERT_EQ(c.size(), 16u);
  EXPECT_NEAR(c[5].x1, 12 - 8 * 4.0 / 3.0, 1e-4);
  EXPECT_NEAR(c[5].y1, 12 - 8 * 1.5, 1e-4);
  EXPECT_NEAR(c[5].x2, 12 + 8 * 1.5, 1e-4);
  EXPECT_NEAR(c[5].y2, 12 + 8 * 1.5, 1e-4);
}

DetectionSpec CenterSpec(int top_k) {
  DetectionSpec s;
  s.architecture = "centernet";
  s.strides = {4};
  s.top_k = top_k;
  s.score_outputs = {"heat"};
  s.box_outputs = {"wh"};
  return s;
}

TEST(DecodeCenterNet, PeaksOfTheThreeByThreeMaxPool) {
  const int gw = 8, gh = 6, classes = 2;  // input 32x24
  std::vector<float> heat(gw * gh * classes, 0.0f), wh(gw * gh * 4, 1.0f);
  auto set = [&](int x, int y, int c, float v) { heat[(y * gw + x) * classes + c] = v; };
  set(2, 2, 0, 0.9f);  // peak
  set(3, 2, 0, 0.8f);  // neighbour of a higher value: not a peak
  set(3, 2, 1, 0.7f);  // other class at the same cell: a peak of class 1
  set(6, 4, 0, 0.6f);  // peak
  set(7, 5, 0, 0.6f);  // equal neighbour: both count as peaks (max-pool equality)
  set(0, 0, 1, 0.2f);  // peak below threshold
  const float wh_vals[4] = {2, 3, 4, 5};
  for (int k = 0; k < 4; ++k) wh[(2 * gw + 2) * 4 + k] = wh_vals[k];
  RawDetectorOutputs raw{{heat.data()}, {wh.data()}};
  std::vector<Candidate> c = DecodeCenterNet(CenterSpec(100), raw, 32, 24, classes, 0.3f);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_FLOAT_EQ(c[0].score, 0.9f);
  EXPECT_EQ(c[0].class_id, 0);
  // Cell (2, 2) * stride 4 = (8, 8); box (8 - 2, 8 - 3, 8 + 4, 8 + 5).
  EXPECT_FLOAT_EQ(c[0].x1, 6);
  EXPECT_FLOAT_EQ(c[0].y1, 5);
  EXPECT_FLOAT_EQ(c[0].x2, 12);
  EXPECT_FLOAT_EQ(c[0].y2, 13);
  EXPECT_EQ(c[1].class_id, 1);
  EXPECT_FLOAT_EQ(c[1].score, 0.7f);
  // Ties in score: lower flat index first ((6,4) before (7,5)); unit box sides.
  EXPECT_FLOAT_EQ(c[2].x1, 24 - 1);
  EXPECT_FLOAT_EQ(c[3].x1, 28 - 1);
  EXPECT_FLOAT_EQ(c[3].x2, 29);
  EXPECT_FLOAT_EQ(c[3].y2, 21);
  // top_k keeps the best peaks only.
  std::vector<Candidate> top2 = DecodeCenterNet(CenterSpec(2), raw, 32, 24, classes, 0.3f);
  ASSERT_EQ(top2.size(), 2u);
  EXPECT_FLOAT_EQ(top2[1].score, 0.7f);
}

}  // namespace
}  // namespace vigil
