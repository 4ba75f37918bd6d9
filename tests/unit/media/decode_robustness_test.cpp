// Seeded mutation test: corrupted and truncated versions of valid images of every format must
// decode to a well-formed Image or fail with a data/format/limit error, never crash or hang.
// (Run it under -DVIGIL_SANITIZE=ON to catch memory errors in the adapters and header parsers.)
#include <gtest/gtest.h>

#include <random>

#include "media_fixtures.h"
#include "vigil/image.h"

namespace vigil {
namespace {

using testing::Bytes;

TEST(DecodeRobustness, MutatedAndTruncatedInputs) {
  const cv::Mat bgr = testing::MakeBgr(24, 16, 3);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  std::vector<uint8_t> indices(24 * 16);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<uint8_t>(i % 7);
  const std::vector<Bytes> seeds = {
      testing::InsertJpegExif(testing::Encode(".jpg", bgr), 6),
      testing::Encode(".jpg", bgr, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
      testing::Encode(".png", bgr),
      testing::Encode(".bmp", bgr),
      testing::Encode(".tiff", bgr),
      testing::AddWebpExif(testing::WebpEncode(rgb.data, 24, 16, false, false), 24, 16, 6),
      testing::WebpEncode(rgb.data, 24, 16, false, true),
      testing::EncodeGif(24, 16, indices, std::vector<GifColorType>(8, GifColorType{9, 8, 7}), 2, true),
  };
  DecodeOptions options;
  options.max_pixels = 1 << 20;  // keep corrupted "huge" headers cheap
  std::mt19937 rng(2024);
  int decoded = 0;
  int refused = 0;
  for (const Bytes& seed : seeds) {
    for (int iteration = 0; iteration < 150; ++iteration) {
      Bytes bytes = seed;
      if (iteration % 3 == 0) {
        bytes.resize(rng() % bytes.size() + 1);
      } else {
        const int flips = 1 + static_cast<int>(rng() % 8);
        for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      }
      Result<Image> img = DecodeImage(bytes.data(), bytes.size(), options);
      if (img.ok()) {
        ++decoded;
        ASSERT_GT(img->width, 0);
        ASSERT_GT(img->height, 0);
        ASSERT_EQ(img->pixels.size(), static_cast<size_t>(img->width) * img->height * 3);
      } else {
        ++refused;
        const StatusCode code = img.status().code();
        EXPECT_TRUE(code == StatusCode::kDataLoss || code == StatusCode::kUnsupported ||
                    code == StatusCode::kResourceExhausted)
            << img.status().ToString();
        EXPECT_FALSE(img.status().message().empty());
      }
    }
  }
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace vigil
