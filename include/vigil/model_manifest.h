// ModelManifest: what Vigil needs to know to run a model in the repository
// (models/<name>/<version>/manifest.json beside model.onnx). See docs/model-repository.md.
// Thread-safety: value type; the functions are thread-safe.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct InputSpec {
  std::string name;            // ONNX input name
  int width = 0;               // model input width in pixels
  int height = 0;              // model input height in pixels
  int channels = 3;            // 3 (RGB)
  std::string layout = "NHWC";  // "NHWC" or "NCHW": layout of the ONNX input tensor
};

struct Preprocessing {
  std::string color = "RGB";          // channel order fed to the model: "RGB" or "BGR"
  float scale = 1.0f / 255.0f;        // value = (pixel * scale - mean[c]) / std[c]
  std::array<float, 3> mean{0, 0, 0};
  std::array<float, 3> std{1, 1, 1};
  std::string resize = "stretch";     // "stretch": whole image to width x height, no crop
  bool align_corners = true;          // bilinear sampling grid (true = TF align_corners)
};

struct ModelManifest {
  std::string name;
  int version = 0;
  std::string task = "classification";  // "classification"
  std::string description;
  std::string source;                   // where the weights came from (e.g. "npm:nsfwjs@4.2.1")
  InputSpec input;
  Preprocessing preprocessing;
  std::vector<std::string> labels;      // class names, in output order
  std::string probabilities_output;     // ONNX output holding class probabilities [N, labels]
  std::string embedding_output;         // ONNX output holding the penultimate embedding, or ""
  int embedding_size = 0;
  std::string backend = "auto";         // preferred backend: "auto", "xnnpack", "opencv"
};

// JSON (de)serialisation. Parse validates: name, version >= 1, input size, labels, outputs.
Result<ModelManifest> ParseManifest(const std::string& json_text);
std::string SerializeManifest(const ModelManifest& manifest);
Status ValidateManifest(const ModelManifest& manifest);

}  // namespace vigil
