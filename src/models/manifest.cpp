// Model manifest: JSON form of ModelManifest (models/<name>/<version>/manifest.json), with validation.
#include <nlohmann/json.hpp>

#include "vigil/model_manifest.h"
#include "vigil/text_checks.h"

namespace vigil {
namespace {

using nlohmann::json;

template <typename T>
void ReadOptional(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) *out = it->get<T>();
}

Status ValidateDetection(const ModelManifest& m) {
  const DetectionSpec& d = m.detection;
  auto bad = [](const std::string& what) { return InvalidArgumentError("manifest: \"detection." + what); };
  if (d.architecture != "nanodet" && d.architecture != "centernet") {
    return UnsupportedError("manifest: \"detection.architecture\" \"" + d.architecture +
                            "\" is not supported (nanodet, centernet)");
  }
  if (d.strides.empty()) return bad("strides\" is empty");
  for (int s : d.strides) {
    if (s < 1 || s > 1024) return bad("strides\" values must be in 1..1024");
    if (m.input.width % s != 0 || m.input.height % s != 0) {
      return bad("strides\" value " + std::to_string(s) + " does not divide the input size");
    }
  }
  if (d.architecture == "centernet" && d.strides.size() != 1) {
    return bad("strides\" must hold one value for centernet");
  }
  if (d.score_outputs.size() != d.strides.size() || d.box_outputs.size() != d.strides.size()) {
    return bad("outputs\" must name one score and one box output per stride");
  }
  for (const auto* list : {&d.score_outputs, &d.box_outputs}) {
    for (const std::string& name : *list) {
      if (name.empty()) return bad("outputs\" has an empty output name");
    }
  }
  if (d.architecture == "nanodet" && (d.reg_max < 1 || d.reg_max > 64)) {
    return bad("reg_max\" must be in 1..64 for nanodet");
  }
  if (d.top_k < 1 || d.top_k > 10000) return bad("top_k\" must be in 1..10000");
  if (!(d.score_threshold >= 0 && d.score_threshold <= 1)) {
    return bad("score_threshold\" must be in [0, 1]");
  }
  if (!(d.iou_threshold > 0 && d.iou_threshold <= 1)) return bad("iou_threshold\" must be in (0, 1]");
  if (d.max_detections < 1 || d.max_detections > kMaxDetections) {
    return bad("max_detections\" must be in 1.." + std::to_string(kMaxDetections));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateManifest(const ModelManifest& m) {
  if (m.name.empty()) return InvalidArgumentError("manifest: \"name\" is empty");
  VIGIL_RETURN_IF_ERROR(CheckName(m.name, "manifest: \"name\""));  // before echoing it below
  for (char c : m.name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return InvalidArgumentError("manifest: \"name\" \"" + m.name +
                                  "\" may contain only letters, digits, '_', '-' and '.'");
    }
  }
  if (m.version < 1) return InvalidArgumentError("manifest: \"version\" must be >= 1");
  if (m.task != "classification" && m.task != "detection") {
    return UnsupportedError("manifest: \"task\" \"" + m.task +
                            "\" is not supported (classification, detection)");
  }
  if (m.input.width < 1 || m.input.height < 1 || m.input.width > 8192 || m.input.height > 8192) {
    return InvalidArgumentError("manifest: \"input.width\"/\"input.height\" must be in 1..8192");
  }
  if (m.input.channels != 3) return UnsupportedError("manifest: \"input.channels\" must be 3");
  if (m.input.layout != "NHWC" && m.input.layout != "NCHW") {
    return InvalidArgumentError("manifest: \"input.layout\" must be \"NHWC\" or \"NCHW\"");
  }
  if (m.input.frames < 1 || m.input.frames > 256) {
    return InvalidArgumentError("manifest: \"input.frames\" must be in 1..256");
  }
  if (m.input.frames > 1 && m.input.layout != "NCHW") {
    return InvalidArgumentError(
        "manifest: a clip model (\"input.frames\" > 1, input N x C x T x H x W) needs layout \"NCHW\"");
  }
  if (m.preprocessing.color != "RGB" && m.preprocessing.color != "BGR") {
    return InvalidArgumentError("manifest: \"preprocessing.color\" must be \"RGB\" or \"BGR\"");
  }
  if (m.preprocessing.resize != "stretch" && m.preprocessing.resize != "letterbox") {
    return UnsupportedError("manifest: \"preprocessing.resize\" \"" + m.preprocessing.resize +
                            "\" is not supported (use \"stretch\" or \"letterbox\")");
  }
  if (m.preprocessing.pad_value < 0 || m.preprocessing.pad_value > 255) {
    return InvalidArgumentError("manifest: \"preprocessing.pad_value\" must be in 0..255");
  }
  for (float s : m.preprocessing.std) {
    if (!(s > 0)) return InvalidArgumentError("manifest: \"preprocessing.std\" values must be > 0");
  }
  if (m.labels.empty()) return InvalidArgumentError("manifest: \"labels\" is empty");
  for (const std::string& label : m.labels) VIGIL_RETURN_IF_ERROR(CheckText(label, "manifest: a label"));
  if (m.task == "classification" && m.head.file.empty() && m.probabilities_output.empty()) {
    return InvalidArgumentError("manifest: \"outputs.probabilities\" is empty");
  }
  if (m.task == "detection") VIGIL_RETURN_IF_ERROR(ValidateDetection(m));
  if (!m.head.file.empty()) {
    if (m.task != "classification") return InvalidArgumentError("manifest: \"head\" needs task classification");
    if (m.head.file.find('/') != std::string::npos || m.head.file[0] == '.') {
      return InvalidArgumentError("manifest: \"head.file\" must be a plain file name in the version folder");
    }
    if (m.head.inputs.empty()) return InvalidArgumentError("manifest: \"head.inputs\" is empty");
    for (const std::string& in : m.head.inputs) {
      if (in != "embedding" && in != "classical") {
        return InvalidArgumentError("manifest: \"head.inputs\" entry \"" + in +
                                    "\" is not \"embedding\" or \"classical\"");
      }
      if (in == "embedding" && m.embedding_output.empty()) {
        return InvalidArgumentError("manifest: head input \"embedding\" needs \"outputs.embedding\"");
      }
    }
  }
  if (m.backend != "auto" && m.backend != "xnnpack" && m.backend != "onednn" && m.backend != "opencv") {
    return InvalidArgumentError("manifest: \"backend\" must be auto, xnnpack, onednn or opencv");
  }
  return Status::Ok();
}

Result<ModelManifest> ParseManifest(const std::string& json_text) {
  ModelManifest m;
  try {
    json j = json::parse(json_text);
    if (!j.is_object()) return InvalidArgumentError("manifest: not a JSON object");
    m.name = j.at("name").get<std::string>();
    m.version = j.at("version").get<int>();
    ReadOptional(j, "task", &m.task);
    ReadOptional(j, "description", &m.description);
    ReadOptional(j, "source", &m.source);
    ReadOptional(j, "backend", &m.backend);
    const json& in = j.at("input");
    ReadOptional(in, "name", &m.input.name);
    m.input.width = in.at("width").get<int>();
    m.input.height = in.at("height").get<int>();
    ReadOptional(in, "channels", &m.input.channels);
    ReadOptional(in, "layout", &m.input.layout);
    ReadOptional(in, "frames", &m.input.frames);
    if (j.contains("preprocessing")) {
      const json& p = j.at("preprocessing");
      ReadOptional(p, "color", &m.preprocessing.color);
      ReadOptional(p, "scale", &m.preprocessing.scale);
      ReadOptional(p, "mean", &m.preprocessing.mean);
      ReadOptional(p, "std", &m.preprocessing.std);
      ReadOptional(p, "resize", &m.preprocessing.resize);
      ReadOptional(p, "align_corners", &m.preprocessing.align_corners);
      ReadOptional(p, "half_pixel_centers", &m.preprocessing.half_pixel_centers);
      ReadOptional(p, "pad_value", &m.preprocessing.pad_value);
    }
    m.labels = j.at("labels").get<std::vector<std::string>>();
    if (m.task == "detection") {
      const json& d = j.at("detection");
      DetectionSpec& spec = m.detection;
      spec.architecture = d.at("architecture").get<std::string>();
      spec.strides = d.at("strides").get<std::vector<int>>();
      ReadOptional(d, "reg_max", &spec.reg_max);
      ReadOptional(d, "top_k", &spec.top_k);
      ReadOptional(d, "score_threshold", &spec.score_threshold);
      ReadOptional(d, "iou_threshold", &spec.iou_threshold);
      ReadOptional(d, "max_detections", &spec.max_detections);
      ReadOptional(d, "class_agnostic_nms", &spec.class_agnostic_nms);
      const json& out = d.at("outputs");
      spec.score_outputs = out.at("scores").get<std::vector<std::string>>();
      spec.box_outputs = out.at("boxes").get<std::vector<std::string>>();
    } else {
      const json& out = j.at("outputs");
      ReadOptional(out, "probabilities", &m.probabilities_output);
      ReadOptional(out, "embedding", &m.embedding_output);
      ReadOptional(out, "embedding_size", &m.embedding_size);
      if (j.contains("head") && !j.at("head").is_null()) {
        const json& h = j.at("head");
        m.head.file = h.at("file").get<std::string>();
        m.head.inputs = h.at("inputs").get<std::vector<std::string>>();
      }
    }
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("manifest: ") + e.what());
  }
  VIGIL_RETURN_IF_ERROR(ValidateManifest(m));
  return m;
}

std::string SerializeManifest(const ModelManifest& m) {
  json j;
  j["name"] = m.name;
  j["version"] = m.version;
  j["task"] = m.task;
  j["description"] = m.description;
  j["source"] = m.source;
  j["backend"] = m.backend;
  j["input"] = {{"name", m.input.name},     {"width", m.input.width},
                {"height", m.input.height}, {"channels", m.input.channels},
                {"layout", m.input.layout}};
  if (m.input.frames != 1) j["input"]["frames"] = m.input.frames;
  j["preprocessing"] = {{"color", m.preprocessing.color},
                        {"scale", m.preprocessing.scale},
                        {"mean", m.preprocessing.mean},
                        {"std", m.preprocessing.std},
                        {"resize", m.preprocessing.resize},
                        {"align_corners", m.preprocessing.align_corners},
                        {"half_pixel_centers", m.preprocessing.half_pixel_centers},
                        {"pad_value", m.preprocessing.pad_value}};
  j["labels"] = m.labels;
  if (m.task == "detection") {
    const DetectionSpec& d = m.detection;
    j["detection"] = {{"architecture", d.architecture},
                      {"strides", d.strides},
                      {"reg_max", d.reg_max},
                      {"top_k", d.top_k},
                      {"score_threshold", d.score_threshold},
                      {"iou_threshold", d.iou_threshold},
                      {"max_detections", d.max_detections},
                      {"class_agnostic_nms", d.class_agnostic_nms},
                      {"outputs", {{"scores", d.score_outputs}, {"boxes", d.box_outputs}}}};
  } else {
    j["outputs"] = {{"probabilities", m.probabilities_output},
                    {"embedding", m.embedding_output},
                    {"embedding_size", m.embedding_size}};
    if (!m.head.file.empty()) j["head"] = {{"file", m.head.file}, {"inputs", m.head.inputs}};
  }
  return j.dump(2) + "\n";
}

bool ManifestNeedsOnnx(const ModelManifest& m) {
  if (m.head.file.empty()) return true;
  for (const std::string& in : m.head.inputs) {
    if (in == "embedding") return true;
  }
  return false;
}

bool ManifestUsesClassicalFeatures(const ModelManifest& m) {
  for (const std::string& in : m.head.inputs) {
    if (in == "classical") return true;
  }
  return false;
}

}  // namespace vigil
