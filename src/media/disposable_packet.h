// Disposable packets: compressed frames no other frame refers to (H.264 pictures whose slices all
// have nal_ref_idc 0, MPEG-1/2 B pictures). The interval sampler drops them unseen when they are far
// from every requested time: the decoder never spends time on them and nothing else changes.
// Works on the packet bytes alone (no FFmpeg types).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil::video {

enum class BitstreamKind {
  kOther,        // not inspected: never disposable
  kH264,         // H.264 in AVCC (length-prefixed NAL units, nal_length_size 1..4) or Annex B (0)
  kMpeg12Video,  // MPEG-1/2 video elementary stream
};

// nal_length_size: from the avcC extradata ((byte 4 & 3) + 1) for AVCC, 0 for Annex B start codes.
bool IsDisposablePacket(BitstreamKind kind, const uint8_t* data, size_t size, int nal_length_size);

}  // namespace vigil::video
