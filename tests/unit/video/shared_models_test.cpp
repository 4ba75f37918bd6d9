// VideoTagger with a ModelProvider: the tagger runs the provider's loaded classifier and detector
// (the very instances: their reference count grows, nothing is loaded again) and tags a real clip
// exactly as a tagger with its own copies does; instances that do not fit the tagger's options
// (threads, backend, top_k, detection thresholds) are not used.
#include <gtest/gtest.h>

#include "unit/video/fixed_provider.h"
#include "unit/video/video_fixtures.h"
#include "vigil/video_tagger.h"

namespace vigil {
namespace {

using namespace vigil::testing;  // NOLINT

std::string ModelsDir() {
  const char* env = std::getenv("VIGIL_MODELS");
  return env && *env ? env : std::string(VIGIL_SOURCE_DIR) + "/models";
}

class SharedModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClassifierOptions c;
    c.model.repository = ModelsDir();
    c.model.name = "nsfw_mobilenet_v2";
    c.max_batch = 1;  // like the service's default: the tagger's batches are split
    auto classifier = ImageClassifier::Create(c);
    ASSERT_TRUE(classifier.ok()) << classifier.status().ToString();
    provider_.classifier = std::move(*classifier);
    DetectorOptions d;
    d.model.repository = ModelsDir();
    d.model.name = "nanodet_coco";
    auto detector = Detector::Create(d);
    ASSERT_TRUE(detector.ok()) << detector.status().ToString();
    provider_.detector = std::move(*detector);
  }
  static VideoTaggerOptions Options() {
    VideoTaggerOptions o;
    o.common.repository = ModelsDir();
    o.models = {"nsfw_mobilenet_v2", "nanodet_coco"};
    o.sampler = "interval:8";
    return o;
  }
  FixedProvider provider_;
};

TEST_F(SharedModelsTest, TaggerRunsTheProvidersInstancesAndTagsLikeItsOwnCopies) {
  const std::string clip = VideosDir() + "/vtest.avi";
  ASSERT_TRUE(std::filesystem::exists(clip)) << clip << " missing: run scripts/fetch-test-data";
  auto shared = VideoTagger::Create(Options(), &provider_);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  ASSERT_EQ((*shared)->models().size(), 2u);
  for (const VideoTaggerModel& m : (*shared)->models()) EXPECT_TRUE(m.shared) << m.name;
  EXPECT_EQ((*shared)->models()[0].kind, "classification");
  EXPECT_EQ((*shared)->models()[1].kind, "detection");
  EXPECT_EQ((*shared)->models()[0].backend, provider_.classifier->backend_name());
  // The provider's reference plus the tagger's: the same object, not a copy.
  EXPECT_EQ(provider_.classifier.use_count(), 2);
  EXPECT_EQ(provider_.detector.use_count(), 2);

  auto own = VideoTagger::Create(Options());
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  for (const VideoTaggerModel& m : (*own)->models()) EXPECT_FALSE(m.shared) << m.name;

  auto a = (*shared)->Tag(clip);
  auto b = (*own)->Tag(clip);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(a->frames_sampled, 10);  // 79.5 s, one frame per 8 s
  ASSERT_EQ(a->models.size(), b->models.size());
  for (size_t m = 0; m < a->models.size(); ++m) {
    const ModelTags& x = a->models[m];
    const ModelTags& y = b->models[m];
    ASSERT_EQ(x.frames.size(), y.frames.size());
    for (size_t f = 0; f < x.frames.size(); ++f) {
      ASSERT_EQ(x.frames[f].scores.size(), y.frames[f].scores.size());
      for (size_t k = 0; k < x.frames[f].scores.size(); ++k) {
        EXPECT_NEAR(x.frames[f].scores[k], y.frames[f].scores[k], 1e-4)
            << x.model << " frame " << f << " label " << x.label_names[k];
      }
      EXPECT_EQ(x.frames[f].counts, y.frames[f].counts) << x.model << " frame " << f;
    }
    EXPECT_EQ(x.labels[0].label, y.labels[0].label);
  }
  // A street scene: Neutral, and the detector sees people.
  EXPECT_EQ(a->models[0].labels[0].label, "Neutral");
  EXPECT_EQ(a->models[1].labels[0].label, "person");
  shared->reset();
  EXPECT_EQ(provider_.classifier.use_count(), 1);
}

TEST_F(SharedModelsTest, InstancesThatDoNotFitAreNotUsed) {
  VideoTaggerOptions o = Options();
  o.common.threads_per_session = 2;  // the provider's sessions run 1 thread
  auto tagger = VideoTagger::Create(o, &provider_);
  ASSERT_TRUE(tagger.ok()) << tagger.status().ToString();
  for (const VideoTaggerModel& m : (*tagger)->models()) EXPECT_FALSE(m.shared) << m.name;
  EXPECT_EQ(provider_.classifier.use_count(), 1);

  o = Options();
  o.models = {"nsfw_mobilenet_v2"};
  o.common.backend = provider_.classifier->backend_name() == "opencv" ? "xnnpack" : "opencv";
  tagger = VideoTagger::Create(o, &provider_);
  ASSERT_TRUE(tagger.ok()) << tagger.status().ToString();
  EXPECT_FALSE((*tagger)->models()[0].shared);
  EXPECT_EQ((*tagger)->models()[0].backend, o.common.backend);

  // A classifier that keeps only its best labels, a detector with its own threshold.
  ClassifierOptions c;
  c.model.repository = ModelsDir();
  c.top_k = 2;
  auto top2 = ImageClassifier::Create(c);
  ASSERT_TRUE(top2.ok()) << top2.status().ToString();
  DetectorOptions d;
  d.model.repository = ModelsDir();
  d.thresholds.score_threshold = 0.9f;
  auto strict = Detector::Create(d);
  ASSERT_TRUE(strict.ok()) << strict.status().ToString();
  FixedProvider other;
  other.classifier = std::move(*top2);
  other.detector = std::move(*strict);
  tagger = VideoTagger::Create(Options(), &other);
  ASSERT_TRUE(tagger.ok()) << tagger.status().ToString();
  for (const VideoTaggerModel& m : (*tagger)->models()) EXPECT_FALSE(m.shared) << m.name;
  EXPECT_GT(other.asked, 0);
}

}  // namespace
}  // namespace vigil
