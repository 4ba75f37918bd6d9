// LinearHead inference (see linear_head.h): logits, probabilities, the folded weights, the head
// file form. Training (liblinear) is in learn/linear_head_train.cpp.
#include "inference/linear_head.h"

#include <algorithm>
#include <cstdio>
#include <cmath>

namespace vigil {

namespace {

// Normalised copy of x (the head's normalisation, parameters given).
std::vector<double> Normalise(const float* x, int dim, FeatureNorm norm, const std::vector<float>& mean,
                              const std::vector<float>& inv_std) {
  return FeatureScaler{norm, mean, inv_std}.Apply(x, dim);
}

}  // namespace

Result<HeadKind> ParseHeadKind(const std::string& name) {
  if (name == "logistic") return HeadKind::kLogistic;
  if (name == "linear-svm") return HeadKind::kLinearSvm;
  return InvalidArgumentError("unknown head '" + name + "' (logistic, linear-svm)");
}
const char* HeadKindName(HeadKind kind) { return kind == HeadKind::kLogistic ? "logistic" : "linear-svm"; }

std::vector<float> LinearHead::Logits(const float* x) const {
  std::vector<double> z = Normalise(x, dim, norm, mean, inv_std);
  std::vector<float> out(num_classes);
  for (int k = 0; k < num_classes; ++k) {
    double s = bias[k];
    for (int i = 0; i < dim; ++i) s += static_cast<double>(weights[static_cast<size_t>(k) * dim + i]) * z[i];
    out[k] = static_cast<float>(s / temperature);
  }
  return out;
}

Result<std::vector<float>> LinearHead::Probabilities(const float* x) const { return Softmax(Logits(x)); }

int LinearHead::Predict(const float* x) const { return ArgMax(Logits(x)); }

Status LinearHead::Folded(std::vector<float>* w, std::vector<float>* b) const {
  w->assign(weights.size(), 0.f);
  b->assign(num_classes, 0.f);
  for (int k = 0; k < num_classes; ++k) {
    double bk = bias[k];
    for (int i = 0; i < dim; ++i) {
      const size_t j = static_cast<size_t>(k) * dim + i;
      double wk = weights[j];
      if (norm == FeatureNorm::kStandardize) {
        wk *= inv_std[i];
        bk -= wk * mean[i];
      }
      (*w)[j] = static_cast<float>(wk / temperature);
    }
    (*b)[k] = static_cast<float>(bk / temperature);
  }
  return Status::Ok();
}


std::string LinearHead::Describe() const {
  char text[160];
  std::snprintf(text, sizeof(text), "%s (C=%g, T=%.3f, %s)", HeadKindName(kind), c, temperature, FeatureNormName(norm));
  return text;
}

Status LinearHead::SaveParameters(const std::string&, nlohmann::json* j, std::vector<std::string>*) const {
  (*j)["normalization"] = FeatureScaler{norm, mean, inv_std}.ToJson();
  (*j)["weights"] = weights;
  (*j)["bias"] = bias;
  (*j)["temperature"] = temperature;
  (*j)["c"] = c;
  return Status::Ok();
}

Result<LinearHead> LinearHead::FromJson(const nlohmann::json& j) {
  LinearHead h;
  try {
    VIGIL_ASSIGN_OR_RETURN(h.kind, ParseHeadKind(j.at("type").get<std::string>()));
    h.dim = j.at("dim").get<int>();
    h.num_classes = j.at("classes").get<int>();
    VIGIL_ASSIGN_OR_RETURN(FeatureScaler scaler, FeatureScaler::FromJson(j.at("normalization"), h.dim));
    h.norm = scaler.norm;
    h.mean = std::move(scaler.mean);
    h.inv_std = std::move(scaler.inv_std);
    h.weights = j.at("weights").get<std::vector<float>>();
    h.bias = j.at("bias").get<std::vector<float>>();
    h.temperature = j.at("temperature").get<float>();
    h.c = j.value("c", 0.0);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("head file: ") + e.what());
  }
  if (h.dim < 1 || h.num_classes < 2 || h.weights.size() != static_cast<size_t>(h.dim) * h.num_classes ||
      h.bias.size() != static_cast<size_t>(h.num_classes) || !(h.temperature > 0)) {
    return InvalidArgumentError("head file: linear head sizes or temperature are inconsistent");
  }
  return h;
}

}  // namespace vigil
