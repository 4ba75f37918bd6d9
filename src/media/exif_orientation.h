// Internal to src/media: a small bounds-checked reader of TIFF-structured data (classic and BigTIFF),
// used for the EXIF Orientation tag (JPEG APP1, PNG eXIf, WebP EXIF) and for TIFF files' IFD0.
// Thread-safety: stateless.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil::media {

// Values found in the first image file directory (IFD0); 0 when a tag is absent.
struct TiffIfd0 {
  bool valid = false;      // the TIFF header and IFD0 could be read
  uint64_t width = 0;      // tag 256 ImageWidth
  uint64_t height = 0;     // tag 257 ImageLength
  int orientation = 0;     // tag 274 Orientation
};

// Parses a TIFF header ("II*\0", "MM\0*", or BigTIFF "II+\0"/"MM\0+") and its IFD0.
TiffIfd0 ParseTiffIfd0(const uint8_t* data, size_t size);

// EXIF orientation 1..8 from an EXIF payload (TIFF data, optionally preceded by "Exif\0\0");
// 1 when absent, malformed or out of range.
int ExifOrientation(const uint8_t* data, size_t size);

}  // namespace vigil::media
