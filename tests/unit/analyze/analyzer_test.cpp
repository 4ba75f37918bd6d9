// Analyzer: a classifier and detectors on one decode give exactly what each model gives alone;
// merged tags; boxes in full-resolution pixels from files; errors.
#include <gtest/gtest.h>

#include "unit/detect/detector_fixture.h"
#include "vigil/analyzer.h"

namespace vigil {
namespace {
using testing_detect::DetectorRepository;
using testing_detect::SamplesDir;

AnalyzerOptions Options(std::vector<std::string> models) {
  AnalyzerOptions o;
  o.common.repository = DetectorRepository();
  o.models = std::move(models);
  return o;
}

TEST(Analyzer, ClassifierAndDetectorsOnOneDecodeMatchSingleModels) {
  auto analyzer = Analyzer::Create(Options({"nsfw_mobilenet_v2", "nanodet_coco", "centernet_coco"}));
  ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
  const auto& models = (*analyzer)->models();
  ASSERT_EQ(models.size(), 3u);
  EXPECT_EQ(models[0].task, "classification");
  EXPECT_EQ(models[1].task, "detection");
  EXPECT_EQ(models[2].name, "centernet_coco");
  // Decode covers the largest input (CenterNet, 512).
  EXPECT_EQ((*analyzer)->decode_options().min_width, 512);

  auto image = ReadImageFile(SamplesDir() + "/chelsea.png");
  ASSERT_TRUE(image.ok());
  auto a = (*analyzer)->Analyze(*image);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // One output per model, in the given order, each saying what it is.
  ASSERT_EQ(a->outputs.size(), 3u);
  EXPECT_EQ(a->outputs[0].task, "classification");
  EXPECT_EQ(a->outputs[1].task, "detection");
  EXPECT_EQ(a->outputs[1].model, "nanodet_coco");
  EXPECT_EQ(a->outputs[2].model, "centernet_coco");
  EXPECT_TRUE(a->outputs[0].detections.empty());
  EXPECT_TRUE(a->outputs[1].labels.empty());

  ClassifierOptions co;
  co.model.repository = DetectorRepository();
  co.model.name = "nsfw_mobilenet_v2";
  auto classifier = ImageClassifier::Create(co);
  ASSERT_TRUE(classifier.ok());
  auto p = (*classifier)->Classify(*image);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(a->outputs[0].labels.size(), p->labels.size());
  for (size_t i = 0; i < p->labels.size(); ++i) {
    EXPECT_EQ(a->outputs[0].labels[i].label, p->labels[i].label);
    EXPECT_EQ(a->outputs[0].labels[i].score, p->labels[i].score);
  }
  DetectorOptions dop;
  dop.model.repository = DetectorRepository();
  dop.model.name = "nanodet_coco";
  auto detector = Detector::Create(dop);
  ASSERT_TRUE(detector.ok());
  auto d = (*detector)->Detect(*image);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(a->outputs[1].detections.size(), d->detections.size());
  for (size_t i = 0; i < d->detections.size(); ++i) {
    EXPECT_EQ(a->outputs[1].detections[i].label, d->detections[i].label);
    EXPECT_EQ(a->outputs[1].detections[i].box.x_min, d->detections[i].box.x_min);
  }
  // Merged tags: "cat" from both detectors, the best score of the two.
  ASSERT_FALSE(a->tags.empty());
  EXPECT_EQ(a->tags[0].label, "cat");
  float best = 0;
  for (const ModelOutput& r : a->outputs) {
    for (const DetectionTag& t : r.tags) {
      if (t.label == "cat") best = std::max(best, t.score);
    }
  }
  EXPECT_EQ(a->tags[0].score, best);
}

TEST(Analyzer, FileBoxesAreInFullResolutionPixels) {
  auto analyzer = Analyzer::Create(Options({"nanodet_coco"}));
  ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
  auto a = (*analyzer)->AnalyzeFile(SamplesDir() + "/messi5.jpg");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto full = ReadImageFile(SamplesDir() + "/messi5.jpg");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(a->image_width, full->width);
  EXPECT_EQ(a->outputs[0].image_width, full->width);
  for (const Detection& d : a->outputs[0].detections) {
    EXPECT_LE(d.box.x_max, full->width);
    EXPECT_LE(d.box.y_max, full->height);
  }
}

TEST(MergeTags, BestScoreAndLargestCount) {
  DetectionResult a, b;
  a.tags = {{"person", 0.8f, 3}, {"dog", 0.4f, 1}};
  b.tags = {{"person", 0.6f, 5}, {"cat", 0.7f, 1}};
  std::vector<DetectionTag> m = MergeTags({a, b});
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].label, "person");
  EXPECT_FLOAT_EQ(m[0].score, 0.8f);
  EXPECT_EQ(m[0].count, 5);
  EXPECT_EQ(m[1].label, "cat");
  EXPECT_EQ(m[2].label, "dog");
}

TEST(Analyzer, Errors) {
  EXPECT_EQ(Analyzer::Create(Options({})).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Analyzer::Create(Options({"nanodet_coco", "nanodet_coco:1"})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Analyzer::Create(Options({"nanodet_coco", "nope"})).status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(Analyzer::Create(Options({"nanodet_coco:x"})).ok());
  auto analyzer = Analyzer::Create(Options({"nanodet_coco"}));
  ASSERT_TRUE(analyzer.ok());
  const uint8_t junk[] = {0xff, 0xd8, 0xff, 0x00};
  EXPECT_FALSE((*analyzer)->AnalyzeBytes(junk, sizeof(junk)).ok());
  std::vector<DecodeInfo> wrong(2);
  EXPECT_FALSE((*analyzer)->AnalyzeBatch({Image{}}, &wrong).ok());
}

}  // namespace
}  // namespace vigil
