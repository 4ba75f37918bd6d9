// AnalysisScaler: the shot detector's small RGB copy (kAnalysisWidth x kAnalysisHeight) of a decoded
// picture. For 8-bit planar YUV (4:2:0, 4:2:2, 4:4:4, limited or "J" full range) it averages boxes of
// the planes itself and converts the 3072 averages to RGB (BT.601, like swscale's default): one add
// per source sample instead of swscale's area filter (the per-frame cost that mattered on 640x480 in
// perf). Other formats, and pictures under twice the copy's size (boxes of one or two samples, where
// fractional weights matter), go through swscale (SWS_AREA). The averages are exact (integer sums);
// swscale rounds through 15-bit intermediates and sites 4:2:0 chroma between rows, so the two differ by
// about 0.2-3 levels on average (more at sharp colour edges).
#pragma once

#include <cstdint>
#include <vector>

#include "media/frame_converter.h"

namespace vigil::video {

class AnalysisScaler {
 public:
  AnalysisScaler();
  // Scales `frame` into *image (RGB24, kAnalysisWidth x kAnalysisHeight, no rotation).
  Status Convert(const AVFrame* frame, Image* image);

 private:
  // Box averages of one plane (w x h samples) into out[kAnalysisWidth * kAnalysisHeight].
  void AveragePlane(const uint8_t* data, int stride, int w, int h, float* out);

  FrameConverter fallback_;
  std::vector<uint16_t> column_sums_;
  std::vector<float> y_, u_, v_;
};

}  // namespace vigil::video
