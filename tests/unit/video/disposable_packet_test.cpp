// IsDisposablePacket on hand-built H.264 (AVCC and Annex B) and MPEG-2 packets.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "media/disposable_packet.h"

namespace vigil::video {
namespace {

using Bytes = std::vector<uint8_t>;

// One AVCC NAL unit with a 4-byte length prefix: header byte (ref_idc, type) + payload.
Bytes Avcc(int ref_idc, int type, size_t payload = 5) {
  Bytes b = {0, 0, 0, static_cast<uint8_t>(payload + 1), static_cast<uint8_t>((ref_idc << 5) | type)};
  b.resize(b.size() + payload, 0x88);
  return b;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    for (uint8_t byte : p) out.push_back(byte);
  }
  return out;
}

bool H264(const Bytes& b, int nal_length_size = 4) {
  return IsDisposablePacket(BitstreamKind::kH264, b.data(), b.size(), nal_length_size);
}

TEST(DisposablePacket, H264AvccNonReferenceSlicesOnly) {
  EXPECT_TRUE(H264(Avcc(0, 1)));                              // non-reference slice
  EXPECT_FALSE(H264(Avcc(2, 1)));                             // reference P/B slice
  EXPECT_FALSE(H264(Avcc(3, 5)));                             // IDR
  EXPECT_TRUE(H264(Concat({Avcc(0, 9), Avcc(0, 6), Avcc(0, 1), Avcc(0, 1)})));  // AUD + SEI + 2 slices
  EXPECT_FALSE(H264(Concat({Avcc(0, 1), Avcc(1, 1)})));       // one reference slice is enough
  EXPECT_FALSE(H264(Concat({Avcc(0, 9), Avcc(0, 6)})));       // no slice at all
  Bytes truncated = Avcc(0, 1);
  truncated.pop_back();
  EXPECT_FALSE(H264(truncated));                              // length runs past the end
  EXPECT_FALSE(H264(Bytes{}));
}

TEST(DisposablePacket, H264AnnexB) {
  const Bytes non_ref = {0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x01, 0x88, 0x84, 0, 0, 1, 0x01, 0x9a};
  const Bytes ref = {0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x41, 0x9a, 0x02};
  const Bytes idr = {0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88};
  EXPECT_TRUE(H264(non_ref, 0));
  EXPECT_FALSE(H264(ref, 0));
  EXPECT_FALSE(H264(idr, 0));
}

TEST(DisposablePacket, Mpeg2BPicturesOnly) {
  // Picture start code, temporal_reference (10 bits) then picture_coding_type (3 bits): I=1 P=2 B=3.
  auto picture = [](int type) { return Bytes{0, 0, 1, 0, 0x00, static_cast<uint8_t>(type << 3), 0xff, 0xf8}; };
  auto mpeg = [](const Bytes& b) { return IsDisposablePacket(BitstreamKind::kMpeg12Video, b.data(), b.size(), 0); };
  EXPECT_TRUE(mpeg(picture(3)));
  EXPECT_FALSE(mpeg(picture(2)));
  EXPECT_FALSE(mpeg(picture(1)));
  EXPECT_FALSE(mpeg(Concat({picture(3), picture(2)})));
  EXPECT_FALSE(mpeg(Bytes{0, 0, 1, 0xb3, 1, 2, 3}));  // sequence header only
  EXPECT_FALSE(IsDisposablePacket(BitstreamKind::kOther, picture(3).data(), 8, 0));
}

}  // namespace
}  // namespace vigil::video
