// BMP and TIFF adapter on OpenCV imgcodecs (PNG normally goes through libpng: png_decode.cpp),
// with cv::imdecode(IMREAD_UNCHANGED), so OpenCV neither converts depth nor applies orientation. Headers are checked against the limits first;
// BGR(A)/gray/16-bit results are converted here to 8-bit RGB with alpha composited on white.
// TIFF orientation is not applied (exif_orientation stays 1).
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <string>

#include "media/image_formats.h"
#include "media/pixel_ops.h"

namespace vigil::media {
namespace {

// Reads one channel value as 16-bit (8-bit values are widened v * 257, exact).
template <typename T>
uint32_t Wide(T v);
template <>
uint32_t Wide<uint8_t>(uint8_t v) { return uint32_t{v} * 257u; }
template <>
uint32_t Wide<uint16_t>(uint16_t v) { return v; }

template <typename T>
bool ConvertRows(const cv::Mat& m, Image* out) {
  const int channels = m.channels();
  bool had_alpha = false;
  for (int y = 0; y < m.rows; ++y) {
    const T* src = m.ptr<T>(y);
    uint8_t* dst = &out->pixels[static_cast<size_t>(y) * m.cols * 3];
    for (int x = 0; x < m.cols; ++x, src += channels, dst += 3) {
      uint32_t r;
      uint32_t g;
      uint32_t b;
      uint32_t a = 0xffff;
      if (channels == 1 || channels == 2) {
        r = g = b = Wide<T>(src[0]);
        if (channels == 2) a = Wide<T>(src[1]);
      } else {
        b = Wide<T>(src[0]);
        g = Wide<T>(src[1]);
        r = Wide<T>(src[2]);
        if (channels == 4) a = Wide<T>(src[3]);
      }
      if (sizeof(T) == 1) {  // 8-bit: composite in 8 bits (exact inverse of the widening)
        if (a != 0xffff) {
          had_alpha = true;
          const uint32_t a8 = a / 257u;
          r = OverWhite8(r / 257u, a8);
          g = OverWhite8(g / 257u, a8);
          b = OverWhite8(b / 257u, a8);
        } else {
          r /= 257u;
          g /= 257u;
          b /= 257u;
        }
        dst[0] = static_cast<uint8_t>(r);
        dst[1] = static_cast<uint8_t>(g);
        dst[2] = static_cast<uint8_t>(b);
      } else {
        if (a != 0xffff) {
          had_alpha = true;
          r = OverWhite16(r, a);
          g = OverWhite16(g, a);
          b = OverWhite16(b, a);
        }
        dst[0] = To8Bit(r);
        dst[1] = To8Bit(g);
        dst[2] = To8Bit(b);
      }
    }
  }
  return had_alpha;
}

}  // namespace

Result<Image> DecodeWithOpenCv(ImageFormat format, const uint8_t* data, size_t size,
                               const DecodeOptions& options, DecodeInfo* info) {
  const char* name = FormatName(format);
  DeclaredSize declared;
  switch (format) {
    case ImageFormat::kPng: { VIGIL_ASSIGN_OR_RETURN(declared, ReadPngSize(data, size)); break; }
    case ImageFormat::kBmp: { VIGIL_ASSIGN_OR_RETURN(declared, ReadBmpSize(data, size)); break; }
    case ImageFormat::kTiff: { VIGIL_ASSIGN_OR_RETURN(declared, ReadTiffSize(data, size)); break; }
    default: return InternalError(std::string("opencv adapter called for ") + name);
  }
  VIGIL_RETURN_IF_ERROR(CheckDeclaredSize(name, declared.width, declared.height, options));
  info->source_width = static_cast<int>(declared.width);
  info->source_height = static_cast<int>(declared.height);
  if (size > static_cast<size_t>(INT32_MAX)) return ResourceExhaustedError(std::string(name) + ": input too large");

  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    return DataLossError(std::string("corrupt or truncated ") + name + ": " + e.what());
  } catch (const std::exception& e) {
    return DataLossError(std::string("corrupt or truncated ") + name + ": " + e.what());
  }
  if (decoded.empty()) {
    return DataLossError(std::string("corrupt or truncated ") + name + ": OpenCV could not decode it");
  }
  // The decoder must agree with the header we checked (a TIFF may hold several pages, etc.).
  if (static_cast<int64_t>(decoded.cols) * decoded.rows > options.max_pixels) {
    return ResourceExhaustedError(std::string(name) + ": decoded image exceeds max_pixels");
  }
  const int channels = decoded.channels();
  if (channels < 1 || channels > 4) {
    return UnsupportedError(std::string(name) + ": " + std::to_string(channels) + " channels");
  }
  if (decoded.depth() == CV_32F || decoded.depth() == CV_64F) {
    // Floating-point TIFF: assume the conventional 0..1 range.
    cv::Mat scaled;
    decoded.convertTo(scaled, CV_16U, 65535.0);
    decoded = scaled;
  } else if (decoded.depth() != CV_8U && decoded.depth() != CV_16U) {
    return UnsupportedError(std::string(name) + ": sample depth " + std::to_string(decoded.depth()) +
                            " is not 8/16-bit unsigned or float");
  }

  Image image;
  image.width = decoded.cols;
  image.height = decoded.rows;
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  info->had_alpha = decoded.depth() == CV_8U ? ConvertRows<uint8_t>(decoded, &image)
                                             : ConvertRows<uint16_t>(decoded, &image);
  int orientation = 1;
  if (format == ImageFormat::kPng && options.apply_exif_orientation) {
    orientation = ReadPngExifOrientation(data, size);
  }
  info->exif_orientation = orientation;
  if (orientation != 1) return ApplyOrientation(image, orientation);
  return image;
}

}  // namespace vigil::media
