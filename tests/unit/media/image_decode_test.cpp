// DecodeImage for PNG, BMP, TIFF, WebP and GIF against OpenCV's decoder or the source pixels, plus
// alpha, 16-bit, grayscale, palette, eXIf, and the error paths (empty, unknown, truncated, limits).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "media/image_formats.h"
#include "media_fixtures.h"
#include "vigil/image.h"

namespace vigil {
namespace {

using testing::Bytes;

Result<Image> Decode(const Bytes& bytes, const DecodeOptions& options = {}, DecodeInfo* info = nullptr) {
  return DecodeImage(bytes.data(), bytes.size(), options, info);
}

uint8_t RefOverWhite(int c, int a) {  // independent: rounded real-valued composite
  return static_cast<uint8_t>(std::lround((c * a + 255.0 * (255 - a)) / 255.0));
}

TEST(ImageDecode, LosslessFormatsMatchOpenCvExactly) {
  const cv::Mat src = testing::MakeRandom(37, 23, CV_8UC3);
  for (const char* ext : {".png", ".bmp", ".tiff"}) {
    const Bytes bytes = testing::Encode(ext, src);
    DecodeInfo info;
    Result<Image> img = Decode(bytes, {}, &info);
    ASSERT_TRUE(img.ok()) << ext << ": " << img.status().ToString();
    EXPECT_EQ(testing::MaxAbsDiff(testing::ToBgr(*img), testing::CvDecode(bytes, cv::IMREAD_COLOR)), 0) << ext;
    EXPECT_EQ(testing::MaxAbsDiff(testing::ToBgr(*img), src), 0) << ext;
    EXPECT_EQ(info.format, std::string(ext + 1));
    EXPECT_EQ(info.source_width, 37);
    EXPECT_EQ(info.source_height, 23);
    EXPECT_FALSE(info.had_alpha);
  }
}

// BMP and TIFF go through FFmpeg's decoders; OpenCV imgcodecs (libtiff underneath) is the peer for
// gray, 16-bit and alpha variants: same 8-bit RGB, alpha composited over white.
TEST(ImageDecode, BmpAndTiffVariantsMatchOpenCv) {
  struct Case {
    const char* ext;
    int type;
  };
  for (const Case c : {Case{".bmp", CV_8UC1}, Case{".bmp", CV_8UC4}, Case{".tiff", CV_8UC1}, Case{".tiff", CV_8UC4},
                       Case{".tiff", CV_16UC1}, Case{".tiff", CV_16UC3}, Case{".tiff", CV_16UC4}}) {
    const cv::Mat src = testing::MakeRandom(29, 17, c.type, 11);
    const Bytes bytes = testing::Encode(c.ext, src);
    DecodeInfo info;
    Result<Image> img = Decode(bytes, {}, &info);
    ASSERT_TRUE(img.ok()) << c.ext << " type " << c.type << ": " << img.status().ToString();
    ASSERT_EQ(img->width, 29);
    ASSERT_EQ(img->height, 17);
    // Expected: OpenCV's own decode, converted to 8 bits (rounded) and composited over white.
    cv::Mat ref = testing::CvDecode(bytes, cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(ref.empty());
    // OpenCV writes 4-channel BMP as 32 bpp BI_RGB, whose fourth byte OpenCV reads back as unused
    // padding; FFmpeg (like browsers) uses it as alpha unless it is 0 everywhere: expect the source.
    if (std::string(c.ext) == ".bmp" && src.channels() == 4) ref = src.clone();
    const bool alpha = ref.channels() == 4 || ref.channels() == 2;
    if (ref.depth() == CV_16U) ref.convertTo(ref, CV_8U, 255.0 / 65535.0);
    int worst = 0;
    for (int y = 0; y < ref.rows; ++y) {
      for (int x = 0; x < ref.cols; ++x) {
        int bgr[3], a = 255;
        if (ref.channels() == 1) {
          bgr[0] = bgr[1] = bgr[2] = ref.at<uint8_t>(y, x);
        } else if (ref.channels() == 3) {
          const cv::Vec3b v = ref.at<cv::Vec3b>(y, x);
          for (int k = 0; k < 3; ++k) bgr[k] = v[k];
        } else {
          const cv::Vec4b v = ref.at<cv::Vec4b>(y, x);
          for (int k = 0; k < 3; ++k) bgr[k] = v[k];
          a = v[3];
        }
        for (int k = 0; k < 3; ++k) {
          const int want = RefOverWhite(bgr[k], a);
          const int got = img->pixels[(static_cast<size_t>(y) * ref.cols + x) * 3 + (2 - k)];
          worst = std::max(worst, std::abs(want - got));
        }
      }
    }
    // 16-bit alpha composites in 16 bits before rounding: at most one level from the 8-bit reference.
    EXPECT_LE(worst, ref.depth() == CV_8U && src.depth() == CV_8U ? 0 : 1) << c.ext << " type " << c.type;
    EXPECT_EQ(info.had_alpha, alpha) << c.ext << " type " << c.type;
  }
}

TEST(ImageDecode, OnePixelImages) {
  const cv::Mat src = testing::MakeRandom(1, 1, CV_8UC3, 7);
  for (const char* ext : {".png", ".bmp", ".tiff", ".jpg", ".webp"}) {
    const Bytes bytes = testing::Encode(ext, src);
    Result<Image> img = Decode(bytes);
    ASSERT_TRUE(img.ok()) << ext << ": " << img.status().ToString();
    ASSERT_EQ(img->width, 1);
    ASSERT_EQ(img->height, 1);
    EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), testing::CvDecode(bytes, cv::IMREAD_COLOR)), 0) << ext;
  }
  const Bytes gif = testing::EncodeGif(1, 1, {1}, {{0, 0, 0}, {10, 20, 30}}, -1);
  Result<Image> img = Decode(gif);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->pixels, (std::vector<uint8_t>{10, 20, 30}));
}

TEST(ImageDecode, GrayscalePngBecomesRgb) {
  const cv::Mat gray = testing::MakeRandom(19, 11, CV_8UC1);
  Result<Image> img = Decode(testing::Encode(".png", gray));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  for (int y = 0; y < gray.rows; ++y)
    for (int x = 0; x < gray.cols; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(img->pixels[(y * gray.cols + x) * 3 + c], gray.at<uint8_t>(y, x));
}

TEST(ImageDecode, SixteenBitPngRoundsTo8Bit) {
  const cv::Mat src = testing::MakeRandom(13, 9, CV_16UC3, 3);
  const Bytes bytes = testing::Encode(".png", src);
  Result<Image> img = Decode(bytes);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  for (int y = 0; y < src.rows; ++y) {
    for (int x = 0; x < src.cols; ++x) {
      const cv::Vec3w p = src.at<cv::Vec3w>(y, x);  // BGR
      for (int c = 0; c < 3; ++c) {
        const long want = std::lround(p[2 - c] * 255.0 / 65535.0);
        ASSERT_EQ(img->pixels[(y * src.cols + x) * 3 + c], want) << x << "," << y << "," << c;
      }
    }
  }
  // OpenCV's own 8-bit conversion truncates (v >> 8): at most 1 apart.
  EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), testing::CvDecode(bytes, cv::IMREAD_COLOR)), 1);
}

TEST(ImageDecode, RgbaPngCompositedOnWhite) {
  const cv::Mat src = testing::MakeRandom(17, 8, CV_8UC4, 4);  // BGRA
  DecodeInfo info;
  Result<Image> img = Decode(testing::Encode(".png", src), {}, &info);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_TRUE(info.had_alpha);
  for (int y = 0; y < src.rows; ++y) {
    for (int x = 0; x < src.cols; ++x) {
      const cv::Vec4b p = src.at<cv::Vec4b>(y, x);
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(img->pixels[(y * src.cols + x) * 3 + c], RefOverWhite(p[2 - c], p[3]));
      }
    }
  }
}

TEST(ImageDecode, PalettePngWithTransparency) {
  const Bytes plte = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
  const Bytes trns = {255, 0, 128, 64};  // entry 3 has alpha 64
  const std::vector<Bytes> rows = {{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 1, 3, 3}};
  DecodeInfo info;
  Result<Image> img = Decode(testing::BuildPng(4, 3, 8, 3, rows, plte, trns), {}, &info);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_TRUE(info.had_alpha);
  ASSERT_EQ(img->width, 4);
  ASSERT_EQ(img->height, 3);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      const int index = rows[y][x];
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(img->pixels[(y * 4 + x) * 3 + c], RefOverWhite(plte[index * 3 + c], trns[index]))
            << x << "," << y;
      }
    }
  }
}

TEST(ImageDecode, PngExifOrientationApplied) {
  const cv::Mat src = testing::MakeRandom(5, 3, CV_8UC3, 9);  // treat as RGB rows
  std::vector<Bytes> rows;
  for (int y = 0; y < src.rows; ++y) rows.emplace_back(src.ptr<uint8_t>(y), src.ptr<uint8_t>(y) + 15);
  const Bytes png = testing::BuildPng(5, 3, 8, 2, rows, {}, {}, testing::ExifTiffOrientation(8));
  DecodeInfo info;
  Result<Image> img = Decode(png, {}, &info);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(info.exif_orientation, 8);
  cv::Mat want;
  cv::rotate(src, want, cv::ROTATE_90_COUNTERCLOCKWISE);  // orientation 8
  const cv::Mat got(img->height, img->width, CV_8UC3, img->pixels.data());
  EXPECT_EQ(testing::MaxAbsDiff(got, want), 0);

  DecodeOptions no_orient;
  no_orient.apply_exif_orientation = false;
  Result<Image> raw = Decode(png, no_orient, &info);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->width, 5);
  EXPECT_EQ(info.exif_orientation, 1);
}

TEST(ImageDecode, WebpLosslessLossyAndAlpha) {
  const cv::Mat bgr = testing::MakeBgr(41, 27, 5);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  for (bool lossless : {true, false}) {
    const Bytes bytes = testing::WebpEncode(rgb.data, rgb.cols, rgb.rows, false, lossless);
    ASSERT_FALSE(bytes.empty());
    Result<Image> img = Decode(bytes);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(testing::MaxAbsDiff(testing::ToBgr(*img), testing::CvDecode(bytes, cv::IMREAD_COLOR)), 0)
        << "lossless=" << lossless;
    if (lossless) EXPECT_EQ(testing::MaxAbsDiff(testing::ToBgr(*img), bgr), 0);
  }
  const cv::Mat rgba = testing::MakeRandom(9, 7, CV_8UC4, 6);
  const Bytes bytes = testing::WebpEncode(rgba.data, rgba.cols, rgba.rows, true, true);
  DecodeInfo info;
  Result<Image> img = Decode(bytes, {}, &info);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_TRUE(info.had_alpha);
  EXPECT_EQ(info.format, "webp");
  for (int i = 0; i < 9 * 7; ++i) {
    const uint8_t* p = rgba.data + i * 4;
    for (int c = 0; c < 3; ++c) ASSERT_EQ(img->pixels[i * 3 + c], RefOverWhite(p[c], p[3])) << i;
  }
}

TEST(ImageDecode, WebpExifOrientationApplied) {
  const cv::Mat rgb = testing::MakeRandom(6, 4, CV_8UC3, 10);
  const Bytes plain = testing::WebpEncode(rgb.data, 6, 4, false, true);
  const Bytes bytes = testing::AddWebpExif(plain, 6, 4, 3);
  DecodeInfo info;
  Result<Image> img = Decode(bytes, {}, &info);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(info.exif_orientation, 3);
  cv::Mat want;
  cv::rotate(rgb, want, cv::ROTATE_180);
  EXPECT_EQ(testing::MaxAbsDiff(cv::Mat(img->height, img->width, CV_8UC3, img->pixels.data()), want), 0);
}

TEST(ImageDecode, TruncatedWebpIsDataLoss) {
  const cv::Mat bgr = testing::MakeBgr(64, 48, 8);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const Bytes bytes = testing::WebpEncode(rgb.data, rgb.cols, rgb.rows, false, false);
  const Bytes cut(bytes.begin(), bytes.begin() + bytes.size() / 2);
  Result<Image> img = Decode(cut);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kDataLoss) << img.status().ToString();
  EXPECT_NE(img.status().message().find("WebP"), std::string::npos);
}

TEST(ImageDecode, GifFirstFrameWithTransparency) {
  const int w = 13;
  const int h = 10;
  std::vector<GifColorType> palette(16);
  for (int i = 0; i < 16; ++i) {
    palette[i] = {static_cast<GifByteType>(i * 16), static_cast<GifByteType>(255 - i * 10),
                  static_cast<GifByteType>(i * 7)};
  }
  std::mt19937 rng(11);
  std::vector<uint8_t> indices(w * h);
  for (auto& v : indices) v = static_cast<uint8_t>(rng() % 16);
  for (bool interlace : {false, true}) {
    DecodeInfo info;
    Result<Image> img = Decode(testing::EncodeGif(w, h, indices, palette, 5, interlace), {}, &info);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(info.format, "gif");
    EXPECT_TRUE(info.had_alpha);
    ASSERT_EQ(img->width, w);
    ASSERT_EQ(img->height, h);
    for (int i = 0; i < w * h; ++i) {
      const GifColorType& c = palette[indices[i]];
      const bool clear = indices[i] == 5;
      ASSERT_EQ(img->pixels[i * 3], clear ? 255 : c.Red) << i << " interlace=" << interlace;
      ASSERT_EQ(img->pixels[i * 3 + 1], clear ? 255 : c.Green) << i;
      ASSERT_EQ(img->pixels[i * 3 + 2], clear ? 255 : c.Blue) << i;
    }
  }
}

TEST(ImageDecode, TruncatedGifIsDataLoss) {
  std::vector<uint8_t> indices(40 * 40);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<uint8_t>((i * 7919) % 200);
  std::vector<GifColorType> palette(256, GifColorType{1, 2, 3});
  const Bytes gif = testing::EncodeGif(40, 40, indices, palette, -1);
  const Bytes cut(gif.begin(), gif.begin() + gif.size() * 2 / 3);
  Result<Image> img = Decode(cut);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kDataLoss) << img.status().ToString();
}

TEST(ImageDecode, EmptyInputIsInvalidArgument) {
  Result<Image> img = DecodeImage(nullptr, 0);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kInvalidArgument);
  const uint8_t byte = 0;
  EXPECT_EQ(DecodeImage(&byte, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(ImageDecode, RandomBytesAreUnsupported) {
  std::mt19937 rng(12);
  Bytes bytes(500);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  bytes[0] = 0x00;  // make sure no magic matches
  Result<Image> img = Decode(bytes);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(img.status().message().find("unrecognised image format (first bytes 00 "), std::string::npos)
      << img.status().message();
}

TEST(ImageDecode, TextFileNamedJpgIsUnsupported) {
  const std::string path = std::string(VIGIL_BINARY_DIR) + "/media_test_not_an_image.jpg";
  {
    std::ofstream f(path);
    f << "Hello, this is plain text and not a JPEG.\n";
  }
  Result<Image> img = ReadImageFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(img.status().message().find("unrecognised image format (first bytes 48 65 6c 6c"),
            std::string::npos) << img.status().message();
  EXPECT_NE(img.status().message().find("media_test_not_an_image.jpg"), std::string::npos);
}

TEST(ImageDecode, ReadImageFileErrorsAndSuccess) {
  EXPECT_EQ(ReadImageFile("/nonexistent/dir/x.png").status().code(), StatusCode::kNotFound);
  const std::string path = std::string(VIGIL_BINARY_DIR) + "/media_test_image.png";
  const Bytes png = testing::Encode(".png", testing::MakeRandom(8, 6, CV_8UC3));
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  }
  Result<Image> img = ReadImageFile(path);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 8);
  DecodeOptions small;
  small.max_bytes = png.size() - 1;
  Result<Image> refused = ReadImageFile(path, small);
  std::remove(path.c_str());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("max_bytes"), std::string::npos);
}

TEST(ImageDecode, MaxBytesRefusedBeforeDecoding) {
  const Bytes png = testing::Encode(".png", testing::MakeRandom(8, 6, CV_8UC3));
  DecodeOptions options;
  options.max_bytes = 10;
  Result<Image> img = Decode(png, options);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(img.status().message().find("max_bytes"), std::string::npos);
}

TEST(ImageDecode, HugeDeclaredPngRefusedFromTheHeader) {
  // IHDR declares 100000 x 100000 (no pixel data): refused by the header check (the message names
  // the limit), before libpng or any pixel buffer is involved. No wall clock: speed is bench/'s.
  const Bytes png = testing::BuildPng(100000, 100000, 8, 2, {});
  Result<Image> img = Decode(png);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(img.status().message().find("max_dimension"), std::string::npos) << img.status().message();
  // Within max_dimension but over max_pixels.
  Result<Image> big = Decode(testing::BuildPng(20000, 20000, 8, 2, {}));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(big.status().message().find("max_pixels"), std::string::npos) << big.status().message();
}

TEST(ImageDecode, DeclaredSizeLimitsForEveryFormat) {
  DecodeOptions options;
  options.max_pixels = 100;  // the 20x20 images below have 400
  const cv::Mat src = testing::MakeBgr(20, 20, 1);
  cv::Mat rgb;
  cv::cvtColor(src, rgb, cv::COLOR_BGR2RGB);
  std::vector<std::pair<std::string, Bytes>> inputs = {
      {"png", testing::Encode(".png", src)},   {"bmp", testing::Encode(".bmp", src)},
      {"tiff", testing::Encode(".tiff", src)}, {"jpeg", testing::Encode(".jpg", src)},
      {"webp", testing::WebpEncode(rgb.data, 20, 20, false, true)},
      {"gif", testing::EncodeGif(20, 20, std::vector<uint8_t>(400, 0), {{0, 0, 0}, {1, 1, 1}}, -1)}};
  for (const auto& [name, bytes] : inputs) {
    Result<Image> img = Decode(bytes, options);
    ASSERT_FALSE(img.ok()) << name;
    EXPECT_EQ(img.status().code(), StatusCode::kResourceExhausted) << name;
    EXPECT_NE(img.status().message().find(name), std::string::npos) << img.status().message();
    EXPECT_TRUE(Decode(bytes).ok()) << name;
  }
}

TEST(ImageDecode, CorruptPngIsDataLoss) {
  Bytes png = testing::Encode(".png", testing::MakeRandom(30, 30, CV_8UC3));
  const Bytes cut(png.begin(), png.begin() + png.size() / 2);
  Result<Image> img = Decode(cut);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kDataLoss) << img.status().ToString();
  const Bytes header_only(png.begin(), png.begin() + 12);  // signature + half a chunk header
  EXPECT_EQ(Decode(header_only).status().code(), StatusCode::kDataLoss);
}

TEST(ImageDecode, SniffIgnoresNamesAndRecognisesMagic) {
  EXPECT_EQ(media::SniffFormat(reinterpret_cast<const uint8_t*>("GIF89a...."), 10), media::ImageFormat::kGif);
  EXPECT_EQ(media::SniffFormat(reinterpret_cast<const uint8_t*>("BMxxxxxxxxxxxxxxxxxx"), 20),
            media::ImageFormat::kUnknown);  // "BM" without a valid info-header size
  EXPECT_EQ(media::SniffFormat(reinterpret_cast<const uint8_t*>("II*\0"), 4), media::ImageFormat::kTiff);
}

}  // namespace
}  // namespace vigil
