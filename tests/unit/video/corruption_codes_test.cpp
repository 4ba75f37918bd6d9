// The same corruption fed to several containers gives the same, named error code (issue 19, defect
// 5: a corrupt Theora header came out as `internal` "Operation not permitted"). Tiny clips are
// generated with the ffmpeg CLI (H.264 in MP4 and Matroska, Theora in Ogg, MPEG-4 in AVI, VP8 in
// WebM), then damaged the same way: the codec's header bytes overwritten, garbage over the middle of
// the file, the file cut after its first kilobyte. No damage may give kInternal.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "video_fixtures.h"
#include "vigil/video.h"

extern "C" {
#include <libavformat/avformat.h>
}

namespace vigil {
namespace {

struct Container {
  const char* name;  // file name, its extension picks the muxer
  const char* codec_args;
  // Expected code once the out-of-band codec header is damaged. MPEG-4 Part 2 repeats its VOL
  // header in the stream before key frames, so the decoder recovers: OK.
  StatusCode header_damaged;
};

const Container kContainers[] = {
    {"corrupt_h264.mp4", "-c:v libx264 -preset ultrafast -g 10", StatusCode::kDataLoss},
    {"corrupt_h264.mkv", "-c:v libx264 -preset ultrafast -g 10", StatusCode::kDataLoss},
    {"corrupt_theora.ogg", "-c:v libtheora -q:v 5 -g 10", StatusCode::kDataLoss},
    {"corrupt_mpeg4.avi", "-c:v mpeg4 -q:v 5 -g 10", StatusCode::kOk},
    {"corrupt_vp8.webm", "-c:v libvpx -b:v 200k -deadline realtime -cpu-used 8 -g 10", StatusCode::kOk},
};

std::string MakeClip(const Container& c) {
  return testing::Generate(c.name, std::string("-f lavfi -i testsrc2=s=160x120:r=25:d=2 -pix_fmt yuv420p ") +
                                       c.codec_args);
}

// Open, then read every frame; the first error, or OK.
Status OpenAndRead(const std::string& path) {
  VideoReaderOptions o;
  Result<SamplerSpec> all = ParseSampler("all");
  o.sampler = *all;
  o.out_width = o.out_height = 16;
  Result<std::unique_ptr<VideoReader>> reader = VideoReader::Open(path, o);
  if (!reader.ok()) return reader.status();
  VideoFrame frame;
  while (true) {
    Result<bool> more = (*reader)->Next(&frame);
    if (!more.ok()) return more.status();
    if (!*more) return Status::Ok();
  }
}

// Where the stream's codec setup (FFmpeg's extradata) sits in the file: its first bytes, or for
// Theora (three header packets split over Ogg pages) the setup header "\x82theora" (quantisation
// and Huffman tables: the demuxer only reads the identification header, the decoder's init reads
// this one and reported damage as EPERM); npos when the codec has no out-of-band header (VP8).
size_t CodecHeaderOffset(const std::string& path, const std::string& bytes, size_t* length) {
  AVFormatContext* fmt = nullptr;
  size_t at = std::string::npos;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return at;
  if (avformat_find_stream_info(fmt, nullptr) >= 0) {
    const int s = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    const AVCodecParameters* par = s >= 0 ? fmt->streams[s]->codecpar : nullptr;
    if (par && par->codec_id == AV_CODEC_ID_THEORA) {
      at = bytes.find("\x82theora");
      *length = 200;
    } else if (par && par->extradata_size >= 16) {
      const std::string head(reinterpret_cast<const char*>(par->extradata), 16);
      at = bytes.find(head);
      *length = size_t(par->extradata_size);
    }
  }
  avformat_close_input(&fmt);
  return at;
}

std::string Damage(std::string bytes, size_t from, size_t length, uint32_t seed) {
  std::mt19937 rng(seed);
  for (size_t i = from; i < std::min(bytes.size(), from + length); ++i) bytes[i] = char(rng());
  return bytes;
}

// Codec header overwritten (after its first 7 bytes: magic and version survive, so the demuxer
// still recognises the stream): the data is corrupt, and says so (kDataLoss), wherever the decoder
// notices it (opening the decoder for Theora, decoding for H.264).
TEST(CorruptionCodes, CorruptCodecHeaderIsDataLossInEveryContainer) {
  int damaged = 0;
  for (const Container& c : kContainers) {
    const std::string clip = MakeClip(c);
    ASSERT_FALSE(clip.empty()) << c.name;
    const std::string bytes = testing::ReadBytes(clip);
    size_t length = 0;
    const size_t at = CodecHeaderOffset(clip, bytes, &length);
    if (at == std::string::npos) continue;  // no out-of-band codec header (VP8, MPEG-4 in AVI)
    ++damaged;
    const std::string bad =
        testing::WriteBytes(std::string("header_") + c.name, Damage(bytes, at + 7, length - 7, 19));
    const Status s = OpenAndRead(bad);
    std::printf("[ codes ] header damaged: %s -> %s\n", c.name, s.ToString().c_str());
    EXPECT_EQ(s.code(), c.header_damaged) << c.name << ": " << s.ToString();
  }
  EXPECT_GE(damaged, 4) << "H.264 in MP4 and Matroska, Theora in Ogg and MPEG-4 in AVI carry a codec header";
}

// Garbage over the middle half: the frames before and after still decode; damage is skipped and
// noted, never an error, in any container.
TEST(CorruptionCodes, GarbageInTheMiddleIsSkipped) {
  for (const Container& c : kContainers) {
    const std::string clip = MakeClip(c);
    ASSERT_FALSE(clip.empty()) << c.name;
    const std::string bytes = testing::ReadBytes(clip);
    const std::string bad = testing::WriteBytes(std::string("middle_") + c.name,
                                                Damage(bytes, bytes.size() / 4, bytes.size() / 2, 23));
    const Status s = OpenAndRead(bad);
    std::printf("[ codes ] middle damaged: %s -> %s\n", c.name, s.ToString().c_str());
    EXPECT_NE(s.code(), StatusCode::kInternal) << c.name << ": " << s.ToString();
    EXPECT_TRUE(s.ok() || s.code() == StatusCode::kDataLoss) << c.name << ": " << s.ToString();
  }
}

// Cut after 1 KiB: headers at most, no picture: kDataLoss (or kUnsupported when not even the
// container can be recognised), never kInternal.
TEST(CorruptionCodes, CutAfterTheFirstKilobyte) {
  for (const Container& c : kContainers) {
    const std::string clip = MakeClip(c);
    ASSERT_FALSE(clip.empty()) << c.name;
    const std::string bad = testing::WriteBytes(std::string("cut_") + c.name, testing::ReadBytes(clip).substr(0, 1024));
    const Status s = OpenAndRead(bad);
    std::printf("[ codes ] cut at 1 KiB: %s -> %s\n", c.name, s.ToString().c_str());
    EXPECT_TRUE(s.code() == StatusCode::kDataLoss || s.code() == StatusCode::kUnsupported)
        << c.name << ": " << s.ToString();
  }
}

}  // namespace
}  // namespace vigil
