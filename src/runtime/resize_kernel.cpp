// Linear resizing of NHWC maps with precomputed taps (see resize_kernel.h).
#include "runtime/resize_kernel.h"

#include <algorithm>
#include <cmath>

namespace vigil {

std::vector<ResizeTap> LinearResizeTaps(int64_t in, int64_t out, double scale, ResizeCoordinates mode) {
  std::vector<ResizeTap> taps(static_cast<size_t>(std::max<int64_t>(out, 0)));
  for (int64_t o = 0; o < out; ++o) {
    double c = 0;
    switch (mode) {
      case ResizeCoordinates::kAsymmetric: c = o / scale; break;
      case ResizeCoordinates::kAlignCorners: c = out > 1 ? static_cast<double>(o) * (in - 1) / (out - 1) : 0.0; break;
      case ResizeCoordinates::kHalfPixel: c = (o + 0.5) / scale - 0.5; break;
    }
    c = std::min(std::max(c, 0.0), static_cast<double>(in - 1));
    ResizeTap& t = taps[static_cast<size_t>(o)];
    t.i0 = static_cast<int32_t>(std::floor(c));
    t.i1 = static_cast<int32_t>(std::min<int64_t>(t.i0 + 1, in - 1));
    t.w = static_cast<float>(c - t.i0);
  }
  return taps;
}

void ResizeLinearNhwc(const float* src, float* dst, int64_t n, int64_t channels, int64_t in_h, int64_t in_w,
                      const std::vector<ResizeTap>& ys, const std::vector<ResizeTap>& xs) {
  const int64_t out_h = static_cast<int64_t>(ys.size()), out_w = static_cast<int64_t>(xs.size());
  const int64_t rows = n * out_h;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t b = r / out_h, oy = r % out_h;
    const ResizeTap& ty = ys[static_cast<size_t>(oy)];
    const float* row0 = src + ((b * in_h + ty.i0) * in_w) * channels;
    const float* row1 = src + ((b * in_h + ty.i1) * in_w) * channels;
    const float wy = ty.w;
    float* out = dst + r * out_w * channels;
    for (int64_t ox = 0; ox < out_w; ++ox, out += channels) {
      const ResizeTap& tx = xs[static_cast<size_t>(ox)];
      const float* a = row0 + tx.i0 * channels;
      const float* b0 = row0 + tx.i1 * channels;
      const float* c = row1 + tx.i0 * channels;
      const float* d = row1 + tx.i1 * channels;
      const float wx = tx.w;
#pragma omp simd
      for (int64_t ch = 0; ch < channels; ++ch) {
        const float top = a[ch] + wx * (b0[ch] - a[ch]);
        const float bottom = c[ch] + wx * (d[ch] - c[ch]);
        out[ch] = top + wy * (bottom - top);
      }
    }
  }
}

}  // namespace vigil
