// PlanBuilder: the value and step bookkeeping a oneDNN lowering works with (values with
// descriptors and planned buffers, views of another value's bytes, primitives as plan steps,
// reorders made once per value and format), plus the lowering of the shape and arithmetic ops
// (onednn_lowering_ops.cpp: Reshape, Split, Resize, Add/Sub/Mul/Div, Reduce*, LpNormalization).
// The convolution-network ops and the fusions are in onednn_lowering.cpp (Lowering derives from
// this class). Internal to src/runtime.
// Thread-safety: one builder per lowering, on one thread.
#pragma once

#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <dnnl.hpp>

#include "runtime/graph_optimize.h"
#include "runtime/onednn_plan.h"
#include "runtime/onnx_graph.h"
#include "runtime/resize_kernel.h"
#include "vigil/status.h"

namespace vigil {
namespace onednn_internal {

class PlanBuilder {
 public:
  PlanBuilder(const OnnxGraph& graph, const ShapeMap& shapes, int threads, int batch)
      : graph_(graph), shapes_(shapes), stream_(Engine()) {
    plan_.threads = threads;
    plan_.batch = batch;
  }

 protected:
  static constexpr float kInf = std::numeric_limits<float>::infinity();

  // ---- values and steps

  memory::dims Dims(const std::string& value) const {
    memory::dims d(shapes_.at(value).begin(), shapes_.at(value).end());
    if (!d.empty()) d[0] = plan_.batch;
    return d;
  }

  int AddValue(const PlanValue& v) {
    plan_.values.push_back(v);
    return static_cast<int>(plan_.values.size()) - 1;
  }

  // A value with its own new buffer.
  int NewValue(const memory::desc& desc) {
    PlanValue v;
    v.desc = desc;
    v.buffer = static_cast<int>(plan_.buffer_bytes.size());
    plan_.buffer_bytes.push_back(desc.get_size());
    return AddValue(v);
  }

  // A view of `base`'s bytes with another descriptor.
  int AliasValue(int base, const memory::desc& desc) {
    PlanValue v = plan_.values[base];
    v.desc = desc;
    return AddValue(v);
  }

  static dnnl::primitive_attr Attr(const dnnl::post_ops* ops = nullptr) {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (ops) attr.set_post_ops(*ops);
    return attr;
  }

  template <typename PrimitiveDesc>
  PlanStep& AddStep(const std::string& node, const PrimitiveDesc& pd, dnnl::primitive primitive) {
    PlanStep s;
    s.node = node;
    s.primitive = std::move(primitive);
    s.has_primitive = true;
    const size_t scratch = pd.scratchpad_desc().get_size();
    s.uses_scratchpad = scratch > 0;
    plan_.scratchpad_bytes = std::max(plan_.scratchpad_bytes, scratch);
    plan_.steps.push_back(std::move(s));
    return plan_.steps.back();
  }

  Status AddReorder(const std::string& node, int src, int dst) {
    dnnl::reorder::primitive_desc pd(Engine(), plan_.values[src].desc, Engine(), plan_.values[dst].desc, Attr());
    PlanStep& s = AddStep(node, pd, dnnl::reorder(pd));
    s.value_args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
    return Status::Ok();
  }

  // `value` in descriptor `want` (a reorder into a new buffer, made once per value and format).
  Result<int> Materialize(int value, const memory::desc& want) {
    if (plan_.values[value].desc == want) return value;
    for (const auto& c : converted_) {
      if (c.first == value && plan_.values[c.second].desc == want) return c.second;
    }
    const int v = NewValue(want);
    VIGIL_RETURN_IF_ERROR(AddReorder(current_ + " (reorder)", value, v));
    converted_.emplace_back(value, v);
    return v;
  }

  Result<int> Input(const OnnxNode& node, size_t index) const {
    if (index >= node.inputs.size() || node.inputs[index].empty()) {
      return InvalidArgumentError(node.Describe() + ": missing input " + std::to_string(index));
    }
    auto it = value_of_.find(node.inputs[index]);
    if (it == value_of_.end()) {
      return UnsupportedError(node.Describe() + ": input '" + node.inputs[index] +
                              "' must be computed (constant inputs are not supported here by oneDNN)");
    }
    return it->second;
  }

  memory Constant(const memory::desc& desc, const float* data) {
    memory m(desc, Engine());
    std::memcpy(m.get_data_handle(), data, desc.get_size());
    return m;
  }

  // `data` (in `plain` layout) reordered into `want`, as a plan-owned memory.
  memory ConstantIn(const memory::desc& plain, const float* data, const memory::desc& want) {
    return ReorderConstant(plain, data, want, stream_);
  }

  static void AppendBounds(float lo, float hi, dnnl::post_ops* ops) {
    if (lo == -kInf && hi == kInf) return;
    if (lo == 0.0f && hi == kInf) {
      ops->append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    } else {
      ops->append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, lo, hi);
    }
  }
  static void NodeBounds(const OnnxNode& node, float* lo, float* hi) {
    *lo = node.GetFloat(kFusedOutputMin, -kInf);
    *hi = node.GetFloat(kFusedOutputMax, kInf);
  }

  // An in-place clamp of `value` (when a primitive takes no eltwise post-op).
  Status AddClamp(const std::string& node, int value, float lo, float hi) {
    if (lo == -kInf && hi == kInf) return Status::Ok();
    const auto alg = (lo == 0.0f && hi == kInf) ? dnnl::algorithm::eltwise_relu : dnnl::algorithm::eltwise_clip;
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, plan_.values[value].desc,
                                  alg == dnnl::algorithm::eltwise_relu ? 0.0f : lo, hi);
    dnnl::eltwise_forward::primitive_desc pd(d, Attr(), Engine());
    PlanStep& s = AddStep(node, pd, dnnl::eltwise_forward(pd));
    s.value_args = {{DNNL_ARG_SRC, value}, {DNNL_ARG_DST, value}};
    return Status::Ok();
  }

  // A dense descriptor of `dims` whose dimension order follows `like`'s strides when `like` is a
  // strided (not blocked) layout, e.g. NHWC stays NHWC; plain otherwise.
  static memory::desc DenseLike(const memory::desc& like, const memory::dims& dims);

  // ---- shape and arithmetic ops (onednn_lowering_ops.cpp)
  Status LowerReshape(const OnnxNode& node);
  Status LowerSplit(const OnnxNode& node);
  Status LowerResize(const OnnxNode& node);
  Status LowerResizeKernel(const OnnxNode& node, int x, ResizeCoordinates mode, const std::vector<float>& scales);
  Status LowerBinary(const OnnxNode& node);  // Add, Sub, Mul, Div (numpy broadcasting)
  Status LowerReduce(const OnnxNode& node);  // ReduceSum/Mean/Max/L2/SumSquare
  Status LowerLpNormalization(const OnnxNode& node);
  // A dnnl::reduction of value `src` to `dst_dims` (same rank, 1 on the reduced axes) into a new
  // plain value.
  Result<int> AddReduction(const std::string& node, dnnl::algorithm alg, float p, int src,
                           const memory::dims& dst_dims);

  const OnnxGraph& graph_;
  const ShapeMap& shapes_;
  dnnl::stream stream_;
  Plan plan_;
  std::string current_;  // the node being lowered (error context)
  std::map<std::string, int> value_of_;          // graph value → plan value
  std::vector<std::pair<int, int>> converted_;  // (value, its reordered copy)
};

}  // namespace onednn_internal
}  // namespace vigil
