// DecodeImage / ReadImageFile / ReadFileBytes: input checks, format sniffing and dispatch to the
// per-format adapters (jpeg_decode, webp_decode, gif_decode, ffmpeg_image_decode).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "media/image_formats.h"
#include "vigil/image.h"
#include "vigil/text_checks.h"

namespace vigil {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<Image> DecodeImage(const uint8_t* data, size_t size, const DecodeOptions& options,
                          DecodeInfo* info) {
  if (data == nullptr || size == 0) return InvalidArgumentError("image data is empty");
  if (size > options.max_bytes) {
    return ResourceExhaustedError("image is " + std::to_string(size) + " bytes; exceeds max_bytes " +
                                  std::to_string(options.max_bytes));
  }
  const media::ImageFormat format = media::SniffFormat(data, size);
  if (format == media::ImageFormat::kUnknown) {
    return UnsupportedError("unrecognised image format (first bytes " + media::HexPrefix(data, size) + ")");
  }
  DecodeInfo local_info;
  local_info.format = media::FormatName(format);
  Result<Image> result = [&]() -> Result<Image> {
    switch (format) {
      case media::ImageFormat::kJpeg: return media::DecodeJpeg(data, size, options, &local_info);
      case media::ImageFormat::kWebp: return media::DecodeWebp(data, size, options, &local_info);
      case media::ImageFormat::kGif: return media::DecodeGif(data, size, options, &local_info);
      case media::ImageFormat::kPng: return media::DecodePng(data, size, options, &local_info);
      default: return media::DecodeWithFFmpeg(format, data, size, options, &local_info);
    }
  }();
  if (result.ok() && info != nullptr) *info = local_info;
  return result;
}

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path, size_t max_bytes) {
  VIGIL_RETURN_IF_ERROR(CheckText(path, "image path"));  // fopen would stop at a NUL
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int err = errno;
    const std::string message = "cannot open '" + path + "': " + std::strerror(err);
    return err == ENOENT ? NotFoundError(message) : InvalidArgumentError(message);
  }
  struct stat st {};
  if (fstat(fileno(file.get()), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return InvalidArgumentError("'" + path + "' is a directory");
    if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) {
      return ResourceExhaustedError("file '" + path + "' is " + std::to_string(st.st_size) +
                                    " bytes; exceeds max_bytes " + std::to_string(max_bytes));
    }
  }
  std::vector<uint8_t> bytes;
  if (S_ISREG(st.st_mode)) bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t chunk[1 << 16];
  for (;;) {
    const size_t n = std::fread(chunk, 1, sizeof(chunk), file.get());
    if (n > 0) {
      if (bytes.size() + n > max_bytes) {
        return ResourceExhaustedError("file '" + path + "' exceeds max_bytes " + std::to_string(max_bytes));
      }
      bytes.insert(bytes.end(), chunk, chunk + n);
    }
    if (n < sizeof(chunk)) {
      if (std::ferror(file.get())) return DataLossError("error reading '" + path + "'");
      break;
    }
  }
  return bytes;
}

Result<Image> ReadImageFile(const std::string& path, const DecodeOptions& options, DecodeInfo* info) {
  VIGIL_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, ReadFileBytes(path, options.max_bytes));
  if (bytes.empty()) return InvalidArgumentError("'" + path + "': file is empty");
  Result<Image> image = DecodeImage(bytes.data(), bytes.size(), options, info);
  if (!image.ok()) return image.status().WithContext("'" + path + "'");
  return image;
}

}  // namespace vigil
