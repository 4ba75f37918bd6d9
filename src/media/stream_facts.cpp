// What the reader needs to know about a stream, its codec and container before decoding (rotation,
// output size, key-flag reliability, exact seek indexes, still-image demuxers) and the check of
// VideoReaderOptions: pure functions of FFmpeg's stream facts, kept apart from the decode loop.
#include "media/stream_facts.h"

#include <algorithm>
#include <cmath>

namespace vigil::video {

// Clockwise rotation (0/90/180/270) from the stream's display matrix, as ffmpeg's CLI applies it.
int StreamRotation(const AVStream* stream) {
  const uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  if (!matrix) return 0;
  const double angle = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(angle)) return 0;
  long deg = std::lround(-angle) % 360;
  if (deg < 0) deg += 360;
  return static_cast<int>(((deg + 45) / 90) * 90 % 360);
}

// Output size after rotation per VideoReaderOptions (out size, keep_aspect).
void OutputSize(const VideoReaderOptions& o, int display_w, int display_h, int* w, int* h) {
  *w = display_w;
  *h = display_h;
  if (o.out_width <= 0 && o.out_height <= 0) return;
  const double aspect = static_cast<double>(display_w) / display_h;
  if (o.out_width > 0 && o.out_height > 0) {
    *w = o.out_width;
    *h = o.out_height;
    if (o.keep_aspect) {
      if (static_cast<double>(o.out_width) / o.out_height > aspect) {
        *w = std::max(1, static_cast<int>(std::lround(o.out_height * aspect)));
      } else {
        *h = std::max(1, static_cast<int>(std::lround(o.out_width / aspect)));
      }
    }
  } else if (o.out_width > 0) {
    *w = o.out_width;
    *h = std::max(1, static_cast<int>(std::lround(o.out_width / aspect)));
  } else {
    *h = o.out_height;
    *w = std::max(1, static_cast<int>(std::lround(o.out_height * aspect)));
  }
}

// Codecs whose demuxed packets carry the key flag of the frame inside (set from the bitstream by
// FFmpeg's parsers or the container's sync-sample tables), so key-frame sampling may drop the other
// packets unseen. For any other codec every packet is sent and the decoder decides (skip_frame).
bool PacketKeyFlagsReliable(AVCodecID id) {
  switch (id) {
    case AV_CODEC_ID_H264: case AV_CODEC_ID_HEVC: case AV_CODEC_ID_VP8: case AV_CODEC_ID_VP9:
    case AV_CODEC_ID_AV1: case AV_CODEC_ID_MPEG4: case AV_CODEC_ID_MPEG1VIDEO: case AV_CODEC_ID_MPEG2VIDEO:
    case AV_CODEC_ID_THEORA: case AV_CODEC_ID_MSMPEG4V3: case AV_CODEC_ID_MJPEG:
      return true;
    default:
      return false;
  }
}

// Demuxers whose seek index lists every key frame up front with exact timestamps (MP4/MOV sample
// tables, Matroska/WebM cues, AVI idx1). Others (MPEG-PS, Ogg, ...) seek by bisection or bytes and
// may land after the requested time, so the interval sampler does not seek there.
bool ContainerHasExactIndex(const std::string& demuxer) {
  return demuxer.rfind("mov,mp4", 0) == 0 || demuxer.rfind("matroska", 0) == 0 || demuxer == "avi";
}

bool IsStillImageDemuxer(const char* name) {
  const std::string n = name ? name : "";
  return n == "image2" || n == "image2pipe" ||
         (n.size() > 5 && n.compare(n.size() - 5, 5, "_pipe") == 0);
}

Status ValidateReaderOptions(const VideoReaderOptions& o) {
  if (o.out_width < 0 || o.out_height < 0 || o.out_width > 16384 || o.out_height > 16384) {
    return InvalidArgumentError("out_width/out_height must be in [0, 16384]");
  }
  if (o.decode_threads < 0 || o.decode_threads > 64) return InvalidArgumentError("decode_threads must be in [0, 64]");
  if (o.time_budget_s < 0 || o.max_duration_s < 0) return InvalidArgumentError("time_budget_s/max_duration_s must be >= 0");
  if (o.max_pixels <= 0 || o.max_dimension <= 0 || o.max_file_bytes <= 0) {
    return InvalidArgumentError("max_pixels, max_dimension and max_file_bytes must be > 0");
  }
  if (o.sampler.max_frames < 0 || o.max_decoded_frames < 0) return InvalidArgumentError("frame limits must be >= 0");
  if (o.sampler.kind == SamplerKind::kInterval && !(o.sampler.interval_s > 0)) {
    return InvalidArgumentError("interval sampler needs interval_s > 0");
  }
  VIGIL_RETURN_IF_ERROR(CheckSamplerLimits(o.sampler, o.sampler_limits));
  if (o.sampler.scene_threshold < 0 || o.sampler.scene_threshold > 1 || o.shot_detector.threshold < 0 ||
      o.shot_detector.threshold > 1) {
    return InvalidArgumentError("scene threshold must be in [0, 1]");
  }
  return Status::Ok();
}

}  // namespace vigil::video
