// FeatureScaler: the normalisation a head applies to its input vector before anything else:
//   none          z = x
//   standardize   z = (x - mean) * inv_std   (mean and 1/sd per dimension, fitted on training rows;
//                 a constant dimension gets inv_std 1)
//   l2            z = x / ||x||_2            (an all-zero x stays zero)
// It is saved in the head file (head_file.h) as {"norm", "mean", "inv_std"}.
// Thread-safety: value type.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

enum class FeatureNorm { kNone, kStandardize, kL2 };

Result<FeatureNorm> ParseFeatureNorm(const std::string& name);  // "none", "standardize", "l2"
const char* FeatureNormName(FeatureNorm norm);

struct FeatureScaler {
  FeatureNorm norm = FeatureNorm::kNone;
  std::vector<float> mean;     // [D], standardize only
  std::vector<float> inv_std;  // [D], standardize only

  // Fits mean/inv_std on rows (all of one size) for kStandardize; nothing for the others.
  static FeatureScaler Fit(const std::vector<std::vector<float>>& rows, FeatureNorm norm);
  // z for one row of `dim` values, in double.
  std::vector<double> Apply(const float* x, int dim) const;
  std::vector<float> ApplyFloat(const float* x, int dim) const;

  nlohmann::json ToJson() const;
  // kInvalidArgument if the JSON is malformed or the vectors do not have `dim` values.
  static Result<FeatureScaler> FromJson(const nlohmann::json& j, int dim);
};

}  // namespace vigil
