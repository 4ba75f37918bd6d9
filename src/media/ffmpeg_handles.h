// The FFmpeg adapter's one header: unique_ptr owners (with deleters) for every FFmpeg handle Vigil
// holds, FFmpeg error codes mapped to vigil::Status, and FFmpeg log routing into vigil's log facade.
// Only src/media/ includes this (image decoding of BMP/TIFF, video reading); no FFmpeg type crosses
// a public header, and no other component links FFmpeg.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

#include "vigil/status.h"

namespace vigil::video {

struct FormatContextDeleter {
  void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsContextDeleter {
  void operator()(SwsContext* p) const { sws_freeContext(p); }
};

using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsContextPtr = std::unique_ptr<SwsContext, SwsContextDeleter>;

// New empty frame / packet (never null unless out of memory).
inline FramePtr MakeFrame() { return FramePtr(av_frame_alloc()); }
inline PacketPtr MakePacket() { return PacketPtr(av_packet_alloc()); }
// A new reference to the same decoded picture (refcounted, no copy); null on failure.
inline FramePtr RefFrame(const AVFrame* src) {
  FramePtr f = MakeFrame();
  if (!f || av_frame_ref(f.get(), src) < 0) return nullptr;
  return f;
}

// FFmpeg's message for an error code, e.g. "Invalid data found when processing input".
std::string FFmpegErrorString(int errnum);
// Maps an FFmpeg error code to a Status with `what` as context (AVERROR_EXIT -> kDeadlineExceeded,
// ENOENT -> kNotFound, ENOMEM -> kResourceExhausted, INVALIDDATA/EOF -> kDataLoss, ...).
Status FFmpegError(int errnum, const std::string& what);
// For calls that parse the input (stream info, opening a decoder on the file's codec headers):
// decoders report a corrupt header with whatever code they like (Theora's init returns -1, i.e.
// EPERM "Operation not permitted"), so every code that is not about resources, time or support is
// the input's fault: kDataLoss. ENOMEM -> kResourceExhausted, AVERROR_EXIT -> kDeadlineExceeded,
// ENOSYS/PATCHWELCOME/*_NOT_FOUND -> kUnsupported.
Status FFmpegInputError(int errnum, const std::string& what);
// Installs (once per process) an av_log callback that forwards FFmpeg's messages to vigil::Log
// (errors as kWarning, warnings as kDebug: they concern the input, not Vigil), so nothing is printed.
void RouteFFmpegLogs();

}  // namespace vigil::video
