// Samplers on generated clips with known key frames and cuts: exact timestamps for keyframes,
// interval (nearest frame, within half a frame) and all, cuts found within one frame, in mp4 (H.264),
// mkv (MPEG-4), webm (VP8/VP9) and avi; ParseSampler; output size, aspect and rotation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "unit/require_fixture.h"
#include "video_fixtures.h"
#include "vigil/video.h"

namespace vigil {
namespace {

using testing::CutsClip;
using testing::ReadAll;
using testing::WithSampler;

constexpr double kFps = 25, kFrame = 1.0 / kFps;
constexpr int kFrames = 150;

TEST(ParseSampler, AcceptsTheDocumentedForms) {
  EXPECT_EQ(ParseSampler("keyframes")->kind, SamplerKind::kKeyframes);
  EXPECT_DOUBLE_EQ(ParseSampler("keyframes")->keyframe_min_gap_s, 1.0);  // at most one per second
  EXPECT_DOUBLE_EQ(ParseSampler("keyframes:0.5")->keyframe_min_gap_s, 0.5);
  EXPECT_DOUBLE_EQ(ParseSampler("keyframes:0")->keyframe_min_gap_s, 0.0);  // every key frame
  EXPECT_EQ(ParseSampler("all")->kind, SamplerKind::kAll);
  Result<SamplerSpec> interval = ParseSampler("interval:1.5");
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(interval->kind, SamplerKind::kInterval);
  EXPECT_DOUBLE_EQ(interval->interval_s, 1.5);
  Result<SamplerSpec> scene = ParseSampler("scene:0.3");
  ASSERT_TRUE(scene.ok());
  EXPECT_DOUBLE_EQ(scene->scene_threshold, 0.3);
  EXPECT_DOUBLE_EQ(ParseSampler("scene")->scene_threshold, 0.0);
  for (const char* bad : {"", "key", "interval", "interval:", "interval:0", "interval:-1", "interval:abc",
                          "interval:1s", "scene:0", "scene:2", "scene:x", "all:3", "keyframes:-1", "keyframes:",
                          "keyframes:x", "keyframes:inf", "nan"}) {
    Result<SamplerSpec> r = ParseSampler(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  for (const char* text : {"keyframes", "keyframes:0", "keyframes:2.5", "all", "interval:1.5", "scene", "scene:0.3"}) {
    EXPECT_EQ(SamplerToString(*ParseSampler(text)), text);
  }
}

struct ClipCase {
  const char* ext;
  const char* codec;
};

class CutsClipTest : public ::testing::TestWithParam<ClipCase> {
 protected:
  std::string Clip(int gop) {
    if (!testing::HaveEncoder(GetParam().codec)) return "";
    return CutsClip(GetParam().ext, GetParam().codec, gop);
  }
};

TEST_P(CutsClipTest, AllFramesHaveExactTimestamps) {
  const std::string clip = Clip(10);
  VIGIL_REQUIRE_FIXTURE(testing::HaveEncoder(GetParam().codec), "encoder " << GetParam().codec << " not built into this ffmpeg");
  ASSERT_FALSE(clip.empty()) << "ffmpeg could not generate the " << GetParam().codec << " clip";
  testing::Sampled s = ReadAll(clip, WithSampler("all", 32, 24));
  ASSERT_EQ(static_cast<int>(s.frames.size()), kFrames);
  EXPECT_EQ(s.info.width, 160);
  EXPECT_EQ(s.info.height, 120);
  EXPECT_NEAR(s.info.fps, kFps, 1e-6);
  EXPECT_NEAR(s.info.duration_s, 6.0, 0.05);
  for (int i = 0; i < kFrames; ++i) {
    EXPECT_NEAR(s.frames[i].timestamp_s, i * kFrame, 1e-3) << i;
    EXPECT_EQ(s.frames[i].index, i);
    EXPECT_EQ(s.frames[i].image.width, 32);
    EXPECT_EQ(s.frames[i].image.height, 24);
    EXPECT_EQ(s.frames[i].image.pixels.size(), 32u * 24 * 3);
    EXPECT_EQ(s.frames[i].key_frame, i % 10 == 0) << i;
  }
}

TEST_P(CutsClipTest, KeyframesAreTheKnownGop) {
  const std::string clip = Clip(10);
  VIGIL_REQUIRE_FIXTURE(testing::HaveEncoder(GetParam().codec), "encoder " << GetParam().codec << " not built into this ffmpeg");
  ASSERT_FALSE(clip.empty()) << "ffmpeg could not generate the " << GetParam().codec << " clip";
  testing::Sampled s = ReadAll(clip, WithSampler("keyframes:0"));  // every key frame
  ASSERT_EQ(s.frames.size(), 15u);
  for (size_t i = 0; i < s.frames.size(); ++i) {
    EXPECT_NEAR(s.frames[i].timestamp_s, i * 10 * kFrame, 1e-3) << i;
    EXPECT_EQ(s.frames[i].index, static_cast<int64_t>(i * 10));
    EXPECT_TRUE(s.frames[i].key_frame);
    EXPECT_EQ(s.frames[i].image.width, 160);
  }
  // Only key frames reached the decoder.
  EXPECT_EQ(s.decoded, 15);
}

// Key frames every 0.4 s, thinned to one per second by default (0, 1.2, 2.4, 3.6, 4.8) and to one
// per 0.5 s with keyframes:0.5 (every other one); the dropped key packets never reach the decoder.
TEST_P(CutsClipTest, DenseKeyframesAreThinnedBeforeDecoding) {
  const std::string clip = Clip(10);
  VIGIL_REQUIRE_FIXTURE(testing::HaveEncoder(GetParam().codec), "encoder " << GetParam().codec << " not built into this ffmpeg");
  ASSERT_FALSE(clip.empty()) << "ffmpeg could not generate the " << GetParam().codec << " clip";
  for (const auto& [sampler, step] : {std::pair<const char*, int>{"keyframes", 3}, {"keyframes:0.5", 2}}) {
    testing::Sampled s = ReadAll(clip, WithSampler(sampler, 16, 16));
    const size_t expected = (15 + step - 1) / step;
    ASSERT_EQ(s.frames.size(), expected) << sampler;
    for (size_t i = 0; i < s.frames.size(); ++i) {
      EXPECT_NEAR(s.frames[i].timestamp_s, i * step * 10 * kFrame, 1e-3) << sampler << " " << i;
      EXPECT_TRUE(s.frames[i].key_frame);
    }
    EXPECT_EQ(s.decoded, static_cast<int64_t>(expected)) << sampler;
    bool noted = false;
    for (const std::string& n : s.notes) noted |= n.find("key frames closer than") != std::string::npos;
    EXPECT_TRUE(noted) << sampler;
  }
}

// Shot detection decodes every frame; the key-frame note gives that reason, not the codec.
TEST_P(CutsClipTest, KeyframesWithShotsSaysWhyEveryFrameIsDecoded) {
  const std::string clip = Clip(10);
  VIGIL_REQUIRE_FIXTURE(testing::HaveEncoder(GetParam().codec), "encoder " << GetParam().codec << " not built into this ffmpeg");
  ASSERT_FALSE(clip.empty()) << "ffmpeg could not generate the " << GetParam().codec << " clip";
  VideoReaderOptions o = WithSampler("keyframes:0", 16, 16);
  o.detect_shots = true;
  testing::Sampled s = ReadAll(clip, o);
  EXPECT_EQ(s.frames.size(), 15u);
  EXPECT_EQ(s.decoded, kFrames);
  bool shots_noted = false, codec_blamed = false;
  for (const std::string& n : s.notes) {
    shots_noted |= n.find("shot detection") != std::string::npos;
    codec_blamed |= n.find("key-frame skipping unavailable") != std::string::npos;
  }
  EXPECT_TRUE(shots_noted);
  EXPECT_FALSE(codec_blamed);
}

TEST_P(CutsClipTest, IntervalPicksTheNearestFrame) {
  const std::string clip = Clip(10);
  VIGIL_REQUIRE_FIXTURE(testing::HaveEncoder(GetParam().codec), "encoder " << GetParam().codec << " not built into this ffmpeg");
  ASSERT_FALSE(clip.empty()) << "ffmpeg could not generate the " << GetParam().codec << " clip";
  testing::Sampled one = ReadAll(clip, WithSampler("interval:1"));
  ASSERT_EQ(one.frames.size(), 6u);  // 0..5 s; 6 s is past the last frame (5.96) by more than half a frame
  for (size_t i = 0; i < one.frames.size(); ++i) EXPECT_NEAR(one.frames[i].timestamp_s, double(i), 1e-3);
  // 0.317 s is not a multiple of the frame duration: each frame is the nearest one.
  testing::Sampled odd = ReadAll(clip, WithSampler("interval:0.317"));
  ASSERT_EQ(odd.frames.size(), 19u);  // 0, 0.317, ..., 5.706 (no target half-way between two frames)
  for (size_t i = 0; i < odd.frames.size(); ++i) {
    const double target = i * 0.317;
    const double expected = std::round(target / kFrame) * kFrame;
    EXPECT_NEAR(odd.frames[i].timestamp_s, expected, 1e-3) << "target " << target;
    EXPECT_LE(std::fabs(odd.frames[i].timestamp_s - target), kFrame / 2 + 1e-6);
  }
  // Intervals shorter than a frame never return a frame twice.
  testing::Sampled dense = ReadAll(clip, WithSampler("interval:0.01", 16, 16));
  ASSERT_EQ(static_cast<int>(dense.frames.size()), kFrames);
  for (size_t i = 1; i < dense.frames.size(); ++i) EXPECT_GT(dense.frames[i].timestamp_s, dense.frames[i - 1].timestamp_s);
}

TEST_P(CutsClipTest, SceneFindsTheCutsWithinOneFrame) {
  const std::string clip = Clip(10);
  VIGIL_REQUIRE_FIXTURE(testing::HaveEncoder(GetParam().codec), "encoder " << GetParam().codec << " not built into this ffmpeg");
  ASSERT_FALSE(clip.empty()) << "ffmpeg could not generate the " << GetParam().codec << " clip";
  for (const char* sampler : {"scene", "scene:0.3"}) {
    testing::Sampled s = ReadAll(clip, WithSampler(sampler, 64, 48));
    ASSERT_EQ(s.frames.size(), 3u) << sampler;
    EXPECT_NEAR(s.frames[0].timestamp_s, 0.0, 1e-3);
    EXPECT_NEAR(s.frames[1].timestamp_s, 2.0, kFrame + 1e-3) << sampler;
    EXPECT_NEAR(s.frames[2].timestamp_s, 4.0, kFrame + 1e-3) << sampler;
    ASSERT_EQ(s.shots.size(), 3u) << sampler;
    EXPECT_NEAR(s.shots[0].start_s, 0.0, 1e-3);
    EXPECT_NEAR(s.shots[0].end_s, 2.0, kFrame + 1e-3);
    EXPECT_NEAR(s.shots[1].start_s, 2.0, kFrame + 1e-3);
    EXPECT_NEAR(s.shots[2].start_s, 4.0, kFrame + 1e-3);
    EXPECT_NEAR(s.shots[2].end_s, 6.0, 1e-3);
    EXPECT_EQ(s.shots[0].first_frame, 0);
    EXPECT_EQ(s.shots[2].last_frame, kFrames - 1);
    EXPECT_EQ(s.shots[0].last_frame + 1, s.shots[1].first_frame);
    EXPECT_EQ(s.decoded, kFrames);
  }
}

TEST_P(CutsClipTest, DetectShotsWithAnotherSamplerAndMaxFrames) {
  const std::string clip = Clip(10);
  VIGIL_REQUIRE_FIXTURE(testing::HaveEncoder(GetParam().codec), "encoder " << GetParam().codec << " not built into this ffmpeg");
  ASSERT_FALSE(clip.empty()) << "ffmpeg could not generate the " << GetParam().codec << " clip";
  VideoReaderOptions o = WithSampler("interval:1", 8, 8);
  o.detect_shots = true;
  testing::Sampled s = ReadAll(clip, o);
  EXPECT_EQ(s.frames.size(), 6u);
  ASSERT_EQ(s.shots.size(), 3u);
  EXPECT_NEAR(s.shots[1].start_s, 2.0, kFrame + 1e-3);
  VideoReaderOptions capped = WithSampler("all", 8, 8);
  capped.sampler.max_frames = 7;
  EXPECT_EQ(ReadAll(clip, capped).frames.size(), 7u);
}

INSTANTIATE_TEST_SUITE_P(Containers, CutsClipTest,
                         ::testing::Values(ClipCase{"mp4", "libx264"}, ClipCase{"mkv", "mpeg4"},
                                           ClipCase{"webm", "libvpx"}, ClipCase{"webm", "libvpx-vp9"},
                                           ClipCase{"avi", "mpeg4"}),
                         [](const ::testing::TestParamInfo<ClipCase>& info) {
                           std::string name = std::string(info.param.ext) + "_" + info.param.codec;
                           for (char& c : name) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// With a long GOP the interval sampler seeks over whole GOPs (mp4 has a seek index) yet returns
// the same frames as a full decode.
TEST(IntervalSampler, SeeksOverLongGopsAndMatchesFullDecode) {
  const std::string clip = CutsClip("mp4", "libx264", 25);
  ASSERT_FALSE(clip.empty());
  testing::Sampled sparse = ReadAll(clip, WithSampler("interval:2.4", 40, 30));
  testing::Sampled all = ReadAll(clip, WithSampler("all", 40, 30));
  ASSERT_EQ(sparse.frames.size(), 3u);  // 0, 2.4, 4.8 (key frames at every second)
  ASSERT_EQ(all.frames.size(), static_cast<size_t>(kFrames));
  for (const VideoFrame& f : sparse.frames) {
    const int i = static_cast<int>(std::lround(f.timestamp_s / kFrame));
    EXPECT_NEAR(f.timestamp_s, std::round(f.timestamp_s / 2.4) * 2.4, 1e-3);
    EXPECT_EQ(f.image.pixels, all.frames[i].image.pixels) << "frame " << i << " differs after seeking";
  }
  EXPECT_LT(sparse.decoded, kFrames);  // skipped what was not needed
  bool noted_seek = false, noted_drop = false;
  for (const std::string& n : sparse.notes) {
    noted_seek |= n.find("jump(s) to key frames") != std::string::npos;
    noted_drop |= n.find("non-reference frames") != std::string::npos;
  }
  EXPECT_TRUE(noted_seek);
  EXPECT_TRUE(noted_drop);  // -bf 2: disposable B frames between the requested times
}

// Requested times on the key frames themselves (interval = GOP, as with phone footage at interval:1):
// the packets after each key frame are read past as soon as it is sent, so the decoder sees little
// more than the key frames (it used to decode 2-4 frames after each one before the reader jumped),
// and the frames are still those of a full decode.
TEST(IntervalSampler, KeyFrameAlignedTimesDecodeAboutOnlyKeyFrames) {
  const std::string clip = CutsClip("mp4", "libx264", 25);  // key frames at 0, 1, ..., 5 s; -bf 2
  ASSERT_FALSE(clip.empty());
  testing::Sampled sparse = ReadAll(clip, WithSampler("interval:1", 40, 30));
  testing::Sampled all = ReadAll(clip, WithSampler("all", 40, 30));
  ASSERT_EQ(sparse.frames.size(), 6u);  // 0 .. 5 s
  for (const VideoFrame& f : sparse.frames) {
    const int i = static_cast<int>(std::lround(f.timestamp_s / kFrame));
    EXPECT_NEAR(f.timestamp_s, std::round(f.timestamp_s), 1e-3);
    EXPECT_TRUE(f.key_frame) << "frame " << i;
    EXPECT_EQ(f.image.pixels, all.frames[i].image.pixels) << "frame " << i;
  }
  // 6 key frames plus at most a few packets (nothing after 5 s: the clip ends at 6 s).
  EXPECT_LE(sparse.decoded, 6 + 3) << "decoded " << sparse.decoded << " frames for 6 key frames";
}

// Requested times more than 10 s apart: the reader seeks (av_seek_frame + flush) instead of reading
// past the packets; the frames are still those of a full decode.
TEST(IntervalSampler, FarTargetsSeekAndMatchFullDecode) {
  const std::string clip = testing::Generate(
      "long.mkv", "-f lavfi -i testsrc2=s=640x480:r=25:d=30 -c:v mpeg4 -q:v 4");
  ASSERT_FALSE(clip.empty());
  testing::Sampled far = ReadAll(clip, WithSampler("interval:11", 16, 16));
  testing::Sampled all = ReadAll(clip, WithSampler("all", 16, 16));
  ASSERT_EQ(far.frames.size(), 3u);  // 0, 11, 22
  for (const VideoFrame& f : far.frames) {
    const int i = static_cast<int>(std::lround(f.timestamp_s / kFrame));
    EXPECT_NEAR(f.timestamp_s, std::round(f.timestamp_s / 11) * 11, 1e-3);
    EXPECT_EQ(f.image.pixels, all.frames[i].image.pixels) << "frame " << i;
  }
  EXPECT_LT(far.decoded, 100);
  bool noted_seek = false;
  for (const std::string& n : far.notes) noted_seek |= n.find("seek(s) to key frames") != std::string::npos;
  EXPECT_TRUE(noted_seek);
}

// All-intra codecs: every frame is a key frame. The default sampler keeps one per second, exactly
// 1 s apart, and decodes only those (MJPEG, intra-only ProRes); with shot detection every frame is
// decoded and the same ones are returned.
TEST(IntraOnly, KeyframesKeepOnePerSecond) {
  for (const auto& [name, codec] : {std::pair<const char*, const char*>{"intra_mjpeg.avi", "-c:v mjpeg -q:v 5"},
                                    {"intra_prores.mov", "-c:v prores_ks -profile:v 0"}}) {
    if (!testing::HaveEncoder(std::string(codec).substr(5, std::string(codec).find(' ', 5) - 5))) continue;
    const std::string clip = testing::Generate(name, "-f lavfi -i testsrc2=s=160x120:r=25:d=6 " + std::string(codec));
    ASSERT_FALSE(clip.empty()) << name;
    testing::Sampled s = ReadAll(clip, WithSampler("keyframes", 16, 16));
    ASSERT_EQ(s.frames.size(), 6u) << name;
    for (size_t i = 0; i < s.frames.size(); ++i) EXPECT_NEAR(s.frames[i].timestamp_s, double(i), 1e-3) << name;
    EXPECT_EQ(s.decoded, 6) << name;
    testing::Sampled every = ReadAll(clip, WithSampler("keyframes:0", 16, 16));
    EXPECT_EQ(every.frames.size(), static_cast<size_t>(kFrames)) << name;
    VideoReaderOptions shots = WithSampler("keyframes", 16, 16);
    shots.detect_shots = true;
    testing::Sampled with_shots = ReadAll(clip, shots);
    ASSERT_EQ(with_shots.frames.size(), 6u) << name;
    EXPECT_EQ(with_shots.decoded, kFrames) << name;
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(with_shots.frames[i].image.pixels, s.frames[i].image.pixels) << name;
  }
}

TEST(Rotation, DisplayMatrixIsApplied) {
  // Stream copy with rotate metadata writes a display matrix (re-encoding drops it in FFmpeg 5.1).
  const std::string plain = testing::Generate(
      "unrotated.mp4", "-f lavfi -i testsrc2=s=160x120:r=25:d=1 -c:v libx264 -preset ultrafast");
  ASSERT_FALSE(plain.empty());
  const std::string clip = testing::Generate("rotated.mp4", "-i '" + plain + "' -c copy -metadata:s:v:0 rotate=90");
  ASSERT_FALSE(clip.empty());
  testing::Sampled s = ReadAll(clip, WithSampler("keyframes"));
  ASSERT_FALSE(s.frames.empty());
  // The matrix FFmpeg writes for rotate=90 turns the picture 90 degrees counter-clockwise for display
  // (ffprobe: rotation=90, counter-clockwise), i.e. 270 clockwise.
  EXPECT_EQ(s.info.rotation_deg, 270);
  EXPECT_EQ(s.info.width, 120);
  EXPECT_EQ(s.info.height, 160);
  EXPECT_EQ(s.frames[0].image.width, 120);
  EXPECT_EQ(s.frames[0].image.height, 160);
  // Against ffmpeg's own auto-rotated decode of the first frame.
  const std::string raw = testing::Generate("rotated_first.rgb", "-i '" + clip + "' -frames:v 1 -f rawvideo -pix_fmt rgb24");
  ASSERT_FALSE(raw.empty());
  const std::string ref = testing::ReadBytes(raw);
  ASSERT_EQ(ref.size(), s.frames[0].image.pixels.size());
  double diff = 0;
  for (size_t i = 0; i < ref.size(); ++i) diff += std::abs(int(uint8_t(ref[i])) - int(s.frames[0].image.pixels[i]));
  EXPECT_LT(diff / ref.size(), 3.0);
  // Scaling to a requested size happens in display orientation.
  testing::Sampled scaled = ReadAll(clip, WithSampler("keyframes", 30, 40));
  EXPECT_EQ(scaled.frames[0].image.width, 30);
  EXPECT_EQ(scaled.frames[0].image.height, 40);
}

TEST(OutputSize, KeepAspectFitsInside) {
  const std::string clip = CutsClip("mp4", "libx264", 10);
  ASSERT_FALSE(clip.empty());
  VideoReaderOptions o = WithSampler("keyframes", 64, 64);
  o.keep_aspect = true;
  o.sampler.max_frames = 1;
  testing::Sampled s = ReadAll(clip, o);
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.frames[0].image.width, 64);
  EXPECT_EQ(s.frames[0].image.height, 48);
  VideoReaderOptions w_only = WithSampler("keyframes", 80, 0);
  w_only.sampler.max_frames = 1;
  s = ReadAll(clip, w_only);
  EXPECT_EQ(s.frames[0].image.width, 80);
  EXPECT_EQ(s.frames[0].image.height, 60);
}

}  // namespace
}  // namespace vigil
