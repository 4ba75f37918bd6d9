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
  // Frames per input. 1 = an image model. T > 1 = a clip model (video): the input tensor is
  // N x C x T x H x W (layout must be "NCHW"), run by VideoTagger on clips of T sampled frames.
  int frames = 1;
};

struct Preprocessing {
  std::string color = "RGB";          // channel order fed to the model: "RGB" or "BGR"
  float scale = 1.0f / 255.0f;        // value = (pixel * scale - mean[c]) / std[c]
  std::array<float, 3> mean{0, 0, 0};
  std::array<float, 3> std{1, 1, 1};
  // "stretch": whole image to width x height, no crop; "letterbox": scaled by one factor to fit,
  // centred, borders filled with pad_value (keeps the aspect ratio, as detectors expect).
  std::string resize = "stretch";
  bool align_corners = true;          // bilinear sampling grid (true = TF align_corners)
  bool half_pixel_centers = false;    // with align_corners = false: sample at pixel centres (OpenCV)
  int pad_value = 0;                  // letterbox border pixel value, 0..255, before scale/mean/std
};

// The most detections a model or a call may keep per image (manifest, detector options and the
// DetectionThresholds of vigil/scoring_model.h).
inline constexpr int kMaxDetections = 10000;

// Object detection models (task "detection"): how to turn the raw outputs into boxes.
struct DetectionSpec {
  // "nanodet": per stride s, a score map [N, cells, classes] (sigmoid applied) and a distance
  //   distribution [N, cells, 4 * (reg_max + 1)] (left, top, right, bottom logits); cell i of a
  //   W/s-wide grid has its centre at ((i % gw + 0.5) * s, (i / gw + 0.5) * s); each side is
  //   softmax(bins) . [0..reg_max] * s.
  // "centernet": one heatmap [N, H/s, W/s, classes] (sigmoid applied) and one box map
  //   [N, H/s, W/s, 4] (left, top, right, bottom distances in input pixels) with strides = {s};
  //   peaks are heatmap values equal to their 3x3 max-pool, the top_k best are kept; the box of
  //   the peak at cell (x, y) is (x*s - l, y*s - t, x*s + r, y*s + b).
  std::string architecture;
  std::vector<int> strides;               // nanodet: one per level, e.g. {8, 16, 32}; centernet: {4}
  int reg_max = 0;                        // nanodet: bins per side - 1 (NanoDet-m: 10 -> 11 bins)
  std::vector<std::string> score_outputs; // ONNX outputs with class scores, one per stride
  std::vector<std::string> box_outputs;   // ONNX outputs with box regressions, one per stride
  int top_k = 100;                        // centernet: peaks kept before thresholding
  float score_threshold = 0.35f;          // keep detections scoring at least this
  float iou_threshold = 0.6f;             // NMS: drop a box overlapping a better one above this
  int max_detections = 100;               // per image, after NMS
  bool class_agnostic_nms = false;        // false: NMS within each class; true: across classes
};

// A model whose probabilities come from a head file beside (or instead of) model.onnx: the head
// (logistic, SVM, k-NN, prototypes; see docs/model-repository.md) reads the concatenation of
// `inputs`, each one of
//   "embedding"  model.onnx's embedding output (outputs.embedding)
//   "classical"  the classical descriptor vector of features.h (default FeatureOptions, 2641 floats)
// model.onnx is only needed when "embedding" is among the inputs.
struct HeadSpec {
  std::string file;                 // head file in the version folder ("" = model.onnx is the model)
  std::vector<std::string> inputs;  // in concatenation order
};

struct ModelManifest {
  std::string name;
  int version = 0;
  std::string task = "classification";  // "classification" or "detection"
  std::string description;
  std::string source;                   // where the weights came from (e.g. "npm:nsfwjs@4.2.1")
  InputSpec input;
  Preprocessing preprocessing;
  std::vector<std::string> labels;      // class names, in output order
  std::string probabilities_output;     // classification: ONNX output with probabilities [N, labels]
  std::string embedding_output;         // ONNX output holding the penultimate embedding, or ""
  int embedding_size = 0;
  std::string backend = "auto";         // preferred backend: "auto", "xnnpack", "opencv"
  DetectionSpec detection;              // task "detection" only
  HeadSpec head;                        // empty file: the probabilities are model.onnx's output
};

// True if the model runs model.onnx (no head file, or a head reading its embedding output).
bool ManifestNeedsOnnx(const ModelManifest& manifest);
// True if the head reads the classical descriptor vector.
bool ManifestUsesClassicalFeatures(const ModelManifest& manifest);

// JSON (de)serialisation. Parse validates: name, version >= 1, input size, labels, outputs, and
// for detection models the "detection" section (architecture, strides, outputs, thresholds).
Result<ModelManifest> ParseManifest(const std::string& json_text);
std::string SerializeManifest(const ModelManifest& manifest);
Status ValidateManifest(const ModelManifest& manifest);

}  // namespace vigil
