// ClassificationService on the real imported models: same answers as ImageClassifier, dynamic
// batching, bounded queue (fails fast), unknown models and bad images as errors, draining shutdown.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "vigil/service.h"

namespace vigil {
namespace {

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
std::string ModelsDir() { return Env("VIGIL_MODELS", std::string(VIGIL_SOURCE_DIR) + "/models"); }
std::string Photo(const char* name) {
  return Env("VIGIL_TEST_DATA", std::string(VIGIL_SOURCE_DIR) + "/data") + "/images/samples/" + name;
}
std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

ServiceOptions Options() {
  ServiceOptions o;
  o.common.repository = ModelsDir();
  o.models = {"nsfw_mobilenet_v2"};
  o.workers = 2;
  return o;
}

TEST(ClassificationService, MatchesImageClassifierAndBatchesDynamically) {
  ServiceOptions o = Options();
  o.workers = 1;
  o.max_batch = 4;
  o.max_batch_delay = std::chrono::milliseconds(200);
  auto service = ClassificationService::Create(o);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  ClassifierOptions co;
  co.model.repository = ModelsDir();
  auto classifier = ImageClassifier::Create(co);
  ASSERT_TRUE(classifier.ok());

  const std::vector<std::string> photos = {Photo("fruits.jpg"), Photo("baboon.jpg"),
                                           Photo("messi5.jpg"), Photo("home.jpg")};
  std::vector<std::future<Result<ModelOutput>>> futures;
  for (const std::string& p : photos) {
    ClassifyRequest r;
    r.image_bytes = ReadAll(p);
    ASSERT_FALSE(r.image_bytes.empty()) << p << ": run scripts/fetch-test-data";
    r.top_k = 3;
    futures.push_back((*service)->Submit(std::move(r)));
  }
  for (size_t i = 0; i < photos.size(); ++i) {
    Result<ModelOutput> got = futures[i].get();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    auto want = (*classifier)->ClassifyFile(photos[i]);
    ASSERT_TRUE(want.ok());
    ASSERT_EQ(got->labels.size(), 3u);
    EXPECT_TRUE(got->embedding.empty());
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(got->labels[k].label, want->labels[k].label);
      EXPECT_NEAR(got->labels[k].score, want->labels[k].score, 1e-5);
    }
  }
  // One worker, 4 requests submitted together, 200 ms to fill: fewer calls than images.
  MetricFamily& batches = (*service)->metrics().Histogram("vigil_batch_size", "", {"model", "version"}, {});
  EXPECT_LT(batches.Value({"nsfw_mobilenet_v2", "1"}), 4);
  EXPECT_GE(batches.Value({"nsfw_mobilenet_v2", "1"}), 1);
  EXPECT_NE((*service)->metrics().Render().find("vigil_images_total{model=\"nsfw_mobilenet_v2\",version=\"1\",outcome=\"ok\"} 4"),
            std::string::npos);
}

TEST(ClassificationService, ErrorsArriveThroughTheFuture) {
  auto service = ClassificationService::Create(Options());
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  ClassifyRequest unknown;
  unknown.model = "nope";
  unknown.image_bytes = {1, 2, 3};
  EXPECT_EQ((*service)->Submit(std::move(unknown)).get().status().code(), StatusCode::kNotFound);
  ClassifyRequest junk;
  junk.image_bytes = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ((*service)->Submit(std::move(junk)).get().status().code(), StatusCode::kUnsupported);
  ClassifyRequest empty;
  EXPECT_EQ((*service)->Submit(std::move(empty)).get().status().code(), StatusCode::kInvalidArgument);
  ClassifyRequest late;
  late.image_bytes = ReadAll(Photo("fruits.jpg"));
  late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  EXPECT_EQ((*service)->Submit(std::move(late)).get().status().code(), StatusCode::kDeadlineExceeded);
  ASSERT_EQ((*service)->Models().size(), 1u);
  EXPECT_EQ((*service)->Models()[0].manifest.name, "nsfw_mobilenet_v2");
  EXPECT_TRUE((*service)->Ready());
}

TEST(ClassificationService, FullQueueFailsFastAndShutdownDrains) {
  ServiceOptions o = Options();
  o.workers = 1;
  o.max_queue = 2;
  auto service = ClassificationService::Create(o);
  ASSERT_TRUE(service.ok());
  const std::vector<uint8_t> bytes = ReadAll(Photo("fruits.jpg"));
  std::vector<std::future<Result<ModelOutput>>> futures;
  for (int i = 0; i < 40; ++i) {
    ClassifyRequest r;
    r.image_bytes = bytes;
    futures.push_back((*service)->Submit(std::move(r)));
  }
  (*service)->Shutdown();
  EXPECT_FALSE((*service)->Ready());
  int ok = 0, refused = 0;
  for (auto& f : futures) {
    Result<Prediction> r = f.get();  // every accepted request finished before Shutdown returned
    if (r.ok()) ++ok;
    else if (r.status().code() == StatusCode::kUnavailable) ++refused;
  }
  EXPECT_EQ(ok + refused, 40);
  EXPECT_GE(refused, 1);  // 40 submitted at once into a queue of 2
  EXPECT_GE(ok, 2);
  ClassifyRequest after;
  after.image_bytes = bytes;
  EXPECT_EQ((*service)->Submit(std::move(after)).get().status().code(), StatusCode::kUnavailable);
}

TEST(ClassificationService, ServesDetectorsOneImagePerCallWithFullResolutionBoxes) {
  ServiceOptions o = Options();
  o.models = {"nsfw_mobilenet_v2", "nanodet_coco"};
  o.max_batch = 4;
  o.max_batch_delay = std::chrono::milliseconds(50);
  auto service = ClassificationService::Create(o);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  ASSERT_TRUE((*service)->FindModel("nanodet_coco", 0));
  EXPECT_EQ((*service)->FindModel("nanodet_coco", 0)->task(), "detection");
  EXPECT_EQ((*service)->FindModel("nsfw_mobilenet_v2", 0)->task(), "classification");
  bool listed = false;
  for (const LoadedModel& m : (*service)->Models()) {
    if (m.manifest.name == "nanodet_coco") listed = m.manifest.task == "detection";
  }
  EXPECT_TRUE(listed);

  DetectorOptions dopt;
  dopt.model.repository = ModelsDir();
  dopt.model.name = "nanodet_coco";
  auto detector = Detector::Create(dopt);
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  const std::string photo = Photo("messi5.jpg");
  const std::vector<uint8_t> bytes = ReadAll(photo);
  ASSERT_FALSE(bytes.empty()) << photo << ": run scripts/fetch-test-data";
  std::vector<std::future<Result<ModelOutput>>> futures;
  for (int i = 0; i < 3; ++i) {
    ClassifyRequest r;
    r.model = "nanodet_coco";
    r.image_bytes = bytes;
    futures.push_back((*service)->Submit(std::move(r)));
  }
  auto want = (*detector)->DetectFile(photo);
  ASSERT_TRUE(want.ok());
  for (auto& f : futures) {
    Result<ModelOutput> got = f.get();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->model, "nanodet_coco");
    EXPECT_EQ(got->task, "detection");
    EXPECT_TRUE(got->labels.empty());
    EXPECT_EQ(got->image_width, 548);
    EXPECT_EQ(got->image_height, 342);
    ASSERT_EQ(got->detections.size(), want->detections.size());
    for (size_t d = 0; d < want->detections.size(); ++d) {
      EXPECT_EQ(got->detections[d].label, want->detections[d].label);
      EXPECT_FLOAT_EQ(got->detections[d].score, want->detections[d].score);
      EXPECT_FLOAT_EQ(got->detections[d].box.x_max, want->detections[d].box.x_max);
    }
    ASSERT_FALSE(got->tags.empty());
    EXPECT_EQ(got->tags[0].label, "person");
  }
  // Detectors are never batched: three images, three calls of one.
  const std::string metrics = (*service)->metrics().Render();
  EXPECT_NE(metrics.find("vigil_batch_size_bucket{model=\"nanodet_coco\",version=\"1\",le=\"1\"} 3"),
            std::string::npos)
      << metrics;

  // The same Submit serves the classifier, with its labels; detection thresholds are for detectors
  // only; bad images fail like classification.
  ClassifyRequest classify;
  classify.model = "nsfw_mobilenet_v2";
  classify.image_bytes = bytes;
  Result<ModelOutput> labels = (*service)->Submit(classify).get();
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->task, "classification");
  EXPECT_EQ(labels->labels.size(), 5u);
  EXPECT_TRUE(labels->detections.empty());
  ClassifyRequest wrong = classify;
  wrong.detect.score_threshold = 0.5f;
  EXPECT_EQ((*service)->CheckRequest(wrong).code(), StatusCode::kInvalidArgument);
  EXPECT_NE((*service)->CheckRequest(wrong).message().find("detection models only"), std::string::npos);
  EXPECT_EQ((*service)->Submit(wrong).get().status().code(), StatusCode::kInvalidArgument);
  ClassifyRequest truncated;
  truncated.model = "nanodet_coco";
  truncated.image_bytes.assign(bytes.begin(), bytes.begin() + bytes.size() / 3);
  EXPECT_EQ((*service)->Submit(truncated).get().status().code(), StatusCode::kDataLoss);
}

TEST(ClassificationService, DetectionRequestsCarryTheirOwnSettingsWithinTheLimits) {
  ServiceOptions o = Options();
  o.models = {"nanodet_coco"};
  o.workers = 1;
  o.detect_min_score_threshold = 0.2f;
  o.detect_max_detections = 4;
  auto service = ClassificationService::Create(o);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  DetectorOptions dopt;
  dopt.model.repository = ModelsDir();
  dopt.model.name = "nanodet_coco";
  auto detector = Detector::Create(dopt);
  ASSERT_TRUE(detector.ok());
  const std::vector<uint8_t> bytes = ReadAll(Photo("messi5.jpg"));
  auto submit = [&](DetectionThresholds params) {
    ClassifyRequest r;
    r.model = "nanodet_coco";
    r.image_bytes = bytes;
    r.detect = params;
    return (*service)->Submit(std::move(r)).get();
  };
  auto check = [&](DetectionThresholds params) {
    ClassifyRequest r;
    r.model = "nanodet_coco";
    r.detect = params;
    return (*service)->CheckRequest(r);
  };
  // Interleaved requests with different settings each get the Detector's answer for theirs.
  for (DetectionThresholds p : {DetectionThresholds{0.7f, -1, -1}, DetectionThresholds{},
                                DetectionThresholds{-1, 0.1f, 2}, DetectionThresholds{}}) {
    Result<ModelOutput> got = submit(p);
    auto want = (*detector)->DetectBytes(bytes.data(), bytes.size(), p);
    ASSERT_TRUE(got.ok() && want.ok()) << got.status().ToString();
    ASSERT_EQ(got->detections.size(), want->detections.size());
    for (size_t d = 0; d < want->detections.size(); ++d) {
      EXPECT_FLOAT_EQ(got->detections[d].score, want->detections[d].score);
    }
  }
  EXPECT_LT(submit({0.7f, -1, -1})->detections.size(), submit({})->detections.size());
  // The service's limits, beyond the valid ranges; the same check is public for front ends.
  Status low = check({0.1f, -1, -1});
  EXPECT_EQ(low.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(low.message().find("detect_min_score_threshold"), std::string::npos) << low.message();
  EXPECT_EQ(submit({0.1f, -1, -1}).status().message(), low.message());
  EXPECT_NE(submit({-1, -1, 5}).status().message().find("detect_max_detections"), std::string::npos);
  EXPECT_EQ(submit({-1, 1.5f, -1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(check({0.2f, 1, 4}).ok());
  o.detect_max_detections = 0;
  EXPECT_EQ(ClassificationService::Create(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(ClassificationService, RejectsBadOptionsAndEmptyRepositories) {
  ServiceOptions o = Options();
  o.max_batch = 0;
  EXPECT_EQ(ClassificationService::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.models = {"missing_model"};
  EXPECT_EQ(ClassificationService::Create(o).status().code(), StatusCode::kNotFound);
  o = Options();
  o.common.repository = "/nonexistent/models";
  EXPECT_EQ(ClassificationService::Create(o).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil
