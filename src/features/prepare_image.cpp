// Image preparation for the descriptors: wrap the RGB pixels, resize the longest side, grayscale
// and (when edge blocks are wanted) 3x3 Sobel derivatives shared by the Sobel and Canny blocks.
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "features/descriptors.h"

namespace vigil::features {

cv::Size ResizedSize(int width, int height, int resize_to) {
  if (resize_to <= 0 || std::max(width, height) == resize_to) return {width, height};
  const double scale = double(resize_to) / std::max(width, height);
  int w = width >= height ? resize_to : std::max(1, int(std::lround(width * scale)));
  int h = height > width ? resize_to : std::max(1, int(std::lround(height * scale)));
  return {w, h};
}

Result<PreparedImage> PrepareImage(const Image& image, int resize_to, bool with_gradients) {
  PreparedImage out;
  try {
    cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
    const cv::Size size = ResizedSize(image.width, image.height, resize_to);
    if (size == src.size()) {
      out.rgb = src;
    } else {
      const bool shrink = size.width <= image.width && size.height <= image.height;
      cv::resize(src, out.rgb, size, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    cv::cvtColor(out.rgb, out.gray, cv::COLOR_RGB2GRAY);
    if (with_gradients) {
      // The same derivatives cv::Canny computes for itself (3x3 aperture, replicated border).
      cv::Sobel(out.gray, out.dx, CV_16S, 1, 0, 3, 1, 0, cv::BORDER_REPLICATE);
      cv::Sobel(out.gray, out.dy, CV_16S, 0, 1, 3, 1, 0, cv::BORDER_REPLICATE);
    }
  } catch (const cv::Exception& e) {
    return InternalError(std::string("features: preparing the image: ") + e.what());
  }
  return out;
}

}  // namespace vigil::features
