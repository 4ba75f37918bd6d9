// Training the heads of inference/ (linear, RBF SVM, k-NN, prototype): their options, the
// cross-validation points they report, and TrainLinearHead. The head classes, their inference and
// their head-file form live in inference/; the Train functions are defined here, in learn/
// (*_head_train.cpp), which owns liblinear and the cross-validation.
// Thread-safety: see each head's header; training functions share no state apart from what the
// heads' headers say (liblinear's print function, the C library's rand()).
#pragma once

#include <cstdint>
#include <vector>

#include "inference/feature_scaler.h"
#include "inference/knn_head.h"
#include "inference/linear_head.h"
#include "inference/prototype_head.h"
#include "inference/rbf_svm_head.h"
#include "learn/cross_validation.h"
#include "vigil/status.h"

namespace vigil {

struct LinearHeadOptions {
  HeadKind kind = HeadKind::kLogistic;
  FeatureNorm norm = FeatureNorm::kStandardize;
  // Candidate C values; cross-validation picks one (a single value skips cross-validation).
  std::vector<double> c_grid = {0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100};
  int folds = 5;
  bool balance_classes = true;  // class weights n / (K * n_k)
  double eps = 0.01;            // liblinear stopping tolerance
  uint64_t seed = 1;            // fold assignment
  int threads = 1;              // cross-validation fits run on this many threads
};

struct CrossValidationPoint {
  double c = 0;
  double accuracy = 0;
  double macro_f1 = 0;
};

struct LinearHeadFit {
  LinearHead head;
  std::vector<CrossValidationPoint> cv;  // one per grid value (empty if no CV)
  // Out-of-fold logits (temperature 1) at the chosen C, one row per training item (empty if no CV):
  // held-out scores for fitting a temperature without setting data aside.
  std::vector<std::vector<float>> oof_logits;
};

// Trains on rows x[i] (all of one size D) with labels y[i] in [0, num_classes); every class needs
// at least one item (and `folds` items for CV). Items sharing a `groups[i]` value (e.g. views of
// one image) stay in one fold; groups may be empty (each item its own group).
Result<LinearHeadFit> TrainLinearHead(const std::vector<std::vector<float>>& x,
                                      const std::vector<int>& y, int num_classes,
                                      const LinearHeadOptions& options,
                                      const std::vector<int>& groups = {});

struct RbfSvmOptions {
  FeatureNorm norm = FeatureNorm::kStandardize;
  // Candidate C values and gamma values; gamma = gamma_scale / D (with standardised features
  // 1/D is scikit-learn's gamma="scale"). One value each skips cross-validation.
  std::vector<double> c_grid = {1, 3, 10, 30};
  std::vector<double> gamma_scale_grid = {0.125, 0.25, 0.5, 1};
  int folds = 5;
  bool balance_classes = true;
  uint64_t seed = 1;  // folds; the final fit seeds rand() with it (libsvm's probability CV)
  int threads = 1;    // cross-validation fits run on this many threads
  double cache_mb = 64;  // libsvm kernel cache per fit
};

struct RbfSvmCvPoint {
  double c = 0;
  double gamma = 0;
  double macro_f1 = 0;
};

struct KnnOptions {
  FeatureNorm norm = FeatureNorm::kNone;  // applied before the metric
  std::vector<KnnMetric> metrics = {KnnMetric::kCosine, KnnMetric::kL2};  // candidates
  std::vector<int> k_grid = {1, 3, 5, 7, 9, 15};                          // candidates
  int folds = 5;
  bool balance_classes = true;
  uint64_t seed = 1;
};

struct KnnCvPoint {
  KnnMetric metric = KnnMetric::kCosine;
  int k = 1;
  double macro_f1 = 0;
};

struct PrototypeOptions {
  double fixed_scale = 10;  // used when leave-one-out fitting is impossible (1 shot)
  bool fit_scale = true;    // fit the scale on leave-one-out cosines when possible
};

}  // namespace vigil
