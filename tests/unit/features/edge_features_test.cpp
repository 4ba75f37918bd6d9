// sobel_edge_hist and canny_edge_density: hand-checked step edges and flat images, Canny density
// against cv::Canny + cv::countNonZero, and the orientation histograms against a reference built
// with cv::Sobel and std::atan2 (angles in degrees, folded into [0, 180)).
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "features/descriptors.h"
#include "features_test_util.h"
#include "vigil/features.h"

namespace vigil {
namespace {
using testing::FindBlock;

FeatureOptions EdgeOptions() {
  FeatureOptions o;
  o.resize_to = 0;
  o.blocks = {"sobel_edge_hist", "canny_edge_density"};
  return o;
}

// Left half 0, right half 255 (vertical edge) or top/bottom (horizontal edge).
Image StepImage(int width, int height, bool vertical_edge) {
  std::vector<uint8_t> v;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) v.push_back((vertical_edge ? x >= width / 2 : y >= height / 2) ? 255 : 0);
  }
  return testing::GrayImage(width, height, v);
}

TEST(SobelEdgeHistogram, VerticalStepIsAllInBinZero) {
  // Sobel x across the 0 -> 255 step is 4 * 255 = 1020 in the two columns beside it, 0 elsewhere,
  // and Sobel y is 0 everywhere: all weight at 0°, mean magnitude / 1020 = 2 * H / (W * H) = 2 / W.
  auto blocks = ComputeFeatures(StepImage(20, 10, true), EdgeOptions());
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  const std::vector<float>& s = FindBlock(*blocks, "sobel_edge_hist")->values;
  ASSERT_EQ(s.size(), 9u);
  EXPECT_FLOAT_EQ(s[0], 1.0f);
  for (int k = 1; k < 8; ++k) EXPECT_EQ(s[k], 0.0f) << k;
  EXPECT_FLOAT_EQ(s[8], 2.0f / 20.0f);
}

TEST(SobelEdgeHistogram, HorizontalStepIsAllInTheNinetyDegreeBin) {
  auto blocks = ComputeFeatures(StepImage(10, 16, false), EdgeOptions());
  ASSERT_TRUE(blocks.ok());
  const std::vector<float>& s = FindBlock(*blocks, "sobel_edge_hist")->values;
  for (int k = 0; k < 8; ++k) EXPECT_EQ(s[k], k == 4 ? 1.0f : 0.0f) << k;  // 90° / 22.5° = bin 4
  EXPECT_FLOAT_EQ(s[8], 2.0f / 16.0f);
  const std::vector<float>& c = FindBlock(*blocks, "canny_edge_density")->values;
  EXPECT_GT(c[0], 0.0f);
  for (int k = 0; k < 8; ++k) EXPECT_EQ(c[1 + k], k == 4 ? 1.0f : 0.0f) << k;
}

TEST(EdgeFeatures, UniformImageHasNoEdges) {
  auto blocks = ComputeFeatures(testing::SolidImage(33, 21, 90, 140, 200), EdgeOptions());
  ASSERT_TRUE(blocks.ok());
  for (const FeatureBlock& b : *blocks) {
    for (float v : b.values) EXPECT_EQ(v, 0.0f) << b.name;
  }
}

TEST(CannyEdgeDensity, VerticalStepEdgePixelsPointAlongX) {
  auto blocks = ComputeFeatures(StepImage(20, 10, true), EdgeOptions());
  ASSERT_TRUE(blocks.ok());
  const std::vector<float>& c = FindBlock(*blocks, "canny_edge_density")->values;
  ASSERT_EQ(c.size(), 9u);
  // Non-maximum suppression keeps one column of the two equal responses: 10 of 200 pixels.
  EXPECT_FLOAT_EQ(c[0], 10.0f / 200.0f);
  EXPECT_FLOAT_EQ(c[1], 1.0f);
}

int ReferenceBin(double gx, double gy, int bins) {
  double angle = std::atan2(gy, gx) * 180.0 / CV_PI;
  if (angle < 0) angle += 180.0;
  if (angle >= 180.0) angle -= 180.0;
  return std::min(bins - 1, int(std::floor(angle / (180.0 / bins))));
}

TEST(EdgeFeatures, MatchCannyAndAtan2ReferenceOnRealPhotos) {
  const auto photos = testing::SamplePhotos(4);
  ASSERT_FALSE(photos.empty());
  for (const std::string& path : photos) {
    auto image = ReadImageFile(path);
    ASSERT_TRUE(image.ok()) << path;
    FeatureOptions o = EdgeOptions();
    o.resize_to = 256;
    auto blocks = ComputeFeatures(*image, o);
    ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();

    // Reference on the same resized grayscale image, computed directly with OpenCV.
    cv::Mat rgb, gray, edges, gx, gy;
    const cv::Size size = features::ResizedSize(image->width, image->height, 256);
    cv::resize(testing::RgbMat(*image), rgb, size, 0, 0,
               size.width <= image->width ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    cv::Canny(gray, edges, 50, 150);
    const double density = cv::countNonZero(edges) / double(gray.total());
    cv::Sobel(gray, gx, CV_32F, 1, 0, 3, 1, 0, cv::BORDER_REPLICATE);
    cv::Sobel(gray, gy, CV_32F, 0, 1, 3, 1, 0, cv::BORDER_REPLICATE);
    std::vector<double> weighted(8, 0), counted(8, 0);
    double total_magnitude = 0, n_edges = 0;
    for (int y = 0; y < gray.rows; ++y) {
      for (int x = 0; x < gray.cols; ++x) {
        const double dx = gx.at<float>(y, x), dy = gy.at<float>(y, x);
        const double m = std::hypot(dx, dy);
        const int bin = ReferenceBin(dx, dy, 8);
        weighted[bin] += m;
        total_magnitude += m;
        if (edges.at<uint8_t>(y, x)) {
          counted[bin] += 1;
          n_edges += 1;
        }
      }
    }
    const std::vector<float>& s = FindBlock(*blocks, "sobel_edge_hist")->values;
    const std::vector<float>& c = FindBlock(*blocks, "canny_edge_density")->values;
    EXPECT_GT(density, 0.0) << path;
    EXPECT_NEAR(c[0], density, 1e-6) << path;
    for (int k = 0; k < 8; ++k) {
      // Pixels exactly on a bin boundary may fall either side of it in the two computations.
      EXPECT_NEAR(s[k], weighted[k] / total_magnitude, 1e-3) << path << " bin " << k;
      EXPECT_NEAR(c[1 + k], counted[k] / n_edges, 1e-3) << path << " bin " << k;
    }
    EXPECT_NEAR(s[8], total_magnitude / gray.total() / 1020.0, 1e-5) << path;
    EXPECT_NEAR(testing::Sum(s, 0, 8), 1.0, 1e-5);
    EXPECT_NEAR(testing::Sum(c, 1, 9), 1.0, 1e-5);
  }
}

TEST(OrientationBinner, AgreesWithAtan2AwayFromBoundaries) {
  for (int bins : {1, 4, 8, 9, 12}) {
    const features::OrientationBinner binner(bins);
    for (int gx = -40; gx <= 40; ++gx) {
      for (int gy = -40; gy <= 40; ++gy) {
        if (gx == 0 && gy == 0) continue;
        double angle = std::atan2(double(gy), double(gx)) * 180.0 / CV_PI;
        if (angle < 0) angle += 180.0;
        const double pos = angle / (180.0 / bins);
        if (std::fabs(pos - std::round(pos)) < 1e-9) continue;  // on a boundary
        ASSERT_EQ(binner.Bin(gx, gy), ReferenceBin(gx, gy, bins)) << gx << "," << gy << " bins " << bins;
      }
    }
  }
}

TEST(OrientationBinner, AxisAlignedGradientsAreExact) {
  // Horizontal gradients (either sign) are 0°, vertical ones 90°: bin 0 and bin bins/2 exactly,
  // even at the Sobel extremes.
  for (int bins : {2, 4, 8, 12, 18}) {
    const features::OrientationBinner binner(bins);
    for (int g : {1, 7, 255, 1020, 1442}) {
      EXPECT_EQ(binner.Bin(g, 0), 0) << g;
      EXPECT_EQ(binner.Bin(-g, 0), 0) << g;
      EXPECT_EQ(binner.Bin(0, g), bins / 2) << g << " bins " << bins;
      EXPECT_EQ(binner.Bin(0, -g), bins / 2) << g << " bins " << bins;
    }
  }
}

}  // namespace
}  // namespace vigil
