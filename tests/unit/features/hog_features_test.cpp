// hog: the block equals cv::HOGDescriptor::compute run directly on the same stretched grayscale
// image, its dimension follows the documented formula, and a flat image gives an all-zero HOG.
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "features_test_util.h"
#include "vigil/features.h"

namespace vigil {
namespace {

TEST(HogFeatures, MatchesHogDescriptorComputeOnRealPhotos) {
  const auto photos = testing::SamplePhotos(3);
  ASSERT_FALSE(photos.empty());
  for (const std::string& path : photos) {
    auto image = ReadImageFile(path);
    ASSERT_TRUE(image.ok()) << path;
    FeatureOptions o;
    o.resize_to = 0;
    o.blocks = {"hog"};
    auto blocks = ComputeFeatures(*image, o);
    ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
    const std::vector<float>& ours = blocks->at(0).values;

    cv::Mat gray, window;
    cv::cvtColor(testing::RgbMat(*image), gray, cv::COLOR_RGB2GRAY);
    cv::resize(gray, window, cv::Size(128, 128), 0, 0, cv::INTER_AREA);
    cv::HOGDescriptor hog(cv::Size(128, 128), cv::Size(32, 32), cv::Size(16, 16), cv::Size(16, 16), 9);
    std::vector<float> ref;
    hog.compute(window, ref);
    // 7 x 7 blocks of 2 x 2 cells of 9 bins.
    ASSERT_EQ(ref.size(), 1764u);
    ASSERT_EQ(ours.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(ours[i], ref[i], 1e-6) << path << " " << i;
    // L2-Hys: every block of 36 values has L2 norm <= 1 (about 1 unless the block is flat).
    for (size_t b = 0; b < 49; ++b) {
      double sq = 0;
      for (size_t i = 0; i < 36; ++i) sq += double(ours[b * 36 + i]) * ours[b * 36 + i];
      EXPECT_LE(std::sqrt(sq), 1.0 + 1e-4);
    }
  }
}

TEST(HogFeatures, DimensionFollowsOptions) {
  FeatureOptions o;
  o.blocks = {"hog"};
  o.hog_window = 64;
  o.hog_cell = 8;
  o.hog_block = 16;
  o.hog_block_stride = 8;
  o.hog_bins = 6;
  auto dim = FeatureDimension(o);
  ASSERT_TRUE(dim.ok());
  EXPECT_EQ(*dim, 7 * 7 * 4 * 6);
  auto v = ComputeFeatureVector(testing::SolidImage(50, 30, 1, 2, 3), o);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(int(v->size()), *dim);
  for (float x : *v) EXPECT_EQ(x, 0.0f);  // flat image: no gradients
}

}  // namespace
}  // namespace vigil
