// Internal interface of src/features: the prepared (resized, grayscale, Sobel) image and one function
// per descriptor, each in its own file. The public API and the block layout are documented in
// include/vigil/features.h. Thread-safety: stateless functions, safe to call concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "vigil/features.h"
#include "vigil/image.h"
#include "vigil/status.h"

namespace vigil::features {

// The image the descriptors work on.
struct PreparedImage {
  cv::Mat rgb;   // CV_8UC3 in R,G,B order, resized to options.resize_to (may share the Image's pixels)
  cv::Mat gray;  // CV_8UC1, cv::COLOR_RGB2GRAY of rgb
  cv::Mat dx;    // CV_16SC1 3x3 Sobel x of gray (BORDER_REPLICATE); empty unless with_gradients
  cv::Mat dy;    // CV_16SC1 3x3 Sobel y
};

// Size after scaling the longest side to resize_to, keeping the aspect ratio (0 = unchanged).
cv::Size ResizedSize(int width, int height, int resize_to);

// Wraps, resizes and converts `image` (which must outlive the result). kInternal on OpenCV errors.
Result<PreparedImage> PrepareImage(const Image& image, int resize_to, bool with_gradients);

// Unsigned gradient orientation bins over [0, 180°): angle = atan2(gy, gx) folded into [0,180),
// bin k covers [k, k+1) * 180°/bins. Decided with cross products against the bin boundaries (no
// atan2; boundaries from double cos/sin rounded to float, so axis-aligned gradients are exact):
// bin = number of boundaries b with cos(b) * gy - sin(b) * gx >= 0 after folding. (0, 0) -> bin 0.
class OrientationBinner {
 public:
  explicit OrientationBinner(int bins);
  int bins() const { return int(cos_.size()) + 1; }
  int Bin(int gx, int gy) const;
  // Bins of n gradients at once (vectorisable); fx, fy are scratch space of n floats each.
  void BinRow(const int16_t* gx, const int16_t* gy, int n, float* fx, float* fy, uint8_t* out) const;

 private:
  std::vector<float> cos_, sin_;  // boundaries k*180/bins for k = 1..bins-1
};

// rgb_hist: joint histogram, bins^3 values summing to 1.
std::vector<float> RgbHistogram(const cv::Mat& rgb, int bins);
// hsv_hist: joint histogram of OpenCV 8-bit HSV, bins_h*bins_s*bins_v values summing to 1.
Result<std::vector<float>> HsvHistogram(const cv::Mat& rgb, int bins_h, int bins_s, int bins_v);
// sobel_edge_hist: magnitude-weighted orientation histogram (bins) + mean magnitude / 1020.
std::vector<float> SobelEdgeHistogram(const cv::Mat& dx, const cv::Mat& dy, int bins);
// canny_edge_density: edge fraction + orientation histogram (bins) of the edge pixels.
Result<std::vector<float>> CannyEdgeDensity(const cv::Mat& dx, const cv::Mat& dy, double low,
                                            double high, int bins);
// lbp_hist: 59 (uniform) or 10 (rotation-invariant uniform) values summing to 1.
std::vector<float> LbpHistogram(const cv::Mat& gray, int radius, bool rotation_invariant);
// The LBP code -> bin table used by LbpHistogram.
std::array<uint8_t, 256> LbpBinTable(bool rotation_invariant);
// hog: cv::HOGDescriptor of gray stretched to hog_window^2. kInternal on OpenCV errors.
Result<std::vector<float>> HogFeatures(const cv::Mat& gray, const FeatureOptions& options);
// Length of the hog block for these options.
int HogDimension(const FeatureOptions& options);

}  // namespace vigil::features
