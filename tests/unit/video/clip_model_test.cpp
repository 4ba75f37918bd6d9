// Clip-level models (input N x C x T x H x W): a generated 3D-convolution model installed in a
// temporary repository and run through the clip FrameModel adapter, checked against a naive
// reference of the same network and on its meaning (a moving bar vs a still frame).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "models/model_files.h"
#include "models/onnx_builder.h"
#include "video/frame_model.h"
#include "vigil/model_repository.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
constexpr int kT = 4, kH = 16, kW = 16;

// Conv3D 3->2 (kernel 3x3x3, spatial padding 1, no temporal padding): channel 0 is +(x[t+1] -
// x[t-1]) / 3 per colour channel at the kernel centre, channel 1 its negative, so that after Relu
// their sum is |temporal difference|. Mean over (T-2) x H x W (AveragePool), Flatten, Gemm: logits (0, 50 (c0 + c1) - 1),
// Softmax over {"still", "moving"}.
struct Weights {
  std::vector<float> conv_w = std::vector<float>(2 * 3 * 27, 0.0f), conv_b = {0.001f, -0.02f};
  std::vector<float> gemm_w = {0.5f, -0.25f, 50.0f, 50.0f}, gemm_b = {0.0f, -1.0f};
  Weights() {
    for (int ch = 0; ch < 3; ++ch) {
      for (int o = 0; o < 2; ++o) {
        const float sign = o == 0 ? 1.0f : -1.0f;
        conv_w[((o * 3 + ch) * 3 + 2) * 9 + 4] = sign / 3;   // t+1, centre
        conv_w[((o * 3 + ch) * 3 + 0) * 9 + 4] = -sign / 3;  // t-1, centre
      }
      conv_w[((0 * 3 + ch) * 3 + 1) * 9 + 0] = 0.002f;  // a little spatial context (corner tap)
    }
  }
};

std::string BuildModel(const fs::path& dir, const Weights& w) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.set_producer_name("vigil-test");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  OnnxGraphBuilder b(model.mutable_graph());
  model.mutable_graph()->set_name("conv3d_clip");
  b.Reserve("clip");
  b.Reserve("probabilities");
  b.AddFloatInput("clip", {-1, 3, kT, kH, kW});
  std::string cw = b.AddFloatInitializer("conv_w", {2, 3, 3, 3, 3}, w.conv_w);
  std::string cb = b.AddFloatInitializer("conv_b", {2}, w.conv_b);
  std::string conv = b.UniqueName("conv");
  auto* node = b.AddNode("Conv", {"clip", cw, cb}, {conv}, "conv");
  SetIntsAttr(node, "kernel_shape", {3, 3, 3});
  SetIntsAttr(node, "pads", {0, 1, 1, 0, 1, 1});
  SetIntsAttr(node, "strides", {1, 1, 1});
  std::string relu = b.UniqueName("relu");
  b.AddNode("Relu", {conv}, {relu}, "relu");
  // OpenCV 4.6 cannot import GlobalAveragePool on 5-D tensors (pooling shape assertion); a 3-D
  // AveragePool over the whole (T-2) x H x W volume computes the same mean.
  std::string pool = b.UniqueName("pool");
  SetIntsAttr(b.AddNode("AveragePool", {relu}, {pool}, "pool"), "kernel_shape", {kT - 2, kH, kW});
  std::string flat = b.UniqueName("flat");
  SetIntAttr(b.AddNode("Flatten", {pool}, {flat}, "flatten"), "axis", 1);
  std::string gw = b.AddFloatInitializer("gemm_w", {2, 2}, w.gemm_w);
  std::string gb = b.AddFloatInitializer("gemm_b", {2}, w.gemm_b);
  std::string logits = b.UniqueName("logits");
  SetIntAttr(b.AddNode("Gemm", {flat, gw, gb}, {logits}, "gemm"), "transB", 1);
  SetIntAttr(b.AddNode("Softmax", {logits}, {"probabilities"}, "softmax"), "axis", 1);
  b.AddFloatOutput("probabilities", {-1, 2});
  const std::string path = (dir / "conv3d.onnx").string();
  EXPECT_TRUE(WriteOnnxModelFile(model, path).ok());
  return path;
}

// Naive reference of the same network on one clip of T images (values = pixel / 255).
std::vector<float> Reference(const std::vector<Image>& clip, const Weights& w) {
  auto x = [&](int ch, int t, int y, int xx) -> double {
    if (y < 0 || y >= kH || xx < 0 || xx >= kW) return 0.0;
    return clip[t].pixels[(y * kW + xx) * 3 + ch] / 255.0;
  };
  double pooled[2] = {0, 0};
  const int t_out = kT - 2;
  for (int o = 0; o < 2; ++o) {
    for (int t = 0; t < t_out; ++t) {
      for (int y = 0; y < kH; ++y) {
        for (int xx = 0; xx < kW; ++xx) {
          double s = w.conv_b[o];
          for (int ch = 0; ch < 3; ++ch)
            for (int kt = 0; kt < 3; ++kt)
              for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx)
                  s += w.conv_w[(((o * 3 + ch) * 3 + kt) * 3 + ky) * 3 + kx] *
                       x(ch, t + kt, y + ky - 1, xx + kx - 1);
          pooled[o] += std::max(0.0, s);
        }
      }
    }
    pooled[o] /= double(t_out * kH * kW);
  }
  double logits[2];
  for (int k = 0; k < 2; ++k) {
    logits[k] = w.gemm_b[k] + w.gemm_w[k * 2] * pooled[0] + w.gemm_w[k * 2 + 1] * pooled[1];
  }
  const double m = std::max(logits[0], logits[1]);
  const double e0 = std::exp(logits[0] - m), e1 = std::exp(logits[1] - m);
  return {float(e0 / (e0 + e1)), float(e1 / (e0 + e1))};
}

// A white vertical bar (4 px) on dark grey, its left edge at x0.
Image Bar(int x0) {
  Image im;
  im.width = kW;
  im.height = kH;
  im.pixels.assign(kW * kH * 3, 30);
  for (int y = 0; y < kH; ++y)
    for (int x = x0; x < x0 + 4 && x < kW; ++x)
      for (int c = 0; c < 3; ++c) im.pixels[(y * kW + x) * 3 + c] = 250;
  return im;
}

class ClipModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_clip_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const std::string onnx = BuildModel(dir_, weights_);
    ModelManifest m;
    m.name = "conv3d_motion";
    m.version = 1;
    m.input = {"clip", kW, kH, 3, "NCHW", kT};
    m.preprocessing.align_corners = true;
    m.labels = {"still", "moving"};
    m.probabilities_output = "probabilities";
    auto repo = ModelRepository::OpenOrCreate((dir_ / "models").string());
    ASSERT_TRUE(repo.ok());
    auto added = (*repo)->Add(m, onnx);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<std::unique_ptr<video::FrameModel>> Load(const std::string& backend) {
    video::FrameModelOptions o;
    o.model_repository = (dir_ / "models").string();
    o.model = "conv3d_motion";
    o.backend = backend;
    o.max_batch = 2;
    return video::CreateFrameModel(o);
  }

  fs::path dir_;
  Weights weights_;
};

TEST_F(ClipModelTest, OpenCvBackendRunsConv3dLikeTheReference) {
  auto model = Load("opencv");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_STREQ((*model)->kind(), "clip");
  EXPECT_EQ((*model)->clip_length(), kT);
  // Three clips in one call (max_batch 2: two inference calls): moving right, still, moving left.
  std::vector<Image> frames;
  for (int t = 0; t < kT; ++t) frames.push_back(Bar(1 + 3 * t));
  for (int t = 0; t < kT; ++t) frames.push_back(Bar(6));
  for (int t = 0; t < kT; ++t) frames.push_back(Bar(12 - 3 * t));
  auto out = (*model)->Run(frames);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    std::vector<Image> clip(frames.begin() + c * kT, frames.begin() + (c + 1) * kT);
    const std::vector<float> ref = Reference(clip, weights_);
    ASSERT_EQ((*out)[c].scores.size(), 2u);
    EXPECT_NEAR((*out)[c].scores[0], ref[0], 1e-4) << "clip " << c;
    EXPECT_NEAR((*out)[c].scores[1], ref[1], 1e-4) << "clip " << c;
  }
  EXPECT_GT((*out)[0].scores[1], 0.9f);  // moving
  EXPECT_GT((*out)[1].scores[0], 0.6f);  // still
  EXPECT_GT((*out)[2].scores[1], 0.9f);  // moving
  // Not a whole number of clips: a clear error.
  frames.pop_back();
  EXPECT_EQ((*model)->Run(frames).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ClipModelTest, AutoBackendFallsBackToOneThatRunsIt) {
  auto model = Load("auto");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  std::vector<Image> frames;
  for (int t = 0; t < kT; ++t) frames.push_back(Bar(2 + 3 * t));
  auto out = (*model)->Run(frames);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::vector<float> ref = Reference(frames, weights_);
  EXPECT_NEAR((*out)[0].scores[1], ref[1], 1e-4);
}

TEST_F(ClipModelTest, ImageClassifierRefusesClipModels) {
  video::FrameModelOptions o;
  o.model_repository = (dir_ / "models").string();
  o.model = "conv3d_motion";
  auto as_image = video::CreateClassifierFrameModel(o);
  ASSERT_FALSE(as_image.ok());
  EXPECT_EQ(as_image.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(as_image.status().message().find("clip model"), std::string::npos);
}

}  // namespace
}  // namespace vigil
