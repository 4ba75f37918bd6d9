// ExportHeadModel: backbone ONNX + linear or prototype head → one ONNX model (see onnx_export.h).
#include "learn/onnx_export.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <set>
#include <sstream>

#include "models/model_files.h"
#include "models/onnx_builder.h"

namespace vigil {

namespace {

// Keeps only the nodes needed for the graph outputs, and the initializers, inputs-info and
// value_info they use.
void Prune(onnx::GraphProto* graph) {
  std::set<std::string> needed;
  for (const auto& out : graph->output()) needed.insert(out.name());
  std::vector<bool> keep(graph->node_size(), false);
  for (int i = graph->node_size() - 1; i >= 0; --i) {
    const onnx::NodeProto& node = graph->node(i);
    bool used = false;
    for (const auto& o : node.output()) used = used || needed.count(o) > 0;
    if (!used) continue;
    keep[i] = true;
    for (const auto& in : node.input()) needed.insert(in);
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int i = 0; i < graph->node_size(); ++i) {
    if (keep[i]) *nodes.Add() = graph->node(i);
  }
  graph->mutable_node()->Swap(&nodes);
  google::protobuf::RepeatedPtrField<onnx::TensorProto> inits;
  for (const auto& t : graph->initializer()) {
    if (needed.count(t.name())) *inits.Add() = t;
  }
  graph->mutable_initializer()->Swap(&inits);
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> infos;
  for (const auto& v : graph->value_info()) {
    if (needed.count(v.name())) *infos.Add() = v;
  }
  graph->mutable_value_info()->Swap(&infos);
}

}  // namespace

namespace {

// backbone up to its embedding, then [L2 normalisation,] Gemm(W [k, d], b) and Softmax.
Status ExportGemmHead(const std::string& backbone_onnx, const std::vector<float>& w, const std::vector<float>& b,
                      int64_t k, int64_t d, bool l2_normalise, const HeadExportOptions& options,
                      const std::string& out_onnx) {
  onnx::ModelProto model;
  {
    std::ifstream in(backbone_onnx, std::ios::binary);
    if (!in) return NotFoundError("cannot open backbone model '" + backbone_onnx + "'");
    if (!model.ParseFromIstream(&in)) return DataLossError("cannot parse ONNX model '" + backbone_onnx + "'");
  }
  onnx::GraphProto* graph = model.mutable_graph();
  // The embedding must be a graph output; keep only it.
  bool found = false;
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> outputs;
  for (const auto& out : graph->output()) {
    if (out.name() == options.embedding_output) {
      found = true;
      *outputs.Add() = out;
    }
  }
  if (!found) {
    return InvalidArgumentError("backbone '" + backbone_onnx + "' has no output '" + options.embedding_output + "'");
  }
  graph->mutable_output()->Swap(&outputs);
  Prune(graph);

  OnnxGraphBuilder builder(graph);
  for (const auto& n : graph->node()) {
    for (const auto& o : n.output()) builder.Reserve(o);
  }
  for (const auto& t : graph->initializer()) builder.Reserve(t.name());
  for (const auto& v : graph->input()) builder.Reserve(v.name());
  if (builder.IsUsed(options.probabilities_output)) {
    return InvalidArgumentError("output name '" + options.probabilities_output + "' is still used by the backbone");
  }
  builder.Reserve(options.probabilities_output);
  std::string features = options.embedding_output;
  if (l2_normalise) {
    // x / ReduceL2(x, axis 1): the opset-11 idiom (LpNormalization is not in OpenCV 4.6).
    const std::string norm = builder.UniqueName("vigil_head/l2norm");
    onnx::NodeProto* reduce = builder.AddNode("ReduceL2", {features}, {norm}, "vigil_head/ReduceL2");
    SetIntsAttr(reduce, "axes", {1});
    SetIntAttr(reduce, "keepdims", 1);
    const std::string unit = builder.UniqueName("vigil_head/normalised");
    builder.AddNode("Div", {features, norm}, {unit}, "vigil_head/Div");
    features = unit;
  }
  const std::string w_name = builder.AddFloatInitializer("vigil_head/W", {k, d}, w);
  const std::string b_name = builder.AddFloatInitializer("vigil_head/b", {k}, b);
  const std::string logits = builder.UniqueName("vigil_head/logits");
  onnx::NodeProto* gemm = builder.AddNode("Gemm", {features, w_name, b_name}, {logits}, "vigil_head/Gemm");
  SetIntAttr(gemm, "transB", 1);
  onnx::NodeProto* softmax = builder.AddNode("Softmax", {logits}, {options.probabilities_output}, "vigil_head/Softmax");
  SetIntAttr(softmax, "axis", 1);
  // Outputs in the usual order: probabilities first, then the embedding.
  onnx::ValueInfoProto embedding_info = graph->output(0);
  graph->clear_output();
  builder.AddFloatOutput(options.probabilities_output, {-1, k});
  *graph->add_output() = embedding_info;
  model.set_producer_name("vigil train");
  // ReduceL2 (axes attribute, opset 1-17) and Div need no opset change.
  return WriteOnnxModelFile(model, out_onnx);
}

}  // namespace

Status ExportHeadModel(const std::string& backbone_onnx, const LinearHead& head,
                       const HeadExportOptions& options, const std::string& out_onnx) {
  std::vector<float> w, b;
  VIGIL_RETURN_IF_ERROR(head.Folded(&w, &b));
  return ExportGemmHead(backbone_onnx, w, b, head.num_classes, head.dim, head.norm == FeatureNorm::kL2, options,
                        out_onnx);
}

Status ExportHeadModel(const std::string& backbone_onnx, const PrototypeHead& head,
                       const HeadExportOptions& options, const std::string& out_onnx) {
  const std::vector<float> b(head.class_count(), 0.f);
  return ExportGemmHead(backbone_onnx, head.ScaledPrototypes(), b, head.class_count(), head.input_dim(), true,
                        options, out_onnx);
}

}  // namespace vigil
