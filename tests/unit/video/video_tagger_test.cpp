// VideoTagger end to end: a generated clip (a bar standing still for 2 s, then moving for 2 s)
// tagged with the generated Conv3D motion model (segments, first crossing, JSON, progress,
// cancellation), a real clip with the nsfw classifier, bad files and bad options.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "unit/video/conv3d_model.h"
#include "unit/video/video_fixtures.h"
#include "vigil/video_tagger.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using namespace vigil::testing;  // NOLINT

std::string ModelsDir() {
  const char* env = std::getenv("VIGIL_MODELS");
  return env && *env ? env : std::string(VIGIL_SOURCE_DIR) + "/models";
}

// 64x64 at 10 fps, 4 s: a white 16-px bar on dark grey, still at x = 24 for t < 2 s, then moving
// 12 px per frame. Every frame a key frame (exact pixels for the test).
std::string StillThenMovingClip() {
  return Generate("still_then_moving.mp4",
                  "-f lavfi -i color=c=0x1e1e1e:s=64x64:r=10:d=4 "
                  "-f lavfi -i color=c=0xfafafa:s=16x64:r=10:d=4 "
                  "-filter_complex \"[0:v][1:v]overlay=x='if(lt(t,2),24,mod((t-2)*120,48))':y=0,"
                  "format=yuv420p\" -c:v mpeg4 -q:v 2 -g 1 ");
}

class VideoTaggerMotionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("vigil_tagger_" + std::to_string(::getpid()));
    repo_ = InstallConv3dModel(dir_);
    clip_ = StillThenMovingClip();
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  VideoTaggerOptions Options() const {
    VideoTaggerOptions o;
    o.common.repository = repo_;
    o.models = {"conv3d_motion"};
    o.common.backend = "opencv";
    o.sampler = "all";
    o.batch_size = 6;  // not a multiple of T = 4: clips span batches
    return o;
  }

  static inline fs::path dir_;
  static inline std::string repo_, clip_;
};

TEST_F(VideoTaggerMotionTest, MovingSegmentStartsWhereTheBarMoves) {
  ASSERT_FALSE(clip_.empty()) << "ffmpeg could not generate the fixture";
  auto tagger = VideoTagger::Create(Options());
  ASSERT_TRUE(tagger.ok()) << tagger.status().ToString();
  std::vector<double> progress;
  TagControl control;
  control.progress = [&](double f) { progress.push_back(f); };
  auto tags = (*tagger)->Tag(clip_, control);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(tags->frames_sampled, 40);
  ASSERT_EQ(tags->models.size(), 1u);
  const ModelTags& m = tags->models[0];
  EXPECT_EQ(m.kind, "clip");
  ASSERT_EQ(m.frames.size(), 10u);  // 40 frames / T = 4
  EXPECT_NEAR(m.frames[5].time_s, 2.0, 1e-6);
  EXPECT_NEAR(m.frames[5].end_s, 2.3, 1e-6);
  for (size_t c = 0; c < 10; ++c) {
    EXPECT_EQ(m.frames[c].scores[1] > 0.5f, c >= 5) << "clip " << c << " moving "
                                                    << m.frames[c].scores[1];
  }
  // One segment per label: still [0, 2), moving [2, 4).
  ASSERT_EQ(m.segments.size(), 2u);
  EXPECT_EQ(m.segments[0].label, "moving");
  EXPECT_NEAR(m.segments[0].start_s, 2.0, 1e-6);
  EXPECT_NEAR(m.segments[0].end_s, 4.0, 0.11);
  EXPECT_EQ(m.segments[1].label, "still");
  EXPECT_NEAR(m.segments[1].start_s, 0.0, 1e-6);
  EXPECT_NEAR(m.segments[1].end_s, 2.0, 1e-6);
  const VideoLabel* moving = nullptr;
  for (const VideoLabel& l : m.labels) {
    if (l.label == "moving") moving = &l;
  }
  ASSERT_NE(moving, nullptr);
  ASSERT_TRUE(moving->first_time_s.has_value());
  EXPECT_NEAR(*moving->first_time_s, 2.0, 1e-6);
  EXPECT_TRUE(moving->present);
  EXPECT_NEAR(moving->total_duration_s, 2.0, 0.11);
  // Progress ends at 1 and never goes back.
  ASSERT_FALSE(progress.empty());
  EXPECT_DOUBLE_EQ(progress.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));

  // The JSON form: the moving label with its segment, and per-frame (per-clip) annotations.
  VideoTagsJsonOptions jo;
  jo.frames = true;
  auto j = nlohmann::json::parse(VideoTagsToJson(*tags, jo));
  EXPECT_EQ(j["framesSampled"], 40);
  const auto& result = j["annotationResults"][0];
  EXPECT_EQ(result["model"], "conv3d_motion");
  bool found = false;
  for (const auto& a : result["segmentLabelAnnotations"]) {
    if (a["entity"]["description"] != "moving") continue;
    found = true;
    EXPECT_NEAR(a["firstTimeOffset"].get<double>(), 2.0, 1e-6);
    ASSERT_EQ(a["segments"].size(), 1u);
    EXPECT_NEAR(a["segments"][0]["segment"]["startTimeOffset"].get<double>(), 2.0, 1e-6);
  }
  EXPECT_TRUE(found);
  EXPECT_FALSE(result["frameLabelAnnotations"].empty());
}

TEST_F(VideoTaggerMotionTest, SmoothingMergingAndMinimumDuration) {
  ASSERT_FALSE(clip_.empty());
  VideoTaggerOptions o = Options();
  o.min_segment_s = 2.5;  // both 2 s segments are dropped
  auto tagger = VideoTagger::Create(o);
  ASSERT_TRUE(tagger.ok());
  auto tags = (*tagger)->Tag(clip_);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_TRUE(tags->models[0].segments.empty());
  // A 1.5 s centred moving average blurs the boundary: the clip at 1.6 s then averages its
  // neighbours at 1.2 (still) and 2.0 (moving), so "moving" starts earlier than 2.0 or stays.
  o.min_segment_s = 0;
  o.smoothing = {SmoothingKind::kMovingAverage, 1.5};
  o.keep_frames = false;
  auto smooth = VideoTagger::Create(o);
  ASSERT_TRUE(smooth.ok());
  auto st = (*smooth)->Tag(clip_);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->models[0].frames.empty());
  ASSERT_FALSE(st->models[0].segments.empty());
  for (const TaggedSegment& s : st->models[0].segments) {
    if (s.label == "moving") EXPECT_LE(s.start_s, 2.0 + 1e-6);
  }
}

TEST_F(VideoTaggerMotionTest, CancelledAndBadInputs) {
  ASSERT_FALSE(clip_.empty());
  auto tagger = VideoTagger::Create(Options());
  ASSERT_TRUE(tagger.ok());
  std::atomic<bool> cancel{true};
  TagControl control;
  control.cancel = &cancel;
  auto cancelled = (*tagger)->Tag(clip_, control);
  EXPECT_EQ(cancelled.status().code(), StatusCode::kUnavailable);

  EXPECT_EQ((*tagger)->Tag(ScratchDir() + "/missing.mp4").status().code(), StatusCode::kNotFound);
  const std::string random = WriteBytes("random.mp4", std::string(4096, '\x5a') + "junk");
  auto bad = (*tagger)->Tag(random);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().code() == StatusCode::kUnsupported ||
              bad.status().code() == StatusCode::kDataLoss)
      << bad.status().ToString();
}

TEST_F(VideoTaggerMotionTest, OptionErrors) {
  VideoTaggerOptions o = Options();
  o.batch_size = 0;
  EXPECT_EQ(VideoTagger::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.sampler = "every:2";
  EXPECT_EQ(VideoTagger::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.models = {"no_such_model"};
  EXPECT_EQ(VideoTagger::Create(o).status().code(), StatusCode::kNotFound);
  o = Options();
  o.threshold = 1.5f;
  EXPECT_EQ(VideoTagger::Create(o).status().code(), StatusCode::kInvalidArgument);
}

// Models loaded on a background thread while the first file decodes: the same tags as a tagger
// that loaded them in Create; a load error (here: a backend the model cannot run on) comes from
// Tag, every time, and models() is then empty; a missing model is still found by Create.
TEST_F(VideoTaggerMotionTest, BackgroundLoadingGivesTheSameTags) {
  ASSERT_FALSE(clip_.empty());
  auto eager = VideoTagger::Create(Options());
  ASSERT_TRUE(eager.ok()) << eager.status().ToString();
  VideoTaggerOptions o = Options();
  o.load_in_background = true;
  auto lazy = VideoTagger::Create(o);
  ASSERT_TRUE(lazy.ok()) << lazy.status().ToString();
  auto a = (*eager)->Tag(clip_);
  auto b = (*lazy)->Tag(clip_);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << " / " << b.status().ToString();
  EXPECT_EQ(VideoTagsToJson(*a).substr(0, VideoTagsToJson(*a).find("\"timings\"")),
            VideoTagsToJson(*b).substr(0, VideoTagsToJson(*b).find("\"timings\"")));
  EXPECT_GE(b->timings.load_wait_s, 0.0);
  ASSERT_EQ((*lazy)->models().size(), 1u);
  EXPECT_EQ((*lazy)->models()[0].name, "conv3d_motion");

  o.common.backend = "no_such_backend";
  auto broken = VideoTagger::Create(o);
  ASSERT_TRUE(broken.ok()) << broken.status().ToString();
  for (int i = 0; i < 2; ++i) EXPECT_FALSE((*broken)->Tag(clip_).ok());
  EXPECT_TRUE((*broken)->models().empty());
  o = Options();
  o.load_in_background = true;
  o.models = {"no_such_model"};
  EXPECT_EQ(VideoTagger::Create(o).status().code(), StatusCode::kNotFound);
}

TEST(VideoTaggerRealClipTest, NsfwClassifierOnVtestIsNeutralThroughout) {
  const std::string clip = VideosDir() + "/vtest.avi";
  ASSERT_TRUE(fs::exists(clip)) << clip << " missing: run scripts/fetch-test-data";
  VideoTaggerOptions o;
  o.common.repository = ModelsDir();
  o.models = {"nsfw_mobilenet_v2"};
  o.sampler = "interval:4";
  auto tagger = VideoTagger::Create(o);
  ASSERT_TRUE(tagger.ok()) << tagger.status().ToString();
  auto tags = (*tagger)->Tag(clip);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  // A street scene (people walking): 20 frames 4 s apart, all Neutral.
  EXPECT_EQ(tags->frames_sampled, 20);
  const ModelTags& m = tags->models[0];
  EXPECT_EQ(m.labels[0].label, "Neutral");
  EXPECT_GT(m.labels[0].confidence, 0.8f);
  ASSERT_TRUE(m.labels[0].first_time_s.has_value());
  EXPECT_DOUBLE_EQ(*m.labels[0].first_time_s, 0.0);
  EXPECT_NEAR(m.labels[0].total_duration_s, tags->info.duration_s, 0.5);
  for (size_t i = 1; i < m.frames.size(); ++i) {
    EXPECT_NEAR(m.frames[i].time_s - m.frames[i - 1].time_s, 4.0, 0.05);
  }
}

}  // namespace
}  // namespace vigil
