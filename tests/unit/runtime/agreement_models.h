// The small generated ONNX models of the backend agreement tests, one builder per model (covering
// every op the nsfwjs importer emits), shared by backend_agreement_test (XNNPACK, OpenCV DNN) and
// onednn_backend_test (oneDNN).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "unit/runtime/onnx_test_util.h"

namespace vigil::testing {

struct AgreementModel {
  ModelBuilder mb;
  std::string name;                  // file name stem
  std::vector<int64_t> input_shape;  // at batch 1
  std::vector<int> batches = {1, 3};

  void Set(std::string n, std::vector<int64_t> shape, std::vector<int> b = {1, 3}) {
    name = std::move(n);
    input_shape = std::move(shape);
    batches = std::move(b);
  }
};

inline AgreementModel ConvSameValidStrideAsymmetricDilatedModel() {
  AgreementModel m{ModelBuilder()};
  ModelBuilder& mb = m.mb;
  mb.Input("input_1", {-1, 11, 9, 4});
  std::string x = mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  x = mb.Conv(x, "same", 4, 6, 3, {1, 1}, {1, 1, 1, 1});
  x = mb.Conv(x, "valid_s2", 6, 8, 3, {2, 2}, {0, 0, 0, 0});
  x = mb.Conv(x, "asym", 8, 5, 3, {1, 2}, {0, 1, 2, 0}, 1, {1, 1}, false);
  x = mb.Conv(x, "dilated", 5, 3, 3, {1, 1}, {2, 2, 2, 2}, 1, {2, 2});
  mb.Output(mb.Transpose(x, "out_nhwc", {0, 2, 3, 1}), 4);
  mb.Output(x, 4);  // an NCHW 4-D graph output too
  m.Set("conv_basic", {1, 11, 9, 4});
  return m;
}

inline AgreementModel PadFusedIntoStridedConvModel() {
  AgreementModel m{ModelBuilder()};
  ModelBuilder& mb = m.mb;
  mb.Input("input_1", {-1, 10, 10, 3});
  std::string x = mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  mb.Node("Pad", {x, mb.InitInt64("pads", {8}, {0, 0, 0, 0, 0, 0, 1, 1})}, {"padded"});  // tfjs ZeroPadding
  x = mb.Conv("padded", "conv", 3, 4, 3, {2, 2}, {0, 0, 0, 0});
  mb.Node("Pad", {x, mb.InitInt64("pads2", {8}, {0, 0, 1, 2, 0, 0, 0, 1})}, {"padded2"});
  x = mb.Conv("padded2", "dw", 4, 4, 3, {1, 1}, {1, 0, 0, 1}, 4);
  mb.Node("Relu", {x}, {"relu"});
  mb.Node("GlobalAveragePool", {"relu"}, {"gap"});
  mb.Node("Flatten", {"gap"}, {"embedding"});
  mb.Output("embedding", 2);
  m.Set("pad_conv", {1, 10, 10, 3});
  return m;
}

// MobileNetV2-style block: expand 1x1 + BN + Relu6, depthwise 3x3 + BN + Relu6, project + BN,
// residual Add with fused Relu, classifier.
inline AgreementModel DepthwiseBatchNormRelu6ResidualModel() {
  AgreementModel m{ModelBuilder()};
  ModelBuilder& mb = m.mb;
  mb.Input("input_1", {-1, 8, 8, 6});
  std::string x = mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  std::string e = mb.Clip(mb.BatchNorm(mb.Conv(x, "expand", 6, 12, 1, {1, 1}, {0, 0, 0, 0}, 1, {1, 1}, false),
                                       "expand_bn", 12), "expand_relu6", 0.0f, 6.0f);
  std::string d = mb.Clip(mb.BatchNorm(mb.Conv(e, "dw", 12, 12, 3, {1, 1}, {1, 1, 1, 1}, 12, {1, 1}, false),
                                       "dw_bn", 12), "dw_relu6", 0.0f, 6.0f);
  std::string p = mb.BatchNorm(mb.Conv(d, "project", 12, 6, 1, {1, 1}, {0, 0, 0, 0}, 1, {1, 1}, false), "project_bn", 6);
  mb.Node("Add", {x, p}, {"add"});
  mb.Node("Relu", {"add"}, {"add_relu"});
  std::string s2 = mb.Conv("add_relu", "dw_s2", 6, 6, 3, {2, 2}, {0, 0, 1, 1}, 6);
  mb.Node("GlobalAveragePool", {s2}, {"gap"});
  mb.Transpose("gap", "gap_nhwc", {0, 2, 3, 1});
  mb.Node("Flatten", {"gap_nhwc"}, {"embedding"});
  auto* fc = mb.Node("Gemm", {"embedding", mb.Random("fc_W", {5, 6}), mb.Random("fc_B", {5})}, {"logits"});
  ModelBuilder::Int(fc, "transB", 1);
  mb.Node("Softmax", {"logits"}, {"probabilities"});
  mb.Output("probabilities", 2);
  mb.Output("embedding", 2);
  m.Set("mobilenet_block", {1, 8, 8, 6}, {1, 3, 7});  // 7 = micro-batches 4 + 3
  return m;
}

// InceptionV3-style block: 1x1, 3x3 and pooled branches concatenated (with a nested concat and a
// branch that also feeds a second consumer), average pooling with count_include_pad=0 and padding.
inline AgreementModel InceptionConcatBranchesAndPoolsModel() {
  AgreementModel m{ModelBuilder()};
  ModelBuilder& mb = m.mb;
  mb.Input("input_1", {-1, 9, 9, 5});
  std::string x = mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  x = mb.Conv(x, "stem", 5, 8, 3, {1, 1}, {0, 0, 0, 0});  // 7x7
  mb.Node("Relu", {x}, {"stem_relu"});
  x = "stem_relu";
  std::string b1 = mb.Conv(x, "b1x1", 8, 4, 1, {1, 1}, {0, 0, 0, 0});
  mb.Node("Relu", {b1}, {"b1_relu"});
  std::string b3 = mb.Conv(x, "b3x3", 8, 6, 3, {1, 1}, {1, 1, 1, 1});
  std::string b3a = mb.Conv(b3, "b3a", 6, 3, 1, {1, 1}, {0, 0, 0, 0});
  std::string b3b = mb.Conv(b3, "b3b", 6, 2, 3, {1, 1}, {1, 1, 1, 1});
  auto* inner = mb.Node("Concat", {b3a, b3b}, {"b3_cat"});  // nested concat (Keras mixed9/10)
  ModelBuilder::Int(inner, "axis", 1);
  auto* mp = mb.Node("MaxPool", {x}, {"bpool"});
  ModelBuilder::Ints(mp, "kernel_shape", {3, 3});
  ModelBuilder::Ints(mp, "strides", {1, 1});
  ModelBuilder::Ints(mp, "pads", {1, 1, 1, 1});
  auto* ap = mb.Node("AveragePool", {x}, {"bavg"});
  ModelBuilder::Ints(ap, "kernel_shape", {3, 3});
  ModelBuilder::Ints(ap, "strides", {1, 1});
  ModelBuilder::Ints(ap, "pads", {1, 1, 1, 1});
  ModelBuilder::Int(ap, "count_include_pad", 0);
  std::string bavg = mb.Conv("bavg", "bavg_conv", 8, 3, 1, {1, 1}, {0, 0, 0, 0});
  auto* cat = mb.Node("Concat", {"b1_relu", "b3_cat", "bpool", bavg, b3}, {"mixed"});
  ModelBuilder::Int(cat, "axis", 1);
  // Reduction: stride-2 max pool and valid average pool.
  auto* mp2 = mb.Node("MaxPool", {"mixed"}, {"reduce"});
  ModelBuilder::Ints(mp2, "kernel_shape", {3, 3});
  ModelBuilder::Ints(mp2, "strides", {2, 2});
  auto* ap2 = mb.Node("AveragePool", {"reduce"}, {"reduce_avg"});
  ModelBuilder::Ints(ap2, "kernel_shape", {2, 2});
  ModelBuilder::Ints(ap2, "strides", {1, 1});
  mb.Node("GlobalAveragePool", {"reduce_avg"}, {"gap"});
  mb.Transpose("gap", "gap_nhwc", {0, 2, 3, 1});
  mb.Node("Flatten", {"gap_nhwc"}, {"embedding"});
  auto* fc = mb.Node("Gemm", {"embedding", mb.Random("fc_W", {26, 5}), mb.Random("fc_B", {5})}, {"logits"});
  ModelBuilder::Int(fc, "transB", 0);
  mb.Node("Softmax", {"logits"}, {"probabilities"});
  mb.Output("probabilities", 2);
  mb.Output("embedding", 2);
  m.Set("inception_block", {1, 9, 9, 5}, {1, 3, 9});
  return m;
}

// LeakyRelu, Sigmoid, Tanh, standalone BatchNormalization, Clip after a pool, 2-D Concat,
// NCHW flatten of a spatial tensor and a Gemm with transB=0.
inline AgreementModel ActivationsAndFlattenModel() {
  AgreementModel m{ModelBuilder()};
  ModelBuilder& mb = m.mb;
  mb.Input("input_1", {-1, 6, 6, 3});
  std::string x = mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  x = mb.Conv(x, "conv", 3, 4, 3, {1, 1}, {1, 1, 1, 1});
  auto* lr = mb.Node("LeakyRelu", {x}, {"leaky"});
  ModelBuilder::Float(lr, "alpha", 0.2f);
  auto* mp = mb.Node("MaxPool", {"leaky"}, {"pool"});
  ModelBuilder::Ints(mp, "kernel_shape", {2, 2});
  ModelBuilder::Ints(mp, "strides", {2, 2});
  mb.BatchNorm("pool", "bn", 4);
  mb.Node("Sigmoid", {"bn"}, {"sig"});
  mb.Clip("sig", "clip", 0.3f, 0.7f);
  mb.Node("Tanh", {"clip"}, {"tanh"});
  mb.Node("Flatten", {"tanh"}, {"flat"});  // NCHW order, 4x3x3 = 36
  mb.Transpose("tanh", "tanh_nhwc", {0, 2, 3, 1});
  mb.Node("Flatten", {"tanh_nhwc"}, {"flat_nhwc"});
  auto* fc1 = mb.Node("Gemm", {"flat", mb.Random("fc1_W", {36, 7}), mb.Random("fc1_B", {7})}, {"fc1"});
  ModelBuilder::Float(fc1, "alpha", 0.5f);
  auto* fc2 = mb.Node("Gemm", {"flat_nhwc", mb.Random("fc2_W", {3, 36}), mb.Random("fc2_B", {3})}, {"fc2"});
  ModelBuilder::Int(fc2, "transB", 1);
  auto* cat = mb.Node("Concat", {"fc1", "fc2"}, {"cat"});
  ModelBuilder::Int(cat, "axis", 1);
  mb.Node("Identity", {"cat"}, {"cat_id"});
  mb.Node("Softmax", {"cat_id"}, {"probabilities"});
  mb.Output("probabilities", 2);
  mb.Output("flat", 2);
  m.Set("activations", {1, 6, 6, 3});
  return m;
}

// A model whose input is already NCHW (converted to NHWC storage once), with an Add of a
// per-channel constant and a standalone Pad.
inline AgreementModel NchwInputAddConstantPadModel() {
  AgreementModel m{ModelBuilder()};
  ModelBuilder& mb = m.mb;
  mb.Input("x", {-1, 3, 7, 5});
  std::string x = mb.Conv("x", "conv", 3, 4, 3, {1, 1}, {1, 1, 1, 1});
  mb.Node("Add", {x, mb.Random("bias", {4, 1, 1})}, {"add"});
  mb.Node("Pad", {"add", mb.InitInt64("pads", {8}, {0, 0, 1, 0, 0, 0, 0, 2})}, {"padded"});
  auto* ap = mb.Node("AveragePool", {"padded"}, {"avg"});
  ModelBuilder::Ints(ap, "kernel_shape", {2, 2});
  ModelBuilder::Ints(ap, "strides", {2, 2});
  mb.Node("Add", {"avg", "avg"}, {"double"});
  mb.Output("double", 4);
  m.Set("nchw_input", {1, 3, 7, 5});
  return m;
}

// The importer's default dialect (opset 10): Clip bounds and Pad pads as attributes, Softmax
// over axis 1 by default, a Dropout left in the graph.
inline AgreementModel Opset10AttributeFormsModel() {
  AgreementModel m{ModelBuilder(10)};
  ModelBuilder& mb = m.mb;
  mb.Input("input_1", {-1, 7, 7, 3});
  mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  auto* pad = mb.Node("Pad", {"nchw"}, {"padded"});
  ModelBuilder::Ints(pad, "pads", {0, 0, 0, 0, 0, 0, 1, 1});
  std::string x = mb.Conv("padded", "conv", 3, 8, 3, {2, 2}, {0, 0, 0, 0});
  auto* clip = mb.Node("Clip", {x}, {"relu6"});
  ModelBuilder::Float(clip, "min", 0.0f);
  ModelBuilder::Float(clip, "max", 6.0f);
  auto* pad2 = mb.Node("Pad", {"relu6"}, {"padded2"});  // not followed by a Conv: a real Pad step
  ModelBuilder::Ints(pad2, "pads", {0, 0, 1, 1, 0, 0, 0, 2});
  auto* ap = mb.Node("AveragePool", {"padded2"}, {"avg"});
  ModelBuilder::Ints(ap, "kernel_shape", {2, 2});
  ModelBuilder::Ints(ap, "strides", {2, 2});
  mb.Node("GlobalAveragePool", {"avg"}, {"gap"});
  mb.Node("Flatten", {"gap"}, {"embedding"});
  mb.Node("Dropout", {"embedding"}, {"dropped"});
  auto* fc = mb.Node("Gemm", {"dropped", mb.Random("fc_W", {4, 8}), mb.Random("fc_B", {4})}, {"logits"});
  ModelBuilder::Int(fc, "transB", 1);
  mb.Node("Softmax", {"logits"}, {"probabilities"});
  mb.Output("probabilities", 2);
  mb.Output("embedding", 2);
  m.Set("opset10", {1, 7, 7, 3}, {1, 3, 5});
  return m;
}

// Every model above.
inline std::vector<AgreementModel> AllAgreementModels() {
  std::vector<AgreementModel> all;
  all.push_back(ConvSameValidStrideAsymmetricDilatedModel());
  all.push_back(PadFusedIntoStridedConvModel());
  all.push_back(DepthwiseBatchNormRelu6ResidualModel());
  all.push_back(InceptionConcatBranchesAndPoolsModel());
  all.push_back(ActivationsAndFlattenModel());
  all.push_back(NchwInputAddConstantPadModel());
  all.push_back(Opset10AttributeFormsModel());
  return all;
}

}  // namespace vigil::testing
