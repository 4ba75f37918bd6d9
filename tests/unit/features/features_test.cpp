// The public API as a whole: block layout and dimensions, option validation, bad images, block
// selection, vector normalisation, aspect-keeping resize, and real photos (finite, deterministic,
// histograms summing to 1, stable under JPEG re-encoding). Speed: bench/features_bench.
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "features/descriptors.h"
#include "features_test_util.h"
#include "vigil/features.h"

namespace vigil {
namespace {
using testing::FindBlock;

TEST(Features, DefaultLayout) {
  auto layout = DescribeFeatures();
  ASSERT_TRUE(layout.ok());
  const std::vector<std::pair<std::string, int>> expected = {
      {"rgb_hist", 8 * 8 * 8}, {"hsv_hist", 18 * 4 * 4}, {"sobel_edge_hist", 8 + 1},
      {"canny_edge_density", 1 + 8}, {"lbp_hist", 59}, {"hog", 7 * 7 * 2 * 2 * 9}};
  ASSERT_EQ(layout->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*layout)[i].name, expected[i].first);
    EXPECT_EQ((*layout)[i].dimension, expected[i].second);
  }
  EXPECT_EQ(FeatureDimension().value(), 2641);
}

TEST(Features, BadImagesAreInvalidArgument) {
  Image empty;
  EXPECT_EQ(ComputeFeatures(empty).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeFeatureVector(empty).status().code(), StatusCode::kInvalidArgument);
  Image zero_height = testing::SolidImage(4, 4, 0, 0, 0);
  zero_height.height = 0;
  EXPECT_EQ(ComputeFeatures(zero_height).status().code(), StatusCode::kInvalidArgument);
  Image short_buffer = testing::SolidImage(4, 4, 0, 0, 0);
  short_buffer.pixels.resize(10);
  EXPECT_EQ(ComputeFeatures(short_buffer).status().code(), StatusCode::kInvalidArgument);
}

TEST(Features, BadOptionsAreInvalidArgument) {
  const Image image = testing::SolidImage(8, 8, 1, 2, 3);
  auto bad = [&](auto mutate) {
    FeatureOptions o;
    mutate(o);
    EXPECT_EQ(ComputeFeatures(image, o).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(FeatureDimension(o).status().code(), StatusCode::kInvalidArgument);
  };
  bad([](FeatureOptions& o) { o.blocks = {"rgb_hist", "sift"}; });
  bad([](FeatureOptions& o) { o.rgb_bins = 0; });
  bad([](FeatureOptions& o) { o.hsv_bins_h = 181; });
  bad([](FeatureOptions& o) { o.canny_high = 10; });  // below canny_low
  bad([](FeatureOptions& o) { o.lbp_points = 16; });
  bad([](FeatureOptions& o) { o.resize_to = -1; });
  bad([](FeatureOptions& o) { o.hog_cell = 12; });  // 32 is not a multiple of 12
  bad([](FeatureOptions& o) { o.edge_orientation_bins = 0; });
}

TEST(Features, SelectedBlocksKeepTheFixedOrder) {
  FeatureOptions o;
  o.blocks = {"hog", "rgb_hist"};
  auto blocks = ComputeFeatures(testing::SolidImage(40, 20, 10, 20, 30), o);
  ASSERT_TRUE(blocks.ok());
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].name, "rgb_hist");
  EXPECT_EQ((*blocks)[1].name, "hog");
  EXPECT_EQ(FeatureDimension(o).value(), 512 + 1764);
}

TEST(Features, ResizeKeepsAspectRatio) {
  EXPECT_EQ(features::ResizedSize(1000, 500, 256), cv::Size(256, 128));
  EXPECT_EQ(features::ResizedSize(300, 900, 256), cv::Size(85, 256));
  EXPECT_EQ(features::ResizedSize(100, 50, 256), cv::Size(256, 128));  // enlarged too
  EXPECT_EQ(features::ResizedSize(5000, 3, 256), cv::Size(256, 1));
  EXPECT_EQ(features::ResizedSize(640, 480, 0), cv::Size(640, 480));
}

TEST(Features, TinyAndExtremeAspectImagesWork) {
  const int dimension = FeatureDimension().value();
  for (const auto& size : std::vector<std::pair<int, int>>{{1, 1}, {2, 2}, {1, 500}, {700, 1}, {3, 3}}) {
    cv::Mat rgb(size.second, size.first, CV_8UC3);
    cv::randu(rgb, 0, 256);
    const Image image = testing::ImageFromRgbMat(rgb);
    for (int resize_to : {256, 0}) {
      FeatureOptions o;
      o.resize_to = resize_to;
      auto v = ComputeFeatureVector(image, o);
      ASSERT_TRUE(v.ok()) << size.first << "x" << size.second << ": " << v.status().ToString();
      EXPECT_EQ(int(v->size()), dimension);
      for (float x : *v) ASSERT_TRUE(std::isfinite(x));
      auto blocks = ComputeFeatures(image, o);
      ASSERT_TRUE(blocks.ok());
      EXPECT_NEAR(testing::Sum(FindBlock(*blocks, "rgb_hist")->values), 1.0, 1e-5);
    }
  }
}

TEST(Features, ConcatenationNormalisesEachBlock) {
  const std::vector<FeatureBlock> blocks = {{"a", {3, 4}}, {"b", {0, 0, 0}}, {"c", {1, -1, 2}}};
  EXPECT_EQ(ConcatenateFeatureBlocks(blocks, false, BlockNorm::kNone),
            (std::vector<float>{3, 4, 0, 0, 0, 1, -1, 2}));
  const std::vector<float> l2 = ConcatenateFeatureBlocks(blocks, false, BlockNorm::kL2);
  const std::vector<float> l2_expected = {0.6f, 0.8f, 0, 0, 0, float(1 / std::sqrt(6.0)),
                                          float(-1 / std::sqrt(6.0)), float(2 / std::sqrt(6.0))};
  ASSERT_EQ(l2.size(), l2_expected.size());
  for (size_t i = 0; i < l2.size(); ++i) EXPECT_NEAR(l2[i], l2_expected[i], 1e-6) << i;
  const std::vector<float> l1 = ConcatenateFeatureBlocks(blocks, false, BlockNorm::kL1);
  const std::vector<float> l1_expected = {3 / 7.f, 4 / 7.f, 0, 0, 0, 0.25f, -0.25f, 0.5f};
  for (size_t i = 0; i < l1.size(); ++i) EXPECT_NEAR(l1[i], l1_expected[i], 1e-6) << i;
}

TEST(Features, ConcatenationSquareRootsBeforeNormalising) {
  const std::vector<FeatureBlock> blocks = {{"h", {0.25f, 0.0f, 0.75f}}, {"s", {-4.0f, 9.0f}}};
  const std::vector<float> v = ConcatenateFeatureBlocks(blocks, true, BlockNorm::kL2);
  // sqrt of an L1-normalised histogram already has unit L2 norm; (-2, 3) / sqrt(13).
  const std::vector<float> expected = {0.5f, 0.0f, float(std::sqrt(0.75)), float(-2 / std::sqrt(13.0)),
                                       float(3 / std::sqrt(13.0))};
  ASSERT_EQ(v.size(), expected.size());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], expected[i], 1e-6) << i;
}

TEST(Features, DefaultVectorIsSquareRootedHistograms) {
  auto image = ReadImageFile(testing::SamplePhotos(1).at(0));
  ASSERT_TRUE(image.ok());
  auto blocks = ComputeFeatures(*image);
  auto vector = ComputeFeatureVector(*image);
  ASSERT_TRUE(blocks.ok() && vector.ok());
  const std::vector<float>& rgb = (*blocks)[0].values;  // first block: rgb_hist
  for (size_t i = 0; i < rgb.size(); ++i) EXPECT_NEAR((*vector)[i], std::sqrt(rgb[i]), 1e-5) << i;
}

TEST(Features, RealPhotosAreFiniteDeterministicAndNormalised) {
  const auto photos = testing::SamplePhotos(28);
  ASSERT_GE(photos.size(), 5u) << "need sample photos in " << testing::SamplesDir();
  const FeatureOptions options;
  const int dimension = FeatureDimension(options).value();
  for (const std::string& path : photos) {
    auto image = ReadImageFile(path);
    ASSERT_TRUE(image.ok()) << path << ": " << image.status().ToString();
    auto blocks = ComputeFeatures(*image, options);
    ASSERT_TRUE(blocks.ok()) << path << ": " << blocks.status().ToString();
    for (const char* h : {"rgb_hist", "hsv_hist", "lbp_hist"}) {
      EXPECT_NEAR(testing::Sum(FindBlock(*blocks, h)->values), 1.0, 1e-4) << path << " " << h;
    }
    const std::vector<float>& sobel = FindBlock(*blocks, "sobel_edge_hist")->values;
    const std::vector<float>& canny = FindBlock(*blocks, "canny_edge_density")->values;
    EXPECT_NEAR(testing::Sum(sobel, 0, 8), 1.0, 1e-4) << path;
    EXPECT_GT(sobel[8], 0.0f);
    EXPECT_LT(sobel[8], 1.5f);
    EXPECT_GE(canny[0], 0.0f);
    EXPECT_LE(canny[0], 1.0f);
    if (canny[0] > 0) EXPECT_NEAR(testing::Sum(canny, 1, 9), 1.0, 1e-4) << path;

    auto v1 = ComputeFeatureVector(*image, options);
    auto v2 = ComputeFeatureVector(*image, options);
    ASSERT_TRUE(v1.ok() && v2.ok());
    ASSERT_EQ(int(v1->size()), dimension) << path;
    EXPECT_EQ(*v1, *v2) << path << ": not deterministic";
    size_t offset = 0;
    for (const FeatureBlock& b : *blocks) {
      double sq = 0;
      for (size_t i = 0; i < b.values.size(); ++i) {
        ASSERT_TRUE(std::isfinite((*v1)[offset + i])) << path << " " << b.name;
        sq += double((*v1)[offset + i]) * (*v1)[offset + i];
      }
      // Unit L2 norm, or an all-zero block (e.g. no Canny edges in a smooth synthetic image).
      if (testing::Sum(b.values) == 0 && b.name == "canny_edge_density") {
        EXPECT_EQ(sq, 0.0) << path;
      } else {
        EXPECT_NEAR(sq, 1.0, 1e-4) << path << " " << b.name << " is not L2-normalised";
      }
      offset += b.values.size();
    }
  }
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

TEST(Features, StableUnderJpegReencodingAndDistinctAcrossPhotos) {
  // A photo re-encoded as JPEG (quality 90) must stay closer to itself than to any other photo.
  const auto photos = testing::SamplePhotos(6);
  ASSERT_GE(photos.size(), 3u);
  std::vector<std::vector<float>> originals, reencoded;
  for (const std::string& path : photos) {
    auto image = ReadImageFile(path);
    ASSERT_TRUE(image.ok()) << path;
    cv::Mat bgr;
    cv::cvtColor(testing::RgbMat(*image), bgr, cv::COLOR_RGB2BGR);
    std::vector<uint8_t> jpeg;
    ASSERT_TRUE(cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90}));
    auto decoded = DecodeImage(jpeg.data(), jpeg.size());
    ASSERT_TRUE(decoded.ok()) << path;
    originals.push_back(ComputeFeatureVector(*image).value());
    reencoded.push_back(ComputeFeatureVector(*decoded).value());
  }
  for (size_t i = 0; i < photos.size(); ++i) {
    const double self = Cosine(originals[i], reencoded[i]);
    double closest_other = -1;
    for (size_t j = 0; j < photos.size(); ++j) {
      if (j != i) closest_other = std::max(closest_other, Cosine(reencoded[i], originals[j]));
    }
    std::printf("%s: cosine to itself re-encoded %.4f, to the closest other photo %.4f\n",
                photos[i].substr(photos[i].rfind('/') + 1).c_str(), self, closest_other);
    EXPECT_GT(self, 0.95) << photos[i];
    EXPECT_GT(self, closest_other) << photos[i];
  }
}

}  // namespace
}  // namespace vigil
