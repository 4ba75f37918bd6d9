// PrototypeHead inference (see prototype_head.h); training is in learn/prototype_head_train.cpp.
#include "inference/prototype_head.h"

#include <cmath>
#include <cstdio>

#include "inference/feature_scaler.h"

namespace vigil {

namespace {

std::vector<double> Unit(const float* x, int dim) { return FeatureScaler{FeatureNorm::kL2, {}, {}}.Apply(x, dim); }

}  // namespace

Result<std::vector<float>> PrototypeHead::Probabilities(const float* x) const {
  const std::vector<double> u = Unit(x, dim_);
  std::vector<float> logits(num_classes_);
  for (int k = 0; k < num_classes_; ++k) {
    double c = 0;
    for (int d = 0; d < dim_; ++d) c += prototypes_[static_cast<size_t>(k) * dim_ + d] * u[d];
    logits[k] = static_cast<float>(scale_ * c);
  }
  return Softmax(logits);
}

std::vector<float> PrototypeHead::ScaledPrototypes() const {
  std::vector<float> w(prototypes_.size());
  for (size_t i = 0; i < w.size(); ++i) w[i] = scale_ * prototypes_[i];
  return w;
}

std::string PrototypeHead::Describe() const {
  char text[160];
  std::snprintf(text, sizeof(text), "prototype (cosine, scale %.2f %s)", scale_,
                scale_fitted_ ? "fitted leave-one-out" : "fixed");
  return text;
}

Status PrototypeHead::SaveParameters(const std::string&, nlohmann::json* j, std::vector<std::string>*) const {
  (*j)["prototypes"] = prototypes_;
  (*j)["scale"] = scale_;
  (*j)["scale_fitted"] = scale_fitted_;
  return Status::Ok();
}

Result<std::unique_ptr<Head>> PrototypeHead::Load(const nlohmann::json& j) {
  std::unique_ptr<PrototypeHead> head(new PrototypeHead());
  try {
    head->dim_ = j.at("dim").get<int>();
    head->num_classes_ = j.at("classes").get<int>();
    head->prototypes_ = j.at("prototypes").get<std::vector<float>>();
    head->scale_ = j.at("scale").get<float>();
    head->scale_fitted_ = j.value("scale_fitted", false);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("prototype head: ") + e.what());
  }
  if (head->prototypes_.size() != static_cast<size_t>(head->dim_) * head->num_classes_ || !(head->scale_ > 0)) {
    return InvalidArgumentError("prototype head: prototype matrix size or scale inconsistent");
  }
  return std::unique_ptr<Head>(std::move(head));
}

}  // namespace vigil
