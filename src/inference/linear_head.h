// LinearHead: a linear classifier on fixed feature vectors (backbone embeddings), trained with
// liblinear: L2-regularised logistic regression (L2R_LR) or linear SVM (L2R_L2LOSS_SVC_DUAL),
// class weights n / (K * n_k) against imbalance, C chosen by stratified k-fold cross-validation
// (highest macro-F1, ties to the smaller C).
//
// What the head computes, exactly (the exported ONNX model computes the same, see onnx_export.h):
//   z = normalise(x)                     standardise: (x - mean) * inv_std; l2: x / ||x||; or x
//   logits = (W z + b) / temperature     W [K, D] row-major, b [K]
//   probabilities = softmax(logits)
// liblinear trains K one-vs-rest models (one for K = 2: rows w and -w); their decision values are
// the logits. This is NOT liblinear's predict_probability (independent sigmoids renormalised): a
// softmax over the one-vs-rest scores, whose scale the temperature (fitted on held-out data) sets.
// Training (TrainLinearHead, liblinear) is in learn/head_training.h; this is what inference needs.
// Thread-safety: LinearHead is a value type; TrainLinearHead has no shared state apart from
// liblinear's global print function (set to silent once) and, for the linear SVM's dual solver,
// the C library's rand(): with threads > 1 the SVM's cross-validation scores may vary slightly from
// run to run (logistic regression uses no random numbers and is fully reproducible).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inference/feature_scaler.h"
#include "inference/head.h"
#include "vigil/status.h"

namespace vigil {

enum class HeadKind { kLogistic, kLinearSvm };

Result<HeadKind> ParseHeadKind(const std::string& name);     // "logistic", "linear-svm"
const char* HeadKindName(HeadKind kind);

struct LinearHead : Head {
  HeadKind kind = HeadKind::kLogistic;
  FeatureNorm norm = FeatureNorm::kStandardize;
  int num_classes = 0;
  int dim = 0;
  std::vector<float> mean;     // [D], standardise only
  std::vector<float> inv_std;  // [D], standardise only
  std::vector<float> weights;  // [K * D] row-major
  std::vector<float> bias;     // [K]
  float temperature = 1.0f;
  double c = 1.0;              // the regularisation parameter it was trained with

  // x has `dim` values. Logits already divided by the temperature.
  std::vector<float> Logits(const float* x) const;
  Result<std::vector<float>> Probabilities(const float* x) const override;
  int Predict(const float* x) const;
  // W' [K * D], b' [K] with logits = W' x' + b' (computed in double), the temperature folded in;
  // x' = the raw features for kNone/kStandardize (the standardisation folded in too), and
  // x' = x / ||x|| for kL2 (which a Gemm cannot fold: the exporter normalises first).
  Status Folded(std::vector<float>* weights, std::vector<float>* bias) const;

  // Head.
  std::string type_name() const override { return HeadKindName(kind); }
  int input_dim() const override { return dim; }
  int class_count() const override { return num_classes; }
  std::string Describe() const override;
  Status SaveParameters(const std::string& dir, nlohmann::json* j,
                        std::vector<std::string>* sidecars) const override;
  // From a head file's JSON ("type" logistic or linear-svm).
  static Result<LinearHead> FromJson(const nlohmann::json& j);
};

}  // namespace vigil
