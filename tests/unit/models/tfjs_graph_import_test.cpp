// Tests for the tfjs graph-model importer: tiny generated graph models (model.json + one shard)
// covering every translated op, run through the runtime's OpenCV backend and compared with naive
// hand-written references (NHWC loops) within 1e-4; layout tracking (no Transpose left for the
// onnx-tf NCHW pattern); constant folding; errors (unsupported ops listed together, truncated
// shard, wrong format). TfjsGraphParity.DumpedReference checks a real model against tfjs results
// dumped by tests/parity/tfjs_graph_reference.js when VIGIL_GRAPH_PARITY_DIR is set
// (tests/integration/detector_parity.sh).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "models/tfjs_graph_import.h"
#include "tfjs_test_util.h"
#include "runtime/backend.h"
#include "vigil/model_import.h"

namespace vigil {
namespace {

using nlohmann::json;
using tfjs_test::ScratchDir;

std::string Base64(const std::string& in) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kChars[(v >> (6 * k)) & 63]);
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += std::string{kChars[(v >> 18) & 63], kChars[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8;
    out += std::string{kChars[(v >> 18) & 63], kChars[(v >> 12) & 63], kChars[(v >> 6) & 63], '='};
  }
  return out;
}

json I(int64_t v) { return {{"i", std::to_string(v)}}; }
json F(float v) { return {{"f", v}}; }
json B(bool v) { return {{"b", v}}; }
json S(const std::string& v) { return {{"s", Base64(v)}}; }
json Ints(const std::vector<int64_t>& v) {
  json list = json::array();
  for (int64_t x : v) list.push_back(std::to_string(x));
  return {{"list", {{"i", list}}}};
}
json Strs(const std::vector<std::string>& v) {
  json list = json::array();
  for (const auto& x : v) list.push_back(Base64(x));
  return {{"list", {{"s", list}}}};
}

// Writes a graph model: nodes plus constants stored in one shard (float32 or int32).
class GraphWriter {
 public:
  void Input(const std::string& name, const std::vector<int64_t>& shape) {
    json dims = json::array();
    for (int64_t d : shape) dims.push_back({{"size", std::to_string(d)}});
    nodes_.push_back({{"name", name}, {"op", "Placeholder"},
                      {"attr", {{"shape", {{"shape", {{"dim", dims}}}}}, {"dtype", {{"type", "DT_FLOAT"}}}}}});
  }
  void Const(const std::string& name, const std::vector<int64_t>& shape, const std::vector<float>& v) {
    nodes_.push_back({{"name", name}, {"op", "Const"}, {"attr", {{"dtype", {{"type", "DT_FLOAT"}}}}}});
    weights_.push_back({{"name", name}, {"shape", shape}, {"dtype", "float32"}});
    bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  }
  void IntConst(const std::string& name, const std::vector<int64_t>& shape,
                const std::vector<int32_t>& v) {
    nodes_.push_back({{"name", name}, {"op", "Const"}, {"attr", {{"dtype", {{"type", "DT_INT32"}}}}}});
    weights_.push_back({{"name", name}, {"shape", shape}, {"dtype", "int32"}});
    bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  }
  void Node(const std::string& name, const std::string& op, std::vector<std::string> inputs,
            json attr = json::object()) {
    nodes_.push_back({{"name", name}, {"op", op}, {"input", inputs}, {"attr", attr}});
  }
  std::string Write(const ScratchDir& dir, const std::vector<std::string>& outputs,
                    size_t truncate = 0) {
    json sig_out = json::object();
    for (const auto& o : outputs) sig_out[o + ":0"] = {{"name", o + ":0"}};
    json model = {{"format", "graph-model"},
                  {"signature", {{"outputs", sig_out}}},
                  {"modelTopology", {{"node", nodes_}}},
                  {"weightsManifest", {{{"paths", {"group1-shard1of1.bin"}}, {"weights", weights_}}}}};
    tfjs_test::WriteFile(dir / "model.json", model.dump());
    tfjs_test::WriteFile(dir / "group1-shard1of1.bin", bytes_.substr(0, bytes_.size() - truncate));
    return dir / "model.json";
  }

 private:
  json nodes_ = json::array();
  json weights_ = json::array();
  std::string bytes_;
};

std::vector<float> Random(std::mt19937& rng, size_t n, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Runs the ONNX model on the OpenCV backend; returns outputs by name.
std::map<std::string, Tensor> RunModel(const std::string& onnx, const std::vector<int64_t>& shape,
                                  const std::vector<float>& input,
                                  BackendKind kind = BackendKind::kOpenCv) {
  auto backend = CreateBackend(kind, onnx);
  EXPECT_TRUE(backend.ok()) << backend.status().ToString();
  if (!backend.ok()) return {};
  auto session = (*backend)->CreateSession({});
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  Tensor in{"", shape, input};
  std::vector<Tensor> outs;
  Status st = (*session)->Run(in, &outs);
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::map<std::string, Tensor> by_name;
  for (auto& t : outs) by_name[t.name] = t;
  return by_name;
}

void ExpectNear(const Tensor& got, const std::vector<int64_t>& shape, const std::vector<float>& want,
                float tol = 1e-4f) {
  ASSERT_EQ(got.data.size(), want.size());
  EXPECT_EQ(Tensor::NumElements(got.shape), Tensor::NumElements(shape));
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got.data[i], want[i], tol) << "element " << i;
  }
}

int CountOps(const std::string& onnx_path, const std::string& op) {
  onnx::ModelProto m;
  std::ifstream in(onnx_path, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&in));
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op ? 1 : 0;
  return n;
}

// ---- naive NHWC references ----
struct Img {
  int h, w, c;
  std::vector<float> v;
  float at(int y, int x, int ch) const { return v[size_t((y * w + x) * c + ch)]; }
};

// Conv (or depthwise when mult > 0: filter [kh,kw,c,mult]) with pads top/left, output oh x ow.
Img Conv(const Img& x, const std::vector<float>& f, int kh, int kw, int co, int s, int pt, int pl,
         int oh, int ow, int mult = 0) {
  Img out{oh, ow, mult > 0 ? x.c * mult : co, {}};
  out.v.assign(size_t(oh * ow * out.c), 0.f);
  for (int y = 0; y < oh; ++y)
    for (int xx = 0; xx < ow; ++xx)
      for (int o = 0; o < out.c; ++o) {
        double acc = 0;
        for (int i = 0; i < kh; ++i)
          for (int j = 0; j < kw; ++j) {
            const int iy = y * s + i - pt, ix = xx * s + j - pl;
            if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
            if (mult > 0) {
              acc += x.at(iy, ix, o / mult) * f[size_t(((i * kw + j) * x.c + o / mult) * mult + o % mult)];
            } else {
              for (int ci = 0; ci < x.c; ++ci) acc += x.at(iy, ix, ci) * f[size_t(((i * kw + j) * x.c + ci) * co + o)];
            }
          }
        out.v[size_t((y * ow + xx) * out.c + o)] = float(acc);
      }
  return out;
}

Img Pool(const Img& x, int k, int s, int pt, int pl, int oh, int ow, bool max) {
  Img out{oh, ow, x.c, std::vector<float>(size_t(oh * ow * x.c))};
  for (int y = 0; y < oh; ++y)
    for (int xx = 0; xx < ow; ++xx)
      for (int ch = 0; ch < x.c; ++ch) {
        float best = -1e30f;
        double sum = 0;
        int n = 0;
        for (int i = 0; i < k; ++i)
          for (int j = 0; j < k; ++j) {
            const int iy = y * s + i - pt, ix = xx * s + j - pl;
            if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
            best = std::max(best, x.at(iy, ix, ch));
            sum += x.at(iy, ix, ch);
            ++n;
          }
        out.v[size_t((y * ow + xx) * x.c + ch)] = max ? best : float(sum / n);
      }
  return out;
}

Img ResizeBilinear(const Img& x, int oh, int ow, bool align, bool half) {
  Img out{oh, ow, x.c, std::vector<float>(size_t(oh * ow * x.c))};
  auto src = [&](int o, int in, int outn) {
    if (align) return outn > 1 ? float(o) * float(in - 1) / float(outn - 1) : 0.f;
    const float scale = float(in) / float(outn);
    return half ? std::max(0.f, (float(o) + 0.5f) * scale - 0.5f) : float(o) * scale;
  };
  for (int y = 0; y < oh; ++y)
    for (int xx = 0; xx < ow; ++xx) {
      const float fy = src(y, x.h, oh), fx = src(xx, x.w, ow);
      const int y0 = std::min(int(fy), x.h - 1), x0 = std::min(int(fx), x.w - 1);
      const int y1 = std::min(y0 + 1, x.h - 1), x1 = std::min(x0 + 1, x.w - 1);
      const float dy = fy - float(y0), dx = fx - float(x0);
      for (int ch = 0; ch < x.c; ++ch) {
        const float top = x.at(y0, x0, ch) * (1 - dx) + x.at(y0, x1, ch) * dx;
        const float bot = x.at(y1, x0, ch) * (1 - dx) + x.at(y1, x1, ch) * dx;
        out.v[size_t((y * ow + xx) * x.c + ch)] = top * (1 - dy) + bot * dy;
      }
    }
  return out;
}

std::vector<float> NchwToNhwc(const std::vector<float>& v, int c, int h, int w) {
  std::vector<float> out(v.size());
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) out[size_t((y * w + x) * c + ch)] = v[size_t((ch * h + y) * w + x)];
  return out;
}
std::vector<float> NhwcToNchw(const std::vector<float>& v, int c, int h, int w) {
  std::vector<float> out(v.size());
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) out[size_t((ch * h + y) * w + x)] = v[size_t((y * w + x) * c + ch)];
  return out;
}

// onnx-tf pattern (NanoDet): NCHW input, Pad, Transpose to NHWC, Conv2D + Add bias, Transpose
// back, LeakyRelu, MaxPool round-trip, Sigmoid. Layout tracking must leave no Transpose at all.
TEST(TfjsGraphImport, NchwTransposePatternConvPadLeakyMaxPool) {
  ScratchDir dir;
  std::mt19937 rng(1);
  const int c = 3, h = 7, w = 7, co = 5;
  GraphWriter g;
  g.Input("x", {1, c, h, w});
  g.IntConst("pads", {4, 2}, {0, 0, 0, 0, 1, 1, 1, 1});
  g.IntConst("to_nhwc", {4}, {0, 2, 3, 1});
  g.IntConst("to_nchw", {4}, {0, 3, 1, 2});
  const std::vector<float> filt = Random(rng, size_t(3 * 3 * c * co)), bias = Random(rng, co);
  g.Const("filter", {3, 3, c, co}, filt);
  g.Const("bias", {co}, bias);
  g.Node("pad", "Pad", {"x", "pads"});
  g.Node("t1", "Transpose", {"pad", "to_nhwc"});
  g.Node("conv", "Conv2D", {"t1", "filter"}, {{"padding", S("VALID")}, {"data_format", S("NHWC")},
                                               {"strides", Ints({1, 1, 1, 1})}, {"dilations", Ints({1, 1, 1, 1})}});
  g.Node("add", "Add", {"conv", "bias"});
  g.Node("t2", "Transpose", {"add", "to_nchw"});
  g.Node("leaky", "LeakyRelu", {"t2"}, {{"alpha", F(0.1f)}});
  g.Node("t3", "Transpose", {"leaky", "to_nhwc"});
  g.Node("pool", "MaxPool", {"t3"}, {{"ksize", Ints({1, 3, 3, 1})}, {"strides", Ints({1, 2, 2, 1})},
                                      {"padding", S("VALID")}, {"data_format", S("NHWC")}});
  g.Node("t4", "Transpose", {"pool", "to_nchw"});
  g.Node("out", "Sigmoid", {"t4"});
  g.Node("Identity", "Identity", {"leaky"});
  const std::string model = g.Write(dir, {"out", "Identity"});
  auto info = ImportTfjsGraphModel(model, dir / "m.onnx");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(CountOps(dir / "m.onnx", "Transpose"), 0);
  EXPECT_EQ(CountOps(dir / "m.onnx", "Add"), 0);  // the bias Add is folded into the Conv
  ASSERT_EQ(info->outputs.size(), 2u);
  EXPECT_EQ(info->outputs[0].name, "Identity");  // sorted
  EXPECT_EQ(info->outputs[1].shape, (std::vector<int64_t>{1, co, 3, 3}));

  const std::vector<float> x = Random(rng, size_t(c * h * w));
  Img xi{h, w, c, NchwToNhwc(x, c, h, w)};
  Img conv = Conv(xi, filt, 3, 3, co, 1, 1, 1, h, w);
  for (size_t i = 0; i < conv.v.size(); ++i) {
    float v = conv.v[i] + bias[i % co];
    conv.v[i] = v > 0 ? v : 0.1f * v;
  }
  Img pool = Pool(conv, 3, 2, 0, 0, 3, 3, true);
  for (float& v : pool.v) v = 1.f / (1.f + std::exp(-v));
  auto outs = RunModel(dir / "m.onnx", {1, c, h, w}, x);
  ASSERT_EQ(outs.size(), 2u);
  ExpectNear(outs["Identity"], {1, co, h, w}, NhwcToNchw(conv.v, co, h, w));
  ExpectNear(outs["out"], {1, co, 3, 3}, NhwcToNchw(pool.v, co, 3, 3));
}

// NHWC graph (CenterNet style): fused convs (BiasAdd+Relu6, FusedBatchNorm+Relu), depthwise
// (plain and fused), SAME padding with stride 2, Mean over H,W (squeeze-excite), Mul broadcast.
TEST(TfjsGraphImport, NhwcFusedConvDepthwiseMeanMul) {
  ScratchDir dir;
  std::mt19937 rng(2);
  const int h = 8, w = 8, c = 4, co = 6;
  GraphWriter g;
  g.Input("img", {1, h, w, c});
  const auto f1 = Random(rng, size_t(3 * 3 * c * co)), b1 = Random(rng, co);
  const auto fd = Random(rng, size_t(3 * 3 * co * 1)), bd = Random(rng, co);
  const auto fd2 = Random(rng, size_t(3 * 3 * co * 2));
  const auto scale = Random(rng, co, 0.5f, 1.5f), offset = Random(rng, co), mean = Random(rng, co),
             var = Random(rng, co, 0.5f, 2.f);
  const auto f3 = Random(rng, size_t(1 * 1 * 2 * co * co));
  g.Const("f1", {3, 3, c, co}, f1);
  g.Const("b1", {co}, b1);
  g.Const("fd", {3, 3, co, 1}, fd);
  g.Const("bd", {co}, bd);
  g.Const("fd2", {3, 3, co, 2}, fd2);
  g.Const("f3", {1, 1, 2 * co, co}, f3);
  g.Const("scale", {co}, scale);
  g.Const("offset", {co}, offset);
  g.Const("mean", {co}, mean);
  g.Const("var", {co}, var);
  g.IntConst("axes", {2}, {1, 2});
  const json conv_attr = {{"padding", S("SAME")}, {"data_format", S("NHWC")},
                          {"strides", Ints({1, 2, 2, 1})}, {"dilations", Ints({1, 1, 1, 1})}};
  json a1 = conv_attr;
  a1["fused_ops"] = Strs({"BiasAdd", "Relu6"});
  a1["num_args"] = I(1);
  g.Node("c1", "_FusedConv2D", {"img", "f1", "b1"}, a1);  // 4x4x6
  json ad = conv_attr;
  ad["strides"] = Ints({1, 1, 1, 1});
  ad["fused_ops"] = Strs({"BiasAdd", "Relu"});
  ad["num_args"] = I(1);
  g.Node("dw", "FusedDepthwiseConv2dNative", {"c1", "fd", "bd"}, ad);
  json ad2 = conv_attr;
  ad2["strides"] = Ints({1, 1, 1, 1});
  ad2["padding"] = S("VALID");
  g.Node("dw2", "DepthwiseConv2dNative", {"dw", "fd2"}, ad2);  // 2x2x12
  json a3 = conv_attr;
  a3["strides"] = Ints({1, 1, 1, 1});
  a3["fused_ops"] = Strs({"FusedBatchNorm", "Relu"});
  a3["num_args"] = I(4);
  a3["epsilon"] = F(1e-3f);
  g.Node("c3", "_FusedConv2D", {"dw2", "f3", "scale", "offset", "mean", "var"}, a3);  // 2x2x6
  g.Node("se", "Mean", {"c3", "axes"}, {{"keep_dims", B(true)}});
  g.Node("gate", "Sigmoid", {"se"});
  g.Node("out", "Mul", {"c3", "gate"});
  const std::string model = g.Write(dir, {"out"});
  auto info = ImportTfjsGraphModel(model, dir / "m.onnx");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(CountOps(dir / "m.onnx", "Transpose"), 2);  // NHWC in, NHWC out

  const auto x = Random(rng, size_t(h * w * c));
  Img r = Conv(Img{h, w, c, x}, f1, 3, 3, co, 2, 0, 0, 4, 4);  // SAME 8->4: pads 0/1
  for (size_t i = 0; i < r.v.size(); ++i) r.v[i] = std::min(6.f, std::max(0.f, r.v[i] + b1[i % co]));
  r = Conv(r, fd, 3, 3, 0, 1, 1, 1, 4, 4, 1);
  for (size_t i = 0; i < r.v.size(); ++i) r.v[i] = std::max(0.f, r.v[i] + bd[i % co]);
  r = Conv(r, fd2, 3, 3, 0, 1, 0, 0, 2, 2, 2);
  r = Conv(r, f3, 1, 1, co, 1, 0, 0, 2, 2);
  for (size_t i = 0; i < r.v.size(); ++i) {
    const size_t o = i % co;
    const float s = scale[o] / std::sqrt(var[o] + 1e-3f);
    r.v[i] = std::max(0.f, (r.v[i] - mean[o]) * s + offset[o]);
  }
  std::vector<float> gate(co, 0.f);
  for (size_t i = 0; i < r.v.size(); ++i) gate[i % co] += r.v[i] / 4.f;
  for (size_t i = 0; i < r.v.size(); ++i) r.v[i] *= 1.f / (1.f + std::exp(-gate[i % co]));
  auto outs = RunModel(dir / "m.onnx", {1, h, w, c}, x);
  ExpectNear(outs["out"], {1, 2, 2, co}, r.v);
}

// Resize (half-pixel and align-corners), AvgPool SAME, PadV2 with a value, ConcatV2 on the
// channel axis (-1), SplitV with -1, Reshape and a trailing Transpose (NanoDet's head).
TEST(TfjsGraphImport, ResizeAvgPoolPadConcatSplitReshape) {
  ScratchDir dir;
  std::mt19937 rng(3);
  const int h = 4, w = 5, c = 3;
  GraphWriter g;
  g.Input("x", {1, h, w, c});
  g.IntConst("size", {2}, {8, 10});
  g.IntConst("size2", {2}, {3, 4});
  g.IntConst("pads", {4, 2}, {0, 0, 1, 0, 0, 2, 0, 0});
  g.Const("pad_value", {}, {0.5f});
  g.IntConst("axis", {}, {-1});
  g.IntConst("splits", {2}, {2, -1});
  g.IntConst("shape", {3}, {1, -1, 4});
  g.IntConst("perm", {3}, {0, 2, 1});
  g.Node("up", "ResizeBilinear", {"x", "size"}, {{"half_pixel_centers", B(true)}, {"align_corners", B(false)}});
  g.Node("down", "ResizeBilinear", {"x", "size2"}, {{"align_corners", B(true)}});
  g.Node("avg", "AvgPool", {"up"}, {{"ksize", Ints({1, 3, 3, 1})}, {"strides", Ints({1, 2, 2, 1})},
                                     {"padding", S("SAME")}, {"data_format", S("NHWC")}});  // 4x5x3
  g.Node("padded", "PadV2", {"x", "pads", "pad_value"});  // 5x7x3
  g.Node("cat", "ConcatV2", {"avg", "x", "axis"}, {{"N", I(2)}});  // 4x5x6
  g.Node("split", "SplitV", {"cat", "splits", "axis"}, {{"num_split", I(2)}});
  g.Node("rs", "Reshape", {"split:1", "shape"});  // [1, 20*4/4=20, 4]
  g.Node("head", "Transpose", {"rs", "perm"});    // [1, 4, 20]
  const std::string model = g.Write(dir, {"down", "padded", "split", "head"});
  auto info = ImportTfjsGraphModel(model, dir / "m.onnx");
  ASSERT_TRUE(info.ok()) << info.status().ToString();

  const auto x = Random(rng, size_t(h * w * c));
  const Img xi{h, w, c, x};
  const Img up = ResizeBilinear(xi, 8, 10, false, true);
  const Img down = ResizeBilinear(xi, 3, 4, true, false);
  const Img avg = Pool(up, 3, 2, 0, 0, 4, 5, false);  // SAME 8->4, 10->5: total pad 1 -> 0/1
  std::vector<float> padded(size_t(5 * 7 * c), 0.5f);
  for (int y = 0; y < h; ++y)
    for (int xx = 0; xx < w; ++xx)
      for (int ch = 0; ch < c; ++ch) padded[size_t(((y + 1) * 7 + xx) * c + ch)] = xi.at(y, xx, ch);
  std::vector<float> split0, split1;  // cat = [avg(3), x(3)] per pixel; split 2 | 4
  for (int p = 0; p < h * w; ++p) {
    std::vector<float> px;
    for (int ch = 0; ch < c; ++ch) px.push_back(avg.v[size_t(p * c + ch)]);
    for (int ch = 0; ch < c; ++ch) px.push_back(x[size_t(p * c + ch)]);
    split0.insert(split0.end(), px.begin(), px.begin() + 2);
    split1.insert(split1.end(), px.begin() + 2, px.end());
  }
  std::vector<float> head(split1.size());  // [20, 4] -> [4, 20]
  for (int r = 0; r < 20; ++r)
    for (int k = 0; k < 4; ++k) head[size_t(k * 20 + r)] = split1[size_t(r * 4 + k)];
  auto outs = RunModel(dir / "m.onnx", {1, h, w, c}, x);
  ExpectNear(outs["down"], {1, 3, 4, c}, down.v);
  ExpectNear(outs["padded"], {1, 5, 7, c}, padded);
  ExpectNear(outs["split"], {1, h, w, 2}, split0);
  ExpectNear(outs["head"], {1, 4, 20}, head);
  EXPECT_EQ(info->outputs[1].shape, (std::vector<int64_t>{1, 4, 20}));  // sorted: down, head, ...
}

// Values stored in different layouts meet: a conv output (stored NCHW) combined with the NHWC
// input by Sub / Maximum / ConcatV2, which must transpose one side; constants in RealDiv; Relu,
// Tanh; ResizeNearestNeighbor; Squeeze/ExpandDims.
TEST(TfjsGraphImport, MixedLayoutsElementwiseNearest) {
  ScratchDir dir;
  std::mt19937 rng(4);
  const int h = 3, w = 4, c = 2;
  GraphWriter g;
  g.Input("x", {1, h, w, c});
  const auto f = Random(rng, size_t(c * c));
  const auto divisor = Random(rng, c, 0.5f, 2.f);
  g.Const("f", {1, 1, c, c}, f);
  g.Const("div", {c}, divisor);
  g.IntConst("axis", {}, {3});
  g.IntConst("size", {2}, {6, 8});
  g.IntConst("zero", {}, {0});
  g.Node("conv", "Conv2D", {"x", "f"}, {{"padding", S("VALID")}, {"strides", Ints({1, 1, 1, 1})}});
  g.Node("sub", "Sub", {"x", "conv"});
  g.Node("max", "Maximum", {"conv", "x"});
  g.Node("cat", "ConcatV2", {"x", "max", "axis"}, {{"N", I(2)}});
  g.Node("q", "RealDiv", {"sub", "div"});
  g.Node("act", "Tanh", {"q"});
  g.Node("relu", "Relu", {"act"});
  g.Node("near", "ResizeNearestNeighbor", {"conv", "size"}, {{"align_corners", B(false)}});
  g.Node("sq", "Squeeze", {"relu"}, {{"squeeze_dims", Ints({0})}});
  g.Node("ex", "ExpandDims", {"sq", "zero"});
  const std::string model = g.Write(dir, {"cat", "ex", "near"});
  auto info = ImportTfjsGraphModel(model, dir / "m.onnx");
  ASSERT_TRUE(info.ok()) << info.status().ToString();

  const auto x = Random(rng, size_t(h * w * c));
  const Img conv = Conv(Img{h, w, c, x}, f, 1, 1, c, 1, 0, 0, h, w);
  std::vector<float> cat, ex;
  for (int p = 0; p < h * w; ++p) {
    for (int ch = 0; ch < c; ++ch) cat.push_back(x[size_t(p * c + ch)]);
    for (int ch = 0; ch < c; ++ch) cat.push_back(std::max(conv.v[size_t(p * c + ch)], x[size_t(p * c + ch)]));
    for (int ch = 0; ch < c; ++ch) {
      const float q = (x[size_t(p * c + ch)] - conv.v[size_t(p * c + ch)]) / divisor[size_t(ch)];
      ex.push_back(std::max(0.f, std::tanh(q)));
    }
  }
  std::vector<float> near;
  for (int y = 0; y < 2 * h; ++y)
    for (int xx = 0; xx < 2 * w; ++xx)
      for (int ch = 0; ch < c; ++ch) near.push_back(conv.at(y / 2, xx / 2, ch));
  auto outs = RunModel(dir / "m.onnx", {1, h, w, c}, x);
  ExpectNear(outs["cat"], {1, h, w, 2 * c}, cat);
  ExpectNear(outs["ex"], {1, h, w, c}, ex);
  ExpectNear(outs["near"], {1, 2 * h, 2 * w, c}, near);
}

// Shape arithmetic folds away: Shape -> StridedSlice -> Pack -> Reshape, and NanoDet's
// SparseToDense (no indices) + AddV2 on int64 constants.
TEST(TfjsGraphImport, FoldsShapeArithmetic) {
  ScratchDir dir;
  GraphWriter g;
  g.Input("x", {1, 2, 3, 4});
  g.IntConst("b", {1}, {1});
  g.IntConst("e", {1}, {2});
  g.IntConst("s", {1}, {1});
  g.IntConst("minus1", {}, {-1});
  g.IntConst("where", {0, 1}, {});
  g.IntConst("dense_shape", {1}, {2});
  g.IntConst("no_values", {0}, {});
  g.IntConst("zero", {}, {0});
  g.IntConst("base", {2}, {3, 8});
  g.Node("shape", "Shape", {"x"});
  g.Node("h", "StridedSlice", {"shape", "b", "e", "s"}, {{"shrink_axis_mask", I(1)}});
  g.Node("target", "Pack", {"h", "minus1"}, {{"N", I(2)}, {"axis", I(0)}});
  g.Node("r1", "Reshape", {"x", "target"});  // [2, 12]
  g.Node("std", "SparseToDense", {"where", "dense_shape", "no_values", "zero"});
  g.Node("shape2", "AddV2", {"base", "std"});
  g.Node("r2", "Reshape", {"x", "shape2"});  // [3, 8]
  const std::string model = g.Write(dir, {"r1", "r2"});
  auto info = ImportTfjsGraphModel(model, dir / "m.onnx");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->outputs[0].shape, (std::vector<int64_t>{2, 12}));
  EXPECT_EQ(info->outputs[1].shape, (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(CountOps(dir / "m.onnx", "Reshape"), 2);
  EXPECT_EQ(CountOps(dir / "m.onnx", "Shape"), 0);
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
  auto outs = RunModel(dir / "m.onnx", {1, 2, 3, 4}, x);
  ExpectNear(outs["r1"], {2, 12}, x);
  ExpectNear(outs["r2"], {3, 8}, x);
}

TEST(TfjsGraphImport, ListsEveryUnsupportedOp) {
  ScratchDir dir;
  GraphWriter g;
  g.Input("x", {1, 4});
  g.IntConst("k", {}, {2});
  g.Node("a", "Erf", {"x"});
  g.Node("b", "Erf", {"a"});
  g.Node("top", "TopKV2", {"b", "k"});
  g.Node("unused", "Softplus", {"x"});  // not an output dependency: not listed
  const std::string model = g.Write(dir, {"top"});
  auto info = ImportTfjsGraphModel(model, dir / "m.onnx");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(info.status().message(),
            "tfjs graph model \"" + model + "\": ops Erf (2 nodes), TopKV2 (1 node)");
  EXPECT_FALSE(std::filesystem::exists(dir / "m.onnx"));
}

TEST(TfjsGraphImport, TruncatedShardAndWrongFormat) {
  ScratchDir dir;
  GraphWriter g;
  g.Input("x", {1, 2, 2, 1});
  g.Const("w", {1, 1, 1, 2}, {1.f, 2.f});
  g.Node("conv", "Conv2D", {"x", "w"}, {{"padding", S("VALID")}, {"strides", Ints({1, 1, 1, 1})}});
  const std::string model = g.Write(dir, {"conv"}, 3);
  auto info = ImportTfjsGraphModel(model, dir / "m.onnx");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kDataLoss) << info.status().ToString();
  EXPECT_NE(info.status().message().find("truncated"), std::string::npos);

  tfjs_test::WriteFile(dir / "layers.json", R"({"format": "layers-model", "modelTopology": {}})");
  auto wrong = ImportTfjsGraphModel(dir / "layers.json", dir / "m.onnx");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);

  auto missing = ImportTfjsGraphModel(dir / "nope.json", dir / "m.onnx");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

// Malformed graphs give a Status, never a crash or a broken ONNX file.
TEST(TfjsGraphImport, MalformedGraphsFailCleanly) {
  ScratchDir dir;
  {
    GraphWriter g;  // input refers to a missing node
    g.Input("x", {1, 2});
    g.Node("y", "Relu", {"nowhere"});
    auto r = ImportTfjsGraphModel(g.Write(dir, {"y"}), dir / "m.onnx");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find("nowhere"), std::string::npos);
  }
  {
    GraphWriter g;  // a run-time op on constants only
    g.Input("x", {1, 2});
    g.Const("c", {2}, {1.f, -1.f});
    g.Node("r", "Relu", {"c"});
    g.Node("y", "Add", {"x", "r"});
    auto r = ImportTfjsGraphModel(g.Write(dir, {"y"}), dir / "m.onnx");
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().ToString();
    EXPECT_NE(r.status().message().find("ops Relu (1 node)"), std::string::npos);
  }
  {
    GraphWriter g;  // Transpose with a bad permutation; unknown output name
    g.Input("x", {1, 2});
    g.IntConst("perm", {2}, {0, 0});
    g.Node("y", "Transpose", {"x", "perm"});
    auto r = ImportTfjsGraphModel(g.Write(dir, {"y"}), dir / "m.onnx");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    TfjsGraphImportOptions options;
    options.outputs = {"missing"};
    auto missing = ImportTfjsGraphModel(dir / "model.json", dir / "m.onnx", options);
    EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  }
  tfjs_test::WriteFile(dir / "bad.json", R"({"format": "graph-model", "modelTopology": {"node": [
      {"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": [{"size": "1"}, {"size": "-1"}]}}}},
      {"name": "y", "op": "Sigmoid", "input": ["x"]}]}, "weightsManifest": []})");
  auto dynamic = ImportTfjsGraphModel(dir / "bad.json", dir / "m.onnx");
  EXPECT_EQ(dynamic.status().code(), StatusCode::kUnsupported) << dynamic.status().ToString();
  EXPECT_NE(dynamic.status().message().find("dynamic dimension 1"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.onnx"));
}

// The repository import refuses graph models (no detection task yet) and points at the converter.
TEST(TfjsGraphImport, RepositoryImportPointsAtConverter) {
  ScratchDir dir;
  GraphWriter g;
  g.Input("x", {1, 2});
  g.Node("y", "Sigmoid", {"x"});
  const std::string model = g.Write(dir, {"y"});
  TfjsImportRequest request;
  request.model_json = model;
  request.name = "det";
  auto entry = ImportTfjsModel(dir / "repo", request);
  ASSERT_FALSE(entry.ok());
  EXPECT_EQ(entry.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(entry.status().message().find("tfjs-graph"), std::string::npos);

  TfjsGraphConvertRequest convert{model, dir / "y.onnx", {}};
  auto result = ConvertTfjsGraphModel(convert);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->output_names, std::vector<std::string>{"y"});
  auto outs = RunModel(dir / "y.onnx", {1, 2}, {0.f, 2.f});
  ExpectNear(outs["y"], {1, 2}, {0.5f, 1.f / (1.f + std::exp(-2.f))});
}

std::vector<float> ReadF32(const std::string& path) {
  const std::string bytes = tfjs_test::ReadFile(path);
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

// Real model parity (run by tests/integration/detector_parity.sh): VIGIL_GRAPH_PARITY_DIR holds
// model.onnx, input.f32/input.json and the tfjs outputs (outputs.json + <k>.f32) that
// tfjs_graph_reference.js dumped. Every backend that can run the model must match within
// 1e-4 * max(1, max |tfjs|) (measured agreement 1.5e-5 NanoDet, 1.3e-5 CenterNet heads).
TEST(TfjsGraphParity, DumpedReference) {
  const char* dir_env = std::getenv("VIGIL_GRAPH_PARITY_DIR");
  // Intentional skip, CI included: this test is a step of tests/integration/detector_parity.sh,
  // which runs it with the directory it dumped.
  if (dir_env == nullptr) GTEST_SKIP() << "VIGIL_GRAPH_PARITY_DIR not set (run by detector_parity.sh)";
  const std::string dir = dir_env;
  const json input_info = json::parse(tfjs_test::ReadFile(dir + "/input.json"));
  const std::vector<int64_t> shape = input_info["shape"].get<std::vector<int64_t>>();
  const std::vector<float> input = ReadF32(dir + "/input.f32");
  const json outputs = json::parse(tfjs_test::ReadFile(dir + "/outputs.json"));
  // OpenCV must run it; the fast backends when they can express it; kAuto must pick one that can.
  for (BackendKind kind : {BackendKind::kOpenCv, BackendKind::kXnnpack, BackendKind::kOneDnn,
                           BackendKind::kAuto}) {
    auto backend = CreateBackend(kind, dir + "/model.onnx");
    if ((kind == BackendKind::kXnnpack || kind == BackendKind::kOneDnn) && !backend.ok()) {
      std::printf("[ info ] %s cannot run it: %s\n", BackendKindName(kind),
                  backend.status().ToString().c_str());
      continue;
    }
    auto outs = RunModel(dir + "/model.onnx", shape, input, kind);
    for (const json& o : outputs) {
      const std::vector<float> ref = ReadF32(dir + "/" + o["file"].get<std::string>());
      const Tensor& got = outs[o["name"].get<std::string>()];
      ASSERT_EQ(got.data.size(), ref.size()) << o["name"];
      float diff = 0, mag = 0;
      for (size_t i = 0; i < ref.size(); ++i) {
        diff = std::max(diff, std::abs(got.data[i] - ref[i]));
        mag = std::max(mag, std::abs(ref[i]));
      }
      std::printf("[ info ] %s %s max|vigil-tfjs| %.3g max|tfjs| %.3f\n", BackendKindName(kind),
                  o["name"].get<std::string>().c_str(), diff, mag);
      EXPECT_LE(diff, 1e-4f * std::max(1.f, mag)) << o["name"];
    }
  }
}

}  // namespace
}  // namespace vigil
