// Linear (bilinear) resizing of NHWC float maps with precomputed taps: Vigil's own kernel for the
// ONNX Resize coordinate modes oneDNN's resampling cannot express (asymmetric: x_in = x_out / scale,
// as TensorFlow's ResizeBilinear without half-pixel centres writes it; align_corners). Plain C++,
// parallel over rows with OpenMP (the calling session's thread count). Internal to src/runtime.
// Thread-safety: LinearResizeTaps is immutable once built; Resize may run on several threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil {

// How an output coordinate maps to an input coordinate (ONNX coordinate_transformation_mode).
enum class ResizeCoordinates {
  kAsymmetric,    // x_in = x_out / scale
  kAlignCorners,  // x_in = x_out * (in - 1) / (out - 1)
  kHalfPixel,     // x_in = (x_out + 0.5) / scale - 0.5
};

// One output coordinate: value = (1 - w) * in[i0] + w * in[i1].
struct ResizeTap {
  int32_t i0 = 0;
  int32_t i1 = 0;
  float w = 0;
};

// The taps of one axis: `out` outputs from `in` inputs with `scale` (out / in unless the model
// gives its scales); input coordinates are clamped to [0, in - 1] as ONNX does.
std::vector<ResizeTap> LinearResizeTaps(int64_t in, int64_t out, double scale, ResizeCoordinates mode);

// dst[n, oy, ox, c] from src[n, y, x, c] (both dense NHWC) with the taps of each axis
// (ys.size() = OH, xs.size() = OW).
void ResizeLinearNhwc(const float* src, float* dst, int64_t n, int64_t channels, int64_t in_h, int64_t in_w,
                      const std::vector<ResizeTap>& ys, const std::vector<ResizeTap>& xs);

}  // namespace vigil
