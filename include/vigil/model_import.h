// Model import: convert a model from another framework's format into the repository (ONNX +
// manifest). Today: TensorFlow.js layers models (model.json + weight shards).
// Thread-safety: thread-safe; two imports of the same name/version race to the final rename.
#pragma once

#include <string>
#include <vector>

#include "vigil/model_repository.h"
#include "vigil/status.h"

namespace vigil {

struct TfjsImportRequest {
  std::string model_json;            // path to model.json (weight shards beside it)
  std::string name;                  // repository name, e.g. "nsfw_mobilenet_v2"
  int version = 0;                   // 0 = next free version
  std::vector<std::string> labels;   // class names; empty = "class_0".."class_{N-1}"
  std::string description;
  std::string source;                // provenance, e.g. "npm:nsfwjs@4.2.1 mobilenet_v2"
  std::string embedding_layer;       // "" = automatic (the layer before the trailing Dense head)
  bool overwrite = false;            // replace an existing name:version
};

// Converts, writes models/<name>/<version>/{model.onnx,manifest.json} atomically, returns the entry.
// The manifest gets the model's input size, NHWC layout, nsfwjs-style preprocessing (RGB, /255,
// stretch, bilinear with align-corners), the labels and the output names.
Result<ModelEntry> ImportTfjsModel(const std::string& repository_root,
                                   const TfjsImportRequest& request);

}  // namespace vigil
