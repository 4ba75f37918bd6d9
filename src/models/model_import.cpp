// Import into the repository: run a converter into a temporary ONNX file, write the manifest,
// install both atomically.
#include "vigil/model_import.h"

#include <filesystem>
#include <random>

#include "models/tfjs_layers_import.h"

namespace vigil {
namespace fs = std::filesystem;

Result<ModelEntry> ImportTfjsModel(const std::string& repository_root,
                                   const TfjsImportRequest& request) {
  if (request.name.empty()) return InvalidArgumentError("import: a model name is required");
  if (request.version < 0) return InvalidArgumentError("import: version must be >= 1");
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
