// OnnxGraphBuilder: small helpers that append nodes, initializers and graph inputs/outputs to an
// onnx::GraphProto with unique value names. Used by the model importers (tfjs layers, ...).
// Thread-safety: a builder is single-threaded; it owns no global state.
//
//   onnx::ModelProto model;
//   OnnxGraphBuilder b(model.mutable_graph());
//   std::string w = b.AddFloatInitializer("conv/W", {8, 3, 3, 3}, weights);
//   onnx::NodeProto* conv = b.AddNode("Conv", {"x", w}, {b.UniqueName("conv")}, "conv");
//   SetIntsAttr(conv, "strides", {1, 1});
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace vigil {

class OnnxGraphBuilder {
 public:
  explicit OnnxGraphBuilder(onnx::GraphProto* graph) : graph_(graph) {}

  // Marks `name` as taken so UniqueName never returns it (for names assigned later, e.g. outputs).
  void Reserve(const std::string& name) { used_.insert(name); }
  bool IsUsed(const std::string& name) const { return used_.count(name) > 0; }
  // `base` if unused, else `base_1`, `base_2`, ...; the returned name is reserved.
  std::string UniqueName(const std::string& base);

  // Adds a float32 initializer named UniqueName(base) and returns its name.
  std::string AddFloatInitializer(const std::string& base, const std::vector<int64_t>& dims,
                                  const std::vector<float>& values);
  // Adds an int64 initializer named UniqueName(base) and returns its name.
  std::string AddInt64Initializer(const std::string& base, const std::vector<int64_t>& dims,
                                  const std::vector<int64_t>& values);

  // Appends a node; its `name` is made unique among node names. Output names must already be unique
  // (UniqueName).
  onnx::NodeProto* AddNode(const std::string& op_type, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs, const std::string& name);

  // Graph inputs/outputs/value_info of element type float32; a dim < 0 is the symbolic "N".
  void AddFloatInput(const std::string& name, const std::vector<int64_t>& dims);
  void AddFloatOutput(const std::string& name, const std::vector<int64_t>& dims);
  void AddFloatValueInfo(const std::string& name, const std::vector<int64_t>& dims);

  // Renames value `from` to `to` in every node input/output, graph output and value_info.
  void RenameValue(const std::string& from, const std::string& to);

  onnx::GraphProto* graph() { return graph_; }

 private:
  onnx::GraphProto* graph_;
  std::set<std::string> used_;        // value names (tensors, initializers)
  std::set<std::string> node_names_;  // node names (a separate namespace in ONNX)
};

// Node attribute setters.
void SetIntAttr(onnx::NodeProto* node, const std::string& name, int64_t value);
void SetFloatAttr(onnx::NodeProto* node, const std::string& name, float value);
void SetIntsAttr(onnx::NodeProto* node, const std::string& name,
                 const std::vector<int64_t>& values);
void SetStringAttr(onnx::NodeProto* node, const std::string& name, const std::string& value);

}  // namespace vigil
