// TagsFromDetections, RescaleDetections and OrientedSourceSize on hand-made values.
#include <gtest/gtest.h>

#include "vigil/detector.h"

namespace vigil {
namespace {

Detection Det(const std::string& label, float score, Box box = {0, 0, 10, 10}) {
  Detection d;
  d.label = label;
  d.score = score;
  d.box = box;
  return d;
}

TEST(TagsFromDetections, BestScoreAndCountPerClassSortedByScore) {
  std::vector<DetectionTag> tags = TagsFromDetections(
      {Det("person", 0.5f), Det("dog", 0.9f), Det("person", 0.8f), Det("person", 0.4f), Det("cat", 0.5f)});
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0].label, "dog");
  EXPECT_EQ(tags[0].count, 1);
  EXPECT_EQ(tags[1].label, "person");
  EXPECT_FLOAT_EQ(tags[1].score, 0.8f);
  EXPECT_EQ(tags[1].count, 3);
  EXPECT_EQ(tags[2].label, "cat");
  EXPECT_TRUE(TagsFromDetections({}).empty());
  // Equal best scores: alphabetical order (stable sort over the label-sorted map).
  tags = TagsFromDetections({Det("zebra", 0.5f), Det("ant", 0.5f)});
  EXPECT_EQ(tags[0].label, "ant");
}

TEST(RescaleDetections, MapsBoxesToAnotherSizeAndClips) {
  DetectionResult r;
  r.image_width = 100;
  r.image_height = 50;
  r.detections = {Det("a", 1, {10, 5, 100, 50}), Det("b", 1, {0, 0, 50, 25})};
  RescaleDetections(&r, 400, 100);
  EXPECT_EQ(r.image_width, 400);
  EXPECT_EQ(r.image_height, 100);
  EXPECT_FLOAT_EQ(r.detections[0].box.x_min, 40);
  EXPECT_FLOAT_EQ(r.detections[0].box.y_min, 10);
  EXPECT_FLOAT_EQ(r.detections[0].box.x_max, 400);
  EXPECT_FLOAT_EQ(r.detections[0].box.y_max, 100);
  EXPECT_FLOAT_EQ(r.detections[1].box.x_max, 200);
  // Non-positive sizes leave the result alone.
  RescaleDetections(&r, 0, 100);
  EXPECT_EQ(r.image_width, 400);
}

TEST(OrientedSourceSize, SwapsForRotatingExifOrientations) {
  DecodeInfo info;
  info.source_width = 640;
  info.source_height = 480;
  for (int o = 1; o <= 8; ++o) {
    info.exif_orientation = o;
    int w = 0, h = 0;
    OrientedSourceSize(info, &w, &h);
    EXPECT_EQ(w, o >= 5 ? 480 : 640) << "orientation " << o;
    EXPECT_EQ(h, o >= 5 ? 640 : 480) << "orientation " << o;
  }
}

}  // namespace
}  // namespace vigil
