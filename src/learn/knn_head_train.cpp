// KnnHead::Train (see learn/head_training.h): metric and k by stratified cross-validation on faiss
// flat indexes, then the index over every training row. faiss exceptions stop here.
#include <faiss/impl/FaissException.h>

#include <algorithm>
#include <cmath>

#include "inference/knn_head.h"
#include "inference/knn_index.h"
#include "learn/cross_validation.h"
#include "learn/head_training.h"

namespace vigil {

namespace {

Result<std::vector<float>> VoteWeights(const std::vector<int>& y, const std::vector<int>& indices, int num_classes,
                                       bool balance) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<double> w, ClassWeights(y, indices, num_classes, balance));
  return std::vector<float>(w.begin(), w.end());
}

}  // namespace

Result<std::unique_ptr<KnnHead>> KnnHead::Train(const std::vector<std::vector<float>>& x, const std::vector<int>& y,
                                                int num_classes, const KnnOptions& options,
                                                const std::vector<int>& groups, std::vector<KnnCvPoint>* cv) {
  if (x.empty() || x.size() != y.size()) return InvalidArgumentError("knn: no items or size mismatch");
  if (num_classes < 2) return InvalidArgumentError("knn: needs at least 2 classes");
  if (options.metrics.empty() || options.k_grid.empty()) return InvalidArgumentError("knn: empty grid");
  for (int k : options.k_grid) if (k < 1 || k > 1000) return InvalidArgumentError("knn: k must be in 1..1000");
  const int dim = static_cast<int>(x[0].size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (static_cast<int>(x[i].size()) != dim || dim == 0) return InvalidArgumentError("knn: rows differ in size");
    if (y[i] < 0 || y[i] >= num_classes) return InvalidArgumentError("knn: label out of range");
    for (float v : x[i]) if (!std::isfinite(v)) return InvalidArgumentError("knn: non-finite feature value");
  }
  std::unique_ptr<KnnHead> head(new KnnHead());
  head->dim_ = dim;
  head->num_classes_ = num_classes;
  head->scaler_ = FeatureScaler::Fit(x, options.norm);
  head->metric_ = options.metrics[0];
  head->k_ = options.k_grid[0];
  try {
    if (options.metrics.size() * options.k_grid.size() > 1) {
      const int folds = std::max(2, options.folds);
      VIGIL_ASSIGN_OR_RETURN(std::vector<int> fold_of, StratifiedFolds(y, groups, num_classes, folds, options.seed));
      const int max_k = *std::max_element(options.k_grid.begin(), options.k_grid.end());
      double best = -1;
      for (KnnMetric metric : options.metrics) {
        std::vector<std::vector<int>> predicted(options.k_grid.size(), std::vector<int>(x.size(), 0));
        for (int f = 0; f < folds; ++f) {
          std::vector<int> tr, te;
          for (size_t i = 0; i < x.size(); ++i) (fold_of[i] == f ? te : tr).push_back(static_cast<int>(i));
          auto index = KnnNewIndex(metric, dim);
          std::vector<float> base, queries;
          std::vector<int> labels;
          for (int i : tr) {
            std::vector<float> z = KnnPrepare(head->scaler_, metric, x[i].data(), dim);
            base.insert(base.end(), z.begin(), z.end());
            labels.push_back(y[i]);
          }
          for (int i : te) {
            std::vector<float> z = KnnPrepare(head->scaler_, metric, x[i].data(), dim);
            queries.insert(queries.end(), z.begin(), z.end());
          }
          index->add(static_cast<faiss::Index::idx_t>(tr.size()), base.data());
          const int kk = std::min<int>(max_k, static_cast<int>(tr.size()));
          std::vector<float> scores(te.size() * kk);
          std::vector<faiss::Index::idx_t> ids(te.size() * kk);
          index->search(static_cast<faiss::Index::idx_t>(te.size()), queries.data(), kk, scores.data(), ids.data());
          VIGIL_ASSIGN_OR_RETURN(const std::vector<float> weights,
                                 VoteWeights(y, tr, num_classes, options.balance_classes));
          for (size_t gi = 0; gi < options.k_grid.size(); ++gi) {
            const int k = std::min(options.k_grid[gi], kk);
            for (size_t q = 0; q < te.size(); ++q) {
              predicted[gi][te[q]] = ArgMax(KnnVote(metric, k, &scores[q * kk], &ids[q * kk], labels, weights));
            }
          }
        }
        for (size_t gi = 0; gi < options.k_grid.size(); ++gi) {
          const double f1 = MacroF1(y, predicted[gi], num_classes);
          if (cv) cv->push_back({metric, options.k_grid[gi], f1});
          if (f1 > best + 1e-12) {
            best = f1;
            head->metric_ = metric;
            head->k_ = options.k_grid[gi];
          }
        }
      }
    }
    head->index_ = KnnNewIndex(head->metric_, dim);
    std::vector<float> base;
    std::vector<int> all;
    for (size_t i = 0; i < x.size(); ++i) {
      std::vector<float> z = KnnPrepare(head->scaler_, head->metric_, x[i].data(), dim);
      base.insert(base.end(), z.begin(), z.end());
      all.push_back(static_cast<int>(i));
    }
    head->index_->add(static_cast<faiss::Index::idx_t>(x.size()), base.data());
    head->labels_ = y;
    VIGIL_ASSIGN_OR_RETURN(head->class_weights_, VoteWeights(y, all, num_classes, options.balance_classes));
  } catch (const faiss::FaissException& e) {
    return InternalError(std::string("faiss: ") + e.what());
  }
  return head;
}

}  // namespace vigil
