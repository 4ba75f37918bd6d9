// sobel_edge_hist: orientation histogram of the 3x3 Sobel gradient, each pixel weighted by its
// magnitude sqrt(gx^2 + gy^2), normalised to sum to 1 (all zero on a flat image), followed by the
// mean magnitude divided by 1020 (the Sobel x response across a 0 -> 255 step).
#include <cmath>
#include <cstdint>

#include "features/descriptors.h"

namespace vigil::features {

std::vector<float> SobelEdgeHistogram(const cv::Mat& dx, const cv::Mat& dy, int bins) {
  const OrientationBinner binner(bins);
  std::vector<double> weights(size_t(bins), 0.0);
  double total = 0;
  for (int y = 0; y < dx.rows; ++y) {
    const int16_t* gx = dx.ptr<int16_t>(y);
    const int16_t* gy = dy.ptr<int16_t>(y);
    for (int x = 0; x < dx.cols; ++x) {
      if (gx[x] == 0 && gy[x] == 0) continue;
      const double magnitude = std::sqrt(double(gx[x]) * gx[x] + double(gy[x]) * gy[x]);
      weights[size_t(binner.Bin(gx[x], gy[x]))] += magnitude;
      total += magnitude;
    }
  }
  std::vector<float> out(size_t(bins) + 1, 0.0f);
  if (total > 0) {
    for (int k = 0; k < bins; ++k) out[size_t(k)] = float(weights[size_t(k)] / total);
  }
  out[size_t(bins)] = float(total / double(dx.total()) / 1020.0);
  return out;
}

}  // namespace vigil::features
