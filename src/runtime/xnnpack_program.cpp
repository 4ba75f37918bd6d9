// Lowering of an optimized OnnxGraph to an XnnProgram: layout decisions (NCHW-logical tensors are
// stored NHWC), Concat channel-slice aliasing, weight repacking and buffer/memory planning.
#include "runtime/xnnpack_program.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <set>

#include "runtime/graph_optimize.h"

namespace vigil {

size_t XnnProgram::PlannedFloatsPerItem() const {
  size_t total = 0;
  for (size_t b : block_floats_per_item) total += b;
  return total;
}

namespace {

int64_t Product(const std::vector<int64_t>& v, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < v.size(); ++i) p *= v[i];
  return p;
}

// A reference with the byte layout implied by `shape` and `nhwc`, dense, without a buffer.
XnnTensorRef MakeRef(const std::vector<int64_t>& shape, bool nhwc) {
  XnnTensorRef r;
  r.shape = shape;
  r.nhwc = nhwc && shape.size() == 4;
  if (r.nhwc) {
    r.channels = shape[1];
    r.height = shape[2];
    r.width = shape[3];
  } else if (shape.size() == 4) {
    r.height = shape[1];
    r.width = shape[2];
    r.channels = shape[3];
  } else if (shape.size() >= 2) {
    r.channels = shape.back();
    r.height = Product(shape, 1, shape.size() - 1);
  } else {
    r.channels = shape.empty() ? 1 : shape[0];
  }
  r.pixels = r.height * r.width;
  r.stride = r.channels;
  return r;
}

class Lowering {
 public:
  Lowering(const OnnxGraph& graph, const ShapeMap& shapes) : graph_(graph), shapes_(shapes) {}

  Result<XnnProgram> Run() {
    const OnnxValueInfo& in = graph_.inputs.at(0);
    program_.input_name = in.name;
    program_.input_shape = shapes_.at(in.name);
    program_.input = MakeRef(program_.input_shape, false);
    program_.input.buffer = NewBuffer(program_.input.FloatsPerItem());
    refs_[in.name] = program_.input;
    PlanConcatSlices();
    for (const OnnxNode& node : graph_.nodes) {
      Status s = LowerNode(node);
      if (!s.ok()) return s;
    }
    for (const OnnxValueInfo& out : graph_.outputs) {
      auto it = refs_.find(out.name);
      if (it == refs_.end()) return UnsupportedError("graph output '" + out.name + "' is a constant");
      program_.output_names.push_back(out.name);
      program_.outputs.push_back(it->second);
    }
    PlanMemory();
    return std::move(program_);
  }

 private:
  int NewBuffer(size_t floats_per_item) {
    XnnBuffer b;
    b.floats_per_item = floats_per_item;
    program_.buffers.push_back(b);
    return static_cast<int>(program_.buffers.size()) - 1;
  }

  const std::vector<int64_t>& ShapeOf(const std::string& value) const { return shapes_.at(value); }

  // Concat inputs that only feed that Concat and whose producer can write with an output stride are
  // written straight into the Concat output (nested Concats resolve to the outermost buffer).
  void PlanConcatSlices() {
    static const std::set<std::string> kStrided = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool",
                                                   "Gemm", "Concat", "BatchNormalization"};
    std::map<std::string, int> consumers;
    std::map<std::string, const OnnxNode*> producer;
    std::set<std::string> outputs;
    for (const OnnxNode& n : graph_.nodes) {
      for (const auto& i : n.inputs) ++consumers[i];
      for (const auto& o : n.outputs) producer[o] = &n;
    }
    for (const auto& o : graph_.outputs) outputs.insert(o.name);
    for (auto it = graph_.nodes.rbegin(); it != graph_.nodes.rend(); ++it) {
      const OnnxNode& n = *it;
      if (n.op_type != "Concat" || !shapes_.count(n.outputs[0])) continue;
      const size_t rank = ShapeOf(n.outputs[0]).size();
      int64_t axis = n.GetInt("axis", 1);
      if (axis < 0) axis += static_cast<int64_t>(rank);
      if (axis != 1 || (rank != 2 && rank != 4)) continue;
      std::pair<std::string, size_t> base(n.outputs[0], 0);
      auto parent = slice_of_.find(n.outputs[0]);
      if (parent != slice_of_.end()) base = parent->second;
      size_t offset = base.second;
      for (const auto& v : n.inputs) {
        auto p = producer.find(v);
        const bool aliasable = p != producer.end() && kStrided.count(p->second->op_type) &&
                               consumers[v] == 1 && !outputs.count(v) && !slice_of_.count(v) &&
                               p->second->outputs.size() == 1 && shapes_.count(v);
        if (aliasable) slice_of_[v] = {base.first, offset};
        offset += shapes_.count(v) ? ShapeOf(v)[1] : 0;
      }
    }
  }

  // The destination of `value`: a fresh dense buffer, or its slice of a Concat output.
  XnnTensorRef OutputRef(const std::string& value, bool nhwc) {
    XnnTensorRef r = MakeRef(ShapeOf(value), nhwc);
    auto s = slice_of_.find(value);
    if (s == slice_of_.end()) {
      auto root = root_buffers_.find(value);
      r.buffer = root != root_buffers_.end() ? root->second : NewBuffer(r.FloatsPerItem());
      return r;
    }
    const std::string& root = s->second.first;
    auto rb = root_buffers_.find(root);
    const XnnTensorRef whole = MakeRef(ShapeOf(root), true);
    if (rb == root_buffers_.end()) rb = root_buffers_.emplace(root, NewBuffer(whole.FloatsPerItem())).first;
    r.buffer = rb->second;
    r.offset = s->second.second;
    r.stride = whole.stride;
    return r;
  }

  Result<XnnTensorRef> Input(const OnnxNode& node, size_t index) {
    if (index >= node.inputs.size() || node.inputs[index].empty()) {
      return InvalidArgumentError(node.Describe() + ": missing input " + std::to_string(index));
    }
    auto it = refs_.find(node.inputs[index]);
    if (it == refs_.end()) {
      return UnsupportedError(node.Describe() + ": input '" + node.inputs[index] +
                              "' must be computed (constant inputs are not supported here by XNNPACK)");
    }
    return it->second;
  }

  XnnStep& AddStep(XnnStepKind kind, const OnnxNode& node, const XnnTensorRef& in, const XnnTensorRef& out) {
    XnnStep s;
    s.kind = kind;
    s.node = node.Describe();
    s.in = in;
    s.out = out;
    program_.steps.push_back(std::move(s));
    return program_.steps.back();
  }

  // NCHW semantics on NHWC storage (converting once if the tensor is stored NCHW).
  Result<XnnTensorRef> RequireNhwc(const OnnxNode& node, const XnnTensorRef& ref) {
    if (ref.shape.size() == 2 || ref.nhwc) return ref;
    if (ref.shape.size() != 4) {
      return UnsupportedError(node.Describe() + ": expects a 4-D or 2-D tensor, got " + ShapeToString(ref.shape));
    }
    XnnTensorRef r = MakeRef(ref.shape, true);
    if ((r.channels == 1 || r.pixels == 1) && ref.Dense()) {
      r.buffer = ref.buffer;
      return r;
    }
    auto cached = nhwc_copies_.find(ref.buffer);
    if (cached != nhwc_copies_.end()) return cached->second;
    r.buffer = NewBuffer(r.FloatsPerItem());
    AddStep(XnnStepKind::kNchwToNhwc, node, ref, r);
    nhwc_copies_[ref.buffer] = r;
    return r;
  }

  // Bytes in logical (row-major) order.
  Result<XnnTensorRef> RequirePlain(const OnnxNode& node, const XnnTensorRef& ref) {
    if (!ref.nhwc) return ref;
    XnnTensorRef r = MakeRef(ref.shape, false);
    if ((ref.channels == 1 || ref.pixels == 1) && ref.Dense()) {
      r.buffer = ref.buffer;
      return r;
    }
    r.buffer = NewBuffer(r.FloatsPerItem());
    AddStep(XnnStepKind::kNhwcToNchw, node, ref, r);
    return r;
  }

  static void SetBounds(const OnnxNode& node, XnnStep* s) {
    s->out_min = node.GetFloat(kFusedOutputMin, s->out_min);
    s->out_max = node.GetFloat(kFusedOutputMax, s->out_max);
  }

  Status LowerNode(const OnnxNode& node) {
    const std::string& op = node.op_type;
    if (op == "Identity" || op == "Dropout") {
      VIGIL_ASSIGN_OR_RETURN(refs_[node.outputs[0]], Input(node, 0));
      return Status::Ok();
    }
    if (op == "Transpose") return LowerTranspose(node);
    if (op == "Conv") return LowerConv(node);
    if (op == "BatchNormalization") return LowerBatchNorm(node);
    if (op == "MaxPool" || op == "AveragePool") return LowerPool(node);
    if (op == "GlobalAveragePool") {
      VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x0, Input(node, 0));
      VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, RequireNhwc(node, x0));
      XnnStep& s = AddStep(XnnStepKind::kGlobalAveragePool, node, x, OutputRef(node.outputs[0], true));
      SetBounds(node, &s);
      refs_[node.outputs[0]] = s.out;
      return Status::Ok();
    }
    if (op == "Relu" || op == "Clip" || op == "LeakyRelu" || op == "Sigmoid" || op == "Tanh") {
      return LowerElementwise(node);
    }
    if (op == "Pad") return LowerPad(node);
    if (op == "Add") return LowerAdd(node);
    if (op == "Concat") return LowerConcat(node);
    if (op == "Flatten") return LowerFlatten(node);
    if (op == "Gemm") return LowerGemm(node);
    if (op == "Softmax") return LowerSoftmax(node);
    return UnsupportedError(node.Describe() + ": op not supported by the XNNPACK backend");
  }

  Status LowerTranspose(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, Input(node, 0));
    const std::vector<int64_t> perm = node.GetInts("perm");
    const std::vector<int64_t>& y_shape = ShapeOf(node.outputs[0]);
    bool identity = perm.size() == x.shape.size();
    for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int64_t>(i);
    XnnTensorRef y;
    if (identity) {
      y = x;
    } else if (perm == std::vector<int64_t>{0, 3, 1, 2} && !x.nhwc && x.Dense()) {
      y = MakeRef(y_shape, true);  // NHWC bytes are already the NHWC storage of the NCHW view
      y.buffer = x.buffer;
    } else if (perm == std::vector<int64_t>{0, 2, 3, 1} && x.shape.size() == 4) {
      VIGIL_ASSIGN_OR_RETURN(XnnTensorRef xn, RequireNhwc(node, x));
      if (!xn.Dense()) return UnsupportedError(node.Describe() + ": strided input");
      y = MakeRef(y_shape, false);
      y.buffer = xn.buffer;
    } else {
      return UnsupportedError(node.Describe() + ": perm " + ShapeToString(perm) +
                              " is not an NHWC<->NCHW layout change the XNNPACK backend supports");
    }
    refs_[node.outputs[0]] = y;
    return Status::Ok();
  }

  Status LowerConv(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x0, Input(node, 0));
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, RequireNhwc(node, x0));
    VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* w, graph_.FloatInitializer(node, node.inputs.at(1)));
    const OnnxInitializer* b = nullptr;
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      VIGIL_ASSIGN_OR_RETURN(b, graph_.FloatInitializer(node, node.inputs[2]));
    }
    const int64_t m = w->shape[0], cg = w->shape[1], kh = w->shape[2], kw = w->shape[3];
    const int64_t group = node.GetInt("group", 1);
    VIGIL_ASSIGN_OR_RETURN(Window2d win, ResolveWindow2d(node, ShapeOf(node.inputs[0]), kh, kw));
    XnnStep& s = AddStep(XnnStepKind::kConvolution, node, x, OutputRef(node.outputs[0], true));
    s.pad_top = win.pad_top; s.pad_left = win.pad_left;
    s.pad_bottom = win.pad_bottom; s.pad_right = win.pad_right;
    s.kernel_h = kh; s.kernel_w = kw;
    s.stride_h = win.stride_h; s.stride_w = win.stride_w;
    s.dilation_h = win.dilation_h; s.dilation_w = win.dilation_w;
    s.groups = group;
    s.group_in = cg;
    s.group_out = m / group;
    // ONNX [M][Cg][kh][kw] → XNNPACK [M][kh][kw][Cg] (M = groups * group_out).
    s.weights.resize(w->data.size());
    for (int64_t o = 0; o < m; ++o)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t xx = 0; xx < kw; ++xx)
            s.weights[((o * kh + y) * kw + xx) * cg + c] = w->data[((o * cg + c) * kh + y) * kw + xx];
    if (b) {
      if (static_cast<int64_t>(b->data.size()) != m) return InvalidArgumentError(node.Describe() + ": bias size");
      s.bias = b->data;
    }
    SetBounds(node, &s);
    refs_[node.outputs[0]] = s.out;
    return Status::Ok();
  }

  Status LowerBatchNorm(const OnnxNode& node) {
    if (node.inputs.size() != 5 || node.outputs.size() != 1) {
      return UnsupportedError(node.Describe() + ": expects 5 inputs and 1 output (inference mode)");
    }
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x0, Input(node, 0));
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, RequireNhwc(node, x0));
    const OnnxInitializer* p[4];
    for (int i = 0; i < 4; ++i) {
      VIGIL_ASSIGN_OR_RETURN(p[i], graph_.FloatInitializer(node, node.inputs.at(i + 1)));
      if (p[i]->data.size() != x.channels) return InvalidArgumentError(node.Describe() + ": parameter size");
    }
    const float eps = node.GetFloat("epsilon", 1e-5f);
    XnnStep& s = AddStep(XnnStepKind::kConvolution, node, x, OutputRef(node.outputs[0], true));
    s.groups = x.channels;
    s.group_in = s.group_out = 1;
    for (size_t c = 0; c < x.channels; ++c) {
      const double scale = p[0]->data[c] / std::sqrt(static_cast<double>(p[3]->data[c]) + eps);
      s.weights.push_back(static_cast<float>(scale));
      s.bias.push_back(static_cast<float>(p[1]->data[c] - p[2]->data[c] * scale));
    }
    refs_[node.outputs[0]] = s.out;
    return Status::Ok();
  }

  Status LowerPool(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x0, Input(node, 0));
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, RequireNhwc(node, x0));
    const bool is_max = node.op_type == "MaxPool";
    if (is_max && (node.outputs.size() > 1 && !node.outputs[1].empty())) {
      return UnsupportedError(node.Describe() + ": the Indices output is not supported");
    }
    if (is_max && node.GetInt("storage_order", 0) != 0) {
      return UnsupportedError(node.Describe() + ": storage_order 1 is not supported");
    }
    const std::vector<int64_t> k = node.GetInts("kernel_shape");
    VIGIL_ASSIGN_OR_RETURN(Window2d win, ResolveWindow2d(node, ShapeOf(node.inputs[0]), k.at(0), k.at(1)));
    const bool padded = win.pad_top || win.pad_left || win.pad_bottom || win.pad_right || win.ceil_extra_h ||
                        win.ceil_extra_w;
    if (!is_max && padded && node.GetInt("count_include_pad", 0) != 0) {
      return UnsupportedError(node.Describe() + ": count_include_pad=1 with padding is not supported");
    }
    if (!is_max && (win.dilation_h != 1 || win.dilation_w != 1)) {
      return UnsupportedError(node.Describe() + ": dilated average pooling is not supported");
    }
    XnnTensorRef y = OutputRef(node.outputs[0], true);
    if (win.kernel_h * win.kernel_w == 1) {
      if (win.stride_h != 1 || win.stride_w != 1 || padded) {
        return UnsupportedError(node.Describe() + ": 1x1 pooling with stride or padding is not supported");
      }
      XnnStep& s = AddStep(XnnStepKind::kCopy, node, x, y);
      if (node.Has(kFusedOutputMin)) s.kind = XnnStepKind::kClamp;
      SetBounds(node, &s);
      refs_[node.outputs[0]] = y;
      return Status::Ok();
    }
    XnnStep& s = AddStep(is_max ? XnnStepKind::kMaxPool : XnnStepKind::kAveragePool, node, x, y);
    s.pad_top = win.pad_top; s.pad_left = win.pad_left;
    s.pad_bottom = win.pad_bottom + win.ceil_extra_h;
    s.pad_right = win.pad_right + win.ceil_extra_w;
    s.kernel_h = win.kernel_h; s.kernel_w = win.kernel_w;
    s.stride_h = win.stride_h; s.stride_w = win.stride_w;
    s.dilation_h = win.dilation_h; s.dilation_w = win.dilation_w;
    SetBounds(node, &s);
    refs_[node.outputs[0]] = y;
    return Status::Ok();
  }

  Status LowerElementwise(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, Input(node, 0));
    XnnTensorRef y = MakeRef(ShapeOf(node.outputs[0]), x.nhwc);
    y.buffer = NewBuffer(y.FloatsPerItem());
    const std::string& op = node.op_type;
    XnnStepKind kind = op == "LeakyRelu" ? XnnStepKind::kLeakyRelu
                       : op == "Sigmoid" ? XnnStepKind::kSigmoid
                       : op == "Tanh"    ? XnnStepKind::kTanh
                                         : XnnStepKind::kClamp;
    float lo = 0, hi = 0;
    if (kind == XnnStepKind::kClamp) VIGIL_RETURN_IF_ERROR(ActivationBounds(graph_, node, &lo, &hi));
    XnnStep& s = AddStep(kind, node, x, y);
    s.out_min = lo;
    s.out_max = hi;
    s.alpha = node.GetFloat("alpha", 0.01f);
    refs_[node.outputs[0]] = y;
    return Status::Ok();
  }

  Status LowerPad(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x0, Input(node, 0));
    if (x0.shape.size() != 4) return UnsupportedError(node.Describe() + ": only 4-D Pad is supported");
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, RequireNhwc(node, x0));
    VIGIL_ASSIGN_OR_RETURN(OnnxGraph::ConstantPadding padding, graph_.ConstantPad(node));
    const std::vector<int64_t>& pads = padding.pads;
    const float value = padding.value;
    if (pads.size() != 8 || pads[0] || pads[1] || pads[4] || pads[5]) {
      return UnsupportedError(node.Describe() + ": only spatial (H, W) padding is supported");
    }
    for (int64_t v : pads) {
      if (v < 0) return UnsupportedError(node.Describe() + ": negative pads are not supported");
    }
    XnnTensorRef y = MakeRef(ShapeOf(node.outputs[0]), true);
    y.buffer = NewBuffer(y.FloatsPerItem());
    XnnStep& s = AddStep(XnnStepKind::kPad, node, x, y);
    s.pad_top = pads[2]; s.pad_left = pads[3]; s.pad_bottom = pads[6]; s.pad_right = pads[7];
    s.alpha = value;
    refs_[node.outputs[0]] = y;
    return Status::Ok();
  }

  static std::vector<size_t> PhysicalShape(const XnnTensorRef& r) {
    if (r.nhwc) return {1, r.height, r.width, r.channels};
    std::vector<size_t> s(r.shape.begin(), r.shape.end());
    if (!s.empty()) s[0] = 1;
    return s;
  }

  Status LowerAdd(const OnnxNode& node) {
    const bool const0 = !refs_.count(node.inputs.at(0)), const1 = !refs_.count(node.inputs.at(1));
    if (const0 && const1) return UnsupportedError(node.Describe() + ": both inputs are constants");
    const size_t act = const0 ? 1 : 0;
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef a, Input(node, act));
    XnnTensorRef b;
    const OnnxInitializer* c = nullptr;
    if (const0 || const1) {
      VIGIL_ASSIGN_OR_RETURN(c, graph_.FloatInitializer(node, node.inputs[1 - act]));
    } else {
      VIGIL_ASSIGN_OR_RETURN(b, Input(node, 1));
      if (a.shape.size() != b.shape.size()) {
        return UnsupportedError(node.Describe() + ": inputs of different rank");
      }
      if (a.shape.size() == 4 && (a.nhwc || b.nhwc)) {
        VIGIL_ASSIGN_OR_RETURN(a, RequireNhwc(node, a));
        VIGIL_ASSIGN_OR_RETURN(b, RequireNhwc(node, b));
      }
    }
    XnnTensorRef y = MakeRef(ShapeOf(node.outputs[0]), a.nhwc);
    y.buffer = NewBuffer(y.FloatsPerItem());
    XnnStep& s = AddStep(XnnStepKind::kAdd, node, a, y);
    s.in_shape = PhysicalShape(a);
    if (c) {
      if (c->shape.size() > a.shape.size()) return UnsupportedError(node.Describe() + ": constant of higher rank");
      s.in2_batched = false;
      if (a.nhwc) {
        std::vector<int64_t> d(4 - c->shape.size(), 1);
        d.insert(d.end(), c->shape.begin(), c->shape.end());
        if (d[0] != 1) return UnsupportedError(node.Describe() + ": constant with a batch dimension");
        s.in2_shape = {1, static_cast<size_t>(d[2]), static_cast<size_t>(d[3]), static_cast<size_t>(d[1])};
        s.in2_constant.resize(c->data.size());
        for (int64_t ch = 0; ch < d[1]; ++ch)
          for (int64_t h = 0; h < d[2]; ++h)
            for (int64_t w = 0; w < d[3]; ++w)
              s.in2_constant[(h * d[3] + w) * d[1] + ch] = c->data[(ch * d[2] + h) * d[3] + w];
      } else {
        s.in2_shape.assign(c->shape.begin(), c->shape.end());
        if (s.in2_shape.empty()) s.in2_shape = {1};
        s.in2_constant = c->data;
      }
    } else {
      s.in2 = b;
      s.in2_shape = PhysicalShape(b);
    }
    SetBounds(node, &s);
    refs_[node.outputs[0]] = y;
    return Status::Ok();
  }

  Status LowerConcat(const OnnxNode& node) {
    const std::vector<int64_t>& shape = ShapeOf(node.outputs[0]);
    int64_t axis = node.GetInt("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(shape.size());
    if (axis != 1 || (shape.size() != 2 && shape.size() != 4)) {
      return UnsupportedError(node.Describe() + ": only channel concatenation (axis 1) of 2-D/4-D tensors");
    }
    XnnTensorRef y = OutputRef(node.outputs[0], true);
    size_t offset = 0;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const std::string& v = node.inputs[i];
      VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x0, Input(node, i));
      VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, RequireNhwc(node, x0));
      if (!(x.buffer == y.buffer && x.offset == y.offset + offset && slice_of_.count(v))) {
        XnnTensorRef dst = y;
        dst.offset = y.offset + offset;
        dst.channels = x.channels;
        dst.shape = x.shape;
        AddStep(XnnStepKind::kCopy, node, x, dst);
      }
      offset += x.channels;
    }
    refs_[node.outputs[0]] = y;
    return Status::Ok();
  }

  Status LowerFlatten(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x0, Input(node, 0));
    int64_t axis = node.GetInt("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(x0.shape.size());
    if (axis != 1) return UnsupportedError(node.Describe() + ": only axis 1 is supported");
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, RequirePlain(node, x0));
    if (!x.Dense()) return UnsupportedError(node.Describe() + ": strided input");
    XnnTensorRef y = MakeRef(ShapeOf(node.outputs[0]), false);
    y.buffer = x.buffer;
    refs_[node.outputs[0]] = y;
    return Status::Ok();
  }

  Status LowerGemm(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef a, Input(node, 0));
    if (a.shape.size() != 2 || node.GetInt("transA", 0) != 0) {
      return UnsupportedError(node.Describe() + ": A must be 2-D [N,K] without transA");
    }
    VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* bm, graph_.FloatInitializer(node, node.inputs.at(1)));
    const bool tb = node.GetInt("transB", 0) != 0;
    const float alpha = node.GetFloat("alpha", 1.0f), beta = node.GetFloat("beta", 1.0f);
    const int64_t k = a.shape[1], m = tb ? bm->shape[0] : bm->shape[1];
    XnnStep& s = AddStep(XnnStepKind::kFullyConnected, node, a, OutputRef(node.outputs[0], false));
    s.weights.resize(static_cast<size_t>(m * k));
    for (int64_t o = 0; o < m; ++o)
      for (int64_t i = 0; i < k; ++i) s.weights[o * k + i] = alpha * (tb ? bm->data[o * k + i] : bm->data[i * m + o]);
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* c, graph_.FloatInitializer(node, node.inputs[2]));
      if (static_cast<int64_t>(c->data.size()) != m || (c->shape.size() == 2 && c->shape[0] != 1)) {
        return UnsupportedError(node.Describe() + ": C must have shape [M] or [1,M]");
      }
      for (float v : c->data) s.bias.push_back(beta * v);
    }
    s.group_in = k;
    s.group_out = m;
    SetBounds(node, &s);
    refs_[node.outputs[0]] = s.out;
    return Status::Ok();
  }

  Status LowerSoftmax(const OnnxNode& node) {
    VIGIL_ASSIGN_OR_RETURN(XnnTensorRef x, Input(node, 0));
    int64_t axis = node.GetInt("axis", graph_.opset >= 13 ? -1 : 1);
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    if (axis < 0) axis += rank;
    const bool ok = (rank == 2 && axis == 1) || (x.nhwc && axis == 1 && (graph_.opset >= 13 || x.pixels == 1)) ||
                    (!x.nhwc && axis == rank - 1 && (graph_.opset >= 13 || rank == 2));
    if (!ok) return UnsupportedError(node.Describe() + ": softmax axis " + std::to_string(axis) + " of " +
                                     ShapeToString(x.shape) + " is not supported");
    XnnTensorRef y = MakeRef(ShapeOf(node.outputs[0]), x.nhwc);
    y.buffer = NewBuffer(y.FloatsPerItem());
    AddStep(XnnStepKind::kSoftmax, node, x, y);
    refs_[node.outputs[0]] = y;
    return Status::Ok();
  }

  // Lifetimes from the steps, then greedy best-fit placement of buffers into reusable blocks.
  void PlanMemory() {
    std::vector<XnnBuffer>& bufs = program_.buffers;
    for (auto& b : bufs) {
      b.first_step = INT_MAX;
      b.last_step = -1;
    }
    auto touch = [&](int buffer, int step) {
      if (buffer < 0) return;
      bufs[buffer].first_step = std::min(bufs[buffer].first_step, step);
      bufs[buffer].last_step = std::max(bufs[buffer].last_step, step);
    };
    touch(program_.input.buffer, 0);
    for (size_t i = 0; i < program_.steps.size(); ++i) {
      const XnnStep& s = program_.steps[i];
      touch(s.in.buffer, static_cast<int>(i));
      touch(s.in2.buffer, static_cast<int>(i));
      touch(s.out.buffer, static_cast<int>(i));
    }
    for (const auto& o : program_.outputs) touch(o.buffer, INT_MAX - 1);
    for (auto& b : bufs) {
      if (b.last_step < 0) b.first_step = b.last_step = 0;
    }
    std::vector<int> order(bufs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return bufs[a].first_step < bufs[b].first_step; });
    std::vector<int> live;       // buffers currently holding data
    std::vector<bool> free_block;
    for (int id : order) {
      XnnBuffer& b = bufs[id];
      // Release buffers that died before this one is born.
      for (auto it = live.begin(); it != live.end();) {
        if (bufs[*it].last_step < b.first_step) {
          free_block[bufs[*it].block] = true;
          it = live.erase(it);
        } else {
          ++it;
        }
      }
      int best = -1;
      for (size_t k = 0; k < free_block.size(); ++k) {
        if (!free_block[k]) continue;
        const size_t size = program_.block_floats_per_item[k];
        const size_t best_size = best < 0 ? 0 : program_.block_floats_per_item[best];
        const bool fits = size >= b.floats_per_item, best_fits = best >= 0 && best_size >= b.floats_per_item;
        if (best < 0 || (fits && (!best_fits || size < best_size)) || (!fits && !best_fits && size > best_size)) {
          best = static_cast<int>(k);
        }
      }
      if (best < 0) {
        program_.block_floats_per_item.push_back(0);
        free_block.push_back(false);
        best = static_cast<int>(free_block.size()) - 1;
      }
      free_block[best] = false;
      program_.block_floats_per_item[best] = std::max(program_.block_floats_per_item[best], b.floats_per_item);
      b.block = best;
      live.push_back(id);
    }
  }

  const OnnxGraph& graph_;
  const ShapeMap& shapes_;
  XnnProgram program_;
  std::map<std::string, XnnTensorRef> refs_;
  std::map<std::string, std::pair<std::string, size_t>> slice_of_;  // value → (root Concat output, offset)
  std::map<std::string, int> root_buffers_;                         // root Concat output → buffer
  std::map<int, XnnTensorRef> nhwc_copies_;                         // plain buffer → its NHWC copy
};

}  // namespace

Result<XnnProgram> LowerToXnnpack(const OnnxGraph& graph, const ShapeMap& shapes) {
  Lowering lowering(graph, shapes);
  return lowering.Run();
}

}  // namespace vigil
