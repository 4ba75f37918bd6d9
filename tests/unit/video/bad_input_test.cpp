// Bad input: missing, empty, random bytes, an image renamed .mp4, audio only, truncated files, an
// absurd declared resolution, limits and the wall-clock budget: a clear Status, no crash, no hang.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <random>

#include "video_fixtures.h"
#include "vigil/video.h"

namespace vigil {
namespace {


// Open, then read everything; returns the first error (or OK).
Status OpenAndRead(const std::string& path, VideoReaderOptions options = {}) {
  Result<std::unique_ptr<VideoReader>> reader = VideoReader::Open(path, options);
  if (!reader.ok()) return reader.status();
  VideoFrame frame;
  for (int i = 0; i < 100000; ++i) {
    Result<bool> more = (*reader)->Next(&frame);
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
  }
  return InternalError("did not end");
}

// A hang is caught by the test's CTest timeout, not by a wall-clock assertion here.
void ExpectError(const std::string& path, StatusCode code, const std::string& words, VideoReaderOptions options = {}) {
  Status s = OpenAndRead(path, options);
  EXPECT_EQ(s.code(), code) << path << ": " << s.ToString();
  EXPECT_NE(s.message().find(words), std::string::npos) << s.ToString();
}

TEST(BadInput, MissingAndEmptyFiles) {
  ExpectError(testing::ScratchDir() + "/does_not_exist.mp4", StatusCode::kNotFound, "not found");
  ExpectError(testing::WriteBytes("empty.mp4", ""), StatusCode::kInvalidArgument, "empty");
  ExpectError(testing::ScratchDir(), StatusCode::kInvalidArgument, "not a regular file");
}

TEST(BadInput, FifoIsRefusedWithoutBlocking) {
  const std::string fifo = testing::ScratchDir() + "/pipe.mp4";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ExpectError(fifo, StatusCode::kInvalidArgument, "not a regular file");
}

TEST(BadInput, RandomBytes) {
  std::mt19937 rng(7);
  std::string bytes(64 * 1024, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  ExpectError(testing::WriteBytes("random.mp4", bytes), StatusCode::kUnsupported, "not a video");
}

TEST(BadInput, ImageRenamedMp4) {
  const std::string png = testing::Generate("still.png", "-f lavfi -i testsrc2=s=64x48 -frames:v 1");
  ASSERT_FALSE(png.empty());
  const std::string renamed = testing::WriteBytes("still_png.mp4", testing::ReadBytes(png));
  ExpectError(renamed, StatusCode::kUnsupported, "still image");
  const std::string jpg = testing::Generate("still.jpg", "-f lavfi -i testsrc2=s=64x48 -frames:v 1");
  ExpectError(testing::WriteBytes("still_jpg.mp4", testing::ReadBytes(jpg)), StatusCode::kUnsupported, "still image");
}

TEST(BadInput, AudioOnly) {
  const std::string audio = testing::Generate("audio_only.mp4", "-f lavfi -i sine=d=1 -c:a aac");
  ASSERT_FALSE(audio.empty());
  ExpectError(audio, StatusCode::kUnsupported, "audio only");
}

TEST(BadInput, TruncatedMp4WithIndexAtTheEnd) {
  const std::string clip = testing::CutsClip("mp4", "libx264", 10);
  ASSERT_FALSE(clip.empty());
  const std::string bytes = testing::ReadBytes(clip);
  const std::string cut = testing::WriteBytes("truncated.mp4", bytes.substr(0, bytes.size() / 2));
  Status s = OpenAndRead(cut);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.code() == StatusCode::kDataLoss || s.code() == StatusCode::kUnsupported) << s.ToString();
}

TEST(BadInput, TruncatedMkvDecodesWhatIsThere) {
  const std::string clip = testing::CutsClip("mkv", "mpeg4", 10);
  ASSERT_FALSE(clip.empty());
  const std::string bytes = testing::ReadBytes(clip);
  const std::string cut = testing::WriteBytes("truncated.mkv", bytes.substr(0, bytes.size() / 2));
  testing::Sampled s = testing::ReadAll(cut, testing::WithSampler("all", 16, 16));
  EXPECT_GT(s.frames.size(), 10u);
  EXPECT_LT(s.frames.size(), 150u);
  // A file cut inside its header is an error, not a crash.
  const std::string header_only = testing::WriteBytes("header_only.mkv", bytes.substr(0, 200));
  EXPECT_FALSE(OpenAndRead(header_only).ok());
}

TEST(BadInput, AbsurdDeclaredResolution) {
  // A YUV4MPEG2 stream declaring 16000x16000 (FFmpeg accepts the size) with one short frame: refused
  // from the header, before any picture is allocated.
  std::string y4m = "YUV4MPEG2 W16000 H16000 F25:1 Ip A1:1 C420jpeg\nFRAME\n";
  y4m += std::string(1024, '\x80');
  ExpectError(testing::WriteBytes("huge.y4m", y4m), StatusCode::kResourceExhausted, "16000x16000");
  // 100000x100000 is refused by FFmpeg's own size check while opening: still a clear error.
  std::string absurd = "YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + std::string(1024, '\x80');
  ExpectError(testing::WriteBytes("absurd.y4m", absurd), StatusCode::kDataLoss, "absurd.y4m");
  // The same check on a normal clip with a tight limit.
  VideoReaderOptions tight;
  tight.max_pixels = 100 * 100;
  ExpectError(testing::CutsClip("mp4", "libx264", 10), StatusCode::kResourceExhausted, "160x120", tight);
}

TEST(BadInput, FileSizeAndDurationLimits) {
  const std::string clip = testing::CutsClip("mp4", "libx264", 10);
  VideoReaderOptions small;
  small.max_file_bytes = 1000;
  ExpectError(clip, StatusCode::kResourceExhausted, "max_file_bytes", small);
  VideoReaderOptions short_only;
  short_only.max_duration_s = 1.0;
  ExpectError(clip, StatusCode::kResourceExhausted, "max_duration_s", short_only);
  VideoReaderOptions capped = testing::WithSampler("all", 8, 8);
  capped.max_decoded_frames = 20;
  testing::Sampled s = testing::ReadAll(clip, capped);
  EXPECT_EQ(s.frames.size(), 20u);
  ASSERT_FALSE(s.notes.empty());
}

TEST(BadInput, InvalidOptions) {
  const std::string clip = testing::CutsClip("mp4", "libx264", 10);
  VideoReaderOptions o;
  o.out_width = -1;
  ExpectError(clip, StatusCode::kInvalidArgument, "out_width", o);
  o = {};
  o.sampler.kind = SamplerKind::kInterval;
  o.sampler.interval_s = 0;
  ExpectError(clip, StatusCode::kInvalidArgument, "interval", o);
}

TEST(BadInput, TimeBudgetStopsALongDecode) {
  // 30 s of 640x480 at 25 fps: well over a second of decoding and converting on these machines.
  const std::string clip = testing::Generate(
      "long.mkv", "-f lavfi -i testsrc2=s=640x480:r=25:d=30 -c:v mpeg4 -q:v 4");
  ASSERT_FALSE(clip.empty());
  VideoReaderOptions o = testing::WithSampler("all");
  o.time_budget_s = 0.1;
  // The budget, not the end of the file, stopped it: kDeadlineExceeded (reading all 750 frames
  // would have returned OK).
  Status s = OpenAndRead(clip, o);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
}

}  // namespace
}  // namespace vigil
