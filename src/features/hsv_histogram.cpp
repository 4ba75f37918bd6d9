// hsv_hist: joint H,S,V histogram of OpenCV's 8-bit HSV (cv::COLOR_RGB2HSV: H in [0,180), S and V
// in [0,256)), normalised to sum to 1. Bin of h is h * bins_h / 180, of s and v value * bins / 256.
#include <cstdint>

#include <opencv2/imgproc.hpp>

#include "features/descriptors.h"

namespace vigil::features {

Result<std::vector<float>> HsvHistogram(const cv::Mat& rgb, int bins_h, int bins_s, int bins_v) {
  cv::Mat hsv;
  try {
    cv::cvtColor(rgb, hsv, cv::COLOR_RGB2HSV);
  } catch (const cv::Exception& e) {
    return InternalError(std::string("features: RGB to HSV: ") + e.what());
  }
  int lut_h[256], lut_s[256], lut_v[256];
  for (int v = 0; v < 256; ++v) {
    lut_h[v] = v < 180 ? v * bins_h / 180 : bins_h - 1;  // OpenCV's 8-bit H never exceeds 179
    lut_s[v] = v * bins_s / 256;
    lut_v[v] = v * bins_v / 256;
  }
  std::vector<uint32_t> counts(size_t(bins_h) * bins_s * bins_v, 0);
  for (int y = 0; y < hsv.rows; ++y) {
    const uint8_t* p = hsv.ptr<uint8_t>(y);
    for (int x = 0; x < hsv.cols; ++x, p += 3) {
      ++counts[(size_t(lut_h[p[0]]) * bins_s + lut_s[p[1]]) * bins_v + lut_v[p[2]]];
    }
  }
  std::vector<float> hist(counts.size());
  const double n = double(hsv.total());
  for (size_t i = 0; i < counts.size(); ++i) hist[i] = float(counts[i] / n);
  return hist;
}

}  // namespace vigil::features
