// Bounds-checked reader of TIFF-structured data: IFD0 size and orientation (see exif_orientation.h).
#include "media/exif_orientation.h"

#include <cstring>

namespace vigil::media {
namespace {

class TiffReader {
 public:
  TiffReader(const uint8_t* data, size_t size, bool big_endian)
      : data_(data), size_(size), big_endian_(big_endian) {}

  bool Has(uint64_t offset, uint64_t n) const { return offset <= size_ && n <= size_ - offset; }

  uint64_t Read(uint64_t offset, int bytes) const {  // caller checked Has(offset, bytes)
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      const uint64_t b = data_[offset + (big_endian_ ? i : bytes - 1 - i)];
      v = (v << 8) | b;
    }
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  bool big_endian_;
};

}  // namespace

TiffIfd0 ParseTiffIfd0(const uint8_t* data, size_t size) {
  TiffIfd0 result;
  if (data == nullptr || size < 8) return result;
  bool big_endian;
  if (data[0] == 'I' && data[1] == 'I') {
    big_endian = false;
  } else if (data[0] == 'M' && data[1] == 'M') {
    big_endian = true;
  } else {
    return result;
  }
  const TiffReader r(data, size, big_endian);
  const uint64_t magic = r.Read(2, 2);
  bool big_tiff;
  uint64_t ifd;
  if (magic == 42) {
    big_tiff = false;
    ifd = r.Read(4, 4);
  } else if (magic == 43) {
    if (!r.Has(4, 12) || r.Read(4, 2) != 8) return result;
    big_tiff = true;
    ifd = r.Read(8, 8);
  } else {
    return result;
  }
  const int count_bytes = big_tiff ? 8 : 2;
  const uint64_t entry_bytes = big_tiff ? 20 : 12;
  const int value_bytes = big_tiff ? 8 : 4;
  if (!r.Has(ifd, count_bytes)) return result;
  const uint64_t count = r.Read(ifd, count_bytes);
  const uint64_t first = ifd + count_bytes;
  if (count > (size - first) / entry_bytes) return result;  // entries must fit (size >= first here)
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t e = first + i * entry_bytes;
    const uint64_t tag = r.Read(e, 2);
    const uint64_t type = r.Read(e + 2, 2);
    const uint64_t n = r.Read(e + 4, value_bytes);
    const uint64_t value_at = e + 4 + value_bytes;
    if (n != 1) continue;
    uint64_t value;
    if (type == 3) {
      value = r.Read(value_at, 2);  // SHORT, left-justified in the value field
    } else if (type == 4) {
      value = r.Read(value_at, 4);  // LONG
    } else if (type == 16 && big_tiff) {
      value = r.Read(value_at, 8);  // LONG8
    } else {
      continue;
    }
    if (tag == 256) result.width = value;
    if (tag == 257) result.height = value;
    if (tag == 274) result.orientation = static_cast<int>(value > 1000 ? 0 : value);
  }
  result.valid = true;
  return result;
}

int ExifOrientation(const uint8_t* data, size_t size) {
  if (data == nullptr) return 1;
  if (size >= 6 && std::memcmp(data, "Exif\0\0", 6) == 0) {
    data += 6;
    size -= 6;
  }
  const TiffIfd0 ifd = ParseTiffIfd0(data, size);
  if (!ifd.valid || ifd.orientation < 1 || ifd.orientation > 8) return 1;
  return ifd.orientation;
}

}  // namespace vigil::media
