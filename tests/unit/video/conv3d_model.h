// A generated clip-level model for tests: Conv3D over T = 4 frames of 16x16 that scores motion,
// its naive reference, a moving-bar image helper, and installation into a model repository.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "models/model_files.h"
#include "models/onnx_builder.h"
#include "vigil/image.h"
#include "vigil/model_repository.h"

namespace vigil::testing {

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

inline std::string BuildModel(const fs::path& dir, const Weights& w) {
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
inline std::vector<float> Reference(const std::vector<Image>& clip, const Weights& w) {
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
inline Image Bar(int x0) {
  Image im;
  im.width = kW;
  im.height = kH;
  im.pixels.assign(kW * kH * 3, 30);
  for (int y = 0; y < kH; ++y)
    for (int x = x0; x < x0 + 4 && x < kW; ++x)
      for (int c = 0; c < 3; ++c) im.pixels[(y * kW + x) * 3 + c] = 250;
  return im;
}

// Installs the model as conv3d_motion:1 (labels still, moving) into <dir>/models; returns the
// repository root.
inline std::string InstallConv3dModel(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::string onnx = BuildModel(dir, Weights());
  ModelManifest m;
  m.name = "conv3d_motion";
  m.version = 1;
  m.input = {"clip", kW, kH, 3, "NCHW", kT};
  m.labels = {"still", "moving"};
  m.probabilities_output = "probabilities";
  const std::string root = (dir / "models").string();
  auto repo = ModelRepository::OpenOrCreate(root);
  EXPECT_TRUE(repo.ok());
  if (repo.ok()) {
    auto added = (*repo)->Add(m, onnx, /*overwrite=*/true);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
  }
  return root;
}

}  // namespace vigil::testing
