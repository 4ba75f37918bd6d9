// Tensor: a dense float32 array with a shape, used between preprocessing, backends and heads.
// Thread-safety: value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil {

struct Tensor {
  std::string name;            // ONNX value name (outputs) or empty
  std::vector<int64_t> shape;  // e.g. {N, H, W, C}
  std::vector<float> data;     // row-major, size = product of shape

  static int64_t NumElements(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

}  // namespace vigil
