// libFuzzer target: header sniffing and the bounds-checked header/EXIF readers that run before any
// decoder (SniffFormat, Read{Png,Bmp,Gif,Tiff}Size, the PNG eXIf chunk, TIFF IFD0 and EXIF
// orientation). They see every upload first, so they must never read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "media/exif_orientation.h"
#include "media/image_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::media;
  const ImageFormat format = SniffFormat(data, size);
  (void)FormatName(format);
  (void)HexPrefix(data, size);
  for (auto read : {ReadPngSize, ReadBmpSize, ReadGifSize, ReadTiffSize}) {
    vigil::Result<DeclaredSize> declared = read(data, size);
    // A reader may return any declared size (a BMP may declare a negative width); the size check
    // that follows in every adapter must refuse a non-positive one.
    if (declared.ok() && CheckDeclaredSize("fuzz", declared->width, declared->height, vigil::DecodeOptions{}).ok() &&
        (declared->width <= 0 || declared->height <= 0)) {
      std::abort();
    }
  }
  const int png_orientation = ReadPngExifOrientation(data, size);
  const int exif_orientation = ExifOrientation(data, size);
  if (png_orientation < 1 || png_orientation > 8 || exif_orientation < 1 || exif_orientation > 8) std::abort();
  const TiffIfd0 ifd = ParseTiffIfd0(data, size);
  if (!ifd.valid && (ifd.width != 0 || ifd.height != 0)) std::abort();
  return 0;
}
