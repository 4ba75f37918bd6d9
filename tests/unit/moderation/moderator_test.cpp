// Moderator on the bundled models and sample photos (a detector class, "cat", plays the violating
// category), plus deliberately failing and slow models behind the ScoringModel interface: a model
// that errors or misses the deadline sends its categories to review, never to allow.
#include "vigil/moderation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "unit/require_fixture.h"
#include "vigil/classifier.h"
#include "vigil/detector.h"

namespace vigil {
namespace {

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != 0 ? v : fallback;
}
std::string ModelsDir() { return Env("VIGIL_MODELS", std::string(VIGIL_SOURCE_DIR) + "/models"); }
std::string Sample(const std::string& name) {
  return Env("VIGIL_TEST_DATA", std::string(VIGIL_SOURCE_DIR) + "/data") + "/images/samples/" + name;
}
bool HaveModels() {
  return std::filesystem::exists(ModelsDir() + "/nsfw_mobilenet_v2/1/model.onnx") &&
         std::filesystem::exists(ModelsDir() + "/nanodet_coco/1/model.onnx") &&
         std::filesystem::exists(Sample("chelsea.png"));
}

const char* kCatPolicy = R"(
name: cats
categories:
  - name: sexual
    severity: 3
    signal: {model: nsfw_mobilenet_v2, labels: [Porn, Hentai]}
    review_at: 0.5
    block_at: 0.9
  - name: cat
    severity: 2
    signal: {model: nanodet_coco, classes: [cat], min_score: 0.3}
    review_at: 0.3
    block_at: 0.5
)";

ModeratorOptions Options(const std::string& yaml) {
  ModeratorOptions o;
  Result<Policy> p = ParsePolicy(yaml);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (p.ok()) o.policy = *p;
  o.common.repository = ModelsDir();
  o.workers = 2;
  return o;
}

TEST(ModeratorTest, DecidesWithEveryModelOnOneDecodeAndMatchesTheModelsRunAlone) {
  VIGIL_REQUIRE_FIXTURE(HaveModels(), "models or samples missing: run scripts/setup");
  Result<std::unique_ptr<Moderator>> m = Moderator::Create(Options(kCatPolicy));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ((*m)->models().size(), 2u);
  EXPECT_EQ((*m)->models()[0].name, "nsfw_mobilenet_v2");

  Result<Decision> d = (*m)->ModerateFile(Sample("chelsea.png"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->media_type, "image");
  EXPECT_EQ(d->outcome, Outcome::kBlock) << DecisionToJson(*d);
  EXPECT_EQ(d->reason.rfind("cat: ", 0), 0u) << d->reason;
  EXPECT_EQ(d->action, "remove");
  ASSERT_EQ(d->categories.size(), 2u);
  const CategoryResult& cat = d->categories[1];
  EXPECT_EQ(cat.model, "nanodet_coco");
  ASSERT_FALSE(cat.evidence.empty());
  ASSERT_TRUE(cat.evidence[0].box.has_value());

  // The same numbers as each model run alone on the moderator's decode.
  DecodeInfo info;
  Result<Image> image = ReadImageFile(Sample("chelsea.png"), (*m)->decode_options(), &info);
  ASSERT_TRUE(image.ok());
  ClassifierOptions co;
  co.model.repository = ModelsDir();
  co.model.name = "nsfw_mobilenet_v2";
  auto classifier = ImageClassifier::Create(co);
  ASSERT_TRUE(classifier.ok());
  Result<ModelOutput> nsfw = (*classifier)->Score(*image);
  ASSERT_TRUE(nsfw.ok());
  EXPECT_NEAR(d->categories[0].score, SignalScore((*m)->policy().categories[0].signal, *nsfw, 0, 0), 1e-6);
  DetectorOptions dopt;
  dopt.model.repository = ModelsDir();
  auto detector = Detector::Create(dopt);
  ASSERT_TRUE(detector.ok());
  Result<ModelOutput> det = (*detector)->Score(*image);
  ASSERT_TRUE(det.ok());
  EXPECT_NEAR(cat.score, SignalScore((*m)->policy().categories[1].signal, *det, 0, 0), 1e-6);
  // Boxes are in the file's pixels (chelsea.png is 451x300).
  EXPECT_LE(cat.evidence[0].box->x_max, 451.0f);
  EXPECT_GT(cat.evidence[0].box->width(), 100.0f);

  // A photo without a cat or nudity is allowed.
  Result<Decision> coffee = (*m)->ModerateFile(Sample("coffee.png"));
  ASSERT_TRUE(coffee.ok());
  EXPECT_EQ(coffee->outcome, Outcome::kAllow) << DecisionToJson(*coffee);
  EXPECT_EQ(coffee->action, "none");
}

TEST(ModeratorTest, IdsAreStablePerContentPolicyAndModels) {
  VIGIL_REQUIRE_FIXTURE(HaveModels(), "models or samples missing: run scripts/setup");
  auto m = Moderator::Create(Options(kCatPolicy));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Result<Decision> a = (*m)->ModerateFile(Sample("chelsea.png"));
  Result<Decision> b = (*m)->ModerateFile(Sample("chelsea.png"));
  Result<Decision> c = (*m)->ModerateFile(Sample("coffee.png"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->id.size(), 4u + 32u);
  EXPECT_NE(a->id, c->id);
  std::string stricter = kCatPolicy;
  stricter.replace(stricter.find("block_at: 0.5"), 13, "block_at: 0.6");
  auto m2 = Moderator::Create(Options(stricter));
  ASSERT_TRUE(m2.ok());
  Result<Decision> d = (*m2)->ModerateFile(Sample("chelsea.png"));
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->id, a->id);  // another policy version
  EXPECT_EQ(d->content_sha256, a->content_sha256);

  // JSON round trip.
  Result<Decision> back = DecisionFromJson(DecisionToJson(*a));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(DecisionToJson(*back), DecisionToJson(*a));
}

TEST(ModeratorTest, UnknownModelsAndLabelsAreClearErrors) {
  VIGIL_REQUIRE_FIXTURE(HaveModels(), "models or samples missing: run scripts/setup");
  std::string bad_label = kCatPolicy;
  bad_label.replace(bad_label.find("classes: [cat]"), 14, "classes: [kitten]");
  Result<std::unique_ptr<Moderator>> m = Moderator::Create(Options(bad_label));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("no class 'kitten'"), std::string::npos) << m.status().message();
  std::string bad_model = kCatPolicy;
  bad_model.replace(bad_model.find("model: nanodet_coco"), 19, "model: no_such_model");
  m = Moderator::Create(Options(bad_model));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("no_such_model"), std::string::npos) << m.status().message();
  std::string wrong_task = kCatPolicy;
  wrong_task.replace(wrong_task.find("model: nanodet_coco"), 19, "model: nsfw_mobilenet_v2");
  m = Moderator::Create(Options(wrong_task));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("need a detection model"), std::string::npos) << m.status().message();
}

// A classifier with labels A and B that answers (A = a, B = 1 - a), fails, or waits for a gate.
class FakeModel : public ScoringModel {
 public:
  enum class Mode { kAnswer, kFail, kSlow };
  FakeModel(std::string name, Mode mode, float a) : mode_(mode), a_(a) {
    manifest_.name = std::move(name);
    manifest_.version = 1;
    manifest_.task = "classification";
    manifest_.labels = {"A", "B"};
    manifest_.input.width = manifest_.input.height = 8;
  }
  const ModelManifest& manifest() const override { return manifest_; }
  std::string backend_name() const override { return "none"; }
  const ModelSelection& selection() const override { return selection_; }
  ScoreParams defaults() const override { return {}; }
  int max_batch() const override { return 16; }
  const DecodeOptions& decode_options() const override { return decode_; }
  Result<std::vector<ModelOutput>> ScoreBatch(const std::vector<Image>& images, const ScoreParams&) const override {
    calls_ += 1;
    if (mode_ == Mode::kFail) return InternalError("weights are corrupt");
    if (mode_ == Mode::kSlow) {  // held until the test opens the gate (at most 30 s)
      gate_.wait_for(std::chrono::seconds(30));
      finished_ = true;
    }
    std::vector<ModelOutput> out(images.size());
    for (ModelOutput& o : out) {
      o.model = manifest_.name;
      o.version = 1;
      o.task = "classification";
      o.labels = {{"A", a_}, {"B", 1 - a_}};
    }
    return out;
  }
  mutable std::atomic<int> calls_{0};
  mutable std::atomic<bool> finished_{false};
  std::promise<void> open_;
  std::shared_future<void> gate_ = open_.get_future().share();

 private:
  Mode mode_;
  float a_;
  ModelManifest manifest_;
  ModelSelection selection_;
  DecodeOptions decode_;
};

class FakeProvider : public ModelProvider {
 public:
  std::shared_ptr<const ScoringModel> FindModel(const std::string& name, int) const override {
    for (const auto& m : models) {
      if (m->name() == name) return m;
    }
    return nullptr;
  }
  std::vector<std::shared_ptr<FakeModel>> models;
};

Image Gray() {
  Image img;
  img.width = img.height = 16;
  img.pixels.assign(16 * 16 * 3, 128);
  return img;
}

ModeratorOptions FakeOptions(const std::string& yaml) {
  ModeratorOptions o;
  Result<Policy> p = ParsePolicy(yaml);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (p.ok()) o.policy = *p;
  o.workers = 3;
  return o;
}

const char* kFakePolicy = R"(
name: fake
model_deadline_ms: 100
categories:
  - {name: good, signal: {model: good, labels: [A]}, review_at: 0.5, block_at: 0.9}
  - {name: broken, signal: {model: broken, labels: [A]}, review_at: 0.5, block_at: 0.9}
  - {name: slow, signal: {model: slow, labels: [A]}, review_at: 0.5, block_at: 0.9}
)";

TEST(ModeratorTest, FailingAndLateModelsSendTheirCategoriesToReview) {
  FakeProvider provider;
  provider.models = {std::make_shared<FakeModel>("good", FakeModel::Mode::kAnswer, 0.1f),
                     std::make_shared<FakeModel>("broken", FakeModel::Mode::kFail, 0.0f),
                     std::make_shared<FakeModel>("slow", FakeModel::Mode::kSlow, 0.0f)};
  auto m = Moderator::Create(FakeOptions(kFakePolicy), &provider);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Result<Decision> d = (*m)->ModerateImage(Gray(), "00");
  // The decision came back while the slow model was still held: the moderator did not wait for it.
  EXPECT_FALSE(provider.models[2]->finished_.load());
  provider.models[2]->open_.set_value();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->outcome, Outcome::kReview) << DecisionToJson(*d);
  EXPECT_EQ(d->categories[0].outcome, Outcome::kAllow);
  EXPECT_FALSE(d->categories[0].model_error);
  EXPECT_EQ(d->categories[1].outcome, Outcome::kReview);
  EXPECT_TRUE(d->categories[1].model_error);
  EXPECT_NE(d->categories[1].reason.find("weights are corrupt"), std::string::npos) << d->categories[1].reason;
  EXPECT_EQ(d->categories[2].outcome, Outcome::kReview);
  EXPECT_TRUE(d->categories[2].model_error);
  EXPECT_NE(d->categories[2].reason.find("deadline_exceeded"), std::string::npos) << d->categories[2].reason;
  EXPECT_TRUE(std::isnan(d->categories[2].score));
  EXPECT_NE(DecisionToJson(*d).find("\"score\":null"), std::string::npos);
}

TEST(ModeratorTest, OnModelErrorBlockBlocks) {
  FakeProvider provider;
  provider.models = {std::make_shared<FakeModel>("good", FakeModel::Mode::kAnswer, 0.1f),
                     std::make_shared<FakeModel>("broken", FakeModel::Mode::kFail, 0.0f),
                     std::make_shared<FakeModel>("slow", FakeModel::Mode::kAnswer, 0.0f)};
  std::string yaml = kFakePolicy;
  yaml.replace(yaml.find("model_deadline_ms"), 0, "on_model_error: block\n");
  auto m = Moderator::Create(FakeOptions(yaml), &provider);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Result<Decision> d = (*m)->ModerateImage(Gray(), "00");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->outcome, Outcome::kBlock);
  EXPECT_EQ(d->reason.rfind("broken: model broken", 0), 0u) << d->reason;
}

TEST(ModeratorTest, CascadeRunsTheSecondModelOnlyInTheUncertainBand) {
  const char* yaml = R"(
name: cascade
categories:
  - name: c
    signal: {model: cheap, labels: [A]}
    cascade: {model: costly, band: [0.2, 0.8]}
    review_at: 0.5
    block_at: 0.9
)";
  for (float cheap_score : {0.1f, 0.5f, 0.85f}) {
    FakeProvider provider;
    provider.models = {std::make_shared<FakeModel>("cheap", FakeModel::Mode::kAnswer, cheap_score),
                       std::make_shared<FakeModel>("costly", FakeModel::Mode::kAnswer, 0.95f)};
    auto m = Moderator::Create(FakeOptions(yaml), &provider);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Result<Decision> d = (*m)->ModerateImage(Gray(), "00");
    ASSERT_TRUE(d.ok());
    const bool in_band = cheap_score >= 0.2f && cheap_score < 0.8f;
    EXPECT_EQ(provider.models[1]->calls_.load(), in_band ? 1 : 0) << cheap_score;
    EXPECT_EQ(d->categories[0].model, in_band ? "costly" : "cheap");
    EXPECT_NEAR(d->categories[0].score, in_band ? 0.95 : cheap_score, 1e-6);
    EXPECT_EQ((*m)->stats().cascade_skipped, in_band ? 0 : 1);
  }
  // Without cascades the second model always decides.
  FakeProvider provider;
  provider.models = {std::make_shared<FakeModel>("cheap", FakeModel::Mode::kAnswer, 0.1f),
                     std::make_shared<FakeModel>("costly", FakeModel::Mode::kAnswer, 0.95f)};
  ModeratorOptions o = FakeOptions(yaml);
  o.cascade = false;
  auto m = Moderator::Create(o, &provider);
  ASSERT_TRUE(m.ok());
  Result<Decision> d = (*m)->ModerateImage(Gray(), "00");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(provider.models[0]->calls_.load(), 0);
  EXPECT_EQ(d->categories[0].model, "costly");
  EXPECT_EQ(d->outcome, Outcome::kBlock);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

std::string Video(const std::string& name) {
  return Env("VIGIL_TEST_DATA", std::string(VIGIL_SOURCE_DIR) + "/data") + "/videos/" + name;
}

// The cockatoo clip with "bird" as the stand-in violating class: segments, earliest time, and the
// early stop at the first blocking frame.
TEST(ModeratorVideoTest, SegmentsEarliestTimeAndEarlyStop) {
  VIGIL_REQUIRE_FIXTURE(HaveModels() && std::filesystem::exists(Video("cockatoo.mp4")),
                        "models or videos missing: run scripts/setup and scripts/fetch-test-data");
  const char* yaml = R"(
name: birds
categories:
  - name: bird
    signal: {model: nanodet_coco, classes: [bird], min_score: 0.2}
    review_at: 0.3
    block_at: 0.5
)";
  auto m = Moderator::Create(Options(yaml));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  VideoModerationOptions vo;
  vo.sample = "interval:1";
  vo.stop_early = false;
  Result<Decision> full = (*m)->ModerateVideo(Video("cockatoo.mp4"), vo);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->media_type, "video");
  EXPECT_EQ(full->outcome, Outcome::kBlock) << DecisionToJson(*full);
  EXPECT_FALSE(full->stopped_early);
  ASSERT_FALSE(full->segments.empty());
  const DecisionSegment& first = full->segments[0];
  EXPECT_EQ(first.category, "bird");
  EXPECT_LE(first.start_s, first.end_s);
  EXPECT_GE(first.evidence_time_s, first.start_s);
  EXPECT_LE(first.evidence_time_s, first.end_s);
  ASSERT_FALSE(first.evidence.empty());
  EXPECT_TRUE(first.evidence[0].box.has_value());
  EXPECT_DOUBLE_EQ(full->earliest_violation_s, first.start_s);
  EXPECT_GE(full->frames_scored, int(full->duration_s) - 1);
  EXPECT_NE(full->categories[0].reason.find(" s: "), std::string::npos) << full->categories[0].reason;

  vo.stop_early = true;
  Result<Decision> early = (*m)->ModerateVideo(Video("cockatoo.mp4"), vo);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ(early->outcome, full->outcome);
  EXPECT_EQ(early->id, full->id);  // same content, policy and models
  EXPECT_TRUE(early->stopped_early);
  EXPECT_LT(early->frames_scored, full->frames_scored);
  EXPECT_DOUBLE_EQ(early->earliest_violation_s, full->earliest_violation_s);

  // A policy nothing in the clip triggers: allowed, no segments, every frame scored.
  auto none = Moderator::Create(Options(R"(
name: knives
categories:
  - {name: knife, signal: {model: nanodet_coco, classes: [knife]}, review_at: 0.5, block_at: 0.8}
)"));
  ASSERT_TRUE(none.ok());
  Result<Decision> allowed = (*none)->ModerateVideo(Video("cockatoo.mp4"), vo);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->outcome, Outcome::kAllow);
  EXPECT_TRUE(allowed->segments.empty());
  EXPECT_LT(allowed->earliest_violation_s, 0);
  EXPECT_FALSE(allowed->stopped_early);
  EXPECT_EQ(allowed->frames_scored, full->frames_scored);
}

TEST(ModeratorVideoTest, BadVideosAreErrors) {
  VIGIL_REQUIRE_FIXTURE(HaveModels(), "models missing: run scripts/setup");
  auto m = Moderator::Create(Options(kCatPolicy));
  ASSERT_TRUE(m.ok());
  VideoModerationOptions vo;
  EXPECT_EQ((*m)->ModerateVideo("/nonexistent.mp4", vo).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE((*m)->ModerateVideo(Sample("chelsea.png") + std::string(1, '\n'), vo).ok());
  vo.sample = "interval:0";
  EXPECT_EQ((*m)->ModerateVideo(Video("cockatoo.mp4"), vo).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil
