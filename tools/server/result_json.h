// The JSON of classification and detection results, shared by `vigil classify --json` and
// POST /v1/images:classify so both print the same shapes (see docs/detection.md and
// docs/http-api.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vigil/scoring_model.h"

namespace vigil::server {

// [{"label","score"}...], in the prediction's order (best first).
nlohmann::json LabelsJson(const std::vector<LabelScore>& labels);
// A classifier's answer for one image: {"model","version","predictions":LabelsJson}, plus
// "embedding" when the prediction has one. POST /v1/images:classify answers this; `vigil classify
// --json` with one classifier adds "path" and "backend".
nlohmann::json PredictionJson(const Prediction& prediction);
// One classifier's entry of "results": PredictionJson + {"task":"classification","backend"}.
nlohmann::json ClassificationModelJson(const Prediction& prediction, const std::string& backend);

// [{"label","score","count"}...], best score first.
nlohmann::json TagsJson(const std::vector<DetectionTag>& tags);
// [{"label","class_id","score","box":[x_min,y_min,x_max,y_max]}...] in image pixels.
nlohmann::json DetectionsJson(const DetectionResult& result);
// One model's entry of "results": {"model","version","task":"detection","backend","detections","tags"}.
nlohmann::json DetectionModelJson(const DetectionResult& result, const std::string& backend);
// A whole answer for one image and one detector, as `vigil classify -m DETECTOR --json` prints it
// (without "path"): {"width","height","results":[DetectionModelJson],"tags"}.
nlohmann::json SingleDetectorJson(const DetectionResult& result, const std::string& backend);

// One model's entry of "results", by the output's task: ClassificationModelJson or
// DetectionModelJson (with the output's backend).
nlohmann::json ModelResultJson(const ModelOutput& output);
// One model's answer for one image, as POST /v1/images:classify gives it per image: a classifier's
// PredictionJson, a detector's SingleDetectorJson.
nlohmann::json SingleModelJson(const ModelOutput& output);

}  // namespace vigil::server
