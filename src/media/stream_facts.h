// Stream, codec and container facts the FFmpeg video reader decides by, and the check of its
// options (src/media/stream_facts.cpp). Internal to src/media; pure functions, thread-safe.
#pragma once

#include <string>

#include "media/ffmpeg_handles.h"
#include "vigil/status.h"
#include "vigil/video.h"

namespace vigil::video {

// Clockwise rotation (0/90/180/270) from the stream's display matrix, as ffmpeg's CLI applies it.
int StreamRotation(const AVStream* stream);
// Output size after rotation per VideoReaderOptions (out size, keep_aspect).
void OutputSize(const VideoReaderOptions& o, int display_w, int display_h, int* w, int* h);
// Codecs whose demuxed packets carry the key flag of the frame inside.
bool PacketKeyFlagsReliable(AVCodecID id);
// Demuxers whose seek index lists every key frame up front with exact timestamps.
bool ContainerHasExactIndex(const std::string& demuxer);
bool IsStillImageDemuxer(const char* name);
// kInvalidArgument naming the first VideoReaderOptions field out of range.
Status ValidateReaderOptions(const VideoReaderOptions& o);

}  // namespace vigil::video
