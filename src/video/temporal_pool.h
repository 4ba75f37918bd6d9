// Internal to src/video: features of a sequence of frame embeddings for a trainable temporal head
// (a linear head from src/learn on top): per dimension the mean, the standard deviation, the max
// and the mean absolute step |e_t - e_{t-1}| over time, concatenated (4 x D values).
// Thread-safety: stateless.
#pragma once

#include <vector>

#include "vigil/status.h"

namespace vigil::video {

// kInvalidArgument for an empty sequence or embeddings of different sizes. A single embedding
// gives std 0 and step 0.
Result<std::vector<float>> TemporalPoolFeatures(const std::vector<std::vector<float>>& sequence);

}  // namespace vigil::video
