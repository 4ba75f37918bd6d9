// features_bench: cost of the classical descriptors (vigil::ComputeFeatureVector) per image, on
// the sample photos (full decode + resize to 256 px + all blocks) and on a 256x192 image, against
// OpenCV's own HOG alone as a reference point. Median of repeated runs.
// usage: features_bench PHOTO...
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "vigil/features.h"
#include "vigil/image.h"

namespace {

template <typename F>
double MedianMs(int runs, F f) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  cv::setNumThreads(1);
  std::vector<vigil::Image> photos;
  for (int i = 1; i < argc; ++i) {
    auto img = vigil::ReadImageFile(argv[i]);
    if (img.ok()) photos.push_back(std::move(*img));
  }
  cv::Mat rgb(192, 256, CV_8UC3);
  cv::randu(rgb, 0, 256);
  vigil::Image small{256, 192, std::vector<uint8_t>(rgb.data, rgb.data + rgb.total() * 3)};
  const double small_ms = MedianMs(50, [&] { (void)vigil::ComputeFeatureVector(small); });
  cv::Mat gray;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  cv::resize(gray, gray, cv::Size(128, 128));
  cv::HOGDescriptor hog(cv::Size(128, 128), cv::Size(32, 32), cv::Size(16, 16), cv::Size(16, 16), 9);
  std::vector<float> out;
  const double hog_ms = MedianMs(50, [&] { hog.compute(gray, out); });
  std::printf("256x192 image, all blocks: %.2f ms (OpenCV HOG alone: %.2f ms), 1 thread\n", small_ms, hog_ms);
  if (!photos.empty()) {
    double total = 0;
    for (const vigil::Image& p : photos) total += MedianMs(5, [&] { (void)vigil::ComputeFeatureVector(p); });
    std::printf("%zu photos (resize to 256 px + all blocks): %.2f ms per photo\n", photos.size(),
                total / photos.size());
  }
  return 0;
}
