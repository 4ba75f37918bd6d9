// Clip-level models (input N x C x T x H x W): a generated 3D-convolution model installed in a
// temporary repository and run through the clip FrameModel adapter, checked against a naive
// reference of the same network and on its meaning (a moving bar vs a still frame).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "unit/video/conv3d_model.h"
#include "video/frame_model.h"

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT
namespace fs = std::filesystem;

class ClipModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_clip_" + std::to_string(::getpid()));
    InstallConv3dModel(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<std::unique_ptr<video::FrameModel>> Load(const std::string& backend) {
    video::FrameModelOptions o;
    o.model.repository = (dir_ / "models").string();
    o.model.name = "conv3d_motion";
    o.model.backend = backend;
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

TEST_F(ClipModelTest, BackendsWithoutFiveDimensionalOpsSaySo) {
  for (const char* backend : {"onednn", "xnnpack"}) {
    auto model = Load(backend);
    if (model.ok()) {
      // A backend that accepts it must compute the same thing.
      std::vector<Image> frames;
      for (int t = 0; t < kT; ++t) frames.push_back(Bar(2 + 3 * t));
      auto out = (*model)->Run(frames);
      ASSERT_TRUE(out.ok()) << backend << ": " << out.status().ToString();
      EXPECT_NEAR((*out)[0].scores[1], Reference(frames, weights_)[1], 1e-4) << backend;
    } else {
      EXPECT_EQ(model.status().code(), StatusCode::kUnsupported) << backend << ": "
                                                                 << model.status().ToString();
      std::printf("%s: %s\n", backend, model.status().message().c_str());
    }
  }
}

TEST_F(ClipModelTest, ImageClassifierRefusesClipModels) {
  video::FrameModelOptions o;
  o.model.repository = (dir_ / "models").string();
  o.model.name = "conv3d_motion";
  auto as_image = video::CreateScoringFrameModel(o);
  ASSERT_FALSE(as_image.ok());
  EXPECT_EQ(as_image.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(as_image.status().message().find("clip model"), std::string::npos);
}

}  // namespace
}  // namespace vigil
