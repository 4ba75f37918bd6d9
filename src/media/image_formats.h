// Internal to src/media: format sniffing, declared-size limits and the per-format decoder adapters
// that DecodeImage dispatches to. Each adapter checks the declared size against the options before
// it allocates pixels, fills DecodeInfo and returns 8-bit RGB with EXIF orientation applied.
// Thread-safety: all functions are stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "vigil/image.h"
#include "vigil/status.h"

namespace vigil::media {

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp, kBmp, kGif, kTiff };

// Recognises a format from its magic bytes (never from a file name).
ImageFormat SniffFormat(const uint8_t* data, size_t size);
// "jpeg", "png", "webp", "bmp", "gif", "tiff" or "unknown".
const char* FormatName(ImageFormat format);
// "ff d8 ff e0 ..." for the first few bytes, for error messages.
std::string HexPrefix(const uint8_t* data, size_t size, size_t max_bytes = 8);

// Refuses an empty declared size (kDataLoss) or one over max_dimension / max_pixels
// (kResourceExhausted). `format` names the format in the message.
Status CheckDeclaredSize(const char* format, int64_t width, int64_t height,
                         const DecodeOptions& options);

// Refuses (kResourceExhausted) a decode whose buffers exceed options.max_decode_bytes:
// width * height * bytes_per_pixel, where bytes_per_pixel counts the 8-bit RGB result and every
// intermediate the adapter holds at once (per declared pixel). Also kInvalidArgument when
// max_decode_bytes <= 0.
Status CheckDecodeBudget(const char* format, int64_t width, int64_t height, int64_t bytes_per_pixel,
                         const DecodeOptions& options);

// Declared size read from a header without decoding pixels (PNG IHDR, BMP info header,
// GIF logical screen, TIFF IFD0). kDataLoss if the header is truncated or malformed.
struct DeclaredSize {
  int64_t width = 0;
  int64_t height = 0;
};
Result<DeclaredSize> ReadPngSize(const uint8_t* data, size_t size);
Result<DeclaredSize> ReadBmpSize(const uint8_t* data, size_t size);
Result<DeclaredSize> ReadGifSize(const uint8_t* data, size_t size);
Result<DeclaredSize> ReadTiffSize(const uint8_t* data, size_t size);
// EXIF orientation (1..8) from a PNG eXIf chunk; 1 when absent or malformed.
int ReadPngExifOrientation(const uint8_t* data, size_t size);

// Adapters. `info` is never null here.
Result<Image> DecodeJpeg(const uint8_t* data, size_t size, const DecodeOptions& options,
                         DecodeInfo* info);                           // jpeg_decode.cpp
Result<Image> DecodeWebp(const uint8_t* data, size_t size, const DecodeOptions& options,
                         DecodeInfo* info);                           // webp_decode.cpp
Result<Image> DecodeGif(const uint8_t* data, size_t size, const DecodeOptions& options,
                        DecodeInfo* info);                            // gif_decode.cpp
Result<Image> DecodePng(const uint8_t* data, size_t size, const DecodeOptions& options,
                        DecodeInfo* info);                            // png_decode.cpp (libpng)
// BMP and TIFF through FFmpeg's image decoders (ffmpeg_image_decode.cpp).
Result<Image> DecodeWithFFmpeg(ImageFormat format, const uint8_t* data, size_t size,
                               const DecodeOptions& options, DecodeInfo* info);

}  // namespace vigil::media
