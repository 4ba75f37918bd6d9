// lbp_hist: 3x3 images whose one code is worked out by hand, the properties of the uniform-code
// tables, and a naive reference implementation (neighbours from angles 2*pi*p/8, rounded, uniformity
// counted on the rotated bit string) on real photos.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include <opencv2/imgproc.hpp>

#include "features/descriptors.h"
#include "features_test_util.h"
#include "vigil/features.h"

namespace vigil {
namespace {

std::vector<float> Lbp(const Image& image, bool rotation_invariant, int resize_to = 0, int radius = 1) {
  FeatureOptions o;
  o.resize_to = resize_to;
  o.blocks = {"lbp_hist"};
  o.lbp_rotation_invariant = rotation_invariant;
  o.lbp_radius = radius;
  auto blocks = ComputeFeatures(image, o);
  EXPECT_TRUE(blocks.ok()) << blocks.status().ToString();
  return blocks.ok() ? blocks->at(0).values : std::vector<float>{};
}

TEST(LbpHistogram, HandComputedNonUniformCode) {
  //  10 50 40        NW N NE      centre 50; bit p set when neighbour p >= 50, p = E, NE, N, NW,
  //  70 50 60   =    W  C  E      W, SW, S, SE: E 60 -> 1, NE 40 -> 0, N 50 -> 1, NW 10 -> 0,
  //  20 90 30        SW S SE      W 70 -> 1, SW 20 -> 0, S 90 -> 1, SE 30 -> 0: 01010101 = 85,
  // 8 transitions: not uniform -> bin 58 (uniform), 9 (rotation-invariant).
  const Image image = testing::GrayImage(3, 3, {10, 50, 40, 70, 50, 60, 20, 90, 30});
  const std::vector<float> u = Lbp(image, false), ri = Lbp(image, true);
  ASSERT_EQ(u.size(), 59u);
  ASSERT_EQ(ri.size(), 10u);
  for (size_t i = 0; i < u.size(); ++i) EXPECT_EQ(u[i], i == 58 ? 1.0f : 0.0f) << i;
  for (size_t i = 0; i < ri.size(); ++i) EXPECT_EQ(ri[i], i == 9 ? 1.0f : 0.0f) << i;
}

TEST(LbpHistogram, HandComputedUniformCode) {
  //  10 80 70      E 60, NE 70, N 80 >= 50 -> bits 0, 1, 2 -> code 7, uniform (2 transitions).
  //  20 50 60      Uniform codes in increasing order: 0, 1, 2, 3, 4, 6, 7, ... so 7 -> bin 6;
  //  30 40 45      rotation-invariant: 3 bits set -> bin 3.
  const Image image = testing::GrayImage(3, 3, {10, 80, 70, 20, 50, 60, 30, 40, 45});
  const std::vector<float> u = Lbp(image, false), ri = Lbp(image, true);
  for (size_t i = 0; i < u.size(); ++i) EXPECT_EQ(u[i], i == 6 ? 1.0f : 0.0f) << i;
  for (size_t i = 0; i < ri.size(); ++i) EXPECT_EQ(ri[i], i == 3 ? 1.0f : 0.0f) << i;
}

TEST(LbpHistogram, FlatImageIsCode255) {
  // Every neighbour equals the centre: all bits set, code 255 = the last uniform code (bin 57), 8 bits.
  const std::vector<float> u = Lbp(testing::SolidImage(9, 6, 7, 7, 7), false);
  const std::vector<float> ri = Lbp(testing::SolidImage(9, 6, 7, 7, 7), true);
  for (size_t i = 0; i < u.size(); ++i) EXPECT_EQ(u[i], i == 57 ? 1.0f : 0.0f) << i;
  for (size_t i = 0; i < ri.size(); ++i) EXPECT_EQ(ri[i], i == 8 ? 1.0f : 0.0f) << i;
}

TEST(LbpHistogram, TooSmallImageGivesZeros) {
  for (float v : Lbp(testing::SolidImage(2, 5, 1, 2, 3), false)) EXPECT_EQ(v, 0.0f);
}

TEST(LbpBinTable, FiftyEightUniformCodesAndRotationClasses) {
  const auto u = features::LbpBinTable(false);
  const auto ri = features::LbpBinTable(true);
  std::map<int, int> per_bin;
  for (int code = 0; code < 256; ++code) ++per_bin[u[code]];
  ASSERT_EQ(per_bin.size(), 59u);
  for (int b = 0; b < 58; ++b) EXPECT_EQ(per_bin[b], 1) << b;
  EXPECT_EQ(per_bin[58], 256 - 58);
  // Rotation-invariant bins: 0 and 8 bits have one code each, 1..7 bits have 8 rotations each.
  std::map<int, int> per_ri;
  for (int code = 0; code < 256; ++code) ++per_ri[ri[code]];
  EXPECT_EQ(per_ri[0], 1);
  EXPECT_EQ(per_ri[8], 1);
  for (int b = 1; b < 8; ++b) EXPECT_EQ(per_ri[b], 8) << b;
  EXPECT_EQ(per_ri[9], 256 - 58);
}

// Naive reference: neighbour p at angle 2*pi*p/8 (y up), offsets rounded; a code is uniform when
// the bit string and its rotation by one differ in at most 2 places.
std::vector<double> ReferenceLbp(const cv::Mat& gray, bool rotation_invariant) {
  std::vector<int> uniform_codes;
  for (int code = 0; code < 256; ++code) {
    const int rotated = ((code << 1) | (code >> 7)) & 0xff;
    if (__builtin_popcount(code ^ rotated) <= 2) uniform_codes.push_back(code);
  }
  std::vector<double> hist(rotation_invariant ? 10 : 59, 0.0);
  double n = 0;
  for (int y = 1; y < gray.rows - 1; ++y) {
    for (int x = 1; x < gray.cols - 1; ++x) {
      int code = 0;
      for (int p = 0; p < 8; ++p) {
        const double a = 2 * CV_PI * p / 8;
        const int nx = x + int(std::lround(std::cos(a))), ny = y - int(std::lround(std::sin(a)));
        if (gray.at<uint8_t>(ny, nx) >= gray.at<uint8_t>(y, x)) code |= 1 << p;
      }
      const auto it = std::find(uniform_codes.begin(), uniform_codes.end(), code);
      const bool uniform = it != uniform_codes.end();
      int bin = rotation_invariant ? (uniform ? __builtin_popcount(code) : 9)
                                   : (uniform ? int(it - uniform_codes.begin()) : 58);
      hist[bin] += 1;
      n += 1;
    }
  }
  for (double& h : hist) h /= n;
  return hist;
}

TEST(LbpHistogram, MatchesNaiveReferenceOnRealPhotos) {
  const auto photos = testing::SamplePhotos(3);
  ASSERT_FALSE(photos.empty());
  for (const std::string& path : photos) {
    auto image = ReadImageFile(path);
    ASSERT_TRUE(image.ok()) << path;
    cv::Mat rgb, gray;
    cv::resize(testing::RgbMat(*image), rgb, cv::Size(160, 120), 0, 0, cv::INTER_AREA);
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    const Image small = testing::ImageFromRgbMat(rgb);
    for (bool ri : {false, true}) {
      const std::vector<float> ours = Lbp(small, ri);
      const std::vector<double> ref = ReferenceLbp(gray, ri);
      ASSERT_EQ(ours.size(), ref.size());
      for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(ours[i], ref[i], 1e-6) << path << " bin " << i;
      EXPECT_NEAR(testing::Sum(ours), 1.0, 1e-5);
    }
  }
}

}  // namespace
}  // namespace vigil
