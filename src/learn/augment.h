// Image augmentation for training views (training images only): random resized crop, horizontal
// flip and colour jitter (brightness, contrast, saturation), on vigil::Image with OpenCV.
// Deterministic: the same image, options and seed give the same pixels.
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>

#include "vigil/image.h"
#include "vigil/status.h"

namespace vigil {

struct AugmentOptions {
  bool crop = false;    // random crop of 60-100% of the area, aspect ratio 3/4..4/3
  bool flip = false;    // horizontal flip with probability 1/2
  bool jitter = false;  // brightness, contrast and saturation factors in [0.8, 1.2]
  bool any() const { return crop || flip || jitter; }
};

// "crop,flip,jitter" (any subset, comma-separated; "" or "none" = nothing).
Result<AugmentOptions> ParseAugmentOptions(const std::string& spec);
// The canonical spec ("crop,flip,jitter" order; "none"), used in cache keys.
std::string AugmentSpec(const AugmentOptions& options);

// One random view of `image`, drawn from a generator seeded with `seed`.
Result<Image> AugmentImage(const Image& image, const AugmentOptions& options, uint64_t seed);

}  // namespace vigil
