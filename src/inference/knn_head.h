// KnnHead: k nearest neighbours over the training vectors in a faiss flat index (exact search),
// cosine (inner product of L2-normalised vectors) or Euclidean (L2) metric, distance-weighted
// votes turned into probabilities:
//   d_j = 1 - cos(z, z_j) (cosine) or ||z - z_j|| (l2), w_j = class_weight[y_j] / (d_j + 1e-6)
//   p_k = sum_{j in kNN, y_j = k} w_j / sum_j w_j
// class_weight = n / (K n_k) when balancing (as the other heads), else 1. The metric and k are
// chosen by stratified k-fold cross-validation on macro-F1 (views of one image stay in one fold).
// Saved as head.json (normalisation, metric, k, the label of every index row, class weights) plus
// the index itself (head.faiss, faiss::write_index). faiss is used only in knn_head.cpp.
// Thread-safety: Probabilities is safe from many threads (faiss flat search is const).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inference/feature_scaler.h"
#include "inference/head.h"
#include "vigil/status.h"

namespace faiss {
struct Index;
}

namespace vigil {

enum class KnnMetric { kCosine, kL2 };

const char* KnnMetricName(KnnMetric metric);

// Training options and cross-validation points: learn/head_training.h (Train is defined in learn/).
struct KnnOptions;
struct KnnCvPoint;

class KnnHead : public Head {
 public:
  struct IndexDeleter {
    void operator()(faiss::Index* index) const;
  };

  // Defined in learn/knn_head_train.cpp (the training layer; inference only loads and runs).
  static Result<std::unique_ptr<KnnHead>> Train(const std::vector<std::vector<float>>& x,
                                                const std::vector<int>& y, int num_classes,
                                                const KnnOptions& options,
                                                const std::vector<int>& groups = {},
                                                std::vector<KnnCvPoint>* cv = nullptr);
  static Result<std::unique_ptr<Head>> Load(const nlohmann::json& j, const std::string& dir);

  std::string type_name() const override { return "knn"; }
  int input_dim() const override { return dim_; }
  int class_count() const override { return num_classes_; }
  Result<std::vector<float>> Probabilities(const float* x) const override;
  std::string Describe() const override;
  Status SaveParameters(const std::string& dir, nlohmann::json* j,
                        std::vector<std::string>* sidecars) const override;

  int k() const { return k_; }
  KnnMetric metric() const { return metric_; }
  int64_t size() const;  // vectors in the index

 private:
  KnnHead() = default;

  FeatureScaler scaler_;
  KnnMetric metric_ = KnnMetric::kCosine;
  int k_ = 1;
  int dim_ = 0;
  int num_classes_ = 0;
  std::vector<int> labels_;             // class of each index row
  std::vector<float> class_weights_;    // [K]
  std::unique_ptr<faiss::Index, IndexDeleter> index_;
};

}  // namespace vigil
