// AnalysisScaler: box averages of 8-bit planar YUV, then BT.601 YUV -> RGB (see analysis_scaler.h).
#include "media/analysis_scaler.h"

#include <algorithm>
#include <cmath>

#include "media/shot_detector.h"

namespace vigil::video {
namespace {

constexpr int kW = kAnalysisWidth, kH = kAnalysisHeight;

// Chroma subsampling (log2) and range of the formats with a fast path; false for any other.
bool PlanarYuv8(AVPixelFormat fmt, int* shift_x, int* shift_y, bool* full_range) {
  *full_range = fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P;
  switch (fmt) {
    case AV_PIX_FMT_YUV420P: case AV_PIX_FMT_YUVJ420P: *shift_x = 1; *shift_y = 1; return true;
    case AV_PIX_FMT_YUV422P: case AV_PIX_FMT_YUVJ422P: *shift_x = 1; *shift_y = 0; return true;
    case AV_PIX_FMT_YUV444P: case AV_PIX_FMT_YUVJ444P: *shift_x = 0; *shift_y = 0; return true;
    default: return false;
  }
}

// Column sums of a box are 16-bit: boxes of up to 257 rows of 8-bit samples (taller pictures than
// kH * kMaxBoxRows go through swscale).
constexpr int kMaxBoxRows = 257;

uint8_t Clamp255(float v) { return static_cast<uint8_t>(std::min(255.f, std::max(0.f, v)) + 0.5f); }

}  // namespace

AnalysisScaler::AnalysisScaler() : fallback_(kW, kH, 0, SWS_AREA), y_(kW * kH), u_(kW * kH), v_(kW * kH) {}

void AnalysisScaler::AveragePlane(const uint8_t* data, int stride, int w, int h, float* out) {
  column_sums_.resize(static_cast<size_t>(w));
  uint16_t* sums = column_sums_.data();  // a box is at most kMaxBoxRows rows: no overflow
  for (int oy = 0; oy < kH; ++oy) {
    const int y0 = static_cast<int>(static_cast<int64_t>(oy) * h / kH);
    const int y1 = static_cast<int>(static_cast<int64_t>(oy + 1) * h / kH);
    const uint8_t* first = data + static_cast<ptrdiff_t>(y0) * stride;
    for (int x = 0; x < w; ++x) sums[x] = first[x];
    for (int y = y0 + 1; y < y1; ++y) {
      const uint8_t* row = data + static_cast<ptrdiff_t>(y) * stride;
      for (int x = 0; x < w; ++x) sums[x] = static_cast<uint16_t>(sums[x] + row[x]);
    }
    for (int ox = 0; ox < kW; ++ox) {
      const int x0 = static_cast<int>(static_cast<int64_t>(ox) * w / kW);
      const int x1 = static_cast<int>(static_cast<int64_t>(ox + 1) * w / kW);
      uint32_t total = 0;
      for (int x = x0; x < x1; ++x) total += sums[x];
      out[oy * kW + ox] = static_cast<float>(total) / static_cast<float>((x1 - x0) * (y1 - y0));
    }
  }
}

Status AnalysisScaler::Convert(const AVFrame* frame, Image* image) {
  int sx = 0, sy = 0;
  bool full = false;
  const int w = frame->width, h = frame->height;
  if (!PlanarYuv8(static_cast<AVPixelFormat>(frame->format), &sx, &sy, &full) || w < 2 * kW || h < 2 * kH ||
      h > kH * kMaxBoxRows) {
    return fallback_.Convert(frame, image);
  }
  const int chroma_w = -((-w) >> sx), chroma_h = -((-h) >> sy);  // rounded up, as FFmpeg sizes planes
  if (chroma_w < kW || chroma_h < kH) return fallback_.Convert(frame, image);
  AveragePlane(frame->data[0], frame->linesize[0], w, h, y_.data());
  AveragePlane(frame->data[1], frame->linesize[1], chroma_w, chroma_h, u_.data());
  AveragePlane(frame->data[2], frame->linesize[2], chroma_w, chroma_h, v_.data());
  image->width = kW;
  image->height = kH;
  image->pixels.resize(static_cast<size_t>(kW) * kH * 3);
  // BT.601 (swscale's default matrix when none is set): limited range Y 16..235, C 16..240, or full.
  const float ys = full ? 1.f : 255.f / 219.f, cs = full ? 1.f : 255.f / 224.f, yo = full ? 0.f : 16.f;
  for (int i = 0; i < kW * kH; ++i) {
    const float yy = (y_[i] - yo) * ys, u = (u_[i] - 128.f) * cs, v = (v_[i] - 128.f) * cs;
    uint8_t* p = image->pixels.data() + static_cast<size_t>(i) * 3;
    p[0] = Clamp255(yy + 1.402f * v);
    p[1] = Clamp255(yy - 0.344136f * u - 0.714136f * v);
    p[2] = Clamp255(yy + 1.772f * u);
  }
  return Status::Ok();
}

}  // namespace vigil::video
