// TF graph op -> ONNX converters of the tfjs graph-model importer. Each converter reads its
// inputs from the TfGraphContext, appends ONNX nodes and stores the node's output values.
// The table is explicit (FindTfOpConverter), no self-registration.
// Thread-safety: stateless functions; the context is the caller's.
#pragma once

#include <string>
#include <vector>

#include "models/tf_graph_context.h"
#include "vigil/status.h"

namespace vigil {

using TfOpConverter = Status (*)(TfGraphContext& ctx, const TfNode& node);

// Converter for a TF op name, or nullptr when the op has none.
TfOpConverter FindTfOpConverter(const std::string& op);

// Spatial ops (tf_op_spatial.cpp).
Status ConvertConv2D(TfGraphContext& ctx, const TfNode& node);       // Conv2D, _FusedConv2D
Status ConvertDepthwise(TfGraphContext& ctx, const TfNode& node);    // (Fused)DepthwiseConv2dNative
Status ConvertPool(TfGraphContext& ctx, const TfNode& node);         // MaxPool, AvgPool
Status ConvertResize(TfGraphContext& ctx, const TfNode& node);       // ResizeBilinear/NearestNeighbor

// Appends an activation named by TF ("Relu", "Relu6", "LeakyRelu", "Sigmoid", "Tanh", "Elu") to
// ONNX tensor `x`; returns the output tensor name.
Result<std::string> EmitActivation(TfGraphContext& ctx, const TfNode& node, const std::string& act,
                                   const std::string& x, float leaky_alpha);

}  // namespace vigil
