// oneDNN lowering of the shape and arithmetic ops (declared in onednn_plan_builder.h):
//   Reshape          a view of the input's bytes (the input is made plain first when its layout
//                    cannot be viewed with the new dimensions); the batch axis must stay axis 0.
//   Split            sub-memory views of the input, each copied into a dense value that keeps
//                    the input's dimension order (an NHWC conv output gives NHWC parts).
//   Resize           dnnl::resampling_forward, bilinear with half_pixel (or pytorch_half_pixel
//                    when no output dimension is 1) coordinates: oneDNN's linear resampling maps
//                    dst x to src (x + 0.5) * in / out - 0.5 and clamps at the edges, as ONNX does.
//                    asymmetric and align_corners (4-D): Vigil's kernel (resize_kernel.h) on NHWC.
//   Add Sub Mul Div  dnnl::binary with numpy broadcasting of the second operand (Add and Mul
//                    swap operands when the first one is the broadcast one).
//   Reduce*          dnnl::reduction (Sum, Mean, Max, L2 = norm_lp_sum p=2, SumSquare).
//   LpNormalization  a reduction (p = 1 or 2) then a broadcast division.
#include <algorithm>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "runtime/onednn_plan_builder.h"
#include "runtime/resize_kernel.h"

namespace vigil {
namespace onednn_internal {

memory::desc PlanBuilder::DenseLike(const memory::desc& like, const memory::dims& dims) {
  const dnnl_memory_desc_t& md = like.data;
  if (md.format_kind != dnnl_blocked || md.format_desc.blocking.inner_nblks != 0 ||
      md.ndims != static_cast<int>(dims.size())) {
    return PlainDesc(dims);
  }
  const int rank = md.ndims;
  std::vector<int> order(rank);  // outermost first
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return md.format_desc.blocking.strides[a] > md.format_desc.blocking.strides[b];
  });
  memory::dims strides(rank);
  memory::dim s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    strides[order[i]] = s;
    s *= dims[order[i]];
  }
  return memory::desc(dims, Dt::f32, strides);
}

Status PlanBuilder::LowerReshape(const OnnxNode& node) {
  VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
  const std::vector<int64_t>& in = shapes_.at(node.inputs[0]);
  const std::vector<int64_t>& out = shapes_.at(node.outputs.at(0));
  if (in.empty() || out.empty() || in[0] != out[0]) {
    return UnsupportedError(node.Describe() + ": a Reshape of " + ShapeToString(in) + " to " + ShapeToString(out) +
                            " moves the batch axis");
  }
  const memory::dims dims = Dims(node.outputs[0]);
  memory::desc view = plan_.values[x].desc.reshape(dims, true);
  if (view.is_zero()) {
    VIGIL_ASSIGN_OR_RETURN(x, Materialize(x, PlainDesc(plan_.values[x].desc.dims())));
    view = PlainDesc(dims);
  }
  value_of_[node.outputs[0]] = AliasValue(x, view);
  return Status::Ok();
}

Status PlanBuilder::LowerSplit(const OnnxNode& node) {
  VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
  int64_t axis = 0;
  VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, SplitSizes(graph_, node, shapes_.at(node.inputs[0]), &axis));
  if (axis == 0) return UnsupportedError(node.Describe() + ": splitting the batch axis is not supported");
  const memory::dims xd = plan_.values[x].desc.dims();
  for (int64_t s : sizes) {
    if (s == 0) return UnsupportedError(node.Describe() + ": empty split outputs are not supported");
  }
  // Blocked layouts allow sub-memories only at block boundaries: use a plain copy otherwise.
  memory::dims offsets(xd.size(), 0);
  for (size_t i = 0; i < sizes.size(); ++i) {
    memory::dims d = xd;
    d[axis] = sizes[i];
    if (plan_.values[x].desc.submemory_desc(d, offsets, true).is_zero()) {
      VIGIL_ASSIGN_OR_RETURN(x, Materialize(x, PlainDesc(xd)));
      break;
    }
    offsets[axis] += sizes[i];
  }
  offsets.assign(xd.size(), 0);
  for (size_t i = 0; i < sizes.size(); ++i) {
    memory::dims d = xd;
    d[axis] = sizes[i];
    const memory::desc& whole = plan_.values[x].desc;
    if (!node.outputs[i].empty()) {
      const int view = AliasValue(x, whole.submemory_desc(d, offsets));
      const int out = NewValue(DenseLike(whole, d));
      VIGIL_RETURN_IF_ERROR(AddReorder(node.Describe(), view, out));
      value_of_[node.outputs[i]] = out;
    }
    offsets[axis] += sizes[i];
  }
  return Status::Ok();
}

// Linear Resize of a 4-D NCHW value by Vigil's kernel: the input made dense NHWC (one reorder from
// a blocked layout), the output dense NHWC (the next primitive reorders it as it likes).
Status PlanBuilder::LowerResizeKernel(const OnnxNode& node, int x, ResizeCoordinates mode,
                                      const std::vector<float>& scales) {
  const memory::dims in = plan_.values[x].desc.dims();
  const memory::dims out = Dims(node.outputs[0]);
  VIGIL_ASSIGN_OR_RETURN(const int src, Materialize(x, memory::desc(in, Dt::f32, Tag::nhwc)));
  const int dst = NewValue(memory::desc(out, Dt::f32, Tag::nhwc));
  auto scale = [&](size_t axis) {
    return scales.empty() ? static_cast<double>(out[axis]) / in[axis] : static_cast<double>(scales[axis]);
  };
  std::vector<ResizeTap> ys = LinearResizeTaps(in[2], out[2], scale(2), mode);
  std::vector<ResizeTap> xs = LinearResizeTaps(in[3], out[3], scale(3), mode);
  PlanStep s;
  s.node = node.Describe();
  s.value_args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  const int64_t n = in[0], channels = in[1], in_h = in[2], in_w = in[3];
  s.kernel = [n, channels, in_h, in_w, ys = std::move(ys), xs = std::move(xs)](
                 const std::unordered_map<int, memory>& args) {
    ResizeLinearNhwc(static_cast<const float*>(args.at(DNNL_ARG_SRC).get_data_handle()),
                     static_cast<float*>(args.at(DNNL_ARG_DST).get_data_handle()), n, channels, in_h, in_w, ys, xs);
  };
  plan_.steps.push_back(std::move(s));
  value_of_[node.outputs[0]] = dst;
  return Status::Ok();
}

Status PlanBuilder::LowerResize(const OnnxNode& node) {
  VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
  const std::string mode = node.GetString("mode", "nearest");
  const std::string coords = node.GetString("coordinate_transformation_mode", "half_pixel");
  if (mode != "linear") return UnsupportedError(node.Describe() + ": only mode 'linear' is supported, not '" + mode + "'");
  if (graph_.opset < 11) return UnsupportedError(node.Describe() + ": opset-10 (asymmetric) linear Resize");
  if (node.GetInt("antialias", 0) != 0) return UnsupportedError(node.Describe() + ": antialiased Resize");
  const std::vector<int64_t>& in = shapes_.at(node.inputs[0]);
  const std::vector<int64_t>& out = shapes_.at(node.outputs.at(0));
  if (in.size() < 3 || in.size() > 5 || in[0] != out[0] || in[1] != out[1]) {
    return UnsupportedError(node.Describe() + ": only spatial resizing of 3-D to 5-D tensors is supported");
  }
  bool ones = false;
  for (size_t i = 2; i < out.size(); ++i) ones = ones || out[i] == 1;
  auto initializer = [&](size_t i) {
    return i < node.inputs.size() && !node.inputs[i].empty() ? graph_.FindInitializer(node.inputs[i]) : nullptr;
  };
  const OnnxInitializer* sizes = initializer(3);
  const OnnxInitializer* scales = initializer(2);
  const bool given_scales = (!sizes || sizes->int_data.empty()) && scales && scales->data.size() == in.size();
  if ((coords == "asymmetric" || coords == "align_corners") && in.size() == 4) {
    return LowerResizeKernel(node, x, coords == "asymmetric" ? ResizeCoordinates::kAsymmetric
                                                             : ResizeCoordinates::kAlignCorners,
                             given_scales ? scales->data : std::vector<float>());
  }
  if (coords != "half_pixel" && !(coords == "pytorch_half_pixel" && !ones)) {
    return UnsupportedError(node.Describe() + ": coordinate_transformation_mode '" + coords + "' is not supported");
  }
  // With scales (not sizes), ONNX maps coordinates with the given scale: equal to oneDNN's
  // out/in only when in * scale is a whole number.
  if (given_scales) {
    for (size_t i = 2; i < in.size(); ++i) {
      if (static_cast<double>(in[i]) * scales->data[i] != static_cast<double>(out[i])) {
        return UnsupportedError(node.Describe() + ": a scale that does not give a whole output size");
      }
    }
  }
  const memory::desc dst_any(Dims(node.outputs[0]), Dt::f32, Tag::any);
  dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::resampling_linear,
                                   plan_.values[x].desc, dst_any);
  dnnl::resampling_forward::primitive_desc pd(d, Attr(), Engine());
  const int y = NewValue(pd.dst_desc());
  PlanStep& s = AddStep(node.Describe(), pd, dnnl::resampling_forward(pd));
  s.value_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y}};
  value_of_[node.outputs[0]] = y;
  return Status::Ok();
}

Status PlanBuilder::LowerBinary(const OnnxNode& node) {
  const std::string& op = node.op_type;
  const dnnl::algorithm alg = op == "Add"   ? dnnl::algorithm::binary_add
                              : op == "Sub" ? dnnl::algorithm::binary_sub
                              : op == "Mul" ? dnnl::algorithm::binary_mul
                                            : dnnl::algorithm::binary_div;
  const bool commutative = op == "Add" || op == "Mul";
  const bool const0 = !value_of_.count(node.inputs.at(0)), const1 = !value_of_.count(node.inputs.at(1));
  if (const0 && const1) return UnsupportedError(node.Describe() + ": both inputs are constants");
  if (const0 && !commutative) return UnsupportedError(node.Describe() + ": a constant first operand");
  const memory::dims y_dims = Dims(node.outputs[0]);
  float lo, hi;
  NodeBounds(node, &lo, &hi);
  dnnl::post_ops ops;
  AppendBounds(lo, hi, &ops);
  int a = -1, b = -1;
  memory constant;
  memory::desc b_md;
  if (const0 || const1) {
    VIGIL_ASSIGN_OR_RETURN(a, Input(node, const0 ? 1 : 0));
    VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* c, graph_.FloatInitializer(node, node.inputs[const0 ? 0 : 1]));
    if (c->shape.size() > y_dims.size()) return UnsupportedError(node.Describe() + ": constant of higher rank");
    memory::dims cd(y_dims.size() - c->shape.size(), 1);
    cd.insert(cd.end(), c->shape.begin(), c->shape.end());
    if (cd.empty()) cd = {1};
    if (cd.size() > 1 && cd[0] != 1) return UnsupportedError(node.Describe() + ": constant with a batch dimension");
    b_md = PlainDesc(cd);
    constant = Constant(b_md, c->data.data());
  } else {
    VIGIL_ASSIGN_OR_RETURN(a, Input(node, 0));
    VIGIL_ASSIGN_OR_RETURN(b, Input(node, 1));
    if (plan_.values[a].desc.dims() != y_dims) {
      if (!commutative) {
        return UnsupportedError(node.Describe() + ": broadcasting of the first input is not supported");
      }
      std::swap(a, b);
    }
    b_md = plan_.values[b].desc;
  }
  if (plan_.values[a].desc.dims() != y_dims) {
    return UnsupportedError(node.Describe() + ": broadcasting of both inputs is not supported");
  }
  const memory::dims bd = b_md.dims();
  if (bd.size() != y_dims.size()) return UnsupportedError(node.Describe() + ": inputs of different rank");
  for (size_t i = 0; i < bd.size(); ++i) {
    if (bd[i] != y_dims[i] && bd[i] != 1) return InvalidArgumentError(node.Describe() + ": shapes do not broadcast");
  }
  if (b >= 0 && bd == y_dims) {
    VIGIL_ASSIGN_OR_RETURN(b, Materialize(b, plan_.values[a].desc));  // same format as the first input
    b_md = plan_.values[b].desc;
  }
  dnnl::binary::desc d(alg, plan_.values[a].desc, b_md, memory::desc(y_dims, Dt::f32, Tag::any));
  dnnl::binary::primitive_desc pd(d, Attr(&ops), Engine());
  const int out = NewValue(pd.dst_desc());
  PlanStep& s = AddStep(node.Describe(), pd, dnnl::binary(pd));
  s.value_args = {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_DST, out}};
  if (b >= 0) {
    s.value_args.emplace_back(DNNL_ARG_SRC_1, b);
  } else {
    s.constant_args.emplace_back(DNNL_ARG_SRC_1, constant);
  }
  value_of_[node.outputs[0]] = out;
  return Status::Ok();
}

Result<int> PlanBuilder::AddReduction(const std::string& node, dnnl::algorithm alg, float p, int src,
                                      const memory::dims& dst_dims) {
  dnnl::reduction::desc d(alg, plan_.values[src].desc, PlainDesc(dst_dims), p, 0.0f);
  dnnl::reduction::primitive_desc pd(d, Attr(), Engine());
  const int out = NewValue(pd.dst_desc());
  PlanStep& s = AddStep(node, pd, dnnl::reduction(pd));
  s.value_args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, out}};
  return out;
}

Status PlanBuilder::LowerReduce(const OnnxNode& node) {
  VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
  const memory::dims xd = plan_.values[x].desc.dims();
  VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReduceAxes(graph_, node, xd.size()));
  if (axes.empty()) {  // noop_with_empty_axes
    value_of_[node.outputs.at(0)] = x;
    return Status::Ok();
  }
  if (axes.front() == 0) return UnsupportedError(node.Describe() + ": reducing the batch axis is not supported");
  const std::string& op = node.op_type;
  dnnl::algorithm alg;
  float p = 0.0f;
  if (op == "ReduceSum") {
    alg = dnnl::algorithm::reduction_sum;
  } else if (op == "ReduceMean") {
    alg = dnnl::algorithm::reduction_mean;
  } else if (op == "ReduceMax") {
    alg = dnnl::algorithm::reduction_max;
  } else if (op == "ReduceL2") {
    alg = dnnl::algorithm::reduction_norm_lp_sum, p = 2.0f;
  } else if (op == "ReduceSumSquare") {
    alg = dnnl::algorithm::reduction_norm_lp_power_p_sum, p = 2.0f;
  } else {
    return UnsupportedError(node.Describe() + ": op not supported by the oneDNN backend");
  }
  memory::dims kept = xd;
  for (int64_t a : axes) kept[a] = 1;
  VIGIL_ASSIGN_OR_RETURN(int out, AddReduction(node.Describe(), alg, p, x, kept));
  const memory::dims y_dims = Dims(node.outputs[0]);
  value_of_[node.outputs[0]] = y_dims == kept ? out : AliasValue(out, PlainDesc(kept).reshape(y_dims));
  return Status::Ok();
}

Status PlanBuilder::LowerLpNormalization(const OnnxNode& node) {
  VIGIL_ASSIGN_OR_RETURN(int x, Input(node, 0));
  const memory::dims xd = plan_.values[x].desc.dims();
  int64_t axis = node.GetInt("axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(xd.size());
  if (axis < 0 || axis >= static_cast<int64_t>(xd.size())) return InvalidArgumentError(node.Describe() + ": axis");
  if (axis == 0) return UnsupportedError(node.Describe() + ": normalizing over the batch axis is not supported");
  const int64_t p = node.GetInt("p", 2);
  if (p != 1 && p != 2) return InvalidArgumentError(node.Describe() + ": p must be 1 or 2");
  memory::dims kept = xd;
  kept[axis] = 1;
  VIGIL_ASSIGN_OR_RETURN(int norm, AddReduction(node.Describe() + " (norm)", dnnl::algorithm::reduction_norm_lp_sum,
                                                static_cast<float>(p), x, kept));
  dnnl::binary::desc d(dnnl::algorithm::binary_div, plan_.values[x].desc, plan_.values[norm].desc,
                       memory::desc(xd, Dt::f32, Tag::any));
  dnnl::binary::primitive_desc pd(d, Attr(), Engine());
  const int out = NewValue(pd.dst_desc());
  PlanStep& s = AddStep(node.Describe(), pd, dnnl::binary(pd));
  s.value_args = {{DNNL_ARG_SRC_0, x}, {DNNL_ARG_SRC_1, norm}, {DNNL_ARG_DST, out}};
  value_of_[node.outputs[0]] = out;
  return Status::Ok();
}

}  // namespace onednn_internal
}  // namespace vigil
