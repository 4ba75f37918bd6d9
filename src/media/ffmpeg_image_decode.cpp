// BMP and TIFF adapter on FFmpeg's image decoders (libavcodec's bmp and tiff, the libraries the video
// reader already links; OpenCV imgcodecs is no longer linked into the library: it pulled GDAL, GDCM
// and ~75 more shared libraries into every process start). Headers are checked against the limits
// first; any pixel format FFmpeg decodes to (palette, gray, BGR(A), 16-bit, float, ...) is converted
// with swscale to RGBA (8 or 16 bits a channel), then to 8-bit RGB with alpha composited on white.
// TIFF orientation is not applied (exif_orientation stays 1); only the first TIFF page is decoded.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "media/ffmpeg_handles.h"
#include "media/image_formats.h"
#include "media/pixel_ops.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace vigil::media {
namespace {

// RGBA rows (8 or 16 bits a channel) -> 8-bit RGB over white; returns whether any pixel had alpha.
template <typename T>
bool CompositeRows(const uint8_t* rgba, int stride, int width, int height, bool has_alpha, Image* out) {
  bool had_alpha = false;
  for (int y = 0; y < height; ++y) {
    const T* src = reinterpret_cast<const T*>(rgba + static_cast<size_t>(y) * stride);
    uint8_t* dst = &out->pixels[static_cast<size_t>(y) * width * 3];
    for (int x = 0; x < width; ++x, src += 4, dst += 3) {
      const uint32_t a = has_alpha ? src[3] : (sizeof(T) == 1 ? 0xffu : 0xffffu);
      if (sizeof(T) == 1) {
        if (a != 0xffu) {
          had_alpha = true;
          for (int c = 0; c < 3; ++c) dst[c] = OverWhite8(src[c], a);
        } else {
          for (int c = 0; c < 3; ++c) dst[c] = static_cast<uint8_t>(src[c]);
        }
      } else {
        if (a != 0xffffu) {
          had_alpha = true;
          for (int c = 0; c < 3; ++c) dst[c] = To8Bit(OverWhite16(src[c], a));
        } else {
          for (int c = 0; c < 3; ++c) dst[c] = To8Bit(src[c]);
        }
      }
    }
  }
  return had_alpha;
}

}  // namespace

Result<Image> DecodeWithFFmpeg(ImageFormat format, const uint8_t* data, size_t size, const DecodeOptions& options,
                               DecodeInfo* info) {
  const char* name = FormatName(format);
  DeclaredSize declared;
  AVCodecID codec_id = AV_CODEC_ID_NONE;
  switch (format) {
    case ImageFormat::kBmp: {
      VIGIL_ASSIGN_OR_RETURN(declared, ReadBmpSize(data, size));
      codec_id = AV_CODEC_ID_BMP;
      break;
    }
    case ImageFormat::kTiff: {
      VIGIL_ASSIGN_OR_RETURN(declared, ReadTiffSize(data, size));
      codec_id = AV_CODEC_ID_TIFF;
      break;
    }
    default: return InternalError(std::string("FFmpeg image adapter called for ") + name);
  }
  VIGIL_RETURN_IF_ERROR(CheckDeclaredSize(name, declared.width, declared.height, options));
  // Before decoding: at least the decoder's picture (>= 3 bytes per pixel for RGB), the RGBA
  // conversion (4) and the result (3); checked exactly once the picture's format is known.
  VIGIL_RETURN_IF_ERROR(CheckDecodeBudget(name, declared.width, declared.height, 3 + 4 + 3, options));
  info->source_width = static_cast<int>(declared.width);
  info->source_height = static_cast<int>(declared.height);
  if (size > static_cast<size_t>(INT32_MAX) - AV_INPUT_BUFFER_PADDING_SIZE) {
    return ResourceExhaustedError(std::string(name) + ": input too large");
  }

  video::RouteFFmpegLogs();  // the library never prints: FFmpeg's complaints go to the log facade
  const AVCodec* codec = avcodec_find_decoder(codec_id);
  if (!codec) return UnsupportedError(std::string("this FFmpeg build has no ") + name + " decoder");
  video::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return ResourceExhaustedError("avcodec_alloc_context3 failed");
  ctx->thread_count = 1;
  ctx->max_pixels = options.max_pixels;  // FFmpeg also refuses larger pictures than this
  int ret = avcodec_open2(ctx.get(), codec, nullptr);
  if (ret < 0) return video::FFmpegError(ret, std::string("opening the ") + name + " decoder");

  video::PacketPtr packet = video::MakePacket();
  video::FramePtr frame = video::MakeFrame();
  if (!packet || !frame || av_new_packet(packet.get(), static_cast<int>(size)) < 0) {
    return ResourceExhaustedError(std::string(name) + ": out of memory");
  }
  std::memcpy(packet->data, data, size);  // av_new_packet zeroes the padding FFmpeg reads past the end
  packet->flags |= AV_PKT_FLAG_KEY;
  ret = avcodec_send_packet(ctx.get(), packet.get());
  if (ret >= 0) ret = avcodec_send_packet(ctx.get(), nullptr);
  if (ret >= 0 || ret == AVERROR_EOF) ret = avcodec_receive_frame(ctx.get(), frame.get());
  if (ret < 0) {
    if (ret == AVERROR(ENOMEM)) return ResourceExhaustedError(std::string(name) + ": out of memory while decoding");
    return DataLossError(std::string("corrupt or truncated ") + name + ": " + video::FFmpegErrorString(ret));
  }
  // The decoder must agree with the header we checked (a TIFF may hold several pages, etc.).
  if (frame->width <= 0 || frame->height <= 0) return DataLossError(std::string("corrupt ") + name + ": empty picture");
  if (static_cast<int64_t>(frame->width) * frame->height > options.max_pixels) {
    return ResourceExhaustedError(std::string(name) + ": decoded image exceeds max_pixels");
  }

  const AVPixelFormat src_format = static_cast<AVPixelFormat>(frame->format);
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(src_format);
  if (!desc) return UnsupportedError(std::string(name) + ": unknown pixel format");
  const bool has_alpha = (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
  const bool wide = desc->comp[0].depth > 8 || (desc->flags & AV_PIX_FMT_FLAG_FLOAT);
  const AVPixelFormat rgba_format = wide ? AV_PIX_FMT_RGBA64 : AV_PIX_FMT_RGBA;
  video::SwsContextPtr sws(sws_getContext(frame->width, frame->height, src_format, frame->width, frame->height,
                                          rgba_format, SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                                          nullptr, nullptr));
  if (!sws) {
    return UnsupportedError(std::string(name) + ": pixel format " + (desc->name ? desc->name : "?") +
                            " cannot be converted to RGB");
  }
  const int stride = frame->width * 4 * (wide ? 2 : 1);
  const int picture_bytes = av_image_get_buffer_size(src_format, frame->width, frame->height, 1);
  const int64_t pixels = int64_t{frame->width} * frame->height;
  VIGIL_RETURN_IF_ERROR(CheckDecodeBudget(name, frame->width, frame->height,
                                          (std::max(picture_bytes, 0) + pixels - 1) / pixels + 4 * (wide ? 2 : 1) + 3,
                                          options));
  std::vector<uint8_t> rgba(static_cast<size_t>(stride) * frame->height);
  uint8_t* dst[4] = {rgba.data(), nullptr, nullptr, nullptr};
  const int dst_stride[4] = {stride, 0, 0, 0};
  if (sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dst, dst_stride) != frame->height) {
    return InternalError(std::string(name) + ": pixel conversion failed");
  }

  Image image;
  image.width = frame->width;
  image.height = frame->height;
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  info->had_alpha = wide ? CompositeRows<uint16_t>(rgba.data(), stride, image.width, image.height, has_alpha, &image)
                         : CompositeRows<uint8_t>(rgba.data(), stride, image.width, image.height, has_alpha, &image);
  info->exif_orientation = 1;
  return image;
}

}  // namespace vigil::media
