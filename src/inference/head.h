// Head: the common face of every trained classifier over fixed-length feature vectors (linear
// logistic / SVM, RBF SVM, k-NN, class prototypes): probabilities for one vector, and the
// head-file form it is installed in (head_file.h, docs/model-repository.md "Head files").
// Thread-safety: a trained Head is immutable; Probabilities may be called from any number of
// threads at once.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

class Head {
 public:
  virtual ~Head() = default;
  // "logistic", "linear-svm", "rbf-svm", "knn" or "prototype" (the head file's "type").
  virtual std::string type_name() const = 0;
  virtual int input_dim() const = 0;
  virtual int class_count() const = 0;
  // x holds input_dim() values; returns class_count() probabilities summing to 1, or the error that
  // stopped the head (e.g. a failed k-NN index search) instead of made-up probabilities.
  virtual Result<std::vector<float>> Probabilities(const float* x) const = 0;
  // One line for manifests, summaries and reports, e.g. "rbf-svm (C=10, gamma=0.0004, standardize)".
  virtual std::string Describe() const = 0;
  // Adds the head's parameters to `j` (SaveHeadFile writes "type", "dim" and "classes") and writes
  // any sidecar file into `dir`, appending its path to `sidecars`.
  virtual Status SaveParameters(const std::string& dir, nlohmann::json* j,
                                std::vector<std::string>* sidecars) const = 0;
};

// softmax(logits) computed in double (max subtracted first).
std::vector<float> Softmax(const std::vector<float>& logits);
// Index of the largest value (the first one on ties).
int ArgMax(const std::vector<float>& v);

}  // namespace vigil
