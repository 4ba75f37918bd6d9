// The k-NN head's search steps, shared by inference (KnnHead::Probabilities) and training
// (cross-validation in learn/knn_head_train.cpp): scaling, the faiss flat index, and the
// distance-weighted vote. Internal to inference/ and learn/; faiss types stay in these files.
// Thread-safety: free functions without shared state.
#pragma once

#include <faiss/Index.h>

#include <memory>
#include <vector>

#include "inference/feature_scaler.h"
#include "inference/knn_head.h"

namespace vigil {

// The scaled row, then L2-normalised for the cosine metric.
std::vector<float> KnnPrepare(const FeatureScaler& scaler, KnnMetric metric, const float* x, int dim);
// An empty exact index: inner product (cosine) or L2.
std::unique_ptr<faiss::Index, KnnHead::IndexDeleter> KnnNewIndex(KnnMetric metric, int dim);
// faiss scores -> distances: IP gives cosine similarity, L2 the squared distance.
float KnnDistance(KnnMetric metric, float score);
// Probabilities from the first k neighbours (ids into labels, -1 = none), weighted by
// class_weights[label] / (distance + 1e-6).
std::vector<float> KnnVote(KnnMetric metric, int k, const float* scores, const faiss::Index::idx_t* ids,
                           const std::vector<int>& labels, const std::vector<float>& class_weights);

}  // namespace vigil
