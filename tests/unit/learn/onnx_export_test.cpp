// Export round trip: backbone + trained head as one ONNX model, loaded through ImageClassifier on
// the XNNPACK, OpenCV and oneDNN backends, gives the probabilities the in-process head computes from the
// embedding of the same run (within 1e-5). Needs models/nsfw_mobilenet_v2 (skipped otherwise).
#include "inference/prototype_head.h"
#include "learn/head_training.h"
#include "learn/onnx_export.h"
#include "unit/require_fixture.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "vigil/classifier.h"
#include "vigil/model_repository.h"

namespace vigil {
namespace {
namespace fs = std::filesystem;

fs::path EnvDir(const char* name, const fs::path& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? fs::path(v) : fallback;
}
// scripts/test exports VIGIL_MODELS and VIGIL_TEST_DATA (a worktree's models/ may be elsewhere).
const fs::path kModels = EnvDir("VIGIL_MODELS", fs::path(VIGIL_SOURCE_DIR) / "models");
const fs::path kImages = EnvDir("VIGIL_TEST_DATA", fs::path(VIGIL_SOURCE_DIR) / "data") / "images" / "stellarium_dso" / "test";

std::vector<std::pair<std::string, int>> SomeImages(std::vector<std::string>* classes) {
  std::vector<std::pair<std::string, int>> out;
  if (!fs::is_directory(kImages)) return out;
  for (const auto& d : fs::directory_iterator(kImages)) classes->push_back(d.path().filename().string());
  std::sort(classes->begin(), classes->end());
  for (size_t k = 0; k < classes->size(); ++k) {
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(kImages / (*classes)[k])) files.push_back(f.path().string());
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i < files.size() && i < 4; ++i) out.emplace_back(files[i], static_cast<int>(k));
  }
  return out;
}

// MobileNetV2 embeddings of `images` (the backbone classifier is returned too).
void EmbedImages(const std::vector<std::pair<std::string, int>>& images, std::unique_ptr<ImageClassifier>* classifier,
                 std::vector<std::vector<float>>* x, std::vector<int>* y) {
  ClassifierOptions copts;
  copts.model.repository = kModels.string();
  copts.model.name = "nsfw_mobilenet_v2";
  auto created = ImageClassifier::Create(copts);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  *classifier = std::move(*created);
  for (const auto& [path, label] : images) {
    auto p = (*classifier)->ClassifyFile(path);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    x->push_back(p->embedding);
    y->push_back(label);
  }
}

TEST(OnnxExport, RoundTripMatchesInProcessHead) {
  const fs::path backbone = kModels / "nsfw_mobilenet_v2" / "1";
  std::vector<std::string> classes;
  auto images = SomeImages(&classes);
  VIGIL_REQUIRE_FIXTURE(fs::exists(backbone / "model.onnx") && !images.empty(),
                        "backbone " << backbone << " or images " << kImages << " absent: run scripts/setup");
  std::unique_ptr<ImageClassifier> classifier;
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  ASSERT_NO_FATAL_FAILURE(EmbedImages(images, &classifier, &x, &y));
  LinearHeadOptions hopts;
  hopts.c_grid = {0.1};
  auto fit = TrainLinearHead(x, y, static_cast<int>(classes.size()), hopts);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  LinearHead head = fit->head;
  head.temperature = 1.7f;  // exercise the folded temperature

  const fs::path tmp = fs::temp_directory_path() / ("vigil_export_test_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  ASSERT_TRUE(ExportHeadModel((backbone / "model.onnx").string(), head, {}, (tmp / "model.onnx").string()).ok());
  // The old probabilities branch is gone: only Gemm + Softmax were appended, outputs in order.
  onnx::ModelProto model;
  {
    std::ifstream in(tmp / "model.onnx", std::ios::binary);
    ASSERT_TRUE(model.ParseFromIstream(&in));
  }
  ASSERT_EQ(model.graph().output_size(), 2);
  EXPECT_EQ(model.graph().output(0).name(), "probabilities");
  EXPECT_EQ(model.graph().output(1).name(), "embedding");
  const int n = model.graph().node_size();
  EXPECT_EQ(model.graph().node(n - 1).op_type(), "Softmax");
  EXPECT_EQ(model.graph().node(n - 2).op_type(), "Gemm");
  for (int i = 0; i < n - 2; ++i) {
    for (const auto& in : model.graph().node(i).input()) EXPECT_NE(in, "embedding") << "old head kept";
  }

  auto repo = ModelRepository::OpenOrCreate((tmp / "repo").string());
  ASSERT_TRUE(repo.ok());
  ModelManifest m = classifier->manifest();
  m.name = "exported";
  m.version = 1;
  m.labels = classes;
  ASSERT_TRUE((*repo)->Add(m, (tmp / "model.onnx").string()).ok());
  for (const char* backend : {"xnnpack", "opencv", "onednn"}) {
    ClassifierOptions o;
    o.model.repository = (tmp / "repo").string();
    o.model.name = "exported";
    o.model.backend = backend;
    auto c = ImageClassifier::Create(o);
    ASSERT_TRUE(c.ok()) << backend << ": " << c.status().ToString();
    ASSERT_EQ((*c)->backend_name(), backend);
    for (const auto& [path, label] : images) {
      auto p = (*c)->ClassifyFile(path);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      ASSERT_EQ(p->embedding.size(), 1280u);
      std::vector<float> expected = head.Probabilities(p->embedding.data()).value();
      ASSERT_EQ(p->labels.size(), classes.size());
      for (const LabelScore& ls : p->labels) {
        const size_t k = std::find(classes.begin(), classes.end(), ls.label) - classes.begin();
        ASSERT_LT(k, classes.size());
        EXPECT_NEAR(ls.score, expected[k], 1e-5) << backend << " " << path << " " << ls.label;
      }
    }
  }
  fs::remove_all(tmp);
}

// Prototype and L2-normalised linear heads: ReduceL2 + Div before the Gemm. OpenCV DNN must run
// them; XNNPACK / oneDNN may not lower ReduceL2 / Div (kUnsupported is then accepted and
// reported), but where they load the model they must agree too.
TEST(OnnxExport, NormalisedHeadsRoundTrip) {
  const fs::path backbone = kModels / "nsfw_mobilenet_v2" / "1";
  std::vector<std::string> classes;
  auto images = SomeImages(&classes);
  VIGIL_REQUIRE_FIXTURE(fs::exists(backbone / "model.onnx") && !images.empty(),
                        "backbone " << backbone << " or images " << kImages << " absent: run scripts/setup");
  std::unique_ptr<ImageClassifier> classifier;
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  ASSERT_NO_FATAL_FAILURE(EmbedImages(images, &classifier, &x, &y));
  const int k = static_cast<int>(classes.size());
  auto proto = PrototypeHead::Train(x, y, k, PrototypeOptions());
  ASSERT_TRUE(proto.ok()) << proto.status().ToString();
  LinearHeadOptions hopts;
  hopts.c_grid = {1};
  hopts.norm = FeatureNorm::kL2;
  auto fit = TrainLinearHead(x, y, k, hopts);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  LinearHead l2 = fit->head;
  l2.temperature = 0.8f;

  const fs::path tmp = fs::temp_directory_path() / ("vigil_export_norm_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  auto repo = ModelRepository::OpenOrCreate((tmp / "repo").string());
  ASSERT_TRUE(repo.ok());
  const std::pair<const char*, const Head*> heads[] = {{"proto", proto->get()}, {"l2", &l2}};
  for (const auto& [name, head] : heads) {
    const fs::path onnx = tmp / (std::string(name) + ".onnx");
    Status exported = std::string(name) == "proto"
                          ? ExportHeadModel((backbone / "model.onnx").string(), **proto, {}, onnx.string())
                          : ExportHeadModel((backbone / "model.onnx").string(), l2, {}, onnx.string());
    ASSERT_TRUE(exported.ok()) << exported.ToString();
    onnx::ModelProto model;
    {
      std::ifstream in(onnx, std::ios::binary);
      ASSERT_TRUE(model.ParseFromIstream(&in));
    }
    const int n = model.graph().node_size();
    ASSERT_GE(n, 4);
    EXPECT_EQ(model.graph().node(n - 4).op_type(), "ReduceL2");
    EXPECT_EQ(model.graph().node(n - 3).op_type(), "Div");
    EXPECT_EQ(model.graph().node(n - 2).op_type(), "Gemm");
    EXPECT_EQ(model.graph().node(n - 1).op_type(), "Softmax");
    ModelManifest m = classifier->manifest();
    m.name = name;
    m.version = 1;
    m.labels = classes;
    ASSERT_TRUE((*repo)->Add(m, onnx.string()).ok());
    int backends_run = 0;
    for (const char* backend : {"opencv", "xnnpack", "onednn"}) {
      ClassifierOptions o;
      o.model.repository = (tmp / "repo").string();
      o.model.name = name;
      o.model.backend = backend;
      auto c = ImageClassifier::Create(o);
      if (!c.ok() && std::string(backend) != "opencv" && c.status().code() == StatusCode::kUnsupported) {
        std::printf("[ info ] %s head on %s: %s\n", name, backend, c.status().ToString().c_str());
        continue;
      }
      ASSERT_TRUE(c.ok()) << backend << ": " << c.status().ToString();
      ++backends_run;
      double worst = 0;
      for (const auto& [path, label] : images) {
        auto p = (*c)->ClassifyFile(path);
        ASSERT_TRUE(p.ok()) << p.status().ToString();
        std::vector<float> expected = head->Probabilities(p->embedding.data()).value();
        for (const LabelScore& ls : p->labels) {
          const size_t j = std::find(classes.begin(), classes.end(), ls.label) - classes.begin();
          ASSERT_LT(j, classes.size());
          EXPECT_NEAR(ls.score, expected[j], 1e-5) << name << " " << backend << " " << path << " " << ls.label;
          worst = std::max(worst, static_cast<double>(std::fabs(ls.score - expected[j])));
        }
      }
      std::printf("[ info ] %s head on %s: max |dp| %.2g\n", name, backend, worst);
    }
    EXPECT_GE(backends_run, 1);
  }
  fs::remove_all(tmp);
}

TEST(OnnxExport, RefusesMissingEmbedding) {
  const fs::path onnx = kModels / "nsfw_mobilenet_v2" / "1" / "model.onnx";
  VIGIL_REQUIRE_FIXTURE(fs::exists(onnx), onnx << " absent: run scripts/setup");
  LinearHead head;
  head.norm = FeatureNorm::kNone;
  head.num_classes = 2;
  head.dim = 1280;
  head.weights.assign(2 * 1280, 0.f);
  head.bias = {0.f, 0.f};
  const std::string out = (fs::temp_directory_path() / ("vigil_export_bad_" + std::to_string(::getpid()) + ".onnx")).string();
  HeadExportOptions o;
  o.embedding_output = "no_such_output";
  EXPECT_EQ(ExportHeadModel(onnx.string(), head, o, out).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace vigil
