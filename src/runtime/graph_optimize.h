// Graph rewrites applied before lowering a model to a backend: remove Identity/Dropout, fold
// BatchNormalization into the preceding Conv, fuse a zero Pad into the following Conv's padding
// (and a -inf Pad into the following MaxPool's), turn a Conv whose output only a channel Split
// reads into one Conv per part, and fuse Relu/Clip into the producing op's output bounds. The result keeps ONNX semantics with
// two extra float attributes on fused producers: "vigil_output_min" and "vigil_output_max".
// Thread-safety: pure functions on a graph the caller owns.
#pragma once

#include "runtime/onnx_graph.h"
#include "vigil/status.h"

namespace vigil {

// Attribute names of fused output bounds (Conv, Add, Gemm, MaxPool, AveragePool, GlobalAveragePool).
inline constexpr const char* kFusedOutputMin = "vigil_output_min";
inline constexpr const char* kFusedOutputMax = "vigil_output_max";

struct OptimizeStats {
  int identities_removed = 0;
  int batch_norms_folded = 0;
  int pads_fused = 0;
  int convs_split = 0;  // Conv outputs split by channel that became one Conv per part
  int activations_fused = 0;
};

// Rewrites `graph` in place. Values named as graph outputs are never removed or renamed away.
Status OptimizeGraph(OnnxGraph* graph, OptimizeStats* stats = nullptr);

// What a fast backend starts from: the optimized graph, its input shape at batch 1 and the static
// shape of every value. Loads `onnx_path`, optimizes it, and requires every non-batch input
// dimension to be fixed (kUnsupported naming `backend_name` otherwise).
struct PreparedGraph {
  OnnxGraph graph;
  std::vector<int64_t> input_shape;  // batch dimension set to 1
  ShapeMap shapes;
  OptimizeStats stats;
};
Result<PreparedGraph> LoadPreparedGraph(const std::string& onnx_path, const std::string& backend_name);

// Bounds [min, max] of a Relu or Clip node (Clip min/max from initializers or, before opset 11,
// attributes). kUnsupported if Clip's bounds are not constants.
Status ActivationBounds(const OnnxGraph& graph, const OnnxNode& node, float* min_value, float* max_value);

}  // namespace vigil
