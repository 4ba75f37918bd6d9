// KnnHead inference on faiss (see knn_head.h, knn_index.h): load, search, vote, save. Training is
// in learn/knn_head_train.cpp. faiss exceptions stop in these two files.
#include "inference/knn_head.h"

#include <faiss/IndexFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "inference/knn_index.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexFile = "head.faiss";

}  // namespace

std::vector<float> KnnPrepare(const FeatureScaler& scaler, KnnMetric metric, const float* x, int dim) {
  FeatureScaler l2{FeatureNorm::kL2, {}, {}};
  std::vector<float> z = scaler.ApplyFloat(x, dim);
  if (metric == KnnMetric::kCosine) z = l2.ApplyFloat(z.data(), dim);
  return z;
}

std::unique_ptr<faiss::Index, KnnHead::IndexDeleter> KnnNewIndex(KnnMetric metric, int dim) {
  if (metric == KnnMetric::kCosine) return std::unique_ptr<faiss::Index, KnnHead::IndexDeleter>(new faiss::IndexFlatIP(dim));
  return std::unique_ptr<faiss::Index, KnnHead::IndexDeleter>(new faiss::IndexFlatL2(dim));
}

float KnnDistance(KnnMetric metric, float score) {
  return metric == KnnMetric::kCosine ? std::max(0.f, 1.f - score) : std::sqrt(std::max(0.f, score));
}

std::vector<float> KnnVote(KnnMetric metric, int k, const float* scores, const faiss::Index::idx_t* ids,
                           const std::vector<int>& labels, const std::vector<float>& class_weights) {
  const int num_classes = static_cast<int>(class_weights.size());
  std::vector<double> votes(num_classes, 0.0);
  double total = 0;
  for (int j = 0; j < k; ++j) {
    if (ids[j] < 0) continue;
    const int label = labels[static_cast<size_t>(ids[j])];
    const double w = class_weights[label] / (KnnDistance(metric, scores[j]) + 1e-6);
    votes[label] += w;
    total += w;
  }
  std::vector<float> p(num_classes, 1.f / num_classes);
  if (total > 0) for (int c = 0; c < num_classes; ++c) p[c] = static_cast<float>(votes[c] / total);
  return p;
}

const char* KnnMetricName(KnnMetric metric) { return metric == KnnMetric::kCosine ? "cosine" : "l2"; }

void KnnHead::IndexDeleter::operator()(faiss::Index* index) const { delete index; }

int64_t KnnHead::size() const { return index_ ? index_->ntotal : 0; }

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
  const std::vector<float> z = KnnPrepare(scaler_, metric_, x, dim_);
  const int kk = static_cast<int>(std::min<int64_t>(k_, index_->ntotal));
  std::vector<float> scores(kk);
  std::vector<faiss::Index::idx_t> ids(kk);
  try {
    index_->search(1, z.data(), kk, scores.data(), ids.data());
  } catch (const faiss::FaissException& e) {
    return InternalError(std::string("k-NN search failed: ") + e.what());
  }
  return KnnVote(metric_, kk, scores.data(), ids.data(), labels_, class_weights_);
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
