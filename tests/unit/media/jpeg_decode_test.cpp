// JPEG decoding on libturbojpeg against OpenCV's libjpeg decode: full size, DCT scaling (and its
// agreement with IMREAD_REDUCED_COLOR_2/4/8), EXIF orientation 1..8, CMYK, grayscale, truncation.
//
// Truncation policy (documented here as the brief asks): libjpeg reports a truncated JPEG as a
// warning ("Premature end of JPEG file") and fills the missing area with grey. Vigil refuses such an
// image with kDataLoss "truncated JPEG", so a half-grey picture is never classified. A file missing
// only its final EOI marker is complete and accepted. Other warnings (e.g. extraneous bytes before
// a marker) are tolerated, as OpenCV does.
#include <gtest/gtest.h>

#include <cmath>

#include "media_fixtures.h"
#include "vigil/image.h"

namespace vigil {
namespace {

using testing::Bytes;

Result<Image> Decode(const Bytes& bytes, const DecodeOptions& options = {}, DecodeInfo* info = nullptr) {
  return DecodeImage(bytes.data(), bytes.size(), options, info);
}

Bytes Jpeg(const cv::Mat& m, int quality = 92) {
  return testing::Encode(".jpg", m, {cv::IMWRITE_JPEG_QUALITY, quality});
}

TEST(JpegDecode, FullSizeMatchesOpenCv) {
  const Bytes bytes = Jpeg(testing::MakeBgr(97, 61, 1));
  DecodeInfo info;
  Result<Image> img = Decode(bytes, {}, &info);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(info.format, "jpeg");
  EXPECT_EQ(info.scale_denominator, 1);
  EXPECT_EQ(info.source_width, 97);
  EXPECT_EQ(info.source_height, 61);
  EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), testing::CvDecode(bytes, cv::IMREAD_COLOR)), 2);
}

TEST(JpegDecode, GrayscaleJpeg) {
  const Bytes bytes = Jpeg(testing::MakeRandom(33, 21, CV_8UC1));
  Result<Image> img = Decode(bytes);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  const cv::Mat gray = testing::CvDecode(bytes, cv::IMREAD_GRAYSCALE);
  for (int i = 0; i < 33 * 21; ++i) {
    ASSERT_EQ(img->pixels[i * 3], img->pixels[i * 3 + 1]);
    ASSERT_EQ(img->pixels[i * 3], img->pixels[i * 3 + 2]);
    ASSERT_NEAR(img->pixels[i * 3], gray.data[i], 2);
  }
}

TEST(JpegDecode, DctScalingPicksSmallestCoveringFactor) {
  const Bytes bytes = Jpeg(testing::MakeBgr(640, 480, 2));
  struct Case {
    int min_w, min_h, num, denom, reduced_flag;
  };
  const Case cases[] = {
      {0, 0, 1, 1, -1},                                    // scaling disabled
      {60, 40, 1, 8, cv::IMREAD_REDUCED_COLOR_8},          // 80x60
      {100, 100, 1, 4, cv::IMREAD_REDUCED_COLOR_4},        // 160x120
      {200, 150, 3, 8, -1},                                // 240x180 (1/4 = 160 too narrow)
      {300, 200, 1, 2, cv::IMREAD_REDUCED_COLOR_2},        // 320x240
      {640, 480, 1, 1, -1},                                // exactly full size
      {1000, 1000, 1, 1, -1},                              // larger than the image: full size
  };
  for (const Case& c : cases) {
    DecodeOptions options;
    options.min_width = c.min_w;
    options.min_height = c.min_h;
    DecodeInfo info;
    Result<Image> img = Decode(bytes, options, &info);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(info.scale_numerator, c.num) << c.min_w;
    EXPECT_EQ(info.scale_denominator, c.denom) << c.min_w;
    EXPECT_EQ(img->width, (640 * c.num + c.denom - 1) / c.denom);
    EXPECT_EQ(img->height, (480 * c.num + c.denom - 1) / c.denom);
    EXPECT_GE(img->width, std::min(c.min_w, 640));
    EXPECT_GE(img->height, std::min(c.min_h, 480));
    if (c.reduced_flag >= 0) {
      const cv::Mat reduced = testing::CvDecode(bytes, c.reduced_flag);
      EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), reduced), 2) << "1/" << c.denom;
    }
  }
}

TEST(JpegDecode, ScalingComparesAgainstOrientedSize) {
  // 640x480 stored, orientation 6: displayed 480x640. min 100x130: 1/4 gives 120x160 displayed.
  // Comparing against the stored size (160x120) would wrongly reject 1/4 (120 < 130).
  const Bytes bytes = testing::InsertJpegExif(Jpeg(testing::MakeBgr(640, 480, 3)), 6);
  DecodeOptions options;
  options.min_width = 100;
  options.min_height = 130;
  DecodeInfo info;
  Result<Image> img = Decode(bytes, options, &info);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(info.scale_numerator, 1);
  EXPECT_EQ(info.scale_denominator, 4);
  EXPECT_EQ(img->width, 120);
  EXPECT_EQ(img->height, 160);
  EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), testing::CvDecode(bytes, cv::IMREAD_REDUCED_COLOR_4)), 2);
}

TEST(JpegDecode, ExifOrientationAllEight) {
  const Bytes plain = Jpeg(testing::MakeBgr(48, 32, 4));
  const cv::Mat unrotated = testing::CvDecode(plain, cv::IMREAD_COLOR);
  for (int orientation = 1; orientation <= 8; ++orientation) {
    const Bytes bytes = testing::InsertJpegExif(plain, orientation);
    DecodeInfo info;
    Result<Image> img = Decode(bytes, {}, &info);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(info.exif_orientation, orientation);
    EXPECT_EQ(info.source_width, 48);
    // OpenCV's IMREAD_COLOR applies EXIF orientation itself: an independent reference.
    EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), testing::CvDecode(bytes, cv::IMREAD_COLOR)), 2)
        << "orientation " << orientation;
  }
  const Bytes rotated = testing::InsertJpegExif(plain, 6);
  Result<Image> img = Decode(rotated);
  ASSERT_TRUE(img.ok());
  cv::Mat want;
  cv::rotate(unrotated, want, cv::ROTATE_90_CLOCKWISE);
  EXPECT_EQ(img->width, 32);
  EXPECT_EQ(img->height, 48);
  EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), want), 2);

  DecodeOptions no_orient;
  no_orient.apply_exif_orientation = false;
  DecodeInfo info;
  Result<Image> raw = Decode(rotated, no_orient, &info);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->width, 48);
  EXPECT_EQ(info.exif_orientation, 1);
}

TEST(JpegDecode, CmykJpeg) {
  const int w = 40;
  const int h = 24;
  const cv::Mat bgr = testing::MakeBgr(w, h, 5, 0);
  // RGB -> inverted (Adobe) CMYK, the convention libjpeg-turbo uses: K' = max(R,G,B),
  // C' = R * 255 / K', so that R = C' * K' / 255.
  std::vector<uint8_t> cmyk(static_cast<size_t>(w) * h * 4);
  for (int i = 0; i < w * h; ++i) {
    const uint8_t* p = bgr.data + i * 3;
    const int rgb[3] = {p[2], p[1], p[0]};
    const int k = std::max({rgb[0], rgb[1], rgb[2]});
    for (int c = 0; c < 3; ++c) cmyk[i * 4 + c] = k == 0 ? 0 : static_cast<uint8_t>(std::lround(rgb[c] * 255.0 / k));
    cmyk[i * 4 + 3] = static_cast<uint8_t>(k);
  }
  const Bytes bytes = testing::CompressCmyk(cmyk, w, h, 100);
  ASSERT_FALSE(bytes.empty());
  Result<Image> img = Decode(bytes);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->width, w);
  // Close to the source colours (JPEG at quality 100 in four channels)...
  EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), bgr), 8);
  // ...and to OpenCV, whose CMYK conversion uses a truncating k - ((255 - c) * k >> 8).
  EXPECT_LE(testing::MaxAbsDiff(testing::ToBgr(*img), testing::CvDecode(bytes, cv::IMREAD_COLOR)), 3);
}

TEST(JpegDecode, TruncatedJpegIsDataLoss) {
  const Bytes bytes = Jpeg(testing::MakeBgr(200, 150, 6));
  for (double fraction : {0.3, 0.6, 0.95}) {
    const Bytes cut(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() * fraction));
    Result<Image> img = Decode(cut);
    ASSERT_FALSE(img.ok()) << fraction;
    EXPECT_EQ(img.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(img.status().message().find("truncated JPEG"), std::string::npos) << img.status().message();
  }
  // Only the final EOI marker missing: every pixel is present, so the image is accepted as is.
  const Bytes no_eoi(bytes.begin(), bytes.end() - 2);
  Result<Image> complete = Decode(no_eoi);
  ASSERT_TRUE(complete.ok()) << complete.status().ToString();
  EXPECT_EQ(complete->pixels, Decode(bytes)->pixels);
  // Progressive JPEGs cut inside a scan are refused too.
  const Bytes progressive =
      testing::Encode(".jpg", testing::MakeBgr(200, 150, 6), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  const Bytes progressive_cut(progressive.begin(), progressive.begin() + progressive.size() * 9 / 10);
  EXPECT_EQ(Decode(progressive_cut).status().code(), StatusCode::kDataLoss);
  // Cut inside the headers: no image at all.
  const Bytes header_cut(bytes.begin(), bytes.begin() + 20);
  EXPECT_EQ(Decode(header_cut).status().code(), StatusCode::kDataLoss);
}

TEST(JpegDecode, GarbageAfterSoiIsDataLoss) {
  Bytes bytes = {0xff, 0xd8, 0xff};
  for (int i = 0; i < 200; ++i) bytes.push_back(static_cast<uint8_t>(i * 37));
  Result<Image> img = Decode(bytes);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kDataLoss) << img.status().ToString();
}

}  // namespace
}  // namespace vigil
