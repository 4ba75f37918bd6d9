// Greedy non-maximum suppression (see nms.h).
#include "detect/nms.h"

#include <algorithm>
#include <numeric>

namespace vigil {

float BoxIou(const Candidate& a, const Candidate& b) {
  const float area_a = std::max(0.0f, a.x2 - a.x1) * std::max(0.0f, a.y2 - a.y1);
  const float area_b = std::max(0.0f, b.x2 - b.x1) * std::max(0.0f, b.y2 - b.y1);
  if (area_a <= 0 || area_b <= 0) return 0;
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const float inter = iw * ih;
  return inter / (area_a + area_b - inter);
}

std::vector<size_t> NonMaxSuppression(const std::vector<Candidate>& candidates, float iou_threshold,
                                      int max_detections, bool class_agnostic) {
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return candidates[a].score > candidates[b].score;
  });
  std::vector<size_t> kept;
  for (size_t i : order) {
    if (max_detections >= 0 && kept.size() >= size_t(max_detections)) break;
    const Candidate& c = candidates[i];
    bool suppressed = false;
    for (size_t k : kept) {
      const Candidate& other = candidates[k];
      if (!class_agnostic && other.class_id != c.class_id) continue;
      if (BoxIou(c, other) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(i);
  }
  return kept;
}

}  // namespace vigil
