// PDQ perceptual hashing: Meta's 256-bit image hash, as used by the industry's hash-sharing
// programmes (ThreatExchange, StopNCII, the Tech Coalition), computed by Vigil's own implementation
// of the published algorithm (luminance, two-pass Jarosz tent filter to 64x64, 16x16 DCT corner,
// median threshold; quality from gradient sums). docs/hashing.md explains compatibility.
// Thread-safety: every function here is thread-safe (no shared mutable state); PdqHash and the
// result structs are value types.
//
//   VIGIL_ASSIGN_OR_RETURN(vigil::PdqResult r, vigil::HashFile("photo.jpg"));
//   VIGIL_ASSIGN_OR_RETURN(vigil::PdqHash known, vigil::PdqHash::FromHex("d8f8f0cee0f4a84f..."));
//   if (r.quality >= vigil::kPdqQualityFloor && r.hash.Distance(known) <= vigil::kPdqMatchDistance)
//     ...;  // a match
//
// Orientation: hashes are computed on the pixels as stored, ignoring EXIF orientation, as the
// reference hasher does (shared hash lists are made with it). A photo whose EXIF tag rotates it is
// still found through the dihedral hashes (the 8 EXIF orientations are the 8 dihedral transforms).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/image.h"
#include "vigil/status.h"

namespace vigil {

// Published operating points: two hashes match at Hamming distance <= 31; a hash whose quality is
// below 50 is too featureless to act on.
inline constexpr int kPdqMatchDistance = 31;
inline constexpr int kPdqQualityFloor = 50;

// A 256-bit PDQ hash. Bit k (0..255) is DCT coefficient (row k / 16, column k % 16) above the
// median. Hex form (64 digits) is the reference's: the 256-bit number sum(bit_k << k), big-endian.
class PdqHash {
 public:
  static constexpr int kBits = 256;

  PdqHash() = default;  // all zero
  explicit PdqHash(const std::array<uint64_t, 4>& words) : words_(words) {}

  // Parses 64 hex digits (either case). kInvalidArgument otherwise.
  static Result<PdqHash> FromHex(std::string_view hex);
  std::string ToHex() const;  // 64 lower-case hex digits

  int Distance(const PdqHash& other) const;  // Hamming distance, 0..256
  bool Bit(int k) const { return (words_[k >> 6] >> (k & 63)) & 1u; }
  void SetBit(int k) { words_[k >> 6] |= uint64_t{1} << (k & 63); }
  int PopCount() const;
  // words()[w] holds bits 64w..64w+63 (bit k at position k % 64).
  const std::array<uint64_t, 4>& words() const { return words_; }

  bool operator==(const PdqHash& o) const { return words_ == o.words_; }
  bool operator!=(const PdqHash& o) const { return words_ != o.words_; }
  bool operator<(const PdqHash& o) const { return words_ < o.words_; }

 private:
  std::array<uint64_t, 4> words_{};
};

struct PdqResult {
  PdqHash hash;
  int quality = 0;  // 0..100; below kPdqQualityFloor the hash should not be acted on
};

// The 8 dihedral transforms, in the reference's order (pdq-photo-hasher --pdqdih): rotations are
// counter-clockwise; FlipX turns the image upside down, FlipY mirrors it left-right, FlipPlus1
// transposes (mirror on the main diagonal), FlipMinus1 mirrors on the anti-diagonal.
enum class PdqDihedral { kOriginal, kRotate90, kRotate180, kRotate270, kFlipX, kFlipY, kFlipPlus1, kFlipMinus1 };
inline constexpr int kPdqDihedralCount = 8;
const char* PdqDihedralName(PdqDihedral d);  // "orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"

// The hashes of the image under each transform, from one decode and one DCT (sign flips and
// transposes of the DCT coefficients). hashes[0] is the original's hash.
struct PdqDihedralResult {
  std::array<PdqHash, kPdqDihedralCount> hashes;
  int quality = 0;
};

// How a large image is brought down before the tent filter.
enum class PdqResize {
  // As Meta's C++ reference hasher (pdq-photo-hasher, ThreatExchange pdq/cpp): an image with a side
  // over 512 pixels is first resized to 512x512 by nearest neighbour (CImg's default), ignoring
  // the aspect ratio. Hashes agree with its lists to a few bits (docs/hashing.md).
  kReferenceCpp,
  // The tent filter runs on the full-resolution luminance, as the Java and Python ports (and the
  // pdqhash bindings Hasher-Matcher-Actioner uses) do; their aaa-orig.jpg hash comes out exactly.
  kFullResolution,
};

struct PdqOptions {
  PdqResize resize = PdqResize::kReferenceCpp;
  // JPEG only: decode with DCT scaling, at the smaller of libjpeg-turbo's 1/4 and 1/8 scales
  // whose shorter side is still >= this many pixels, else at full size (0 = always full size;
  // the other scales, 1/2 included, measured no faster than a full decode). The tent filter averages over 1/64 of each side anyway, so 256 keeps every reference
  // image within 6 bits of a full decode at a fraction of the cost (docs/hashing.md has the
  // measured distances). With kReferenceCpp the decode is resampled to 512x512 anyway when the
  // file has a side over 512.
  int jpeg_min_side = 256;
  // Apply the EXIF orientation before hashing. Off by default: the reference hasher, and so every
  // shared hash list, hashes the pixels as stored. Use dihedral matching to find rotated copies.
  bool apply_exif_orientation = false;
  // Size limits for decoding (max_bytes, max_pixels, max_dimension are used; the rest is ignored).
  DecodeOptions limits;
};

// Hashes decoded RGB pixels. Images smaller than 5 pixels on a side get the all-zero hash with
// quality 0 (as the reference does). Errors: kInvalidArgument for an empty image.
// Only options.resize is used.
Result<PdqResult> HashImage(const Image& image, const PdqOptions& options = {});
Result<PdqDihedralResult> HashImageDihedral(const Image& image, const PdqOptions& options = {});

// Hashes 8-bit luminance (row-major, width*height values), e.g. a video frame's Y plane.
Result<PdqResult> HashLuma(const uint8_t* luma, int width, int height, const PdqOptions& options = {});

// Decodes (any format ReadImageFile reads) and hashes. Errors: those of the decoder.
Result<PdqResult> HashBytes(const uint8_t* data, size_t size, const PdqOptions& options = {});
Result<PdqResult> HashFile(const std::string& path, const PdqOptions& options = {});
Result<PdqDihedralResult> HashBytesDihedral(const uint8_t* data, size_t size,
                                            const PdqOptions& options = {});
Result<PdqDihedralResult> HashFileDihedral(const std::string& path, const PdqOptions& options = {});

}  // namespace vigil
