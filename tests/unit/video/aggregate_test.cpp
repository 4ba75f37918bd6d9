// Aggregation, smoothing, segments and first crossings on synthetic score sequences whose answers
// are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "vigil/video_aggregate.h"

namespace vigil {
namespace {

// Two labels, five frames one second apart.
std::vector<ScoredFrame> TwoLabelTrack() {
  return {{0.0, {0.9f, 0.1f}},
          {1.0, {0.6f, 0.4f}},
          {2.0, {0.2f, 0.8f}},
          {3.0, {0.3f, 0.7f}},
          {4.0, {0.8f, 0.2f}}};
}

TEST(AggregateScoresTest, MeanMaxVoteTopK) {
  const auto frames = TwoLabelTrack();
  AggregateOptions o;
  // mean: (0.9+0.6+0.2+0.3+0.8)/5 = 0.56, (0.1+0.4+0.8+0.7+0.2)/5 = 0.44
  auto mean = AggregateScores(frames, 2, o);
  EXPECT_NEAR(mean[0], 0.56f, 1e-6);
  EXPECT_NEAR(mean[1], 0.44f, 1e-6);
  o.method = AggregateMethod::kMax;
  auto max = AggregateScores(frames, 2, o);
  EXPECT_FLOAT_EQ(max[0], 0.9f);
  EXPECT_FLOAT_EQ(max[1], 0.8f);
  // vote: label 0 wins frames 0, 1, 4 -> 3/5; label 1 wins frames 2, 3 -> 2/5.
  o.method = AggregateMethod::kVote;
  auto vote = AggregateScores(frames, 2, o);
  EXPECT_FLOAT_EQ(vote[0], 0.6f);
  EXPECT_FLOAT_EQ(vote[1], 0.4f);
  // top-2: (0.9+0.8)/2 = 0.85, (0.8+0.7)/2 = 0.75
  o.method = AggregateMethod::kTopK;
  o.top_k = 2;
  auto topk = AggregateScores(frames, 2, o);
  EXPECT_NEAR(topk[0], 0.85f, 1e-6);
  EXPECT_NEAR(topk[1], 0.75f, 1e-6);
  // k larger than the frame count: the mean of all frames.
  o.top_k = 10;
  auto all = AggregateScores(frames, 2, o);
  EXPECT_NEAR(all[0], 0.56f, 1e-6);
}

TEST(AggregateScoresTest, EmptyAndMismatchedFrames) {
  AggregateOptions o;
  EXPECT_EQ(AggregateScores({}, 3, o), std::vector<float>(3, 0.0f));
  // A frame with the wrong number of scores is ignored: mean of the other two.
  std::vector<ScoredFrame> frames = {{0, {1.0f, 0.0f}}, {1, {0.5f}}, {2, {0.0f, 1.0f}}};
  auto mean = AggregateScores(frames, 2, o);
  EXPECT_FLOAT_EQ(mean[0], 0.5f);
  EXPECT_FLOAT_EQ(mean[1], 0.5f);
}

TEST(AggregateScoresTest, VoteIgnoresEmptyFramesButCountsThem) {
  // Detection-style tags: frame 1 has nothing. Votes: label 1 (frame 0), label 0 (frame 2) of 3.
  std::vector<ScoredFrame> frames = {{0, {0.2f, 0.7f}}, {1, {0.0f, 0.0f}}, {2, {0.9f, 0.0f}}};
  AggregateOptions o;
  o.method = AggregateMethod::kVote;
  auto vote = AggregateScores(frames, 2, o);
  EXPECT_NEAR(vote[0], 1.0f / 3, 1e-6);
  EXPECT_NEAR(vote[1], 1.0f / 3, 1e-6);
}

TEST(ParseTest, NamesRoundTrip) {
  for (const char* name : {"mean", "max", "vote", "topk"}) {
    auto m = ParseAggregateMethod(name);
    ASSERT_TRUE(m.ok()) << name;
    EXPECT_STREQ(AggregateMethodName(*m), name);
  }
  EXPECT_EQ(ParseAggregateMethod("median").status().code(), StatusCode::kInvalidArgument);
  for (const char* name : {"none", "moving-average", "ema"}) {
    auto k = ParseSmoothingKind(name);
    ASSERT_TRUE(k.ok()) << name;
    EXPECT_STREQ(SmoothingKindName(*k), name);
  }
  EXPECT_FALSE(ParseSmoothingKind("gauss").ok());
}

TEST(SmoothScoresTest, MovingAverageCentredInTime) {
  // One label, values 0, 0, 3, 0, 0 at t = 0..4, window 2 s (+-1 s).
  std::vector<ScoredFrame> frames = {{0, {0}}, {1, {0}}, {2, {3}}, {3, {0}}, {4, {0}}};
  SmoothingOptions o{SmoothingKind::kMovingAverage, 2.0};
  auto s = SmoothScores(frames, o);
  // t=0: {0,0}/2 = 0; t=1: {0,0,3}/3 = 1; t=2: {0,3,0}/3 = 1; t=3: 1; t=4: {0,0}/2 = 0.
  EXPECT_FLOAT_EQ(s[0].scores[0], 0.0f);
  EXPECT_FLOAT_EQ(s[1].scores[0], 1.0f);
  EXPECT_FLOAT_EQ(s[2].scores[0], 1.0f);
  EXPECT_FLOAT_EQ(s[3].scores[0], 1.0f);
  EXPECT_FLOAT_EQ(s[4].scores[0], 0.0f);
  EXPECT_DOUBLE_EQ(s[2].time_s, 2.0);
  // Irregular sampling: t = 0, 0.5, 3 with window 2 s: t=0 sees {0, 0.5}, t=3 sees only itself.
  std::vector<ScoredFrame> irregular = {{0, {1}}, {0.5, {0}}, {3, {1}}};
  auto r = SmoothScores(irregular, o);
  EXPECT_FLOAT_EQ(r[0].scores[0], 0.5f);
  EXPECT_FLOAT_EQ(r[1].scores[0], 0.5f);
  EXPECT_FLOAT_EQ(r[2].scores[0], 1.0f);
}

TEST(SmoothScoresTest, EmaWithTimeConstant) {
  // tau = 1 s, steps of 1 s: a = 1 - e^-1 = 0.63212. x = 0, 1, 1; s = 0, a, a + a(1 - a).
  std::vector<ScoredFrame> frames = {{0, {0}}, {1, {1}}, {2, {1}}};
  auto s = SmoothScores(frames, {SmoothingKind::kEma, 1.0});
  const double a = 1 - std::exp(-1.0);
  EXPECT_FLOAT_EQ(s[0].scores[0], 0.0f);
  EXPECT_NEAR(s[1].scores[0], a, 1e-6);
  EXPECT_NEAR(s[2].scores[0], a + a * (1 - a), 1e-6);
  // A 2 s step moves further: a2 = 1 - e^-2.
  std::vector<ScoredFrame> gap = {{0, {0}}, {2, {1}}};
  EXPECT_NEAR(SmoothScores(gap, {SmoothingKind::kEma, 1.0})[1].scores[0], 1 - std::exp(-2.0), 1e-6);
  // kNone leaves the track alone.
  EXPECT_FLOAT_EQ(SmoothScores(frames, {SmoothingKind::kNone, 1.0})[1].scores[0], 1.0f);
}

TEST(FindSegmentsTest, SampleAndHoldRuns) {
  // Label 0 >= 0.5 at t = 0, 1, 4 -> [0, 2) and [4, 5) (the last frame holds to end_s = 5).
  // Label 1 >= 0.5 at t = 2, 3 -> [2, 4).
  SegmentOptions o;
  o.thresholds = {0.5f, 0.5f};
  auto segs = FindSegments(TwoLabelTrack(), 5.0, o);
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[0].label, 0);
  EXPECT_DOUBLE_EQ(segs[0].start_s, 0.0);
  EXPECT_DOUBLE_EQ(segs[0].end_s, 2.0);
  EXPECT_NEAR(segs[0].mean_score, 0.75f, 1e-6);  // (0.9 + 0.6) / 2
  EXPECT_FLOAT_EQ(segs[0].max_score, 0.9f);
  EXPECT_EQ(segs[0].frame_count, 2);
  EXPECT_EQ(segs[1].label, 0);
  EXPECT_DOUBLE_EQ(segs[1].start_s, 4.0);
  EXPECT_DOUBLE_EQ(segs[1].end_s, 5.0);
  EXPECT_EQ(segs[2].label, 1);
  EXPECT_DOUBLE_EQ(segs[2].start_s, 2.0);
  EXPECT_DOUBLE_EQ(segs[2].end_s, 4.0);
  EXPECT_NEAR(segs[2].mean_score, 0.75f, 1e-6);  // (0.8 + 0.7) / 2
}

TEST(FindSegmentsTest, GapMergingAndMinimumDuration) {
  SegmentOptions o;
  o.thresholds = {0.5f, 0.5f};
  // Label 0's gap [2, 4) is 2 s: merged with merge_gap_s = 2, not with 1.9.
  o.merge_gap_s = 1.9;
  EXPECT_EQ(FindSegments(TwoLabelTrack(), 5.0, o).size(), 3u);
  o.merge_gap_s = 2.0;
  auto merged = FindSegments(TwoLabelTrack(), 5.0, o);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_DOUBLE_EQ(merged[0].start_s, 0.0);
  EXPECT_DOUBLE_EQ(merged[0].end_s, 5.0);
  EXPECT_EQ(merged[0].frame_count, 3);
  EXPECT_NEAR(merged[0].mean_score, (0.9f + 0.6f + 0.8f) / 3, 1e-6);  // gap frames not counted
  // Minimum duration 1.5 s without merging drops label 0's 1 s tail [4, 5).
  o.merge_gap_s = 0;
  o.min_duration_s = 1.5;
  auto kept = FindSegments(TwoLabelTrack(), 5.0, o);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].label, 0);
  EXPECT_DOUBLE_EQ(kept[0].end_s, 2.0);
  EXPECT_EQ(kept[1].label, 1);
}

TEST(FindSegmentsTest, PerLabelThresholdsAndDefault) {
  SegmentOptions o;
  o.thresholds = {0.85f};      // label 0: only frame 0 (0.9) -> [0, 1)
  o.default_threshold = 0.75f;  // label 1: only frame 2 (0.8) -> [2, 3)
  auto segs = FindSegments(TwoLabelTrack(), 5.0, o);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_DOUBLE_EQ(segs[0].end_s, 1.0);
  EXPECT_EQ(segs[1].label, 1);
  EXPECT_DOUBLE_EQ(segs[1].start_s, 2.0);
  EXPECT_DOUBLE_EQ(segs[1].end_s, 3.0);
  // end_s before the last frame: the last frame holds for zero time.
  o.thresholds = {0.5f, 0.5f};
  auto short_end = FindSegments(TwoLabelTrack(), 0.0, o);
  EXPECT_DOUBLE_EQ(short_end[1].start_s, 4.0);
  EXPECT_DOUBLE_EQ(short_end[1].end_s, 4.0);
  EXPECT_TRUE(FindSegments({}, 5.0, o).empty());
}

TEST(FirstCrossingsTest, FirstFrameAtOrAboveThreshold) {
  SegmentOptions o;
  o.thresholds = {0.95f, 0.7f};
  auto first = FirstCrossings(TwoLabelTrack(), 2, o);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_FALSE(first[0].has_value());  // never reaches 0.95
  ASSERT_TRUE(first[1].has_value());
  EXPECT_DOUBLE_EQ(*first[1], 2.0);    // 0.8 at t = 2 (0.7 at t = 3 counts too, but later)
}

TEST(AggregateRangesTest, ShotsWithAndWithoutFrames) {
  // Shots [0, 2), [2, 4.5), [4.5, 4.8) (no frame inside: holds frame t=4), [4.8, 6).
  std::vector<TimeRange> shots = {{0, 2}, {2, 4.5}, {4.5, 4.8}, {4.8, 6}};
  std::vector<int> counts;
  AggregateOptions o;
  auto per_shot = AggregateRanges(TwoLabelTrack(), 2, shots, o, &counts);
  ASSERT_EQ(per_shot.size(), 4u);
  EXPECT_EQ(counts, (std::vector<int>{2, 3, 0, 0}));
  EXPECT_NEAR(per_shot[0][0], 0.75f, 1e-6);             // (0.9 + 0.6) / 2
  EXPECT_NEAR(per_shot[1][1], (0.8f + 0.7f + 0.2f) / 3, 1e-6);
  EXPECT_FLOAT_EQ(per_shot[2][0], 0.8f);                 // held from t = 4
  EXPECT_FLOAT_EQ(per_shot[3][1], 0.2f);
  EXPECT_EQ(AggregateRanges({}, 2, shots, o)[0], std::vector<float>(2, 0.0f));
}

}  // namespace
}  // namespace vigil

// Temporal pooling for the trainable temporal head, on a hand-worked 3-step sequence.
#include "video/temporal_pool.h"

namespace vigil {
namespace {

TEST(TemporalPoolTest, MeanStdMaxStep) {
  // Dimension 0: 1, 3, 2 -> mean 2, std sqrt(2/3), max 3, steps |2| + |-1| -> 1.5.
  // Dimension 1: 0, 0, 0 -> all zero.
  auto f = video::TemporalPoolFeatures({{1, 0}, {3, 0}, {2, 0}});
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 8u);
  EXPECT_FLOAT_EQ((*f)[0], 2.0f);
  EXPECT_NEAR((*f)[2], std::sqrt(2.0 / 3.0), 1e-6);
  EXPECT_FLOAT_EQ((*f)[4], 3.0f);
  EXPECT_FLOAT_EQ((*f)[6], 1.5f);
  for (int i : {1, 3, 5, 7}) EXPECT_FLOAT_EQ((*f)[i], 0.0f);
  EXPECT_FALSE(video::TemporalPoolFeatures({}).ok());
  EXPECT_FALSE(video::TemporalPoolFeatures({{1, 2}, {3}}).ok());
}

}  // namespace
}  // namespace vigil
