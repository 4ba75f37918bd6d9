// Tags from detections (the classes present in an image, with best score and count), and mapping
// detections between image sizes.
#include <algorithm>
#include <map>

#include "vigil/detector.h"

namespace vigil {

std::vector<DetectionTag> TagsFromDetections(const std::vector<Detection>& detections) {
  std::map<std::string, DetectionTag> by_label;
  for (const Detection& d : detections) {
    DetectionTag& t = by_label[d.label];
    t.label = d.label;
    t.score = std::max(t.score, d.score);
    ++t.count;
  }
  std::vector<DetectionTag> tags;
  tags.reserve(by_label.size());
  for (auto& [label, tag] : by_label) tags.push_back(std::move(tag));
  std::stable_sort(tags.begin(), tags.end(), [](const DetectionTag& a, const DetectionTag& b) {
    return a.score > b.score;
  });
  return tags;
}

void RescaleDetections(DetectionResult* result, int width, int height) {
  if (width <= 0 || height <= 0 || result->image_width <= 0 || result->image_height <= 0) return;
  if (width == result->image_width && height == result->image_height) return;
  const double sx = double(width) / result->image_width;
  const double sy = double(height) / result->image_height;
  for (Detection& d : result->detections) {
    d.box.x_min = std::min(float(d.box.x_min * sx), float(width));
    d.box.x_max = std::min(float(d.box.x_max * sx), float(width));
    d.box.y_min = std::min(float(d.box.y_min * sy), float(height));
    d.box.y_max = std::min(float(d.box.y_max * sy), float(height));
  }
  result->image_width = width;
  result->image_height = height;
}

void OrientedSourceSize(const DecodeInfo& info, int* width, int* height) {
  const bool swap = info.exif_orientation >= 5 && info.exif_orientation <= 8;
  *width = swap ? info.source_height : info.source_width;
  *height = swap ? info.source_width : info.source_height;
}

}  // namespace vigil
