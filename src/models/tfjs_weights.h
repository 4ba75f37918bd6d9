// TensorFlow.js weights: reads the binary shards listed in a model.json "weightsManifest" and
// decodes every weight to float32 (plain float32, uint8/uint16-quantized or float16-quantized).
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct TfjsWeight {
  std::vector<int64_t> shape;  // as in the manifest (Keras order, e.g. HWIO for a Conv2D kernel)
  std::vector<float> values;   // row-major, size = product of shape
  // int32/bool weights (only read with allow_int_weights): the exact integers, row-major; `values`
  // then holds the same numbers as float.
  bool is_int = false;
  std::vector<int64_t> int_values;
};

using TfjsWeightMap = std::map<std::string, TfjsWeight>;

// Reads and decodes the weights of `manifest` (the "weightsManifest" array). Shard paths are
// relative to `base_dir`. Each group's shards are concatenated and the weights are laid out in
// order across them, as tfjs does; the shard bytes must match the weights' sizes exactly.
// Errors: kInvalidArgument (malformed manifest), kNotFound (missing shard), kDataLoss (short or
// overlong shards), kUnsupported (dtype), kResourceExhausted (more than max_weight_bytes).
Result<TfjsWeightMap> ReadTfjsWeights(const nlohmann::json& manifest, const std::string& base_dir,
                                      int64_t max_weight_bytes);

// As above; with allow_int_weights, int32 and bool weights (used by graph models for shapes and
// indices) are read too (TfjsWeight::is_int).
Result<TfjsWeightMap> ReadTfjsWeights(const nlohmann::json& manifest, const std::string& base_dir,
                                      int64_t max_weight_bytes, bool allow_int_weights);

// IEEE 754 half -> float.
float HalfToFloat(uint16_t half);

}  // namespace vigil
