// OnnxGraph: a small in-memory IR of an ONNX model (nodes, float/int64 initializers, graph inputs
// and outputs with shapes), loaded with limits, plus static shape inference for the ops the
// runtime backends understand. No protobuf types leak out of this header.
// Thread-safety: value types; loading and inference are pure functions.
//
//   VIGIL_ASSIGN_OR_RETURN(OnnxGraph graph, LoadOnnxGraph("model.onnx"));
//   VIGIL_ASSIGN_OR_RETURN(ShapeMap shapes, InferShapes(graph, {1, 224, 224, 3}));
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct OnnxAttribute {
  enum class Type { kInt, kFloat, kInts, kFloats, kString, kOther };
  Type type = Type::kOther;
  int64_t i = 0;
  float f = 0.0f;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::string s;
};

struct OnnxNode {
  std::string name;     // node name (may be empty in the file; the loader fills "<op>_<index>")
  std::string op_type;  // e.g. "Conv"
  std::vector<std::string> inputs;   // value names; "" for an omitted optional input
  std::vector<std::string> outputs;  // value names
  std::map<std::string, OnnxAttribute> attributes;

  bool Has(const std::string& key) const { return attributes.count(key) != 0; }
  int64_t GetInt(const std::string& key, int64_t fallback) const;
  float GetFloat(const std::string& key, float fallback) const;
  std::vector<int64_t> GetInts(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::string GetString(const std::string& key, const std::string& fallback) const;
  void SetFloat(const std::string& key, float value);
  void SetInts(const std::string& key, std::vector<int64_t> values);
  // "Conv 'conv1'": used in error messages.
  std::string Describe() const;
};

// A constant tensor. Float tensors fill `data`; INT64/INT32 tensors fill `int_data`.
struct OnnxInitializer {
  std::vector<int64_t> shape;
  bool is_float = true;
  std::vector<float> data;
  std::vector<int64_t> int_data;
};

struct OnnxValueInfo {
  std::string name;
  std::vector<int64_t> shape;  // -1 for a symbolic or unknown dimension
};

struct OnnxGraph {
  int64_t opset = 13;  // default-domain opset version
  std::vector<OnnxNode> nodes;  // topologically sorted (as ONNX requires)
  std::map<std::string, OnnxInitializer> initializers;
  std::vector<OnnxValueInfo> inputs;   // graph inputs that are not initializers
  std::vector<OnnxValueInfo> outputs;

  const OnnxInitializer* FindInitializer(const std::string& name) const;
  // Returns the float initializer `name` or kInvalidArgument naming `node` and the input.
  Result<const OnnxInitializer*> FloatInitializer(const OnnxNode& node, const std::string& name) const;
  // A constant-mode Pad `node`'s pads (ONNX order: all begins, then all ends) and fill value, read from
  // attributes (opset < 11) or from its initializer inputs (opset >= 11). kUnsupported for other modes
  // or computed pads.
  struct ConstantPadding {
    std::vector<int64_t> pads;
    float value = 0.0f;
  };
  Result<ConstantPadding> ConstantPad(const OnnxNode& node) const;
};

struct OnnxLoadLimits {
  int64_t max_file_bytes = int64_t{1} << 30;        // refuse larger files
  int64_t max_nodes = 100000;                       // refuse graphs with more nodes
  int64_t max_initializer_elements = int64_t{1} << 28;  // per initializer
};

// Loads an ONNX file. kNotFound (missing file), kDataLoss (not an ONNX protobuf),
// kResourceExhausted (a limit), kUnsupported (more than one graph input, external data, ...).
Result<OnnxGraph> LoadOnnxGraph(const std::string& path, const OnnxLoadLimits& limits = {});
// Same from bytes already in memory; `source` names them in messages.
Result<OnnxGraph> ParseOnnxGraph(const std::string& bytes, const std::string& source,
                                 const OnnxLoadLimits& limits = {});

// Value name → concrete shape for every value reachable from the single graph input.
using ShapeMap = std::map<std::string, std::vector<int64_t>>;

// Static shape inference for the ops the runtime supports, given a concrete input shape (batch
// included). kUnsupported lists every op it does not know; kInvalidArgument for inconsistent
// shapes (naming the node).
Result<ShapeMap> InferShapes(const OnnxGraph& graph, const std::vector<int64_t>& input_shape);

// The 2-D window of a Conv/MaxPool/AveragePool over an NCHW input, with auto_pad resolved to
// explicit pads and ceil_mode folded into extra bottom/right padding (`ceil_extra_*`).
struct Window2d {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;  // as in the model
  int64_t ceil_extra_h = 0, ceil_extra_w = 0;  // added padding so floor division gives ceil_mode
  int64_t out_h = 0, out_w = 0;
};
Result<Window2d> ResolveWindow2d(const OnnxNode& node, const std::vector<int64_t>& input_nchw,
                                 int64_t kernel_h, int64_t kernel_w);

// Attribute/initializer forms of the shape-carrying ops, shared by shape inference and backends:
// Reshape's target shape (0 copies the input dimension, one -1 is inferred; the shape must be an
// int64 initializer); Split's sizes along *axis (attribute, opset-13 input or an even split);
// a Reduce* node's sorted axes (attribute or opset-13 input; empty = all axes, or none with
// noop_with_empty_axes); Resize's output shape (sizes, or floor(input * scales)).
Result<std::vector<int64_t>> ReshapeTarget(const OnnxGraph& graph, const OnnxNode& node,
                                           const std::vector<int64_t>& input_shape);
Result<std::vector<int64_t>> SplitSizes(const OnnxGraph& graph, const OnnxNode& node, const std::vector<int64_t>& x,
                                        int64_t* axis);
Result<std::vector<int64_t>> ReduceAxes(const OnnxGraph& graph, const OnnxNode& node, size_t rank);
Result<std::vector<int64_t>> ResizeOutputShape(const OnnxGraph& graph, const OnnxNode& node,
                                               const std::vector<int64_t>& x);

// Op types InferShapes (and therefore the XNNPACK backend) understands.
bool IsKnownOp(const std::string& op_type);

// "[1,3,224,224]".
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace vigil
