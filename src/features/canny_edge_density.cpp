// canny_edge_density: the fraction of pixels cv::Canny marks as edges (on the shared 3x3 Sobel
// derivatives, L1 gradient), followed by the orientation histogram of those edge pixels, normalised
// to sum to 1 (all zero when there are no edges).
#include <cstdint>

#include <opencv2/imgproc.hpp>

#include "features/descriptors.h"

namespace vigil::features {

Result<std::vector<float>> CannyEdgeDensity(const cv::Mat& dx, const cv::Mat& dy, double low,
                                            double high, int bins) {
  cv::Mat edges;
  try {
    cv::Canny(dx, dy, edges, low, high, /*L2gradient=*/false);
  } catch (const cv::Exception& e) {
    return InternalError(std::string("features: Canny: ") + e.what());
  }
  const OrientationBinner binner(bins);
  std::vector<uint32_t> counts(size_t(bins), 0);
  std::vector<int16_t> ex, ey;  // gradients of the edge pixels of one row
  std::vector<float> fx, fy;
  std::vector<uint8_t> bin;
  uint64_t n_edges = 0;
  for (int y = 0; y < edges.rows; ++y) {
    const uint8_t* e = edges.ptr<uint8_t>(y);
    const int16_t* gx = dx.ptr<int16_t>(y);
    const int16_t* gy = dy.ptr<int16_t>(y);
    ex.clear();
    ey.clear();
    for (int x = 0; x < edges.cols; ++x) {
      if (!e[x]) continue;
      ex.push_back(gx[x]);
      ey.push_back(gy[x]);
    }
    const int n = int(ex.size());
    if (n == 0) continue;
    fx.resize(size_t(n));
    fy.resize(size_t(n));
    bin.resize(size_t(n));
    binner.BinRow(ex.data(), ey.data(), n, fx.data(), fy.data(), bin.data());
    for (int i = 0; i < n; ++i) ++counts[bin[size_t(i)]];
    n_edges += uint64_t(n);
  }
  std::vector<float> out(size_t(bins) + 1, 0.0f);
  out[0] = float(double(n_edges) / double(edges.total()));
  if (n_edges > 0) {
    for (int k = 0; k < bins; ++k) out[size_t(k) + 1] = float(double(counts[size_t(k)]) / n_edges);
  }
  return out;
}

}  // namespace vigil::features
