// The real users of the tfjs importer: nsfwjs's MobileNetV2 (224) and InceptionV3 (299) layers
// models, unwrapped by scripts/unwrap-nsfwjs.js (scripts/setup puts them in .vigil/tfjs/; or set
// VIGIL_TFJS_MODELS). Imports both, checks the import info and runs the ONNX with OpenCV DNN.
// Skipped when the unwrapped models are absent.
//
// With VIGIL_PARITY_DIR set (scripts/check-import-parity.js does this), it reads
// $VIGIL_PARITY_DIR/<model>/input.bin (float32 NHWC) and writes model.onnx, import_info.json and
// OpenCV's opencv_probabilities.bin / opencv_embedding.bin there for comparison with tfjs and ORT.
#include <gtest/gtest.h>

#include <cstdlib>

#include "models/tfjs_layers_import.h"
#include "tfjs_test_util.h"
#include "unit/require_fixture.h"

namespace vigil {
namespace {

using namespace tfjs_test;  // NOLINT(build/namespaces)

std::string TfjsModelsDir() {
  const char* env = std::getenv("VIGIL_TFJS_MODELS");
  return env && *env ? env : std::string(VIGIL_SOURCE_DIR) + "/.vigil/tfjs";
}

std::string FloatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

struct NsfwjsModel {
  const char* name;
  int size;
  int embedding_size;
  std::vector<std::string> layer_types;
};

class NsfwjsImport : public ::testing::TestWithParam<NsfwjsModel> {};

TEST_P(NsfwjsImport, ImportsAndRunsInOpenCv) {
  const NsfwjsModel& want = GetParam();
  const std::string model_json = TfjsModelsDir() + "/" + want.name + "/model.json";
  VIGIL_REQUIRE_FIXTURE(fs::exists(model_json), model_json << " not found: run scripts/setup (or node "
                                                             << "scripts/unwrap-nsfwjs.js node_modules/nsfwjs .vigil/tfjs)");
  ScratchDir scratch;
  const char* parity = std::getenv("VIGIL_PARITY_DIR");
  const fs::path out_dir = parity && *parity ? fs::path(parity) / want.name : scratch.path();
  fs::create_directories(out_dir);
  const std::string onnx_path = (out_dir / "model.onnx").string();

  Result<TfjsImportInfo> info = ImportTfjsLayersModel(model_json, onnx_path);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->input_name, "input_1");
  EXPECT_EQ(info->height, want.size);
  EXPECT_EQ(info->width, want.size);
  EXPECT_EQ(info->channels, 3);
  EXPECT_EQ(info->num_classes, 5);
  EXPECT_TRUE(info->softmax_output);
  EXPECT_EQ(info->embedding_output, "embedding");
  EXPECT_EQ(info->embedding_layer, "flatten_1");
  EXPECT_EQ(info->embedding_size, want.embedding_size);
  EXPECT_EQ(info->layer_types, want.layer_types);

  // Input: the parity script's, else seeded uniform [0, 1) with a batch of 2.
  const int h = info->height, w = info->width, c = info->channels;
  Nhwc input;
  const std::string input_path = (out_dir / "input.bin").string();
  if (parity && *parity && fs::exists(input_path)) {
    const std::string bytes = ReadFile(input_path);
    const size_t per_image = size_t(h) * w * c * sizeof(float);
    ASSERT_EQ(bytes.size() % per_image, 0u) << input_path;
    input = Nhwc(static_cast<int>(bytes.size() / per_image), h, w, c);
    std::memcpy(input.v.data(), bytes.data(), bytes.size());
  } else {
    std::mt19937 rng(7);
    input = RandomInput(rng, 2, h, w, c, 0, 1);
  }

  auto out = RunOpenCv(onnx_path, info->input_name, input, {"probabilities", "embedding"});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].size(), size_t(input.n) * 5);
  ASSERT_EQ(out[1].size(), size_t(input.n) * want.embedding_size);
  for (int b = 0; b < input.n; ++b) {
    double sum = 0;
    for (int k = 0; k < 5; ++k) sum += out[0][b * 5 + k];
    EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << b;
  }
  for (float v : out[1]) ASSERT_GE(v, 0.0f);  // pooled ReLU features

  // The batch dimension is symbolic: the last image alone gives its row of the batch.
  Nhwc last(1, h, w, c);
  std::copy(input.v.end() - last.v.size(), input.v.end(), last.v.begin());
  auto single = RunOpenCv(onnx_path, info->input_name, last, {"probabilities", "embedding"});
  ASSERT_EQ(single.size(), 2u);
  EXPECT_LT(MaxAbsDiff(single[0], std::vector<float>(out[0].end() - 5, out[0].end())), 1e-5f);

  if (parity && *parity) {
    WriteFile((out_dir / "opencv_probabilities.bin").string(), FloatBytes(out[0]));
    WriteFile((out_dir / "opencv_embedding.bin").string(), FloatBytes(out[1]));
    const json summary = {{"input_name", info->input_name},
                          {"height", h},
                          {"width", w},
                          {"channels", c},
                          {"num_classes", info->num_classes},
                          {"embedding_layer", info->embedding_layer},
                          {"embedding_size", info->embedding_size},
                          {"batch", input.n}};
    WriteFile((out_dir / "import_info.json").string(), summary.dump(2));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Tfjs, NsfwjsImport,
    ::testing::Values(
        NsfwjsModel{"mobilenet_v2",
                    224,
                    1280,
                    {"InputLayer", "ZeroPadding2D", "Conv2D", "BatchNormalization", "ReLU",
                     "DepthwiseConv2D", "Add", "AveragePooling2D", "Flatten", "Dense", "Dropout"}},
        NsfwjsModel{"inception_v3",
                    299,
                    2048,
                    {"InputLayer", "Conv2D", "BatchNormalization", "Activation", "MaxPooling2D",
                     "AveragePooling2D", "Concatenate", "Flatten", "Dense", "Dropout"}}),
    [](const ::testing::TestParamInfo<NsfwjsModel>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace vigil
