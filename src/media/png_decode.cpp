// PNG adapter on libpng (classic API). Decoding through libpng directly, rather than OpenCV, lets
// Vigil install its own error and warning handlers: libpng's defaults print to stderr (e.g. "iCCP:
// profile ... invalid rendering intent"), and the library must never print. Every PNG becomes RGBA
// (palette, tRNS, gray and low bit depths expanded; 16-bit kept), then 8-bit RGB over white with the
// same integer rounding as the other adapters. No gamma or colour-profile transform (as OpenCV).
// Memory: a non-interlaced PNG is read row by row into one RGBA row (the result is the only large
// buffer: 3 bytes per pixel); an interlaced one needs the whole RGBA image (4 or 8 bytes per pixel
// more). Both are checked against DecodeOptions::max_decode_bytes before allocation.
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "media/image_formats.h"
#include "media/pixel_ops.h"

namespace vigil::media {
namespace {

struct PngSource {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[256];
};

void ReadFromMemory(png_structp png, png_bytep out, png_size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->pos) png_error(png, "truncated PNG (unexpected end of data)");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

[[noreturn]] void OnError(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof src->message, "%s", message ? message : "libpng error");
  png_longjmp(png, 1);
}

void OnWarning(png_structp, png_const_charp) {}  // ancillary-chunk warnings do not affect pixels

struct PngReadDeleter {
  png_infop info = nullptr;
  void operator()(png_structp png) { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

struct Layout {
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int bit_depth = 0;   // 8 or 16 after the transforms
  size_t row_bytes = 0;
  bool interlaced = false;
};

// Reads the header and sets up transforms to RGBA. Only POD locals: longjmp lands here.
bool ReadHeader(png_structp png, png_infop info, int max_dimension, Layout* layout) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_user_limits(png, static_cast<png_uint_32>(max_dimension),
                      static_cast<png_uint_32>(max_dimension));
  png_read_info(png, info);
  int color_type = png_get_color_type(png, info);
  int bit_depth = png_get_bit_depth(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(png);
  }
  if (bit_depth == 16) png_set_swap(png);  // PNG is big-endian; read native uint16
  png_set_add_alpha(png, bit_depth == 16 ? 0xffff : 0xff, PNG_FILLER_AFTER);
  layout->interlaced = png_set_interlace_handling(png) > 1;
  png_read_update_info(png, info);
  layout->width = png_get_image_width(png, info);
  layout->height = png_get_image_height(png, info);
  layout->bit_depth = png_get_bit_depth(png, info);
  layout->row_bytes = png_get_rowbytes(png, info);
  return true;
}

bool ReadPixels(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  return true;
}

// RGBA (8 or 16 bits per sample, native order) -> 8-bit RGB over white; true if any alpha < max.
bool ConvertRow(const uint8_t* rgba, int bit_depth, size_t count, uint8_t* rgb) {
  if (bit_depth == 8) return RgbaToRgbOverWhite(rgba, rgb, count);
  const auto* px = reinterpret_cast<const uint16_t*>(rgba);
  bool had_alpha = false;
  for (size_t i = 0; i < count; ++i, px += 4) {
    const uint32_t a = px[3];
    for (int c = 0; c < 3; ++c) {
      const uint32_t v = a == 0xffff ? px[c] : OverWhite16(px[c], a);
      rgb[i * 3 + c] = To8Bit(v);
    }
    had_alpha |= a != 0xffff;
  }
  return had_alpha;
}

// Non-interlaced: each row read into `row`, converted straight into `rgb`. Only POD locals: longjmp
// lands here.
bool ReadRowByRow(png_structp png, const Layout* layout, png_bytep row, uint8_t* rgb, bool* had_alpha) {
  if (setjmp(png_jmpbuf(png))) return false;
  for (png_uint_32 y = 0; y < layout->height; ++y) {
    png_read_row(png, row, nullptr);
    *had_alpha |= ConvertRow(row, layout->bit_depth, layout->width, rgb + size_t{y} * layout->width * 3);
  }
  return true;
}

}  // namespace

Result<Image> DecodePng(const uint8_t* data, size_t size, const DecodeOptions& options,
                        DecodeInfo* info) {
  VIGIL_ASSIGN_OR_RETURN(DeclaredSize declared, ReadPngSize(data, size));
  VIGIL_RETURN_IF_ERROR(CheckDeclaredSize("png", declared.width, declared.height, options));
  info->source_width = static_cast<int>(declared.width);
  info->source_height = static_cast<int>(declared.height);

  PngSource source{data, size, 0, {0}};
  PngReadDeleter deleter;
  std::unique_ptr<png_struct, PngReadDeleter&> png(
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, OnError, OnWarning), deleter);
  if (!png) return InternalError("png: cannot create libpng reader");
  deleter.info = png_create_info_struct(png.get());
  if (!deleter.info) return InternalError("png: cannot create libpng info");
  png_set_read_fn(png.get(), &source, ReadFromMemory);

  Layout layout;
  if (!ReadHeader(png.get(), deleter.info, options.max_dimension, &layout)) {
    return DataLossError(std::string("corrupt or truncated png: ") + source.message);
  }
  if (layout.width != declared.width || layout.height != declared.height ||
      (layout.bit_depth != 8 && layout.bit_depth != 16) ||
      layout.row_bytes != size_t{layout.width} * 4 * (layout.bit_depth / 8)) {
    return InternalError("png: unexpected layout after transforms");
  }
  const int orientation = options.apply_exif_orientation ? ReadPngExifOrientation(data, size) : 1;
  const int64_t rgba_bytes = layout.interlaced ? 4 * (layout.bit_depth / 8) : 0;
  VIGIL_RETURN_IF_ERROR(CheckDecodeBudget("png", layout.width, layout.height,
                                          3 + rgba_bytes + (orientation != 1 ? 3 : 0), options));

  Image image;
  image.width = static_cast<int>(layout.width);
  image.height = static_cast<int>(layout.height);
  const size_t count = size_t{layout.width} * layout.height;
  image.pixels.resize(count * 3);
  bool had_alpha = false;
  if (!layout.interlaced) {
    std::vector<uint8_t> row(layout.row_bytes);
    if (!ReadRowByRow(png.get(), &layout, row.data(), image.pixels.data(), &had_alpha)) {
      return DataLossError(std::string("corrupt or truncated png: ") + source.message);
    }
  } else {
    std::vector<uint8_t> buffer(layout.row_bytes * layout.height);
    std::vector<png_bytep> rows(layout.height);
    for (png_uint_32 y = 0; y < layout.height; ++y) rows[y] = buffer.data() + y * layout.row_bytes;
    if (!ReadPixels(png.get(), rows.data())) {
      return DataLossError(std::string("corrupt or truncated png: ") + source.message);
    }
    had_alpha = ConvertRow(buffer.data(), layout.bit_depth, count, image.pixels.data());
  }
  info->had_alpha = had_alpha;
  info->exif_orientation = orientation;
  if (orientation != 1) return ApplyOrientation(image, orientation);
  return image;
}

}  // namespace vigil::media
