// FrameConverter: one decoded FFmpeg picture -> vigil::Image (RGB24) at a requested size, scaled by
// swscale straight from the decoder's pixel format, with the stream's rotation applied.
#pragma once

#include "media/ffmpeg_handles.h"
#include "vigil/image.h"

namespace vigil::video {

class FrameConverter {
 public:
  // out_width x out_height is the size after rotation; rotation_deg is clockwise (0/90/180/270);
  // sws_flags e.g. SWS_BILINEAR (model inputs) or SWS_AREA (small analysis copies).
  FrameConverter(int out_width, int out_height, int rotation_deg, int sws_flags);
  // Scales and rotates `frame` into *image (reusing its buffer).
  Status Convert(const AVFrame* frame, Image* image);

 private:
  int out_width_, out_height_, rotation_deg_, sws_flags_;
  SwsContext* sws_ = nullptr;  // owned by sws_holder_; sws_getCachedContext may replace it
  SwsContextPtr sws_holder_;
  Image unrotated_;
};

// Rotates an RGB image clockwise by 90, 180 or 270 degrees into *out (0: copy).
void RotateRgb(const Image& in, int rotation_deg, Image* out);

}  // namespace vigil::video
