// PdqHash (hex, distance) and the PDQ algorithm on generated images: tiny and empty images, the
// dihedral DCT transforms against hashing actually rotated/flipped pixels, luma vs RGB entry points.
#include <random>

#include <gtest/gtest.h>

#include "hashing/pdq_core.h"
#include "vigil/hashing.h"

namespace vigil {
namespace {

TEST(PdqHash, HexRoundTripAndLayout) {
  const std::string hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
  Result<PdqHash> h = PdqHash::FromHex(hex);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->ToHex(), hex);
  // The last hex digit holds bits 3..0: 0x2 sets bit 1 only.
  EXPECT_FALSE(h->Bit(0));
  EXPECT_TRUE(h->Bit(1));
  // The first digit holds bits 255..252: 0xd = 1101.
  EXPECT_TRUE(h->Bit(255));
  EXPECT_TRUE(h->Bit(254));
  EXPECT_FALSE(h->Bit(253));
  Result<PdqHash> upper = PdqHash::FromHex("D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, *h);
}

TEST(PdqHash, RejectsMalformedHex) {
  EXPECT_FALSE(PdqHash::FromHex("").ok());
  EXPECT_FALSE(PdqHash::FromHex(std::string(63, 'a')).ok());
  EXPECT_FALSE(PdqHash::FromHex(std::string(65, 'a')).ok());
  EXPECT_FALSE(PdqHash::FromHex(std::string(63, 'a') + "g").ok());
  EXPECT_EQ(PdqHash::FromHex(std::string(63, 'a') + "g").status().code(), StatusCode::kInvalidArgument);
}

TEST(PdqHash, HammingDistance) {
  PdqHash a, b;
  EXPECT_EQ(a.Distance(b), 0);
  for (int k : {0, 63, 64, 200, 255}) b.SetBit(k);
  EXPECT_EQ(a.Distance(b), 5);
  EXPECT_EQ(b.PopCount(), 5);
  Result<PdqHash> ones = PdqHash::FromHex(std::string(64, 'f'));
  ASSERT_TRUE(ones.ok());
  EXPECT_EQ(ones->Distance(a), 256);
}

// A textured RGB image: smooth shapes plus seeded noise, so the DCT has structure.
Image MakeImage(int width, int height, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-20, 20);
  Image image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = double(x) / width, v = double(y) / height;
      const int base = static_cast<int>(128 + 60 * std::sin(7 * u + 3 * v * v) + 50 * std::cos(11 * v - 2 * u));
      for (int c = 0; c < 3; ++c) {
        image.pixels[(static_cast<size_t>(y) * width + x) * 3 + c] =
            static_cast<uint8_t>(std::clamp(base + 20 * c + noise(rng), 0, 255));
      }
    }
  }
  return image;
}

// Pixel transforms named as the reference names them (x = column, y = row).
Image Transform(const Image& src, PdqDihedral d) {
  const int w = src.width, h = src.height;
  const bool transpose = d == PdqDihedral::kRotate90 || d == PdqDihedral::kRotate270 ||
                         d == PdqDihedral::kFlipPlus1 || d == PdqDihedral::kFlipMinus1;
  Image out;
  out.width = transpose ? h : w;
  out.height = transpose ? w : h;
  out.pixels.resize(src.pixels.size());
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;
      switch (d) {
        case PdqDihedral::kOriginal: break;
        case PdqDihedral::kRotate90: sx = w - 1 - y; sy = x; break;           // counter-clockwise
        case PdqDihedral::kRotate180: sx = w - 1 - x; sy = h - 1 - y; break;
        case PdqDihedral::kRotate270: sx = y; sy = h - 1 - x; break;
        case PdqDihedral::kFlipX: sx = x; sy = h - 1 - y; break;              // upside down
        case PdqDihedral::kFlipY: sx = w - 1 - x; sy = y; break;              // mirrored
        case PdqDihedral::kFlipPlus1: sx = y; sy = x; break;                  // transpose
        case PdqDihedral::kFlipMinus1: sx = w - 1 - y; sy = h - 1 - x; break;  // anti-transpose
      }
      for (int c = 0; c < 3; ++c) {
        out.pixels[(static_cast<size_t>(y) * out.width + x) * 3 + c] =
            src.pixels[(static_cast<size_t>(sy) * w + sx) * 3 + c];
      }
    }
  }
  return out;
}

TEST(Pdq, DihedralHashesEqualHashesOfTransformedPixels) {
  // 64x64 needs no filtering, so a pixel permutation is exactly a permutation of the DCT input.
  for (int size : {64, 320}) {
    const Image image = MakeImage(size, size, 7);
    Result<PdqDihedralResult> dihedral = HashImageDihedral(image);
    ASSERT_TRUE(dihedral.ok());
    EXPECT_GE(dihedral->quality, 50);
    for (int d = 0; d < kPdqDihedralCount; ++d) {
      Result<PdqResult> direct = HashImage(Transform(image, static_cast<PdqDihedral>(d)));
      ASSERT_TRUE(direct.ok());
      EXPECT_LE(direct->hash.Distance(dihedral->hashes[d]), size == 64 ? 0 : 4)
          << size << " " << PdqDihedralName(static_cast<PdqDihedral>(d));
      if (d != 0) EXPECT_GT(dihedral->hashes[d].Distance(dihedral->hashes[0]), 31);
    }
    EXPECT_EQ(dihedral->hashes[0], HashImage(image)->hash);
  }
}

TEST(Pdq, HalfTheBitsAreSet) {
  Result<PdqResult> r = HashImage(MakeImage(200, 150, 3));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hash.PopCount(), 128);  // strictly above the 128th smallest of 256 distinct values
}

TEST(Pdq, TinyImagesHashToZeroWithQualityZero) {
  Result<PdqResult> r = HashImage(MakeImage(4, 40, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hash, PdqHash());
  EXPECT_EQ(r->quality, 0);
  Result<PdqResult> five = HashImage(MakeImage(5, 5, 1));
  ASSERT_TRUE(five.ok());
  EXPECT_NE(five->hash, PdqHash());
}

TEST(Pdq, FlatImageHasQualityZero) {
  Image flat;
  flat.width = flat.height = 100;
  flat.pixels.assign(100 * 100 * 3, 90);
  Result<PdqResult> r = HashImage(flat);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->quality, 0);
}

TEST(Pdq, EmptyImagesAreErrors) {
  EXPECT_EQ(HashImage(Image{}).status().code(), StatusCode::kInvalidArgument);
  Image bad;
  bad.width = bad.height = 10;  // no pixels
  EXPECT_EQ(HashImage(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(HashLuma(nullptr, 10, 10).ok());
  EXPECT_EQ(HashBytes(nullptr, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(Pdq, LumaPlaneHashesLikeGreyRgb) {
  const Image image = MakeImage(700, 300, 5);  // > 512: the reference's 512x512 resize applies
  std::vector<uint8_t> luma(700 * 300);
  Image grey = image;
  for (size_t i = 0; i < luma.size(); ++i) {
    luma[i] = image.pixels[i * 3];
    for (int c = 0; c < 3; ++c) grey.pixels[i * 3 + c] = luma[i];
  }
  Result<PdqResult> a = HashLuma(luma.data(), 700, 300);
  Result<PdqResult> b = HashImage(grey);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LE(a->hash.Distance(b->hash), 2);
  EXPECT_EQ(a->quality, b->quality);
}

TEST(Pdq, ReferenceResizeOnlyChangesLargeImages) {
  const Image small = MakeImage(512, 300, 9);
  PdqOptions full;
  full.resize = PdqResize::kFullResolution;
  EXPECT_EQ(HashImage(small)->hash, HashImage(small, full)->hash);
  const Image large = MakeImage(1500, 900, 9);
  // The nearest-neighbour resize samples other pixels of this noisy image, so the hashes differ
  // (on real photos by a few bits: FullResolutionMatchesTheJavaAndPythonPorts).
  EXPECT_NE(HashImage(large)->hash, HashImage(large, full)->hash);
}

TEST(Pdq, WindowSizeIsCeilOfSideOver128) {
  EXPECT_EQ(hashing::JaroszWindowSize(64, 64), 1);
  EXPECT_EQ(hashing::JaroszWindowSize(128, 64), 1);
  EXPECT_EQ(hashing::JaroszWindowSize(129, 64), 2);
  EXPECT_EQ(hashing::JaroszWindowSize(512, 64), 4);
  EXPECT_EQ(hashing::JaroszWindowSize(1004, 64), 8);
}

}  // namespace
}  // namespace vigil
