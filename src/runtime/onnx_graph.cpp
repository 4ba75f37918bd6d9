// ONNX protobuf → OnnxGraph loader (with limits) and static shape inference.
#include "runtime/onnx_graph.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace vigil {

// ---------------------------------------------------------------------------------------------
// OnnxNode / OnnxGraph helpers

int64_t OnnxNode::GetInt(const std::string& key, int64_t fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.i;
}

float OnnxNode::GetFloat(const std::string& key, float fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.f;
}

std::vector<int64_t> OnnxNode::GetInts(const std::string& key, std::vector<int64_t> fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.ints;
}

std::string OnnxNode::GetString(const std::string& key, const std::string& fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.s;
}

void OnnxNode::SetFloat(const std::string& key, float value) {
  OnnxAttribute& a = attributes[key];
  a.type = OnnxAttribute::Type::kFloat;
  a.f = value;
}

void OnnxNode::SetInts(const std::string& key, std::vector<int64_t> values) {
  OnnxAttribute& a = attributes[key];
  a.type = OnnxAttribute::Type::kInts;
  a.ints = std::move(values);
}

std::string OnnxNode::Describe() const { return op_type + " '" + name + "'"; }

const OnnxInitializer* OnnxGraph::FindInitializer(const std::string& name) const {
  auto it = initializers.find(name);
  return it == initializers.end() ? nullptr : &it->second;
}

Result<const OnnxInitializer*> OnnxGraph::FloatInitializer(const OnnxNode& node,
                                                           const std::string& name) const {
  const OnnxInitializer* init = FindInitializer(name);
  if (init == nullptr) {
    return UnsupportedError(node.Describe() + ": input '" + name + "' must be a constant initializer");
  }
  if (!init->is_float) {
    return InvalidArgumentError(node.Describe() + ": initializer '" + name + "' must be float32");
  }
  return init;
}

Result<OnnxGraph::ConstantPadding> OnnxGraph::ConstantPad(const OnnxNode& node) const {
  if (node.GetString("mode", "constant") != "constant") {
    return UnsupportedError(node.Describe() + ": only constant padding is supported");
  }
  ConstantPadding result;
  result.pads = node.GetInts("pads");
  result.value = node.GetFloat("value", 0.0f);
  if (opset >= 11) {
    const OnnxInitializer* p = node.inputs.size() > 1 ? FindInitializer(node.inputs[1]) : nullptr;
    if (!p || p->is_float) return UnsupportedError(node.Describe() + ": pads must be an int64 initializer");
    result.pads = p->int_data;
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      VIGIL_ASSIGN_OR_RETURN(const OnnxInitializer* v, FloatInitializer(node, node.inputs[2]));
      if (v->data.size() != 1) return InvalidArgumentError(node.Describe() + ": constant_value must be a scalar");
      result.value = v->data[0];
    }
  }
  return result;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// ---------------------------------------------------------------------------------------------
// Loading

namespace {

Result<OnnxInitializer> ConvertTensor(const onnx::TensorProto& t, const OnnxLoadLimits& limits) {
  OnnxInitializer out;
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) return InvalidArgumentError("initializer '" + t.name() + "' has a negative dimension");
    out.shape.push_back(d);
    n *= d;
    if (n > limits.max_initializer_elements) {
      return ResourceExhaustedError("initializer '" + t.name() + "' exceeds the element limit");
    }
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    return UnsupportedError("initializer '" + t.name() + "' uses external data");
  }
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: {
      out.is_float = true;
      if (!raw.empty()) {
        if (raw.size() != static_cast<size_t>(n) * 4) {
          return DataLossError("initializer '" + t.name() + "': raw_data size does not match shape");
        }
        out.data.resize(n);
        std::memcpy(out.data.data(), raw.data(), raw.size());
      } else {
        if (t.float_data_size() != n) {
          return DataLossError("initializer '" + t.name() + "': float_data size does not match shape");
        }
        out.data.assign(t.float_data().begin(), t.float_data().end());
      }
      return out;
    }
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32: {
      out.is_float = false;
      const bool is64 = t.data_type() == onnx::TensorProto::INT64;
      if (!raw.empty()) {
        const size_t width = is64 ? 8 : 4;
        if (raw.size() != static_cast<size_t>(n) * width) {
          return DataLossError("initializer '" + t.name() + "': raw_data size does not match shape");
        }
        out.int_data.resize(n);
        for (int64_t i = 0; i < n; ++i) {
          if (is64) {
            std::memcpy(&out.int_data[i], raw.data() + i * 8, 8);
          } else {
            int32_t v;
            std::memcpy(&v, raw.data() + i * 4, 4);
            out.int_data[i] = v;
          }
        }
      } else if (is64) {
        out.int_data.assign(t.int64_data().begin(), t.int64_data().end());
      } else {
        out.int_data.assign(t.int32_data().begin(), t.int32_data().end());
      }
      if (static_cast<int64_t>(out.int_data.size()) != n) {
        return DataLossError("initializer '" + t.name() + "': data size does not match shape");
      }
      return out;
    }
    default:
      return UnsupportedError("initializer '" + t.name() + "' has unsupported data type " +
                              std::to_string(t.data_type()) + " (only float32, int64, int32)");
  }
}

OnnxValueInfo ConvertValueInfo(const onnx::ValueInfoProto& v) {
  OnnxValueInfo out;
  out.name = v.name();
  if (v.type().has_tensor_type() && v.type().tensor_type().has_shape()) {
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      out.shape.push_back(d.has_dim_value() && d.dim_value() > 0 ? d.dim_value() : -1);
    }
  }
  return out;
}

}  // namespace

Result<OnnxGraph> ParseOnnxGraph(const std::string& bytes, const std::string& source,
                                 const OnnxLoadLimits& limits) {
  if (static_cast<int64_t>(bytes.size()) > limits.max_file_bytes) {
    return ResourceExhaustedError(source + ": ONNX model is " + std::to_string(bytes.size()) +
                                  " bytes, above the limit of " + std::to_string(limits.max_file_bytes));
  }
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes) || !model.has_graph()) {
    return DataLossError(source + ": not a valid ONNX model (protobuf parse failed or no graph)");
  }
  OnnxGraph graph;
  graph.opset = 0;
  for (const auto& op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") graph.opset = op.version();
  }
  if (graph.opset == 0) graph.opset = 13;
  const onnx::GraphProto& g = model.graph();
  if (g.node_size() > limits.max_nodes) {
    return ResourceExhaustedError(source + ": " + std::to_string(g.node_size()) + " nodes exceed the limit");
  }
  for (const auto& t : g.initializer()) {
    auto init = ConvertTensor(t, limits);
    if (!init.ok()) return init.status().WithContext(source);
    graph.initializers[t.name()] = std::move(init).value();
  }
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      return UnsupportedError(source + ": node '" + n.name() + "' uses custom domain '" + n.domain() + "'");
    }
    if (n.op_type() == "Constant") {  // constants become initializers
      if (n.output_size() != 1 || n.attribute_size() != 1 || !n.attribute(0).has_t()) {
        return UnsupportedError(source + ": Constant '" + n.name() + "' must hold one tensor 'value'");
      }
      auto init = ConvertTensor(n.attribute(0).t(), limits);
      if (!init.ok()) return init.status().WithContext(source + ": Constant '" + n.name() + "'");
      graph.initializers[n.output(0)] = std::move(init).value();
      continue;
    }
    OnnxNode node;
    node.op_type = n.op_type();
    node.name = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (const auto& a : n.attribute()) {
      OnnxAttribute attr;
      switch (a.type()) {
        case onnx::AttributeProto::INT: attr.type = OnnxAttribute::Type::kInt; attr.i = a.i(); break;
        case onnx::AttributeProto::FLOAT: attr.type = OnnxAttribute::Type::kFloat; attr.f = a.f(); break;
        case onnx::AttributeProto::INTS:
          attr.type = OnnxAttribute::Type::kInts;
          attr.ints.assign(a.ints().begin(), a.ints().end());
          break;
        case onnx::AttributeProto::FLOATS:
          attr.type = OnnxAttribute::Type::kFloats;
          attr.floats.assign(a.floats().begin(), a.floats().end());
          break;
        case onnx::AttributeProto::STRING: attr.type = OnnxAttribute::Type::kString; attr.s = a.s(); break;
        default: attr.type = OnnxAttribute::Type::kOther; break;
      }
      node.attributes[a.name()] = std::move(attr);
    }
    graph.nodes.push_back(std::move(node));
  }
  for (const auto& v : g.input()) {
    if (graph.initializers.count(v.name())) continue;  // pre-IR4 models list initializers as inputs
    graph.inputs.push_back(ConvertValueInfo(v));
  }
  for (const auto& v : g.output()) graph.outputs.push_back(ConvertValueInfo(v));
  if (graph.inputs.size() != 1) {
    return UnsupportedError(source + ": the model must have exactly one graph input, it has " +
                            std::to_string(graph.inputs.size()));
  }
  if (graph.outputs.empty()) return InvalidArgumentError(source + ": the model has no graph outputs");
  return graph;
}

Result<OnnxGraph> LoadOnnxGraph(const std::string& path, const OnnxLoadLimits& limits) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return NotFoundError("cannot open ONNX model '" + path + "'");
  const std::streamoff size = in.tellg();
  if (size > limits.max_file_bytes) {
    return ResourceExhaustedError("ONNX model '" + path + "' is " + std::to_string(size) +
                                  " bytes, above the limit of " + std::to_string(limits.max_file_bytes));
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) return DataLossError("cannot read ONNX model '" + path + "'");
  return ParseOnnxGraph(bytes, path, limits);
}

// ---------------------------------------------------------------------------------------------
// Shape inference

namespace {

const std::set<std::string>& KnownOps() {
  static const std::set<std::string> ops = {
      "Identity", "Dropout", "Transpose", "Conv", "BatchNormalization", "Relu", "Clip",
      "LeakyRelu", "Sigmoid", "Tanh", "Pad", "Add", "Concat", "MaxPool", "AveragePool",
      "GlobalAveragePool", "Flatten", "Gemm", "Softmax", "Sub", "Mul", "Div", "Sqrt", "Reshape", "Split",
      "Resize", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceL2", "ReduceSumSquare", "LpNormalization"};
  return ops;
}

int64_t OutDim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pad_total, bool ceil_mode) {
  const int64_t eff = (k - 1) * d + 1;
  const int64_t span = in + pad_total - eff;
  if (span < 0) return 0;
  return (ceil_mode ? (span + s - 1) / s : span / s) + 1;
}

// The shape of a multidirectional (numpy) broadcast of `a` and `b`.
Result<std::vector<int64_t>> BroadcastShape(const OnnxNode& node, const std::vector<int64_t>& a,
                                            const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> y(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      return InvalidArgumentError(node.Describe() + ": cannot broadcast " + ShapeToString(a) + " and " +
                                  ShapeToString(b));
    }
    y[i] = std::max(da, db);
  }
  return y;
}

// An int64 initializer named by input `index` of `node`, or nullptr when that input is absent or
// empty (an omitted optional input, or a tensor with no elements).
const OnnxInitializer* OptionalInt64Input(const OnnxGraph& graph, const OnnxNode& node, size_t index) {
  if (index >= node.inputs.size() || node.inputs[index].empty()) return nullptr;
  const OnnxInitializer* t = graph.FindInitializer(node.inputs[index]);
  return t && !t->is_float && !t->int_data.empty() ? t : nullptr;
}

}  // namespace

Result<std::vector<int64_t>> ReshapeTarget(const OnnxGraph& graph, const OnnxNode& node,
                                           const std::vector<int64_t>& input_shape) {
  const OnnxInitializer* t = node.inputs.size() > 1 ? graph.FindInitializer(node.inputs[1]) : nullptr;
  if (!t || t->is_float) return UnsupportedError(node.Describe() + ": the shape must be an int64 initializer");
  if (node.GetInt("allowzero", 0) != 0) return UnsupportedError(node.Describe() + ": allowzero=1 is not supported");
  std::vector<int64_t> y = t->int_data;
  int64_t known = 1, total = 1;
  int infer = -1;
  for (int64_t d : input_shape) total *= d;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] == 0) {
      if (i >= input_shape.size()) return InvalidArgumentError(node.Describe() + ": 0 beyond the input rank");
      y[i] = input_shape[i];
    }
    if (y[i] == -1) {
      if (infer >= 0) return InvalidArgumentError(node.Describe() + ": more than one -1 in the shape");
      infer = static_cast<int>(i);
      continue;
    }
    if (y[i] < 0) return InvalidArgumentError(node.Describe() + ": negative dimension in the shape");
    known *= y[i];
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return InvalidArgumentError(node.Describe() + ": cannot infer -1");
    y[infer] = total / known;
  }
  int64_t count = 1;
  for (int64_t d : y) count *= d;
  if (count != total) {
    return InvalidArgumentError(node.Describe() + ": cannot reshape " + ShapeToString(input_shape) + " to " +
                                ShapeToString(y));
  }
  return y;
}

Result<std::vector<int64_t>> SplitSizes(const OnnxGraph& graph, const OnnxNode& node, const std::vector<int64_t>& x,
                                        int64_t* axis) {
  *axis = node.GetInt("axis", 0);
  const int64_t rank = static_cast<int64_t>(x.size());
  if (*axis < 0) *axis += rank;
  if (*axis < 0 || *axis >= rank) return InvalidArgumentError(node.Describe() + ": axis out of range");
  std::vector<int64_t> sizes = node.GetInts("split");
  if (const OnnxInitializer* s = OptionalInt64Input(graph, node, 1)) sizes = s->int_data;
  const int64_t n = static_cast<int64_t>(node.outputs.size());
  if (sizes.empty()) {
    if (n == 0 || x[*axis] % n != 0) return InvalidArgumentError(node.Describe() + ": cannot split evenly");
    sizes.assign(n, x[*axis] / n);
  }
  int64_t sum = 0;
  for (int64_t v : sizes) {
    if (v < 0) return InvalidArgumentError(node.Describe() + ": negative split size");
    sum += v;
  }
  if (static_cast<int64_t>(sizes.size()) != n || sum != x[*axis]) {
    return InvalidArgumentError(node.Describe() + ": split sizes do not match the outputs and axis " +
                                std::to_string(*axis) + " of " + ShapeToString(x));
  }
  return sizes;
}

Result<std::vector<int64_t>> ReduceAxes(const OnnxGraph& graph, const OnnxNode& node, size_t rank) {
  std::vector<int64_t> axes = node.GetInts("axes");
  if (const OnnxInitializer* a = OptionalInt64Input(graph, node, 1)) {
    axes = a->int_data;
  } else if (node.inputs.size() > 1 && !node.inputs[1].empty() && !graph.FindInitializer(node.inputs[1])) {
    return UnsupportedError(node.Describe() + ": axes must be an initializer");
  }
  if (axes.empty()) {
    if (node.GetInt("noop_with_empty_axes", 0) != 0) return axes;
    for (size_t i = 0; i < rank; ++i) axes.push_back(static_cast<int64_t>(i));
  }
  for (int64_t& a : axes) {
    if (a < 0) a += static_cast<int64_t>(rank);
    if (a < 0 || a >= static_cast<int64_t>(rank)) return InvalidArgumentError(node.Describe() + ": axis out of range");
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

Result<std::vector<int64_t>> ResizeOutputShape(const OnnxGraph& graph, const OnnxNode& node,
                                               const std::vector<int64_t>& x) {
  // opset 10: (X, scales); opset 11+: (X, roi, scales[, sizes]).
  const size_t scales_index = graph.opset >= 11 ? 2 : 1;
  if (const OnnxInitializer* sizes = OptionalInt64Input(graph, node, 3)) {
    if (sizes->int_data.size() != x.size()) return InvalidArgumentError(node.Describe() + ": sizes rank");
    return sizes->int_data;
  }
  const OnnxInitializer* scales =
      scales_index < node.inputs.size() && !node.inputs[scales_index].empty()
          ? graph.FindInitializer(node.inputs[scales_index]) : nullptr;
  if (!scales || !scales->is_float || scales->data.size() != x.size()) {
    return UnsupportedError(node.Describe() + ": scales or sizes must be initializers of the input's rank");
  }
  std::vector<int64_t> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(scales->data[i] > 0)) return InvalidArgumentError(node.Describe() + ": scales must be positive");
    y[i] = static_cast<int64_t>(std::floor(static_cast<double>(x[i]) * scales->data[i]));
  }
  return y;
}

bool IsKnownOp(const std::string& op_type) { return KnownOps().count(op_type) != 0; }

Result<Window2d> ResolveWindow2d(const OnnxNode& node, const std::vector<int64_t>& in,
                                 int64_t kernel_h, int64_t kernel_w) {
  if (in.size() != 4) {
    return UnsupportedError(node.Describe() + ": only 2-D (NCHW) inputs are supported, got " + ShapeToString(in));
  }
  Window2d w;
  w.kernel_h = kernel_h;
  w.kernel_w = kernel_w;
  std::vector<int64_t> strides = node.GetInts("strides", {1, 1});
  std::vector<int64_t> dil = node.GetInts("dilations", {1, 1});
  std::vector<int64_t> pads = node.GetInts("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) {
    return InvalidArgumentError(node.Describe() + ": strides/dilations/pads must be 2-D");
  }
  w.stride_h = strides[0]; w.stride_w = strides[1];
  w.dilation_h = dil[0]; w.dilation_w = dil[1];
  if (w.stride_h < 1 || w.stride_w < 1 || w.dilation_h < 1 || w.dilation_w < 1 || kernel_h < 1 || kernel_w < 1) {
    return InvalidArgumentError(node.Describe() + ": kernel, strides and dilations must be >= 1");
  }
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    auto same = [&](int64_t size, int64_t k, int64_t s, int64_t d, int64_t* lo, int64_t* hi) {
      const int64_t out = (size + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - size);
      *lo = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      *hi = total - *lo;
    };
    same(in[2], kernel_h, w.stride_h, w.dilation_h, &w.pad_top, &w.pad_bottom);
    same(in[3], kernel_w, w.stride_w, w.dilation_w, &w.pad_left, &w.pad_right);
  } else if (auto_pad == "VALID") {
    // all zero
  } else if (auto_pad == "NOTSET") {
    w.pad_top = pads[0]; w.pad_left = pads[1]; w.pad_bottom = pads[2]; w.pad_right = pads[3];
    for (int64_t p : pads) {
      if (p < 0) return InvalidArgumentError(node.Describe() + ": negative pads");
    }
  } else {
    return InvalidArgumentError(node.Describe() + ": unknown auto_pad '" + auto_pad + "'");
  }
  const bool ceil_mode = node.GetInt("ceil_mode", 0) != 0;
  w.out_h = OutDim(in[2], kernel_h, w.stride_h, w.dilation_h, w.pad_top + w.pad_bottom, ceil_mode);
  w.out_w = OutDim(in[3], kernel_w, w.stride_w, w.dilation_w, w.pad_left + w.pad_right, ceil_mode);
  if (w.out_h < 1 || w.out_w < 1) {
    return InvalidArgumentError(node.Describe() + ": window larger than the padded input " + ShapeToString(in));
  }
  if (ceil_mode) {
    const int64_t floor_h = OutDim(in[2], kernel_h, w.stride_h, w.dilation_h, w.pad_top + w.pad_bottom, false);
    const int64_t floor_w = OutDim(in[3], kernel_w, w.stride_w, w.dilation_w, w.pad_left + w.pad_right, false);
    w.ceil_extra_h = (w.out_h - floor_h) * w.stride_h;
    w.ceil_extra_w = (w.out_w - floor_w) * w.stride_w;
  }
  return w;
}

Result<ShapeMap> InferShapes(const OnnxGraph& graph, const std::vector<int64_t>& input_shape) {
  std::vector<std::string> unknown;
  for (const OnnxNode& node : graph.nodes) {
    if (!IsKnownOp(node.op_type) &&
        std::find(unknown.begin(), unknown.end(), node.op_type) == unknown.end()) {
      unknown.push_back(node.op_type);
    }
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    return UnsupportedError("unsupported ONNX op(s): " + list);
  }
  ShapeMap shapes;
  shapes[graph.inputs.at(0).name] = input_shape;
  auto get = [&](const OnnxNode& node, size_t index) -> Result<std::vector<int64_t>> {
    if (index >= node.inputs.size() || node.inputs[index].empty()) {
      return InvalidArgumentError(node.Describe() + ": missing input " + std::to_string(index));
    }
    const std::string& name = node.inputs[index];
    auto it = shapes.find(name);
    if (it != shapes.end()) return it->second;
    if (const OnnxInitializer* init = graph.FindInitializer(name)) return init->shape;
    return InvalidArgumentError(node.Describe() + ": input '" + name + "' is not produced before use");
  };
  for (const OnnxNode& node : graph.nodes) {
    const std::string& op = node.op_type;
    VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> x, get(node, 0));
    std::vector<int64_t> y;
    if (op == "Identity" || op == "Dropout" || op == "Relu" || op == "Clip" || op == "LeakyRelu" ||
        op == "Sigmoid" || op == "Tanh" || op == "BatchNormalization" || op == "Softmax" || op == "Sqrt" ||
        op == "LpNormalization") {
      y = x;
    } else if (op == "Reshape") {
      VIGIL_ASSIGN_OR_RETURN(y, ReshapeTarget(graph, node, x));
    } else if (op == "Split") {
      int64_t axis = 0;
      VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, SplitSizes(graph, node, x, &axis));
      for (size_t i = 1; i < node.outputs.size(); ++i) {
        shapes[node.outputs[i]] = x;
        shapes[node.outputs[i]][axis] = sizes[i];
      }
      y = x;
      y[axis] = sizes[0];
    } else if (op == "Resize") {
      VIGIL_ASSIGN_OR_RETURN(y, ResizeOutputShape(graph, node, x));
    } else if (op.rfind("Reduce", 0) == 0) {
      VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReduceAxes(graph, node, x.size()));
      const bool keep = node.GetInt("keepdims", 1) != 0;
      for (size_t i = 0; i < x.size(); ++i) {
        const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) != axes.end();
        if (!reduced) {
          y.push_back(x[i]);
        } else if (keep) {
          y.push_back(1);
        }
      }
    } else if (op == "Transpose") {
      std::vector<int64_t> perm = node.GetInts("perm");
      if (perm.empty()) {
        for (size_t i = 0; i < x.size(); ++i) perm.push_back(static_cast<int64_t>(x.size() - 1 - i));
      }
      if (perm.size() != x.size()) return InvalidArgumentError(node.Describe() + ": perm rank mismatch");
      for (int64_t p : perm) {
        if (p < 0 || p >= static_cast<int64_t>(x.size())) return InvalidArgumentError(node.Describe() + ": bad perm");
        y.push_back(x[p]);
      }
    } else if (op == "Conv") {
      VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> w, get(node, 1));
      if (x.size() != 4 || w.size() != 4) {
        return UnsupportedError(node.Describe() + ": only 2-D convolution is supported");
      }
      const int64_t group = node.GetInt("group", 1);
      if (group < 1 || x[1] != w[1] * group || w[0] % group != 0) {
        return InvalidArgumentError(node.Describe() + ": input channels " + std::to_string(x[1]) +
                                    " do not match weights " + ShapeToString(w) + " with group " +
                                    std::to_string(group));
      }
      VIGIL_ASSIGN_OR_RETURN(Window2d win, ResolveWindow2d(node, x, w[2], w[3]));
      y = {x[0], w[0], win.out_h, win.out_w};
    } else if (op == "MaxPool" || op == "AveragePool") {
      std::vector<int64_t> k = node.GetInts("kernel_shape");
      if (k.size() != 2) return UnsupportedError(node.Describe() + ": only 2-D pooling is supported");
      VIGIL_ASSIGN_OR_RETURN(Window2d win, ResolveWindow2d(node, x, k[0], k[1]));
      y = {x[0], x[1], win.out_h, win.out_w};
    } else if (op == "GlobalAveragePool") {
      if (x.size() != 4) return UnsupportedError(node.Describe() + ": only 4-D input is supported");
      y = {x[0], x[1], 1, 1};
    } else if (op == "Pad") {
      std::vector<int64_t> pads;
      if (graph.opset >= 11) {
        const OnnxInitializer* p = node.inputs.size() > 1 ? graph.FindInitializer(node.inputs[1]) : nullptr;
        if (p == nullptr || p->is_float) {
          return UnsupportedError(node.Describe() + ": pads must be an int64 initializer");
        }
        pads = p->int_data;
      } else {
        pads = node.GetInts("pads");
      }
      if (pads.size() != 2 * x.size()) return InvalidArgumentError(node.Describe() + ": pads rank mismatch");
      y = x;
      for (size_t i = 0; i < x.size(); ++i) y[i] += pads[i] + pads[i + x.size()];
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> b, get(node, 1));
      VIGIL_ASSIGN_OR_RETURN(y, BroadcastShape(node, x, b));
    } else if (op == "Concat") {
      int64_t axis = node.GetInt("axis", 1);
      if (axis < 0) axis += static_cast<int64_t>(x.size());
      if (axis < 0 || axis >= static_cast<int64_t>(x.size())) return InvalidArgumentError(node.Describe() + ": bad axis");
      y = x;
      for (size_t i = 1; i < node.inputs.size(); ++i) {
        VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> s, get(node, i));
        if (s.size() != x.size()) return InvalidArgumentError(node.Describe() + ": rank mismatch");
        for (size_t d = 0; d < s.size(); ++d) {
          if (static_cast<int64_t>(d) != axis && s[d] != x[d]) {
            return InvalidArgumentError(node.Describe() + ": input " + std::to_string(i) + " shape " +
                                        ShapeToString(s) + " does not match " + ShapeToString(x));
          }
        }
        y[axis] += s[axis];
      }
    } else if (op == "Flatten") {
      int64_t axis = node.GetInt("axis", 1);
      if (axis < 0) axis += static_cast<int64_t>(x.size());
      int64_t a = 1, b = 1;
      for (int64_t d = 0; d < static_cast<int64_t>(x.size()); ++d) (d < axis ? a : b) *= x[d];
      y = {a, b};
    } else if (op == "Gemm") {
      VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> b, get(node, 1));
      if (x.size() != 2 || b.size() != 2) return InvalidArgumentError(node.Describe() + ": A and B must be 2-D");
      const bool ta = node.GetInt("transA", 0) != 0, tb = node.GetInt("transB", 0) != 0;
      const int64_t m = ta ? x[1] : x[0], k = ta ? x[0] : x[1];
      const int64_t kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
      if (k != kb) {
        return InvalidArgumentError(node.Describe() + ": inner dimensions differ: A " + ShapeToString(x) +
                                    " B " + ShapeToString(b));
      }
      y = {m, n};
    }
    if (node.outputs.empty()) return InvalidArgumentError(node.Describe() + ": no outputs");
    shapes[node.outputs[0]] = y;
  }
  for (const OnnxValueInfo& out : graph.outputs) {
    if (!shapes.count(out.name) && !graph.FindInitializer(out.name)) {
      return InvalidArgumentError("graph output '" + out.name + "' is not produced by any node");
    }
  }
  return shapes;
}

}  // namespace vigil
