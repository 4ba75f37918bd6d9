// The "detection" task in the model manifest: round trip and every validation error.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "vigil/model_manifest.h"

namespace vigil {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ModelManifest NanoDet() {
  auto m = ParseManifest(ReadText(std::string(VIGIL_SOURCE_DIR) + "/scripts/manifests/nanodet_coco.json"));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : ModelManifest{};
}

TEST(DetectionManifest, ShippedManifestsParse) {
  ModelManifest n = NanoDet();
  EXPECT_EQ(n.task, "detection");
  EXPECT_EQ(n.labels.size(), 80u);
  EXPECT_EQ(n.labels[0], "person");
  EXPECT_EQ(n.labels[79], "toothbrush");
  EXPECT_EQ(n.detection.architecture, "nanodet");
  EXPECT_EQ(n.detection.strides, (std::vector<int>{8, 16, 32}));
  EXPECT_EQ(n.detection.reg_max, 10);
  EXPECT_EQ(n.preprocessing.resize, "letterbox");
  auto c = ParseManifest(ReadText(std::string(VIGIL_SOURCE_DIR) + "/scripts/manifests/centernet_coco.json"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->detection.architecture, "centernet");
  EXPECT_EQ(c->detection.strides, (std::vector<int>{4}));
}

TEST(DetectionManifest, RoundTrip) {
  ModelManifest m = NanoDet();
  m.detection.score_threshold = 0.25f;
  m.detection.class_agnostic_nms = true;
  m.preprocessing.pad_value = 114;
  auto back = ParseManifest(SerializeManifest(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->detection.strides, m.detection.strides);
  EXPECT_EQ(back->detection.score_outputs, m.detection.score_outputs);
  EXPECT_EQ(back->detection.box_outputs, m.detection.box_outputs);
  EXPECT_FLOAT_EQ(back->detection.score_threshold, 0.25f);
  EXPECT_TRUE(back->detection.class_agnostic_nms);
  EXPECT_EQ(back->preprocessing.pad_value, 114);
  EXPECT_TRUE(back->preprocessing.half_pixel_centers);
  EXPECT_TRUE(back->probabilities_output.empty());
}

TEST(DetectionManifest, InvalidDetectionSectionsAreRefused) {
  struct Case {
    const char* what;
    void (*mutate)(ModelManifest*);
    const char* message;
  };
  const Case cases[] = {
      {"architecture", [](ModelManifest* m) { m->detection.architecture = "yolo"; }, "architecture"},
      {"no strides", [](ModelManifest* m) { m->detection.strides.clear(); }, "strides"},
      {"stride does not divide", [](ModelManifest* m) { m->detection.strides[2] = 30; }, "divide"},
      {"output count", [](ModelManifest* m) { m->detection.box_outputs.pop_back(); }, "outputs"},
      {"empty output", [](ModelManifest* m) { m->detection.score_outputs[0] = ""; }, "outputs"},
      {"reg_max", [](ModelManifest* m) { m->detection.reg_max = 0; }, "reg_max"},
      {"score threshold", [](ModelManifest* m) { m->detection.score_threshold = 1.5f; }, "score_threshold"},
      {"iou threshold", [](ModelManifest* m) { m->detection.iou_threshold = 0; }, "iou_threshold"},
      {"max detections", [](ModelManifest* m) { m->detection.max_detections = 0; }, "max_detections"},
      {"top_k", [](ModelManifest* m) { m->detection.top_k = 0; }, "top_k"},
      {"centernet strides", [](ModelManifest* m) { m->detection.architecture = "centernet"; }, "one value"},
      {"pad value", [](ModelManifest* m) { m->preprocessing.pad_value = 300; }, "pad_value"},
      {"resize", [](ModelManifest* m) { m->preprocessing.resize = "crop"; }, "resize"},
      {"task", [](ModelManifest* m) { m->task = "segmentation"; }, "task"},
  };
  for (const Case& c : cases) {
    ModelManifest m = NanoDet();
    c.mutate(&m);
    Status s = ValidateManifest(m);
    EXPECT_FALSE(s.ok()) << c.what;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.what << ": " << s.ToString();
    // The same error through the JSON path.
    EXPECT_FALSE(ParseManifest(SerializeManifest(m)).ok()) << c.what;
  }
}

TEST(DetectionManifest, MissingSectionsAreClearErrors) {
  std::string text = ReadText(std::string(VIGIL_SOURCE_DIR) + "/scripts/manifests/nanodet_coco.json");
  // Without "detection" a detection manifest is refused, naming the key.
  std::string no_detection = text;
  no_detection.replace(no_detection.find("\"detection\": {"), 14, "\"not_detection\": {");
  auto m = ParseManifest(no_detection);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("detection"), std::string::npos) << m.status().ToString();
  // A classification manifest still needs its probabilities output.
  ModelManifest c = NanoDet();
  c.task = "classification";
  EXPECT_FALSE(ValidateManifest(c).ok());
}

}  // namespace
}  // namespace vigil
