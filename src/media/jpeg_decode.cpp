// JPEG adapter on libturbojpeg: header limits, DCT-scaled decode, CMYK/YCCK, EXIF orientation.
// Truncated data (libjpeg's "Premature end" warnings) is refused as kDataLoss "truncated JPEG",
// except a file missing only its final EOI marker; other libjpeg warnings (e.g. extraneous bytes
// before a marker) are tolerated, as OpenCV does.
#include <turbojpeg.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "media/exif_orientation.h"
#include "media/image_formats.h"
#include "media/pixel_ops.h"
#include "media/turbojpeg_handle.h"

namespace vigil::media {
namespace {

// Orientation from the first APP1 "Exif" segment before the first SOS; 1 if none.
int JpegExifOrientation(const uint8_t* data, size_t size) {
  size_t pos = 2;  // after SOI
  while (pos + 4 <= size) {
    if (data[pos] != 0xff) break;
    const uint8_t marker = data[pos + 1];
    if (marker == 0xff) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {  // markers without a length
      pos += 2;
      continue;
    }
    if (marker == 0xda || marker == 0xd9) break;  // start of scan / end of image
    const size_t length = (size_t{data[pos + 2]} << 8) | data[pos + 3];
    if (length < 2 || length > size - pos - 2) break;
    if (marker == 0xe1 && length >= 2 + 6 && std::memcmp(data + pos + 4, "Exif\0\0", 6) == 0) {
      return ExifOrientation(data + pos + 4, length - 2);
    }
    pos += 2 + length;
  }
  return 1;
}

bool ContainsNoCase(const std::string& haystack, const char* needle) {
  std::string lower(haystack);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find(needle) != std::string::npos;
}

// Smallest scaling factor <= 1 whose (oriented) output covers min_width x min_height.
tjscalingfactor ChooseScale(int width, int height, bool transposed, const DecodeOptions& options) {
  tjscalingfactor best{1, 1};
  if (options.min_width <= 0 && options.min_height <= 0) return best;
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  if (factors == nullptr) return best;
  for (int i = 0; i < count; ++i) {
    const tjscalingfactor f = factors[i];
    if (f.num <= 0 || f.denom <= 0 || f.num > f.denom) continue;  // only downscaling
    int w = TJSCALED(width, f);
    int h = TJSCALED(height, f);
    if (transposed) std::swap(w, h);
    if (w < options.min_width || h < options.min_height) continue;
    // f < best  <=>  f.num * best.denom < best.num * f.denom
    if (static_cast<int64_t>(f.num) * best.denom < static_cast<int64_t>(best.num) * f.denom) best = f;
  }
  return best;
}

}  // namespace

Result<Image> DecodeJpeg(const uint8_t* data, size_t size, const DecodeOptions& options,
                         DecodeInfo* info) {
  if (size > static_cast<size_t>(0xffffffffu)) return ResourceExhaustedError("jpeg: input too large");
  TjHandle handle(tjInitDecompress());
  if (!handle) return InternalError("jpeg: tjInitDecompress failed");
  const unsigned long jpeg_size = static_cast<unsigned long>(size);
  int width = 0;
  int height = 0;
  int subsamp = 0;
  int colorspace = 0;
  if (tjDecompressHeader3(handle.get(), data, jpeg_size, &width, &height, &subsamp, &colorspace) != 0) {
    return DataLossError(std::string("jpeg: cannot read header: ") + tjGetErrorStr2(handle.get()));
  }
  VIGIL_RETURN_IF_ERROR(CheckDeclaredSize("jpeg", width, height, options));
  info->source_width = width;
  info->source_height = height;

  const int orientation = options.apply_exif_orientation ? JpegExifOrientation(data, size) : 1;
  const tjscalingfactor scale = ChooseScale(width, height, orientation >= 5, options);
  const int out_w = TJSCALED(width, scale);
  const int out_h = TJSCALED(height, scale);
  info->scale_numerator = scale.num;
  info->scale_denominator = scale.denom;

  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int pixel_format = cmyk ? TJPF_CMYK : TJPF_RGB;
  const int channels = cmyk ? 4 : 3;
  // CMYK: the 4-channel buffer and the RGB result; RGB: decoded in place. Plus a rotated copy.
  VIGIL_RETURN_IF_ERROR(CheckDecodeBudget("jpeg", out_w, out_h, channels + (cmyk ? 3 : 0) + (orientation != 1 ? 3 : 0),
                                          options));
  std::vector<uint8_t> buffer(static_cast<size_t>(out_w) * out_h * channels);
  const auto decompress = [&](const uint8_t* bytes, unsigned long n) -> Status {
    const int flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS;
    if (tjDecompress2(handle.get(), bytes, n, buffer.data(), out_w, out_w * channels, out_h,
                      pixel_format, flags) == 0) {
      return Status::Ok();
    }
    const std::string message = tjGetErrorStr2(handle.get());
    if (tjGetErrorCode(handle.get()) != TJERR_WARNING) return DataLossError("corrupt JPEG: " + message);
    if (ContainsNoCase(message, "premature end")) return DataLossError("truncated JPEG: " + message);
    return Status::Ok();  // any other warning: the image decoded completely; accept it
  };
  Status status = decompress(data, jpeg_size);
  if (!status.ok() && size >= 2 && !(data[size - 2] == 0xff && data[size - 1] == 0xd9)) {
    // A file that lacks only its final EOI marker is complete: retry with EOI appended. Data cut
    // inside a scan still warns ("premature end of data segment") and stays refused.
    std::vector<uint8_t> with_eoi(data, data + size);
    with_eoi.push_back(0xff);
    with_eoi.push_back(0xd9);
    if (decompress(with_eoi.data(), jpeg_size + 2).ok()) status = Status::Ok();
  }
  VIGIL_RETURN_IF_ERROR(status);

  Image image;
  image.width = out_w;
  image.height = out_h;
  if (cmyk) {
    const size_t count = static_cast<size_t>(out_w) * out_h;
    image.pixels.resize(count * 3);
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* p = &buffer[i * 4];
      image.pixels[i * 3] = CmykChannel(p[0], p[3]);
      image.pixels[i * 3 + 1] = CmykChannel(p[1], p[3]);
      image.pixels[i * 3 + 2] = CmykChannel(p[2], p[3]);
    }
  } else {
    image.pixels = std::move(buffer);
  }
  info->exif_orientation = orientation;
  if (orientation != 1) return ApplyOrientation(image, orientation);
  return image;
}

}  // namespace vigil::media
