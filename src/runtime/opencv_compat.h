// Rewrites an ONNX model into the dialect OpenCV 4.6's ONNX importer understands, keeping its
// semantics: Clip with constant min/max inputs (opset >= 11) becomes Clip with min/max
// attributes; Gemm with transB=0, alpha or beta becomes transB=1 with pre-transposed, pre-scaled
// constants; ReduceSum with a constant axes input (opset 13) gets an axes attribute instead;
// LpNormalization with p = 2 becomes ReduceL2 (keepdims) and a broadcast Div. Only the OpenCV
// adapter uses it.
// Thread-safety: pure function.
#pragma once

#include <string>

#include "vigil/status.h"

namespace vigil {

// `bytes` is a serialized onnx::ModelProto; returns the rewritten serialized model.
// `rewrites` (optional) receives the number of nodes changed.
Result<std::string> MakeOpenCvCompatibleOnnx(const std::string& bytes, const std::string& source,
                                             int* rewrites = nullptr);

}  // namespace vigil
