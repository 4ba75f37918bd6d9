// Format sniffing from magic bytes and declared image sizes read from headers, so limits are
// enforced before any pixel buffer is allocated (see image_formats.h).
#include <cstdio>
#include <cstring>
#include <string>

#include "media/exif_orientation.h"
#include "media/image_formats.h"

namespace vigil::media {
namespace {

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint32_t Le32(const uint8_t* p) {
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}
uint32_t Le16(const uint8_t* p) { return (uint32_t{p[1]} << 8) | p[0]; }

bool IsBmpInfoHeaderSize(uint32_t n) {
  return n == 12 || n == 16 || n == 40 || n == 52 || n == 56 || n == 64 || n == 108 || n == 124;
}

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};

}  // namespace

ImageFormat SniffFormat(const uint8_t* data, size_t size) {
  if (data == nullptr) return ImageFormat::kUnknown;
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return ImageFormat::kJpeg;
  if (size >= 8 && std::memcmp(data, kPngSignature, 8) == 0) return ImageFormat::kPng;
  if (size >= 6 && (std::memcmp(data, "GIF87a", 6) == 0 || std::memcmp(data, "GIF89a", 6) == 0)) {
    return ImageFormat::kGif;
  }
  if (size >= 12 && std::memcmp(data, "RIFF", 4) == 0 && std::memcmp(data + 8, "WEBP", 4) == 0) {
    return ImageFormat::kWebp;
  }
  if (size >= 4 && (std::memcmp(data, "II*\0", 4) == 0 || std::memcmp(data, "MM\0*", 4) == 0 ||
                    std::memcmp(data, "II+\0", 4) == 0 || std::memcmp(data, "MM\0+", 4) == 0)) {
    return ImageFormat::kTiff;
  }
  // "BM" alone is too weak a signature: also require a known info-header size.
  if (size >= 18 && data[0] == 'B' && data[1] == 'M' && IsBmpInfoHeaderSize(Le32(data + 14))) {
    return ImageFormat::kBmp;
  }
  return ImageFormat::kUnknown;
}

const char* FormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kBmp: return "bmp";
    case ImageFormat::kGif: return "gif";
    case ImageFormat::kTiff: return "tiff";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

std::string HexPrefix(const uint8_t* data, size_t size, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < size && i < max_bytes; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof(buf), "%02x", data[i]);
    if (!out.empty()) out += ' ';
    out += buf;
  }
  return out;
}

Status CheckDecodeBudget(const char* format, int64_t width, int64_t height, int64_t bytes_per_pixel,
                         const DecodeOptions& options) {
  if (options.max_decode_bytes <= 0) return InvalidArgumentError("max_decode_bytes must be > 0");
  // width, height <= max_dimension (an int) and bytes_per_pixel is small: no overflow.
  const int64_t bytes = width * height * bytes_per_pixel;
  if (bytes > options.max_decode_bytes) {
    return ResourceExhaustedError(std::string(format) + " image of " + std::to_string(width) + "x" +
                                  std::to_string(height) + " needs " + std::to_string(bytes >> 20) +
                                  " MiB to decode; exceeds max_decode_bytes " +
                                  std::to_string(options.max_decode_bytes >> 20) + " MiB");
  }
  return Status::Ok();
}

Status CheckDeclaredSize(const char* format, int64_t width, int64_t height,
                         const DecodeOptions& options) {
  const std::string dims = std::to_string(width) + "x" + std::to_string(height);
  if (width <= 0 || height <= 0) {
    return DataLossError(std::string(format) + " header declares an empty image (" + dims + ")");
  }
  if (width > options.max_dimension || height > options.max_dimension) {
    return ResourceExhaustedError(std::string(format) + " image is " + dims + "; " +
                                  (width > options.max_dimension ? "width" : "height") +
                                  " exceeds max_dimension " + std::to_string(options.max_dimension));
  }
  // Both factors are <= max_dimension (an int), so the product fits in int64.
  if (width * height > options.max_pixels) {
    return ResourceExhaustedError(std::string(format) + " image is " + dims + " = " +
                                  std::to_string(width * height) + " pixels; exceeds max_pixels " +
                                  std::to_string(options.max_pixels));
  }
  return Status::Ok();
}

Result<DeclaredSize> ReadPngSize(const uint8_t* data, size_t size) {
  // Signature (8), then the IHDR chunk: length (4), "IHDR", width (4), height (4), ...
  if (size < 24 || std::memcmp(data + 12, "IHDR", 4) != 0) {
    return DataLossError("png: missing or truncated IHDR chunk");
  }
  return DeclaredSize{Be32(data + 16), Be32(data + 20)};
}

Result<DeclaredSize> ReadBmpSize(const uint8_t* data, size_t size) {
  if (size < 26) return DataLossError("bmp: truncated header");
  const uint32_t info_size = Le32(data + 14);
  if (info_size == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    return DeclaredSize{Le16(data + 18), Le16(data + 20)};
  }
  const int64_t width = static_cast<int32_t>(Le32(data + 18));
  int64_t height = static_cast<int32_t>(Le32(data + 22));
  if (height < 0) height = -height;  // top-down bitmap
  return DeclaredSize{width, height};
}

Result<DeclaredSize> ReadGifSize(const uint8_t* data, size_t size) {
  if (size < 13) return DataLossError("gif: truncated logical screen descriptor");
  return DeclaredSize{Le16(data + 6), Le16(data + 8)};
}

Result<DeclaredSize> ReadTiffSize(const uint8_t* data, size_t size) {
  const TiffIfd0 ifd = ParseTiffIfd0(data, size);
  if (!ifd.valid) return DataLossError("tiff: truncated or malformed header or first IFD");
  const auto clamp = [](uint64_t v) { return static_cast<int64_t>(v > (1ull << 40) ? (1ull << 40) : v); };
  return DeclaredSize{clamp(ifd.width), clamp(ifd.height)};
}

int ReadPngExifOrientation(const uint8_t* data, size_t size) {
  size_t pos = 8;
  while (pos + 12 <= size) {
    const uint32_t length = Be32(data + pos);
    const uint8_t* type = data + pos + 4;
    if (length > size - pos - 12) break;  // truncated chunk
    if (std::memcmp(type, "eXIf", 4) == 0) return ExifOrientation(data + pos + 8, length);
    if (std::memcmp(type, "IEND", 4) == 0) break;
    pos += 12 + static_cast<size_t>(length);
  }
  return 1;
}

}  // namespace vigil::media
