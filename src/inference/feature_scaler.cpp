// FeatureScaler (see feature_scaler.h).
#include "inference/feature_scaler.h"

#include <cmath>

namespace vigil {

Result<FeatureNorm> ParseFeatureNorm(const std::string& name) {
  if (name == "none") return FeatureNorm::kNone;
  if (name == "standardize") return FeatureNorm::kStandardize;
  if (name == "l2") return FeatureNorm::kL2;
  return InvalidArgumentError("unknown normalisation '" + name + "' (none, standardize, l2)");
}

const char* FeatureNormName(FeatureNorm norm) {
  return norm == FeatureNorm::kNone ? "none" : norm == FeatureNorm::kStandardize ? "standardize" : "l2";
}

FeatureScaler FeatureScaler::Fit(const std::vector<std::vector<float>>& rows, FeatureNorm norm) {
  FeatureScaler s;
  s.norm = norm;
  if (norm != FeatureNorm::kStandardize || rows.empty()) return s;
  const size_t dim = rows[0].size();
  std::vector<double> m(dim, 0.0), v(dim, 0.0);
  for (const auto& r : rows) for (size_t i = 0; i < dim; ++i) m[i] += r[i];
  for (double& x : m) x /= rows.size();
  for (const auto& r : rows) for (size_t i = 0; i < dim; ++i) v[i] += (r[i] - m[i]) * (r[i] - m[i]);
  s.mean.resize(dim);
  s.inv_std.resize(dim);
  for (size_t i = 0; i < dim; ++i) {
    const double sd = std::sqrt(v[i] / rows.size());
    s.mean[i] = static_cast<float>(m[i]);
    s.inv_std[i] = static_cast<float>(sd > 1e-8 ? 1.0 / sd : 1.0);
  }
  return s;
}

std::vector<double> FeatureScaler::Apply(const float* x, int dim) const {
  std::vector<double> z(x, x + dim);
  if (norm == FeatureNorm::kStandardize) {
    for (int i = 0; i < dim; ++i) z[i] = (z[i] - mean[i]) * inv_std[i];
  } else if (norm == FeatureNorm::kL2) {
    double s = 0;
    for (double v : z) s += v * v;
    s = std::sqrt(s);
    if (s > 0) for (double& v : z) v /= s;
  }
  return z;
}

std::vector<float> FeatureScaler::ApplyFloat(const float* x, int dim) const {
  std::vector<double> z = Apply(x, dim);
  return std::vector<float>(z.begin(), z.end());
}

nlohmann::json FeatureScaler::ToJson() const {
  nlohmann::json j{{"norm", FeatureNormName(norm)}};
  if (norm == FeatureNorm::kStandardize) {
    j["mean"] = mean;
    j["inv_std"] = inv_std;
  }
  return j;
}

Result<FeatureScaler> FeatureScaler::FromJson(const nlohmann::json& j, int dim) {
  FeatureScaler s;
  try {
    VIGIL_ASSIGN_OR_RETURN(s.norm, ParseFeatureNorm(j.at("norm").get<std::string>()));
    if (s.norm == FeatureNorm::kStandardize) {
      s.mean = j.at("mean").get<std::vector<float>>();
      s.inv_std = j.at("inv_std").get<std::vector<float>>();
      if (static_cast<int>(s.mean.size()) != dim || static_cast<int>(s.inv_std.size()) != dim) {
        return InvalidArgumentError("head file: normalisation has " + std::to_string(s.mean.size()) +
                                    " values for " + std::to_string(dim) + " dimensions");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("head file: normalisation: ") + e.what());
  }
  return s;
}

}  // namespace vigil
