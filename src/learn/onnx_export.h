// Export of a trained LinearHead or PrototypeHead with its backbone as ONE ONNX model: the
// backbone graph up to its embedding output, then
//   [u = x / ReduceL2(x, axis 1)]                    L2-normalised heads and prototypes only
//   logits = Gemm(u or x, W', b', transB = 1)        linear: W', b' = LinearHead::Folded() (the
//            standardisation and the temperature folded in, exact in real numbers);
//            prototypes: W' = scale * P, b' = 0
//   probabilities = Softmax(logits, axis = 1)
// The backbone's old probability branch (nodes and initializers only it used) is pruned. Outputs:
// `probabilities_output` [N, K] then the embedding [N, D], unchanged. Gemm and Softmax run on every
// Vigil backend; ReduceL2 and Div run on the OpenCV fallback (and on the others where they lower
// them), so an L2-normalised model may run on OpenCV DNN under "auto". An all-zero embedding
// gives NaN there (0/0) where the in-process head keeps zeros: a pooled ReLU embedding is never
// all zero in practice.
// Thread-safety: free functions without shared state.
#pragma once

#include <string>

#include "inference/linear_head.h"
#include "inference/prototype_head.h"
#include "vigil/status.h"

namespace vigil {

struct HeadExportOptions {
  std::string embedding_output = "embedding";          // the backbone's embedding output
  std::string probabilities_output = "probabilities";  // name of the new probabilities output
};

// Reads `backbone_onnx`, appends `head`, writes `out_onnx`.
Status ExportHeadModel(const std::string& backbone_onnx, const LinearHead& head,
                       const HeadExportOptions& options, const std::string& out_onnx);
Status ExportHeadModel(const std::string& backbone_onnx, const PrototypeHead& head,
                       const HeadExportOptions& options, const std::string& out_onnx);

}  // namespace vigil
