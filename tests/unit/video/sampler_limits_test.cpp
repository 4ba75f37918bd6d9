// Sampling limits and cancellation (issue 19, defect 1): interval:1e-300 used to spin forever in
// FFmpegVideoReader::Next. A minimum interval and a cap on sampled frames refuse such requests with
// kInvalidArgument; the interval sampler settles any number of requested times per frame in O(1);
// a cancel flag stops decoding within one frame.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "video_fixtures.h"
#include "vigil/video.h"

namespace vigil {
namespace {

Status OpenWith(const std::string& path, const VideoReaderOptions& options) {
  return VideoReader::Open(path, options).status();
}

TEST(SamplerLimits, TinyIntervalsAreRefusedWithTheLimitNamed) {
  for (const char* text : {"interval:1e-300", "interval:1e-9", "interval:0.001"}) {
    Result<SamplerSpec> spec = ParseSampler(text);
    ASSERT_TRUE(spec.ok()) << text;  // well-formed: the limit is the operator's, not the syntax's
    Status s = CheckSamplerLimits(*spec, SamplerLimits{});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(s.message().find("minimum interval of 0.01 s"), std::string::npos) << s.ToString();
  }
  EXPECT_TRUE(CheckSamplerLimits(*ParseSampler("interval:0.01"), SamplerLimits{}).ok());
  EXPECT_TRUE(CheckSamplerLimits(*ParseSampler("all"), SamplerLimits{}).ok());
  SamplerLimits lower;
  lower.min_interval_s = 1e-6;  // configurable
  EXPECT_TRUE(CheckSamplerLimits(*ParseSampler("interval:1e-5"), lower).ok());
  SamplerLimits bad;
  bad.min_interval_s = 0;
  EXPECT_EQ(CheckSamplerLimits(*ParseSampler("all"), bad).code(), StatusCode::kInvalidArgument);
  bad = SamplerLimits{};
  bad.max_sampled_frames = -1;
  EXPECT_EQ(CheckSamplerLimits(*ParseSampler("all"), bad).code(), StatusCode::kInvalidArgument);
}

TEST(SamplerLimits, OpenRefusesATinyInterval) {
  const std::string clip = testing::CutsClip("mp4", "libx264", 25);
  ASSERT_FALSE(clip.empty());
  for (const char* text : {"interval:1e-300", "interval:1e-9"}) {
    Status s = OpenWith(clip, testing::WithSampler(text));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << text << ": " << s.ToString();
    EXPECT_NE(s.message().find("minimum interval"), std::string::npos) << s.ToString();
  }
}

TEST(SamplerLimits, OpenRefusesAnIntervalAskingForMoreThanTheCap) {
  const std::string clip = testing::CutsClip("mp4", "libx264", 25);  // 6 s
  ASSERT_FALSE(clip.empty());
  VideoReaderOptions o = testing::WithSampler("interval:0.1");  // ~60 frames
  o.sampler_limits.max_sampled_frames = 30;
  Status s = OpenWith(clip, o);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("max_sampled_frames = 30"), std::string::npos) << s.ToString();
  o.sampler_limits.max_sampled_frames = 100;
  EXPECT_TRUE(OpenWith(clip, o).ok());
}

TEST(SamplerLimits, TheCapEndsOtherSamplersWithANote) {
  const std::string clip = testing::CutsClip("mp4", "libx264", 25);  // 150 frames
  ASSERT_FALSE(clip.empty());
  VideoReaderOptions o = testing::WithSampler("all", 32, 24);
  o.sampler_limits.max_sampled_frames = 20;
  testing::Sampled got = testing::ReadAll(clip, o);
  EXPECT_EQ(got.frames.size(), 20u);
  bool noted = false;
  for (const std::string& n : got.notes) noted = noted || n.find("max_sampled_frames = 20") != std::string::npos;
  EXPECT_TRUE(noted);
}

// With the limit lowered, interval:1e-9 asks for ~10^9 requested times per frame; each frame is the
// nearest to some of them, so every frame comes out, in O(1) work per frame (this loop took 10 s on
// a 5.5 s clip; the test's CTest timeout catches a regression to that).
TEST(SamplerLimits, ManyRequestedTimesPerFrameAreSettledAtOnce) {
  const std::string clip = testing::CutsClip("mp4", "libx264", 25);
  ASSERT_FALSE(clip.empty());
  VideoReaderOptions o = testing::WithSampler("interval:1e-9", 32, 24);
  o.sampler_limits.min_interval_s = 1e-12;
  o.sampler_limits.max_sampled_frames = 0;  // no cap: 6 s / 1e-9 s would be over any
  testing::Sampled got = testing::ReadAll(clip, o);
  ASSERT_EQ(got.frames.size(), 150u);
  for (size_t i = 1; i < got.frames.size(); ++i) {
    EXPECT_GT(got.frames[i].timestamp_s, got.frames[i - 1].timestamp_s);
  }
}

TEST(Cancel, ASetFlagStopsTheNextFrame) {
  const std::string clip = testing::CutsClip("mp4", "libx264", 25);
  ASSERT_FALSE(clip.empty());
  std::atomic<bool> cancel{false};
  VideoReaderOptions o = testing::WithSampler("all", 32, 24);
  o.cancel = &cancel;
  Result<std::unique_ptr<VideoReader>> reader = VideoReader::Open(clip, o);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  VideoFrame frame;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(*(*reader)->Next(&frame));
  cancel = true;
  const int64_t decoded = (*reader)->decoded_frames();
  Result<bool> next = (*reader)->Next(&frame);
  EXPECT_EQ(next.status().code(), StatusCode::kUnavailable) << next.status().ToString();
  EXPECT_NE(next.status().message().find("cancelled"), std::string::npos);
  EXPECT_EQ((*reader)->decoded_frames(), decoded);  // nothing more was decoded
  // Open with the flag already set does not start.
  EXPECT_EQ(VideoReader::Open(clip, o).status().code(), StatusCode::kUnavailable);
}

// A decode running on another thread (every frame of a 640x480 clip at full size) is stopped by the
// flag within one frame: the next Next returns kUnavailable without a frame.
TEST(Cancel, InterruptsADecodeOnAnotherThread) {
  const std::string clip = testing::Generate(
      "cancel_640x480_30s.mp4", "-f lavfi -i testsrc2=s=640x480:r=25:d=30 -c:v libx264 -preset ultrafast -g 250");
  ASSERT_FALSE(clip.empty());
  std::atomic<bool> cancel{false};
  std::atomic<int64_t> frames{0};
  std::atomic<int64_t> frames_after_cancel{0};
  VideoReaderOptions o = testing::WithSampler("all");
  o.cancel = &cancel;
  std::promise<Status> done;
  std::future<Status> result = done.get_future();
  std::thread worker([&] {
    Result<std::unique_ptr<VideoReader>> reader = VideoReader::Open(clip, o);
    if (!reader.ok()) {
      done.set_value(reader.status());
      return;
    }
    VideoFrame frame;
    while (true) {
      const bool was_cancelled = cancel.load();
      Result<bool> more = (*reader)->Next(&frame);
      if (!more.ok()) {
        done.set_value(more.status());
        return;
      }
      if (!*more) {
        done.set_value(Status::Ok());
        return;
      }
      ++frames;
      if (was_cancelled) ++frames_after_cancel;
    }
  });
  while (frames.load() < 5 && result.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
  }
  cancel = true;
  // A generous bound: the condition (kUnavailable, at most one frame later) is what is asserted.
  const bool finished = result.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  EXPECT_TRUE(finished) << "decode still running 10 s after cancel";
  worker.join();
  ASSERT_TRUE(finished);
  const Status s = result.get();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(frames_after_cancel.load(), 0);  // a Next started after the flag returns no frame
  EXPECT_LT(frames.load(), 750);
}

}  // namespace
}  // namespace vigil
