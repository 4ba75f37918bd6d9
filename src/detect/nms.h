// Non-maximum suppression over candidate boxes (greedy, best score first), per class or across
// classes. A candidate is dropped when its IoU with an already kept box (of the same class unless
// class-agnostic) is greater than iou_threshold. Equivalent to running NMS within each class and
// then keeping the max_detections best survivors overall.
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "detect/detection_decode.h"

namespace vigil {

// Intersection over union of two boxes (x1, y1, x2, y2); 0 when either has no area.
float BoxIou(const Candidate& a, const Candidate& b);

// Indices of the kept candidates, best score first (ties: lower index first), at most
// max_detections of them.
std::vector<size_t> NonMaxSuppression(const std::vector<Candidate>& candidates, float iou_threshold,
                                      int max_detections, bool class_agnostic);

}  // namespace vigil
