// TensorFlow.js graph-model importer: reads model.json and the weight shards, orders the nodes the
// requested outputs depend on, checks every op is convertible (one error listing all that are
// not), folds constants, runs the op converters and writes the ONNX model.
#include "models/tfjs_graph_import.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "models/model_files.h"
#include "models/onnx_builder.h"
#include "models/tf_const_fold.h"
#include "models/tf_graph_context.h"
#include "models/tf_op_converters.h"
#include "models/tfjs_weights.h"

namespace vigil {

namespace {

namespace fs = std::filesystem;
constexpr int64_t kIrVersion = 7;

std::string BaseName(const std::string& ref) {
  const size_t colon = ref.find(':');
  return colon == std::string::npos ? ref : ref.substr(0, colon);
}

struct Graph {
  std::vector<TfNode> nodes;
  std::map<std::string, size_t> index;
};

Result<Graph> ParseGraph(const nlohmann::json& topology) {
  if (!topology.is_object() || !topology.contains("node") || !topology["node"].is_array()) {
    return InvalidArgumentError("\"modelTopology\" has no \"node\" array");
  }
  Graph g;
  for (const nlohmann::json& n : topology["node"]) {
    if (!n.is_object() || !n.contains("name") || !n["name"].is_string() || !n.contains("op") ||
        !n["op"].is_string()) {
      return InvalidArgumentError("graph node without string \"name\" and \"op\"");
    }
    TfNode node;
    node.name = n["name"].get<std::string>();
    node.op = n["op"].get<std::string>();
    if (n.contains("input") && n["input"].is_array()) {
      for (const nlohmann::json& in : n["input"]) {
        if (!in.is_string()) return InvalidArgumentError("node \"" + node.name + "\": bad input");
        const std::string ref = in.get<std::string>();
        if (!ref.empty() && ref[0] != '^') node.inputs.push_back(ref);
      }
    }
    if (n.contains("attr")) node.attr = &n["attr"];
    if (g.index.count(node.name) > 0) {
      return InvalidArgumentError("duplicate graph node \"" + node.name + "\"");
    }
    g.index[node.name] = g.nodes.size();
    g.nodes.push_back(std::move(node));
  }
  return g;
}

// Nodes `outputs` depend on, inputs before users.
Result<std::vector<size_t>> TopologicalOrder(const Graph& g, const std::vector<std::string>& outputs) {
  std::vector<int> state(g.nodes.size(), 0);  // 0 new, 1 on stack, 2 done
  std::vector<size_t> order;
  for (const std::string& out : outputs) {
    auto it = g.index.find(BaseName(out));
    if (it == g.index.end()) return InvalidArgumentError("output \"" + out + "\" is not a graph node");
    std::vector<std::pair<size_t, size_t>> stack = {{it->second, 0}};
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next == 0 && state[n] == 2) {
        stack.pop_back();
        continue;
      }
      state[n] = 1;
      if (next < g.nodes[n].inputs.size()) {
        const std::string& ref = g.nodes[n].inputs[next++];
        auto in = g.index.find(BaseName(ref));
        if (in == g.index.end()) {
          return InvalidArgumentError("node \"" + g.nodes[n].name + "\": input \"" + ref +
                                      "\" is not a graph node");
        }
        if (state[in->second] == 1) return InvalidArgumentError("the graph has a cycle");
        if (state[in->second] == 0) stack.push_back({in->second, 0});
      } else {
        state[n] = 2;
        order.push_back(n);
        stack.pop_back();
      }
    }
  }
  return order;
}

std::vector<std::string> DefaultOutputs(const nlohmann::json& root, const Graph& g) {
  std::vector<std::string> outputs;
  if (root.contains("signature") && root["signature"].is_object() &&
      root["signature"].contains("outputs") && root["signature"]["outputs"].is_object()) {
    for (auto it = root["signature"]["outputs"].begin(); it != root["signature"]["outputs"].end(); ++it) {
      std::string name = it.key();
      if (it.value().is_object() && it.value().contains("name") && it.value()["name"].is_string()) {
        name = it.value()["name"].get<std::string>();
      }
      if (name.size() > 2 && name.compare(name.size() - 2, 2, ":0") == 0) name.resize(name.size() - 2);
      outputs.push_back(name);
    }
    std::sort(outputs.begin(), outputs.end());
    if (!outputs.empty()) return outputs;
  }
  std::set<std::string> consumed;
  for (const TfNode& n : g.nodes) {
    for (const std::string& in : n.inputs) consumed.insert(BaseName(in));
  }
  for (const TfNode& n : g.nodes) {
    if (consumed.count(n.name) == 0 && n.op != "Const" && n.op != "NoOp") outputs.push_back(n.name);
  }
  return outputs;
}

Result<std::vector<int64_t>> PlaceholderShape(const TfNode& node) {
  std::vector<int64_t> shape;
  if (node.attr == nullptr || !node.attr->contains("shape")) {
    return UnsupportedError("placeholder \"" + node.name + "\" has no static shape");
  }
  const nlohmann::json& s = (*node.attr)["shape"];
  if (!s.is_object() || !s.contains("shape") || !s["shape"].is_object() || !s["shape"].contains("dim")) {
    return UnsupportedError("placeholder \"" + node.name + "\" has no static shape");
  }
  const nlohmann::json& dims = s["shape"]["dim"];
  if (!dims.is_array()) return UnsupportedError("placeholder \"" + node.name + "\" has no static shape");
  for (size_t k = 0; k < dims.size(); ++k) {
    int64_t d = -1;
    if (dims[k].is_object() && dims[k].contains("size")) {
      const auto& v = dims[k]["size"];
      if (v.is_string()) d = std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
      else if (v.is_number_integer()) d = v.get<int64_t>();
    }
    if (d < 0 && k == 0) d = 1;  // batch
    if (d < 0) {
      return UnsupportedError("placeholder \"" + node.name + "\": dynamic dimension " +
                              std::to_string(k));
    }
    shape.push_back(d);
  }
  return shape;
}

Result<TfConst> ConstValue(const TfNode& node, const TfjsWeightMap& weights) {
  auto it = weights.find(node.name);
  if (it == weights.end()) {
    return InvalidArgumentError("constant \"" + node.name + "\" has no weight in the manifest");
  }
  TfConst c;
  c.shape = it->second.shape;
  const std::string dtype = AttrType(node, "dtype");
  c.is_int = it->second.is_int || (dtype != "" && dtype != "DT_FLOAT");
  if (c.is_int) {
    if (it->second.is_int) {
      c.i = it->second.int_values;
    } else {
      for (float v : it->second.values) c.i.push_back(int64_t(v));
    }
  } else {
    c.f = it->second.values;
  }
  return c;
}

std::string OpCounts(const std::map<std::string, int>& counts) {
  std::string text;
  for (const auto& [op, n] : counts) {
    text += (text.empty() ? "" : ", ") + op + " (" + std::to_string(n) +
            (n == 1 ? " node)" : " nodes)");
  }
  return text;
}

// Folds `Add(Conv(x, W), b)` into `Conv(x, W, b)` when b is a constant of shape [1, C, 1, 1] (what a
// TF Conv2D + bias Add becomes) and the Add is the Conv's only consumer; drops initializers no
// node uses any more.
void FuseConvBias(onnx::GraphProto* graph) {
  std::map<std::string, onnx::TensorProto*> inits;
  for (onnx::TensorProto& t : *graph->mutable_initializer()) inits[t.name()] = &t;
  std::map<std::string, int> uses;
  std::map<std::string, onnx::NodeProto*> producer;
  for (onnx::NodeProto& n : *graph->mutable_node()) {
    for (const std::string& in : n.input()) ++uses[in];
    for (const std::string& out : n.output()) producer[out] = &n;
  }
  for (const onnx::ValueInfoProto& out : graph->output()) ++uses[out.name()];
  std::set<const onnx::NodeProto*> removed;
  for (onnx::NodeProto& add : *graph->mutable_node()) {
    if (add.op_type() != "Add" || add.input_size() != 2) continue;
    for (int k = 0; k < 2; ++k) {
      auto conv_it = producer.find(add.input(k));
      auto bias_it = inits.find(add.input(1 - k));
      if (conv_it == producer.end() || bias_it == inits.end()) continue;
      onnx::NodeProto* conv = conv_it->second;
      const onnx::TensorProto* bias = bias_it->second;
      if (conv->op_type() != "Conv" || conv->input_size() != 2 || uses[add.input(k)] != 1) continue;
      const auto w = inits.find(conv->input(1));
      if (w == inits.end() || bias->dims_size() != 4 || bias->data_type() != onnx::TensorProto::FLOAT ||
          bias->dims(0) != 1 || bias->dims(2) != 1 || bias->dims(3) != 1 ||
          bias->dims(1) != w->second->dims(0)) {
        continue;
      }
      onnx::TensorProto* b = graph->add_initializer();
      *b = *bias;
      b->set_name(bias->name() + "_bias");
      b->clear_dims();
      b->add_dims(bias->dims(1));
      conv->add_input(b->name());
      conv->set_output(0, add.output(0));
      removed.insert(&add);
      break;
    }
  }
  if (removed.empty()) return;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (const onnx::NodeProto& n : graph->node()) {
    if (removed.count(&n) == 0) *kept.Add() = n;
  }
  graph->mutable_node()->Swap(&kept);
  std::set<std::string> used;
  for (const onnx::NodeProto& n : graph->node()) used.insert(n.input().begin(), n.input().end());
  google::protobuf::RepeatedPtrField<onnx::TensorProto> kept_inits;
  for (onnx::TensorProto& t : *graph->mutable_initializer()) {
    if (used.count(t.name()) > 0) kept_inits.Add()->Swap(&t);
  }
  graph->mutable_initializer()->Swap(&kept_inits);
}

Status Convert(const std::string& path, const nlohmann::json& root,
               const TfjsGraphImportOptions& options, const std::string& onnx_out,
               TfjsGraphImportInfo* info) {
  if (options.opset < 11 || options.opset > 13) {
    return InvalidArgumentError("opset " + std::to_string(options.opset) + " (supported: 11..13)");
  }
  if (!root.is_object()) return InvalidArgumentError("model.json is not an object");
  const std::string format = root.contains("format") && root["format"].is_string()
                                 ? root["format"].get<std::string>() : "";
  if (format != "graph-model") {
    return InvalidArgumentError("format \"" + format + "\" is not \"graph-model\"");
  }
  if (!root.contains("modelTopology")) return InvalidArgumentError("no \"modelTopology\"");
  VIGIL_ASSIGN_OR_RETURN(Graph g, ParseGraph(root["modelTopology"]));
  std::vector<std::string> outputs =
      options.outputs.empty() ? DefaultOutputs(root, g) : options.outputs;
  if (outputs.empty()) return InvalidArgumentError("the graph has no outputs");
  VIGIL_ASSIGN_OR_RETURN(std::vector<size_t> order, TopologicalOrder(g, outputs));

  // Which nodes fold to constants, and which ops cannot be converted at all.
  std::vector<bool> is_const(g.nodes.size(), false);
  std::map<std::string, int> unsupported;
  std::set<std::string> ops;
  const TfNode* placeholder = nullptr;
  for (size_t n : order) {
    const TfNode& node = g.nodes[n];
    ops.insert(node.op);
    bool inputs_const = true;
    for (const std::string& in : node.inputs) inputs_const = inputs_const && is_const[g.index.at(BaseName(in))];
    if (node.op == "Const") {
      is_const[n] = true;
    } else if (node.op == "Placeholder") {
      if (placeholder != nullptr) {
        return UnsupportedError("more than one input (\"" + placeholder->name + "\", \"" +
                                node.name + "\")");
      }
      placeholder = &node;
    } else if (IsFoldableTfOp(node.op) && (inputs_const || node.op == "Shape")) {
      is_const[n] = true;
    } else if (FindTfOpConverter(node.op) == nullptr || (inputs_const && !node.inputs.empty())) {
      ++unsupported[node.op];  // (converters expect a tensor computed at run time)
    }
  }
  if (!unsupported.empty()) return UnsupportedError("ops " + OpCounts(unsupported));
  if (placeholder == nullptr) return InvalidArgumentError("the outputs depend on no Placeholder");
  VIGIL_ASSIGN_OR_RETURN(info->input_shape, PlaceholderShape(*placeholder));
  info->input_name = placeholder->name;
  info->tf_ops.assign(ops.begin(), ops.end());
  info->tf_node_count = int64_t(order.size());

  if (!root.contains("weightsManifest")) return InvalidArgumentError("no \"weightsManifest\"");
  VIGIL_ASSIGN_OR_RETURN(
      TfjsWeightMap weights,
      ReadTfjsWeights(root["weightsManifest"], fs::path(path).parent_path().string(),
                      options.max_weight_bytes, true));
  info->weight_count = int64_t(weights.size());

  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("vigil");
  model.set_producer_version("0.1.0");
  model.mutable_graph()->set_name("tfjs_graph_model");
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  OnnxGraphBuilder builder(model.mutable_graph());
  builder.Reserve(placeholder->name);
  for (const std::string& out : outputs) builder.Reserve(BaseName(out));
  TfGraphContext ctx(&builder, options.opset);

  for (size_t n : order) {
    const TfNode& node = g.nodes[n];
    if (node.op == "Placeholder") {
      builder.AddFloatInput(node.name, info->input_shape);
      TfValue v;
      v.onnx = node.name;
      v.shape = info->input_shape;
      ctx.Set(node.name, 0, v);
    } else if (node.op == "Const") {
      VIGIL_ASSIGN_OR_RETURN(TfConst c, ConstValue(node, weights));
      ctx.Set(node.name, 0, MakeConstValue(std::move(c)));
    } else if (is_const[n]) {
      VIGIL_RETURN_IF_ERROR(FoldTfNode(ctx, node));
    } else {
      VIGIL_RETURN_IF_ERROR(FindTfOpConverter(node.op)(ctx, node));
    }
  }

  std::set<std::string> seen;
  for (const std::string& ref : outputs) {
    const std::string name = BaseName(ref);
    if (!seen.insert(name).second) return InvalidArgumentError("output \"" + ref + "\" given twice");
    VIGIL_ASSIGN_OR_RETURN(const TfValue* v, ctx.Get(ref));
    if (v->is_const) return UnsupportedError("output \"" + ref + "\" is a constant");
    builder.AddNode("Identity", {ctx.Materialize(*v, IdentityPerm(v->rank()))}, {name}, name);
    builder.AddFloatOutput(name, v->shape);
    info->outputs.push_back({name, v->shape});
  }
  FuseConvBias(model.mutable_graph());
  info->onnx_node_count = model.graph().node_size();
  return WriteOnnxModelFile(model, onnx_out);
}

}  // namespace

Result<TfjsGraphImportInfo> ImportTfjsGraphModel(const std::string& model_json_path,
                                                 const std::string& onnx_out_path,
                                                 const TfjsGraphImportOptions& options) {
  const std::string where = "tfjs graph model \"" + model_json_path + "\"";
  auto root = ReadJsonFile(model_json_path);
  if (!root.ok()) return root.status();
  TfjsGraphImportInfo info;
  Status status = Convert(model_json_path, *root, options, onnx_out_path, &info);
  if (!status.ok()) return status.WithContext(where);
  return info;
}

}  // namespace vigil
