// FrameConverter: swscale (decoder format -> RGB24 at the pre-rotation size) then a pixel rotation.
#include "media/frame_converter.h"

#include <cstring>

namespace vigil::video {

FrameConverter::FrameConverter(int out_width, int out_height, int rotation_deg, int sws_flags)
    : out_width_(out_width), out_height_(out_height), rotation_deg_(rotation_deg), sws_flags_(sws_flags) {}

Status FrameConverter::Convert(const AVFrame* frame, Image* image) {
  const bool swap = rotation_deg_ == 90 || rotation_deg_ == 270;
  const int w = swap ? out_height_ : out_width_;  // size before rotation
  const int h = swap ? out_width_ : out_height_;
  sws_ = sws_getCachedContext(sws_holder_.release(), frame->width, frame->height,
                              static_cast<AVPixelFormat>(frame->format), w, h, AV_PIX_FMT_RGB24,
                              sws_flags_, nullptr, nullptr, nullptr);
  sws_holder_.reset(sws_);
  if (!sws_) return UnsupportedError("swscale cannot convert this pixel format / size");
  Image* target = rotation_deg_ == 0 ? image : &unrotated_;
  target->width = w;
  target->height = h;
  target->pixels.resize(static_cast<size_t>(w) * h * 3);
  uint8_t* dst[4] = {target->pixels.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {w * 3, 0, 0, 0};
  const int rows = sws_scale(sws_, frame->data, frame->linesize, 0, frame->height, dst, dst_stride);
  if (rows != h) return InternalError("swscale produced " + std::to_string(rows) + " rows of " + std::to_string(h));
  if (rotation_deg_ != 0) RotateRgb(unrotated_, rotation_deg_, image);
  return Status::Ok();
}

void RotateRgb(const Image& in, int rotation_deg, Image* out) {
  const bool swap = rotation_deg == 90 || rotation_deg == 270;
  out->width = swap ? in.height : in.width;
  out->height = swap ? in.width : in.height;
  out->pixels.resize(in.pixels.size());
  const int w = in.width, h = in.height;
  for (int y = 0; y < h; ++y) {
    const uint8_t* src = in.pixels.data() + static_cast<size_t>(y) * w * 3;
    for (int x = 0; x < w; ++x) {
      int ox = x, oy = y;
      if (rotation_deg == 90) { ox = h - 1 - y; oy = x; }
      else if (rotation_deg == 180) { ox = w - 1 - x; oy = h - 1 - y; }
      else if (rotation_deg == 270) { ox = y; oy = w - 1 - x; }
      std::memcpy(out->pixels.data() + (static_cast<size_t>(oy) * out->width + ox) * 3, src + x * 3, 3);
    }
  }
}

}  // namespace vigil::video
