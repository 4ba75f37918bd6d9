// GIF adapter on giflib (OpenCV 4.6 has no GIF reader): the first frame only, drawn on a canvas of
// the logical screen size; transparent pixels and pixels outside the frame are white.
#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "media/image_formats.h"

namespace vigil::media {
namespace {

struct MemorySource {
  const uint8_t* data;
  size_t size;
  size_t pos;
};

int ReadFromMemory(GifFileType* gif, GifByteType* out, int length) {
  auto* source = static_cast<MemorySource*>(gif->UserData);
  if (length <= 0) return 0;
  const size_t n = std::min(static_cast<size_t>(length), source->size - source->pos);
  std::memcpy(out, source->data + source->pos, n);
  source->pos += n;
  return static_cast<int>(n);
}

struct GifDeleter {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};
using GifHandle = std::unique_ptr<GifFileType, GifDeleter>;

Status GifError(const char* what, int code) {
  const char* text = GifErrorString(code);
  return DataLossError(std::string("corrupt or truncated GIF: ") + what + ": " +
                       (text != nullptr ? text : "unknown error"));
}

}  // namespace

Result<Image> DecodeGif(const uint8_t* data, size_t size, const DecodeOptions& options,
                        DecodeInfo* info) {
  VIGIL_ASSIGN_OR_RETURN(const DeclaredSize screen, ReadGifSize(data, size));
  // Some encoders write a 0x0 logical screen; the first frame then defines the canvas.
  if (screen.width > 0 && screen.height > 0) {
    VIGIL_RETURN_IF_ERROR(CheckDeclaredSize("gif", screen.width, screen.height, options));
  }
  MemorySource source{data, size, 0};
  int error = 0;
  GifHandle gif(DGifOpen(&source, ReadFromMemory, &error));
  if (!gif) return GifError("cannot open", error);

  int transparent_index = -1;
  for (;;) {
    GifRecordType record;
    if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR) return GifError("record", gif->Error);
    if (record == TERMINATE_RECORD_TYPE) return DataLossError("gif: the file contains no image");
    if (record == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(gif.get(), &code, &ext) == GIF_ERROR) return GifError("extension", gif->Error);
      // Graphics control extension: ext[0] = 4, ext[1] = flags (bit 0: transparency), ext[4] = index.
      if (code == GRAPHICS_EXT_FUNC_CODE && ext != nullptr && ext[0] >= 4) {
        transparent_index = (ext[1] & 1) ? ext[4] : -1;
      }
      while (ext != nullptr) {
        if (DGifGetExtensionNext(gif.get(), &ext) == GIF_ERROR) return GifError("extension", gif->Error);
      }
      continue;
    }
    if (record != IMAGE_DESC_RECORD_TYPE) continue;

    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return GifError("image descriptor", gif->Error);
    const GifImageDesc& desc = gif->Image;
    const int frame_w = desc.Width;
    const int frame_h = desc.Height;
    VIGIL_RETURN_IF_ERROR(CheckDeclaredSize("gif frame", frame_w, frame_h, options));
    int canvas_w = static_cast<int>(screen.width);
    int canvas_h = static_cast<int>(screen.height);
    if (canvas_w <= 0 || canvas_h <= 0) {
      canvas_w = desc.Left + frame_w;
      canvas_h = desc.Top + frame_h;
      VIGIL_RETURN_IF_ERROR(CheckDeclaredSize("gif", canvas_w, canvas_h, options));
    }
    info->source_width = canvas_w;
    info->source_height = canvas_h;
    const ColorMapObject* map = desc.ColorMap != nullptr ? desc.ColorMap : gif->SColorMap;
    if (map == nullptr || map->Colors == nullptr) return DataLossError("gif: frame has no colour map");

    Image image;
    image.width = canvas_w;
    image.height = canvas_h;
    image.pixels.assign(static_cast<size_t>(canvas_w) * canvas_h * 3, 255);
    bool had_alpha = desc.Left > 0 || desc.Top > 0 || desc.Left + frame_w < canvas_w ||
                     desc.Top + frame_h < canvas_h;
    std::vector<GifPixelType> line(static_cast<size_t>(frame_w));
    const auto draw_row = [&](int row) {
      const int y = desc.Top + row;
      if (y < 0 || y >= canvas_h) return;
      uint8_t* dst = &image.pixels[static_cast<size_t>(y) * canvas_w * 3];
      for (int i = 0; i < frame_w; ++i) {
        const int x = desc.Left + i;
        if (x >= canvas_w) break;
        const int index = line[i];
        if (index == transparent_index) {
          had_alpha = true;
          continue;
        }
        if (index >= map->ColorCount) {  // out-of-range index: black, as giflib's own tools do
          dst[x * 3] = dst[x * 3 + 1] = dst[x * 3 + 2] = 0;
          continue;
        }
        const GifColorType& c = map->Colors[index];
        dst[x * 3] = c.Red;
        dst[x * 3 + 1] = c.Green;
        dst[x * 3 + 2] = c.Blue;
      }
    };
    if (desc.Interlace) {
      static constexpr int kStart[4] = {0, 4, 2, 1};
      static constexpr int kStep[4] = {8, 8, 4, 2};
      for (int pass = 0; pass < 4; ++pass) {
        for (int row = kStart[pass]; row < frame_h; row += kStep[pass]) {
          if (DGifGetLine(gif.get(), line.data(), frame_w) == GIF_ERROR) return GifError("pixels", gif->Error);
          draw_row(row);
        }
      }
    } else {
      for (int row = 0; row < frame_h; ++row) {
        if (DGifGetLine(gif.get(), line.data(), frame_w) == GIF_ERROR) return GifError("pixels", gif->Error);
        draw_row(row);
      }
    }
    info->had_alpha = had_alpha;
    return image;
  }
}

}  // namespace vigil::media
