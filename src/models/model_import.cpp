// Import into the repository: run a converter into a temporary ONNX file, write the manifest,
// install both atomically.
#include "vigil/model_import.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "models/tfjs_graph_import.h"
#include "models/tfjs_layers_import.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

// model.json's "format" ("layers-model", "graph-model"), or "" if unreadable or absent (the
// converter then reports the real problem).
std::string TfjsFormat(const std::string& model_json) {
  std::ifstream in(model_json, std::ios::binary);
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json root = nlohmann::json::parse(text.str(), nullptr, false);
  if (!root.is_object() || !root.contains("format") || !root["format"].is_string()) return "";
  return root["format"].get<std::string>();
}

}  // namespace

Result<TfjsGraphConvertResult> ConvertTfjsGraphModel(const TfjsGraphConvertRequest& request) {
  if (request.onnx_out.empty()) return InvalidArgumentError("convert: an output path is required");
  TfjsGraphImportOptions options;
  options.outputs = request.outputs;
  VIGIL_ASSIGN_OR_RETURN(TfjsGraphImportInfo info,
                         ImportTfjsGraphModel(request.model_json, request.onnx_out, options));
  TfjsGraphConvertResult result;
  result.input_name = info.input_name;
  result.input_shape = info.input_shape;
  for (const TfjsGraphOutputInfo& out : info.outputs) {
    result.output_names.push_back(out.name);
    result.output_shapes.push_back(out.shape);
  }
  result.tf_ops = info.tf_ops;
  result.onnx_node_count = info.onnx_node_count;
  return result;
}

Result<ModelEntry> InstallTfjsGraphModel(const std::string& repository_root,
                                         const TfjsGraphInstallRequest& request) {
  ModelManifest m = request.manifest;
  const std::string what = "install " + request.model_json + " as " + m.name;
  if (m.task != "detection") {
    return InvalidArgumentError(what + ": graph models install as task \"detection\", not \"" +
                                m.task + "\"");
  }
  if (m.version < 0) return InvalidArgumentError(what + ": version must be >= 1");
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::OpenOrCreate(repository_root));
  if (m.version == 0) m.version = repo->NextVersion(m.name);
  VIGIL_RETURN_IF_ERROR(ValidateManifest(m));

  std::random_device rd;
  fs::path tmp_onnx = fs::path(repository_root) /
                      (".import-" + m.name + "-" + std::to_string(rd()) + ".onnx");
  TfjsGraphImportOptions options;
  options.outputs = m.detection.score_outputs;
  options.outputs.insert(options.outputs.end(), m.detection.box_outputs.begin(),
                         m.detection.box_outputs.end());
  auto info = ImportTfjsGraphModel(request.model_json, tmp_onnx.string(), options);
  std::error_code ec;
  if (!info.ok()) {
    fs::remove(tmp_onnx, ec);
    return info.status().WithContext(what);
  }
  const std::vector<int64_t>& shape = info->input_shape;
  if (shape.size() != 4 || (shape[1] != 3 && shape[3] != 3)) {
    fs::remove(tmp_onnx, ec);
    return UnsupportedError(what + ": the graph input is not an image tensor (N, 3, H, W) or "
                            "(N, H, W, 3)");
  }
  const bool nchw = shape[1] == 3;
  m.input.name = info->input_name;
  m.input.layout = nchw ? "NCHW" : "NHWC";
  m.input.height = int(nchw ? shape[2] : shape[1]);
  m.input.width = int(nchw ? shape[3] : shape[2]);
  m.input.channels = 3;
  if (Status s = ValidateManifest(m); !s.ok()) {
    fs::remove(tmp_onnx, ec);
    return s.WithContext(what);
  }
  auto entry = repo->Add(m, tmp_onnx.string(), request.overwrite);
  fs::remove(tmp_onnx, ec);
  return entry;
}

Result<ModelEntry> ImportTfjsModel(const std::string& repository_root,
                                   const TfjsImportRequest& request) {
  if (request.name.empty()) return InvalidArgumentError("import: a model name is required");
  if (request.version < 0) return InvalidArgumentError("import: version must be >= 1");
  if (TfjsFormat(request.model_json) == "graph-model") {
    return UnsupportedError("import " + request.model_json +
                            ": a tfjs graph model (e.g. a detector): install it with `vigil "
                            "import tfjs-graph MODEL_JSON --manifest MANIFEST.json`");
  }
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::OpenOrCreate(repository_root));
  const int version = request.version > 0 ? request.version : repo->NextVersion(request.name);

  std::random_device rd;
  fs::path tmp_onnx = fs::path(repository_root) /
                      (".import-" + request.name + "-" + std::to_string(rd()) + ".onnx");
  TfjsImportOptions options;
  options.embedding_layer = request.embedding_layer;
  auto info = ImportTfjsLayersModel(request.model_json, tmp_onnx.string(), options);
  if (!info.ok()) {
    std::error_code ec;
    fs::remove(tmp_onnx, ec);
    return info.status().WithContext("import " + request.model_json);
  }

  ModelManifest m;
  m.name = request.name;
  m.version = version;
  m.description = request.description;
  m.source = request.source.empty() ? "tfjs layers model " + request.model_json : request.source;
  m.input.name = info->input_name;
  m.input.width = info->width;
  m.input.height = info->height;
  m.input.channels = info->channels;
  m.input.layout = "NHWC";
  m.probabilities_output = info->probabilities_output;
  m.embedding_output = info->embedding_output;
  m.embedding_size = info->embedding_size;
  if (request.labels.empty()) {
    for (int c = 0; c < info->num_classes; ++c) m.labels.push_back("class_" + std::to_string(c));
  } else if (int(request.labels.size()) != info->num_classes) {
    std::error_code ec;
    fs::remove(tmp_onnx, ec);
    return InvalidArgumentError("import: " + std::to_string(request.labels.size()) +
                                " labels given but the model has " +
                                std::to_string(info->num_classes) + " outputs");
  } else {
    m.labels = request.labels;
  }
  auto entry = repo->Add(m, tmp_onnx.string(), request.overwrite);
  std::error_code ec;
  fs::remove(tmp_onnx, ec);
  return entry;
}

}  // namespace vigil
