// PrototypeHead::Train (see learn/head_training.h): normalised class means, and the cosine scale
// fitted on leave-one-group-out cosines (FitTemperature) when every class has two groups.
#include <cmath>
#include <map>

#include "inference/feature_scaler.h"
#include "inference/prototype_head.h"
#include "learn/head_training.h"
#include "vigil/eval.h"

namespace vigil {

namespace {

std::vector<double> Unit(const float* x, int dim) { return FeatureScaler{FeatureNorm::kL2, {}, {}}.Apply(x, dim); }

void NormaliseRow(std::vector<double>* v) {
  double s = 0;
  for (double a : *v) s += a * a;
  s = std::sqrt(s);
  if (s > 0) for (double& a : *v) a /= s;
}

}  // namespace

Result<std::unique_ptr<PrototypeHead>> PrototypeHead::Train(const std::vector<std::vector<float>>& x,
                                                            const std::vector<int>& y, int num_classes,
                                                            const PrototypeOptions& options,
                                                            const std::vector<int>& groups) {
  if (x.empty() || x.size() != y.size()) return InvalidArgumentError("prototype: no items or size mismatch");
  if (num_classes < 2) return InvalidArgumentError("prototype: needs at least 2 classes");
  if (!groups.empty() && groups.size() != x.size()) return InvalidArgumentError("prototype: groups size");
  if (!(options.fixed_scale > 0)) return InvalidArgumentError("prototype: scale must be > 0");
  const int dim = static_cast<int>(x[0].size());
  std::vector<std::vector<double>> u(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (static_cast<int>(x[i].size()) != dim || dim == 0) return InvalidArgumentError("prototype: rows differ in size");
    if (y[i] < 0 || y[i] >= num_classes) return InvalidArgumentError("prototype: label out of range");
    for (float v : x[i]) if (!std::isfinite(v)) return InvalidArgumentError("prototype: non-finite feature value");
    u[i] = Unit(x[i].data(), dim);
  }
  // Per-class sums, and per-group sums for leave-one-group-out prototypes.
  std::vector<std::vector<double>> sum(num_classes, std::vector<double>(dim, 0.0));
  std::vector<int> count(num_classes, 0);
  std::map<int, std::vector<double>> group_sum;
  std::map<int, int> group_count;
  std::vector<std::map<int, bool>> class_groups(num_classes);
  for (size_t i = 0; i < x.size(); ++i) {
    const int g = groups.empty() ? static_cast<int>(i) : groups[i];
    auto& gs = group_sum[g];
    if (gs.empty()) gs.assign(dim, 0.0);
    for (int d = 0; d < dim; ++d) {
      sum[y[i]][d] += u[i][d];
      gs[d] += u[i][d];
    }
    count[y[i]]++;
    group_count[g]++;
    class_groups[y[i]][g] = true;
  }
  std::unique_ptr<PrototypeHead> head(new PrototypeHead());
  head->dim_ = dim;
  head->num_classes_ = num_classes;
  head->prototypes_.assign(static_cast<size_t>(num_classes) * dim, 0.f);
  std::vector<std::vector<double>> proto(num_classes);
  bool loo_possible = true;
  for (int k = 0; k < num_classes; ++k) {
    if (count[k] == 0) return InvalidArgumentError("prototype: class " + std::to_string(k) + " has no training items");
    if (class_groups[k].size() < 2) loo_possible = false;
    proto[k] = sum[k];
    NormaliseRow(&proto[k]);
    for (int d = 0; d < dim; ++d) head->prototypes_[static_cast<size_t>(k) * dim + d] = static_cast<float>(proto[k][d]);
  }
  head->scale_ = static_cast<float>(options.fixed_scale);
  if (options.fit_scale && loo_possible) {
    std::vector<std::vector<float>> logits(x.size(), std::vector<float>(num_classes));
    for (size_t i = 0; i < x.size(); ++i) {
      const int g = groups.empty() ? static_cast<int>(i) : groups[i];
      for (int k = 0; k < num_classes; ++k) {
        std::vector<double> p = sum[k];
        if (k == y[i]) {
          const auto& gs = group_sum[g];
          for (int d = 0; d < dim; ++d) p[d] -= gs[d];
        }
        NormaliseRow(&p);
        double c = 0;
        for (int d = 0; d < dim; ++d) c += p[d] * u[i][d];
        logits[i][k] = static_cast<float>(c);
      }
    }
    VIGIL_ASSIGN_OR_RETURN(TemperatureFit t, FitTemperature(y, logits, ScoreKind::kLogits));
    head->scale_ = static_cast<float>(1.0 / t.temperature);
    head->scale_fitted_ = true;
  }
  return head;
}

}  // namespace vigil
