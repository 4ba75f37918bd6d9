// ONNX loading (errors and limits), shape inference, graph optimisation passes and XNNPACK
// lowering decisions (layout no-ops, Concat slices, memory reuse), plus backend error paths.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/backend.h"
#include "runtime/graph_optimize.h"
#include "runtime/onnx_graph.h"
#include "runtime/xnnpack_program.h"
#include "unit/runtime/onnx_test_util.h"

namespace vigil {
namespace {

using testing::ModelBuilder;

std::string TempPath(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(VIGIL_BINARY_DIR) / "tests" / "runtime_models";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// NHWC input → Transpose → Pad → Conv → BN → Relu6 → Identity → GAP → Transpose → Flatten → Gemm.
ModelBuilder SmallNet() {
  ModelBuilder mb;
  mb.Input("input_1", {-1, 8, 8, 3});
  mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  mb.Node("Pad", {"nchw", mb.InitInt64("pads", {8}, {0, 0, 0, 0, 0, 0, 1, 1})}, {"padded"});
  mb.Conv("padded", "conv", 3, 4, 3, {2, 2}, {0, 0, 0, 0});
  mb.BatchNorm("conv", "bn", 4);
  mb.Clip("bn", "relu6", 0.0f, 6.0f);
  mb.Node("Identity", {"relu6"}, {"id"});
  mb.Node("GlobalAveragePool", {"id"}, {"gap"});
  mb.Transpose("gap", "gap_nhwc", {0, 2, 3, 1});
  mb.Node("Flatten", {"gap_nhwc"}, {"embedding"});
  auto* fc = mb.Node("Gemm", {"embedding", mb.Random("W", {5, 4}), mb.Random("B", {5})}, {"logits"});
  ModelBuilder::Int(fc, "transB", 1);
  mb.Node("Softmax", {"logits"}, {"probabilities"});
  mb.Output("probabilities", 2);
  mb.Output("embedding", 2);
  return mb;
}

TEST(OnnxGraph, LoadsNodesInitializersAndShapes) {
  ModelBuilder mb = SmallNet();
  auto g = LoadOnnxGraph(mb.Save(TempPath("small.onnx")));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->opset, 13);
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0].name, "input_1");
  EXPECT_EQ(g->inputs[0].shape, (std::vector<int64_t>{-1, 8, 8, 3}));
  EXPECT_EQ(g->nodes.size(), static_cast<size_t>(mb.model().graph().node_size()));
  ASSERT_NE(g->FindInitializer("pads"), nullptr);
  EXPECT_FALSE(g->FindInitializer("pads")->is_float);
  EXPECT_EQ(g->FindInitializer("pads")->int_data[6], 1);
  EXPECT_EQ(g->FindInitializer("conv_W")->shape, (std::vector<int64_t>{4, 3, 3, 3}));
  auto shapes = InferShapes(*g, {2, 8, 8, 3});
  ASSERT_TRUE(shapes.ok()) << shapes.status().ToString();
  EXPECT_EQ(shapes->at("nchw"), (std::vector<int64_t>{2, 3, 8, 8}));
  EXPECT_EQ(shapes->at("padded"), (std::vector<int64_t>{2, 3, 9, 9}));
  EXPECT_EQ(shapes->at("conv"), (std::vector<int64_t>{2, 4, 4, 4}));  // (9-3)/2+1
  EXPECT_EQ(shapes->at("gap_nhwc"), (std::vector<int64_t>{2, 1, 1, 4}));
  EXPECT_EQ(shapes->at("probabilities"), (std::vector<int64_t>{2, 5}));
}

TEST(OnnxGraph, ResolveWindowSameAndCeil) {
  OnnxNode pool;
  pool.op_type = "MaxPool";
  pool.name = "p";
  pool.attributes["auto_pad"].s = "SAME_UPPER";
  pool.SetInts("strides", {2, 2});
  auto w = ResolveWindow2d(pool, {1, 3, 7, 8}, 3, 3);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->out_h, 4);  // ceil(7/2)
  EXPECT_EQ(w->out_w, 4);
  EXPECT_EQ(w->pad_top + w->pad_bottom, 2);   // (4-1)*2+3-7
  EXPECT_EQ(w->pad_left + w->pad_right, 1);   // (4-1)*2+3-8
  EXPECT_LE(w->pad_left, w->pad_right);       // SAME_UPPER puts the extra at the end
  OnnxNode ceil = pool;
  ceil.attributes.erase("auto_pad");
  ceil.attributes["ceil_mode"].i = 1;
  auto c = ResolveWindow2d(ceil, {1, 3, 8, 8}, 3, 3);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->out_h, 4);  // ceil((8-3)/2)+1
  EXPECT_EQ(c->ceil_extra_h, 2);
}

TEST(GraphOptimize, FoldsBatchNormFusesPadClipAndDropsIdentity) {
  ModelBuilder mb = SmallNet();
  auto g = LoadOnnxGraph(mb.Save(TempPath("small_opt.onnx")));
  ASSERT_TRUE(g.ok());
  OnnxGraph graph = *g;
  OptimizeStats stats;
  ASSERT_TRUE(OptimizeGraph(&graph, &stats).ok());
  EXPECT_EQ(stats.identities_removed, 1);
  EXPECT_EQ(stats.batch_norms_folded, 1);
  EXPECT_EQ(stats.pads_fused, 1);
  EXPECT_EQ(stats.activations_fused, 1);
  std::vector<std::string> ops;
  for (const auto& n : graph.nodes) ops.push_back(n.op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Transpose", "Conv", "GlobalAveragePool", "Transpose", "Flatten", "Gemm",
                                           "Softmax"}));
  const OnnxNode& conv = graph.nodes[1];
  EXPECT_EQ(conv.inputs[0], "nchw");
  EXPECT_EQ(conv.GetInts("pads"), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(conv.GetFloat(kFusedOutputMin, -1), 0.0f);
  EXPECT_EQ(conv.GetFloat(kFusedOutputMax, -1), 6.0f);
  // The folded weights equal W * gamma / sqrt(var + eps) (independent recomputation).
  const OnnxInitializer* w0 = g->FindInitializer("conv_W");
  const OnnxInitializer* w1 = graph.FindInitializer(conv.inputs[1]);
  const OnnxInitializer* gamma = g->FindInitializer("bn_s");
  const OnnxInitializer* var = g->FindInitializer("bn_v");
  ASSERT_TRUE(w0 && w1 && gamma && var);
  for (size_t i = 0; i < w0->data.size(); ++i) {
    const size_t m = i / 27;
    EXPECT_NEAR(w1->data[i], w0->data[i] * gamma->data[m] / std::sqrt(var->data[m] + 1e-3f), 1e-5f);
  }
}

TEST(GraphOptimize, KeepsValuesThatAreGraphOutputs) {
  ModelBuilder mb;
  mb.Input("x", {-1, 3, 4, 4});
  mb.Conv("x", "conv", 3, 3, 1, {1, 1}, {0, 0, 0, 0});
  mb.Node("Relu", {"conv"}, {"relu"});
  mb.Output("conv", 4);  // the pre-activation value is observable: no fusion
  mb.Output("relu", 4);
  auto g = LoadOnnxGraph(mb.Save(TempPath("keep.onnx")));
  ASSERT_TRUE(g.ok());
  OptimizeStats stats;
  ASSERT_TRUE(OptimizeGraph(&*g, &stats).ok());
  EXPECT_EQ(stats.activations_fused, 0);
  EXPECT_EQ(g->nodes.size(), 2u);
}

// A Conv whose output only a channel Split reads becomes one Conv per part with the weights and
// bias rows of that part; a Conv output read by anything else stays split by a Split; a -inf Pad
// before MaxPool becomes the pooling's padding.
TEST(GraphOptimize, SplitsConvsAtChannelSplitsAndFoldsMinusInfinityPads) {
  ModelBuilder mb(13);
  mb.Input("x", {-1, 3, 6, 6});
  mb.Conv("x", "head", 3, 5, 1, {1, 1}, {0, 0, 0, 0});
  ModelBuilder::Int(mb.Node("Split", {"head", mb.InitInt64("sizes", {2}, {3, 2})}, {"scores", "boxes"}), "axis", 1);
  mb.Conv("x", "shared", 3, 4, 1, {1, 1}, {0, 0, 0, 0}, 1, {1, 1}, /*bias=*/false);
  ModelBuilder::Int(mb.Node("Split", {"shared"}, {"s0", "s1"}), "axis", 1);
  mb.Node("Relu", {"shared"}, {"shared_relu"});  // a second reader: not rewritten
  mb.Node("Pad", {"x", mb.InitInt64("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1}), mb.Init("ninf", {}, {-INFINITY})}, {"xp"});
  auto* pool = mb.Node("MaxPool", {"xp"}, {"pool"});
  ModelBuilder::Ints(pool, "kernel_shape", {3, 3});
  for (const char* o : {"scores", "boxes", "s0", "s1", "shared_relu", "pool"}) mb.Output(o, 4);
  auto g = LoadOnnxGraph(mb.Save(TempPath("split_convs.onnx")));
  ASSERT_TRUE(g.ok());
  OnnxGraph graph = *g;
  OptimizeStats stats;
  ASSERT_TRUE(OptimizeGraph(&graph, &stats).ok());
  EXPECT_EQ(stats.convs_split, 1);
  EXPECT_EQ(stats.pads_fused, 1);
  std::vector<std::string> ops;
  for (const auto& n : graph.nodes) ops.push_back(n.op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Conv", "Conv", "Conv", "Split", "Relu", "MaxPool"}));
  const OnnxInitializer* w = g->FindInitializer("head_W");
  const OnnxInitializer* b = g->FindInitializer("head_B");
  const OnnxInitializer* w1 = graph.FindInitializer(graph.nodes[1].inputs[1]);
  const OnnxInitializer* b1 = graph.FindInitializer(graph.nodes[1].inputs[2]);
  ASSERT_TRUE(w && b && w1 && b1);
  EXPECT_EQ(graph.nodes[1].outputs[0], "boxes");
  EXPECT_EQ(w1->shape, (std::vector<int64_t>{2, 3, 1, 1}));
  EXPECT_EQ(w1->data, std::vector<float>(w->data.begin() + 9, w->data.end()));
  EXPECT_EQ(b1->data, std::vector<float>(b->data.begin() + 3, b->data.end()));
  EXPECT_EQ(graph.nodes[5].GetInts("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(graph.nodes[5].inputs[0], "x");
}

TEST(XnnpackLowering, LayoutTransposesAreFreeAndConcatWritesSlices) {
  ModelBuilder mb;
  mb.Input("input_1", {-1, 6, 6, 4});
  mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  mb.Conv("nchw", "a", 4, 3, 1, {1, 1}, {0, 0, 0, 0});
  mb.Conv("nchw", "b", 4, 5, 3, {1, 1}, {1, 1, 1, 1});
  auto* mp = mb.Node("MaxPool", {"nchw"}, {"c"});
  ModelBuilder::Ints(mp, "kernel_shape", {3, 3});
  ModelBuilder::Ints(mp, "pads", {1, 1, 1, 1});
  auto* cat = mb.Node("Concat", {"a", "b", "c"}, {"cat"});
  ModelBuilder::Int(cat, "axis", 1);
  mb.Conv("cat", "d", 12, 2, 1, {1, 1}, {0, 0, 0, 0});
  mb.Transpose("d", "out", {0, 2, 3, 1});
  mb.Output("out", 4);
  auto g = LoadOnnxGraph(mb.Save(TempPath("lower.onnx")));
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(OptimizeGraph(&*g).ok());
  auto shapes = InferShapes(*g, {1, 6, 6, 4});
  ASSERT_TRUE(shapes.ok());
  auto p = LowerToXnnpack(*g, *shapes);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // Exactly conv, conv, maxpool, conv: no transposes, no concat copies.
  ASSERT_EQ(p->steps.size(), 4u);
  EXPECT_EQ(p->steps[0].kind, XnnStepKind::kConvolution);
  EXPECT_EQ(p->steps[2].kind, XnnStepKind::kMaxPool);
  EXPECT_EQ(p->steps[0].in.buffer, p->input.buffer);
  // The three branches write into one buffer at channel offsets 0, 3, 8 with pixel stride 12.
  EXPECT_EQ(p->steps[0].out.buffer, p->steps[1].out.buffer);
  EXPECT_EQ(p->steps[1].out.buffer, p->steps[2].out.buffer);
  EXPECT_EQ(p->steps[0].out.offset, 0u);
  EXPECT_EQ(p->steps[1].out.offset, 3u);
  EXPECT_EQ(p->steps[2].out.offset, 8u);
  EXPECT_EQ(p->steps[2].out.stride, 12u);
  EXPECT_EQ(p->steps[3].in.buffer, p->steps[0].out.buffer);
  EXPECT_EQ(p->outputs[0].buffer, p->steps[3].out.buffer);
}

TEST(XnnpackLowering, ReusesMemoryAlongAChain) {
  ModelBuilder mb;
  mb.Input("x", {-1, 8, 8, 4});
  std::string v = mb.Transpose("x", "t", {0, 3, 1, 2});
  for (int i = 0; i < 8; ++i) v = mb.Conv(v, "c" + std::to_string(i), 4, 4, 3, {1, 1}, {1, 1, 1, 1});
  mb.Output(v, 4);
  auto g = LoadOnnxGraph(mb.Save(TempPath("chain.onnx")));
  ASSERT_TRUE(g.ok());
  auto shapes = InferShapes(*g, {1, 8, 8, 4});
  ASSERT_TRUE(shapes.ok());
  auto p = LowerToXnnpack(*g, *shapes);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->buffers.size(), 9u);
  EXPECT_LE(p->block_floats_per_item.size(), 3u);  // ping-pong (+ the output), not 9 buffers
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(RuntimeErrors, MissingFile) {
  for (BackendKind kind : {BackendKind::kAuto, BackendKind::kXnnpack, BackendKind::kOpenCv}) {
    auto b = CreateBackend(kind, TempPath("does_not_exist.onnx"));
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::kNotFound) << BackendKindName(kind);
    EXPECT_NE(b.status().message().find("does_not_exist.onnx"), std::string::npos);
  }
}

TEST(RuntimeErrors, GarbageBytes) {
  const std::string path = TempPath("garbage.onnx");
  std::ofstream(path, std::ios::binary) << "\x08\x96\x01 this is not a protobuf \xff\xfe";
  for (BackendKind kind : {BackendKind::kAuto, BackendKind::kXnnpack, BackendKind::kOpenCv}) {
    auto b = CreateBackend(kind, path);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::kDataLoss) << BackendKindName(kind) << " " << b.status().ToString();
  }
  auto limited = ParseOnnxGraph(std::string(100, 'x'), "mem", OnnxLoadLimits{50, 10, 10});
  EXPECT_EQ(limited.status().code(), StatusCode::kResourceExhausted);
}

TEST(RuntimeErrors, UnsupportedOpNamedAndAutoFallsBackToOpenCv) {
  ModelBuilder mb;
  mb.Input("x", {-1, 3, 4, 4});
  mb.Conv("x", "conv", 3, 3, 1, {1, 1}, {0, 0, 0, 0});
  mb.Node("Abs", {"conv"}, {"abs"});
  mb.Node("Exp", {"abs"}, {"exp"});
  mb.Output("exp", 4);
  const std::string path = mb.Save(TempPath("unsupported.onnx"));
  auto x = CreateXnnpackBackend(path);
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(x.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(x.status().message().find("Abs"), std::string::npos) << x.status().message();
  EXPECT_NE(x.status().message().find("Exp"), std::string::npos) << x.status().message();
  auto a = CreateBackend(BackendKind::kAuto, path);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->kind(), BackendKind::kOpenCv);
  auto s = (*a)->CreateSession({});
  ASSERT_TRUE(s.ok());
  Tensor in{"", {1, 3, 4, 4}, std::vector<float>(48, 0.5f)};
  std::vector<Tensor> out;
  ASSERT_TRUE((*s)->Run(in, &out).ok());
  testing::ReferenceInterpreter ref(mb.model());
  const auto want = ref.Run({in.shape, in.data}).at("exp");
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].shape, want.shape);
  for (size_t i = 0; i < want.data.size(); ++i) EXPECT_NEAR(out[0].data[i], want.data[i], 1e-4f * (1 + want.data[i]));
}

TEST(RuntimeErrors, NonFloatWeights) {
  ModelBuilder mb;
  mb.Input("x", {-1, 2, 4, 4});
  mb.InitInt64("W", {2, 2, 1, 1}, {1, 0, 0, 1});
  auto* n = mb.Node("Conv", {"x", "W"}, {"y"});
  ModelBuilder::Ints(n, "kernel_shape", {1, 1});
  mb.Output("y", 4);
  auto b = CreateXnnpackBackend(mb.Save(TempPath("int_weights.onnx")));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(b.status().message().find("'W' must be float32"), std::string::npos) << b.status().message();
}

TEST(RuntimeErrors, WrongInputShapeAndBatch) {
  ModelBuilder mb = SmallNet();
  const std::string path = mb.Save(TempPath("small_err.onnx"));
  for (BackendKind kind : {BackendKind::kXnnpack, BackendKind::kOpenCv}) {
    auto b = CreateBackend(kind, path);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    SessionOptions options;
    options.max_batch = 2;
    auto s = (*b)->CreateSession(options);
    ASSERT_TRUE(s.ok());
    std::vector<Tensor> out;
    Tensor wrong{"", {1, 3, 8, 8}, std::vector<float>(192, 0.f)};  // NCHW instead of NHWC
    Status st = (*s)->Run(wrong, &out);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << BackendKindName(kind);
    EXPECT_NE(st.message().find("[1,3,8,8]"), std::string::npos) << st.message();
    Tensor too_big{"", {3, 8, 8, 3}, std::vector<float>(576, 0.f)};
    EXPECT_EQ((*s)->Run(too_big, &out).code(), StatusCode::kInvalidArgument) << BackendKindName(kind);
    Tensor short_data{"", {1, 8, 8, 3}, std::vector<float>(10, 0.f)};
    EXPECT_EQ((*s)->Run(short_data, &out).code(), StatusCode::kInvalidArgument) << BackendKindName(kind);
    Tensor ok{"", {2, 8, 8, 3}, std::vector<float>(384, 0.1f)};
    ASSERT_TRUE((*s)->Run(ok, &out).ok());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].name, "probabilities");
    EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 5}));
    EXPECT_EQ(out[1].name, "embedding");
    EXPECT_EQ(out[1].shape, (std::vector<int64_t>{2, 4}));
  }
}

TEST(BackendKindNames, RoundTrip) {
  for (BackendKind k : {BackendKind::kAuto, BackendKind::kXnnpack, BackendKind::kOpenCv}) {
    auto parsed = ParseBackendKind(BackendKindName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(ParseBackendKind("tensorrt").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil
