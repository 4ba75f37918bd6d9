// PreprocessInto against (1) a double-precision TF align-corners reference, (2) a literal port of
// tfjs's CPU ResizeBilinear kernel (bit-exact), (3) hand-checked 2x2 -> 3x3 values; plus layout,
// channel order, mean/std and the manifest bridge (speed is measured in bench/, not asserted here).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "media/preprocess.h"
#include "vigil/image.h"

namespace vigil {
namespace {

Image RandomImage(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  Image img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (auto& p : img.pixels) p = static_cast<uint8_t>(rng());
  return img;
}

// TF align_corners bilinear in double, straight from the formula (independent reference).
double ReferenceAlignCorners(const Image& img, int out_w, int out_h, int x, int y, int c) {
  const double sy = out_h > 1 ? y * double(img.height - 1) / (out_h - 1) : 0.0;
  const double sx = out_w > 1 ? x * double(img.width - 1) / (out_w - 1) : 0.0;
  const int y0 = static_cast<int>(std::floor(sy));
  const int x0 = static_cast<int>(std::floor(sx));
  const int y1 = std::min(y0 + 1, img.height - 1);
  const int x1 = std::min(x0 + 1, img.width - 1);
  const double fy = sy - y0;
  const double fx = sx - x0;
  auto at = [&](int yy, int xx) { return img.pixels[(yy * img.width + xx) * 3 + c] / 255.0; };
  return at(y0, x0) * (1 - fx) * (1 - fy) + at(y0, x1) * fx * (1 - fy) + at(y1, x0) * (1 - fx) * fy +
         at(y1, x1) * fx * fy;
}

// Literal port of tfjs-backend-cpu ResizeBilinear.ts (JS numbers are doubles; inputs and the
// stored result are float32), applied to toFloat().div(255).
std::vector<float> TfjsKernel(const Image& img, int new_h, int new_w, bool align_corners,
                              bool half_pixel_centers) {
  const int old_h = img.height;
  const int old_w = img.width;
  std::vector<float> x_values(img.pixels.size());
  for (size_t i = 0; i < img.pixels.size(); ++i) x_values[i] = static_cast<float>(img.pixels[i] / 255.0);
  std::vector<float> result(static_cast<size_t>(new_h) * new_w * 3);
  const double eff_in[2] = {(align_corners && new_h > 1) ? old_h - 1.0 : old_h,
                            (align_corners && new_w > 1) ? old_w - 1.0 : old_w};
  const double eff_out[2] = {(align_corners && new_h > 1) ? new_h - 1.0 : new_h,
                             (align_corners && new_w > 1) ? new_w - 1.0 : new_w};
  const double row_ratio = eff_in[0] / eff_out[0];
  const double col_ratio = eff_in[1] / eff_out[1];
  size_t out_idx = 0;
  for (int r = 0; r < new_h; ++r) {
    const double src_r = half_pixel_centers ? row_ratio * (r + 0.5) - 0.5 : row_ratio * r;
    const double r_floor = std::max(0.0, std::floor(src_r));
    const double r_frac = src_r - r_floor;
    const double r_ceil = std::min(old_h - 1.0, std::ceil(src_r));
    for (int c = 0; c < new_w; ++c) {
      const double src_c = half_pixel_centers ? col_ratio * (c + 0.5) - 0.5 : col_ratio * c;
      const double c_floor = std::max(0.0, std::floor(src_c));
      const double c_frac = src_c - c_floor;
      const double c_ceil = std::min(old_w - 1.0, std::ceil(src_c));
      for (int d = 0; d < 3; ++d) {
        auto at = [&](double rr, double cc) -> double {
          return x_values[(static_cast<size_t>(rr) * old_w + static_cast<size_t>(cc)) * 3 + d];
        };
        const double top_left = at(r_floor, c_floor);
        const double bottom_left = at(r_ceil, c_floor);
        const double top_right = at(r_floor, c_ceil);
        const double bottom_right = at(r_ceil, c_ceil);
        const double top = top_left + (top_right - top_left) * c_frac;
        const double bottom = bottom_left + (bottom_right - bottom_left) * c_frac;
        result[out_idx++] = static_cast<float>(top + (bottom - top) * r_frac);
      }
    }
  }
  return result;
}

PreprocessSpec NsfwjsSpec(int size) {
  PreprocessSpec spec;
  spec.width = spec.height = size;
  return spec;
}

TEST(Preprocess, HandCheckedTwoByTwoToThreeByThree) {
  Image img;
  img.width = img.height = 2;
  const uint8_t v[4] = {0, 51, 102, 255};  // (0,0) (1,0) (0,1) (1,1)
  for (int i = 0; i < 4; ++i) img.pixels.insert(img.pixels.end(), {v[i], v[i], v[i]});
  std::vector<float> out(27);
  ASSERT_TRUE(PreprocessInto(img, NsfwjsSpec(3), out.data()).ok());
  const double want[9] = {0.0, 0.1, 0.2, 0.2, 0.4, 0.6, 0.4, 0.7, 1.0};  // row-major 3x3
  for (int i = 0; i < 9; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(out[i * 3 + c], want[i], 1e-7) << i;
  // Corners are copied exactly (align_corners).
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[24], 1.0f);
}

TEST(Preprocess, MatchesDoubleReferenceWithin1e6) {
  struct Size {
    int in_w, in_h, out_w, out_h;
  };
  for (const Size s : {Size{480, 270, 224, 224}, Size{37, 53, 224, 224}, Size{300, 300, 299, 299},
                       Size{1, 1, 4, 4}, Size{7, 1, 5, 3}, Size{224, 224, 224, 224}}) {
    const Image img = RandomImage(s.in_w, s.in_h, static_cast<uint32_t>(s.in_w * 31 + s.in_h));
    PreprocessSpec spec = NsfwjsSpec(0);
    spec.width = s.out_w;
    spec.height = s.out_h;
    std::vector<float> out(PreprocessOutputSize(spec));
    ASSERT_TRUE(PreprocessInto(img, spec, out.data()).ok());
    double worst = 0;
    for (int y = 0; y < s.out_h; ++y)
      for (int x = 0; x < s.out_w; ++x)
        for (int c = 0; c < 3; ++c)
          worst = std::max(worst, std::fabs(out[(y * s.out_w + x) * 3 + c] -
                                            ReferenceAlignCorners(img, s.out_w, s.out_h, x, y, c)));
    EXPECT_LT(worst, 1e-6) << s.in_w << "x" << s.in_h << " -> " << s.out_w << "x" << s.out_h;
  }
}

TEST(Preprocess, BitExactWithTfjsKernel) {
  for (bool align : {true, false}) {
    for (bool half : {false, true}) {
      if (align && half) continue;  // tfjs forbids the combination
      for (const auto& [w, h, ow, oh] : {std::array<int, 4>{480, 270, 224, 224}, {97, 61, 299, 299},
                                          {3, 2, 8, 5}, {640, 480, 224, 224}}) {
        const Image img = RandomImage(w, h, static_cast<uint32_t>(w + h));
        PreprocessSpec spec;
        spec.width = ow;
        spec.height = oh;
        spec.align_corners = align;
        spec.half_pixel_centers = half;
        std::vector<float> out(PreprocessOutputSize(spec));
        ASSERT_TRUE(PreprocessInto(img, spec, out.data()).ok());
        const std::vector<float> want = TfjsKernel(img, oh, ow, align, half);
        size_t mismatches = 0;
        for (size_t i = 0; i < out.size(); ++i) mismatches += out[i] != want[i];
        EXPECT_EQ(mismatches, 0u) << w << "x" << h << " align=" << align << " half=" << half;
      }
    }
  }
}

TEST(Preprocess, LayoutChannelOrderAndNormalisation) {
  const Image img = RandomImage(50, 40, 3);
  std::vector<float> base(PreprocessOutputSize(NsfwjsSpec(16)));
  ASSERT_TRUE(PreprocessInto(img, NsfwjsSpec(16), base.data()).ok());
  PreprocessSpec spec = NsfwjsSpec(16);
  spec.nchw = true;
  spec.bgr = true;
  spec.mean = {0.485f, 0.456f, 0.406f};
  spec.std = {0.229f, 0.224f, 0.225f};
  std::vector<float> out(PreprocessOutputSize(spec));
  ASSERT_TRUE(PreprocessInto(img, spec, out.data()).ok());
  const size_t plane = 16 * 16;
  for (size_t p = 0; p < plane; ++p) {
    for (int c = 0; c < 3; ++c) {
      const float want = (base[p * 3 + c] - spec.mean[c]) / spec.std[c];
      EXPECT_EQ(out[(2 - c) * plane + p], want);  // BGR planes
    }
  }
}

TEST(Preprocess, SpecFromManifestAndValidation) {
  InputSpec input;
  input.width = input.height = 299;
  input.layout = "NCHW";
  Preprocessing pre;
  pre.color = "BGR";
  Result<PreprocessSpec> spec = PreprocessSpecFromManifest(input, pre);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->nchw);
  EXPECT_TRUE(spec->bgr);
  EXPECT_EQ(spec->width, 299);
  pre.resize = "crop";
  EXPECT_EQ(PreprocessSpecFromManifest(input, pre).status().code(), StatusCode::kInvalidArgument);
  pre.resize = "stretch";
  input.layout = "NWHC";
  EXPECT_EQ(PreprocessSpecFromManifest(input, pre).status().code(), StatusCode::kInvalidArgument);

  std::vector<float> out(12);
  EXPECT_EQ(PreprocessInto(Image{}, NsfwjsSpec(2), out.data()).code(), StatusCode::kInvalidArgument);
  PreprocessSpec zero_std = NsfwjsSpec(2);
  zero_std.std[1] = 0;
  EXPECT_EQ(PreprocessInto(RandomImage(3, 3, 1), zero_std, out.data()).code(), StatusCode::kInvalidArgument);
}

TEST(Preprocess, LetterboxCentresTheImageAndFillsTheBorders) {
  Image image;
  image.width = 40;
  image.height = 20;
  std::mt19937 rng(5);
  image.pixels.resize(40 * 20 * 3);
  for (auto& p : image.pixels) p = uint8_t(rng() % 256);
  PreprocessSpec spec;
  spec.width = spec.height = 32;
  spec.nchw = true;
  spec.bgr = true;
  spec.scale = 1.0f;
  spec.mean = {100, 110, 120};
  spec.std = {50, 55, 60};
  spec.align_corners = false;
  spec.half_pixel_centers = true;
  spec.letterbox = true;
  spec.pad_value = 7;
  // Scale min(32/40, 32/20) = 0.8: a 32x16 region, 8 rows of border above and below.
  const ResizeGeometry g = ComputeResizeGeometry(spec, 40, 20);
  EXPECT_EQ(g.region_width, 32);
  EXPECT_EQ(g.region_height, 16);
  EXPECT_EQ(g.offset_x, 0);
  EXPECT_EQ(g.offset_y, 8);
  EXPECT_DOUBLE_EQ(g.scale_x, 0.8);
  std::vector<float> out(PreprocessOutputSize(spec));
  ASSERT_TRUE(PreprocessInto(image, spec, out.data()).ok());
  // The region equals a stretch of the whole image to 32x16.
  PreprocessSpec region = spec;
  region.letterbox = false;
  region.height = 16;
  std::vector<float> ref(PreprocessOutputSize(region));
  ASSERT_TRUE(PreprocessInto(image, region, ref.data()).ok());
  for (int oc = 0; oc < 3; ++oc) {
    const int c = 2 - oc;  // BGR output: plane 0 holds blue
    const float pad = (7.0f - spec.mean[c]) / spec.std[c];
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) {
        const float v = out[(oc * 32 + y) * 32 + x];
        if (y < 8 || y >= 24) {
          ASSERT_EQ(v, pad) << "border at " << x << "," << y;
        } else {
          ASSERT_EQ(v, ref[(oc * 16 + (y - 8)) * 32 + x]) << x << "," << y;
        }
      }
    }
  }
  // A tall image gets side borders; a 1-pixel image still fills a 1-pixel region.
  const ResizeGeometry tall = ComputeResizeGeometry(spec, 10, 100);
  EXPECT_EQ(tall.region_height, 32);
  EXPECT_EQ(tall.region_width, 3);
  EXPECT_EQ(tall.offset_x, 14);
  EXPECT_EQ(ComputeResizeGeometry(spec, 1, 1000).region_width, 1);
}

}  // namespace
}  // namespace vigil
