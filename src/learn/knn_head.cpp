// KnnHead on faiss (see knn_head.h). faiss is used only in this file; its exceptions stop here.
#include "learn/knn_head.h"

#include <faiss/IndexFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "learn/cross_validation.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexFile = "head.faiss";

std::vector<float> Prepare(const FeatureScaler& scaler, KnnMetric metric, const float* x, int dim) {
  FeatureScaler l2{FeatureNorm::kL2, {}, {}};
  std::vector<float> z = scaler.ApplyFloat(x, dim);
  if (metric == KnnMetric::kCosine) z = l2.ApplyFloat(z.data(), dim);
  return z;
}

std::unique_ptr<faiss::Index, KnnHead::IndexDeleter> NewIndex(KnnMetric metric, int dim) {
  if (metric == KnnMetric::kCosine) return std::unique_ptr<faiss::Index, KnnHead::IndexDeleter>(new faiss::IndexFlatIP(dim));
  return std::unique_ptr<faiss::Index, KnnHead::IndexDeleter>(new faiss::IndexFlatL2(dim));
}

// faiss scores -> distances: IP gives cosine similarity, L2 the squared distance.
float Distance(KnnMetric metric, float score) {
  return metric == KnnMetric::kCosine ? std::max(0.f, 1.f - score) : std::sqrt(std::max(0.f, score));
}

// Probabilities from the first k of `n` neighbours (ids into labels, -1 = none).
std::vector<float> Vote(KnnMetric metric, int k, const float* scores, const faiss::Index::idx_t* ids,
                        const std::vector<int>& labels, const std::vector<float>& class_weights) {
  const int num_classes = static_cast<int>(class_weights.size());
  std::vector<double> votes(num_classes, 0.0);
  double total = 0;
  for (int j = 0; j < k; ++j) {
    if (ids[j] < 0) continue;
    const int label = labels[static_cast<size_t>(ids[j])];
    const double w = class_weights[label] / (Distance(metric, scores[j]) + 1e-6);
    votes[label] += w;
    total += w;
  }
  std::vector<float> p(num_classes, 1.f / num_classes);
  if (total > 0) for (int c = 0; c < num_classes; ++c) p[c] = static_cast<float>(votes[c] / total);
  return p;
}

Result<std::vector<float>> VoteWeights(const std::vector<int>& y, const std::vector<int>& indices, int num_classes,
                                       bool balance) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<double> w, ClassWeights(y, indices, num_classes, balance));
  return std::vector<float>(w.begin(), w.end());
}

}  // namespace

const char* KnnMetricName(KnnMetric metric) { return metric == KnnMetric::kCosine ? "cosine" : "l2"; }

void KnnHead::IndexDeleter::operator()(faiss::Index* index) const { delete index; }

int64_t KnnHead::size() const { return index_ ? index_->ntotal : 0; }

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
          auto index = NewIndex(metric, dim);
          std::vector<float> base, queries;
          std::vector<int> labels;
          for (int i : tr) {
            std::vector<float> z = Prepare(head->scaler_, metric, x[i].data(), dim);
            base.insert(base.end(), z.begin(), z.end());
            labels.push_back(y[i]);
          }
          for (int i : te) {
            std::vector<float> z = Prepare(head->scaler_, metric, x[i].data(), dim);
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
              predicted[gi][te[q]] = ArgMax(Vote(metric, k, &scores[q * kk], &ids[q * kk], labels, weights));
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
    head->index_ = NewIndex(head->metric_, dim);
    std::vector<float> base;
    std::vector<int> all;
    for (size_t i = 0; i < x.size(); ++i) {
      std::vector<float> z = Prepare(head->scaler_, head->metric_, x[i].data(), dim);
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

Result<std::unique_ptr<Head>> KnnHead::Load(const nlohmann::json& j, const std::string& dir) {
  std::unique_ptr<KnnHead> head(new KnnHead());
  std::string file;
  try {
    head->dim_ = j.at("dim").get<int>();
    head->num_classes_ = j.at("classes").get<int>();
    VIGIL_ASSIGN_OR_RETURN(head->scaler_, FeatureScaler::FromJson(j.at("normalization"), head->dim_));
    const std::string metric = j.at("metric").get<std::string>();
    if (metric != "cosine" && metric != "l2") return InvalidArgumentError("knn head: metric must be cosine or l2");
    head->metric_ = metric == "cosine" ? KnnMetric::kCosine : KnnMetric::kL2;
    head->k_ = j.at("k").get<int>();
    head->labels_ = j.at("labels").get<std::vector<int>>();
    head->class_weights_ = j.at("class_weights").get<std::vector<float>>();
    file = j.at("index_file").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("knn head: ") + e.what());
  }
  if (head->k_ < 1 || static_cast<int>(head->class_weights_.size()) != head->num_classes_) {
    return InvalidArgumentError("knn head: k or class weights inconsistent");
  }
  for (int l : head->labels_) {
    if (l < 0 || l >= head->num_classes_) return InvalidArgumentError("knn head: label out of range");
  }
  if (file.empty() || file.find('/') != std::string::npos) return InvalidArgumentError("knn head: bad \"index_file\"");
  const std::string path = (fs::path(dir) / file).string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return NotFoundError("missing faiss index " + path);
  try {
    head->index_.reset(faiss::read_index(path.c_str()));
  } catch (const faiss::FaissException& e) {
    return DataLossError("cannot read faiss index " + path + ": " + e.what());
  }
  const bool want_ip = head->metric_ == KnnMetric::kCosine;
  if (!head->index_ || head->index_->d != head->dim_ ||
      head->index_->ntotal != static_cast<faiss::Index::idx_t>(head->labels_.size()) ||
      (head->index_->metric_type == faiss::METRIC_INNER_PRODUCT) != want_ip) {
    return InvalidArgumentError(path + ": index dimension, size or metric does not match head.json");
  }
  return std::unique_ptr<Head>(std::move(head));
}

Result<std::vector<float>> KnnHead::Probabilities(const float* x) const {
  const std::vector<float> z = Prepare(scaler_, metric_, x, dim_);
  const int kk = static_cast<int>(std::min<int64_t>(k_, index_->ntotal));
  std::vector<float> scores(kk);
  std::vector<faiss::Index::idx_t> ids(kk);
  try {
    index_->search(1, z.data(), kk, scores.data(), ids.data());
  } catch (const faiss::FaissException& e) {
    return InternalError(std::string("k-NN search failed: ") + e.what());
  }
  return Vote(metric_, kk, scores.data(), ids.data(), labels_, class_weights_);
}

std::string KnnHead::Describe() const {
  char text[160];
  std::snprintf(text, sizeof(text), "knn (k=%d, %s, %lld vectors, %s)", k_, KnnMetricName(metric_),
                static_cast<long long>(size()), FeatureNormName(scaler_.norm));
  return text;
}

Status KnnHead::SaveParameters(const std::string& dir, nlohmann::json* j, std::vector<std::string>* sidecars) const {
  const std::string path = (fs::path(dir) / kIndexFile).string();
  try {
    faiss::write_index(index_.get(), path.c_str());
  } catch (const faiss::FaissException& e) {
    return InternalError("cannot write faiss index " + path + ": " + e.what());
  }
  (*j)["normalization"] = scaler_.ToJson();
  (*j)["metric"] = KnnMetricName(metric_);
  (*j)["k"] = k_;
  (*j)["labels"] = labels_;
  (*j)["class_weights"] = class_weights_;
  (*j)["index_file"] = kIndexFile;
  sidecars->push_back(path);
  return Status::Ok();
}

}  // namespace vigil
