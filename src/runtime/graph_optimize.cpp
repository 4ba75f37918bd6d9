// Graph rewrites: Identity/Dropout removal, BatchNormalization→Conv folding, Pad→Conv/MaxPool fusion,
// Conv+Split→one Conv per part, Relu/Clip→producer bounds fusion.
#include "runtime/graph_optimize.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace vigil {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

struct Usage {
  std::map<std::string, int> consumers;  // value → number of node inputs reading it
  std::map<std::string, int> producer;   // value → node index
  std::set<std::string> graph_outputs;
};

Usage ComputeUsage(const OnnxGraph& graph) {
  Usage u;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& in : graph.nodes[i].inputs) {
      if (!in.empty()) ++u.consumers[in];
    }
    for (const auto& out : graph.nodes[i].outputs) u.producer[out] = static_cast<int>(i);
  }
  for (const auto& o : graph.outputs) u.graph_outputs.insert(o.name);
  return u;
}

// True if `value` is produced by a node, read only once and is not a graph output.
bool SingleUseIntermediate(const Usage& u, const std::string& value) {
  auto c = u.consumers.find(value);
  return u.producer.count(value) && c != u.consumers.end() && c->second == 1 && !u.graph_outputs.count(value);
}

void EraseDeleted(OnnxGraph* graph, const std::vector<bool>& deleted) {
  std::vector<OnnxNode> kept;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    if (!deleted[i]) kept.push_back(std::move(graph->nodes[i]));
  }
  graph->nodes = std::move(kept);
}

int RemoveIdentities(OnnxGraph* graph) {
  Usage u = ComputeUsage(*graph);
  std::map<std::string, std::string> rename;
  std::vector<bool> deleted(graph->nodes.size(), false);
  int removed = 0;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    OnnxNode& node = graph->nodes[i];
    for (auto& in : node.inputs) {
      auto r = rename.find(in);
      if (r != rename.end()) in = r->second;
    }
    const bool is_identity = node.op_type == "Identity" ||
                             (node.op_type == "Dropout" && (node.outputs.size() < 2 || node.outputs[1].empty() ||
                                                            !u.consumers.count(node.outputs[1])));
    if (!is_identity || node.inputs.empty() || node.outputs.empty()) continue;
    const std::string& in = node.inputs[0];
    const std::string& out = node.outputs[0];
    if (!u.graph_outputs.count(out)) {
      rename[out] = in;
    } else if (SingleUseIntermediate(u, in) && !rename.count(in)) {
      // The identity's output is a graph output: let the producer write it directly.
      for (auto& o : graph->nodes[u.producer.at(in)].outputs) {
        if (o == in) o = out;
      }
    } else {
      continue;
    }
    deleted[i] = true;
    ++removed;
  }
  EraseDeleted(graph, deleted);
  return removed;
}

int FoldBatchNorms(OnnxGraph* graph) {
  Usage u = ComputeUsage(*graph);
  std::vector<bool> deleted(graph->nodes.size(), false);
  int folded = 0;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    OnnxNode& bn = graph->nodes[i];
    if (bn.op_type != "BatchNormalization" || bn.inputs.size() != 5 || bn.outputs.size() != 1) continue;
    if (!SingleUseIntermediate(u, bn.inputs[0])) continue;
    const int p = u.producer.at(bn.inputs[0]);
    OnnxNode& conv = graph->nodes[p];
    if (conv.op_type != "Conv" || deleted[p] || conv.Has(kFusedOutputMin)) continue;
    const OnnxInitializer* w = graph->FindInitializer(conv.inputs.size() > 1 ? conv.inputs[1] : "");
    const OnnxInitializer* b = conv.inputs.size() > 2 && !conv.inputs[2].empty()
                                   ? graph->FindInitializer(conv.inputs[2]) : nullptr;
    const OnnxInitializer* gamma = graph->FindInitializer(bn.inputs[1]);
    const OnnxInitializer* beta = graph->FindInitializer(bn.inputs[2]);
    const OnnxInitializer* mean = graph->FindInitializer(bn.inputs[3]);
    const OnnxInitializer* var = graph->FindInitializer(bn.inputs[4]);
    if (!w || !w->is_float || w->shape.empty() || !gamma || !beta || !mean || !var) continue;
    if (conv.inputs.size() > 2 && !conv.inputs[2].empty() && (!b || !b->is_float)) continue;
    const int64_t m = w->shape[0];
    bool ok = gamma->is_float && beta->is_float && mean->is_float && var->is_float;
    for (const OnnxInitializer* t : {gamma, beta, mean, var}) ok = ok && static_cast<int64_t>(t->data.size()) == m;
    if (!ok || (b && static_cast<int64_t>(b->data.size()) != m)) continue;
    const float eps = bn.GetFloat("epsilon", 1e-5f);
    // Initializers read by this Conv or BatchNormalization alone are replaced, not copied (the
    // folded weights would otherwise double the model's memory while loading).
    auto sole_use = [&](const std::string& name) {
      auto c = u.consumers.find(name);
      return c != u.consumers.end() && c->second == 1 && !u.graph_outputs.count(name);
    };
    std::vector<std::string> replaced;
    for (size_t k = 1; k < conv.inputs.size() && k < 3; ++k) {
      if (!conv.inputs[k].empty() && sole_use(conv.inputs[k])) replaced.push_back(conv.inputs[k]);
    }
    for (size_t k = 1; k < 5; ++k) {
      if (sole_use(bn.inputs[k])) replaced.push_back(bn.inputs[k]);
    }
    OnnxInitializer new_w = sole_use(conv.inputs[1]) ? std::move(graph->initializers.at(conv.inputs[1])) : *w;
    OnnxInitializer new_b;
    new_b.shape = {m};
    new_b.data.resize(m);
    const size_t per_out = new_w.data.size() / static_cast<size_t>(m);
    for (int64_t c = 0; c < m; ++c) {
      const double s = gamma->data[c] / std::sqrt(static_cast<double>(var->data[c]) + eps);
      for (size_t k = 0; k < per_out; ++k) new_w.data[c * per_out + k] = static_cast<float>(new_w.data[c * per_out + k] * s);
      const double bias = b ? b->data[c] : 0.0;
      new_b.data[c] = static_cast<float>((bias - mean->data[c]) * s + beta->data[c]);
    }
    for (const std::string& name : replaced) graph->initializers.erase(name);
    const std::string w_name = conv.name + "/bn_folded_W", b_name = conv.name + "/bn_folded_B";
    graph->initializers[w_name] = std::move(new_w);
    graph->initializers[b_name] = std::move(new_b);
    conv.inputs.resize(3);
    conv.inputs[1] = w_name;
    conv.inputs[2] = b_name;
    conv.outputs[0] = bn.outputs[0];
    deleted[i] = true;
    ++folded;
  }
  EraseDeleted(graph, deleted);
  return folded;
}

// Pads of a constant Pad over NCHW that only pads H and W: {top, left, bottom, right}, and the
// padding value.
bool SpatialConstantPads(const OnnxGraph& graph, const OnnxNode& pad, std::vector<int64_t>* tlbr, float* value) {
  Result<OnnxGraph::ConstantPadding> padding = graph.ConstantPad(pad);
  if (!padding.ok()) return false;
  const std::vector<int64_t>& pads = padding->pads;
  *value = padding->value;
  if (pads.size() != 8 || pads[0] || pads[1] || pads[4] || pads[5]) return false;
  for (int64_t v : pads) {
    if (v < 0) return false;
  }
  *tlbr = {pads[2], pads[3], pads[6], pads[7]};
  return true;
}

int FusePads(OnnxGraph* graph) {
  Usage u = ComputeUsage(*graph);
  std::vector<bool> deleted(graph->nodes.size(), false);
  std::map<std::string, size_t> consumer;  // value → index of its (last) consumer
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    for (const auto& in : graph->nodes[i].inputs) consumer[in] = i;
  }
  int fused = 0;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    OnnxNode& pad = graph->nodes[i];
    std::vector<int64_t> tlbr;
    float value = 0.0f;
    if (pad.op_type != "Pad" || pad.outputs.size() != 1 || !SpatialConstantPads(*graph, pad, &tlbr, &value)) continue;
    if (!SingleUseIntermediate(u, pad.outputs[0])) continue;
    OnnxNode& conv = graph->nodes[consumer.at(pad.outputs[0])];
    // A Conv pads with zeros; MaxPool ignores padding, as if it held -infinity.
    const bool fits = (conv.op_type == "Conv" && value == 0.0f) || (conv.op_type == "MaxPool" && value == -kInf);
    if (!fits || conv.inputs[0] != pad.outputs[0]) continue;
    const std::string auto_pad = conv.GetString("auto_pad", "NOTSET");
    if (auto_pad != "NOTSET" && auto_pad != "VALID") continue;
    std::vector<int64_t> cp = auto_pad == "VALID" ? std::vector<int64_t>{0, 0, 0, 0}
                                                  : conv.GetInts("pads", {0, 0, 0, 0});
    if (cp.size() != 4) continue;
    for (int k = 0; k < 4; ++k) cp[k] += tlbr[k];
    conv.SetInts("pads", cp);
    conv.attributes.erase("auto_pad");
    conv.inputs[0] = pad.inputs[0];
    deleted[i] = true;
    ++fused;
  }
  EraseDeleted(graph, deleted);
  return fused;
}

// A Split along the channels of a Conv output read by nothing else becomes one Conv per part
// (weights and bias sliced by output channel): no split copies, and each part can take its own
// activation as a post-op (detector heads: class scores -> Sigmoid, box logits as they are).
int SplitConvs(OnnxGraph* graph) {
  Usage u = ComputeUsage(*graph);
  std::vector<OnnxNode> nodes;
  std::vector<bool> drop(graph->nodes.size(), false);
  std::map<size_t, std::vector<OnnxNode>> replacement;  // split index → its convs
  int split = 0;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    const OnnxNode& sp = graph->nodes[i];
    if (sp.op_type != "Split" || sp.inputs.empty() || !SingleUseIntermediate(u, sp.inputs[0])) continue;
    const int p = u.producer.at(sp.inputs[0]);
    const OnnxNode& conv = graph->nodes[p];
    if (conv.op_type != "Conv" || conv.outputs.size() != 1 || conv.GetInt("group", 1) != 1 || conv.inputs.size() < 2) {
      continue;
    }
    const OnnxInitializer* w = graph->FindInitializer(conv.inputs[1]);
    const OnnxInitializer* b = conv.inputs.size() > 2 && !conv.inputs[2].empty()
                                   ? graph->FindInitializer(conv.inputs[2]) : nullptr;
    if (!w || !w->is_float || w->shape.size() != 4 || (conv.inputs.size() > 2 && !conv.inputs[2].empty() && !b)) {
      continue;
    }
    if (b && (!b->is_float || static_cast<int64_t>(b->data.size()) != w->shape[0])) continue;
    int64_t axis = 0;
    auto sizes = SplitSizes(*graph, sp, {1, w->shape[0], 1, 1}, &axis);
    if (!sizes.ok() || axis != 1) continue;
    const size_t per_out = w->data.size() / static_cast<size_t>(w->shape[0]);
    int64_t offset = 0;
    for (size_t k = 0; k < sizes->size(); ++k) {
      const int64_t c = (*sizes)[k];
      if (!sp.outputs[k].empty() && c > 0) {
        OnnxNode part = conv;
        part.name = conv.name + "/split" + std::to_string(k);
        part.outputs = {sp.outputs[k]};
        OnnxInitializer pw;
        pw.shape = {c, w->shape[1], w->shape[2], w->shape[3]};
        pw.data.assign(w->data.begin() + offset * per_out, w->data.begin() + (offset + c) * per_out);
        graph->initializers[part.name + "/W"] = std::move(pw);
        part.inputs[1] = part.name + "/W";
        if (b) {
          OnnxInitializer pb;
          pb.shape = {c};
          pb.data.assign(b->data.begin() + offset, b->data.begin() + offset + c);
          graph->initializers[part.name + "/B"] = std::move(pb);
          part.inputs[2] = part.name + "/B";
        }
        replacement[i].push_back(std::move(part));
      }
      offset += c;
    }
    drop[p] = true;
    ++split;
  }
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    auto r = replacement.find(i);
    if (r != replacement.end()) {
      for (OnnxNode& n : r->second) nodes.push_back(std::move(n));
    } else if (!drop[i]) {
      nodes.push_back(std::move(graph->nodes[i]));
    }
  }
  graph->nodes = std::move(nodes);
  return split;
}

int FuseActivations(OnnxGraph* graph) {
  static const std::set<std::string> kProducers = {"Conv", "Add", "Gemm", "MaxPool", "AveragePool",
                                                   "GlobalAveragePool"};
  Usage u = ComputeUsage(*graph);
  std::vector<bool> deleted(graph->nodes.size(), false);
  int fused = 0;
  for (size_t i = 0; i < graph->nodes.size(); ++i) {
    OnnxNode& act = graph->nodes[i];
    if ((act.op_type != "Relu" && act.op_type != "Clip") || act.inputs.empty() || act.outputs.size() != 1) continue;
    float lo = 0, hi = 0;
    if (!ActivationBounds(*graph, act, &lo, &hi).ok()) continue;
    if (!SingleUseIntermediate(u, act.inputs[0])) continue;
    const int p = u.producer.at(act.inputs[0]);
    OnnxNode& producer = graph->nodes[p];
    if (deleted[p] || !kProducers.count(producer.op_type) || producer.outputs.size() != 1) continue;
    producer.SetFloat(kFusedOutputMin, std::max(lo, producer.GetFloat(kFusedOutputMin, -kInf)));
    producer.SetFloat(kFusedOutputMax, std::min(hi, producer.GetFloat(kFusedOutputMax, kInf)));
    producer.outputs[0] = act.outputs[0];
    deleted[i] = true;
    ++fused;
  }
  EraseDeleted(graph, deleted);
  return fused;
}

}  // namespace

Status ActivationBounds(const OnnxGraph& graph, const OnnxNode& node, float* min_value, float* max_value) {
  *min_value = -kInf;
  *max_value = kInf;
  if (node.op_type == "Relu") {
    *min_value = 0.0f;
    return Status::Ok();
  }
  if (node.op_type != "Clip") return InvalidArgumentError(node.Describe() + " is not Relu or Clip");
  if (graph.opset < 11) {
    *min_value = node.GetFloat("min", -kInf);
    *max_value = node.GetFloat("max", kInf);
    return Status::Ok();
  }
  for (size_t k = 1; k <= 2 && k < node.inputs.size(); ++k) {
    if (node.inputs[k].empty()) continue;
    const OnnxInitializer* init = graph.FindInitializer(node.inputs[k]);
    if (!init || !init->is_float || init->data.size() != 1) {
      return UnsupportedError(node.Describe() + ": min/max must be scalar float initializers");
    }
    (k == 1 ? *min_value : *max_value) = init->data[0];
  }
  return Status::Ok();
}

Status OptimizeGraph(OnnxGraph* graph, OptimizeStats* stats) {
  OptimizeStats local;
  local.identities_removed = RemoveIdentities(graph);
  local.batch_norms_folded = FoldBatchNorms(graph);
  local.pads_fused = FusePads(graph);
  local.convs_split = SplitConvs(graph);
  local.activations_fused = FuseActivations(graph);
  if (stats) *stats = local;
  return Status::Ok();
}

Result<PreparedGraph> LoadPreparedGraph(const std::string& onnx_path, const std::string& backend_name) {
  PreparedGraph p;
  VIGIL_ASSIGN_OR_RETURN(p.graph, LoadOnnxGraph(onnx_path));
  VIGIL_RETURN_IF_ERROR(OptimizeGraph(&p.graph, &p.stats));
  p.input_shape = p.graph.inputs[0].shape;
  if (p.input_shape.empty()) return UnsupportedError(onnx_path + ": the graph input has no static shape");
  p.input_shape[0] = 1;
  for (size_t d = 1; d < p.input_shape.size(); ++d) {
    if (p.input_shape[d] <= 0) {
      return UnsupportedError(onnx_path + ": input dimension " + std::to_string(d) + " is symbolic; the " +
                              backend_name + " backend needs a fixed input size");
    }
  }
  auto shapes = InferShapes(p.graph, p.input_shape);
  if (!shapes.ok()) return shapes.status().WithContext(onnx_path);
  p.shapes = std::move(shapes).value();
  return p;
}

}  // namespace vigil
