// XNNPACK and OpenCV DNN backends against each other and against the naive reference interpreter,
// on small generated ONNX models covering every op the nsfwjs importer emits.
#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/backend.h"
#include "unit/runtime/agreement_models.h"
#include "unit/runtime/onnx_test_util.h"

namespace vigil {
namespace {

using testing::AgreementModel;
using testing::ModelBuilder;
using testing::ReferenceInterpreter;
using testing::RefTensor;
using testing::TempModelPath;

void ExpectClose(const Tensor& got, const RefTensor& want, const std::string& what, float tol = 1e-4f) {
  ASSERT_EQ(got.shape, want.shape) << what;
  ASSERT_EQ(got.data.size(), want.data.size()) << what;
  float worst = 0;
  size_t worst_i = 0;
  for (size_t i = 0; i < got.data.size(); ++i) {
    const float err = std::fabs(got.data[i] - want.data[i]) / (1.0f + std::fabs(want.data[i]));
    if (!(err <= worst)) {
      worst = err;
      worst_i = i;
    }
  }
  EXPECT_LE(worst, tol) << what << ": element " << worst_i << " got " << got.data[worst_i] << " want "
                        << want.data[worst_i];
}

RefTensor ToRef(const Tensor& t) { return RefTensor{t.shape, t.data}; }

// Runs the model through the reference, XNNPACK (1 and 2 threads) and OpenCV at each batch size.
void CheckModel(ModelBuilder& mb, const std::string& name, std::vector<int64_t> input_shape,
                std::vector<int> batches = {1, 3}, bool with_opencv = true) {
  const std::string path = mb.Save(TempModelPath(name));
  ReferenceInterpreter ref(mb.model());
  auto xnn = CreateXnnpackBackend(path);
  ASSERT_TRUE(xnn.ok()) << xnn.status().ToString();
  auto ocv = CreateOpenCvBackend(path);
  ASSERT_TRUE(ocv.ok()) << ocv.status().ToString();
  SessionOptions options;
  options.max_batch = *std::max_element(batches.begin(), batches.end());
  auto xnn1 = (*xnn)->CreateSession(options);
  ASSERT_TRUE(xnn1.ok()) << xnn1.status().ToString();
  options.threads = 2;
  auto xnn2 = (*xnn)->CreateSession(options);
  ASSERT_TRUE(xnn2.ok()) << xnn2.status().ToString();
  auto cv = (*ocv)->CreateSession(options);
  ASSERT_TRUE(cv.ok()) << cv.status().ToString();
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int batch : batches) {
    Tensor input;
    input.shape = input_shape;
    input.shape[0] = batch;
    input.data.resize(Tensor::NumElements(input.shape));
    for (float& v : input.data) v = dist(rng);
    const auto want = ref.Run(ToRef(input));
    const std::string tag = name + " batch " + std::to_string(batch);
    std::vector<Tensor> out1, out2, out_cv;
    Status s1 = (*xnn1)->Run(input, &out1);
    ASSERT_TRUE(s1.ok()) << s1.ToString();
    Status s2 = (*xnn2)->Run(input, &out2);
    ASSERT_TRUE(s2.ok()) << s2.ToString();
    ASSERT_EQ(out1.size(), want.size());
    for (size_t i = 0; i < out1.size(); ++i) {
      ASSERT_TRUE(want.count(out1[i].name)) << out1[i].name;
      ExpectClose(out1[i], want.at(out1[i].name), tag + " xnnpack/1 thread vs reference, " + out1[i].name);
      ExpectClose(out2[i], ToRef(out1[i]), tag + " xnnpack 2 threads vs 1 thread, " + out2[i].name);
    }
    if (!with_opencv) continue;
    Status sc = (*cv)->Run(input, &out_cv);
    ASSERT_TRUE(sc.ok()) << sc.ToString();
    ASSERT_EQ(out_cv.size(), out1.size());
    for (size_t i = 0; i < out_cv.size(); ++i) {
      EXPECT_EQ(out_cv[i].name, out1[i].name);
      ExpectClose(out_cv[i], want.at(out_cv[i].name), tag + " opencv vs reference, " + out_cv[i].name);
      ExpectClose(out_cv[i], ToRef(out1[i]), tag + " opencv vs xnnpack, " + out_cv[i].name);
    }
  }
  // Batch size changes back (re-setup of the cached operators).
  Tensor input;
  input.shape = input_shape;
  input.shape[0] = 1;
  input.data.assign(Tensor::NumElements(input.shape), 0.25f);
  std::vector<Tensor> out;
  ASSERT_TRUE((*xnn1)->Run(input, &out).ok());
  const auto want = ref.Run(ToRef(input));
  for (const Tensor& t : out) ExpectClose(t, want.at(t.name), name + " batch 1 again, " + t.name);
}

TEST(BackendAgreement, ConvSameValidStrideAsymmetricDilated) {
  AgreementModel m = testing::ConvSameValidStrideAsymmetricDilatedModel();
  CheckModel(m.mb, m.name, m.input_shape, m.batches);
}

TEST(BackendAgreement, PadFusedIntoStridedConv) {
  AgreementModel m = testing::PadFusedIntoStridedConvModel();
  CheckModel(m.mb, m.name, m.input_shape, m.batches);
}

TEST(BackendAgreement, DepthwiseBatchNormRelu6Residual) {
  AgreementModel m = testing::DepthwiseBatchNormRelu6ResidualModel();
  CheckModel(m.mb, m.name, m.input_shape, m.batches);
}

TEST(BackendAgreement, InceptionConcatBranchesAndPools) {
  AgreementModel m = testing::InceptionConcatBranchesAndPoolsModel();
  CheckModel(m.mb, m.name, m.input_shape, m.batches);
}

TEST(BackendAgreement, ActivationsAndFlatten) {
  AgreementModel m = testing::ActivationsAndFlattenModel();
  CheckModel(m.mb, m.name, m.input_shape, m.batches);
}

TEST(BackendAgreement, NchwInputAddConstantPad) {
  AgreementModel m = testing::NchwInputAddConstantPadModel();
  CheckModel(m.mb, m.name, m.input_shape, m.batches);
}

TEST(BackendAgreement, Opset10AttributeForms) {
  AgreementModel m = testing::Opset10AttributeFormsModel();
  CheckModel(m.mb, m.name, m.input_shape, m.batches);
}

}  // namespace
}  // namespace vigil
