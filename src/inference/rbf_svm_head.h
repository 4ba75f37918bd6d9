// RbfSvmHead: a kernel SVM (libsvm C-SVC, RBF kernel exp(-gamma ||z - z'||^2)) on standardised
// features, with class weights n / (K * n_k), (C, gamma) chosen by stratified k-fold
// cross-validation on macro-F1, and libsvm's probability outputs (-b 1: Platt scaling of each
// pairwise SVM fitted by libsvm's internal 5-fold CV, combined by pairwise coupling).
//
// Why a head file and not ONNX: the probabilities come from pairwise coupling, an iterative
// solve per image (Wu, Lin and Weng 2004) that a fixed ONNX graph cannot express without a Loop,
// and the classical-feature models it is mostly used with have no ONNX graph anyway. The head is
// saved as libsvm's own model file (head.svm, svm_save_model) plus the standardisation in
// head.json; the in-process head IS the reloaded file, so the installed model gives exactly
// the probabilities measured at training time.
// libsvm is used only in rbf_svm_head.cpp; its console output is silenced.
// Thread-safety: Probabilities is safe from many threads. Training seeds the C library's rand()
// (libsvm's probability CV shuffles with it) before the final fit: do not train two probability
// SVMs on different threads at once if run-to-run reproducibility matters.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inference/feature_scaler.h"
#include "inference/head.h"
#include "vigil/status.h"

struct svm_model;

namespace vigil {

// Training options and cross-validation points: learn/head_training.h (Train is defined in learn/).
struct RbfSvmOptions;
struct RbfSvmCvPoint;

// libsvm's console output off (once per process; inference and training both call it).
void SilenceLibsvm();

class RbfSvmHead : public Head {
 public:
  struct ModelDeleter {
    void operator()(svm_model* m) const;
  };

  // Rows x[i] (one size D), labels in [0, num_classes); groups keep an image's views in one fold.
  // Defined in learn/rbf_svm_head_train.cpp (the training layer; inference only loads and runs).
  static Result<std::unique_ptr<RbfSvmHead>> Train(const std::vector<std::vector<float>>& x,
                                                   const std::vector<int>& y, int num_classes,
                                                   const RbfSvmOptions& options,
                                                   const std::vector<int>& groups = {},
                                                   std::vector<RbfSvmCvPoint>* cv = nullptr);
  static Result<std::unique_ptr<Head>> Load(const nlohmann::json& j, const std::string& dir);

  std::string type_name() const override { return "rbf-svm"; }
  int input_dim() const override { return dim_; }
  int class_count() const override { return num_classes_; }
  Result<std::vector<float>> Probabilities(const float* x) const override;
  std::string Describe() const override;
  Status SaveParameters(const std::string& dir, nlohmann::json* j,
                        std::vector<std::string>* sidecars) const override;

  double c() const { return c_; }
  double gamma() const { return gamma_; }
  int support_vectors() const;

 private:
  RbfSvmHead() = default;
  // Reads a libsvm model file and checks it against the head's size.
  Status ReadModel(const std::string& path);

  FeatureScaler scaler_;
  std::unique_ptr<svm_model, ModelDeleter> model_;
  std::vector<int> class_of_label_index_;  // libsvm label order -> class id
  int dim_ = 0;
  int num_classes_ = 0;
  double c_ = 0;
  double gamma_ = 0;
};

}  // namespace vigil
