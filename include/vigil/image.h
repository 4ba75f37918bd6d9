// Image: decoded pixels, and decoding from bytes or files with explicit limits.
// Thread-safety: Image is a value type; DecodeImage/ReadImageFile are thread-safe (no shared state).
//
//   vigil::DecodeOptions opts;
//   opts.min_width = opts.min_height = 224;  // allow JPEG DCT-scaled decode down to this size
//   VIGIL_ASSIGN_OR_RETURN(vigil::Image img, vigil::ReadImageFile("photo.jpg", opts));
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

// 8-bit RGB pixels, row-major, interleaved (R, G, B), no row padding:
// pixel (x, y) channel c is pixels[(y * width + x) * 3 + c].
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // size width * height * 3

  bool empty() const { return width <= 0 || height <= 0; }
};

// Facts about how an image was decoded (for logs, JSON output and tests).
struct DecodeInfo {
  std::string format;         // "jpeg", "png", "webp", "bmp", "gif", "tiff"
  int source_width = 0;       // size declared by the file, before scaling and orientation
  int source_height = 0;
  int scale_denominator = 1;  // JPEG DCT scaling applied (1 = full size, 2 = half, ...)
  int scale_numerator = 1;    // with scale_denominator: libjpeg-turbo factor num/denom, e.g. 3/8
  int exif_orientation = 1;   // 1..8 as read from EXIF; already applied to the pixels
  bool had_alpha = false;     // alpha was composited on white
};

struct DecodeOptions {
  // Inputs larger than this many bytes are refused (kResourceExhausted) before decoding.
  size_t max_bytes = 64u << 20;
  // Images whose declared width * height exceeds this are refused before pixels are allocated.
  int64_t max_pixels = 50'000'000;
  // Largest accepted width or height, checked on the declared size.
  int max_dimension = 30'000;
  // Memory budget of one decode: the 8-bit RGB result plus the decoder's intermediate buffers
  // (RGBA, CMYK, 16-bit samples, the rotated copy for EXIF orientation), estimated from the declared
  // size before they are allocated; over it, kResourceExhausted. Next to max_pixels because a small
  // file can declare a costly layout (a 7000x7000 16-bit interlaced PNG of 286 KB needs 539 MB).
  int64_t max_decode_bytes = 256LL << 20;
  // When > 0, a JPEG may be decoded with DCT scaling (libjpeg-turbo's factors n/8 <= 1: 1/8, 1/4,
  // 3/8, 1/2, ...) to the smallest size whose width >= min_width and height >= min_height, compared
  // after EXIF orientation. 0 = always decode at full size.
  int min_width = 0;
  int min_height = 0;
  // Rotate/flip according to the EXIF Orientation tag (JPEG, PNG, WebP, TIFF).
  bool apply_exif_orientation = true;
};

// Decodes JPEG, PNG, WebP, BMP, GIF (first frame) or TIFF from memory. Grayscale, CMYK, 16-bit and
// palette images are converted to 8-bit RGB; alpha is composited on white.
// Errors: kResourceExhausted (limits, max_decode_bytes), kUnsupported (unknown format), kDataLoss (corrupt/truncated),
// kInvalidArgument (empty input).
Result<Image> DecodeImage(const uint8_t* data, size_t size, const DecodeOptions& options = {},
                          DecodeInfo* info = nullptr);
// Reads a whole file (refusing files over options.max_bytes) and decodes it.
Result<Image> ReadImageFile(const std::string& path, const DecodeOptions& options = {},
                            DecodeInfo* info = nullptr);
// Reads a whole file into memory, refusing it if larger than max_bytes.
Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path, size_t max_bytes);

}  // namespace vigil
