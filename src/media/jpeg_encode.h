// JPEG encoding of an RGB Image (thumbnails), on libturbojpeg, optionally resized first (OpenCV
// area/linear resize).
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/image.h"
#include "vigil/status.h"

namespace vigil::media {

// Encodes `image` as a baseline JPEG (4:2:0). When width/height > 0 and differ from the image's,
// the image is resized to width x height first. quality in 1..100.
Result<std::vector<uint8_t>> EncodeJpeg(const Image& image, int quality = 85, int width = 0,
                                        int height = 0);

// EncodeJpeg, then writes the bytes to `path` (replacing it).
Status WriteJpegFile(const std::string& path, const Image& image, int quality = 85, int width = 0,
                     int height = 0);

}  // namespace vigil::media
