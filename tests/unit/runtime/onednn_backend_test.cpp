// oneDNN backend against the naive reference interpreter and the XNNPACK backend: every generated
// agreement model (all ops the nsfwjs importer emits), models that exercise the oneDNN-specific
// paths (residual Add fused as a sum post-op, Winograd 3x3), sessions with different thread counts
// running at the same time, and the real nsfwjs models (within 1e-4 of XNNPACK, batch 1 and 3).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "runtime/backend.h"
#include "unit/runtime/agreement_models.h"
#include "unit/runtime/onnx_test_util.h"
#include "vigil/model_repository.h"

namespace vigil {
namespace {

using testing::AgreementModel;
using testing::ModelBuilder;
using testing::ReferenceInterpreter;
using testing::RefTensor;
using testing::WorstError;

// A model file under the build tree for this test file.
std::string TempModelPath(const std::string& name) { return testing::TempModelPath("onednn_" + name); }



void ExpectClose(const Tensor& got, const std::vector<int64_t>& shape, const std::vector<float>& want,
                 const std::string& what, float tol = 1e-4f) {
  ASSERT_EQ(got.shape, shape) << what;
  ASSERT_EQ(got.data.size(), want.size()) << what;
  EXPECT_LE(WorstError(got.data, want), tol) << what;
}

Tensor RandomTensor(std::vector<int64_t> shape, int batch, uint32_t seed) {
  Tensor t;
  t.shape = std::move(shape);
  t.shape[0] = batch;
  t.data.resize(Tensor::NumElements(t.shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : t.data) v = dist(rng);
  return t;
}

// oneDNN with 1 and 2 threads against the reference and XNNPACK at each batch size, then batch 1
// again (the remainder/full micro-batch plans are re-used).
void CheckOneDnn(ModelBuilder& mb, const std::string& name, const std::vector<int64_t>& input_shape,
                 const std::vector<int>& batches) {
  const std::string path = mb.Save(TempModelPath(name));
  ReferenceInterpreter ref(mb.model());
  auto dnn = CreateOneDnnBackend(path);
  ASSERT_TRUE(dnn.ok()) << dnn.status().ToString();
  EXPECT_EQ((*dnn)->kind(), BackendKind::kOneDnn);
  auto xnn = CreateXnnpackBackend(path);
  ASSERT_TRUE(xnn.ok()) << xnn.status().ToString();
  SessionOptions options;
  options.max_batch = *std::max_element(batches.begin(), batches.end());
  auto d1 = (*dnn)->CreateSession(options);
  ASSERT_TRUE(d1.ok()) << d1.status().ToString();
  auto x1 = (*xnn)->CreateSession(options);
  ASSERT_TRUE(x1.ok()) << x1.status().ToString();
  options.threads = 2;
  auto d2 = (*dnn)->CreateSession(options);
  ASSERT_TRUE(d2.ok()) << d2.status().ToString();
  for (int batch : batches) {
    const Tensor input = RandomTensor(input_shape, batch, 42 + batch);
    const auto want = ref.Run(RefTensor{input.shape, input.data});
    const std::string tag = name + " batch " + std::to_string(batch);
    std::vector<Tensor> o1, o2, ox;
    Status s = (*d1)->Run(input, &o1);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = (*d2)->Run(input, &o2);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = (*x1)->Run(input, &ox);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(o1.size(), want.size());
    ASSERT_EQ(o2.size(), o1.size());
    ASSERT_EQ(ox.size(), o1.size());
    for (size_t i = 0; i < o1.size(); ++i) {
      ASSERT_TRUE(want.count(o1[i].name)) << o1[i].name;
      const RefTensor& w = want.at(o1[i].name);
      ExpectClose(o1[i], w.shape, w.data, tag + " onednn/1 thread vs reference, " + o1[i].name);
      ExpectClose(o2[i], w.shape, w.data, tag + " onednn/2 threads vs reference, " + o2[i].name);
      EXPECT_EQ(ox[i].name, o1[i].name);
      ExpectClose(o1[i], ox[i].shape, ox[i].data, tag + " onednn vs xnnpack, " + o1[i].name);
    }
  }
  Tensor input = RandomTensor(input_shape, 1, 7);
  std::fill(input.data.begin(), input.data.end(), 0.25f);
  std::vector<Tensor> out;
  ASSERT_TRUE((*d1)->Run(input, &out).ok());
  const auto want = ref.Run(RefTensor{input.shape, input.data});
  for (const Tensor& t : out) {
    ExpectClose(t, want.at(t.name).shape, want.at(t.name).data, name + " batch 1 again, " + t.name);
  }
}

void CheckOneDnn(AgreementModel m) { CheckOneDnn(m.mb, m.name, m.input_shape, m.batches); }

TEST(OneDnnBackend, ConvSameValidStrideAsymmetricDilated) {
  CheckOneDnn(testing::ConvSameValidStrideAsymmetricDilatedModel());
}
TEST(OneDnnBackend, PadFusedIntoStridedConv) { CheckOneDnn(testing::PadFusedIntoStridedConvModel()); }
TEST(OneDnnBackend, DepthwiseBatchNormRelu6Residual) {
  CheckOneDnn(testing::DepthwiseBatchNormRelu6ResidualModel());
}
TEST(OneDnnBackend, InceptionConcatBranchesAndPools) {
  CheckOneDnn(testing::InceptionConcatBranchesAndPoolsModel());
}
TEST(OneDnnBackend, ActivationsAndFlatten) { CheckOneDnn(testing::ActivationsAndFlattenModel()); }
TEST(OneDnnBackend, NchwInputAddConstantPad) { CheckOneDnn(testing::NchwInputAddConstantPadModel()); }
TEST(OneDnnBackend, Opset10AttributeForms) { CheckOneDnn(testing::Opset10AttributeFormsModel()); }

TEST(OneDnnBackend, EveryAgreementModelIsCovered) {
  EXPECT_EQ(testing::AllAgreementModels().size(), 7u) << "add a TEST above for the new agreement model";
}

// Residual Adds in the forms the sum post-op fusion must get right: two chained residual blocks
// (the second residual is the first Add's in-place output), a residual read again after the
// convolution (must not be overwritten: no fusion), a Conv with its own fused Relu6 before the
// sum, the Add's fused Relu after it, and a Winograd-eligible 3x3 convolution (64 -> 64 channels).
TEST(OneDnnBackend, ResidualSumFusionAndWinograd) {
  ModelBuilder mb(13, 5);
  mb.Input("input_1", {-1, 9, 9, 3});
  std::string x = mb.Transpose("input_1", "nchw", {0, 3, 1, 2});
  x = mb.Conv(x, "stem", 3, 16, 3, {1, 1}, {1, 1, 1, 1});  // r0: a Conv output
  // Block 1: Add(r0, project(expand(r0))) with Relu.
  std::string e = mb.Clip(mb.Conv(x, "e1", 16, 32, 1, {1, 1}, {0, 0, 0, 0}), "e1_relu6", 0.0f, 6.0f);
  std::string p = mb.Conv(e, "p1", 32, 16, 1, {1, 1}, {0, 0, 0, 0});
  mb.Node("Add", {x, p}, {"add1"});
  mb.Node("Relu", {"add1"}, {"add1_relu"});
  // Block 2: the residual is block 1's output; the project Conv has its own Relu6.
  e = mb.Conv("add1_relu", "e2", 16, 24, 3, {1, 1}, {1, 1, 1, 1}, 8);
  p = mb.Clip(mb.Conv(e, "p2", 24, 16, 1, {1, 1}, {0, 0, 0, 0}), "p2_relu6", 0.0f, 6.0f);
  mb.Node("Add", {p, "add1_relu"}, {"add2"});
  // Block 3: the residual ("add2") is also read after the Add's Conv: no in-place fusion.
  p = mb.Conv("add2", "p3", 16, 16, 1, {1, 1}, {0, 0, 0, 0});
  mb.Node("Add", {"add2", p}, {"add3"});
  mb.Node("Add", {"add3", "add2"}, {"add4"});
  // Winograd-eligible convolutions.
  x = mb.Conv("add4", "widen", 16, 64, 1, {1, 1}, {0, 0, 0, 0});
  mb.Node("Relu", {x}, {"widen_relu"});
  x = mb.Conv("widen_relu", "wino", 64, 64, 3, {1, 1}, {1, 1, 1, 1});
  mb.Node("Add", {x, "widen_relu"}, {"wino_add"});
  mb.Node("GlobalAveragePool", {"wino_add"}, {"gap"});
  mb.Node("Flatten", {"gap"}, {"embedding"});
  mb.Output("embedding", 2);
  mb.Output("add2", 4);  // an intermediate graph output: never overwritten in place
  CheckOneDnn(mb, "residual_wino", {1, 9, 9, 3}, {1, 3, 4});
}

// Sessions with 1 and 2 threads on the same Backend, running at the same time, give the results
// of a session running alone.
TEST(OneDnnBackend, ConcurrentSessionsWithDifferentThreadCounts) {
  AgreementModel m = testing::InceptionConcatBranchesAndPoolsModel();
  const std::string path = m.mb.Save(TempModelPath("concurrent"));
  auto dnn = CreateOneDnnBackend(path);
  ASSERT_TRUE(dnn.ok()) << dnn.status().ToString();
  const Tensor input = RandomTensor(m.input_shape, 3, 11);
  auto alone = (*dnn)->CreateSession({1, 3});
  ASSERT_TRUE(alone.ok());
  std::vector<Tensor> expected;
  ASSERT_TRUE((*alone)->Run(input, &expected).ok());
  std::vector<std::unique_ptr<Session>> sessions;
  for (int threads : {1, 2, 1, 2}) {
    auto s = (*dnn)->CreateSession({threads, 3});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sessions.push_back(std::move(*s));
  }
  std::vector<float> worst(sessions.size(), 0.0f);
  std::vector<int> failures(sessions.size(), 0);
  std::vector<std::thread> workers;
  for (size_t w = 0; w < sessions.size(); ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < 20; ++i) {
        std::vector<Tensor> out;
        if (!sessions[w]->Run(input, &out).ok() || out.size() != expected.size()) {
          ++failures[w];
          continue;
        }
        for (size_t k = 0; k < out.size(); ++k) worst[w] = std::max(worst[w], WorstError(out[k].data, expected[k].data));
      }
    });
  }
  for (auto& t : workers) t.join();
  for (size_t w = 0; w < sessions.size(); ++w) {
    EXPECT_EQ(failures[w], 0) << "session " << w;
    EXPECT_LE(worst[w], 1e-5f) << "session " << w;
  }
}

TEST(OneDnnBackend, NamesAndAuto) {
  auto kind = ParseBackendKind("onednn");
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(*kind, BackendKind::kOneDnn);
  EXPECT_STREQ(BackendKindName(BackendKind::kOneDnn), "onednn");
  AgreementModel m = testing::PadFusedIntoStridedConvModel();
  auto a = CreateBackend(BackendKind::kAuto, m.mb.Save(TempModelPath("auto")));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->kind(), OneDnnPreferredOnThisCpu() ? BackendKind::kOneDnn : BackendKind::kXnnpack);
}

TEST(OneDnnBackend, UnsupportedOpIsNamed) {
  ModelBuilder mb;
  mb.Input("x", {-1, 3, 4, 4});
  mb.Conv("x", "conv", 3, 3, 1, {1, 1}, {0, 0, 0, 0});
  mb.Node("Exp", {"conv"}, {"exp"});
  mb.Output("exp", 4);
  auto b = CreateOneDnnBackend(mb.Save(TempModelPath("unsupported")));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(b.status().message().find("Exp"), std::string::npos) << b.status().message();
}

// The real nsfwjs models: oneDNN within 1e-4 (relative) of XNNPACK on every output.
std::string ModelsDir() {
  const char* env = std::getenv("VIGIL_MODELS");
  return env && *env ? env : std::string(VIGIL_SOURCE_DIR) + "/models";
}

class OneDnnRealModelTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OneDnnRealModelTest, MatchesXnnpack) {
  auto repo = ModelRepository::Open(ModelsDir());
  ASSERT_TRUE(repo.ok()) << repo.status().ToString() << " (run scripts/setup)";
  auto entry = (*repo)->Find(GetParam());
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  auto dnn = CreateOneDnnBackend(entry->onnx_path);
  ASSERT_TRUE(dnn.ok()) << dnn.status().ToString();
  auto xnn = CreateXnnpackBackend(entry->onnx_path);
  ASSERT_TRUE(xnn.ok()) << xnn.status().ToString();
  auto ds = (*dnn)->CreateSession({1, 3});
  auto xs = (*xnn)->CreateSession({1, 3});
  ASSERT_TRUE(ds.ok() && xs.ok());
  const ModelManifest& mf = entry->manifest;
  for (int batch : {1, 3}) {
    Tensor in;
    in.shape = {batch, mf.input.height, mf.input.width, 3};
    in.data.resize(Tensor::NumElements(in.shape));
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(0.0f, 1.0f);
    for (float& v : in.data) v = dist(rng);
    std::vector<Tensor> a, b;
    Status sa = (*ds)->Run(in, &a);
    Status sb = (*xs)->Run(in, &b);
    ASSERT_TRUE(sa.ok() && sb.ok()) << sa.ToString() << " " << sb.ToString();
    ASSERT_EQ(a.size(), 2u);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].name, b[i].name);
      ASSERT_EQ(a[i].shape, b[i].shape) << a[i].name;
      const float worst = WorstError(a[i].data, b[i].data);
      EXPECT_LE(worst, 1e-4f) << a[i].name << " batch " << batch;
      std::printf("[ info ] %s %s batch %d: worst relative difference to XNNPACK %.1e\n", GetParam(),
                  a[i].name.c_str(), batch, worst);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Nsfwjs, OneDnnRealModelTest, ::testing::Values("nsfw_mobilenet_v2", "nsfw_inception_v3"));

}  // namespace
}  // namespace vigil
