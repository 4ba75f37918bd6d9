// Image -> model input floats, reproducing tfjs's CPU ResizeBilinear kernel bit for bit
// (tfjs-backend-cpu/src/kernels/ResizeBilinear.ts): JavaScript evaluates
//   top = tl + (tr - tl) * colFrac; bottom = bl + (br - bl) * colFrac; v = top + (bottom - top) * rowFrac
// in double on float32 inputs and stores float32(v). We do the same, with the source indices and
// fractions precomputed once per column / row and the horizontal pass cached per source row.
#include "media/preprocess.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

// Fused multiply-add would change the double results; keep each operation separately rounded.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace vigil {
namespace {

struct Tap {
  int i0;       // floor index
  int i1;       // ceil index
  double frac;  // source position - i0
};

// tfjs: effective sizes, ratio and per-output source positions (see file comment).
std::vector<Tap> ComputeTaps(int in_size, int out_size, bool align_corners, bool half_pixel) {
  const bool align = align_corners && out_size > 1;
  const double effective_in = align ? in_size - 1 : in_size;
  const double effective_out = align ? out_size - 1 : out_size;
  const double ratio = effective_in / effective_out;
  std::vector<Tap> taps(static_cast<size_t>(out_size));
  for (int o = 0; o < out_size; ++o) {
    const double src = half_pixel ? ratio * (o + 0.5) - 0.5 : ratio * o;
    const double floor_v = std::max(0.0, std::floor(src));
    Tap& t = taps[static_cast<size_t>(o)];
    t.frac = src - floor_v;
    t.i0 = std::min(in_size - 1, static_cast<int>(floor_v));
    t.i1 = std::min(in_size - 1, static_cast<int>(std::ceil(src)));
    t.i1 = std::max(t.i1, 0);
  }
  return taps;
}

// Horizontal pass over one source row: row_out[x*3+c] = l + (r - l) * frac, in double.
void InterpolateRow(const uint8_t* row, const double* lut, const std::vector<Tap>& x_taps,
                    double* row_out) {
  const size_t out_w = x_taps.size();
  for (size_t x = 0; x < out_w; ++x) {
    const Tap& t = x_taps[x];
    const uint8_t* left = row + static_cast<size_t>(t.i0) * 3;
    const uint8_t* right = row + static_cast<size_t>(t.i1) * 3;
    for (int c = 0; c < 3; ++c) {
      const double l = lut[left[c]];
      const double r = lut[right[c]];
      row_out[x * 3 + c] = l + (r - l) * t.frac;
    }
  }
}

}  // namespace

size_t PreprocessOutputSize(const PreprocessSpec& spec) {
  if (spec.width <= 0 || spec.height <= 0) return 0;
  return static_cast<size_t>(spec.width) * static_cast<size_t>(spec.height) * 3;
}

Result<PreprocessSpec> PreprocessSpecFromManifest(const InputSpec& input, const Preprocessing& pre) {
  PreprocessSpec spec;
  if (input.width <= 0 || input.height <= 0) {
    return InvalidArgumentError("input.width/height must be positive, got " +
                                std::to_string(input.width) + "x" + std::to_string(input.height));
  }
  if (input.channels != 3) {
    return InvalidArgumentError("input.channels must be 3, got " + std::to_string(input.channels));
  }
  spec.width = input.width;
  spec.height = input.height;
  if (input.layout == "NHWC") {
    spec.nchw = false;
  } else if (input.layout == "NCHW") {
    spec.nchw = true;
  } else {
    return InvalidArgumentError("input.layout must be \"NHWC\" or \"NCHW\", got \"" + input.layout + "\"");
  }
  if (pre.color == "RGB") {
    spec.bgr = false;
  } else if (pre.color == "BGR") {
    spec.bgr = true;
  } else {
    return InvalidArgumentError("preprocessing.color must be \"RGB\" or \"BGR\", got \"" + pre.color + "\"");
  }
  if (pre.resize != "stretch" && pre.resize != "letterbox") {
    return InvalidArgumentError("preprocessing.resize must be \"stretch\" or \"letterbox\", got \"" +
                                pre.resize + "\"");
  }
  spec.letterbox = pre.resize == "letterbox";
  spec.pad_value = static_cast<uint8_t>(std::clamp(pre.pad_value, 0, 255));
  spec.half_pixel_centers = pre.half_pixel_centers;
  spec.scale = pre.scale;
  spec.mean = pre.mean;
  spec.std = pre.std;
  spec.align_corners = pre.align_corners;
  return spec;
}

ResizeGeometry ComputeResizeGeometry(const PreprocessSpec& spec, int image_width, int image_height) {
  ResizeGeometry g;
  if (image_width <= 0 || image_height <= 0 || spec.width <= 0 || spec.height <= 0) return g;
  if (!spec.letterbox) {
    g.region_width = spec.width;
    g.region_height = spec.height;
  } else {
    const double r = std::min(double(spec.width) / image_width, double(spec.height) / image_height);
    g.region_width = std::clamp(int(std::lround(image_width * r)), 1, spec.width);
    g.region_height = std::clamp(int(std::lround(image_height * r)), 1, spec.height);
    g.offset_x = (spec.width - g.region_width) / 2;
    g.offset_y = (spec.height - g.region_height) / 2;
  }
  g.scale_x = double(g.region_width) / image_width;
  g.scale_y = double(g.region_height) / image_height;
  return g;
}

Status PreprocessInto(const Image& image, const PreprocessSpec& spec, float* out) {
  if (out == nullptr) return InvalidArgumentError("preprocess: output pointer is null");
  if (image.empty() ||
      image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3) {
    return InvalidArgumentError("preprocess: image is empty or its pixel buffer has the wrong size");
  }
  if (spec.width <= 0 || spec.height <= 0) {
    return InvalidArgumentError("preprocess: spec width/height must be positive, got " +
                                std::to_string(spec.width) + "x" + std::to_string(spec.height));
  }
  if (!(spec.scale > 0.0f) || !std::isfinite(spec.scale)) {
    return InvalidArgumentError("preprocess: spec.scale must be positive and finite");
  }
  for (int c = 0; c < 3; ++c) {
    if (spec.std[c] == 0.0f || !std::isfinite(spec.std[c]) || !std::isfinite(spec.mean[c])) {
      return InvalidArgumentError("preprocess: spec.std[" + std::to_string(c) + "] must be non-zero, " +
                                  "and mean/std finite");
    }
  }

  // float32 pixel values, as tfjs holds them after toFloat().div(255).
  double lut[256];
  const double inverse = 1.0 / static_cast<double>(spec.scale);
  const double divisor = std::round(inverse);
  const bool divide = divisor >= 1.0 && std::fabs(inverse - divisor) <= 1e-4 * divisor;
  for (int v = 0; v < 256; ++v) {
    const double exact = divide ? v / divisor : v * static_cast<double>(spec.scale);
    lut[v] = static_cast<double>(static_cast<float>(exact));
  }

  const int in_w = image.width;
  const int in_h = image.height;
  const ResizeGeometry geometry = ComputeResizeGeometry(spec, in_w, in_h);
  const int out_w = geometry.region_width;  // the resized image; letterbox borders are filled below
  const int out_h = geometry.region_height;
  const int off_x = static_cast<int>(geometry.offset_x);
  const int off_y = static_cast<int>(geometry.offset_y);
  const std::vector<Tap> x_taps = ComputeTaps(in_w, out_w, spec.align_corners, spec.half_pixel_centers);
  const std::vector<Tap> y_taps = ComputeTaps(in_h, out_h, spec.align_corners, spec.half_pixel_centers);

  const bool identity_norm = spec.mean == std::array<float, 3>{0, 0, 0} &&
                             spec.std == std::array<float, 3>{1, 1, 1};
  const size_t row_len = static_cast<size_t>(out_w) * 3;
  // Two cached horizontal passes, keyed by source row (consecutive output rows often share rows).
  std::vector<double> cache(row_len * 2);
  int cached_row[2] = {-1, -1};
  const auto horizontal = [&](int src_row, int keep_row) -> const double* {
    for (int k = 0; k < 2; ++k) {
      if (cached_row[k] == src_row) return &cache[k * row_len];
    }
    // Never evict `keep_row` (the other row in use); otherwise evict the older (lower) row.
    int slot = cached_row[0] < cached_row[1] ? 0 : 1;
    if (cached_row[0] == keep_row) slot = 1;
    if (cached_row[1] == keep_row) slot = 0;
    InterpolateRow(&image.pixels[static_cast<size_t>(src_row) * in_w * 3], lut, x_taps,
                   &cache[slot * row_len]);
    cached_row[slot] = src_row;
    return &cache[slot * row_len];
  };

  const size_t plane = static_cast<size_t>(spec.width) * spec.height;
  if (spec.letterbox) {
    for (int c = 0; c < 3; ++c) {
      float f = static_cast<float>(lut[spec.pad_value]);
      if (!identity_norm) f = (f - spec.mean[c]) / spec.std[c];
      const int oc = spec.bgr ? 2 - c : c;
      for (size_t pixel = 0; pixel < plane; ++pixel) {
        out[spec.nchw ? static_cast<size_t>(oc) * plane + pixel : pixel * 3 + oc] = f;
      }
    }
  }
  for (int y = 0; y < out_h; ++y) {
    const Tap& ty = y_taps[static_cast<size_t>(y)];
    const double* top = horizontal(ty.i0, -1);
    const double* bottom = horizontal(ty.i1, ty.i0);
    for (int x = 0; x < out_w; ++x) {
      for (int c = 0; c < 3; ++c) {
        const size_t i = static_cast<size_t>(x) * 3 + c;
        const double t = top[i];
        const double v = t + (bottom[i] - t) * ty.frac;
        float f = static_cast<float>(v);
        if (!identity_norm) f = (f - spec.mean[c]) / spec.std[c];
        const int oc = spec.bgr ? 2 - c : c;
        const size_t pixel = static_cast<size_t>(y + off_y) * spec.width + (x + off_x);
        if (spec.nchw) {
          out[static_cast<size_t>(oc) * plane + pixel] = f;
        } else {
          out[pixel * 3 + oc] = f;
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace vigil
