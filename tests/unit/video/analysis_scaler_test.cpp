// AnalysisScaler (the detector's own box-average downscale of planar YUV) on real frames
// (cockatoo.mp4, astronaut.png) written by the ffmpeg CLI in several pixel formats and sizes: against
// a naive per-pixel reference of the same definition (exact), and against swscale's SWS_AREA, which
// it replaces (close on average: swscale rounds through 15-bit intermediates and sites chroma
// differently).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "media/analysis_scaler.h"
#include "media/shot_detector.h"
#include "video_fixtures.h"

namespace vigil {
namespace {

struct Case {
  std::string source;  // under data/
  std::string pix_fmt;
  int width, height;
};

// A raw frame of `c` (ffmpeg -pix_fmt, scaled to the size) in an AVFrame.
video::FramePtr LoadFrame(const Case& c) {
  const std::string name = "scaler_" + c.pix_fmt + "_" + std::to_string(c.width) + "x" + std::to_string(c.height) + "_" +
                           std::to_string(std::hash<std::string>()(c.source) % 1000) + ".rgb";
  const std::string data = std::string(std::getenv("VIGIL_TEST_DATA") ? std::getenv("VIGIL_TEST_DATA")
                                                                      : std::string(VIGIL_SOURCE_DIR) + "/data");
  const std::string raw = testing::Generate(name, std::string(c.source.rfind("videos/", 0) == 0 ? "-ss 4 " : "") + "-i '" + data + "/" + c.source + "' -frames:v 1 -vf scale=" +
                                                      std::to_string(c.width) + ":" + std::to_string(c.height) +
                                                      " -pix_fmt " + c.pix_fmt + " -f rawvideo");
  if (raw.empty()) return nullptr;
  const std::string bytes = testing::ReadBytes(raw);
  video::FramePtr frame = video::MakeFrame();
  frame->format = av_get_pix_fmt(c.pix_fmt.c_str());
  frame->width = c.width;
  frame->height = c.height;
  if (av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
  const int size = av_image_get_buffer_size(static_cast<AVPixelFormat>(frame->format), c.width, c.height, 1);
  if (size != static_cast<int>(bytes.size())) return nullptr;
  const uint8_t* src[4];
  int src_linesize[4];
  av_image_fill_arrays(const_cast<uint8_t**>(src), src_linesize, reinterpret_cast<const uint8_t*>(bytes.data()),
                       static_cast<AVPixelFormat>(frame->format), c.width, c.height, 1);
  av_image_copy(frame->data, frame->linesize, src, src_linesize, static_cast<AVPixelFormat>(frame->format), c.width,
                c.height);
  return frame;
}

// Naive reference: for each output pixel, the mean of each plane over its box (integer bounds
// i * size / n), then BT.601 to RGB (limited range, or full for the yuvj formats).
Image NaiveAnalysisCopy(const AVFrame* f) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
  const bool full = std::string(d->name).rfind("yuvj", 0) == 0;
  const int kw = video::kAnalysisWidth, kh = video::kAnalysisHeight;
  auto mean = [&](int plane, int ox, int oy) {
    const int w = plane ? -((-f->width) >> d->log2_chroma_w) : f->width;
    const int h = plane ? -((-f->height) >> d->log2_chroma_h) : f->height;
    const int x0 = ox * w / kw, x1 = (ox + 1) * w / kw, y0 = oy * h / kh, y1 = (oy + 1) * h / kh;
    double sum = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) sum += f->data[plane][y * f->linesize[plane] + x];
    return sum / ((x1 - x0) * (y1 - y0));
  };
  Image out;
  out.width = kw;
  out.height = kh;
  out.pixels.resize(kw * kh * 3);
  for (int oy = 0; oy < kh; ++oy) {
    for (int ox = 0; ox < kw; ++ox) {
      const double y = full ? mean(0, ox, oy) : (mean(0, ox, oy) - 16) * 255 / 219;
      const double u = (mean(1, ox, oy) - 128) * (full ? 1 : 255.0 / 224), v = (mean(2, ox, oy) - 128) * (full ? 1 : 255.0 / 224);
      const double rgb[3] = {y + 1.402 * v, y - 0.344136 * u - 0.714136 * v, y + 1.772 * u};
      for (int c = 0; c < 3; ++c) out.pixels[(oy * kw + ox) * 3 + c] = static_cast<uint8_t>(std::lround(std::clamp(rgb[c], 0.0, 255.0)));
    }
  }
  return out;
}

class AnalysisScalerTest : public ::testing::TestWithParam<Case> {};

TEST_P(AnalysisScalerTest, MatchesSwscaleAreaOnRealFrames) {
  const Case& c = GetParam();
  video::FramePtr frame = LoadFrame(c);
  ASSERT_TRUE(frame) << c.source << " " << c.pix_fmt;
  Image fast, reference;
  video::AnalysisScaler scaler;
  ASSERT_TRUE(scaler.Convert(frame.get(), &fast).ok());
  video::FrameConverter area(video::kAnalysisWidth, video::kAnalysisHeight, 0, SWS_AREA);
  ASSERT_TRUE(area.Convert(frame.get(), &reference).ok());
  const Image naive = NaiveAnalysisCopy(frame.get());
  ASSERT_EQ(fast.width, video::kAnalysisWidth);
  ASSERT_EQ(fast.height, video::kAnalysisHeight);
  ASSERT_EQ(fast.pixels.size(), reference.pixels.size());
  double sum = 0;
  int worst = 0, worst_naive = 0;
  for (size_t i = 0; i < fast.pixels.size(); ++i) {
    const int d = std::abs(static_cast<int>(fast.pixels[i]) - static_cast<int>(reference.pixels[i]));
    sum += d;
    worst = std::max(worst, d);
    worst_naive = std::max(worst_naive, std::abs(static_cast<int>(fast.pixels[i]) - static_cast<int>(naive.pixels[i])));
  }
  const double mean = sum / static_cast<double>(fast.pixels.size());
  std::printf("%s %s %dx%d: |fast - swscale| mean %.2f, max %d; |fast - naive| max %d (of 255)\n", c.source.c_str(),
              c.pix_fmt.c_str(), c.width, c.height, mean, worst, worst_naive);
  EXPECT_LE(worst_naive, 1);  // float vs double rounding
  EXPECT_LT(mean, c.width % video::kAnalysisWidth == 0 ? 3.5 : 10.0);  // uneven boxes differ more
}

INSTANTIATE_TEST_SUITE_P(
    RealFrames, AnalysisScalerTest,
    ::testing::Values(Case{"videos/cockatoo.mp4", "yuv420p", 640, 480}, Case{"videos/cockatoo.mp4", "yuvj420p", 1280, 720},
                      Case{"videos/cockatoo.mp4", "yuv422p", 701, 397}, Case{"videos/cockatoo.mp4", "yuv444p", 320, 240},
                      Case{"images/samples/astronaut.png", "yuv420p", 640, 480},
                      Case{"images/samples/astronaut.png", "yuvj444p", 150, 100}));

// Formats without a fast path, and pictures smaller than the copy, give swscale's result exactly.
TEST(AnalysisScaler, OtherFormatsAndTinyPicturesUseSwscale) {
  for (const Case& c : {Case{"videos/cockatoo.mp4", "nv12", 640, 480}, Case{"videos/cockatoo.mp4", "rgb24", 320, 240},
                        Case{"videos/cockatoo.mp4", "yuv420p", 48, 32}}) {
    video::FramePtr frame = LoadFrame(c);
    ASSERT_TRUE(frame) << c.pix_fmt;
    Image fast, reference;
    video::AnalysisScaler scaler;
    ASSERT_TRUE(scaler.Convert(frame.get(), &fast).ok());
    video::FrameConverter area(video::kAnalysisWidth, video::kAnalysisHeight, 0, SWS_AREA);
    ASSERT_TRUE(area.Convert(frame.get(), &reference).ok());
    EXPECT_EQ(fast.pixels, reference.pixels) << c.pix_fmt << " " << c.width << "x" << c.height;
  }
}

}  // namespace
}  // namespace vigil
