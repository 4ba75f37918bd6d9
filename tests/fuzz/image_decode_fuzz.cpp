// libFuzzer target: DecodeImage on arbitrary bytes with the limits a server uses, scaled down so
// the fuzzer explores formats rather than allocations. The first byte picks the option set
// (full decode or a JPEG DCT-scaled decode, EXIF orientation on or off). Any Status is fine; a
// crash, a leak, undefined behaviour or a result that breaks the Image invariant is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "vigil/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  vigil::DecodeOptions options;
  options.max_bytes = 8u << 20;
  options.max_pixels = 4'000'000;
  options.max_dimension = 8192;
  options.max_decode_bytes = 64LL << 20;
  const uint8_t mode = data[0];
  options.apply_exif_orientation = (mode & 1) != 0;
  if (mode & 2) options.min_width = options.min_height = 64;
  vigil::DecodeInfo info;
  vigil::Result<vigil::Image> image = vigil::DecodeImage(data + 1, size - 1, options, &info);
  if (image.ok()) {
    const vigil::Image& img = *image;
    if (img.width <= 0 || img.height <= 0 ||
        img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3 ||
        static_cast<int64_t>(img.width) * img.height > options.max_pixels) {
      std::abort();  // a decoded image must be non-empty, tightly packed RGB and within the limits
    }
  }
  return 0;
}
