// JPEG encoder adapter (libturbojpeg), with an OpenCV resize in front for thumbnails.
#include "media/jpeg_encode.h"

#include <cstdio>
#include <memory>
#include <opencv2/imgproc.hpp>

#include "media/turbojpeg_handle.h"

namespace vigil::media {

Result<std::vector<uint8_t>> EncodeJpeg(const Image& image, int quality, int width, int height) {
  if (image.empty() || image.pixels.size() != size_t(image.width) * image.height * 3) {
    return InvalidArgumentError("EncodeJpeg: empty image or pixel buffer of the wrong size");
  }
  if (quality < 1 || quality > 100) return InvalidArgumentError("EncodeJpeg: quality must be 1..100");
  if (width < 0 || height < 0 || width > 16384 || height > 16384) {
    return InvalidArgumentError("EncodeJpeg: output size must be in 0..16384");
  }
  const Image* src = &image;
  Image resized;
  if (width > 0 && height > 0 && (width != image.width || height != image.height)) {
    resized.width = width;
    resized.height = height;
    resized.pixels.resize(size_t(width) * height * 3);
    cv::Mat in(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
    cv::Mat out(height, width, CV_8UC3, resized.pixels.data());
    const bool shrink = width < image.width && height < image.height;
    cv::resize(in, out, out.size(), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    src = &resized;
  }
  TjHandle handle(tjInitCompress());
  if (!handle) return InternalError("tjInitCompress failed");
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  if (tjCompress2(handle.get(), src->pixels.data(), src->width, 0, src->height, TJPF_RGB, &buffer,
                  &size, TJSAMP_420, quality, TJFLAG_FASTDCT) != 0) {
    std::string message = tjGetErrorStr2(handle.get());
    tjFree(buffer);
    return InternalError("JPEG encoding failed: " + message);
  }
  std::vector<uint8_t> bytes(buffer, buffer + size);
  tjFree(buffer);
  return bytes;
}

Status WriteJpegFile(const std::string& path, const Image& image, int quality, int width,
                     int height) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, EncodeJpeg(image, quality, width, height));
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) return NotFoundError("cannot write " + path);
  if (std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
    return InternalError("short write to " + path);
  }
  return Status::Ok();
}

}  // namespace vigil::media
