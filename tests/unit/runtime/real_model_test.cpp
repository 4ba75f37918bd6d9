// Real models: the nsfwjs MobileNetV2 and InceptionV3 that set-up imports into the repository
// ($VIGIL_MODELS, default <source>/models). XNNPACK and OpenCV DNN agree on every output
// (probabilities and embedding) within 1e-4 relative, at batch 1 and 3, on seeded random input.
// Speed is measured by bench/classify_bench, not here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "runtime/backend.h"
#include "vigil/model_repository.h"

namespace vigil {
namespace {

std::string ModelsDir() {
  const char* env = std::getenv("VIGIL_MODELS");
  return env && *env ? env : std::string(VIGIL_SOURCE_DIR) + "/models";
}

Tensor RandomInput(const ModelManifest& m, int batch, uint32_t seed) {
  Tensor t;
  t.shape = {batch, m.input.height, m.input.width, 3};
  t.data.resize(Tensor::NumElements(t.shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (float& v : t.data) v = dist(rng);
  return t;
}

class RealModelTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RealModelTest, XnnpackMatchesOpenCv) {
  auto repo = ModelRepository::Open(ModelsDir());
  ASSERT_TRUE(repo.ok()) << repo.status().ToString() << " (run scripts/setup)";
  auto entry = (*repo)->Find(GetParam());
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  auto xnn = CreateXnnpackBackend(entry->onnx_path);
  ASSERT_TRUE(xnn.ok()) << xnn.status().ToString();
  auto ocv = CreateOpenCvBackend(entry->onnx_path);
  ASSERT_TRUE(ocv.ok()) << ocv.status().ToString();
  SessionOptions options;
  options.max_batch = 3;
  auto xs = (*xnn)->CreateSession(options);
  auto cs = (*ocv)->CreateSession(options);
  ASSERT_TRUE(xs.ok() && cs.ok());
  for (int batch : {1, 3}) {
    Tensor in = RandomInput(entry->manifest, batch, 7);
    std::vector<Tensor> a, b;
    Status sa = (*xs)->Run(in, &a);
    Status sb = (*cs)->Run(in, &b);
    ASSERT_TRUE(sa.ok() && sb.ok()) << sa.ToString() << " " << sb.ToString();
    ASSERT_EQ(a.size(), 2u);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].name, b[i].name);
      ASSERT_EQ(a[i].shape, b[i].shape) << a[i].name;
      EXPECT_EQ(a[i].shape[0], batch);
      float worst = 0;
      for (size_t k = 0; k < a[i].data.size(); ++k) {
        worst = std::max(worst, std::fabs(a[i].data[k] - b[i].data[k]) / (1.0f + std::fabs(b[i].data[k])));
      }
      EXPECT_LE(worst, 1e-4f) << a[i].name << " batch " << batch;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Nsfwjs, RealModelTest,
                         ::testing::Values("nsfw_mobilenet_v2", "nsfw_inception_v3"));

}  // namespace
}  // namespace vigil
