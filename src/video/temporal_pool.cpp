// TemporalPoolFeatures: [mean, std, max, mean |step|] over time per embedding dimension.
#include "video/temporal_pool.h"

#include <algorithm>
#include <cmath>

namespace vigil::video {

Result<std::vector<float>> TemporalPoolFeatures(const std::vector<std::vector<float>>& sequence) {
  if (sequence.empty()) return InvalidArgumentError("temporal pooling: empty sequence");
  const size_t d = sequence[0].size();
  for (const auto& e : sequence) {
    if (e.size() != d || d == 0) {
      return InvalidArgumentError("temporal pooling: embeddings of different or zero sizes");
    }
  }
  const double n = double(sequence.size());
  std::vector<float> out(4 * d);
  for (size_t k = 0; k < d; ++k) {
    double sum = 0, sq = 0, step = 0;
    float mx = sequence[0][k];
    for (size_t t = 0; t < sequence.size(); ++t) {
      const double v = sequence[t][k];
      sum += v;
      sq += v * v;
      mx = std::max(mx, sequence[t][k]);
      if (t > 0) step += std::fabs(v - double(sequence[t - 1][k]));
    }
    const double mean = sum / n;
    out[k] = float(mean);
    out[d + k] = float(std::sqrt(std::max(0.0, sq / n - mean * mean)));
    out[2 * d + k] = mx;
    out[3 * d + k] = sequence.size() > 1 ? float(step / (n - 1)) : 0.0f;
  }
  return out;
}

}  // namespace vigil::video
