// The JSON of detection results, shared by `vigil classify --json` and POST /v1/images:classify
// so both print the same shape (see docs/detection.md and docs/http-api.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vigil/detector.h"

namespace vigil::server {

// [{"label","score","count"}...], best score first.
nlohmann::json TagsJson(const std::vector<DetectionTag>& tags);
// [{"label","class_id","score","box":[x_min,y_min,x_max,y_max]}...] in image pixels.
nlohmann::json DetectionsJson(const DetectionResult& result);
// One model's entry of "results": {"model","version","task":"detection","backend","detections","tags"}.
nlohmann::json DetectionModelJson(const DetectionResult& result, const std::string& backend);
// A whole answer for one image and one detector, as `vigil classify -m DETECTOR --json` prints it
// (without "path"): {"width","height","results":[DetectionModelJson],"tags"}.
nlohmann::json SingleDetectorJson(const DetectionResult& result, const std::string& backend);

}  // namespace vigil::server
