// sobel_edge_hist: orientation histogram of the 3x3 Sobel gradient, each pixel weighted by its
// magnitude sqrt(gx^2 + gy^2), normalised to sum to 1 (all zero on a flat image), followed by the
// mean magnitude divided by 1020 (the Sobel x response across a 0 -> 255 step).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "features/descriptors.h"

namespace vigil::features {

std::vector<float> SobelEdgeHistogram(const cv::Mat& dx, const cv::Mat& dy, int bins) {
  const OrientationBinner binner(bins);
  std::vector<double> weights(size_t(bins), 0.0);
  const size_t n_bins = size_t(bins), width = size_t(dx.cols);
  std::vector<float> row_weights(n_bins), fx(width), fy(width), magnitude(width);
  std::vector<uint8_t> bin(width);
  double total = 0;
  for (int y = 0; y < dx.rows; ++y) {
    const int16_t* gx = dx.ptr<int16_t>(y);
    const int16_t* gy = dy.ptr<int16_t>(y);
    binner.BinRow(gx, gy, dx.cols, fx.data(), fy.data(), bin.data());
    for (int x = 0; x < dx.cols; ++x) {
      magnitude[size_t(x)] = std::sqrt(float(int(gx[x]) * gx[x] + int(gy[x]) * gy[x]));
    }
    // Per-row sums in float (at most a few thousand terms), accumulated in double.
    std::fill(row_weights.begin(), row_weights.end(), 0.0f);
    for (int x = 0; x < dx.cols; ++x) row_weights[bin[size_t(x)]] += magnitude[size_t(x)];
    for (int k = 0; k < bins; ++k) {
      weights[size_t(k)] += row_weights[size_t(k)];
      total += row_weights[size_t(k)];
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
