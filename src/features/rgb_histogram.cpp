// rgb_hist: joint R,G,B colour histogram (bins per channel), normalised to sum to 1. Bin of value v
// is v * bins / 256, the same as cv::calcHist with uniform ranges [0, 256).
#include <cstdint>

#include "features/descriptors.h"

namespace vigil::features {

std::vector<float> RgbHistogram(const cv::Mat& rgb, int bins) {
  int lut[256];
  for (int v = 0; v < 256; ++v) lut[v] = v * bins / 256;
  std::vector<uint32_t> counts(size_t(bins) * bins * bins, 0);
  for (int y = 0; y < rgb.rows; ++y) {
    const uint8_t* p = rgb.ptr<uint8_t>(y);
    for (int x = 0; x < rgb.cols; ++x, p += 3) {
      ++counts[(size_t(lut[p[0]]) * bins + lut[p[1]]) * bins + lut[p[2]]];
    }
  }
  std::vector<float> hist(counts.size());
  const double n = double(rgb.total());
  for (size_t i = 0; i < counts.size(); ++i) hist[i] = float(counts[i] / n);
  return hist;
}

}  // namespace vigil::features
