// Preprocessing: turns a decoded Image into a model's float input tensor, reproducing
// tfjs's tf.image.resizeBilinear (CPU kernel) exactly, as nsfwjs uses it:
//   resizeBilinear(img.toFloat().div(255), [size, size], alignCorners=true)  — whole image
// stretched, no crop. The scaled pixel values are float32, the interpolation is evaluated in double
// in tfjs's order of operations and each result rounded once to float32, as JavaScript does.
// Thread-safety: stateless; PreprocessInto may run concurrently on different outputs.
//
//   vigil::PreprocessSpec spec;  // nsfwjs defaults
//   spec.width = spec.height = 224;
//   std::vector<float> input(vigil::PreprocessOutputSize(spec));
//   VIGIL_RETURN_IF_ERROR(vigil::PreprocessInto(image, spec, input.data()));
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "vigil/image.h"
#include "vigil/model_manifest.h"
#include "vigil/status.h"

namespace vigil {

struct PreprocessSpec {
  int width = 0;                     // output width (model input width), > 0
  int height = 0;                    // output height, > 0
  bool nchw = false;                 // output layout: false = HWC (NHWC), true = CHW (NCHW)
  bool bgr = false;                  // output channel order: false = RGB, true = BGR
  // Pixel v becomes float32(v * scale) before resizing. When 1/scale is an integer d (255 for
  // scale = 1/255), float32(v / d) is used instead, which is what tfjs's div(255) computes.
  float scale = 1.0f / 255.0f;
  std::array<float, 3> mean{0, 0, 0};  // after resizing: (x - mean[c]) / std[c], c in RGB order
  std::array<float, 3> std{1, 1, 1};
  bool align_corners = true;         // TF align_corners: scale = (in - 1) / (out - 1)
  bool half_pixel_centers = false;   // TF half_pixel_centers (only meaningful without align_corners)
  // false: stretch the whole image to width x height. true: letterbox: scale it by one factor so
  // that it fits, centre it, and fill the borders with the pixel value `pad_value` (then
  // normalised like any pixel), as detectors trained with keep-ratio resizing expect.
  bool letterbox = false;
  uint8_t pad_value = 0;
};

// Where the image lands in the model input: model = image * scale + offset, per axis. The resized
// image covers [offset_x, offset_x + region_width) x [offset_y, offset_y + region_height).
struct ResizeGeometry {
  double scale_x = 1, scale_y = 1;
  double offset_x = 0, offset_y = 0;
  int region_width = 0, region_height = 0;
};
// Geometry PreprocessInto uses for an image_width x image_height image (both > 0).
ResizeGeometry ComputeResizeGeometry(const PreprocessSpec& spec, int image_width, int image_height);

// Number of floats PreprocessInto writes: width * height * 3.
size_t PreprocessOutputSize(const PreprocessSpec& spec);

// Builds a spec from a model manifest's input and preprocessing sections.
// kInvalidArgument for an unknown layout / color / resize mode or a bad size.
Result<PreprocessSpec> PreprocessSpecFromManifest(const InputSpec& input, const Preprocessing& pre);

// Writes PreprocessOutputSize(spec) floats to `out`. kInvalidArgument for an empty image, a
// non-positive output size, a zero std or a null `out`.
Status PreprocessInto(const Image& image, const PreprocessSpec& spec, float* out);

}  // namespace vigil
