// tfjs layers importer: tiny generated tfjs models (float32 and quantized weights) are imported,
// run with OpenCV DNN (NHWC input) and compared with naive reference ops within 1e-4.
#include "models/tfjs_layers_import.h"

#include <gtest/gtest.h>

#include <set>

#include "models/tfjs_weights.h"
#include "tfjs_test_util.h"

namespace vigil {
namespace {

using namespace tfjs_test;  // NOLINT(build/namespaces)

constexpr float kTolerance = 1e-4f;

// Imports `model_json`, runs it with OpenCV on `input` and returns {probabilities[, embedding]}.
std::vector<std::vector<float>> ImportAndRun(const std::string& model_json, const std::string& onnx,
                                             const Nhwc& input, TfjsImportInfo* info_out = nullptr,
                                             const TfjsImportOptions& options = {}) {
  Result<TfjsImportInfo> info = ImportTfjsLayersModel(model_json, onnx, options);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  if (!info.ok()) return {};
  if (info_out) *info_out = *info;
  std::vector<std::string> outputs{info->probabilities_output};
  if (!info->embedding_output.empty()) outputs.push_back(info->embedding_output);
  return RunOpenCv(onnx, info->input_name, input, outputs);
}

std::set<std::string> OpTypes(const onnx::ModelProto& model) {
  std::set<std::string> ops;
  for (const auto& node : model.graph().node()) ops.insert(node.op_type());
  return ops;
}

TEST(TfjsLayersImport, ConvSameValidStridesDilationQuantized) {
  ScratchDir dir;
  TfjsModelWriter m(11);
  m.Input("image", 7, 8, 3);
  Nhwc x = RandomInput(m.rng(), 2, 7, 8, 3, -1, 1);
  m.Layer("Conv2D", "conv_a",
          {{"filters", 4},
           {"kernel_size", {3, 3}},
           {"strides", {1, 1}},
           {"padding", "same"},
           {"data_format", "channels_last"},
           {"dilation_rate", {1, 1}},
           {"activation", "relu"},
           {"use_bias", true}},
          {"image"});
  auto wa = m.Weight("conv_a/kernel", {3, 3, 3, 4}, -0.5f, 0.5f);
  auto ba = m.Weight("conv_a/bias", {4}, -0.2f, 0.2f);
  m.Layer("Conv2D", "conv_b",
          {{"filters", 5},
           {"kernel_size", 3},
           {"strides", 2},
           {"padding", "same"},
           {"activation", "linear"},
           {"use_bias", false}},
          {"conv_a"});
  auto wb = m.Weight("conv_b/kernel", {3, 3, 4, 5}, -0.6f, 0.4f, Storage::kUint8);
  m.Layer("Conv2D", "conv_c",
          {{"filters", 6},
           {"kernel_size", {2, 3}},
           {"strides", {1, 1}},
           {"padding", "valid"},
           {"activation", "sigmoid"},
           {"use_bias", true}},
          {"conv_b"});
  auto wc = m.Weight("conv_c/kernel", {2, 3, 5, 6}, -0.5f, 0.5f);
  auto bc = m.Weight("conv_c/bias", {6}, -0.3f, 0.3f, Storage::kUint16);
  m.Layer("Conv2D", "conv_d",
          {{"filters", 3},
           {"kernel_size", {3, 3}},
           {"strides", {1, 1}},
           {"padding", "same"},
           {"dilation_rate", {2, 2}},
           {"activation", "tanh"},
           {"use_bias", true}},
          {"conv_a"});
  auto wd = m.Weight("conv_d/kernel", {3, 3, 4, 3}, -0.5f, 0.5f);
  auto bd = m.Weight("conv_d/bias", {3}, -0.2f, 0.2f);
  m.Layer("Conv2D", "conv_e",
          {{"filters", 2},
           {"kernel_size", {3, 3}},
           {"strides", {2, 2}},
           {"padding", "valid"},
           {"activation", "linear"},
           {"use_bias", true}},
          {"image"});
  auto we = m.Weight("conv_e/kernel", {3, 3, 3, 2}, -0.5f, 0.5f, Storage::kUint8);
  auto be = m.Weight("conv_e/bias", {2}, -0.2f, 0.2f);
  for (const char* name : {"c", "d", "e"}) {
    m.Layer("Flatten", std::string("flatten_") + name, {{"data_format", "channels_last"}},
            {std::string("conv_") + name});
  }
  m.Layer("Concatenate", "features", {{"axis", -1}}, {"flatten_c", "flatten_d", "flatten_e"});
  const std::string model_json = m.Write(dir.path(), "features");

  const Nhwc a = RefClip(RefConv(x, wa, 3, 3, 4, &ba, 1, 1, true), 0, INFINITY);
  const Nhwc b = RefConv(a, wb, 3, 3, 5, nullptr, 2, 1, true);
  ASSERT_EQ(b.h, 4);
  ASSERT_EQ(b.w, 4);
  const Nhwc c = RefMap(RefConv(b, wc, 2, 3, 6, &bc, 1, 1, false), Sigmoid);
  const Nhwc d = RefMap(RefConv(a, wd, 3, 3, 3, &bd, 1, 2, true), Tanh);
  const Nhwc e = RefConv(x, we, 3, 3, 2, &be, 2, 1, false);
  ASSERT_EQ(e.h, 3);
  ASSERT_EQ(e.w, 3);
  const Nhwc want = RefConcat({RefFlatten(c), RefFlatten(d), RefFlatten(e)});

  TfjsImportInfo info;
  auto out = ImportAndRun(model_json, dir / "model.onnx", x, &info);
  ASSERT_EQ(out.size(), 1u);  // no Dense head: no embedding
  EXPECT_EQ(info.embedding_output, "");
  EXPECT_EQ(info.num_classes, want.c);
  EXPECT_FALSE(info.softmax_output);
  EXPECT_LT(MaxAbsDiff(out[0], want.v), kTolerance);
}

TEST(TfjsLayersImport, DepthwiseBatchNormRelu6ZeroPadding) {
  ScratchDir dir;
  TfjsModelWriter m(12);
  m.Input("input_1", 8, 8, 4);
  Nhwc x = RandomInput(m.rng(), 2, 8, 8, 4, 0, 2);
  m.Layer("ZeroPadding2D", "pad", {{"padding", {{0, 1}, {0, 1}}}, {"data_format", "channels_last"}},
          {"input_1"});
  m.Layer("DepthwiseConv2D", "dw1",
          {{"kernel_size", {3, 3}},
           {"strides", {2, 2}},
           {"padding", "valid"},
           {"depth_multiplier", 2},
           {"activation", "linear"},
           {"use_bias", false},
           {"dilation_rate", {1, 1}}},
          {"pad"});
  auto w1 = m.Weight("dw1/depthwise_kernel", {3, 3, 4, 2}, -1, 1);
  m.Layer("BatchNormalization", "bn1",
          {{"axis", -1}, {"epsilon", 0.001}, {"center", true}, {"scale", true}}, {"dw1"});
  auto gamma1 = m.Weight("bn1/gamma", {8}, 0.5f, 3.0f, Storage::kUint8);
  auto beta1 = m.Weight("bn1/beta", {8}, -1, 1, Storage::kUint8);
  auto mean1 = m.Weight("bn1/moving_mean", {8}, -0.5f, 0.5f, Storage::kUint8);
  auto var1 = m.Weight("bn1/moving_variance", {8}, 0.5f, 2.0f, Storage::kUint8);
  m.Layer("ReLU", "relu6", {{"max_value", 6.0}, {"negative_slope", 0.0}, {"threshold", 0.0}},
          {"bn1"});
  m.Layer("DepthwiseConv2D", "dw2",
          {{"kernel_size", 3},
           {"strides", 1},
           {"padding", "same"},
           {"depth_multiplier", 1},
           {"activation", "relu6"},
           {"use_bias", true}},
          {"relu6"});
  auto w2 = m.Weight("dw2/depthwise_kernel", {3, 3, 8, 1}, -1, 1);
  auto b2 = m.Weight("dw2/bias", {8}, -0.5f, 0.5f);
  m.Layer("ZeroPadding2D", "pad2", {{"padding", 1}}, {"dw2"});
  m.Layer("BatchNormalization", "bn2",
          {{"axis", 3}, {"epsilon", 0.01}, {"center", true}, {"scale", false}}, {"pad2"});
  auto beta2 = m.Weight("bn2/beta", {8}, -1, 1);
  auto mean2 = m.Weight("bn2/moving_mean", {8}, -0.5f, 0.5f);
  auto var2 = m.Weight("bn2/moving_variance", {8}, 0.5f, 2.0f);
  m.Layer("Activation", "act", {{"activation", "relu"}}, {"bn2"});
  m.Layer("Flatten", "flatten", json::object(), {"act"});
  const std::string model_json = m.Write(dir.path(), "flatten");

  Nhwc t = RefDepthwise(RefZeroPad(x, 0, 1, 0, 1), w1, 3, 3, 2, nullptr, 2, false);
  ASSERT_EQ(t.h, 4);
  t = RefClip(RefBatchNorm(t, gamma1, beta1, mean1, var1, 0.001f), 0, 6);
  t = RefClip(RefDepthwise(t, w2, 3, 3, 1, &b2, 1, true), 0, 6);
  t = RefZeroPad(t, 1, 1, 1, 1);
  t = RefClip(RefBatchNorm(t, std::vector<float>(8, 1.0f), beta2, mean2, var2, 0.01f), 0, INFINITY);
  const Nhwc want = RefFlatten(t);
  float max_value = 0;
  for (float v : want.v) max_value = std::max(max_value, v);

  auto out = ImportAndRun(model_json, dir / "model.onnx", x);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LT(MaxAbsDiff(out[0], want.v), kTolerance);
}

TEST(TfjsLayersImport, AddAndConcatenate) {
  ScratchDir dir;
  TfjsModelWriter m(13);
  m.Input("input_1", 6, 6, 3);
  Nhwc x = RandomInput(m.rng(), 2, 6, 6, 3, -1, 1);
  m.Layer("Conv2D", "c1", {{"filters", 4}, {"kernel_size", 1}, {"padding", "valid"}}, {"input_1"});
  auto w1 = m.Weight("c1/kernel", {1, 1, 3, 4}, -1, 1);
  auto b1 = m.Weight("c1/bias", {4}, -0.5f, 0.5f);
  m.Layer("Conv2D", "c2",
          {{"filters", 4}, {"kernel_size", 3}, {"padding", "same"}, {"use_bias", false}},
          {"input_1"});
  auto w2 = m.Weight("c2/kernel", {3, 3, 3, 4}, -0.5f, 0.5f);
  m.Layer("Conv2D", "c3",
          {{"filters", 4}, {"kernel_size", 3}, {"padding", "same"}, {"use_bias", false}}, {"c1"});
  auto w3 = m.Weight("c3/kernel", {3, 3, 4, 4}, -0.5f, 0.5f, Storage::kUint8);
  m.Layer("Add", "add", json::object(), {"c1", "c2", "c3"});
  m.Layer("Concatenate", "cat", {{"axis", -1}}, {"add", "input_1"});
  m.Layer("Concatenate", "cat2", {{"axis", 3}}, {"c2", "cat"});
  m.Layer("Flatten", "flatten", json::object(), {"cat2"});
  const std::string model_json = m.Write(dir.path(), "flatten");

  const Nhwc c1 = RefConv(x, w1, 1, 1, 4, &b1, 1, 1, false);
  const Nhwc c2 = RefConv(x, w2, 3, 3, 4, nullptr, 1, 1, true);
  const Nhwc c3 = RefConv(c1, w3, 3, 3, 4, nullptr, 1, 1, true);
  const Nhwc cat = RefConcat({RefAdd(RefAdd(c1, c2), c3), x});
  const Nhwc want = RefFlatten(RefConcat({c2, cat}));

  auto out = ImportAndRun(model_json, dir / "model.onnx", x);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LT(MaxAbsDiff(out[0], want.v), kTolerance);
}

// Pooling: max/avg, same (symmetric and asymmetric padding)/valid, default strides, GAP.
void WritePoolingModel(TfjsModelWriter* m) {
  m->Input("input_1", 7, 7, 3);
  m->Layer("MaxPooling2D", "mp_same",
           {{"pool_size", {2, 2}}, {"strides", {2, 2}}, {"padding", "same"}}, {"input_1"});
  m->Layer("MaxPooling2D", "mp_valid",
           {{"pool_size", {2, 2}}, {"strides", nullptr}, {"padding", "valid"}}, {"input_1"});
  m->Layer("MaxPooling2D", "mp_same3", {{"pool_size", 3}, {"strides", 1}, {"padding", "same"}},
           {"input_1"});
  m->Layer("AveragePooling2D", "ap_same",
           {{"pool_size", {3, 3}}, {"strides", {1, 1}}, {"padding", "same"}}, {"input_1"});
  m->Layer("AveragePooling2D", "ap_same2", {{"pool_size", 2}, {"strides", 2}, {"padding", "same"}},
           {"input_1"});
  m->Layer("AveragePooling2D", "ap_valid", {{"pool_size", 3}, {"strides", 2}, {"padding", "valid"}},
           {"input_1"});
  m->Layer("GlobalAveragePooling2D", "gap", {{"data_format", "channels_last"}}, {"input_1"});
  std::vector<std::string> parts;
  for (const char* name : {"mp_same", "mp_valid", "mp_same3", "ap_same", "ap_same2", "ap_valid"}) {
    m->Layer("Flatten", std::string("flat_") + name, json::object(), {name});
    parts.push_back(std::string("flat_") + name);
  }
  parts.push_back("gap");
  m->Layer("Concatenate", "pooled", {{"axis", -1}}, parts);
}

Nhwc PoolingReference(const Nhwc& x) {
  return RefConcat(
      {RefFlatten(RefPool(x, 2, 2, true, true)), RefFlatten(RefPool(x, 2, 2, false, true)),
       RefFlatten(RefPool(x, 3, 1, true, true)), RefFlatten(RefPool(x, 3, 1, true, false)),
       RefFlatten(RefPool(x, 2, 2, true, false)), RefFlatten(RefPool(x, 3, 2, false, false)),
       RefGlobalAverage(x)});
}

TEST(TfjsLayersImport, MaxAndAveragePoolingSameValidAndGlobalAverage) {
  ScratchDir dir;
  TfjsModelWriter m(14);
  WritePoolingModel(&m);
  Nhwc x = RandomInput(m.rng(), 2, 7, 7, 3, -2, -1);  // all negative: max-pool padding must be -inf
  for (size_t i = 0; i < x.v.size(); i += 3) x.v[i] = -x.v[i];
  const std::string model_json = m.Write(dir.path(), "pooled");
  const Nhwc want = PoolingReference(x);
  auto out = ImportAndRun(model_json, dir / "model.onnx", x);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LT(MaxAbsDiff(out[0], want.v), kTolerance);

  // The same graph at opset 13 (no Clip or Pad in it) gives the same numbers in OpenCV.
  TfjsImportOptions options;
  options.opset = 13;
  auto out13 = ImportAndRun(model_json, dir / "model13.onnx", x, nullptr, options);
  ASSERT_EQ(out13.size(), 1u);
  EXPECT_LT(MaxAbsDiff(out13[0], want.v), kTolerance);
  EXPECT_EQ(LoadOnnx(dir / "model13.onnx").opset_import(0).version(), 13);
}

// Opset 13's Pad (pads as an int64 initializer input) also loads and runs in OpenCV DNN.
TEST(TfjsLayersImport, Opset13PadRunsInOpenCv) {
  ScratchDir dir;
  TfjsModelWriter m(21);
  m.Input("input_1", 5, 6, 2);
  Nhwc x = RandomInput(m.rng(), 2, 5, 6, 2, -1, 1);
  m.Layer("ZeroPadding2D", "pad", {{"padding", {{1, 2}, {0, 1}}}}, {"input_1"});
  m.Layer("Conv2D", "conv",
          {{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "valid"}}, {"pad"});
  auto w = m.Weight("conv/kernel", {3, 3, 2, 3}, -1, 1);
  auto b = m.Weight("conv/bias", {3}, -1, 1);
  m.Layer("Flatten", "flatten", json::object(), {"conv"});
  const std::string model_json = m.Write(dir.path(), "flatten");
  const Nhwc want = RefFlatten(RefConv(RefZeroPad(x, 1, 2, 0, 1), w, 3, 3, 3, &b, 2, 1, false));
  for (int opset : {10, 13}) {
    TfjsImportOptions options;
    options.opset = opset;
    auto out = ImportAndRun(model_json, dir / "model.onnx", x, nullptr, options);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_LT(MaxAbsDiff(out[0], want.v), kTolerance) << "opset " << opset;
  }
}

// Like nsfwjs: conv -> AveragePooling2D -> Flatten -> Dense(relu) -> Dropout -> Dense(softmax).
TEST(TfjsLayersImport, ClassifierHeadWithAutoEmbedding) {
  ScratchDir dir;
  TfjsModelWriter m(15);
  m.Input("input_1", 8, 8, 3);
  Nhwc x = RandomInput(m.rng(), 3, 8, 8, 3, 0, 1);
  m.Layer("Conv2D", "conv",
          {{"filters", 6}, {"kernel_size", 3}, {"padding", "same"}, {"activation", "relu"}},
          {"input_1"});
  auto wc = m.Weight("conv/kernel", {3, 3, 3, 6}, -0.5f, 0.5f, Storage::kUint8);
  auto bc = m.Weight("conv/bias", {6}, -0.1f, 0.1f, Storage::kUint8);
  m.Layer("AveragePooling2D", "pool",
          {{"pool_size", {4, 4}}, {"strides", {4, 4}}, {"padding", "valid"}}, {"conv"});
  m.Layer("Flatten", "flatten_1", {{"data_format", "channels_last"}}, {"pool"});
  m.Layer("Dense", "dense_1", {{"units", 10}, {"activation", "relu"}, {"use_bias", true}},
          {"flatten_1"});
  auto w1 = m.Weight("dense_1/kernel", {24, 10}, -0.5f, 0.5f, Storage::kUint8);
  auto b1 = m.Weight("dense_1/bias", {10}, -0.1f, 0.1f, Storage::kUint8);
  m.Layer("Dropout", "dropout_1", {{"rate", 0.5}}, {"dense_1"});
  m.Layer("Dense", "dense_2", {{"units", 5}, {"activation", "softmax"}, {"use_bias", true}},
          {"dropout_1"});
  auto w2 = m.Weight("dense_2/kernel", {10, 5}, -1, 1, Storage::kUint8);
  auto b2 = m.Weight("dense_2/bias", {5}, -0.1f, 0.1f, Storage::kUint8);
  const std::string model_json = m.Write(dir.path(), "dense_2");

  const Nhwc embedding = RefFlatten(
      RefPool(RefClip(RefConv(x, wc, 3, 3, 6, &bc, 1, 1, true), 0, INFINITY), 4, 4, false, false));
  const Nhwc hidden = RefClip(RefDense(embedding, w1, b1, 10), 0, INFINITY);
  const Nhwc probabilities = RefSoftmax(RefDense(hidden, w2, b2, 5));

  TfjsImportInfo info;
  auto out = ImportAndRun(model_json, dir / "model.onnx", x, &info);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_LT(MaxAbsDiff(out[0], probabilities.v), kTolerance);
  EXPECT_LT(MaxAbsDiff(out[1], embedding.v), kTolerance);
  EXPECT_EQ(info.input_name, "input_1");
  EXPECT_EQ(info.height, 8);
  EXPECT_EQ(info.width, 8);
  EXPECT_EQ(info.channels, 3);
  EXPECT_EQ(info.probabilities_output, "probabilities");
  EXPECT_EQ(info.embedding_output, "embedding");
  EXPECT_EQ(info.embedding_layer, "flatten_1");
  EXPECT_EQ(info.embedding_size, 24);
  EXPECT_EQ(info.num_classes, 5);
  EXPECT_TRUE(info.softmax_output);
  EXPECT_EQ(info.weight_count, 6);
  EXPECT_EQ(info.layer_types, (std::vector<std::string>{"InputLayer", "Conv2D", "AveragePooling2D",
                                                        "Flatten", "Dense", "Dropout"}));

  // An explicit embedding layer.
  TfjsImportOptions options;
  options.embedding_layer = "dense_1";
  auto named = ImportAndRun(model_json, dir / "named.onnx", x, &info, options);
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(info.embedding_size, 10);
  EXPECT_LT(MaxAbsDiff(named[1], hidden.v), kTolerance);
  EXPECT_LT(MaxAbsDiff(named[0], probabilities.v), kTolerance);
}

// Sequential config (Keras 2 style, implicit input), BN + ReLU + GAP + Dense + Softmax layer.
TEST(TfjsLayersImport, SequentialModelWithGlobalAveragePoolingHead) {
  ScratchDir dir;
  TfjsModelWriter m(16);
  Nhwc x = RandomInput(m.rng(), 2, 6, 5, 2, -1, 1);
  auto wc = m.Weight("conv/kernel", {3, 3, 2, 3}, -0.5f, 0.5f);
  auto bc = m.Weight("conv/bias", {3}, -0.1f, 0.1f);
  auto gamma = m.Weight("bn/gamma", {3}, 0.5f, 1.5f);
  auto beta = m.Weight("bn/beta", {3}, -0.5f, 0.5f);
  auto mean = m.Weight("bn/moving_mean", {3}, -0.2f, 0.2f);
  auto var = m.Weight("bn/moving_variance", {3}, 0.5f, 1.5f);
  auto wd = m.Weight("dense/kernel", {3, 4}, -1, 1, Storage::kFloat16);
  auto bd = m.Weight("dense/bias", {4}, -0.5f, 0.5f, Storage::kFloat16);
  json model = m.ModelJson("unused");
  json layers = {{{"class_name", "Conv2D"},
                  {"config",
                   {{"name", "conv"},
                    {"batch_input_shape", {nullptr, 6, 5, 2}},
                    {"dtype", "float32"},
                    {"filters", 3},
                    {"kernel_size", {3, 3}},
                    {"padding", "same"},
                    {"activation", "linear"}}}},
                 {{"class_name", "BatchNormalization"},
                  {"config", {{"name", "bn"}, {"axis", {3}}, {"epsilon", 0.001}}}},
                 {{"class_name", "ReLU"}, {"config", {{"name", "relu"}, {"max_value", nullptr}}}},
                 {{"class_name", "GlobalAveragePooling2D"}, {"config", {{"name", "gap"}}}},
                 {{"class_name", "Dense"},
                  {"config", {{"name", "dense"}, {"units", 4}, {"activation", "linear"}}}},
                 {{"class_name", "Softmax"}, {"config", {{"name", "softmax"}, {"axis", -1}}}}};
  model["modelTopology"]["model_config"] = {{"class_name", "Sequential"},
                                            {"config", {{"name", "seq"}, {"layers", layers}}}};
  m.Write(dir.path(), "unused");
  WriteFile(dir / "model.json", model.dump(2));

  const Nhwc pooled = RefGlobalAverage(RefClip(
      RefBatchNorm(RefConv(x, wc, 3, 3, 3, &bc, 1, 1, true), gamma, beta, mean, var, 0.001f), 0,
      INFINITY));
  const Nhwc probabilities = RefSoftmax(RefDense(pooled, wd, bd, 4));

  TfjsImportInfo info;
  auto out = ImportAndRun(dir / "model.json", dir / "model.onnx", x, &info);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(info.input_name, "conv_input");
  EXPECT_EQ(info.embedding_layer, "gap");
  EXPECT_TRUE(info.softmax_output);
  EXPECT_LT(MaxAbsDiff(out[0], probabilities.v), kTolerance);
  EXPECT_LT(MaxAbsDiff(out[1], pooled.v), kTolerance);
}

// SeparableConv2D, LeakyReLU, ReLU with slope and cap, channel softmax on an image, float16 Dense.
TEST(TfjsLayersImport, SeparableConvLeakyReluAndChannelSoftmax) {
  ScratchDir dir;
  TfjsModelWriter m(17);
  m.Input("input_1", 5, 5, 3);
  Nhwc x = RandomInput(m.rng(), 2, 5, 5, 3, -1, 1);
  m.Layer("SeparableConv2D", "sep",
          {{"filters", 4},
           {"kernel_size", 3},
           {"padding", "same"},
           {"depth_multiplier", 2},
           {"activation", "linear"},
           {"use_bias", true}},
          {"input_1"});
  auto wdw = m.Weight("sep/depthwise_kernel", {3, 3, 3, 2}, -1, 1);
  auto wpw = m.Weight("sep/pointwise_kernel", {1, 1, 6, 4}, -1, 1);
  auto bsep = m.Weight("sep/bias", {4}, -0.5f, 0.5f);
  m.Layer("LeakyReLU", "leaky", {{"alpha", 0.2}}, {"sep"});
  m.Layer("ReLU", "capped", {{"max_value", 1.5}, {"negative_slope", 0.1}, {"threshold", 0.0}},
          {"leaky"});
  m.Layer("Conv2D", "conv_sm", {{"filters", 3}, {"kernel_size", 1}, {"activation", "softmax"}},
          {"capped"});
  auto wsm = m.Weight("conv_sm/kernel", {1, 1, 4, 3}, -2, 2);
  auto bsm = m.Weight("conv_sm/bias", {3}, -0.5f, 0.5f);
  m.Layer("Flatten", "flatten", json::object(), {"conv_sm"});
  const std::string model_json = m.Write(dir.path(), "flatten");

  Nhwc t =
      RefConv(RefDepthwise(x, wdw, 3, 3, 2, nullptr, 1, true), wpw, 1, 1, 4, &bsep, 1, 1, false);
  for (float& v : t.v) v = v < 0 ? 0.2f * v : v;
  for (float& v : t.v) v = v < 0 ? 0.1f * v : std::min(v, 1.5f);
  t = RefConv(t, wsm, 1, 1, 3, &bsm, 1, 1, false);
  const Nhwc want = RefFlatten(RefSoftmax(t));  // softmax over each pixel's channels

  auto out = ImportAndRun(model_json, dir / "model.onnx", x);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LT(MaxAbsDiff(out[0], want.v), kTolerance);
}

TEST(TfjsLayersImport, EmittedGraphIsNhwcInputThenStandardNchwOps) {
  ScratchDir dir;
  TfjsModelWriter m(18);
  m.Input("input_1", 8, 8, 4);
  m.Layer("ZeroPadding2D", "pad", {{"padding", {{0, 1}, {0, 1}}}}, {"input_1"});
  m.Layer("DepthwiseConv2D", "dw", {{"kernel_size", 3}, {"strides", 2}, {"use_bias", false}},
          {"pad"});
  m.Weight("dw/depthwise_kernel", {3, 3, 4, 1}, -1, 1);
  m.Layer("BatchNormalization", "bn", json::object(), {"dw"});
  for (const char* p : {"gamma", "beta", "moving_mean", "moving_variance"}) {
    m.Weight(std::string("bn/") + p, {4}, 0.5f, 1.0f);
  }
  m.Layer("ReLU", "relu", {{"max_value", 6}}, {"bn"});
  m.Layer("GlobalAveragePooling2D", "gap", json::object(), {"relu"});
  m.Layer("Dense", "logits", {{"units", 3}, {"activation", "softmax"}}, {"gap"});
  m.Weight("logits/kernel", {4, 3}, -1, 1);
  m.Weight("logits/bias", {3}, -1, 1);
  const std::string model_json = m.Write(dir.path(), "logits");

  for (int opset : {10, 13}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    TfjsImportOptions options;
    options.opset = opset;
    const std::string onnx_path = dir / ("model" + std::to_string(opset) + ".onnx");
    Result<TfjsImportInfo> info = ImportTfjsLayersModel(model_json, onnx_path, options);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    const onnx::ModelProto model = LoadOnnx(onnx_path);
    EXPECT_EQ(model.ir_version(), 7);
    ASSERT_EQ(model.opset_import_size(), 1);
    EXPECT_EQ(model.opset_import(0).version(), opset);
    const onnx::GraphProto& g = model.graph();

    ASSERT_EQ(g.input_size(), 1);
    EXPECT_EQ(g.input(0).name(), "input_1");
    const auto& dims = g.input(0).type().tensor_type().shape().dim();
    ASSERT_EQ(dims.size(), 4);
    EXPECT_EQ(dims[0].dim_param(), "N");
    EXPECT_EQ(dims[1].dim_value(), 8);
    EXPECT_EQ(dims[2].dim_value(), 8);
    EXPECT_EQ(dims[3].dim_value(), 4);
    ASSERT_GE(g.node_size(), 1);
    EXPECT_EQ(g.node(0).op_type(), "Transpose");
    EXPECT_EQ(g.node(0).input(0), "input_1");
    ASSERT_EQ(g.node(0).attribute_size(), 1);
    EXPECT_EQ(std::vector<int64_t>(g.node(0).attribute(0).ints().begin(),
                                   g.node(0).attribute(0).ints().end()),
              (std::vector<int64_t>{0, 3, 1, 2}));

    ASSERT_EQ(g.output_size(), 2);
    EXPECT_EQ(g.output(0).name(), "probabilities");
    EXPECT_EQ(g.output(1).name(), "embedding");
    EXPECT_EQ(g.output(1).type().tensor_type().shape().dim(1).dim_value(), 4);

    const std::set<std::string> allowed = {"Transpose",
                                           "Conv",
                                           "BatchNormalization",
                                           "Relu",
                                           "Clip",
                                           "LeakyRelu",
                                           "Sigmoid",
                                           "Tanh",
                                           "Pad",
                                           "Add",
                                           "Concat",
                                           "MaxPool",
                                           "AveragePool",
                                           "GlobalAveragePool",
                                           "Flatten",
                                           "Gemm",
                                           "Softmax",
                                           "Identity"};
    for (const std::string& op : OpTypes(model)) EXPECT_TRUE(allowed.count(op)) << op;
    for (const auto& node : g.node()) {
      if (node.op_type() == "Clip") EXPECT_EQ(node.input_size(), opset >= 11 ? 3 : 1);
      if (node.op_type() == "Pad") EXPECT_EQ(node.input_size(), opset >= 11 ? 2 : 1);
      if (node.op_type() == "Softmax") EXPECT_EQ(node.output(0), "probabilities");
    }
    for (const auto& vi : g.value_info()) {
      EXPECT_NE(vi.name(), "probabilities");
      EXPECT_NE(vi.name(), "embedding");
    }
  }
}

// A model whose output is also its embedding gets an Identity; Dropout output aliases its input.
TEST(TfjsLayersImport, OutputThatIsAlsoTheEmbeddingGetsAnIdentity) {
  ScratchDir dir;
  TfjsModelWriter m(19);
  m.Input("input_1", 3, 3, 2);
  Nhwc x = RandomInput(m.rng(), 1, 3, 3, 2, -1, 1);
  m.Layer("Flatten", "flatten", json::object(), {"input_1"});
  m.Layer("Dropout", "dropout", {{"rate", 0.1}}, {"flatten"});
  const std::string model_json = m.Write(dir.path(), "dropout");
  TfjsImportOptions options;
  options.embedding_layer = "flatten";
  TfjsImportInfo info;
  auto out = ImportAndRun(model_json, dir / "model.onnx", x, &info, options);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_LT(MaxAbsDiff(out[0], x.v), kTolerance);
  EXPECT_LT(MaxAbsDiff(out[1], x.v), kTolerance);
  EXPECT_EQ(info.num_classes, 18);
  EXPECT_EQ(info.embedding_size, 18);
}

// Keras 3 "Functional" config: dict-style inbound_nodes, "batch_shape"; scoped weight names.
TEST(TfjsLayersImport, Keras3FunctionalConfigAndScopedWeightNames) {
  ScratchDir dir;
  TfjsModelWriter m(20);
  Nhwc x = RandomInput(m.rng(), 2, 4, 4, 2, -1, 1);
  auto wc = m.Weight("functional/conv/kernel", {1, 1, 2, 2}, -1, 1);
  auto bc = m.Weight("functional/conv/bias", {2}, -1, 1);
  auto tensor = [](const std::string& layer) {
    return json{
        {"class_name", "__keras_tensor__"},
        {"config",
         {{"shape", {nullptr, 4, 4, 2}}, {"dtype", "float32"}, {"keras_history", {layer, 0, 0}}}}};
  };
  json layers = {
      {{"module", "keras.layers"},
       {"class_name", "InputLayer"},
       {"name", "input_layer"},
       {"config",
        {{"batch_shape", {nullptr, 4, 4, 2}}, {"dtype", "float32"}, {"name", "input_layer"}}},
       {"inbound_nodes", json::array()}},
      {{"class_name", "Conv2D"},
       {"name", "conv"},
       {"config",
        {{"name", "conv"},
         {"filters", 2},
         {"kernel_size", {1, 1}},
         {"padding", "valid"},
         {"data_format", "channels_last"},
         {"activation", "linear"},
         {"use_bias", true}}},
       {"inbound_nodes", {{{"args", {tensor("input_layer")}}, {"kwargs", json::object()}}}}},
      {{"class_name", "Add"},
       {"name", "add"},
       {"config", {{"name", "add"}}},
       {"inbound_nodes",
        {{{"args", {{tensor("conv"), tensor("input_layer")}}}, {"kwargs", json::object()}}}}},
      {{"class_name", "Flatten"},
       {"name", "flatten"},
       {"config", {{"name", "flatten"}}},
       {"inbound_nodes", {{{"args", {tensor("add")}}, {"kwargs", json::object()}}}}}};
  json model = m.ModelJson("unused");
  model["modelTopology"] = {{"class_name", "Functional"},
                            {"config",
                             {{"name", "functional"},
                              {"layers", layers},
                              {"input_layers", {"input_layer", 0, 0}},
                              {"output_layers", {"flatten", 0, 0}}}}};
  m.Write(dir.path(), "unused");
  WriteFile(dir / "model.json", model.dump());

  const Nhwc want = RefFlatten(RefAdd(RefConv(x, wc, 1, 1, 2, &bc, 1, 1, false), x));
  TfjsImportInfo info;
  auto out = ImportAndRun(dir / "model.json", dir / "model.onnx", x, &info);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(info.input_name, "input_layer");
  EXPECT_LT(MaxAbsDiff(out[0], want.v), kTolerance);
}

TEST(TfjsWeights, HalfToFloat) {
  EXPECT_EQ(HalfToFloat(0x0000), 0.0f);
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
}

}  // namespace
}  // namespace vigil
