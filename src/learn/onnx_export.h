// Export of a trained LinearHead with its backbone as ONE ONNX model: the backbone graph up to
// its embedding output, then
//   logits = Gemm(embedding, W', b', transB = 1)     W', b' = LinearHead::Folded(): the
//            standardisation and the temperature folded into the weights (exact in real numbers)
//   probabilities = Softmax(logits, axis = 1)
// The backbone's old probability branch (nodes and initializers only it used) is pruned. Outputs:
// `probabilities_output` [N, K] then the embedding [N, D], unchanged. Only Gemm and Softmax are
// added, which every Vigil backend runs. L2-normalised heads are refused (kUnsupported): the
// runtime has no ReduceL2/Div and the normalisation cannot be folded into a Gemm.
// Thread-safety: free functions without shared state.
#pragma once

#include <string>

#include "learn/linear_head.h"
#include "vigil/status.h"

namespace vigil {

struct HeadExportOptions {
  std::string embedding_output = "embedding";          // the backbone's embedding output
  std::string probabilities_output = "probabilities";  // name of the new probabilities output
};

// Reads `backbone_onnx`, appends `head`, writes `out_onnx`.
Status ExportHeadModel(const std::string& backbone_onnx, const LinearHead& head,
                       const HeadExportOptions& options, const std::string& out_onnx);

}  // namespace vigil
