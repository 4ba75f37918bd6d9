// Classification and detection results as JSON (see result_json.h).
#include "result_json.h"

namespace vigil::server {

using nlohmann::json;

json LabelsJson(const std::vector<LabelScore>& labels) {
  json out = json::array();
  for (const LabelScore& l : labels) out.push_back({{"label", l.label}, {"score", l.score}});
  return out;
}

json PredictionJson(const Prediction& prediction) {
  json j = {{"model", prediction.model},
            {"version", prediction.version},
            {"predictions", LabelsJson(prediction.labels)}};
  if (!prediction.embedding.empty()) j["embedding"] = prediction.embedding;
  return j;
}

json ClassificationModelJson(const Prediction& prediction, const std::string& backend) {
  json j = PredictionJson(prediction);
  j["task"] = "classification";
  j["backend"] = backend;
  return j;
}

json TagsJson(const std::vector<DetectionTag>& tags) {
  json out = json::array();
  for (const DetectionTag& t : tags) {
    out.push_back({{"label", t.label}, {"score", t.score}, {"count", t.count}});
  }
  return out;
}

json DetectionsJson(const DetectionResult& result) {
  json out = json::array();
  for (const Detection& d : result.detections) {
    out.push_back({{"label", d.label},
                   {"class_id", d.class_id},
                   {"score", d.score},
                   {"box", {d.box.x_min, d.box.y_min, d.box.x_max, d.box.y_max}}});
  }
  return out;
}

json DetectionModelJson(const DetectionResult& result, const std::string& backend) {
  return {{"model", result.model},         {"version", result.version},
          {"task", "detection"},           {"backend", backend},
          {"detections", DetectionsJson(result)}, {"tags", TagsJson(result.tags)}};
}

json SingleDetectorJson(const DetectionResult& result, const std::string& backend) {
  return {{"width", result.image_width},
          {"height", result.image_height},
          {"results", json::array({DetectionModelJson(result, backend)})},
          {"tags", TagsJson(result.tags)}};
}

json ModelResultJson(const ModelOutput& output) {
  return output.task == "detection" ? DetectionModelJson(output, output.backend)
                                    : ClassificationModelJson(output, output.backend);
}

json SingleModelJson(const ModelOutput& output) {
  return output.task == "detection" ? SingleDetectorJson(output, output.backend) : PredictionJson(output);
}

}  // namespace vigil::server
