// MatchVideo on constructed frame hashes (a bank in a temp SQLite store): time ranges in the query
// and the original (merged across gaps up to merge_gap_s, split beyond), shares on both sides,
// best distance, grouping by known video, the min-share filter, still-image entries without
// original ranges, and VideoBankEntries carrying each frame's range.
#include <unistd.h>

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "vigil/video_hash.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

PdqHash RandomHash(std::mt19937_64& rng) { return PdqHash({rng(), rng(), rng(), rng()}); }

PdqHash FlipBits(const PdqHash& h, int n) {
  std::array<uint64_t, 4> w = h.words();
  for (int k = 0; k < n; ++k) w[(k * 37 % 256) >> 6] ^= uint64_t{1} << ((k * 37 % 256) & 63);
  return PdqHash(w);
}

VideoFrameHash Frame(const PdqHash& h, double start, double end, int frames = 1) {
  VideoFrameHash f;
  f.hash = h;
  f.quality = 100;
  f.start_s = start;
  f.end_s = end;
  f.frames = frames;
  return f;
}

class VideoMatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_video_match_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto store = OpenBankStore((dir_ / "vigil.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    BankInfo info;
    info.name = "videos";
    ASSERT_TRUE(store_->CreateBank(info).ok());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  fs::path dir_;
  std::unique_ptr<BankStore> store_;
};

TEST_F(VideoMatchTest, ReportsTimeRangesSharesAndDistancePerKnownVideo) {
  std::mt19937_64 rng(7);
  // The original: 20 frames, one per second, each hash distinct.
  VideoHash original;
  for (int i = 0; i < 20; ++i) original.frames.push_back(Frame(RandomHash(rng), i, i + 1));
  const std::vector<BankEntry> entries = VideoBankEntries(original, "vid-1", "terror", "list");
  ASSERT_EQ(entries.size(), 20u);
  EXPECT_DOUBLE_EQ(entries[3].start_s, 3.0);
  EXPECT_DOUBLE_EQ(entries[3].end_s, 4.0);
  EXPECT_EQ(entries[3].external_id, "vid-1");
  ASSERT_TRUE(store_->AddEntries("videos", entries).ok());
  // Another known video and a still image that the query also contains.
  VideoHash other;
  for (int i = 0; i < 5; ++i) other.frames.push_back(Frame(RandomHash(rng), i, i + 1));
  ASSERT_TRUE(store_->AddEntries("videos", VideoBankEntries(other, "vid-2", "", "list")).ok());
  BankEntry still;
  still.hash = RandomHash(rng);
  still.external_id = "img-9";
  ASSERT_TRUE(store_->AddEntries("videos", {still}).ok());

  // The query: original 5..9 s (edited: 6-10 bits off), 3 unrelated seconds, original 12..13 s,
  // then vid-2's first frame, then the still image; every query hash stands for 1 s.
  VideoHash query;
  double t = 0;
  auto add = [&](const PdqHash& h) { query.frames.push_back(Frame(h, t, t + 1)); t += 1; };
  for (int i = 5; i < 10; ++i) add(FlipBits(original.frames[i].hash, 6 + i % 5));
  for (int i = 0; i < 3; ++i) add(RandomHash(rng));
  for (int i = 12; i < 14; ++i) add(FlipBits(original.frames[i].hash, 4));
  add(other.frames[0].hash);
  add(FlipBits(still.hash, 2));

  auto matcher = PdqMatcher::Create(*store_);
  ASSERT_TRUE(matcher.ok()) << matcher.status().ToString();
  const std::vector<VideoMatch> matches = MatchVideo(**matcher, query);
  ASSERT_EQ(matches.size(), 3u);
  const VideoMatch& m = matches[0];  // the largest query share first
  EXPECT_EQ(m.bank, "videos");
  EXPECT_EQ(m.external_id, "vid-1");
  EXPECT_EQ(m.category, "terror");
  EXPECT_EQ(m.matched_hashes, 7);
  EXPECT_DOUBLE_EQ(m.query_share, 7.0 / 12.0);
  EXPECT_DOUBLE_EQ(m.original_share, 7.0 / 20.0) << "7 of the original's 20 s";
  EXPECT_EQ(m.best_distance, 4);
  // Query 0-5 s and 8-10 s: the 3 s gap is over merge_gap_s (1.5), so two ranges; in the original
  // 5-10 s and 12-14 s.
  ASSERT_EQ(m.query_ranges.size(), 2u);
  EXPECT_DOUBLE_EQ(m.query_ranges[0].start_s, 0);
  EXPECT_DOUBLE_EQ(m.query_ranges[0].end_s, 5);
  EXPECT_DOUBLE_EQ(m.query_ranges[1].start_s, 8);
  EXPECT_DOUBLE_EQ(m.query_ranges[1].end_s, 10);
  ASSERT_EQ(m.original_ranges.size(), 2u);
  EXPECT_DOUBLE_EQ(m.original_ranges[0].start_s, 5);
  EXPECT_DOUBLE_EQ(m.original_ranges[0].end_s, 10);
  EXPECT_DOUBLE_EQ(m.original_ranges[1].start_s, 12);
  EXPECT_DOUBLE_EQ(m.original_ranges[1].end_s, 14);

  // vid-2 and the still image: one query second each; the still has no original range.
  for (const VideoMatch& x : {matches[1], matches[2]}) {
    EXPECT_DOUBLE_EQ(x.query_share, 1.0 / 12.0);
    ASSERT_EQ(x.query_ranges.size(), 1u);
  }
  const VideoMatch& image = matches[1].external_id == "img-9" ? matches[1] : matches[2];
  const VideoMatch& vid2 = matches[1].external_id == "img-9" ? matches[2] : matches[1];
  EXPECT_EQ(image.external_id, "img-9");
  EXPECT_TRUE(image.original_ranges.empty());
  EXPECT_DOUBLE_EQ(image.original_share, 1.0);
  EXPECT_EQ(vid2.external_id, "vid-2");
  EXPECT_DOUBLE_EQ(vid2.original_share, 1.0 / 5.0) << "1 of vid-2's 5 s";
  EXPECT_DOUBLE_EQ(vid2.query_ranges[0].start_s, 10);
  EXPECT_DOUBLE_EQ(vid2.original_ranges.at(0).start_s, 0);

  // A wider merge gap joins the two ranges; a minimum share drops the small ones.
  VideoMatchOptions wide;
  wide.merge_gap_s = 3.5;
  wide.min_query_share = 0.5;
  wide.min_original_share = 0.5;
  const std::vector<VideoMatch> filtered = MatchVideo(**matcher, query, wide);
  ASSERT_EQ(filtered.size(), 2u) << "vid-1 by query share, img-9 by original share (1 of 1)";
  EXPECT_EQ(filtered[0].external_id, "vid-1");
  ASSERT_EQ(filtered[0].query_ranges.size(), 1u);
  EXPECT_DOUBLE_EQ(filtered[0].query_ranges[0].end_s, 10);
  EXPECT_EQ(filtered[1].external_id, "img-9");
}

TEST_F(VideoMatchTest, FarFramesAndLowQualityFramesDoNotMatch) {
  std::mt19937_64 rng(8);
  VideoHash original;
  for (int i = 0; i < 5; ++i) original.frames.push_back(Frame(RandomHash(rng), i, i + 1));
  ASSERT_TRUE(store_->AddEntries("videos", VideoBankEntries(original, "v", "", "")).ok());
  VideoHash query;
  query.frames.push_back(Frame(FlipBits(original.frames[0].hash, 40), 0, 1));  // over 31 bits
  query.frames.push_back(Frame(original.frames[1].hash, 1, 2));
  query.frames.back().quality = 10;  // below the bank's floor (50)
  auto matcher = PdqMatcher::Create(*store_);
  ASSERT_TRUE(matcher.ok());
  EXPECT_TRUE(MatchVideo(**matcher, query).empty());
}

TEST(VideoHashOptions, BadOptionsAreRefusedBeforeOpening) {
  VideoHashOptions o;
  o.interval_s = -1;
  EXPECT_EQ(HashVideoFile("/nonexistent.mp4", o).status().code(), StatusCode::kInvalidArgument);
  o = {};
  o.dedupe_distance = 300;
  EXPECT_EQ(HashVideoFile("/nonexistent.mp4", o).status().code(), StatusCode::kInvalidArgument);
  o = {};
  EXPECT_EQ(HashVideoFile("/nonexistent.mp4", o).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil
