// rgb_hist and hsv_hist against cv::calcHist on the same pixels, and one-colour images whose
// histogram must be one-hot in the bin worked out by hand.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "features_test_util.h"
#include "vigil/features.h"

namespace vigil {
namespace {
using testing::FindBlock;

FeatureOptions Only(const std::string& block) {
  FeatureOptions o;
  o.resize_to = 0;
  o.blocks = {block};
  return o;
}

std::vector<float> Block(const Image& image, const FeatureOptions& o, const std::string& name) {
  auto blocks = ComputeFeatures(image, o);
  EXPECT_TRUE(blocks.ok()) << blocks.status().ToString();
  if (!blocks.ok()) return {};
  const FeatureBlock* b = FindBlock(*blocks, name);
  EXPECT_NE(b, nullptr);
  return b ? b->values : std::vector<float>{};
}

// Flattened cv::calcHist of a 3-channel image, normalised by the pixel count.
std::vector<float> CalcHist3(const cv::Mat& m, int b0, int b1, int b2, float max0) {
  const int channels[] = {0, 1, 2};
  const int sizes[] = {b0, b1, b2};
  const float r0[] = {0, max0}, r1[] = {0, 256}, r2[] = {0, 256};
  const float* ranges[] = {r0, r1, r2};
  cv::Mat hist;
  cv::calcHist(&m, 1, channels, cv::Mat(), hist, 3, sizes, ranges, true, false);
  std::vector<float> out(hist.total());
  const float* p = hist.ptr<float>();
  for (size_t i = 0; i < out.size(); ++i) out[i] = float(p[i] / double(m.total()));
  return out;
}

TEST(RgbHistogram, MatchesCalcHistOnRealPhotos) {
  const auto photos = testing::SamplePhotos(3);
  ASSERT_FALSE(photos.empty()) << "no photos in " << testing::SamplesDir();
  for (const std::string& path : photos) {
    auto image = ReadImageFile(path);
    ASSERT_TRUE(image.ok()) << path;
    for (int bins : {8, 5}) {
      FeatureOptions o = Only("rgb_hist");
      o.rgb_bins = bins;
      const std::vector<float> ours = Block(*image, o, "rgb_hist");
      const std::vector<float> ref = CalcHist3(testing::RgbMat(*image), bins, bins, bins, 256);
      ASSERT_EQ(ours.size(), ref.size());
      for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(ours[i], ref[i], 1e-6) << path << " bin " << i;
      EXPECT_NEAR(testing::Sum(ours), 1.0, 1e-5);
    }
  }
}

TEST(RgbHistogram, OneColourIsOneHot) {
  // (200, 30, 130) with 8 bins: 200/32 = 6, 30/32 = 0, 130/32 = 4 -> (6*8 + 0)*8 + 4 = 388.
  const std::vector<float> h = Block(testing::SolidImage(7, 5, 200, 30, 130), Only("rgb_hist"), "rgb_hist");
  ASSERT_EQ(h.size(), 512u);
  for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h[i], i == 388 ? 1.0f : 0.0f) << i;
}

TEST(HsvHistogram, MatchesCalcHistOnRealPhotos) {
  for (const std::string& path : testing::SamplePhotos(3)) {
    auto image = ReadImageFile(path);
    ASSERT_TRUE(image.ok()) << path;
    cv::Mat hsv;
    cv::cvtColor(testing::RgbMat(*image), hsv, cv::COLOR_RGB2HSV);
    FeatureOptions o = Only("hsv_hist");
    const std::vector<float> ours = Block(*image, o, "hsv_hist");
    const std::vector<float> ref = CalcHist3(hsv, 18, 4, 4, 180);
    ASSERT_EQ(ours.size(), 288u);
    ASSERT_EQ(ref.size(), 288u);
    for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(ours[i], ref[i], 1e-6) << path << " bin " << i;
    EXPECT_NEAR(testing::Sum(ours), 1.0, 1e-5);
  }
}

TEST(HsvHistogram, PrimaryColoursLandInHandComputedBins) {
  // OpenCV 8-bit HSV: pure red = (0, 255, 255), pure blue = (120, 255, 255), black = (0, 0, 0).
  // 18x4x4 bins: red -> (0*4 + 3)*4 + 3 = 15; blue -> H bin 120*18/180 = 12 -> (12*4+3)*4+3 = 207.
  struct Case { uint8_t r, g, b; size_t bin; };
  for (const Case& c : {Case{255, 0, 0, 15}, Case{0, 0, 255, 207}, Case{0, 0, 0, 0}}) {
    const std::vector<float> h = Block(testing::SolidImage(4, 4, c.r, c.g, c.b), Only("hsv_hist"), "hsv_hist");
    ASSERT_EQ(h.size(), 288u);
    for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h[i], i == c.bin ? 1.0f : 0.0f) << int(c.b) << " bin " << i;
  }
}

}  // namespace
}  // namespace vigil
