// Training-view augmentation on OpenCV (see augment.h).
#include "learn/augment.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace vigil {

Result<AugmentOptions> ParseAugmentOptions(const std::string& spec) {
  AugmentOptions o;
  if (spec.empty() || spec == "none") return o;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == "crop") o.crop = true;
    else if (item == "flip") o.flip = true;
    else if (item == "jitter") o.jitter = true;
    else return InvalidArgumentError("unknown augmentation '" + item + "' (crop, flip, jitter)");
  }
  return o;
}

std::string AugmentSpec(const AugmentOptions& o) {
  std::string s;
  if (o.crop) s += "crop";
  if (o.flip) s += s.empty() ? "flip" : ",flip";
  if (o.jitter) s += s.empty() ? "jitter" : ",jitter";
  return s.empty() ? "none" : s;
}

Result<Image> AugmentImage(const Image& image, const AugmentOptions& o, uint64_t seed) {
  if (image.empty() || image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return InvalidArgumentError("AugmentImage: empty or malformed image");
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  try {
    cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
    cv::Mat m = src;
    if (o.crop) {
      const double area = u(rng) * 0.4 + 0.6;
      const double log_ratio = (u(rng) * 2 - 1) * std::log(4.0 / 3.0);
      const double ratio = std::exp(log_ratio);
      int w = static_cast<int>(std::lround(image.width * std::sqrt(area * ratio)));
      int h = static_cast<int>(std::lround(image.height * std::sqrt(area / ratio)));
      w = std::clamp(w, 1, image.width);
      h = std::clamp(h, 1, image.height);
      const int x = static_cast<int>(u(rng) * (image.width - w + 1)) % (image.width - w + 1);
      const int y = static_cast<int>(u(rng) * (image.height - h + 1)) % (image.height - h + 1);
      m = m(cv::Rect(x, y, w, h));
    }
    cv::Mat out;
    if (o.flip && u(rng) < 0.5) {
      cv::flip(m, out, 1);
    } else {
      out = m.clone();
    }
    if (o.jitter) {
      const double brightness = 0.8 + 0.4 * u(rng), contrast = 0.8 + 0.4 * u(rng),
                   saturation = 0.8 + 0.4 * u(rng);
      cv::Mat f;
      out.convertTo(f, CV_32FC3, brightness);
      // Contrast around the mean grey level, saturation around each pixel's grey value.
      cv::Mat grey;
      cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
      const double mean = cv::mean(grey)[0];
      f = (f - cv::Scalar::all(mean)) * contrast + cv::Scalar::all(mean);
      cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
      cv::Mat grey3;
      cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
      f = grey3 + (f - grey3) * saturation;
      f.convertTo(out, CV_8UC3);  // saturating cast, rounds to nearest
    }
    Image result;
    result.width = out.cols;
    result.height = out.rows;
    result.pixels.assign(out.data, out.data + static_cast<size_t>(out.cols) * out.rows * 3);
    if (!out.isContinuous()) {
      for (int r = 0; r < out.rows; ++r) {
        std::copy(out.ptr<uint8_t>(r), out.ptr<uint8_t>(r) + out.cols * 3,
                  result.pixels.begin() + static_cast<size_t>(r) * out.cols * 3);
      }
    }
    return result;
  } catch (const cv::Exception& e) {
    return InternalError(std::string("AugmentImage: OpenCV: ") + e.what());
  }
}

}  // namespace vigil
