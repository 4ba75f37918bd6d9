// Import-time constant folding of TF graph nodes (tfjs graph-model importer): nodes whose inputs
// are all constants (and Shape of any value, shapes being static) become constants.
// Thread-safety: free functions; the context is the caller's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/tf_graph_context.h"
#include "vigil/status.h"

namespace vigil {

// Ops FoldTfNode can evaluate (Shape on any input; the others when every input is constant).
bool IsFoldableTfOp(const std::string& op);

// Evaluates `node` (all inputs constant, except for Shape) and stores its constant output.
Status FoldTfNode(TfGraphContext& ctx, const TfNode& node);

// Resolves one -1 in a reshape target for `elements` elements (returns `target` if impossible).
std::vector<int64_t> ResolveReshape(const std::vector<int64_t>& target, int64_t elements);

// TF StridedSlice (begin/end/shrink masks; no ellipsis or new-axis masks) on a static shape.
struct StridedSliceSpec {
  std::vector<int64_t> begin, end, strides;  // per input axis, normalised and clamped
  std::vector<int64_t> sliced_shape;          // per input axis
  std::vector<int64_t> out_shape;             // shrunk axes removed
};
Result<StridedSliceSpec> ComputeStridedSlice(const TfNode& node, const std::vector<int64_t>& shape,
                                             const TfConst& begin, const TfConst& end,
                                             const TfConst& strides);

}  // namespace vigil
