// TrainClassifier end to end on a tiny generated dataset (reddish vs bluish images) with the real
// MobileNetV2 backbone ($VIGIL_MODELS; skipped when it lacks it, a failure with CI=true): validation split sizes, the embedding
// cache, installation into a temporary repository, and option errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "inference/head_file.h"
#include "unit/require_fixture.h"
#include "vigil/classifier.h"
#include "vigil/features.h"
#include "vigil/learn.h"

namespace vigil {
namespace {
namespace fs = std::filesystem;

// scripts/test exports VIGIL_MODELS (a worktree's models/ may be elsewhere).
const fs::path kBackbone = [] {
  const char* models = std::getenv("VIGIL_MODELS");
  return (models && *models ? fs::path(models) : fs::path(VIGIL_SOURCE_DIR) / "models") / "nsfw_mobilenet_v2";
}();

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_FIXTURE(fs::exists(kBackbone / "1" / "model.onnx"), kBackbone << "/1/model.onnx absent: run scripts/setup");
    dir_ = fs::temp_directory_path() / ("vigil_trainer_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "repo");
    fs::create_directory_symlink(fs::absolute(kBackbone), dir_ / "repo" / "nsfw_mobilenet_v2");
    std::mt19937 rng(3);
    for (const char* cls : {"blue", "red"}) {
      fs::create_directories(dir_ / "data" / cls);
      for (int i = 0; i < 10; ++i) {
        cv::Mat m(48, 64, CV_8UC3);
        for (int p = 0; p < m.rows * m.cols; ++p) {
          const int a = 150 + static_cast<int>(rng() % 100), b = static_cast<int>(rng() % 80);
          // BGR for imwrite.
          m.data[p * 3 + 0] = static_cast<uint8_t>(cls[0] == 'b' ? a : b);
          m.data[p * 3 + 1] = static_cast<uint8_t>(rng() % 80);
          m.data[p * 3 + 2] = static_cast<uint8_t>(cls[0] == 'r' ? a : b);
        }
        cv::imwrite((dir_ / "data" / cls / (std::to_string(i) + ".png")).string(), m);
      }
    }
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  TrainOptions Options() const {
    TrainOptions o;
    o.data = (dir_ / "data").string();
    o.backbone_model.repository = (dir_ / "repo").string();
    o.output_name = "colours";
    o.c_grid = {1.0};
    o.val_split = 0.2;
    o.cache_dir = (dir_ / "cache").string();
    return o;
  }
  fs::path dir_;
};

TEST_F(TrainerTest, TrainsInstallsAndReusesTheCache) {
  TrainOptions o = Options();
  o.views = 2;
  o.augment = "flip,jitter";
  auto r = TrainClassifier(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->classes, (std::vector<std::string>{"blue", "red"}));
  EXPECT_EQ(r->train.count, 16);
  EXPECT_EQ(r->validation.count, 4);
  EXPECT_EQ(r->test.count, 0);
  EXPECT_EQ(r->embeddings_computed, 16 * 2 + 4);
  EXPECT_EQ(r->validation.accuracy, 1.0);
  EXPECT_EQ(r->model_version, 1);
  ASSERT_TRUE(fs::exists(dir_ / "repo" / "colours" / "1" / "model.onnx"));

  // The installed model classifies like any other.
  ClassifierOptions c;
  c.model.repository = o.backbone_model.repository;
  c.model.name = "colours";
  auto classifier = ImageClassifier::Create(c);
  ASSERT_TRUE(classifier.ok()) << classifier.status().ToString();
  auto p = (*classifier)->ClassifyFile((dir_ / "data" / "red" / "0.png").string());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->labels[0].label, "red");

  // Same options again: every embedding from the cache, the same head, the next version.
  auto again = TrainClassifier(o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->embeddings_computed, 0);
  EXPECT_EQ(again->embeddings_cached, 36);
  EXPECT_EQ(again->temperature, r->temperature);
  EXPECT_EQ(again->model_version, 2);
  // Another seed draws other augmented views (and another validation split): not all cached.
  o.seed = 2;
  o.install = false;
  auto other = TrainClassifier(o);
  ASSERT_TRUE(other.ok());
  EXPECT_GT(other->embeddings_computed, 0);
}

TEST_F(TrainerTest, OptionErrors) {
  TrainOptions o = Options();
  o.output_name = "";
  EXPECT_EQ(TrainClassifier(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.normalization = "cube";
  EXPECT_EQ(TrainClassifier(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.head = "prototype";
  o.normalization = "standardize";  // prototypes always L2-normalise
  EXPECT_EQ(TrainClassifier(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.backbone = "nsfw_mobilenet_v2,nsfw_mobilenet_v2";  // two ONNX graphs cannot be one model.onnx
  EXPECT_EQ(TrainClassifier(o).status().code(), StatusCode::kUnsupported);
  o = Options();
  o.shots = -1;
  EXPECT_EQ(TrainClassifier(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.views = 3;  // no augmentation given
  EXPECT_EQ(TrainClassifier(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.head = "forest";
  EXPECT_EQ(TrainClassifier(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.backbone = "no_such_model";
  EXPECT_EQ(TrainClassifier(o).status().code(), StatusCode::kNotFound);
}

// Heads on classical descriptors (no network) and on MobileNetV2 + classical: installed as head
// files, loaded by ImageClassifier, whose probabilities equal the saved head's on the descriptors
// of the image decoded the classifier's way.
TEST_F(TrainerTest, HeadFileModelsClassifyLikeTheirHead) {
  struct Case {
    const char* backbone;
    const char* head;
    std::vector<std::string> inputs;
    bool has_onnx;
  };
  const Case cases[] = {{"classical", "rbf-svm", {"classical"}, false},
                        {"classical", "knn", {"classical"}, false},
                        {"classical", "prototype", {"classical"}, false},
                        {"nsfw_mobilenet_v2,classical", "logistic", {"embedding", "classical"}, true},
                        {"mobilenet_v2", "knn", {"embedding"}, true}};
  for (const Case& c : cases) {
    TrainOptions o = Options();
    o.backbone = c.backbone;
    o.head = c.head;
    o.output_name = std::string("colours_") + c.head;
    o.c_grid = {};
    o.folds = 3;
    auto r = TrainClassifier(o);
    ASSERT_TRUE(r.ok()) << c.backbone << " " << c.head << ": " << r.status().ToString();
    EXPECT_EQ(r->export_format, "head file");
    EXPECT_EQ(r->validation.accuracy, 1.0) << c.backbone << " " << c.head;
    const fs::path dir = r->model_directory;
    EXPECT_TRUE(fs::exists(dir / "head.json"));
    EXPECT_EQ(fs::exists(dir / "model.onnx"), c.has_onnx) << dir;
    ClassifierOptions co;
    co.model.repository = o.backbone_model.repository;
    co.model.name = o.output_name;
    auto classifier = ImageClassifier::Create(co);
    ASSERT_TRUE(classifier.ok()) << classifier.status().ToString();
    EXPECT_EQ((*classifier)->manifest().head.inputs, c.inputs);
    if (!c.has_onnx) EXPECT_EQ((*classifier)->backend_name(), "none");
    auto head = LoadHeadFile((dir / "head.json").string());
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ((*head)->type_name(), c.head);
    for (const char* cls : {"blue", "red"}) {
      const std::string path = (dir_ / "data" / cls / "3.png").string();
      auto p = (*classifier)->ClassifyFile(path);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      EXPECT_EQ(p->labels[0].label, cls) << c.head;
      ASSERT_EQ(static_cast<int>(p->embedding.size()), (*head)->input_dim());
      if (!c.has_onnx) {
        // The classifier's head input is exactly the descriptor vector of the decoded image.
        auto image = ReadImageFile(path, (*classifier)->decode_options());
        ASSERT_TRUE(image.ok());
        auto f = ComputeFeatureVector(*image);
        ASSERT_TRUE(f.ok());
        EXPECT_EQ(*f, p->embedding);
      }
      std::vector<float> expected = (*head)->Probabilities(p->embedding.data()).value();
      for (const LabelScore& ls : p->labels) {
        const int k = ls.label == "blue" ? 0 : 1;
        EXPECT_NEAR(ls.score, expected[k], 1e-6);
      }
    }
  }
}

TEST_F(TrainerTest, FewShotTrainingAndCurve) {
  // 3 shots per class of the 8 training images left after the validation split.
  TrainOptions o = Options();
  o.head = "prototype";
  o.shots = 3;
  o.install = false;
  auto r = TrainClassifier(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->train.count, 6);
  EXPECT_EQ(r->validation.accuracy, 1.0);
  // The curve needs a test split.
  EXPECT_EQ(EvaluateFewShot(o, {1, 3}, 2).status().code(), StatusCode::kInvalidArgument);
  fs::create_directories(dir_ / "split");
  fs::create_directory_symlink(dir_ / "data", dir_ / "split" / "train");
  fs::create_directory_symlink(dir_ / "data", dir_ / "split" / "test");
  o.data = (dir_ / "split").string();
  auto curve = EvaluateFewShot(o, {1, 3}, 3);
  ASSERT_TRUE(curve.ok()) << curve.status().ToString();
  ASSERT_EQ(curve->points.size(), 2u);
  EXPECT_EQ(curve->test_count, 20);
  EXPECT_EQ(curve->points[1].shots, 3);
  EXPECT_EQ(curve->points[1].macro_f1.size(), 3u);
  EXPECT_GE(curve->points[1].macro_f1_mean, 0.9);
  // Same seeds, same curve.
  auto again = EvaluateFewShot(o, {1, 3}, 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->points[0].macro_f1, curve->points[0].macro_f1);
}

}  // namespace
}  // namespace vigil
