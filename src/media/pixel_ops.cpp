// Pixel conversions shared by the decoder adapters (see pixel_ops.h).
#include "media/pixel_ops.h"

#include <cstring>
#include <utility>

namespace vigil::media {

Image ApplyOrientation(const Image& src, int orientation) {
  if (orientation < 2 || orientation > 8 || src.empty()) return src;
  const int sw = src.width;
  const int sh = src.height;
  const bool transpose = orientation >= 5;
  Image out;
  out.width = transpose ? sh : sw;
  out.height = transpose ? sw : sh;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  for (int y = 0; y < out.height; ++y) {
    uint8_t* dst = &out.pixels[static_cast<size_t>(y) * out.width * 3];
    for (int x = 0; x < out.width; ++x) {
      int sx = x;
      int sy = y;
      switch (orientation) {
        case 2: sx = sw - 1 - x; break;                         // mirror horizontally
        case 3: sx = sw - 1 - x; sy = sh - 1 - y; break;        // rotate 180
        case 4: sy = sh - 1 - y; break;                         // mirror vertically
        case 5: sx = y; sy = x; break;                          // transpose
        case 6: sx = y; sy = sh - 1 - x; break;                 // rotate 90 clockwise
        case 7: sx = sw - 1 - y; sy = sh - 1 - x; break;        // transverse
        case 8: sx = sw - 1 - y; sy = x; break;                 // rotate 90 counter-clockwise
        default: break;
      }
      std::memcpy(dst + static_cast<size_t>(x) * 3,
                  &src.pixels[(static_cast<size_t>(sy) * sw + sx) * 3], 3);
    }
  }
  return out;
}

bool RgbaToRgbOverWhite(const uint8_t* rgba, uint8_t* rgb, size_t count) {
  bool any_transparent = false;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = rgba + i * 4;
    const uint32_t a = p[3];
    if (a == 255) {
      rgb[i * 3] = p[0];
      rgb[i * 3 + 1] = p[1];
      rgb[i * 3 + 2] = p[2];
    } else {
      any_transparent = true;
      rgb[i * 3] = OverWhite8(p[0], a);
      rgb[i * 3 + 1] = OverWhite8(p[1], a);
      rgb[i * 3 + 2] = OverWhite8(p[2], a);
    }
  }
  return any_transparent;
}

}  // namespace vigil::media
