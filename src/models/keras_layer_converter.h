// KerasLayerConverter: turns one Keras layer (config + weights) into ONNX nodes, tracking static
// shapes. Values are NCHW inside the ONNX graph; shapes are kept in Keras order without the batch
// dimension: {H, W, C} for images, {D} for vectors.
// Thread-safety: single-threaded; one converter per import.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "models/keras_topology.h"
#include "models/onnx_builder.h"
#include "models/tfjs_weights.h"
#include "vigil/status.h"

namespace vigil {

struct KerasValue {
  std::string name;            // ONNX value name
  std::vector<int64_t> shape;  // Keras order without batch: {H, W, C} or {D}
};

// Dropout-like layers that are the identity at inference.
bool IsInferenceNoOp(const std::string& class_name);

class KerasLayerConverter {
 public:
  // `weights` is read (and its entries marked used); both must outlive the converter. `opset`
  // (10..13) selects the Clip/Pad/Softmax forms.
  KerasLayerConverter(OnnxGraphBuilder* builder, const TfjsWeightMap* weights, int64_t opset)
      : builder_(builder), weights_(weights), opset_(opset) {}

  // Emits the nodes of `layer` applied to `inputs` (the outputs of layer.inbound, in order) and
  // returns its output. The InputLayer adds the NHWC graph input and the Transpose to NCHW.
  // Errors name the layer and field: kUnsupported / kInvalidArgument.
  Result<KerasValue> Convert(const KerasLayer& layer, const std::vector<KerasValue>& inputs);

  // kInvalidArgument listing the weights that no layer took (tfjs loads strictly, too).
  Status CheckAllWeightsUsed() const;

  // The NHWC graph input's name ("" before the InputLayer was converted).
  const std::string& input_value() const { return input_value_; }

 private:
  class Context;

  Result<KerasValue> ConvertInput(const Context& ctx);
  Result<KerasValue> ConvertConv2D(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertDepthwiseConv2D(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertSeparableConv2D(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertBatchNormalization(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertReLU(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertLeakyReLU(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertActivation(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertSoftmax(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertZeroPadding2D(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertAdd(const Context& ctx, const std::vector<KerasValue>& inputs);
  Result<KerasValue> ConvertConcatenate(const Context& ctx, const std::vector<KerasValue>& inputs);
  Result<KerasValue> ConvertPooling2D(const Context& ctx, const KerasValue& in, bool max);
  Result<KerasValue> ConvertGlobalAveragePooling2D(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertFlatten(const Context& ctx, const KerasValue& in);
  Result<KerasValue> ConvertDense(const Context& ctx, const KerasValue& in);

  // Looks up "<layer>/<param>" (or a unique ".../<layer>/<param>"), checks its shape and marks it
  // used.
  Result<const TfjsWeight*> TakeWeight(const Context& ctx, const std::string& param,
                                       const std::vector<int64_t>& shape);
  // Emits Keras activation `activation` ("linear" emits nothing) on `in`; returns the output.
  Result<KerasValue> EmitActivation(const Context& ctx, const std::string& activation,
                                    const KerasValue& in);
  // Emits Clip(in, lo, hi): lo/hi as attributes before opset 11, else as scalar initializers.
  KerasValue EmitClip(const Context& ctx, const KerasValue& in, float lo, float hi);
  // Emits a softmax over the last Keras axis (the channels).
  KerasValue EmitSoftmax(const Context& ctx, const KerasValue& in);
  // Output name for a layer's node: "<layer>" if `last`, else "<layer>/<suffix>".
  std::string ValueName(const Context& ctx, const std::string& suffix, bool last);
  // Records the value's NCHW shape as value_info.
  void AddValueInfo(const KerasValue& value);

  OnnxGraphBuilder* builder_;
  const TfjsWeightMap* weights_;
  int64_t opset_;
  std::set<std::string> used_weights_;
  std::set<std::string> value_infos_;
  std::string input_value_;
};

}  // namespace vigil
