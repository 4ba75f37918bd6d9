// oneDNN lowering: an optimized OnnxGraph turned into a Plan (onednn_plan.h) for one batch size.
// Primitives choose their own memory formats (format_tag::any); a reorder is added only where a
// consumer wants another format. Fusions: activations (Relu/Clip bounds fused by OptimizeGraph,
// and a LeakyRelu, Sigmoid or Tanh that alone reads a Conv's output) become eltwise post-ops; a residual Add whose one input is a Conv output read only by that Add,
// and whose other input is not read after that Conv runs, becomes a sum post-op of the Conv
// writing in place into the other input's buffer. Wide 3x3 stride-1 convolutions use Winograd
// (see UseWinograd).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <dnnl.hpp>

#include "runtime/graph_optimize.h"
#include "runtime/onednn_plan.h"
#include "runtime/onednn_plan_builder.h"
#include "runtime/onnx_graph.h"

namespace vigil {
namespace onednn_internal {

namespace {

// ---------------------------------------------------------------------------------------------
// Lowering of an optimized graph to a Plan for a given batch size (on the calling thread, whose
// OpenMP thread count must be the plan's).

class Lowering : public PlanBuilder {
 public:
  Lowering(const OnnxGraph& graph, const ShapeMap& shapes, WeightCache* weights, int threads, int batch)
      : PlanBuilder(graph, shapes, threads, batch), weights_(weights) {}

  Result<Plan> Run() {
    try {
      return RunImpl();
    } catch (const dnnl::error& e) {
      const std::string what = std::string("oneDNN: ") + e.what() + (current_.empty() ? "" : " at " + current_);
      return e.status == dnnl_unimplemented ? UnsupportedError(what) : InternalError(what);
    }
  }

 private:
  Result<Plan> RunImpl() {
    PlanResidualFusions();
    PlanActivationFusions();
    const OnnxValueInfo& in = graph_.inputs.at(0);
    PlanValue input;
    input.desc = PlainDesc(Dims(in.name));
    input.buffer = kExternalInput;
    value_of_[in.name] = AddValue(input);
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      const OnnxNode& node = graph_.nodes[i];
      current_ = node.Describe();
      if (done_nodes_.count(i)) continue;
      node_index_ = i;
      VIGIL_RETURN_IF_ERROR(LowerNode(node));
    }
    current_.clear();
    for (size_t i = 0; i < graph_.outputs.size(); ++i) {
      const std::string& name = graph_.outputs[i].name;
      auto it = value_of_.find(name);
      if (it == value_of_.end()) return UnsupportedError("graph output '" + name + "' is a constant");
      PlanValue out;
      out.desc = PlainDesc(Dims(name));
      out.buffer = kExternalOutput;
      out.output_index = static_cast<int>(i);
      if (WriteOutputInPlace(it->second, out)) continue;
      const int v = AddValue(out);
      VIGIL_RETURN_IF_ERROR(AddReorder("output " + name, it->second, v));
      plan_.output_values.push_back(v);
    }
    PlanMemory(&plan_);
    return std::move(plan_);
  }


  // When `value` is the whole of a planned buffer, in exactly the plain layout of graph output
  // `out`, and written by one step only, that buffer becomes the caller's output tensor: the
  // producer writes the output directly (no final reorder). E.g. a detector head's NHWC conv
  // output seen through Reshape + Transpose as [N, H*W, C].
  bool WriteOutputInPlace(int value, const PlanValue& out) {
    const int b = plan_.values[value].buffer;
    if (b < 0 || redirected_buffers_.count(b) || !(plan_.values[value].desc == out.desc) ||
        plan_.buffer_bytes[b] != out.desc.get_size()) {
      return false;
    }
    int writes = 0;
    for (const PlanStep& step : plan_.steps) {
      for (const auto& arg : step.value_args) {
        if (arg.first == DNNL_ARG_DST && plan_.values[arg.second].buffer == b) ++writes;
      }
      if (step.fill_value >= 0 && plan_.values[step.fill_value].buffer == b) ++writes;
    }
    if (writes != 1) return false;
    for (PlanValue& v : plan_.values) {
      if (v.buffer != b) continue;
      v.buffer = kExternalOutput;
      v.output_index = out.output_index;
    }
    plan_.buffer_bytes[b] = 0;
    redirected_buffers_.insert(b);
    plan_.output_values.push_back(value);
    return true;
  }

  // ---- residual Add → sum post-op planning (on the graph, before lowering)

  struct ResidualFusion {
    size_t add_index = 0;
    std::string residual;  // the Add's other input, overwritten in place
  };

  void PlanResidualFusions() {
    static const std::set<std::string> kViews = {"Transpose", "Flatten", "Identity", "Dropout", "Reshape"};
    std::map<std::string, size_t> producer;
    std::map<std::string, std::vector<size_t>> consumers;
    std::set<std::string> outputs;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      for (const auto& in : graph_.nodes[i].inputs) consumers[in].push_back(i);
      for (const auto& out : graph_.nodes[i].outputs) producer[out] = i;
    }
    for (const auto& o : graph_.outputs) outputs.insert(o.name);
    for (size_t a = 0; a < graph_.nodes.size(); ++a) {
      const OnnxNode& add = graph_.nodes[a];
      if (add.op_type != "Add" || add.inputs.size() != 2 || add.inputs[0] == add.inputs[1]) continue;
      for (int k = 0; k < 2; ++k) {
        const std::string& p = add.inputs[k];
        const std::string& r = add.inputs[1 - k];
        auto pp = producer.find(p), rp = producer.find(r);
        if (pp == producer.end() || rp == producer.end()) continue;  // constants or the graph input
        const size_t conv = pp->second;
        const OnnxNode& c = graph_.nodes[conv];
        if (c.op_type != "Conv" || c.outputs.size() != 1 || consumers[p].size() != 1 || outputs.count(p) ||
            outputs.count(r) || rp->second >= conv || fusion_of_conv_.count(conv)) {
          continue;
        }
        if (!shapes_.count(p) || !shapes_.count(r) || shapes_.at(p) != shapes_.at(r)) continue;
        bool ok = true;
        for (size_t use : consumers[r]) {
          if (use == a) continue;
          if (use >= conv || kViews.count(graph_.nodes[use].op_type)) ok = false;
        }
        if (kViews.count(graph_.nodes[rp->second].op_type)) ok = false;
        if (!ok) continue;
        fusion_of_conv_[conv] = ResidualFusion{a, r};
        break;
      }
    }
  }

  // ---- LeakyRelu/Sigmoid/Tanh after a Conv → eltwise post-op of that Conv (on the graph)

  void PlanActivationFusions() {
    std::map<std::string, std::vector<size_t>> consumers;
    std::set<std::string> outputs;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      for (const auto& in : graph_.nodes[i].inputs) consumers[in].push_back(i);
    }
    for (const auto& o : graph_.outputs) outputs.insert(o.name);
    for (size_t c = 0; c < graph_.nodes.size(); ++c) {
      const OnnxNode& conv = graph_.nodes[c];
      if (conv.op_type != "Conv" || conv.outputs.size() != 1 || fusion_of_conv_.count(c) ||
          conv.Has(kFusedOutputMin) || conv.Has(kFusedOutputMax) || outputs.count(conv.outputs[0])) {
        continue;
      }
      const std::vector<size_t>& uses = consumers[conv.outputs[0]];
      if (uses.size() != 1) continue;
      const std::string& op = graph_.nodes[uses[0]].op_type;
      if (op == "LeakyRelu" || op == "Sigmoid" || op == "Tanh") activation_of_conv_[c] = uses[0];
    }
  }

  // Appends the planned activation of the Conv being lowered to `ops`; its node index, or -1.
  int AppendFusedActivation(dnnl::post_ops* ops) const {
    auto it = activation_of_conv_.find(node_index_);
    if (it == activation_of_conv_.end()) return -1;
    const OnnxNode& act = graph_.nodes[it->second];
    if (act.op_type == "LeakyRelu") {
      ops->append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, act.GetFloat("alpha", 0.01f), 0.0f);
    } else {
      ops->append_eltwise(1.0f, act.op_type == "Sigmoid" ? dnnl::algorithm::eltwise_logistic
                                                         : dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f);
    }
    return static_cast<int>(it->second);
  }

  // ---- nodes

  Status LowerNode(const OnnxNode& node) {
    const std::string& op = node.op_type;
    if (op == "Identity" || op == "Dropout") {
      VIGIL_ASSIGN_OR_RETURN(value_of_[node.outputs[0]], Input(node, 0));
      return Status::Ok();
    }
    if (op == "Transpose") return LowerTranspose(node);
    if (op == "Conv") return LowerConv(node);
    if (op == "BatchNormalization") return LowerBatchNorm(node);
    if (op == "MaxPool" || op == "AveragePool") return LowerPool(node);
    if (op == "GlobalAveragePool") return LowerGlobalAveragePool(node);
    if (op == "Relu" || op == "Clip" || op == "LeakyRelu" || op == "Sigmoid" || op == "Tanh" || op == "Sqrt") {
      return LowerElementwise(node);
    }
    if (op == "Pad") return LowerPad(node);
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return LowerBinary(node);
    if (op == "Reshape") return LowerReshape(node);
    if (op == "Split") return LowerSplit(node);
    if (op == "Resize") return LowerResize(node);
    if (op.rfind("Reduce", 0) == 0) return LowerReduce(node);
    if (op == "LpNormalization") return LowerLpNormalization(node);
    if (op == "Concat") return LowerConcat(node);
    if (op == "Flatten") return LowerFlatten(node);
    if (op == "Gemm") return LowerGemm(node);
    if (op == "Softmax") return LowerSoftmax(node);
    return UnsupportedError(node.Describe() + ": op not supported by the oneDNN backend");
  }

  Status LowerTranspose(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    std::vector<int64_t> perm = node.GetInts("perm");
    const int rank = plan_.values[x].desc.dims().size();
    if (perm.empty()) {
      for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
    }
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < static_cast<int>(sorted.size()); ++i) {
      if (sorted[i] != i) return InvalidArgumentError(node.Describe() + ": perm is not a permutation");
    }
    if (static_cast<int>(perm.size()) != rank) return InvalidArgumentError(node.Describe() + ": perm rank");
    if (perm[0] != 0) return UnsupportedError(node.Describe() + ": a Transpose that moves the batch axis");
    // ONNX: out dim i = in dim perm[i]; oneDNN permute_axes: out dim p[i] = in dim i.
    std::vector<int> inverse(rank);
    for (int i = 0; i < rank; ++i) inverse[perm[i]] = i;
    const memory::desc d = plan_.values[x].desc.permute_axes(inverse, true);
    if (d.is_zero()) {
      VIGIL_ASSIGN_OR_RETURN(int plain, Materialize(x, PlainDesc(plan_.values[x].desc.dims())));
      value_of_[node.outputs[0]] = AliasValue(plain, plan_.values[plain].desc.permute_axes(inverse));
    } else {
      value_of_[node.outputs[0]] = AliasValue(x, d);
    }
    return Status::Ok();
  }

  struct ConvSpec {
    memory::dims weight_dims;  // oihw or goihw
    const float* weights = nullptr;
    bool shared_weights = false;  // `weights` is the graph's initializer `weights_name`
    std::string weights_name;
    std::vector<float> bias;
    memory::dims strides, dilates, pad_l, pad_r;
    float lo = -kInf, hi = kInf;
  };

  // Convolution (also standalone BatchNormalization as a 1x1 depthwise one), with the residual
  // Add fused as a sum post-op when planned and accepted by oneDNN.
  Status BuildConv(const OnnxNode& node, int x, const ConvSpec& spec) {
    const std::string& y = node.outputs[0];
    const memory::dims dst_dims = Dims(y);
    const bool grouped = spec.weight_dims.size() == 5;
    const memory::desc w_any(spec.weight_dims, Dt::f32, Tag::any);
    const memory::desc b_md({static_cast<memory::dim>(spec.bias.size())}, Dt::f32, Tag::a);
    const memory::desc w_plain(spec.weight_dims, Dt::f32, grouped ? Tag::goihw : Tag::oihw);
    dnnl::algorithm alg = dnnl::algorithm::convolution_direct;
    auto make_desc = [&](const memory::desc& src, const memory::desc& dst) {
      if (spec.bias.empty()) {
        return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, alg, src, w_any, dst,
                                               spec.strides, spec.dilates, spec.pad_l, spec.pad_r);
      }
      return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, alg, src, w_any, b_md, dst,
                                             spec.strides, spec.dilates, spec.pad_l, spec.pad_r);
    };
    const memory::desc src_any(plan_.values[x].desc.dims(), Dt::f32, Tag::any);
    const memory::desc dst_any(dst_dims, Dt::f32, Tag::any);

    // Residual Add fused as sum: dst is the residual's own buffer and format.
    auto fusion = fusion_of_conv_.find(node_index_);
    if (fusion != fusion_of_conv_.end()) {
      const OnnxNode& add = graph_.nodes[fusion->second.add_index];
      auto r = value_of_.find(fusion->second.residual);
      if (r != value_of_.end() && plan_.values[r->second].buffer >= 0) {
        dnnl::post_ops ops;
        AppendBounds(spec.lo, spec.hi, &ops);
        ops.append_sum(1.0f);
        float alo, ahi;
        NodeBounds(add, &alo, &ahi);
        AppendBounds(alo, ahi, &ops);
        const memory::desc& r_md = plan_.values[r->second].desc;
        try {
          dnnl::convolution_forward::primitive_desc pd(make_desc(src_any, r_md), Attr(&ops), Engine());
          VIGIL_ASSIGN_OR_RETURN(int src, Materialize(x, pd.src_desc()));
          const int out = AliasValue(r->second, r_md);
          AddConvStep(node, pd, src, out, spec, w_plain);
          value_of_[add.outputs[0]] = out;
          done_nodes_.insert(fusion->second.add_index);
          return Status::Ok();
        } catch (const dnnl::error&) {
          // Not supported in this form: a separate Add.
        }
      }
    }
    dnnl::post_ops ops;
    AppendBounds(spec.lo, spec.hi, &ops);
    const int activation = AppendFusedActivation(&ops);
    dnnl::convolution_forward::primitive_desc pd;
    if (UseWinograd(spec, plan_.values[x].desc.dims())) {
      try {
        alg = dnnl::algorithm::convolution_winograd;
        pd = dnnl::convolution_forward::primitive_desc(make_desc(src_any, dst_any), Attr(&ops), Engine());
      } catch (const dnnl::error&) {
        alg = dnnl::algorithm::convolution_direct;  // no Winograd kernel for this shape or CPU
      }
    }
    if (alg == dnnl::algorithm::convolution_direct) {
      pd = dnnl::convolution_forward::primitive_desc(make_desc(src_any, dst_any), Attr(&ops), Engine());
    }
    VIGIL_ASSIGN_OR_RETURN(int src, Materialize(x, pd.src_desc()));
    const int out = NewValue(pd.dst_desc());
    AddConvStep(node, pd, src, out, spec, w_plain);
    value_of_[y] = out;
    if (activation >= 0) {
      value_of_[graph_.nodes[activation].outputs.at(0)] = out;
      done_nodes_.insert(static_cast<size_t>(activation));
    }
    return Status::Ok();
  }

  // Winograd F(4x4,3x3) for 3x3 stride-1 convolutions with at least 64 input and output channels:
  // measured on Zen 4 (1 thread) 1.5-3.3x faster than direct (InceptionV3 80->192 at 73x73:
  // 9.7 -> 2.9 ms; 96->96 at 35x35: 0.79 -> 0.32 ms; 448->384 at 8x8: 0.70 -> 0.47 ms) but 2.4-3.8x
  // slower with 32 channels (32->64 at 147x147: 3.3 -> 7.9 ms). Error ~1e-5 relative.
  static bool UseWinograd(const ConvSpec& spec, const memory::dims& src_dims) {
    const memory::dims& w = spec.weight_dims;
    return w.size() == 4 && w[2] == 3 && w[3] == 3 && spec.strides == memory::dims{1, 1} &&
           spec.dilates == memory::dims{0, 0} && w[0] >= 64 && w[1] >= 64 && src_dims[1] == w[1];
  }

  void AddConvStep(const OnnxNode& node, const dnnl::convolution_forward::primitive_desc& pd, int src, int dst,
                   const ConvSpec& spec, const memory::desc& w_plain) {
    PlanStep& s = AddStep(node.Describe(), pd, dnnl::convolution_forward(pd));
    s.value_args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
    // Conv weights come from the graph's initializers (shared); BatchNormalization's are computed.
    memory w = spec.shared_weights
                   ? weights_->Get(spec.weights_name, w_plain, spec.weights, pd.weights_desc(), stream_)
                   : ConstantIn(w_plain, spec.weights, pd.weights_desc());
    s.constant_args.emplace_back(DNNL_ARG_WEIGHTS, w);
    if (!spec.bias.empty()) s.constant_args.emplace_back(DNNL_ARG_BIAS, Constant(pd.bias_desc(), spec.bias.data()));
  }

  Status LowerConv(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    if (plan_.values[x].desc.dims().size() != 4) {
      return UnsupportedError(node.Describe() + ": only 2-D convolution (4-D input) is supported");
    }
    VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* w, graph_.FloatInitializer(node, node.inputs.at(1)));
    if (w->shape.size() != 4) return UnsupportedError(node.Describe() + ": weights must be 4-D");
    const int64_t m = w->shape[0], cg = w->shape[1], kh = w->shape[2], kw = w->shape[3];
    const int64_t group = node.GetInt("group", 1);
    if (group < 1 || m % group != 0) return InvalidArgumentError(node.Describe() + ": group");
    VIGIL_ASSIGN_OR_RETURN(Window2d win, ResolveWindow2d(node, shapes_.at(node.inputs[0]), kh, kw));
    ConvSpec spec;
    spec.weight_dims = group > 1 ? memory::dims{group, m / group, cg, kh, kw} : memory::dims{m, cg, kh, kw};
    spec.weights = w->data.data();
    spec.shared_weights = true;
    spec.weights_name = node.inputs.at(1);
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* b, graph_.FloatInitializer(node, node.inputs[2]));
      if (static_cast<int64_t>(b->data.size()) != m) return InvalidArgumentError(node.Describe() + ": bias size");
      spec.bias = b->data;
    }
    spec.strides = {win.stride_h, win.stride_w};
    spec.dilates = {win.dilation_h - 1, win.dilation_w - 1};
    spec.pad_l = {win.pad_top, win.pad_left};
    spec.pad_r = {win.pad_bottom + win.ceil_extra_h, win.pad_right + win.ceil_extra_w};
    NodeBounds(node, &spec.lo, &spec.hi);
    return BuildConv(node, x, spec);
  }

  Status LowerBatchNorm(const OnnxNode& node) {
    if (node.inputs.size() != 5 || node.outputs.size() != 1) {
      return UnsupportedError(node.Describe() + ": expects 5 inputs and 1 output (inference mode)");
    }
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    const memory::dims dims = plan_.values[x].desc.dims();
    if (dims.size() != 4) return UnsupportedError(node.Describe() + ": only 4-D input is supported");
    const int64_t c = dims[1];
    const OnnxInitializer* p[4];
    for (int i = 0; i < 4; ++i) {
      VIGIL_ASSIGN_OR_RETURN(p[i], graph_.FloatInitializer(node, node.inputs.at(i + 1)));
      if (static_cast<int64_t>(p[i]->data.size()) != c) return InvalidArgumentError(node.Describe() + ": parameter size");
    }
    const float eps = node.GetFloat("epsilon", 1e-5f);
    auto& scale = owned_floats_.emplace_back();
    ConvSpec spec;
    for (int64_t k = 0; k < c; ++k) {
      const double s = p[0]->data[k] / std::sqrt(static_cast<double>(p[3]->data[k]) + eps);
      scale.push_back(static_cast<float>(s));
      spec.bias.push_back(static_cast<float>(p[1]->data[k] - p[2]->data[k] * s));
    }
    spec.weight_dims = {c, 1, 1, 1, 1};
    spec.weights = scale.data();
    spec.strides = {1, 1};
    spec.dilates = {0, 0};
    spec.pad_l = spec.pad_r = {0, 0};
    NodeBounds(node, &spec.lo, &spec.hi);
    return BuildConv(node, x, spec);
  }

  // Pooling with an eltwise post-op for fused bounds (or a separate in-place clamp).
  Status BuildPool(const OnnxNode& node, int x, dnnl::algorithm alg, const memory::dims& kernel,
                   const memory::dims& strides, const memory::dims& dilation, const memory::dims& pad_l,
                   const memory::dims& pad_r) {
    const memory::dims dst_dims = Dims(node.outputs[0]);
    const memory::desc dst_any(dst_dims, Dt::f32, Tag::any);
    float lo, hi;
    NodeBounds(node, &lo, &hi);
    dnnl::post_ops ops;
    AppendBounds(lo, hi, &ops);
    auto make = [&](const memory::desc& src, const dnnl::primitive_attr& attr) {
      dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, src, dst_any, strides, kernel,
                                       dilation, pad_l, pad_r);
      return dnnl::pooling_v2_forward::primitive_desc(d, attr, Engine());
    };
    const memory::desc& src_md = plan_.values[x].desc;
    dnnl::pooling_v2_forward::primitive_desc pd;
    bool fused = true;
    try {
      pd = make(src_md, Attr(&ops));
    } catch (const dnnl::error&) {
      fused = false;
      pd = make(src_md, Attr());
    }
    const int out = NewValue(pd.dst_desc());
    PlanStep& s = AddStep(node.Describe(), pd, dnnl::pooling_v2_forward(pd));
    s.value_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, out}};
    if (!fused) VIGIL_RETURN_IF_ERROR(AddClamp(node.Describe() + " (bounds)", out, lo, hi));
    value_of_[node.outputs[0]] = out;
    return Status::Ok();
  }

  Status LowerPool(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    if (plan_.values[x].desc.dims().size() != 4) return UnsupportedError(node.Describe() + ": only 4-D input");
    const bool is_max = node.op_type == "MaxPool";
    if (is_max && node.outputs.size() > 1 && !node.outputs[1].empty()) {
      return UnsupportedError(node.Describe() + ": the Indices output is not supported");
    }
    const std::vector<int64_t> k = node.GetInts("kernel_shape");
    if (k.size() != 2) return UnsupportedError(node.Describe() + ": only 2-D pooling is supported");
    VIGIL_ASSIGN_OR_RETURN(Window2d win, ResolveWindow2d(node, shapes_.at(node.inputs[0]), k[0], k[1]));
    const bool padded = win.pad_top || win.pad_left || win.pad_bottom || win.pad_right;
    const bool ceil_extra = win.ceil_extra_h || win.ceil_extra_w;
    dnnl::algorithm alg = dnnl::algorithm::pooling_max;
    if (!is_max) {
      const bool include = node.GetInt("count_include_pad", 0) != 0;
      if (include && ceil_extra) {
        return UnsupportedError(node.Describe() + ": count_include_pad=1 with ceil_mode is not supported");
      }
      if (win.dilation_h != 1 || win.dilation_w != 1) {
        return UnsupportedError(node.Describe() + ": dilated average pooling is not supported");
      }
      alg = include && padded ? dnnl::algorithm::pooling_avg_include_padding
                              : dnnl::algorithm::pooling_avg_exclude_padding;
    }
    return BuildPool(node, x, alg, {win.kernel_h, win.kernel_w}, {win.stride_h, win.stride_w},
                     {win.dilation_h - 1, win.dilation_w - 1}, {win.pad_top, win.pad_left},
                     {win.pad_bottom + win.ceil_extra_h, win.pad_right + win.ceil_extra_w});
  }

  Status LowerGlobalAveragePool(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    const memory::dims d = plan_.values[x].desc.dims();
    if (d.size() != 4) return UnsupportedError(node.Describe() + ": only 4-D input");
    return BuildPool(node, x, dnnl::algorithm::pooling_avg_exclude_padding, {d[2], d[3]}, {1, 1}, {0, 0}, {0, 0},
                     {0, 0});
  }

  Status LowerElementwise(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    const std::string& op = node.op_type;
    dnnl::algorithm alg = dnnl::algorithm::eltwise_clip;
    float alpha = 0, beta = 0;
    if (op == "LeakyRelu") {
      alg = dnnl::algorithm::eltwise_relu;
      alpha = node.GetFloat("alpha", 0.01f);
    } else if (op == "Sigmoid") {
      alg = dnnl::algorithm::eltwise_logistic;
    } else if (op == "Tanh") {
      alg = dnnl::algorithm::eltwise_tanh;
    } else if (op == "Sqrt") {
      alg = dnnl::algorithm::eltwise_sqrt;
    } else {
      VIGIL_RETURN_IF_ERROR(ActivationBounds(graph_, node, &alpha, &beta));
      if (alpha == 0.0f && beta == kInf) alg = dnnl::algorithm::eltwise_relu, beta = 0;
    }
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, plan_.values[x].desc, alpha, beta);
    dnnl::eltwise_forward::primitive_desc pd(d, Attr(), Engine());
    const int out = NewValue(pd.dst_desc());
    PlanStep& s = AddStep(node.Describe(), pd, dnnl::eltwise_forward(pd));
    s.value_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, out}};
    value_of_[node.outputs[0]] = out;
    return Status::Ok();
  }

  // Constant padding: fill the (plain) output with the value, then reorder the input into its
  // interior.
  Status LowerPad(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    VIGIL_ASSIGN_OR_RETURN(OnnxGraph::ConstantPadding padding, graph_.ConstantPad(node));
    const std::vector<int64_t>& pads = padding.pads;
    const float value = padding.value;
    const memory::dims in_dims = plan_.values[x].desc.dims();
    const size_t rank = in_dims.size();
    if (pads.size() != 2 * rank) return InvalidArgumentError(node.Describe() + ": pads size");
    if (pads[0] || pads[rank]) return UnsupportedError(node.Describe() + ": padding the batch axis");
    for (int64_t v : pads) {
      if (v < 0) return UnsupportedError(node.Describe() + ": negative pads are not supported");
    }
    const memory::dims out_dims = Dims(node.outputs[0]);
    const int out = NewValue(PlainDesc(out_dims));
    memory::dims offsets(pads.begin(), pads.begin() + rank);
    const int interior = AliasValue(out, plan_.values[out].desc.submemory_desc(in_dims, offsets));
    PlanStep fill;
    fill.node = node.Describe();
    fill.fill_value = out;
    fill.fill = value;
    plan_.steps.push_back(fill);
    VIGIL_RETURN_IF_ERROR(AddReorder(node.Describe(), x, interior));
    value_of_[node.outputs[0]] = out;
    return Status::Ok();
  }

  Status LowerConcat(const OnnxNode& node) {
    const memory::dims y_dims = Dims(node.outputs[0]);
    int64_t axis = node.GetInt("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(y_dims.size());
    if (axis <= 0 || axis >= static_cast<int64_t>(y_dims.size())) {
      return UnsupportedError(node.Describe() + ": concatenation along the batch axis is not supported");
    }
    std::vector<int> inputs;
    std::vector<memory::desc> mds;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      VIGIL_ASSIGN_OR_RETURN(int x, Input(node, i));
      inputs.push_back(x);
      mds.push_back(plan_.values[x].desc);
    }
    dnnl::concat::primitive_desc pd(static_cast<int>(axis), mds, Engine(), Attr());
    const int out = NewValue(pd.dst_desc());
    PlanStep& s = AddStep(node.Describe(), pd, dnnl::concat(pd));
    for (size_t i = 0; i < inputs.size(); ++i) s.value_args.emplace_back(DNNL_ARG_MULTIPLE_SRC + i, inputs[i]);
    s.value_args.emplace_back(DNNL_ARG_DST, out);
    value_of_[node.outputs[0]] = out;
    return Status::Ok();
  }

  Status LowerFlatten(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    const memory::dims d = plan_.values[x].desc.dims();
    int64_t axis = node.GetInt("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(d.size());
    if (axis != 1) return UnsupportedError(node.Describe() + ": only axis 1 is supported");
    memory::dim inner = 1;
    for (size_t i = 1; i < d.size(); ++i) inner *= d[i];
    const memory::dims flat = {d[0], inner};
    memory::desc view = plan_.values[x].desc.reshape(flat, true);
    if (view.is_zero() || view != PlainDesc(flat)) {
      VIGIL_ASSIGN_OR_RETURN(x, Materialize(x, PlainDesc(d)));
      view = PlainDesc(flat);
    }
    value_of_[node.outputs[0]] = AliasValue(x, view);
    return Status::Ok();
  }

  Status LowerGemm(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int a, Input(node, 0));
    const memory::dims ad = plan_.values[a].desc.dims();
    if (ad.size() != 2 || node.GetInt("transA", 0) != 0) {
      return UnsupportedError(node.Describe() + ": A must be 2-D [N,K] without transA");
    }
    VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* bm, graph_.FloatInitializer(node, node.inputs.at(1)));
    const bool tb = node.GetInt("transB", 0) != 0;
    const float alpha = node.GetFloat("alpha", 1.0f), beta = node.GetFloat("beta", 1.0f);
    const int64_t k = ad[1], m = tb ? bm->shape.at(0) : bm->shape.at(1);
    if ((tb ? bm->shape.at(1) : bm->shape.at(0)) != k) return InvalidArgumentError(node.Describe() + ": B shape");
    std::vector<float>& w = owned_floats_.emplace_back(static_cast<size_t>(m * k));
    for (int64_t o = 0; o < m; ++o)
      for (int64_t i = 0; i < k; ++i) w[o * k + i] = alpha * (tb ? bm->data[o * k + i] : bm->data[i * m + o]);
    std::vector<float> bias;
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* c, graph_.FloatInitializer(node, node.inputs[2]));
      if (static_cast<int64_t>(c->data.size()) != m || (c->shape.size() == 2 && c->shape[0] != 1)) {
        return UnsupportedError(node.Describe() + ": C must have shape [M] or [1,M]");
      }
      for (float v : c->data) bias.push_back(beta * v);
    }
    float lo, hi;
    NodeBounds(node, &lo, &hi);
    dnnl::post_ops ops;
    AppendBounds(lo, hi, &ops);
    const memory::desc src_any(ad, Dt::f32, Tag::any), w_any({m, k}, Dt::f32, Tag::any);
    const memory::desc dst_any({ad[0], m}, Dt::f32, Tag::any);
    const memory::desc b_md({m}, Dt::f32, Tag::a);
    auto d = bias.empty()
                 ? dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_any, w_any, dst_any)
                 : dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src_any, w_any, b_md, dst_any);
    dnnl::inner_product_forward::primitive_desc pd(d, Attr(&ops), Engine());
    VIGIL_ASSIGN_OR_RETURN(int src, Materialize(a, pd.src_desc()));
    const int out = NewValue(pd.dst_desc());
    PlanStep& s = AddStep(node.Describe(), pd, dnnl::inner_product_forward(pd));
    s.value_args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}};
    s.constant_args.emplace_back(DNNL_ARG_WEIGHTS, ConstantIn(PlainDesc({m, k}), w.data(), pd.weights_desc()));
    if (!bias.empty()) s.constant_args.emplace_back(DNNL_ARG_BIAS, Constant(pd.bias_desc(), bias.data()));
    value_of_[node.outputs[0]] = out;
    return Status::Ok();
  }

  Status LowerSoftmax(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
    const memory::dims d = plan_.values[x].desc.dims();
    const int64_t rank = static_cast<int64_t>(d.size());
    int64_t axis = node.GetInt("axis", graph_.opset >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return InvalidArgumentError(node.Describe() + ": axis out of range");
    if (graph_.opset < 13) {
      // Before opset 13 Softmax flattens to [prod(d[0:axis]), prod(d[axis:])]: one axis only if the
      // trailing dimensions are 1.
      for (int64_t i = axis + 1; i < rank; ++i) {
        if (d[i] != 1) return UnsupportedError(node.Describe() + ": opset<13 softmax over several axes");
      }
    }
    if (axis == 0) return UnsupportedError(node.Describe() + ": softmax over the batch axis");
    dnnl::softmax_forward::desc sd(dnnl::prop_kind::forward_inference, plan_.values[x].desc, static_cast<int>(axis));
    dnnl::softmax_forward::primitive_desc pd(sd, Attr(), Engine());
    const int out = NewValue(pd.dst_desc());
    PlanStep& s = AddStep(node.Describe(), pd, dnnl::softmax_forward(pd));
    s.value_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, out}};
    value_of_[node.outputs[0]] = out;
    return Status::Ok();
  }


  WeightCache* weights_;
  size_t node_index_ = 0;
  std::map<size_t, ResidualFusion> fusion_of_conv_;
  std::map<size_t, size_t> activation_of_conv_;
  std::set<int> redirected_buffers_;  // planned buffers that became graph output tensors  // Conv node → its fused activation node
  std::set<size_t> done_nodes_;
  std::list<std::vector<float>> owned_floats_;  // weights computed during lowering (stable addresses)
};

}  // namespace

Result<Plan> LowerGraph(const OnnxGraph& graph, const ShapeMap& shapes, WeightCache* weights, int threads,
                        int batch) {
  return Lowering(graph, shapes, weights, threads, batch).Run();
}

}  // namespace onednn_internal
}  // namespace vigil
