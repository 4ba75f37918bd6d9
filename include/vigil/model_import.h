// Model import: convert a model from another framework's format into the repository (ONNX +
// manifest): TensorFlow.js layers models (classifiers) and TensorFlow.js graph models (detectors,
// installed with a given manifest, or converted to a standalone ONNX file).
// Thread-safety: thread-safe; two imports of the same name/version race to the final rename.
#pragma once

#include <cstdint>
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
// A graph model (model.json "format": "graph-model") is refused with kUnsupported pointing at
// InstallTfjsGraphModel (`vigil import tfjs-graph --manifest`).
Result<ModelEntry> ImportTfjsModel(const std::string& repository_root,
                                   const TfjsImportRequest& request);

struct TfjsGraphConvertRequest {
  std::string model_json;            // path to a graph model's model.json (shards beside it)
  std::string onnx_out;              // ONNX file to write (replaced atomically)
  std::vector<std::string> outputs;  // TF node names to export; empty = the model's signature
};

struct TfjsGraphConvertResult {
  std::string input_name;
  std::vector<int64_t> input_shape;  // static, the TF input's layout
  std::vector<std::string> output_names;
  std::vector<std::vector<int64_t>> output_shapes;
  std::vector<std::string> tf_ops;   // distinct TF ops the outputs depend on
  int64_t onnx_node_count = 0;
};

struct TfjsGraphInstallRequest {
  std::string model_json;            // path to a graph model's model.json (shards beside it)
  // The manifest to install (task "detection" with its detection section, labels,
  // preprocessing...). version 0 = next free. Its input name, size and layout are replaced by
  // the graph's; the ONNX outputs are the detection section's score and box outputs.
  ModelManifest manifest;
  bool overwrite = false;            // replace an existing name:version
};

// Converts a graph model (see ConvertTfjsGraphModel) and installs it with `request.manifest`
// into the repository atomically. kInvalidArgument for a manifest that does not validate or
// whose task is not "detection"; the converter's errors otherwise.
Result<ModelEntry> InstallTfjsGraphModel(const std::string& repository_root,
                                         const TfjsGraphInstallRequest& request);

// Converts a TensorFlow.js graph model to ONNX (opset 11; see src/models/tfjs_graph_import.h),
// without touching the repository. Errors as ImportTfjsGraphModel; unsupported ops are listed
// together: `unsupported: tfjs graph model "<path>": ops TopKV2 (1 node), ...`.
Result<TfjsGraphConvertResult> ConvertTfjsGraphModel(const TfjsGraphConvertRequest& request);

}  // namespace vigil
