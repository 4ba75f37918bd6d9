// Test fixtures for tests/unit/media: tiny images generated in memory (OpenCV, libturbojpeg, libwebp,
// giflib encoders, and hand-built PNG/EXIF bytes), and conversions between vigil::Image and cv::Mat.
#pragma once

#include <gif_lib.h>
#include <turbojpeg.h>
#include <webp/encode.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "vigil/image.h"

namespace vigil::testing {

using Bytes = std::vector<uint8_t>;

// Smooth colour gradients plus seeded noise (8-bit BGR), so JPEG round trips stay close.
inline cv::Mat MakeBgr(int width, int height, uint32_t seed = 1, int noise = 8) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> jitter(-noise, noise);
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int b = 255 * x / std::max(1, width - 1);
      const int g = 255 * y / std::max(1, height - 1);
      const int r = (b + g) / 2 + 40 * ((x / 8 + y / 8) % 2);
      cv::Vec3b& p = m.at<cv::Vec3b>(y, x);
      p[0] = cv::saturate_cast<uint8_t>(b + (noise ? jitter(rng) : 0));
      p[1] = cv::saturate_cast<uint8_t>(g + (noise ? jitter(rng) : 0));
      p[2] = cv::saturate_cast<uint8_t>(r + (noise ? jitter(rng) : 0));
    }
  }
  return m;
}

// Uniformly random pixels of the given OpenCV type (for lossless formats).
inline cv::Mat MakeRandom(int width, int height, int type, uint32_t seed = 2) {
  cv::Mat m(height, width, type);
  cv::RNG rng(seed);
  const double hi = CV_MAT_DEPTH(type) == CV_16U ? 65536.0 : 256.0;
  rng.fill(m, cv::RNG::UNIFORM, 0.0, hi);
  return m;
}

inline Bytes Encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {}) {
  std::vector<uchar> buf;
  cv::imencode(ext, m, buf, params);
  return Bytes(buf.begin(), buf.end());
}

inline cv::Mat CvDecode(const Bytes& bytes, int flags) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1,
                              const_cast<uint8_t*>(bytes.data())), flags);
}

// vigil::Image (RGB) -> cv::Mat (BGR) for comparison with OpenCV decodes.
inline cv::Mat ToBgr(const Image& img) {
  cv::Mat rgb(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.pixels.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

// Largest absolute per-channel difference between two same-size 8-bit mats; -1 if sizes differ.
inline int MaxAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return -1;
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double max_val = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &max_val);
  return static_cast<int>(max_val);
}

// ---- hand-built PNG (stored deflate blocks, own CRC-32 and Adler-32) ----
inline uint32_t Crc32(const uint8_t* p, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline void PutBe32(Bytes* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<uint8_t>(v >> s));
}

inline void PngChunk(Bytes* png, const char* type, const Bytes& payload) {
  PutBe32(png, static_cast<uint32_t>(payload.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), payload.begin(), payload.end());
  png->insert(png->end(), body.begin(), body.end());
  PutBe32(png, Crc32(body.data(), body.size()));
}

// zlib stream made of stored (uncompressed) deflate blocks.
inline Bytes ZlibStored(const Bytes& raw) {
  Bytes z = {0x78, 0x01};
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(65535, raw.size() - pos);
    const bool last = pos + n == raw.size();
    z.push_back(last ? 1 : 0);
    z.push_back(static_cast<uint8_t>(n));
    z.push_back(static_cast<uint8_t>(n >> 8));
    z.push_back(static_cast<uint8_t>(~n));
    z.push_back(static_cast<uint8_t>((~n) >> 8));
    z.insert(z.end(), raw.begin() + pos, raw.begin() + pos + n);
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1;
  uint32_t b = 0;
  for (uint8_t v : raw) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  PutBe32(&z, (b << 16) | a);
  return z;
}

// PNG with the given IHDR fields; `rows` are unfiltered scanlines (filter bytes added here).
// Optional PLTE, tRNS and eXIf payloads are written when non-empty.
inline Bytes BuildPng(uint32_t width, uint32_t height, uint8_t bit_depth, uint8_t color_type,
                      const std::vector<Bytes>& rows, const Bytes& plte = {}, const Bytes& trns = {},
                      const Bytes& exif = {}) {
  Bytes png = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  Bytes ihdr;
  PutBe32(&ihdr, width);
  PutBe32(&ihdr, height);
  ihdr.insert(ihdr.end(), {bit_depth, color_type, 0, 0, 0});
  PngChunk(&png, "IHDR", ihdr);
  if (!plte.empty()) PngChunk(&png, "PLTE", plte);
  if (!trns.empty()) PngChunk(&png, "tRNS", trns);
  if (!exif.empty()) PngChunk(&png, "eXIf", exif);
  if (!rows.empty()) {
    Bytes raw;
    for (const Bytes& row : rows) {
      raw.push_back(0);
      raw.insert(raw.end(), row.begin(), row.end());
    }
    PngChunk(&png, "IDAT", ZlibStored(raw));
  }
  PngChunk(&png, "IEND", {});
  return png;
}

// Big-endian TIFF structure holding one IFD0 entry: Orientation (SHORT) = orientation.
inline Bytes ExifTiffOrientation(int orientation) {
  return {'M', 'M', 0, 42, 0, 0, 0, 8,  // header, IFD0 at 8
          0, 1,                         // one entry
          0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, static_cast<uint8_t>(orientation), 0, 0,
          0, 0, 0, 0};                  // no next IFD
}

// Inserts an APP1 "Exif" segment with the orientation right after the JPEG's SOI.
inline Bytes InsertJpegExif(const Bytes& jpeg, int orientation) {
  Bytes payload = {'E', 'x', 'i', 'f', 0, 0};
  const Bytes tiff = ExifTiffOrientation(orientation);
  payload.insert(payload.end(), tiff.begin(), tiff.end());
  const size_t length = payload.size() + 2;
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), {0xff, 0xe1, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)});
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

// ---- libturbojpeg: packed 4-channel CMYK -> YCCK JPEG ----
inline Bytes CompressCmyk(const std::vector<uint8_t>& cmyk, int width, int height, int quality) {
  tjhandle h = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  const int rc = tjCompress2(h, cmyk.data(), width, width * 4, height, TJPF_CMYK, &out, &out_size,
                             TJSAMP_444, quality, TJFLAG_ACCURATEDCT);
  Bytes bytes;
  if (rc == 0) bytes.assign(out, out + out_size);
  tjFree(out);
  tjDestroy(h);
  return bytes;
}

// ---- libwebp encoders (RGB(A) input) ----
inline Bytes WebpEncode(const uint8_t* pixels, int width, int height, bool alpha, bool lossless,
                        float quality = 90) {
  uint8_t* out = nullptr;
  size_t n = 0;
  const int stride = width * (alpha ? 4 : 3);
  if (lossless) {
    n = alpha ? WebPEncodeLosslessRGBA(pixels, width, height, stride, &out)
              : WebPEncodeLosslessRGB(pixels, width, height, stride, &out);
  } else {
    n = alpha ? WebPEncodeRGBA(pixels, width, height, stride, quality, &out)
              : WebPEncodeRGB(pixels, width, height, stride, quality, &out);
  }
  Bytes bytes(out, out + n);
  WebPFree(out);
  return bytes;
}

// Rewrites a simple-format WebP as extended (VP8X) with an EXIF chunk holding the orientation.
inline Bytes AddWebpExif(const Bytes& webp, int width, int height, int orientation) {
  auto put_le = [](Bytes* out, uint32_t v, int n) {
    for (int i = 0; i < n; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  Bytes out = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X'};
  put_le(&out, 10, 4);
  out.insert(out.end(), {0x08, 0, 0, 0});  // flags: EXIF present
  put_le(&out, static_cast<uint32_t>(width - 1), 3);
  put_le(&out, static_cast<uint32_t>(height - 1), 3);
  out.insert(out.end(), webp.begin() + 12, webp.end());  // the image chunk(s)
  const Bytes exif = ExifTiffOrientation(orientation);
  out.insert(out.end(), {'E', 'X', 'I', 'F'});
  put_le(&out, static_cast<uint32_t>(exif.size()), 4);
  out.insert(out.end(), exif.begin(), exif.end());
  if (exif.size() % 2) out.push_back(0);
  const uint32_t riff_size = static_cast<uint32_t>(out.size() - 8);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(riff_size >> (8 * i));
  return out;
}

// ---- giflib: one frame, indexed pixels, optional transparent index ----
inline int GifWrite(GifFileType* gif, const GifByteType* data, int n) {
  auto* out = static_cast<Bytes*>(gif->UserData);
  out->insert(out->end(), data, data + n);
  return n;
}

inline Bytes EncodeGif(int width, int height, const std::vector<uint8_t>& indices,
                       const std::vector<GifColorType>& palette, int transparent_index,
                       bool interlace = false) {
  Bytes bytes;
  int err = 0;
  GifFileType* gif = EGifOpen(&bytes, GifWrite, &err);
  ColorMapObject* map = GifMakeMapObject(static_cast<int>(palette.size()), palette.data());
  EGifSetGifVersion(gif, true);
  EGifPutScreenDesc(gif, width, height, 8, 0, map);
  if (transparent_index >= 0) {
    const GifByteType gce[4] = {1, 0, 0, static_cast<GifByteType>(transparent_index)};
    EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce);
  }
  EGifPutImageDesc(gif, 0, 0, width, height, interlace, nullptr);
  std::vector<int> order;
  if (interlace) {
    const int start[4] = {0, 4, 2, 1};
    const int step[4] = {8, 8, 4, 2};
    for (int p = 0; p < 4; ++p)
      for (int r = start[p]; r < height; r += step[p]) order.push_back(r);
  } else {
    for (int r = 0; r < height; ++r) order.push_back(r);
  }
  for (int r : order) {
    EGifPutLine(gif, const_cast<GifPixelType*>(&indices[static_cast<size_t>(r) * width]), width);
  }
  EGifCloseFile(gif, &err);
  GifFreeMapObject(map);
  return bytes;
}

}  // namespace vigil::testing
