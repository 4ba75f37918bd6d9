// RbfSvmHead::Train on libsvm (see learn/head_training.h): C and gamma by stratified
// cross-validation, then the final probability model, saved and reloaded as an installed model is.
#include <svm.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "inference/rbf_svm_head.h"
#include "learn/cross_validation.h"
#include "learn/head_training.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

// Dense libsvm rows (indices 1..D, then the -1 terminator) of the scaled features.
std::vector<std::vector<svm_node>> Rows(const std::vector<std::vector<float>>& x, const FeatureScaler& scaler) {
  std::vector<std::vector<svm_node>> rows(x.size());
  const int dim = static_cast<int>(x[0].size());
  for (size_t r = 0; r < x.size(); ++r) {
    const std::vector<double> z = scaler.Apply(x[r].data(), dim);
    rows[r].resize(dim + 1);
    for (int i = 0; i < dim; ++i) rows[r][i] = {i + 1, z[i]};
    rows[r][dim] = {-1, 0.0};
  }
  return rows;
}

// Trains on rows[indices]; the model points into `rows` (keep them alive while it is used).
Result<std::unique_ptr<svm_model, RbfSvmHead::ModelDeleter>> Fit(
    std::vector<std::vector<svm_node>>& rows, const std::vector<int>& y, const std::vector<int>& indices,
    int num_classes, const RbfSvmOptions& o, double c, double gamma, bool probability) {
  std::vector<svm_node*> px;
  std::vector<double> py;
  for (int i : indices) {
    px.push_back(rows[i].data());
    py.push_back(y[i]);
  }
  VIGIL_ASSIGN_OR_RETURN(std::vector<double> weight, ClassWeights(y, indices, num_classes, o.balance_classes));
  std::vector<int> weight_label(num_classes);
  for (int k = 0; k < num_classes; ++k) weight_label[k] = k;
  svm_problem prob{};
  prob.l = static_cast<int>(indices.size());
  prob.y = py.data();
  prob.x = px.data();
  svm_parameter param{};
  param.svm_type = C_SVC;
  param.kernel_type = RBF;
  param.gamma = gamma;
  param.cache_size = o.cache_mb;
  param.eps = 1e-3;
  param.C = c;
  param.nr_weight = num_classes;
  param.weight_label = weight_label.data();
  param.weight = weight.data();
  param.shrinking = 1;
  param.probability = probability ? 1 : 0;
  if (const char* err = svm_check_parameter(&prob, &param)) return InternalError(std::string("libsvm: ") + err);
  SilenceLibsvm();
  svm_model* m = svm_train(&prob, &param);
  if (m == nullptr) return InternalError("libsvm: training failed");
  return std::unique_ptr<svm_model, RbfSvmHead::ModelDeleter>(m);
}

std::string TempModelPath() {
  static std::atomic<int> counter{0};
  return (fs::temp_directory_path() /
          ("vigil-svm-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".svm")).string();
}

}  // namespace

Result<std::unique_ptr<RbfSvmHead>> RbfSvmHead::Train(const std::vector<std::vector<float>>& x,
                                                      const std::vector<int>& y, int num_classes,
                                                      const RbfSvmOptions& options,
                                                      const std::vector<int>& groups,
                                                      std::vector<RbfSvmCvPoint>* cv) {
  if (x.empty() || x.size() != y.size()) return InvalidArgumentError("rbf-svm: no items or size mismatch");
  if (num_classes < 2) return InvalidArgumentError("rbf-svm: needs at least 2 classes");
  if (options.c_grid.empty() || options.gamma_scale_grid.empty()) return InvalidArgumentError("rbf-svm: empty grid");
  for (double v : options.c_grid) if (!(v > 0)) return InvalidArgumentError("rbf-svm: C must be > 0");
  for (double v : options.gamma_scale_grid) if (!(v > 0)) return InvalidArgumentError("rbf-svm: gamma must be > 0");
  const int dim = static_cast<int>(x[0].size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (static_cast<int>(x[i].size()) != dim || dim == 0) return InvalidArgumentError("rbf-svm: rows differ in size");
    if (y[i] < 0 || y[i] >= num_classes) return InvalidArgumentError("rbf-svm: label out of range");
    for (float v : x[i]) if (!std::isfinite(v)) return InvalidArgumentError("rbf-svm: non-finite feature value");
  }
  std::unique_ptr<RbfSvmHead> head(new RbfSvmHead());
  head->dim_ = dim;
  head->num_classes_ = num_classes;
  head->scaler_ = FeatureScaler::Fit(x, options.norm);
  std::vector<std::vector<svm_node>> rows = Rows(x, head->scaler_);

  double best_c = options.c_grid[0], best_gamma = options.gamma_scale_grid[0] / dim;
  const size_t nc = options.c_grid.size(), ng = options.gamma_scale_grid.size();
  if (nc * ng > 1) {
    const int folds = std::max(2, options.folds);
    VIGIL_ASSIGN_OR_RETURN(std::vector<int> fold_of, StratifiedFolds(y, groups, num_classes, folds, options.seed));
    std::vector<std::vector<int>> predicted(nc * ng, std::vector<int>(x.size(), 0));
    VIGIL_RETURN_IF_ERROR(ParallelFor(nc * ng * folds, options.threads, [&](size_t job) -> Status {
      const size_t point = job / folds;
      const int f = static_cast<int>(job % folds);
      const double c = options.c_grid[point / ng], gamma = options.gamma_scale_grid[point % ng] / dim;
      std::vector<int> tr, te;
      for (size_t i = 0; i < x.size(); ++i) (fold_of[i] == f ? te : tr).push_back(static_cast<int>(i));
      VIGIL_ASSIGN_OR_RETURN(auto m, Fit(rows, y, tr, num_classes, options, c, gamma, false));
      for (int i : te) predicted[point][i] = static_cast<int>(svm_predict(m.get(), rows[i].data()));
      return Status::Ok();
    }));
    double best = -1;
    for (size_t point = 0; point < nc * ng; ++point) {
      const double c = options.c_grid[point / ng], gamma = options.gamma_scale_grid[point % ng] / dim;
      const double f1 = MacroF1(y, predicted[point], num_classes);
      if (cv) cv->push_back({c, gamma, f1});
      if (f1 > best + 1e-12) {
        best = f1;
        best_c = c;
        best_gamma = gamma;
      }
    }
  }
  std::vector<int> all(x.size());
  for (size_t i = 0; i < x.size(); ++i) all[i] = static_cast<int>(i);
  std::srand(static_cast<unsigned>(options.seed));
  VIGIL_ASSIGN_OR_RETURN(auto final_model, Fit(rows, y, all, num_classes, options, best_c, best_gamma, true));
  // Save and reload: a trained model points into `rows`; the reloaded one owns its vectors and is
  // exactly what an installed model will load.
  const std::string tmp = TempModelPath();
  const bool saved = svm_save_model(tmp.c_str(), final_model.get()) == 0;
  final_model.reset();
  Status status = saved ? head->ReadModel(tmp) : InternalError("libsvm: cannot write " + tmp);
  std::error_code ec;
  fs::remove(tmp, ec);
  VIGIL_RETURN_IF_ERROR(status);
  head->c_ = best_c;
  head->gamma_ = best_gamma;
  return head;
}

}  // namespace vigil
