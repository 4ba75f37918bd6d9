// WebP adapter on libwebp: header limits (WebPGetFeatures), still images (RGB or RGBA composited on
// white), first frame of animations (WebPAnimDecoder), EXIF orientation from the EXIF chunk.
#include <webp/decode.h>
#include <webp/demux.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "media/exif_orientation.h"
#include "media/image_formats.h"
#include "media/pixel_ops.h"

namespace vigil::media {
namespace {

struct DemuxDeleter {
  void operator()(WebPDemuxer* d) const { WebPDemuxDelete(d); }
};
struct AnimDecoderDeleter {
  void operator()(WebPAnimDecoder* d) const { WebPAnimDecoderDelete(d); }
};

std::string StatusText(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data";
    default: return "status " + std::to_string(static_cast<int>(status));
  }
}

Status WebpError(VP8StatusCode status, const char* what) {
  if (status == VP8_STATUS_NOT_ENOUGH_DATA) return DataLossError(std::string("truncated WebP: ") + what);
  if (status == VP8_STATUS_OUT_OF_MEMORY) return ResourceExhaustedError("webp: out of memory");
  if (status == VP8_STATUS_UNSUPPORTED_FEATURE) {
    return UnsupportedError(std::string("webp: unsupported feature: ") + what);
  }
  return DataLossError(std::string("corrupt WebP: ") + what + ": " + StatusText(status));
}

int WebpExifOrientation(const uint8_t* data, size_t size) {
  WebPData webp_data{data, size};
  std::unique_ptr<WebPDemuxer, DemuxDeleter> demux(WebPDemux(&webp_data));
  if (!demux) return 1;
  if ((WebPDemuxGetI(demux.get(), WEBP_FF_FORMAT_FLAGS) & EXIF_FLAG) == 0) return 1;
  WebPChunkIterator it;
  int orientation = 1;
  if (WebPDemuxGetChunk(demux.get(), "EXIF", 1, &it)) {
    orientation = ExifOrientation(it.chunk.bytes, it.chunk.size);
    WebPDemuxReleaseChunkIterator(&it);
  }
  return orientation;
}

Result<Image> DecodeFirstFrame(const uint8_t* data, size_t size, int width, int height,
                               DecodeInfo* info) {
  WebPAnimDecoderOptions anim_options;
  if (!WebPAnimDecoderOptionsInit(&anim_options)) return InternalError("webp: bad library version");
  anim_options.color_mode = MODE_RGBA;
  anim_options.use_threads = 0;
  WebPData webp_data{data, size};
  std::unique_ptr<WebPAnimDecoder, AnimDecoderDeleter> decoder(
      WebPAnimDecoderNew(&webp_data, &anim_options));
  if (!decoder) return DataLossError("corrupt or truncated animated WebP");
  uint8_t* canvas = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(decoder.get(), &canvas, &timestamp) || canvas == nullptr) {
    return DataLossError("corrupt or truncated animated WebP: cannot decode the first frame");
  }
  Image image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  info->had_alpha = RgbaToRgbOverWhite(canvas, image.pixels.data(), static_cast<size_t>(width) * height);
  return image;
}

}  // namespace

Result<Image> DecodeWebp(const uint8_t* data, size_t size, const DecodeOptions& options,
                         DecodeInfo* info) {
  WebPBitstreamFeatures features;
  const VP8StatusCode header_status = WebPGetFeatures(data, size, &features);
  if (header_status != VP8_STATUS_OK) return WebpError(header_status, "cannot read header");
  VIGIL_RETURN_IF_ERROR(CheckDeclaredSize("webp", features.width, features.height, options));
  info->source_width = features.width;
  info->source_height = features.height;

  Image image;
  if (features.has_animation) {
    VIGIL_ASSIGN_OR_RETURN(image, DecodeFirstFrame(data, size, features.width, features.height, info));
  } else {
    const int channels = features.has_alpha ? 4 : 3;
    // RGBA buffer and the RGB result (RGB: decoded in place); the rotated copy is not known yet
    // (EXIF is read after decoding), so it is counted when the file has any EXIF at all.
    VIGIL_RETURN_IF_ERROR(CheckDecodeBudget("webp", features.width, features.height,
                                            channels + (channels == 4 ? 3 : 0), options));
    const size_t count = static_cast<size_t>(features.width) * features.height;
    std::vector<uint8_t> buffer(count * channels);
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) return InternalError("webp: bad library version");
    config.output.colorspace = features.has_alpha ? MODE_RGBA : MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = buffer.data();
    config.output.u.RGBA.stride = features.width * channels;
    config.output.u.RGBA.size = buffer.size();
    const VP8StatusCode status = WebPDecode(data, size, &config);
    WebPFreeDecBuffer(&config.output);
    if (status != VP8_STATUS_OK) return WebpError(status, "cannot decode pixels");
    image.width = features.width;
    image.height = features.height;
    if (features.has_alpha) {
      image.pixels.resize(count * 3);
      info->had_alpha = RgbaToRgbOverWhite(buffer.data(), image.pixels.data(), count);
    } else {
      image.pixels = std::move(buffer);
    }
  }
  const int orientation = options.apply_exif_orientation ? WebpExifOrientation(data, size) : 1;
  info->exif_orientation = orientation;
  if (orientation != 1) return ApplyOrientation(image, orientation);
  return image;
}

}  // namespace vigil::media
