// Model manifest: JSON form of ModelManifest (models/<name>/<version>/manifest.json), with validation.
#include <nlohmann/json.hpp>

#include "vigil/model_manifest.h"

namespace vigil {
namespace {

using nlohmann::json;

template <typename T>
void ReadOptional(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) *out = it->get<T>();
}

}  // namespace

Status ValidateManifest(const ModelManifest& m) {
  if (m.name.empty()) return InvalidArgumentError("manifest: \"name\" is empty");
  for (char c : m.name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return InvalidArgumentError("manifest: \"name\" \"" + m.name +
                                  "\" may contain only letters, digits, '_', '-' and '.'");
    }
  }
  if (m.version < 1) return InvalidArgumentError("manifest: \"version\" must be >= 1");
  if (m.task != "classification") {
    return UnsupportedError("manifest: \"task\" \"" + m.task + "\" is not supported");
  }
  if (m.input.width < 1 || m.input.height < 1 || m.input.width > 8192 || m.input.height > 8192) {
    return InvalidArgumentError("manifest: \"input.width\"/\"input.height\" must be in 1..8192");
  }
  if (m.input.channels != 3) return UnsupportedError("manifest: \"input.channels\" must be 3");
  if (m.input.layout != "NHWC" && m.input.layout != "NCHW") {
    return InvalidArgumentError("manifest: \"input.layout\" must be \"NHWC\" or \"NCHW\"");
  }
  if (m.preprocessing.color != "RGB" && m.preprocessing.color != "BGR") {
    return InvalidArgumentError("manifest: \"preprocessing.color\" must be \"RGB\" or \"BGR\"");
  }
  if (m.preprocessing.resize != "stretch") {
    return UnsupportedError("manifest: \"preprocessing.resize\" \"" + m.preprocessing.resize +
                            "\" is not supported (use \"stretch\")");
  }
  for (float s : m.preprocessing.std) {
    if (!(s > 0)) return InvalidArgumentError("manifest: \"preprocessing.std\" values must be > 0");
  }
  if (m.labels.empty()) return InvalidArgumentError("manifest: \"labels\" is empty");
  if (m.probabilities_output.empty()) {
    return InvalidArgumentError("manifest: \"outputs.probabilities\" is empty");
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
    if (j.contains("preprocessing")) {
      const json& p = j.at("preprocessing");
      ReadOptional(p, "color", &m.preprocessing.color);
      ReadOptional(p, "scale", &m.preprocessing.scale);
      ReadOptional(p, "mean", &m.preprocessing.mean);
      ReadOptional(p, "std", &m.preprocessing.std);
      ReadOptional(p, "resize", &m.preprocessing.resize);
      ReadOptional(p, "align_corners", &m.preprocessing.align_corners);
    }
    m.labels = j.at("labels").get<std::vector<std::string>>();
    const json& out = j.at("outputs");
    m.probabilities_output = out.at("probabilities").get<std::string>();
    ReadOptional(out, "embedding", &m.embedding_output);
    ReadOptional(out, "embedding_size", &m.embedding_size);
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
  j["preprocessing"] = {{"color", m.preprocessing.color},
                        {"scale", m.preprocessing.scale},
                        {"mean", m.preprocessing.mean},
                        {"std", m.preprocessing.std},
                        {"resize", m.preprocessing.resize},
                        {"align_corners", m.preprocessing.align_corners}};
  j["labels"] = m.labels;
  j["outputs"] = {{"probabilities", m.probabilities_output},
                  {"embedding", m.embedding_output},
                  {"embedding_size", m.embedding_size}};
  return j.dump(2) + "\n";
}

}  // namespace vigil
