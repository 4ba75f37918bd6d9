// RbfSvmHead inference on libsvm (see rbf_svm_head.h): load, predict, save. Training is in
// learn/rbf_svm_head_train.cpp; libsvm's C API is used only in these two files.
#include "inference/rbf_svm_head.h"

#include <svm.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>

namespace vigil {
namespace fs = std::filesystem;

namespace {

constexpr const char* kModelFile = "head.svm";

void SilentPrint(const char*) {}

}  // namespace

void SilenceLibsvm() {
  static std::once_flag once;
  std::call_once(once, [] { svm_set_print_string_function(&SilentPrint); });
}

void RbfSvmHead::ModelDeleter::operator()(svm_model* m) const { svm_free_and_destroy_model(&m); }

Status RbfSvmHead::ReadModel(const std::string& path) {
  SilenceLibsvm();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return NotFoundError("missing libsvm model " + path);
  model_.reset(svm_load_model(path.c_str()));
  if (!model_) return DataLossError("cannot read libsvm model " + path);
  if (svm_get_svm_type(model_.get()) != C_SVC || svm_check_probability_model(model_.get()) == 0) {
    return InvalidArgumentError(path + ": not a C-SVC model with probability outputs");
  }
  if (svm_get_nr_class(model_.get()) != num_classes_) {
    return InvalidArgumentError(path + ": " + std::to_string(svm_get_nr_class(model_.get())) +
                                " classes, the head says " + std::to_string(num_classes_));
  }
  std::vector<int> labels(num_classes_);
  svm_get_labels(model_.get(), labels.data());
  class_of_label_index_ = labels;
  for (int l : labels) {
    if (l < 0 || l >= num_classes_) return InvalidArgumentError(path + ": class label out of range");
  }
  // Support vectors must have the head's dimension (dense rows, indices 1..D).
  for (int i = 0; i < model_->l; ++i) {
    for (const svm_node* n = model_->SV[i]; n->index != -1; ++n) {
      if (n->index < 1 || n->index > dim_) return InvalidArgumentError(path + ": support vector index out of range");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Head>> RbfSvmHead::Load(const nlohmann::json& j, const std::string& dir) {
  std::unique_ptr<RbfSvmHead> head(new RbfSvmHead());
  try {
    head->dim_ = j.at("dim").get<int>();
    head->num_classes_ = j.at("classes").get<int>();
    head->c_ = j.value("c", 0.0);
    head->gamma_ = j.value("gamma", 0.0);
    VIGIL_ASSIGN_OR_RETURN(head->scaler_, FeatureScaler::FromJson(j.at("normalization"), head->dim_));
    const std::string file = j.at("model_file").get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos) return InvalidArgumentError("bad \"model_file\"");
    VIGIL_RETURN_IF_ERROR(head->ReadModel((fs::path(dir) / file).string()));
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("rbf-svm head: ") + e.what());
  }
  return std::unique_ptr<Head>(std::move(head));
}

Result<std::vector<float>> RbfSvmHead::Probabilities(const float* x) const {
  const std::vector<double> z = scaler_.Apply(x, dim_);
  std::vector<svm_node> row(dim_ + 1);
  for (int i = 0; i < dim_; ++i) row[i] = {i + 1, z[i]};
  row[dim_] = {-1, 0.0};
  std::vector<double> p(num_classes_);
  svm_predict_probability(model_.get(), row.data(), p.data());
  std::vector<float> out(num_classes_);
  for (int i = 0; i < num_classes_; ++i) out[class_of_label_index_[i]] = static_cast<float>(p[i]);
  return out;
}

std::string RbfSvmHead::Describe() const {
  char text[160];
  std::snprintf(text, sizeof(text), "rbf-svm (C=%g, gamma=%.3g, %d support vectors, %s)", c_, gamma_,
                support_vectors(), FeatureNormName(scaler_.norm));
  return text;
}

int RbfSvmHead::support_vectors() const { return model_ ? model_->l : 0; }

Status RbfSvmHead::SaveParameters(const std::string& dir, nlohmann::json* j,
                                  std::vector<std::string>* sidecars) const {
  const std::string path = (fs::path(dir) / kModelFile).string();
  if (svm_save_model(path.c_str(), model_.get()) != 0) return InternalError("libsvm: cannot write " + path);
  (*j)["normalization"] = scaler_.ToJson();
  (*j)["model_file"] = kModelFile;
  (*j)["c"] = c_;
  (*j)["gamma"] = gamma_;
  sidecars->push_back(path);
  return Status::Ok();
}

}  // namespace vigil
