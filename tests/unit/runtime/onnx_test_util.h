// Test helpers for the runtime: an ONNX model builder over the onnx protobuf API (seeded random
// weights) and a naive NCHW reference interpreter (plain loops) working on the ModelProto itself,
// independent of the runtime's own IR.
#pragma once

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace vigil::testing {

// `<build>/tests/runtime_models/<name>.onnx` (the folder is created).
inline std::string TempModelPath(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(VIGIL_BINARY_DIR) / "tests" / "runtime_models";
  std::filesystem::create_directories(dir);
  return (dir / (name + ".onnx")).string();
}

// Worst relative error |got - want| / (1 + |want|); NaN counts as worst.
inline float WorstError(const std::vector<float>& got, const std::vector<float>& want) {
  float worst = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    const float err = std::fabs(got[i] - want[i]) / (1.0f + std::fabs(want[i]));
    if (!(err <= worst)) worst = err;
  }
  return worst;
}

class ModelBuilder {
 public:
  explicit ModelBuilder(int opset = 13, uint32_t seed = 1) : rng_(seed) {
    model_.set_ir_version(7);
    model_.set_producer_name("vigil-test");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }

  // Graph input; -1 dims are symbolic ("N").
  std::string Input(const std::string& name, const std::vector<int64_t>& shape) {
    auto* v = model_.mutable_graph()->add_input();
    SetValueInfo(v, name, shape);
    return name;
  }
  // Graph output of the given rank with symbolic dimensions (OpenCV 4.6 requires a shape).
  void Output(const std::string& name, int rank) {
    auto* v = model_.mutable_graph()->add_output();
    SetValueInfo(v, name, std::vector<int64_t>(rank, -1));
  }

  std::string Init(const std::string& name, const std::vector<int64_t>& shape, const std::vector<float>& data) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t->add_dims(d);
    for (float f : data) t->add_float_data(f);
    return name;
  }
  std::string InitInt64(const std::string& name, const std::vector<int64_t>& shape, const std::vector<int64_t>& data) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : shape) t->add_dims(d);
    for (int64_t v : data) t->add_int64_data(v);
    return name;
  }
  std::string Random(const std::string& name, const std::vector<int64_t>& shape, float lo = -0.5f, float hi = 0.5f) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> data(n);
    for (auto& v : data) v = dist(rng_);
    return Init(name, shape, data);
  }

  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(outputs.empty() ? op : op + ":" + outputs[0]);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }
  static void Ints(onnx::NodeProto* n, const std::string& key, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void Int(onnx::NodeProto* n, const std::string& key, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void String(onnx::NodeProto* n, const std::string& key, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void Float(onnx::NodeProto* n, const std::string& key, float v) {
    auto* a = n->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }

  // Conv with random weights/bias; returns the output name.
  std::string Conv(const std::string& x, const std::string& y, int64_t cin, int64_t cout, int64_t k,
                   std::vector<int64_t> strides, std::vector<int64_t> pads, int64_t group = 1,
                   std::vector<int64_t> dilations = {1, 1}, bool bias = true) {
    std::vector<std::string> in = {x, Random(y + "_W", {cout, cin / group, k, k})};
    if (bias) in.push_back(Random(y + "_B", {cout}));
    auto* n = Node("Conv", in, {y});
    Ints(n, "kernel_shape", {k, k});
    Ints(n, "strides", strides);
    Ints(n, "pads", pads);
    Ints(n, "dilations", dilations);
    Int(n, "group", group);
    return y;
  }
  std::string BatchNorm(const std::string& x, const std::string& y, int64_t c) {
    auto* n = Node("BatchNormalization",
                   {x, Random(y + "_s", {c}, 0.5f, 1.5f), Random(y + "_b", {c}), Random(y + "_m", {c}),
                    Random(y + "_v", {c}, 0.2f, 1.0f)},
                   {y});
    Float(n, "epsilon", 1e-3f);
    return y;
  }
  std::string Clip(const std::string& x, const std::string& y, float lo, float hi) {
    Node("Clip", {x, Init(y + "_min", {}, {lo}), Init(y + "_max", {}, {hi})}, {y});
    return y;
  }
  std::string Transpose(const std::string& x, const std::string& y, const std::vector<int64_t>& perm) {
    Ints(Node("Transpose", {x}, {y}), "perm", perm);
    return y;
  }

  std::string Save(const std::string& file) const {
    std::ofstream out(file, std::ios::binary);
    model_.SerializeToOstream(&out);
    return file;
  }
  const onnx::ModelProto& model() const { return model_; }
  std::mt19937& rng() { return rng_; }

 private:
  static void SetValueInfo(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& shape) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d < 0) dim->set_dim_param("N"); else dim->set_dim_value(d);
    }
  }

  onnx::ModelProto model_;
  std::mt19937 rng_;
};

// ---------------------------------------------------------------------------------------------
// Naive reference interpreter (NCHW, plain loops).

struct RefTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t Size() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

class ReferenceInterpreter {
 public:
  explicit ReferenceInterpreter(const onnx::ModelProto& model) : model_(model) {
    for (const auto& t : model.graph().initializer()) {
      RefTensor r;
      r.shape.assign(t.dims().begin(), t.dims().end());
      if (t.data_type() == onnx::TensorProto::FLOAT) {
        r.data.assign(t.float_data().begin(), t.float_data().end());
      } else {
        for (int64_t v : t.int64_data()) r.data.push_back(static_cast<float>(v));
      }
      values_[t.name()] = r;
    }
  }

  std::map<std::string, RefTensor> Run(const RefTensor& input) {
    std::map<std::string, RefTensor> v = values_;
    v[model_.graph().input(0).name()] = input;
    for (const auto& n : model_.graph().node()) {
      if (n.op_type() == "Split") {
        SplitOp(n, v);
      } else {
        v[n.output(0)] = Eval(n, v);
      }
    }
    std::map<std::string, RefTensor> out;
    for (const auto& o : model_.graph().output()) out[o.name()] = v.at(o.name());
    return out;
  }

 private:
  static std::vector<int64_t> Ints(const onnx::NodeProto& n, const std::string& k, std::vector<int64_t> def) {
    for (const auto& a : n.attribute()) {
      if (a.name() == k) return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    }
    return def;
  }
  static int64_t Int(const onnx::NodeProto& n, const std::string& k, int64_t def) {
    for (const auto& a : n.attribute()) {
      if (a.name() == k) return a.i();
    }
    return def;
  }
  static float Float(const onnx::NodeProto& n, const std::string& k, float def) {
    for (const auto& a : n.attribute()) {
      if (a.name() == k) return a.f();
    }
    return def;
  }

  RefTensor Eval(const onnx::NodeProto& n, std::map<std::string, RefTensor>& v) {
    const std::string& op = n.op_type();
    const RefTensor& x = v.at(n.input(0));
    RefTensor y;
    y.shape = x.shape;
    y.data = x.data;
    auto unary = [&](auto f) { for (auto& e : y.data) e = f(e); return y; };
    if (op == "Identity" || op == "Dropout") return y;
    if (op == "Relu") return unary([](float e) { return std::max(e, 0.0f); });
    if (op == "Sigmoid") return unary([](float e) { return 1.0f / (1.0f + std::exp(-e)); });
    if (op == "Tanh") return unary([](float e) { return std::tanh(e); });
    if (op == "LeakyRelu") {
      const float a = Float(n, "alpha", 0.01f);
      return unary([a](float e) { return e < 0 ? a * e : e; });
    }
    if (op == "Clip") {
      const float lo = n.input_size() > 1 ? v.at(n.input(1)).data[0] : Float(n, "min", -INFINITY);
      const float hi = n.input_size() > 2 ? v.at(n.input(2)).data[0] : Float(n, "max", INFINITY);
      return unary([lo, hi](float e) { return std::min(std::max(e, lo), hi); });
    }
    if (op == "Transpose") {
      const auto perm = Ints(n, "perm", {});
      const size_t r = x.shape.size();
      for (size_t i = 0; i < r; ++i) y.shape[i] = x.shape[perm[i]];
      std::vector<int64_t> xs(r, 1), idx(r, 0);
      for (int i = static_cast<int>(r) - 2; i >= 0; --i) xs[i] = xs[i + 1] * x.shape[i + 1];
      for (int64_t o = 0; o < y.Size(); ++o) {
        int64_t rem = o, src = 0;
        for (int i = static_cast<int>(r) - 1; i >= 0; --i) {
          idx[i] = rem % y.shape[i];
          rem /= y.shape[i];
        }
        for (size_t i = 0; i < r; ++i) src += idx[i] * xs[perm[i]];
        y.data[o] = x.data[src];
      }
      return y;
    }
    if (op == "BatchNormalization") {
      const auto &s = v.at(n.input(1)), &b = v.at(n.input(2)), &m = v.at(n.input(3)), &var = v.at(n.input(4));
      const float eps = Float(n, "epsilon", 1e-5f);
      const int64_t c = x.shape[1], inner = x.Size() / x.shape[0] / c;
      for (int64_t i = 0; i < x.Size(); ++i) {
        const int64_t ch = (i / inner) % c;
        y.data[i] = (x.data[i] - m.data[ch]) / std::sqrt(var.data[ch] + eps) * s.data[ch] + b.data[ch];
      }
      return y;
    }
    if (op == "Conv") return ConvOp(n, x, v.at(n.input(1)), n.input_size() > 2 ? &v.at(n.input(2)) : nullptr);
    if (op == "MaxPool" || op == "AveragePool") return PoolOp(n, x);
    if (op == "GlobalAveragePool") {
      const int64_t hw = x.shape[2] * x.shape[3];
      y.shape = {x.shape[0], x.shape[1], 1, 1};
      y.data.assign(x.shape[0] * x.shape[1], 0.0f);
      for (int64_t i = 0; i < x.Size(); ++i) y.data[i / hw] += x.data[i] / hw;
      return y;
    }
    if (op == "Pad") {
      RefTensor p;
      if (n.input_size() > 1) {
        p = v.at(n.input(1));
      } else {
        for (int64_t e : Ints(n, "pads", {})) p.data.push_back(static_cast<float>(e));
      }
      y.shape = {x.shape[0], x.shape[1], x.shape[2] + (int64_t)(p.data[2] + p.data[6]),
                 x.shape[3] + (int64_t)(p.data[3] + p.data[7])};
      const float fill = n.input_size() > 2 && !v.at(n.input(2)).data.empty() ? v.at(n.input(2)).data[0] : 0.0f;
      y.data.assign(y.Size(), fill);
      for (int64_t b = 0; b < x.shape[0] * x.shape[1]; ++b)
        for (int64_t h = 0; h < x.shape[2]; ++h)
          for (int64_t w = 0; w < x.shape[3]; ++w)
            y.data[(b * y.shape[2] + h + (int64_t)p.data[2]) * y.shape[3] + w + (int64_t)p.data[3]] =
                x.data[(b * x.shape[2] + h) * x.shape[3] + w];
      return y;
    }
    if (op == "Exp") return unary([](float e) { return std::exp(e); });
    if (op == "Sqrt") return unary([](float e) { return std::sqrt(e); });
    if (op == "Abs") return unary([](float e) { return std::fabs(e); });
    if (op == "Reshape") {
      const RefTensor& t = v.at(n.input(1));
      y.shape.clear();
      int64_t known = 1, infer = -1;
      for (size_t i = 0; i < t.data.size(); ++i) {
        int64_t d = static_cast<int64_t>(t.data[i]);
        if (d == 0) d = x.shape[i];
        if (d == -1) infer = static_cast<int64_t>(i);
        else known *= d;
        y.shape.push_back(d);
      }
      if (infer >= 0) y.shape[infer] = x.Size() / known;
      return y;
    }
    if (op == "Resize") return ResizeLinearOp(n, x, v);
    if (op.rfind("Reduce", 0) == 0 || op == "LpNormalization") return ReduceOp(n, x, v);
    if (op == "Add" || op == "Mul" || op == "Sub" || op == "Div") {
      const RefTensor& b = v.at(n.input(1));
      const size_t r = std::max(x.shape.size(), b.shape.size());
      auto pad = [r](std::vector<int64_t> s) { s.insert(s.begin(), r - s.size(), 1); return s; };
      const auto sa = pad(x.shape), sb = pad(b.shape);
      y.shape.resize(r);
      for (size_t i = 0; i < r; ++i) y.shape[i] = std::max(sa[i], sb[i]);
      y.data.resize(y.Size());
      std::vector<int64_t> idx(r);
      for (int64_t o = 0; o < y.Size(); ++o) {
        int64_t rem = o, ia = 0, ib = 0;
        for (int i = static_cast<int>(r) - 1; i >= 0; --i) {
          idx[i] = rem % y.shape[i];
          rem /= y.shape[i];
        }
        for (size_t i = 0; i < r; ++i) {
          ia = ia * sa[i] + (sa[i] == 1 ? 0 : idx[i]);
          ib = ib * sb[i] + (sb[i] == 1 ? 0 : idx[i]);
        }
        const float p = x.data[ia], q = b.data[ib];
        y.data[o] = op == "Add" ? p + q : op == "Sub" ? p - q : op == "Mul" ? p * q : p / q;
      }
      return y;
    }
    if (op == "Concat") {  // axis 1
      int64_t c = 0;
      for (const auto& in : n.input()) c += v.at(in).shape[1];
      y.shape[1] = c;
      y.data.clear();
      const int64_t inner = x.Size() / x.shape[0] / x.shape[1];
      for (int64_t b = 0; b < x.shape[0]; ++b)
        for (const auto& in : n.input()) {
          const RefTensor& t = v.at(in);
          const int64_t chunk = t.shape[1] * inner;
          y.data.insert(y.data.end(), t.data.begin() + b * chunk, t.data.begin() + (b + 1) * chunk);
        }
      return y;
    }
    if (op == "Flatten") {
      y.shape = {x.shape[0], x.Size() / x.shape[0]};
      return y;
    }
    if (op == "Gemm") {
      const RefTensor& b = v.at(n.input(1));
      const bool tb = Int(n, "transB", 0) != 0;
      const float alpha = Float(n, "alpha", 1.0f), beta = Float(n, "beta", 1.0f);
      const int64_t m = x.shape[0], k = x.shape[1], nn = tb ? b.shape[0] : b.shape[1];
      y.shape = {m, nn};
      y.data.assign(m * nn, 0.0f);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < nn; ++j) {
          double acc = 0;
          for (int64_t q = 0; q < k; ++q) acc += x.data[i * k + q] * (tb ? b.data[j * k + q] : b.data[q * nn + j]);
          y.data[i * nn + j] = alpha * acc + (n.input_size() > 2 ? beta * v.at(n.input(2)).data[j] : 0.0f);
        }
      return y;
    }
    if (op == "Softmax") {  // last axis
      const int64_t c = x.shape.back();
      for (int64_t r = 0; r < x.Size() / c; ++r) {
        float mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j < c; ++j) mx = std::max(mx, x.data[r * c + j]);
        for (int64_t j = 0; j < c; ++j) sum += (y.data[r * c + j] = std::exp(x.data[r * c + j] - mx));
        for (int64_t j = 0; j < c; ++j) y.data[r * c + j] /= sum;
      }
      return y;
    }
    throw std::runtime_error("reference: unsupported op " + op);
  }

  // Split along `axis` (sizes from the attribute or the second input, else equal parts).
  static void SplitOp(const onnx::NodeProto& n, std::map<std::string, RefTensor>& v) {
    const RefTensor& x = v.at(n.input(0));
    int64_t axis = Int(n, "axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(x.shape.size());
    std::vector<int64_t> sizes = Ints(n, "split", {});
    if (n.input_size() > 1) {
      for (float f : v.at(n.input(1)).data) sizes.push_back(static_cast<int64_t>(f));
    }
    if (sizes.empty()) sizes.assign(n.output_size(), x.shape[axis] / n.output_size());
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x.shape[i];
    for (size_t i = axis + 1; i < x.shape.size(); ++i) inner *= x.shape[i];
    int64_t start = 0;
    for (int k = 0; k < n.output_size(); ++k) {
      RefTensor y;
      y.shape = x.shape;
      y.shape[axis] = sizes[k];
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t a = start; a < start + sizes[k]; ++a)
          for (int64_t i = 0; i < inner; ++i) y.data.push_back(x.data[(o * x.shape[axis] + a) * inner + i]);
      start += sizes[k];
      v[n.output(k)] = y;
    }
  }

  // Linear Resize of the two last axes of a 4-D tensor, as in the ONNX specification: half_pixel
  // (x_in = (x_out + 0.5) / scale - 0.5), asymmetric (x_out / scale) or align_corners
  // (x_out * (in - 1) / (out - 1)) coordinates, clamped to [0, in - 1].
  static RefTensor ResizeLinearOp(const onnx::NodeProto& n, const RefTensor& x, std::map<std::string, RefTensor>& v) {
    RefTensor y;
    y.shape = x.shape;
    std::vector<double> scale(4, 1.0);
    if (n.input_size() > 3 && !v.at(n.input(3)).data.empty()) {
      for (int i = 2; i < 4; ++i) {  // batch and channels are kept (the runtime keeps the batch)
        y.shape[i] = static_cast<int64_t>(v.at(n.input(3)).data[i]);
        scale[i] = static_cast<double>(y.shape[i]) / x.shape[i];
      }
    } else {
      for (int i = 2; i < 4; ++i) {
        scale[i] = v.at(n.input(2)).data[i];
        y.shape[i] = static_cast<int64_t>(std::floor(x.shape[i] * scale[i]));
      }
    }
    const int64_t H = x.shape[2], W = x.shape[3], OH = y.shape[2], OW = y.shape[3];
    y.data.assign(y.Size(), 0.0f);
    std::string mode = "half_pixel";
    for (const auto& a : n.attribute()) {
      if (a.name() == "coordinate_transformation_mode") mode = a.s();
    }
    auto coord = [&](int64_t o, double s, int64_t in, int64_t* i0, int64_t* i1, double* t) {
      const int64_t out = static_cast<int64_t>(std::llround(in * s));
      double c = mode == "asymmetric"      ? o / s
                 : mode == "align_corners" ? (out > 1 ? static_cast<double>(o) * (in - 1) / (out - 1) : 0.0)
                                           : (o + 0.5) / s - 0.5;
      c = std::min(std::max(c, 0.0), static_cast<double>(in - 1));
      *i0 = static_cast<int64_t>(std::floor(c));
      *i1 = std::min(*i0 + 1, in - 1);
      *t = c - *i0;
    };
    for (int64_t nc = 0; nc < x.shape[0] * x.shape[1]; ++nc)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          int64_t y0, y1, x0, x1;
          double ty, tx;
          coord(oy, scale[2], H, &y0, &y1, &ty);
          coord(ox, scale[3], W, &x0, &x1, &tx);
          const float* p = &x.data[nc * H * W];
          const double top = p[y0 * W + x0] * (1 - tx) + p[y0 * W + x1] * tx;
          const double bottom = p[y1 * W + x0] * (1 - tx) + p[y1 * W + x1] * tx;
          y.data[(nc * OH + oy) * OW + ox] = static_cast<float>(top * (1 - ty) + bottom * ty);
        }
    return y;
  }

  // ReduceSum/Mean/Max/L2/SumSquare (axes from the attribute or the second input; keepdims) and
  // LpNormalization (x / ||x||_p along `axis`).
  static RefTensor ReduceOp(const onnx::NodeProto& n, const RefTensor& x, std::map<std::string, RefTensor>& v) {
    const std::string& op = n.op_type();
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    std::vector<int64_t> axes;
    if (op == "LpNormalization") {
      axes = {Int(n, "axis", -1)};
    } else {
      axes = Ints(n, "axes", {});
      if (n.input_size() > 1) {
        for (float f : v.at(n.input(1)).data) axes.push_back(static_cast<int64_t>(f));
      }
      if (axes.empty()) {
        for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
      }
    }
    std::vector<bool> reduced(rank, false);
    for (int64_t a : axes) reduced[a < 0 ? a + rank : a] = true;
    std::vector<int64_t> kept = x.shape;
    for (int64_t i = 0; i < rank; ++i) kept[i] = reduced[i] ? 1 : x.shape[i];
    RefTensor r;
    r.shape = kept;
    std::vector<double> acc(r.Size(), op == "ReduceMax" ? -INFINITY : 0.0);
    std::vector<int64_t> idx(rank);
    const int64_t count = x.Size() / r.Size();
    const double p = op == "LpNormalization" ? static_cast<double>(Int(n, "p", 2)) : 2.0;
    auto target = [&](int64_t flat) {
      int64_t rem = flat, t = 0;
      for (int64_t i = rank - 1; i >= 0; --i) {
        idx[i] = rem % x.shape[i];
        rem /= x.shape[i];
      }
      for (int64_t i = 0; i < rank; ++i) t = t * kept[i] + (reduced[i] ? 0 : idx[i]);
      return t;
    };
    for (int64_t i = 0; i < x.Size(); ++i) {
      const double e = x.data[i];
      double& a = acc[target(i)];
      if (op == "ReduceMax") a = std::max(a, e);
      else if (op == "ReduceSum" || op == "ReduceMean") a += e;
      else a += std::pow(std::fabs(e), p);  // L2, SumSquare, Lp
    }
    if (op == "LpNormalization") {
      RefTensor y = x;
      for (int64_t i = 0; i < x.Size(); ++i) y.data[i] = static_cast<float>(x.data[i] / std::pow(acc[target(i)], 1 / p));
      return y;
    }
    for (int64_t i = 0; i < r.Size(); ++i) {
      const double a = acc[i];
      r.data.push_back(static_cast<float>(op == "ReduceMean" ? a / count : op == "ReduceL2" ? std::sqrt(a) : a));
    }
    if (Int(n, "keepdims", 1) == 0) {
      r.shape.clear();
      for (int64_t i = 0; i < rank; ++i) {
        if (!reduced[i]) r.shape.push_back(x.shape[i]);
      }
    }
    return r;
  }

  static RefTensor ConvOp(const onnx::NodeProto& n, const RefTensor& x, const RefTensor& w, const RefTensor* b) {
    const auto st = Ints(n, "strides", {1, 1}), pd = Ints(n, "pads", {0, 0, 0, 0}), dl = Ints(n, "dilations", {1, 1});
    const int64_t g = Int(n, "group", 1);
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t M = w.shape[0], Cg = w.shape[1], KH = w.shape[2], KW = w.shape[3];
    const int64_t OH = (H + pd[0] + pd[2] - (KH - 1) * dl[0] - 1) / st[0] + 1;
    const int64_t OW = (W + pd[1] + pd[3] - (KW - 1) * dl[1] - 1) / st[1] + 1;
    RefTensor y;
    y.shape = {N, M, OH, OW};
    y.data.assign(y.Size(), 0.0f);
    const int64_t Mg = M / g;
    for (int64_t nn = 0; nn < N; ++nn)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t oy = 0; oy < OH; ++oy)
          for (int64_t ox = 0; ox < OW; ++ox) {
            double acc = b ? b->data[m] : 0.0;
            const int64_t grp = m / Mg;
            for (int64_t c = 0; c < Cg; ++c)
              for (int64_t ky = 0; ky < KH; ++ky)
                for (int64_t kx = 0; kx < KW; ++kx) {
                  const int64_t iy = oy * st[0] - pd[0] + ky * dl[0], ix = ox * st[1] - pd[1] + kx * dl[1];
                  if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
                  acc += x.data[((nn * C + grp * Cg + c) * H + iy) * W + ix] * w.data[((m * Cg + c) * KH + ky) * KW + kx];
                }
            y.data[((nn * M + m) * OH + oy) * OW + ox] = static_cast<float>(acc);
          }
    return y;
  }

  static RefTensor PoolOp(const onnx::NodeProto& n, const RefTensor& x) {
    const bool is_max = n.op_type() == "MaxPool";
    const auto k = Ints(n, "kernel_shape", {}), st = Ints(n, "strides", {1, 1}), pd = Ints(n, "pads", {0, 0, 0, 0});
    const bool include_pad = Int(n, "count_include_pad", 0) != 0;
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OH = (H + pd[0] + pd[2] - k[0]) / st[0] + 1, OW = (W + pd[1] + pd[3] - k[1]) / st[1] + 1;
    RefTensor y;
    y.shape = {N, C, OH, OW};
    y.data.assign(y.Size(), 0.0f);
    for (int64_t nc = 0; nc < N * C; ++nc)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          float mx = -INFINITY;
          double sum = 0;
          int count = 0;
          for (int64_t ky = 0; ky < k[0]; ++ky)
            for (int64_t kx = 0; kx < k[1]; ++kx) {
              const int64_t iy = oy * st[0] - pd[0] + ky, ix = ox * st[1] - pd[1] + kx;
              if (iy < 0 || ix < 0 || iy >= H || ix >= W) {
                if (include_pad) ++count;
                continue;
              }
              const float e = x.data[(nc * H + iy) * W + ix];
              mx = std::max(mx, e);
              sum += e;
              ++count;
            }
          y.data[(nc * OH + oy) * OW + ox] = is_max ? mx : static_cast<float>(sum / count);
        }
    return y;
  }

  const onnx::ModelProto& model_;
  std::map<std::string, RefTensor> values_;
};

}  // namespace vigil::testing
