// TensorFlow.js layers-model importer: model.json (Keras topology) + binary weight shards -> ONNX.
// Thread-safety: ImportTfjsLayersModel has no shared state; concurrent calls are safe as long as
// they write different output files.
//
//   vigil::TfjsImportOptions options;                     // auto-detected embedding layer
//   auto info = vigil::ImportTfjsLayersModel("mobilenet_v2/model.json", "model.onnx", options);
//   if (!info.ok()) std::cerr << info.status().ToString();
//   // info->input_name, info->height/width/channels, info->num_classes, info->embedding_size
//
// The ONNX model (ir_version 7, opset 10 by default, see TfjsImportOptions::opset) takes the Keras
// input as float32 [N, H, W, C] (NHWC, N symbolic), transposes it to NCHW with a Transpose perm
// [0,3,1,2], and is NCHW from there on.
// Outputs: "probabilities" [N, classes] (the Keras output layer) and, when an embedding layer is
// found or named, "embedding" [N, D]. Flatten is emitted as Transpose perm [0,2,3,1] + Flatten so
// the element order matches Keras. Emitted ops are exactly: Transpose, Conv, BatchNormalization,
// Relu, Clip, LeakyRelu, Sigmoid, Tanh, Pad, Add, Concat, MaxPool, AveragePool,
// GlobalAveragePool, Flatten, Gemm, Softmax, Identity.
//
// Supported Keras layers (channels_last only): InputLayer, Conv2D, DepthwiseConv2D,
// SeparableConv2D, BatchNormalization, ReLU, LeakyReLU, Activation, Softmax, ZeroPadding2D, Add,
// Concatenate, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, Dropout
// (and the other inference-time no-ops SpatialDropout2D, GaussianDropout, GaussianNoise,
// AlphaDropout). Functional ("Model"/"Functional") and "Sequential" topologies; one input, one
// output; every layer called once. Anything else is an error naming the layer and field, e.g.
// `unsupported: layer "conv2d_5" (Conv2D): data_format "channels_first"`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct TfjsImportOptions {
  // Layer whose output becomes the "embedding" graph output (must be 2-D [N, D]). "" = auto: the
  // Flatten or GlobalAveragePooling2D layer feeding the trailing chain of Dense layers (through
  // Dropout/activation layers), or no embedding output if there is no such layer.
  std::string embedding_layer;
  // Upper bound on the decoded float32 weight bytes (the ONNX file must stay under 2 GiB).
  int64_t max_weight_bytes = int64_t{2} << 30;
  // ONNX opset, 10..13. Opset 10 (default) gives Clip its bounds and Pad its pads as attributes,
  // the only form OpenCV 4.6's ONNX importer accepts for Clip (it rejects Clip with min/max
  // inputs, which opset >= 11 requires); ONNX Runtime accepts both. Softmax over image channels
  // is emitted as Transpose-Softmax-Transpose before opset 13.
  int opset = 10;
};

struct TfjsImportInfo {
  std::string input_name;  // ONNX input: the Keras InputLayer name
  int height = 0;          // input shape [N, height, width, channels]
  int width = 0;
  int channels = 0;
  std::string probabilities_output = "probabilities";
  std::string embedding_output;          // "embedding", or "" if none
  std::string embedding_layer;           // Keras layer the embedding comes from, or ""
  int embedding_size = 0;                // D of the embedding output (0 if none)
  int num_classes = 0;                   // K of the probabilities output [N, K]
  bool softmax_output = false;           // the output is produced by a softmax
  std::vector<std::string> layer_types;  // distinct Keras class names, in model order
  int64_t weight_count = 0;              // weights read from the shards
  int64_t parameter_count = 0;           // float values in those weights
};

// Converts the tfjs layers model at `model_json_path` (shards resolved relative to its folder)
// and writes the ONNX model to `onnx_out_path` (replaced atomically).
// Errors: kNotFound (model.json or a shard missing), kInvalidArgument (malformed JSON, topology or
// manifest; weight missing, unused or of the wrong shape), kUnsupported (layer class or config
// value), kDataLoss (short or overlong shard), kResourceExhausted (weights over the limit),
// kInternal (cannot write the output).
Result<TfjsImportInfo> ImportTfjsLayersModel(const std::string& model_json_path,
                                             const std::string& onnx_out_path,
                                             const TfjsImportOptions& options = {});

}  // namespace vigil
