// Scene quality on a real clip: freecol-opening.video.ogg (Theora, 77 s, dissolves and fades)
// against the hand-checked transitions in tests/fixtures/video/freecol_transitions.json.
#include <gtest/gtest.h>

#include <cstdio>

#include "video/transition_matching.h"
#include "video_fixtures.h"
#include "vigil/video.h"

namespace vigil {
namespace {

std::string TruthPath() { return std::string(VIGIL_SOURCE_DIR) + "/tests/fixtures/video/freecol_transitions.json"; }

TEST(TransitionMatching, OneToOneWithToleranceAndAmbiguousSpans) {
  video::LabelledTransitions truth;
  truth.transitions = {{1.0, 2.0}, {5.0, 5.1}};
  truth.ambiguous = {{8.0, 9.0}};
  truth.tolerance_s = 0.2;
  // 1.5 and 1.9 both fall in the first span: one match, one false positive; 5.25 within tolerance;
  // 8.5 ignored; 3.0 false positive.
  video::TransitionScore s = video::ScoreTransitions(truth, {1.5, 1.9, 3.0, 5.25, 8.5});
  EXPECT_EQ(s.detections, 4);
  EXPECT_EQ(s.matched, 2);
  EXPECT_DOUBLE_EQ(s.recall, 1.0);
  EXPECT_DOUBLE_EQ(s.precision, 0.5);
  EXPECT_EQ(s.false_positives.size(), 2u);
  video::TransitionScore none = video::ScoreTransitions(truth, {5.35});
  EXPECT_EQ(none.matched, 0);
  EXPECT_EQ(none.missed.size(), 2u);
}

TEST(ShotQuality, FreecolTransitionsRecallAndPrecision) {
  Result<video::LabelledTransitions> truth = video::ReadLabelledTransitions(TruthPath());
  ASSERT_TRUE(truth.ok()) << truth.status().ToString();
  ASSERT_GE(truth->transitions.size(), 20u);
  VideoReaderOptions options = testing::WithSampler("scene", 64, 48);
  testing::Sampled s = testing::ReadAll(testing::VideosDir() + "/freecol-opening.video.ogg", options);
  ASSERT_GE(s.shots.size(), 2u);
  std::vector<double> detections;
  for (size_t i = 1; i < s.shots.size(); ++i) detections.push_back(s.shots[i].start_s);
  // The scene sampler returns the first frame of every shot.
  ASSERT_EQ(s.frames.size(), s.shots.size());
  for (size_t i = 0; i < s.shots.size(); ++i) EXPECT_NEAR(s.frames[i].timestamp_s, s.shots[i].start_s, 1e-9);
  video::TransitionScore score = video::ScoreTransitions(*truth, detections);
  std::string fp, missed;
  for (double t : score.false_positives) fp += " " + std::to_string(t).substr(0, 5);
  for (int i : score.missed) missed += " " + std::to_string(truth->transitions[i].start_s).substr(0, 5);
  std::printf("freecol: %d detections, %d/%d matched, recall %.2f, precision %.2f; false positives:%s; missed:%s\n",
              score.detections, score.matched, score.transitions, score.recall, score.precision, fp.c_str(),
              missed.c_str());
  EXPECT_GE(score.recall, 0.6);
  EXPECT_GE(score.precision, 0.7);
}

}  // namespace
}  // namespace vigil
