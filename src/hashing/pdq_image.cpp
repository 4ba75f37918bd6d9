// PDQ entry points: hashing decoded pixels, luminance planes, bytes and files (decoded by
// src/media, as stored unless EXIF orientation is asked for, JPEGs DCT-scaled to a floor), with
// the C++ reference hasher's 512x512 nearest-neighbour resize of large images when asked for.
#include <algorithm>
#include <vector>

#include "hashing/pdq_core.h"
#include "vigil/hashing.h"

namespace vigil {
namespace {

constexpr int kReferenceSide = 512;

// Source index of output index `out` when resizing `in_size` to `out_size` by nearest neighbour
// the way CImg does: floor(out * in_size / out_size) in double.
inline int NearestSource(int out, int in_size, int out_size) {
  return static_cast<int>(static_cast<double>(out) * in_size / out_size);
}

// Luminance of `pixels` (channels 3: RGB, 1: luma), full size or resized to 512x512.
struct LumaPlane {
  std::vector<float> values;
  int width = 0;
  int height = 0;
};

// `squash`: resize to 512x512 by nearest neighbour first (the reference does it on 8-bit RGB,
// which is the same as sampling the luminance).
LumaPlane MakeLuma(const uint8_t* pixels, int channels, int width, int height, bool squash) {
  LumaPlane plane;
  if (!squash) {
    plane.width = width;
    plane.height = height;
    if (channels == 3) {
      plane.values.resize(static_cast<size_t>(width) * height);
      const uint8_t* p = pixels;
      for (size_t i = 0; i < plane.values.size(); ++i, p += 3) {
        plane.values[i] = hashing::Luma(p);
      }
    } else {
      plane.values.assign(pixels, pixels + static_cast<size_t>(width) * height);
    }
    return plane;
  }
  plane.width = plane.height = kReferenceSide;
  plane.values.resize(kReferenceSide * kReferenceSide);
  int xs[kReferenceSide];
  for (int x = 0; x < kReferenceSide; ++x) xs[x] = NearestSource(x, width, kReferenceSide);
  for (int y = 0; y < kReferenceSide; ++y) {
    const uint8_t* row = pixels + static_cast<size_t>(NearestSource(y, height, kReferenceSide)) * width * channels;
    float* out = plane.values.data() + static_cast<size_t>(y) * kReferenceSide;
    for (int x = 0; x < kReferenceSide; ++x) {
      const uint8_t* p = row + static_cast<size_t>(xs[x]) * channels;
      out[x] = channels == 3 ? hashing::Luma(p) : static_cast<float>(p[0]);
    }
  }
  return plane;
}

bool Squash(const PdqOptions& options, int source_width, int source_height) {
  return options.resize == PdqResize::kReferenceCpp &&
         (source_width > kReferenceSide || source_height > kReferenceSide);
}

// The DCT and quality of a plane; false for images too small to hash (all-zero hash, quality 0).
bool DctOf(LumaPlane plane, hashing::Dct16 dct, int* quality) {
  *quality = 0;
  if (plane.width < hashing::kMinHashableDim || plane.height < hashing::kMinHashableDim) return false;
  // Per-thread scratch: a fresh buffer per image costs page faults (the luma plane is moved in).
  thread_local std::vector<float> scratch;
  hashing::PdqDctFromLuma(&plane.values, &scratch, plane.width, plane.height, dct, quality);
  return true;
}

Status CheckImage(const Image& image) {
  if (image.empty() || image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return InvalidArgumentError("cannot hash an empty or malformed image");
  }
  return Status::Ok();
}

PdqResult ResultOf(LumaPlane plane) {
  hashing::Dct16 dct;
  PdqResult result;
  if (DctOf(std::move(plane), dct, &result.quality)) result.hash = hashing::PdqHashFromDct(dct);
  return result;
}

PdqDihedralResult DihedralOf(LumaPlane plane) {
  hashing::Dct16 dct;
  PdqDihedralResult result;
  if (!DctOf(std::move(plane), dct, &result.quality)) return result;
  for (int d = 0; d < kPdqDihedralCount; ++d) {
    hashing::Dct16 transformed;
    hashing::DihedralDct(dct, static_cast<PdqDihedral>(d), transformed);
    result.hashes[d] = hashing::PdqHashFromDct(transformed);
  }
  return result;
}

// Width and height from a JPEG's start-of-frame marker, or false (not a JPEG, or no SOF before
// the data ends).
bool JpegFrameSize(const uint8_t* data, size_t size, int* width, int* height) {
  if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return false;
  size_t pos = 2;
  while (pos + 4 <= size) {
    if (data[pos] != 0xFF) return false;
    const uint8_t marker = data[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      pos += 2;
      continue;
    }
    const size_t length = (size_t{data[pos + 2]} << 8) | data[pos + 3];
    if (length < 2) return false;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (pos + 9 > size) return false;
      *height = (data[pos + 5] << 8) | data[pos + 6];
      *width = (data[pos + 7] << 8) | data[pos + 8];
      return *width > 0 && *height > 0;
    }
    if (marker == 0xDA) return false;  // start of scan before any SOF
    pos += 2 + length;
  }
  return false;
}

// The DCT-scaled decode size for hashing: libjpeg-turbo's 1/4 and 1/8 scales only (3/8, 5/8 and
// even 1/2 cost as much as a full decode or more here), the smallest
// whose shorter side is still >= jpeg_min_side. Sets decode->min_width/min_height so that the
// decoder picks exactly that scale (no n/8 factor below 1/d covers ceil(shorter / d) on both sides).
void ChooseJpegScale(const uint8_t* data, size_t size, const PdqOptions& options, DecodeOptions* decode) {
  decode->min_width = decode->min_height = 0;
  int width = 0, height = 0;
  if (options.jpeg_min_side <= 0 || !JpegFrameSize(data, size, &width, &height)) return;
  const int shorter = std::min(width, height);
  int d = 8;
  while (d > 1 && (shorter + d - 1) / d < options.jpeg_min_side) d /= 2;
  // 1/2 measured slower than a full decode here (1600x1004 4:2:0: 47.8 against 25.2 ms per image,
  // bench/pdq-bench.sh, one sitting), so only 1/4 and 1/8 are used.
  if (d <= 2) return;  // full size
  decode->min_width = decode->min_height = (shorter + d - 1) / d;
}

// Decodes for hashing; the plane is resized as the reference would resize the full-size file.
Result<LumaPlane> DecodeLuma(const uint8_t* data, size_t size, const PdqOptions& options) {
  DecodeOptions decode = options.limits;
  ChooseJpegScale(data, size, options, &decode);
  decode.apply_exif_orientation = options.apply_exif_orientation;
  DecodeInfo info;
  VIGIL_ASSIGN_OR_RETURN(Image image, DecodeImage(data, size, decode, &info));
  int source_width = info.source_width, source_height = info.source_height;
  if (options.apply_exif_orientation && info.exif_orientation >= 5) std::swap(source_width, source_height);
  if (source_width <= 0 || source_height <= 0) {
    source_width = image.width;
    source_height = image.height;
  }
  return MakeLuma(image.pixels.data(), 3, image.width, image.height,
                  Squash(options, source_width, source_height));
}

}  // namespace

Result<PdqResult> HashImage(const Image& image, const PdqOptions& options) {
  VIGIL_RETURN_IF_ERROR(CheckImage(image));
  return ResultOf(MakeLuma(image.pixels.data(), 3, image.width, image.height,
                           Squash(options, image.width, image.height)));
}

Result<PdqDihedralResult> HashImageDihedral(const Image& image, const PdqOptions& options) {
  VIGIL_RETURN_IF_ERROR(CheckImage(image));
  return DihedralOf(MakeLuma(image.pixels.data(), 3, image.width, image.height,
                             Squash(options, image.width, image.height)));
}

Result<PdqResult> HashLuma(const uint8_t* luma, int width, int height, const PdqOptions& options) {
  if (luma == nullptr || width <= 0 || height <= 0) {
    return InvalidArgumentError("cannot hash an empty luminance plane");
  }
  return ResultOf(MakeLuma(luma, 1, width, height, Squash(options, width, height)));
}

Result<PdqResult> HashBytes(const uint8_t* data, size_t size, const PdqOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(LumaPlane plane, DecodeLuma(data, size, options));
  return ResultOf(std::move(plane));
}

Result<PdqDihedralResult> HashBytesDihedral(const uint8_t* data, size_t size, const PdqOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(LumaPlane plane, DecodeLuma(data, size, options));
  return DihedralOf(std::move(plane));
}

Result<PdqResult> HashFile(const std::string& path, const PdqOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path, options.limits.max_bytes));
  return HashBytes(bytes.data(), bytes.size(), options);
}

Result<PdqDihedralResult> HashFileDihedral(const std::string& path, const PdqOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path, options.limits.max_bytes));
  return HashBytesDihedral(bytes.data(), bytes.size(), options);
}

}  // namespace vigil
