// TensorFlow.js graph-model importer: model.json ("format": "graph-model", a TF GraphDef as JSON
// plus a weights manifest) + binary weight shards -> ONNX.
// Thread-safety: ImportTfjsGraphModel has no shared state; concurrent calls are safe as long as
// they write different output files.
//
//   auto info = vigil::ImportTfjsGraphModel("nanodet/model.json", "nanodet.onnx");
//   if (!info.ok()) std::cerr << info.status().ToString();
//   // info->input_name, info->input_shape, info->outputs[i].name / .shape
//
// The ONNX model (ir_version 7, opset 11 by default) has one float32 input named after the TF
// Placeholder, with the Placeholder's static shape (a -1 batch becomes 1), in the same layout as
// the TF input (NHWC stays NHWC, NCHW stays NCHW), and one output per requested TF output, named
// after its node (":0" dropped), in TF axis order. Inside, tensors feeding Conv/pooling/Resize are
// kept NCHW and TF Transposes are folded into a layout permutation (see tf_graph_context.h), so a
// TF graph exported from an NCHW ONNX model (onnx-tf: Transpose around every conv) comes back
// without those transposes. Constant sub-graphs (Shape, StridedSlice, Pack, SparseToDense, integer
// arithmetic, ...) are folded at import time.
// Emitted ONNX ops: Conv, MaxPool, AveragePool, GlobalAveragePool, ReduceMean, Resize, Pad,
// Transpose, Reshape, Concat, Split, Add, Sub, Mul, Div, Max, Min, Relu, Clip, LeakyRelu, Sigmoid,
// Tanh, Elu, Identity.
// Supported TF ops: see FindTfOpConverter (tf_op_converters.cpp) and IsFoldableTfOp
// (tf_const_fold.cpp). Only the nodes the requested outputs depend on are converted; every other
// op is listed in one error: `unsupported: tfjs graph model "<path>": ops TopKV2 (1 node), ...`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct TfjsGraphImportOptions {
  // TF outputs to export ("node" or "node:k"). Empty = the model's signature outputs, sorted by
  // name (or, without a signature, the nodes no other node consumes).
  std::vector<std::string> outputs;
  // Upper bound on the decoded float32 weight bytes (the ONNX file must stay under 2 GiB).
  int64_t max_weight_bytes = int64_t{2} << 30;
  // ONNX opset, 11..13 (Resize with coordinate modes needs 11). Clip gets its bounds as inputs;
  // the runtime's OpenCV adapter rewrites that form for OpenCV 4.6.
  int opset = 11;
};

struct TfjsGraphOutputInfo {
  std::string name;            // ONNX output name (TF node name)
  std::vector<int64_t> shape;  // static shape, TF axis order
};

struct TfjsGraphImportInfo {
  std::string input_name;              // ONNX input (the TF Placeholder)
  std::vector<int64_t> input_shape;    // static, TF axis order
  std::vector<TfjsGraphOutputInfo> outputs;
  std::vector<std::string> tf_ops;     // distinct TF ops converted or folded, sorted
  int64_t tf_node_count = 0;           // TF nodes the outputs depend on
  int64_t onnx_node_count = 0;
  int64_t weight_count = 0;            // weights read from the shards
};

// Converts the tfjs graph model at `model_json_path` (shards resolved relative to its folder) and
// writes the ONNX model to `onnx_out_path` (replaced atomically).
// Errors: kNotFound (model.json or a shard missing), kInvalidArgument (malformed JSON, graph or
// manifest; unknown output; not a graph model), kUnsupported (ops, attributes, dynamic shapes),
// kDataLoss (short or overlong shard), kResourceExhausted (weights over the limit), kInternal
// (cannot write the output).
Result<TfjsGraphImportInfo> ImportTfjsGraphModel(const std::string& model_json_path,
                                                 const std::string& onnx_out_path,
                                                 const TfjsGraphImportOptions& options = {});

}  // namespace vigil
