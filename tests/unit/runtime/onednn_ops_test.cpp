// The shape and arithmetic ops of the oneDNN backend (Reshape, Split, Resize (also by Vigil's kernel), Sub/Mul/Div with
// broadcasting, Sqrt, Reduce*, LpNormalization) and the fusions added for detectors (LeakyRelu and
// Sigmoid into Conv, a -inf Pad into MaxPool), each on seeded random input against the naive
// reference interpreter (onnx_test_util.h) at 1 and 2 threads, batch 1 and 3; the L2-normalised
// classification heads `vigil train` exports also against the OpenCV DNN fallback; and the real
// NanoDet-416 and CenterNet-512 detectors (imported from tfjs) on a real photo, oneDNN against
// OpenCV DNN.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "models/tfjs_graph_import.h"
#include "runtime/backend.h"
#include "runtime/onnx_graph.h"
#include "unit/require_fixture.h"
#include "unit/runtime/onnx_test_util.h"

namespace vigil {
namespace {

using testing::ModelBuilder;
using testing::ReferenceInterpreter;
using testing::RefTensor;
using testing::WorstError;

// A model file under the build tree for this test file.
std::string TempModelPath(const std::string& name) { return testing::TempModelPath("onednn_ops_" + name); }

Tensor RandomInput(std::vector<int64_t> shape, int batch, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t;
  t.shape = std::move(shape);
  t.shape[0] = batch;
  t.data.resize(Tensor::NumElements(t.shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.data) v = dist(rng);
  return t;
}

// `kind` with 1 and 2 threads against the reference at batch 1 and 3 (batch 1 only if `batch1`).
void CheckAgainstReference(ModelBuilder& mb, const std::string& name, const std::vector<int64_t>& input_shape,
                           BackendKind kind = BackendKind::kOneDnn, bool batch1 = false) {
  const std::string path = mb.Save(TempModelPath(name + "_" + BackendKindName(kind)));
  ReferenceInterpreter ref(mb.model());
  auto backend = CreateBackend(kind, path);
  ASSERT_TRUE(backend.ok()) << name << ": " << backend.status().ToString();
  ASSERT_EQ((*backend)->kind(), kind);
  for (int threads : {1, 2}) {
    auto session = (*backend)->CreateSession({threads, 3});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    for (int batch : {1, 3}) {
      if (batch1 && batch > 1) continue;
      const Tensor input = RandomInput(input_shape, batch, 100 + batch);
      const auto want = ref.Run(RefTensor{input.shape, input.data});
      std::vector<Tensor> got;
      const Status s = (*session)->Run(input, &got);
      ASSERT_TRUE(s.ok()) << name << ": " << s.ToString();
      ASSERT_EQ(got.size(), want.size());
      for (const Tensor& t : got) {
        const std::string what = name + " " + BackendKindName(kind) + " threads " + std::to_string(threads) +
                                 " batch " + std::to_string(batch) + " output " + t.name;
        ASSERT_TRUE(want.count(t.name)) << what;
        ASSERT_EQ(t.shape, want.at(t.name).shape) << what;
        EXPECT_LE(WorstError(t.data, want.at(t.name).data), 1e-4f) << what;
      }
    }
  }
}

// A NanoDet-style head: Conv + LeakyRelu, 1x1 Conv, Split into class scores and box logits,
// Sigmoid, Reshape to [N, C, H*W] and Transpose to [N, H*W, C].
void BuildDetectorHead(ModelBuilder& mb, const std::vector<int64_t>& reshape0, const std::vector<int64_t>& reshape1) {
  mb.Input("x", {-1, 8, 6, 6});
  mb.Conv("x", "c1", 8, 16, 3, {1, 1}, {1, 1, 1, 1});
  auto* leaky = mb.Node("LeakyRelu", {"c1"}, {"a1"});
  ModelBuilder::Float(leaky, "alpha", 0.1f);
  mb.Conv("a1", "c2", 16, 12, 1, {1, 1}, {0, 0, 0, 0});
  auto* split = mb.Node("Split", {"c2"}, {"scores", "boxes"});
  ModelBuilder::Int(split, "axis", 1);
  ModelBuilder::Ints(split, "split", {7, 5});
  mb.Node("Sigmoid", {"scores"}, {"prob"});
  mb.Node("Reshape", {"prob", mb.InitInt64("shape0", {3}, reshape0)}, {"prob_r"});
  mb.Node("Reshape", {"boxes", mb.InitInt64("shape1", {3}, reshape1)}, {"boxes_r"});
  mb.Transpose("prob_r", "out_scores", {0, 2, 1});
  mb.Transpose("boxes_r", "out_boxes", {0, 2, 1});
  mb.Output("out_scores", 3);
  mb.Output("out_boxes", 3);
}

TEST(OneDnnOps, DetectorHeadSplitSigmoidReshapeTranspose) {
  ModelBuilder mb(11);
  BuildDetectorHead(mb, {0, 7, -1}, {0, 5, 36});
  CheckAgainstReference(mb, "head", {-1, 8, 6, 6});
}

TEST(OneDnnOps, ReshapeWithLiteralBatchOfOneAsExported) {
  ModelBuilder mb(11);
  BuildDetectorHead(mb, {1, 7, 36}, {1, 5, 36});  // what the tfjs importer writes for NanoDet
  CheckAgainstReference(mb, "head_literal", {-1, 8, 6, 6}, BackendKind::kOneDnn, /*batch1=*/true);
}

TEST(OneDnnOps, SplitOpset13InputSizesAndEvenSplit) {
  ModelBuilder mb(13);
  mb.Input("x", {-1, 6, 4, 5});
  mb.Conv("x", "c", 6, 6, 1, {1, 1}, {0, 0, 0, 0});
  ModelBuilder::Int(mb.Node("Split", {"c", mb.InitInt64("sizes", {2}, {1, 3})}, {"w0", "w1"}), "axis", 2);
  ModelBuilder::Int(mb.Node("Split", {"x"}, {"h0", "h1"}), "axis", 1);  // the graph input itself
  ModelBuilder::Int(mb.Node("Split", {"c"}, {"e0", "e1", "e2"}), "axis", -3);
  for (const char* o : {"w0", "w1", "h0", "h1", "e0", "e1", "e2"}) mb.Output(o, 4);
  CheckAgainstReference(mb, "split13", {-1, 6, 4, 5});
}

// FPN-style bilinear resizing (half_pixel, sizes as the tfjs importer writes them), up and down by
// 2, then added to a same-size map; and the scales form.
TEST(OneDnnOps, ResizeBilinearHalfPixelUpAndDown) {
  ModelBuilder mb(11);
  mb.Input("x", {-1, 4, 6, 6});
  mb.Conv("x", "c", 4, 8, 3, {1, 1}, {1, 1, 1, 1});
  const std::string roi = mb.Init("roi", {0}, {}), no_scales = mb.Init("no_scales", {0}, {});
  auto resize = [&](const std::string& in, const std::string& out, const std::vector<int64_t>& sizes) {
    auto* n = mb.Node("Resize", {in, roi, no_scales, mb.InitInt64(out + "_sizes", {4}, sizes)}, {out});
    ModelBuilder::String(n, "mode", "linear");
    ModelBuilder::String(n, "coordinate_transformation_mode", "half_pixel");
  };
  resize("c", "up", {1, 8, 12, 12});
  resize("up", "down", {1, 8, 6, 6});
  resize("c", "odd", {1, 8, 9, 4});
  mb.Node("Add", {"down", "c"}, {"sum"});
  ModelBuilder::String(mb.Node("Resize", {"sum", roi, mb.Init("scales", {4}, {1, 1, 2, 2})}, {"scaled"}), "mode",
                       "linear");
  mb.Output("up", 4);
  mb.Output("odd", 4);
  mb.Output("scaled", 4);
  CheckAgainstReference(mb, "resize", {-1, 4, 6, 6});
}

// The coordinate modes oneDNN's resampling cannot express, run by Vigil's own kernel: asymmetric
// (TensorFlow's ResizeBilinear without half-pixel centres: CenterNet's FPN) and align_corners, up by
// 2 from a blocked conv output, to odd sizes, down, and with scales instead of sizes.
TEST(OneDnnOps, ResizeBilinearAsymmetricAndAlignCorners) {
  for (const char* mode : {"asymmetric", "align_corners"}) {
    ModelBuilder mb(11);
    mb.Input("x", {-1, 4, 6, 6});
    mb.Conv("x", "c", 4, 16, 3, {1, 1}, {1, 1, 1, 1});
    const std::string roi = mb.Init("roi", {0}, {}), no_scales = mb.Init("no_scales", {0}, {});
    auto resize = [&](const std::string& in, const std::string& out, const std::vector<int64_t>& sizes) {
      auto* n = mb.Node("Resize", {in, roi, no_scales, mb.InitInt64(out + "_sizes", {4}, sizes)}, {out});
      ModelBuilder::String(n, "mode", "linear");
      ModelBuilder::String(n, "coordinate_transformation_mode", mode);
    };
    resize("c", "up", {1, 16, 12, 12});
    resize("c", "odd", {1, 16, 9, 13});
    resize("up", "down", {1, 16, 5, 7});
    mb.Conv("up", "after", 16, 8, 3, {1, 1}, {1, 1, 1, 1});  // the kernel's NHWC output feeds a conv
    auto* scaled = mb.Node("Resize", {"c", roi, mb.Init("scales", {4}, {1, 1, 2, 3})}, {"scaled"});
    ModelBuilder::String(scaled, "mode", "linear");
    ModelBuilder::String(scaled, "coordinate_transformation_mode", mode);
    mb.Output("odd", 4);
    mb.Output("down", 4);
    mb.Output("after", 4);
    mb.Output("scaled", 4);
    CheckAgainstReference(mb, std::string("resize_") + mode, {-1, 4, 6, 6});
  }
}

// PadV2 with -inf before a MaxPool (fused into the pooling's padding) and zero Pads before Convs.
TEST(OneDnnOps, MinusInfinityPadFusedIntoMaxPool) {
  ModelBuilder mb(11);
  mb.Input("x", {-1, 3, 9, 9});
  mb.Node("Pad", {"x", mb.InitInt64("p0", {8}, {0, 0, 1, 1, 0, 0, 1, 1}), mb.Init("zero", {}, {0.0f})}, {"xp"});
  mb.Conv("xp", "c", 3, 8, 3, {2, 2}, {0, 0, 0, 0});
  mb.Node("Pad", {"c", mb.InitInt64("p1", {8}, {0, 0, 1, 1, 0, 0, 1, 1}), mb.Init("ninf", {}, {-INFINITY})},
          {"cp"});
  auto* pool = mb.Node("MaxPool", {"cp"}, {"pool"});
  ModelBuilder::Ints(pool, "kernel_shape", {3, 3});
  ModelBuilder::Ints(pool, "strides", {2, 2});
  mb.Output("pool", 4);
  CheckAgainstReference(mb, "maxpool_pad", {-1, 3, 9, 9});
}

TEST(OneDnnOps, ConvSigmoidAndTanhFused) {
  ModelBuilder mb(13);
  mb.Input("x", {-1, 4, 5, 5});
  mb.Conv("x", "c1", 4, 6, 3, {1, 1}, {1, 1, 1, 1});
  mb.Node("Sigmoid", {"c1"}, {"s"});
  mb.Conv("s", "c2", 6, 6, 1, {1, 1}, {0, 0, 0, 0});
  mb.Node("Tanh", {"c2"}, {"t"});
  mb.Output("t", 4);
  mb.Output("c2", 4);  // a graph output read by the activation too: not fused
  CheckAgainstReference(mb, "conv_act", {-1, 4, 5, 5});
}

// Broadcasting arithmetic: constants of lower rank, [N,C,1,1] against [N,C,H,W], Sub/Div operand
// order, Sqrt.
TEST(OneDnnOps, BinaryBroadcastingAndSqrt) {
  ModelBuilder mb(13);
  mb.Input("x", {-1, 4, 3, 5});
  mb.Node("Mul", {"x", mb.Random("k", {4, 1, 1})}, {"m"});
  mb.Node("Sub", {"m", mb.Random("b", {5})}, {"s"});
  mb.Node("GlobalAveragePool", {"x"}, {"g"});
  mb.Node("Div", {"s", "g"}, {"d"});          // [N,4,3,5] / [N,4,1,1]
  mb.Node("Mul", {"g", "x"}, {"gx"});         // broadcast first operand: swapped (commutative)
  mb.Node("Mul", {"x", "x"}, {"sq"});
  mb.Node("Sqrt", {"sq"}, {"abs"});
  mb.Node("Sub", {"abs", "x"}, {"diff"});
  mb.Output("d", 4);
  mb.Output("gx", 4);
  mb.Output("diff", 4);
  CheckAgainstReference(mb, "binary", {-1, 4, 3, 5});
}

TEST(OneDnnOps, Reductions) {
  ModelBuilder mb(13);
  mb.Input("x", {-1, 4, 3, 5});
  mb.Node("ReduceSum", {"x", mb.InitInt64("axes", {2}, {2, 3})}, {"sum"});
  ModelBuilder::Ints(mb.Node("ReduceMean", {"x"}, {"mean"}), "axes", {1});
  auto* mx = mb.Node("ReduceMax", {"x"}, {"max"});
  ModelBuilder::Ints(mx, "axes", {-1});
  ModelBuilder::Int(mx, "keepdims", 0);
  ModelBuilder::Ints(mb.Node("ReduceL2", {"x"}, {"l2"}), "axes", {1, 3});
  ModelBuilder::Ints(mb.Node("ReduceSumSquare", {"x"}, {"ss"}), "axes", {2});
  mb.Output("sum", 4);
  mb.Output("mean", 4);
  mb.Output("max", 3);
  mb.Output("l2", 4);
  mb.Output("ss", 4);
  CheckAgainstReference(mb, "reduce", {-1, 4, 3, 5});
}

// The L2-normalised heads a trained classifier exports ([N, D] embedding -> unit length -> Gemm ->
// Softmax), in the three usual spellings, on oneDNN and on the OpenCV DNN fallback.
void BuildNormalisedHead(ModelBuilder& mb, const std::string& form) {
  mb.Input("e", {-1, 16});
  if (form == "reduce_l2") {
    ModelBuilder::Ints(mb.Node("ReduceL2", {"e"}, {"norm"}), "axes", {1});
    mb.Node("Div", {"e", "norm"}, {"unit"});
  } else if (form == "sum_sqrt") {
    mb.Node("Mul", {"e", "e"}, {"sq"});
    mb.Node("ReduceSum", {"sq", mb.InitInt64("axes", {1}, {1})}, {"ss"});
    mb.Node("Sqrt", {"ss"}, {"norm"});
    mb.Node("Div", {"e", "norm"}, {"unit"});
  } else {
    auto* n = mb.Node("LpNormalization", {"e"}, {"unit"});
    ModelBuilder::Int(n, "axis", 1);
    ModelBuilder::Int(n, "p", 2);
  }
  mb.Node("Mul", {"unit", mb.Init("temperature", {}, {3.0f})}, {"scaled"});
  auto* g = mb.Node("Gemm", {"scaled", mb.Random("W", {5, 16}), mb.Random("B", {5})}, {"logits"});
  ModelBuilder::Int(g, "transB", 1);
  ModelBuilder::Int(mb.Node("Softmax", {"logits"}, {"prob"}), "axis", 1);
  mb.Output("prob", 2);
  mb.Output("unit", 2);
}

TEST(OneDnnOps, L2NormalisedHeadsOnOneDnnAndOpenCv) {
  for (const char* form : {"reduce_l2", "sum_sqrt", "lp_normalization"}) {
    for (BackendKind kind : {BackendKind::kOneDnn, BackendKind::kOpenCv}) {
      ModelBuilder mb(13);
      BuildNormalisedHead(mb, form);
      CheckAgainstReference(mb, form, {-1, 16}, kind);
    }
  }
}

TEST(OneDnnOps, UnsupportedFormsAreNamed) {
  struct Case {
    std::string name, expect;
    std::function<void(ModelBuilder&)> build;
  };
  const std::vector<Case> cases = {
      {"batch_reshape", "batch axis",
       [](ModelBuilder& mb) {
         mb.Node("Reshape", {"x", mb.InitInt64("s", {2}, {-1, 5})}, {"y"});
         mb.Output("y", 2);
       }},
      {"nearest", "linear",
       [](ModelBuilder& mb) {
         mb.Node("Resize", {"x", mb.Init("roi", {0}, {}), mb.Init("sc", {4}, {1, 1, 2, 2})}, {"y"});
         mb.Output("y", 4);
       }},
      {"const_div", "constant first operand",
       [](ModelBuilder& mb) {
         mb.Node("Div", {mb.Init("one", {}, {1.0f}), "x"}, {"y"});
         mb.Output("y", 4);
       }},
      {"reduce_batch", "batch axis",
       [](ModelBuilder& mb) {
         ModelBuilder::Ints(mb.Node("ReduceSum", {"x"}, {"y"}), "axes", {0});
         mb.Output("y", 4);
       }},
  };
  for (const Case& c : cases) {
    ModelBuilder mb(11);
    mb.Input("x", {-1, 2, 3, 5});
    c.build(mb);
    auto b = CreateOneDnnBackend(mb.Save(TempModelPath(c.name)));
    ASSERT_FALSE(b.ok()) << c.name;
    EXPECT_EQ(b.status().code(), StatusCode::kUnsupported) << c.name << ": " << b.status().ToString();
    EXPECT_NE(b.status().message().find(c.expect), std::string::npos) << c.name << ": " << b.status().message();
  }
}

// NanoDet-416: the repository's imported model (models/nanodet*/<version>/model.onnx), else the
// tfjs graph model scripts/setup extracts ($VIGIL_TFJS_MODELS/human-models/nanodet.json) imported
// here with the library's importer; "" when neither exists.
std::string NanoDetOnnx() {
  namespace fs = std::filesystem;
  const char* models = std::getenv("VIGIL_MODELS");
  const fs::path repo = models && *models ? models : VIGIL_SOURCE_DIR "/models";
  std::error_code ec;
  for (const auto& model : fs::directory_iterator(repo, ec)) {
    if (model.path().filename().string().rfind("nanodet", 0) != 0) continue;
    for (const auto& version : fs::directory_iterator(model.path(), ec)) {
      if (fs::exists(version.path() / "model.onnx")) return (version.path() / "model.onnx").string();
    }
  }
  const char* tfjs = std::getenv("VIGIL_TFJS_MODELS");
  const fs::path json = fs::path(tfjs && *tfjs ? tfjs : VIGIL_SOURCE_DIR "/.vigil/tfjs") / "human-models" /
                        "nanodet.json";
  if (!fs::exists(json)) return "";
  const std::string out = TempModelPath("nanodet_imported");
  if (!fs::exists(out) || fs::last_write_time(out) < fs::last_write_time(json)) {
    auto info = ImportTfjsGraphModel(json.string(), out);
    if (!info.ok()) {  // the model is there but does not import: a failure, never a skip
      ADD_FAILURE() << "NanoDet import of " << json << " failed: " << info.status().ToString();
      return "";
    }
  }
  return out;
}

// NanoDet-416 on a real photo: oneDNN against OpenCV DNN, every output within 1e-4 (absolute); auto
// picks oneDNN on AVX-512 CPUs; XNNPACK refuses it cleanly (no Resize).
TEST(OneDnnOps, NanoDetMatchesOpenCvOnARealPhoto) {
  const std::string onnx = NanoDetOnnx();
  VIGIL_REQUIRE_FIXTURE(!onnx.empty(), "no NanoDet model: neither models/nanodet* nor .vigil/tfjs/human-models "
                                       "imports (scripts/setup)");
  const char* data = std::getenv("VIGIL_TEST_DATA");
  const std::string photo_path = std::string(data && *data ? data : VIGIL_SOURCE_DIR "/data") +
                                 "/images/samples/astronaut.png";
  cv::Mat bgr = cv::imread(photo_path, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty()) << "missing " << photo_path << " (scripts/fetch-test-data)";
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, rgb, cv::Size(416, 416), 0, 0, cv::INTER_LINEAR);
  Tensor input{"", {1, 3, 416, 416}, std::vector<float>(3 * 416 * 416)};
  for (int y = 0; y < 416; ++y)
    for (int x = 0; x < 416; ++x)
      for (int c = 0; c < 3; ++c) input.data[(c * 416 + y) * 416 + x] = rgb.at<cv::Vec3b>(y, x)[c] / 255.0f;

  auto dnn = CreateOneDnnBackend(onnx);
  ASSERT_TRUE(dnn.ok()) << dnn.status().ToString();
  auto cv = CreateOpenCvBackend(onnx);
  ASSERT_TRUE(cv.ok()) << cv.status().ToString();
  auto xnn = CreateXnnpackBackend(onnx);
  EXPECT_EQ(xnn.status().code(), StatusCode::kUnsupported) << xnn.status().ToString();
  auto a = CreateBackend(BackendKind::kAuto, onnx);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->kind(), OneDnnPreferredOnThisCpu() ? BackendKind::kOneDnn : BackendKind::kOpenCv);

  std::vector<Tensor> want;
  auto cs = (*cv)->CreateSession({});
  ASSERT_TRUE(cs.ok());
  ASSERT_TRUE((*cs)->Run(input, &want).ok());
  for (int threads : {1, 2}) {
    auto ds = (*dnn)->CreateSession({threads, 1});
    ASSERT_TRUE(ds.ok()) << ds.status().ToString();
    std::vector<Tensor> got;
    const Status s = (*ds)->Run(input, &got);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(got.size(), 6u);
    ASSERT_EQ(want.size(), got.size());
    float high = 0;  // the best class score: the photo shows a person
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].shape, want[i].shape) << got[i].name;
      float worst = 0;
      for (size_t k = 0; k < got[i].data.size(); ++k) {
        worst = std::max(worst, std::fabs(got[i].data[k] - want[i].data[k]));
        if (i < 3) high = std::max(high, got[i].data[k]);
      }
      EXPECT_LE(worst, 1e-4f) << got[i].name;
      std::printf("[ info ] NanoDet %s %s threads %d: worst |oneDNN - OpenCV| %.1e\n", got[i].name.c_str(),
                  ShapeToString(got[i].shape).c_str(), threads, worst);
    }
    EXPECT_GT(high, 0.5f);
  }
}

// CenterNet-512 (MobileNetV3 + FPN with asymmetric bilinear upsampling), the repository's imported
// model, on a real photo: oneDNN against OpenCV DNN at 1 and 2 threads, batch 1 and 2; auto picks
// oneDNN on AVX-512 CPUs (it used to fall back to OpenCV DNN for the asymmetric Resize).
TEST(OneDnnOps, CenterNetMatchesOpenCvOnARealPhoto) {
  namespace fs = std::filesystem;
  const char* models = std::getenv("VIGIL_MODELS");
  const fs::path repo = models && *models ? models : VIGIL_SOURCE_DIR "/models";
  const fs::path onnx_path = repo / "centernet_coco" / "1" / "model.onnx";
  if (!fs::exists(onnx_path)) GTEST_SKIP() << "no " << onnx_path << " (scripts/setup)";
  const std::string onnx = onnx_path.string();
  const char* data = std::getenv("VIGIL_TEST_DATA");
  const std::string photo_path = std::string(data && *data ? data : VIGIL_SOURCE_DIR "/data") +
                                 "/images/samples/astronaut.png";
  cv::Mat bgr = cv::imread(photo_path, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty()) << "missing " << photo_path << " (scripts/fetch-test-data)";
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, rgb, cv::Size(512, 512), 0, 0, cv::INTER_LINEAR);
  auto dnn = CreateOneDnnBackend(onnx);
  ASSERT_TRUE(dnn.ok()) << dnn.status().ToString();
  auto cv = CreateOpenCvBackend(onnx);
  ASSERT_TRUE(cv.ok()) << cv.status().ToString();
  auto a = CreateBackend(BackendKind::kAuto, onnx);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->kind(), OneDnnPreferredOnThisCpu() ? BackendKind::kOneDnn : BackendKind::kOpenCv);

  for (int batch : {1, 2}) {
    // NHWC 0..255 (the manifest's layout); the second image is the first mirrored.
    Tensor input{"", {batch, 512, 512, 3}, std::vector<float>(static_cast<size_t>(batch) * 512 * 512 * 3)};
    for (int b = 0; b < batch; ++b)
      for (int y = 0; y < 512; ++y)
        for (int x = 0; x < 512; ++x)
          for (int c = 0; c < 3; ++c)
            input.data[((static_cast<size_t>(b) * 512 + y) * 512 + x) * 3 + c] =
                rgb.at<cv::Vec3b>(y, b ? 511 - x : x)[c];
    // OpenCV DNN runs the graph one image at a time: the reference is its outputs concatenated.
    std::vector<Tensor> want;
    auto cs = (*cv)->CreateSession({1, 1});
    ASSERT_TRUE(cs.ok()) << cs.status().ToString();
    for (int b = 0; b < batch; ++b) {
      const size_t per_image = input.data.size() / batch;
      Tensor one{"", {1, 512, 512, 3}, std::vector<float>(input.data.begin() + b * per_image,
                                                          input.data.begin() + (b + 1) * per_image)};
      std::vector<Tensor> part;
      const Status s = (*cs)->Run(one, &part);
      ASSERT_TRUE(s.ok()) << s.ToString();
      if (b == 0) {
        want = part;
        continue;
      }
      for (size_t i = 0; i < part.size(); ++i) {
        want[i].shape[0] += 1;
        want[i].data.insert(want[i].data.end(), part[i].data.begin(), part[i].data.end());
      }
    }
    for (int threads : {1, 2}) {
      auto ds = (*dnn)->CreateSession({threads, batch});
      ASSERT_TRUE(ds.ok()) << ds.status().ToString();
      std::vector<Tensor> got;
      const Status s = (*ds)->Run(input, &got);
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_EQ(want.size(), got.size());
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].shape, want[i].shape) << got[i].name;
        float worst = 0, high = 0;
        for (size_t k = 0; k < got[i].data.size(); ++k) {
          worst = std::max(worst, std::fabs(got[i].data[k] - want[i].data[k]) / std::max(1.0f, std::fabs(want[i].data[k])));
          high = std::max(high, want[i].data[k]);
        }
        EXPECT_LE(worst, 1e-4f) << got[i].name;
        EXPECT_GT(high, 0.3f) << got[i].name;  // a person's centre in the heat map; box sizes in cells
        std::printf("[ info ] CenterNet %s %s threads %d batch %d: worst |oneDNN - OpenCV| / max(1, |OpenCV|) %.1e\n",
                    got[i].name.c_str(), ShapeToString(got[i].shape).c_str(), threads, batch, worst);
      }
    }
  }
}

}  // namespace
}  // namespace vigil
