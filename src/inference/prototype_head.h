// PrototypeHead: few-shot classification by class prototypes (nearest class mean, cosine):
//   u = x / ||x||                                     the embedding, L2-normalised
//   P_k = normalise(mean of u over class k's training vectors)
//   probabilities = softmax(scale * P u)              P [K, D] of unit rows
// scale (a cosine-to-logit factor) is fitted by temperature scaling on leave-one-out cosines
// (each training vector against the prototypes without its own group, i.e. its image's views) when
// every class has at least two groups; otherwise it is `fixed_scale`.
// It exports into ONNX as a normalised matrix product (onnx_export.h): LpNormalization, then a
// Gemm with scale * P, then Softmax; on classical features it is saved as a head file.
// Thread-safety: Probabilities is safe from many threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "inference/head.h"
#include "vigil/status.h"

namespace vigil {

// Training options: learn/head_training.h (Train is defined in learn/).
struct PrototypeOptions;

class PrototypeHead : public Head {
 public:
  // Defined in learn/prototype_head_train.cpp (the training layer; inference only loads and runs).
  static Result<std::unique_ptr<PrototypeHead>> Train(const std::vector<std::vector<float>>& x,
                                                      const std::vector<int>& y, int num_classes,
                                                      const PrototypeOptions& options,
                                                      const std::vector<int>& groups = {});
  static Result<std::unique_ptr<Head>> Load(const nlohmann::json& j);

  std::string type_name() const override { return "prototype"; }
  int input_dim() const override { return dim_; }
  int class_count() const override { return num_classes_; }
  Result<std::vector<float>> Probabilities(const float* x) const override;
  std::string Describe() const override;
  Status SaveParameters(const std::string& dir, nlohmann::json* j,
                        std::vector<std::string>* sidecars) const override;

  // scale * P, [K * D] row-major: the Gemm weights of the exported graph.
  std::vector<float> ScaledPrototypes() const;
  float scale() const { return scale_; }
  bool scale_fitted() const { return scale_fitted_; }

 private:
  PrototypeHead() = default;
  int dim_ = 0;
  int num_classes_ = 0;
  std::vector<float> prototypes_;  // [K * D], unit rows
  float scale_ = 10;
  bool scale_fitted_ = false;
};

}  // namespace vigil
