// Head files: a trained Head saved in a model version folder, so that ImageClassifier can run
// heads that are not (only) an ONNX graph: k-NN with its faiss index, RBF SVMs, and any head on
// classical descriptors. Layout (docs/model-repository.md):
//   head.json    {"format": "vigil-head", "format_version": 1, "type": "rbf-svm", "dim": D,
//                 "classes": K, ... the head's parameters ...}
//   head.svm     libsvm model (rbf-svm)          head.faiss   faiss index (knn)
// Thread-safety: free functions; concurrent calls must use different folders.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "inference/head.h"
#include "vigil/status.h"

namespace vigil {

constexpr const char* kHeadFileName = "head.json";

// Writes <dir>/head.json and the head's sidecars; returns every path written, head.json first.
Result<std::vector<std::string>> SaveHeadFile(const Head& head, const std::string& dir);
// Loads a head.json written by SaveHeadFile (sidecars are read from its folder). kNotFound,
// kInvalidArgument (malformed, or a dimension that does not match), kUnsupported (unknown type or
// newer format).
Result<std::unique_ptr<Head>> LoadHeadFile(const std::string& path);

}  // namespace vigil
