// Augmentation: determinism under a seed, and each transform's defining property.
#include "learn/augment.h"

#include <gtest/gtest.h>

#include <random>

namespace vigil {
namespace {

Image Noise(int w, int h, uint64_t seed) {
  Image im;
  im.width = w;
  im.height = h;
  im.pixels.resize(static_cast<size_t>(w) * h * 3);
  std::mt19937_64 rng(seed);
  for (auto& p : im.pixels) p = static_cast<uint8_t>(rng() & 0xff);
  return im;
}

TEST(Augment, SameSeedSamePixelsDifferentSeedDifferentPixels) {
  const Image im = Noise(64, 48, 1);
  auto o = ParseAugmentOptions("crop,flip,jitter");
  ASSERT_TRUE(o.ok());
  auto a = AugmentImage(im, *o, 42), b = AugmentImage(im, *o, 42), c = AugmentImage(im, *o, 43);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->width, b->width);
  EXPECT_EQ(a->pixels, b->pixels);
  EXPECT_NE(a->pixels, c->pixels);
}

TEST(Augment, FlipIsIdentityOrExactMirror) {
  const Image im = Noise(5, 3, 2);
  AugmentOptions o;
  o.flip = true;
  int mirrored = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto r = AugmentImage(im, o, seed);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->width, 5);
    if (r->pixels == im.pixels) continue;
    ++mirrored;
    for (int y = 0; y < 3; ++y) {
      for (int x = 0; x < 5; ++x) {
        for (int ch = 0; ch < 3; ++ch) {
          EXPECT_EQ(r->pixels[(y * 5 + x) * 3 + ch], im.pixels[(y * 5 + (4 - x)) * 3 + ch]);
        }
      }
    }
  }
  EXPECT_GT(mirrored, 0);
  EXPECT_LT(mirrored, 20);
}

TEST(Augment, CropIsASubImage) {
  const Image im = Noise(40, 30, 3);
  AugmentOptions o;
  o.crop = true;
  auto r = AugmentImage(im, o, 7);
  ASSERT_TRUE(r.ok());
  ASSERT_LE(r->width, 40);
  ASSERT_LE(r->height, 30);
  EXPECT_GE(r->width * r->height, 0.6 * 40 * 30 * 0.7);  // area >= 60% up to the aspect clamp
  // The crop appears somewhere in the original, pixel for pixel.
  bool found = false;
  for (int oy = 0; oy + r->height <= 30 && !found; ++oy) {
    for (int ox = 0; ox + r->width <= 40 && !found; ++ox) {
      bool same = true;
      for (int y = 0; y < r->height && same; ++y) {
        for (int x = 0; x < r->width * 3 && same; ++x) {
          same = r->pixels[y * r->width * 3 + x] == im.pixels[((oy + y) * 40 + ox) * 3 + x];
        }
      }
      found = same;
    }
  }
  EXPECT_TRUE(found);
}

TEST(Augment, JitterOfGreyImageStaysGrey) {
  Image im = Noise(16, 16, 4);
  for (size_t i = 0; i < im.pixels.size(); i += 3) im.pixels[i + 1] = im.pixels[i + 2] = im.pixels[i];
  AugmentOptions o;
  o.jitter = true;
  auto r = AugmentImage(im, o, 9);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->pixels.size(), im.pixels.size());
  EXPECT_NE(r->pixels, im.pixels);
  for (size_t i = 0; i < r->pixels.size(); i += 3) {
    EXPECT_NEAR(r->pixels[i], r->pixels[i + 1], 1);
    EXPECT_NEAR(r->pixels[i], r->pixels[i + 2], 1);
  }
}

TEST(Augment, ParseSpec) {
  EXPECT_EQ(AugmentSpec(*ParseAugmentOptions("jitter,crop")), "crop,jitter");
  EXPECT_EQ(AugmentSpec(*ParseAugmentOptions("")), "none");
  EXPECT_FALSE(ParseAugmentOptions("rotate").ok());
  EXPECT_FALSE(AugmentImage(Image{}, AugmentOptions{}, 1).ok());
}

}  // namespace
}  // namespace vigil
