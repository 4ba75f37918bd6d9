// Helpers for tests/unit/features: vigil::Image <-> cv::Mat (RGB), tiny synthetic images and the
// real sample photos (VIGIL_TEST_DATA, default VIGIL_SOURCE_DIR/data).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "vigil/features.h"
#include "vigil/image.h"

namespace vigil::testing {

inline Image ImageFromRgbMat(const cv::Mat& rgb) {
  Image image;
  image.width = rgb.cols;
  image.height = rgb.rows;
  image.pixels.resize(rgb.total() * 3);
  cv::Mat dst(rgb.rows, rgb.cols, CV_8UC3, image.pixels.data());
  rgb.copyTo(dst);
  return image;
}

inline cv::Mat RgbMat(const Image& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
}

// A width x height image of one colour.
inline Image SolidImage(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  return ImageFromRgbMat(cv::Mat(height, width, CV_8UC3, cv::Scalar(r, g, b)));
}

// Gray image (R = G = B) from row-major values.
inline Image GrayImage(int width, int height, const std::vector<uint8_t>& values) {
  Image image;
  image.width = width;
  image.height = height;
  for (uint8_t v : values) image.pixels.insert(image.pixels.end(), {v, v, v});
  return image;
}

inline const FeatureBlock* FindBlock(const std::vector<FeatureBlock>& blocks, const std::string& name) {
  for (const FeatureBlock& b : blocks) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

// Sum of v[begin, end) in double; end is clamped to v.size().
inline double Sum(const std::vector<float>& v, size_t begin, size_t end) {
  end = std::min(end, v.size());
  return begin < end ? std::accumulate(v.begin() + long(begin), v.begin() + long(end), 0.0) : 0.0;
}
inline double Sum(const std::vector<float>& v) { return Sum(v, 0, v.size()); }

inline std::string SamplesDir() {
  const char* data = std::getenv("VIGIL_TEST_DATA");
  return (data && *data ? std::string(data) : std::string(VIGIL_SOURCE_DIR) + "/data") + "/images/samples";
}

// Up to n sample photos, sorted by name.
inline std::vector<std::string> SamplePhotos(size_t n) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(SamplesDir(), ec)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".jpg" || ext == ".png") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace vigil::testing
