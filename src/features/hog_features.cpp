// hog: cv::HOGDescriptor (unsigned gradients, Gaussian block window, L2-Hys block normalisation) of
// the grayscale image stretched to hog_window x hog_window, computed as one detection window.
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "features/descriptors.h"

namespace vigil::features {

int HogDimension(const FeatureOptions& o) {
  const int blocks_per_side = (o.hog_window - o.hog_block) / o.hog_block_stride + 1;
  const int cells_per_block = o.hog_block / o.hog_cell;
  return blocks_per_side * blocks_per_side * cells_per_block * cells_per_block * o.hog_bins;
}

Result<std::vector<float>> HogFeatures(const cv::Mat& gray, const FeatureOptions& o) {
  std::vector<float> out;
  try {
    const cv::Size window(o.hog_window, o.hog_window);
    cv::Mat stretched;
    if (gray.size() == window) {
      stretched = gray;
    } else {
      const bool shrink = gray.cols >= window.width && gray.rows >= window.height;
      cv::resize(gray, stretched, window, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    cv::HOGDescriptor hog(window, cv::Size(o.hog_block, o.hog_block),
                          cv::Size(o.hog_block_stride, o.hog_block_stride),
                          cv::Size(o.hog_cell, o.hog_cell), o.hog_bins);
    hog.compute(stretched, out);
  } catch (const cv::Exception& e) {
    return InternalError(std::string("features: HOG: ") + e.what());
  }
  if (int(out.size()) != HogDimension(o)) {
    return InternalError("features: HOG returned " + std::to_string(out.size()) + " values, expected " +
                         std::to_string(HogDimension(o)));
  }
  return out;
}

}  // namespace vigil::features
