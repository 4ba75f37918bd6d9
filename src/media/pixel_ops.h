// Internal to src/media: pixel conversions shared by the decoder adapters (EXIF orientation,
// alpha compositing on white, 16-bit to 8-bit, CMYK to RGB). All integer arithmetic, deterministic.
// Thread-safety: stateless.
#pragma once

#include <cstdint>

#include "vigil/image.h"

namespace vigil::media {

// Returns `src` rotated/flipped as EXIF orientation `orientation` (1..8) asks; other values copy.
Image ApplyOrientation(const Image& src, int orientation);

// 8-bit alpha composite of colour c with alpha a over white: round((c*a + 255*(255-a)) / 255).
inline uint8_t OverWhite8(uint32_t c, uint32_t a) {
  return static_cast<uint8_t>((c * a + 255u * (255u - a) + 127u) / 255u);
}
// 16-bit alpha composite over white (65535), rounded.
inline uint16_t OverWhite16(uint64_t c, uint64_t a) {
  return static_cast<uint16_t>((c * a + 65535u * (65535u - a) + 32767u) / 65535u);
}
// 16-bit to 8-bit with rounding: round(v * 255 / 65535).
inline uint8_t To8Bit(uint32_t v) { return static_cast<uint8_t>((v * 255u + 32767u) / 65535u); }
// Inverted (Adobe) CMYK as libjpeg-turbo returns it: R = round(C * K / 255), likewise G, B.
inline uint8_t CmykChannel(uint32_t c, uint32_t k) {
  return static_cast<uint8_t>((c * k + 127u) / 255u);
}

// Converts `count` RGBA pixels to RGB composited over white; returns true if any alpha < 255.
bool RgbaToRgbOverWhite(const uint8_t* rgba, uint8_t* rgb, size_t count);

}  // namespace vigil::media
