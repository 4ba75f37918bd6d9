// IsDisposablePacket: scans NAL units (H.264) or picture headers (MPEG-1/2) of one packet.
#include "media/disposable_packet.h"

namespace vigil::video {
namespace {

// Calls f(nal_header_pointer, nal_size) for each NAL unit; returns false on malformed input.
template <typename F>
bool ForEachNal(const uint8_t* data, size_t size, int nal_length_size, F f) {
  if (nal_length_size > 0) {
    size_t pos = 0;
    while (pos + static_cast<size_t>(nal_length_size) <= size) {
      size_t len = 0;
      for (int i = 0; i < nal_length_size; ++i) len = (len << 8) | data[pos + i];
      pos += nal_length_size;
      if (len == 0 || len > size - pos) return false;
      f(data + pos, len);
      pos += len;
    }
    return pos == size;
  }
  // Annex B: 00 00 01 start codes.
  size_t i = 0;
  bool any = false;
  while (i + 3 <= size) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      size_t start = i + 3, end = start;
      while (end + 3 <= size && !(data[end] == 0 && data[end + 1] == 0 && data[end + 2] == 1)) ++end;
      if (end + 3 > size) end = size;
      if (start < end) {
        f(data + start, end - start);
        any = true;
      }
      i = end;
    } else {
      ++i;
    }
  }
  return any;
}

bool H264Disposable(const uint8_t* data, size_t size, int nal_length_size) {
  int slices = 0, reference_slices = 0;
  const bool ok = ForEachNal(data, size, nal_length_size, [&](const uint8_t* nal, size_t) {
    const int type = nal[0] & 0x1f;
    const int ref_idc = (nal[0] >> 5) & 3;
    if (type == 1 || type == 5 || type == 2) {  // coded slice (non-IDR, IDR, partition A)
      ++slices;
      if (ref_idc != 0 || type == 5) ++reference_slices;
    }
  });
  return ok && slices > 0 && reference_slices == 0;
}

bool Mpeg12Disposable(const uint8_t* data, size_t size) {
  // Picture start code 00 00 01 00, then temporal_reference (10 bits), picture_coding_type (3 bits).
  int pictures = 0, b_pictures = 0;
  for (size_t i = 0; i + 5 < size; ++i) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 && data[i + 3] == 0) {
      const int coding_type = (data[i + 5] >> 3) & 7;
      ++pictures;
      if (coding_type == 3) ++b_pictures;
    }
  }
  return pictures > 0 && b_pictures == pictures;
}

}  // namespace

bool IsDisposablePacket(BitstreamKind kind, const uint8_t* data, size_t size, int nal_length_size) {
  if (!data || size == 0) return false;
  switch (kind) {
    case BitstreamKind::kH264: return H264Disposable(data, size, nal_length_size);
    case BitstreamKind::kMpeg12Video: return Mpeg12Disposable(data, size);
    case BitstreamKind::kOther: return false;
  }
  return false;
}

}  // namespace vigil::video
