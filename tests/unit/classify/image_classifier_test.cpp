// ImageClassifier on the real imported nsfwjs models (set-up imports them into models/):
// batch == single, concurrent calls == sequential, XNNPACK == OpenCV, embedding present, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "vigil/classifier.h"

namespace vigil {
namespace {
namespace fs = std::filesystem;

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
std::string ModelsDir() { return Env("VIGIL_MODELS", std::string(VIGIL_SOURCE_DIR) + "/models"); }
std::string SamplesDir() {
  return Env("VIGIL_TEST_DATA", std::string(VIGIL_SOURCE_DIR) + "/data") + "/images/samples";
}

std::vector<std::string> SamplePhotos(size_t n) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(SamplesDir(), ec)) {
    if (e.path().extension() == ".jpg" || e.path().extension() == ".png") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  if (out.size() > n) out.resize(n);
  return out;
}

float Score(const Prediction& p, const std::string& label) {
  for (const LabelScore& l : p.labels) {
    if (l.label == label) return l.score;
  }
  return -1;
}

std::unique_ptr<ImageClassifier> MakeClassifier(const std::string& model, const std::string& backend,
                                                int max_batch = 16) {
  ClassifierOptions options;
  options.model.repository = ModelsDir();
  options.model.name = model;
  options.model.backend = backend;
  options.max_batch = max_batch;
  auto c = ImageClassifier::Create(options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

class ClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    photos_ = SamplePhotos(6);
    ASSERT_GE(photos_.size(), 4u) << "sample photos missing in " << SamplesDir()
                                  << ": run scripts/fetch-test-data";
  }
  std::vector<std::string> photos_;
};

TEST_F(ClassifierTest, BatchConcurrentAndSingleCallsAgree) {
  auto c = MakeClassifier("nsfw_mobilenet_v2", "xnnpack", 4);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->backend_name(), "xnnpack");
  std::vector<Image> images;
  std::vector<Prediction> single;
  for (const std::string& path : photos_) {
    auto img = ReadImageFile(path, c->decode_options());
    ASSERT_TRUE(img.ok()) << path << ": " << img.status().ToString();
    images.push_back(*img);
    auto p = c->Classify(*img);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_EQ(p->labels.size(), 5u);
    float sum = 0;
    for (size_t i = 0; i < p->labels.size(); ++i) {
      sum += p->labels[i].score;
      if (i) EXPECT_GE(p->labels[i - 1].score, p->labels[i].score);
    }
    EXPECT_NEAR(sum, 1.0f, 1e-4);
    EXPECT_EQ(p->embedding.size(), 1280u);
    single.push_back(*p);
  }
  // 6 images with max_batch 4: one batch of 4 and one of 2.
  auto batch = c->ClassifyBatch(images);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->size(), images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    for (const LabelScore& l : single[i].labels) {
      EXPECT_NEAR(Score((*batch)[i], l.label), l.score, 1e-5) << photos_[i] << " " << l.label;
    }
    for (size_t k = 0; k < 1280; k += 97) {
      EXPECT_NEAR((*batch)[i].embedding[k], single[i].embedding[k], 1e-4);
    }
  }
  // Four threads classifying concurrently get the same answers as sequential calls.
  std::vector<std::vector<Prediction>> per_thread(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t]() {
      for (const Image& img : images) {
        auto p = c->Classify(img);
        if (p.ok()) per_thread[t].push_back(*p);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& results : per_thread) {
    ASSERT_EQ(results.size(), images.size());
    for (size_t i = 0; i < images.size(); ++i) {
      EXPECT_EQ(results[i].labels[0].label, single[i].labels[0].label);
      EXPECT_NEAR(results[i].labels[0].score, single[i].labels[0].score, 1e-6);
    }
  }
}

TEST_F(ClassifierTest, XnnpackAndOpenCvBackendsAgree) {
  for (const char* model : {"nsfw_mobilenet_v2", "nsfw_inception_v3"}) {
    auto fast = MakeClassifier(model, "xnnpack");
    auto ref = MakeClassifier(model, "opencv");
    ASSERT_TRUE(fast && ref);
    EXPECT_EQ(ref->backend_name(), "opencv");
    for (size_t i = 0; i < 3; ++i) {
      auto a = fast->ClassifyFile(photos_[i]);
      auto b = ref->ClassifyFile(photos_[i]);
      ASSERT_TRUE(a.ok() && b.ok());
      for (const LabelScore& l : a->labels) {
        EXPECT_NEAR(l.score, Score(*b, l.label), 1e-4) << model << " " << photos_[i];
      }
      ASSERT_EQ(a->embedding.size(), b->embedding.size());
    }
  }
}

TEST_F(ClassifierTest, ClearErrorsForBadModelsOptionsAndImages) {
  ClassifierOptions options;
  options.model.repository = ModelsDir();
  options.model.name = "does_not_exist";
  EXPECT_EQ(ImageClassifier::Create(options).status().code(), StatusCode::kNotFound);
  options.model.name = "nsfw_mobilenet_v2";
  options.model.version = 99;
  EXPECT_EQ(ImageClassifier::Create(options).status().code(), StatusCode::kNotFound);
  options.model.version = 0;
  options.model.backend = "tpu";
  EXPECT_EQ(ImageClassifier::Create(options).status().code(), StatusCode::kInvalidArgument);
  options.model.backend = "auto";
  options.model.threads_per_session = 0;
  EXPECT_EQ(ImageClassifier::Create(options).status().code(), StatusCode::kInvalidArgument);

  auto c = MakeClassifier("nsfw_mobilenet_v2", "auto");
  ASSERT_TRUE(c);
  Image empty;
  EXPECT_EQ(c->Classify(empty).status().code(), StatusCode::kInvalidArgument);
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_FALSE(c->ClassifyBytes(junk, sizeof junk).ok());
  EXPECT_EQ(c->ClassifyFile("/nonexistent/x.jpg").status().code(), StatusCode::kNotFound);
  // A 1x1 image is valid input: it is stretched to the model size.
  Image one{1, 1, {200, 10, 10}};
  auto p = c->Classify(one);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->labels.size(), 5u);
}

TEST_F(ClassifierTest, TopKKeepsTheBestLabels) {
  ClassifierOptions options;
  options.model.repository = ModelsDir();
  options.top_k = 2;
  options.with_embedding = false;
  auto c = ImageClassifier::Create(options);
  ASSERT_TRUE(c.ok());
  auto all = MakeClassifier("nsfw_mobilenet_v2", "auto");
  auto a = (*c)->ClassifyFile(photos_[0]);
  auto b = all->ClassifyFile(photos_[0]);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->labels.size(), 2u);
  EXPECT_TRUE(a->embedding.empty());
  EXPECT_EQ(a->labels[0].label, b->labels[0].label);
  EXPECT_EQ(a->labels[1].label, b->labels[1].label);
}

}  // namespace
}  // namespace vigil
