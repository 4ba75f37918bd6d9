// Expected objects on classic photos from Debian packages (scikit-image and OpenCV samples): each
// listed label must be among the top tags of the detector, and texture-only photos must get none.
// Thresholds: NanoDet at 0.25 (below its 0.35 default, so that a weak but right detection such
// as the cup in coffee.png counts), CenterNet at its manifest default.
#include <gtest/gtest.h>

#include <algorithm>

#include "detector_fixture.h"
#include "vigil/detector.h"

namespace vigil {
namespace {
using testing_detect::DetectorRepository;
using testing_detect::SamplesDir;

struct Expectation {
  const char* photo;
  std::vector<std::string> labels;  // each must be among the top `top` tags; empty = no tag at all
  size_t top;
};

std::string TagList(const DetectionResult& r) {
  std::string s;
  for (const DetectionTag& t : r.tags) s += " " + t.label + ":" + std::to_string(t.score).substr(0, 4);
  return s.empty() ? " (none)" : s;
}

void CheckPhotos(const std::string& model, float threshold, const std::vector<Expectation>& table) {
  DetectorOptions options;
  options.model.repository = DetectorRepository();
  options.model.name = model;
  options.thresholds.score_threshold = threshold;
  auto detector = Detector::Create(options);
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  for (const Expectation& e : table) {
    auto r = (*detector)->DetectFile(SamplesDir() + "/" + e.photo);
    ASSERT_TRUE(r.ok()) << e.photo << ": " << r.status().ToString();
    std::printf("[ info ] %s %s:%s\n", model.c_str(), e.photo, TagList(*r).c_str());
    if (e.labels.empty()) {
      EXPECT_TRUE(r->tags.empty()) << e.photo << " should have no tag, got" << TagList(*r);
    }
    for (const std::string& label : e.labels) {
      const size_t n = std::min(e.top, r->tags.size());
      const bool found = std::any_of(r->tags.begin(), r->tags.begin() + n,
                                     [&](const DetectionTag& t) { return t.label == label; });
      EXPECT_TRUE(found) << e.photo << ": \"" << label << "\" not among the top " << e.top
                         << " tags:" << TagList(*r);
    }
  }
}

TEST(ExpectedObjects, NanoDet) {
  CheckPhotos("nanodet_coco", 0.25f,
              {
                  {"astronaut.png", {"person"}, 1},
                  {"chelsea.png", {"cat"}, 1},
                  {"coffee.png", {"cup"}, 2},
                  {"motorcycle_left.png", {"motorcycle"}, 1},
                  {"motorcycle_right.png", {"motorcycle"}, 1},
                  {"messi5.jpg", {"person", "sports ball"}, 2},
                  {"fruits.jpg", {"orange", "bowl"}, 2},
                  {"camera.png", {"person"}, 1},
                  {"rocket.jpg", {}, 0},  // a launch: no COCO class fits
                  {"brick.png", {}, 0},
                  {"grass.png", {}, 0},
                  {"page.png", {}, 0},
              });
}

TEST(ExpectedObjects, CenterNet) {
  CheckPhotos("centernet_coco", -1,
              {
                  {"astronaut.png", {"person"}, 1},
                  {"chelsea.png", {"cat"}, 1},
                  {"coffee.png", {"cup"}, 1},
                  {"motorcycle_left.png", {"motorcycle"}, 1},
                  {"messi5.jpg", {"person", "sports ball"}, 2},
                  {"fruits.jpg", {"orange"}, 2},
                  {"brick.png", {}, 0},
                  {"grass.png", {}, 0},
              });
}

}  // namespace
}  // namespace vigil
