// TrainLinearHead on liblinear (see learn/head_training.h and inference/linear_head.h for what the
// head computes). liblinear's C API is used only in this file; its console output is silenced.
#include <linear.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <numeric>

#include "inference/linear_head.h"
#include "learn/cross_validation.h"
#include "learn/head_training.h"

namespace vigil {

namespace {

void SilentPrint(const char*) {}

// Normalised copy of x (the head's normalisation, parameters given), as LinearHead::Logits does.
std::vector<double> Normalise(const float* x, int dim, FeatureNorm norm, const std::vector<float>& mean,
                              const std::vector<float>& inv_std) {
  return FeatureScaler{norm, mean, inv_std}.Apply(x, dim);
}

// liblinear problem over normalised rows (dense: every feature stored, index 1..D, then bias).
struct Problem {
  std::vector<std::vector<feature_node>> rows;
  std::vector<feature_node*> x;
  std::vector<double> y;
  problem prob{};
};

void BuildProblem(const std::vector<std::vector<double>>& z, const std::vector<int>& y,
                  const std::vector<int>& indices, Problem* p) {
  const int dim = static_cast<int>(z[0].size());
  p->rows.assign(indices.size(), {});
  p->x.resize(indices.size());
  p->y.resize(indices.size());
  for (size_t r = 0; r < indices.size(); ++r) {
    auto& row = p->rows[r];
    row.resize(dim + 2);
    const auto& src = z[indices[r]];
    for (int i = 0; i < dim; ++i) row[i] = {i + 1, src[i]};
    row[dim] = {dim + 1, 1.0};  // bias feature (liblinear convention: prob.bias = 1)
    row[dim + 1] = {-1, 0.0};
    p->x[r] = row.data();
    p->y[r] = y[indices[r]];
  }
  p->prob.l = static_cast<int>(indices.size());
  p->prob.n = dim + 1;
  p->prob.y = p->y.data();
  p->prob.x = p->x.data();
  p->prob.bias = 1.0;
}

struct Weights {
  std::vector<double> w;  // [K * D]
  std::vector<double> b;  // [K]
};

// Trains one liblinear model; returns W/b indexed by our class ids.
Result<Weights> Fit(const std::vector<std::vector<double>>& z, const std::vector<int>& y,
                    const std::vector<int>& indices, int num_classes, const LinearHeadOptions& o,
                    double c) {
  Problem p;
  BuildProblem(z, y, indices, &p);
  const int dim = static_cast<int>(z[0].size());
  VIGIL_ASSIGN_OR_RETURN(std::vector<double> weight, ClassWeights(y, indices, num_classes, o.balance_classes));
  std::vector<int> weight_label(num_classes);
  for (int k = 0; k < num_classes; ++k) weight_label[k] = k;
  parameter param{};
  param.solver_type = o.kind == HeadKind::kLogistic ? L2R_LR : L2R_L2LOSS_SVC_DUAL;
  param.eps = o.eps;
  param.C = c;
  param.nr_weight = num_classes;
  param.weight_label = weight_label.data();
  param.weight = weight.data();
  param.p = 0.1;
  param.init_sol = nullptr;
  if (const char* err = check_parameter(&p.prob, &param)) return InternalError(std::string("liblinear: ") + err);
  static std::once_flag silence;
  std::call_once(silence, [] { set_print_string_function(&SilentPrint); });
  model* m = train(&p.prob, &param);
  if (m == nullptr) return InternalError("liblinear: train failed");
  Weights out;
  out.w.assign(static_cast<size_t>(num_classes) * dim, 0.0);
  out.b.assign(num_classes, 0.0);
  std::vector<int> labels(get_nr_class(m));
  get_labels(m, labels.data());
  for (int li = 0; li < static_cast<int>(labels.size()); ++li) {
    const int k = labels[li];
    for (int i = 0; i < dim; ++i) out.w[static_cast<size_t>(k) * dim + i] = get_decfun_coef(m, i + 1, li);
    out.b[k] = get_decfun_bias(m, li);
  }
  free_and_destroy_model(&m);
  return out;
}

std::vector<float> RawLogits(const Weights& wt, const std::vector<double>& z, int num_classes) {
  const size_t dim = z.size();
  std::vector<float> out(num_classes);
  for (int k = 0; k < num_classes; ++k) {
    double s = wt.b[k];
    for (size_t i = 0; i < dim; ++i) s += wt.w[k * dim + i] * z[i];
    out[k] = static_cast<float>(s);
  }
  return out;
}


}  // namespace

Result<LinearHeadFit> TrainLinearHead(const std::vector<std::vector<float>>& x, const std::vector<int>& y,
                                      int num_classes, const LinearHeadOptions& options,
                                      const std::vector<int>& groups) {
  if (x.empty() || x.size() != y.size()) return InvalidArgumentError("TrainLinearHead: no items or size mismatch");
  if (num_classes < 2) return InvalidArgumentError("TrainLinearHead: needs at least 2 classes");
  if (options.c_grid.empty()) return InvalidArgumentError("TrainLinearHead: empty C grid");
  if (!groups.empty() && groups.size() != x.size()) return InvalidArgumentError("TrainLinearHead: groups size");
  const int dim = static_cast<int>(x[0].size());
  if (dim == 0) return InvalidArgumentError("TrainLinearHead: empty feature vectors");
  for (size_t i = 0; i < x.size(); ++i) {
    if (static_cast<int>(x[i].size()) != dim) return InvalidArgumentError("TrainLinearHead: rows differ in size");
    if (y[i] < 0 || y[i] >= num_classes) return InvalidArgumentError("TrainLinearHead: label out of range");
    for (float v : x[i]) {
      if (!std::isfinite(v)) return InvalidArgumentError("TrainLinearHead: non-finite feature value");
    }
  }
  LinearHeadFit fit;
  LinearHead& head = fit.head;
  head.kind = options.kind;
  head.norm = options.norm;
  head.num_classes = num_classes;
  head.dim = dim;
  const FeatureScaler scaler = FeatureScaler::Fit(x, options.norm);
  head.mean = scaler.mean;
  head.inv_std = scaler.inv_std;
  std::vector<std::vector<double>> z(x.size());
  for (size_t i = 0; i < x.size(); ++i) z[i] = Normalise(x[i].data(), dim, head.norm, head.mean, head.inv_std);

  double best_c = options.c_grid[0];
  if (options.c_grid.size() > 1) {
    const int folds = std::max(2, options.folds);
    VIGIL_ASSIGN_OR_RETURN(std::vector<int> fold_of, StratifiedFolds(y, groups, num_classes, folds, options.seed));
    // Every (C, fold) fit is independent: run them on options.threads threads.
    const size_t nc = options.c_grid.size();
    std::vector<std::vector<std::vector<float>>> oof(nc, std::vector<std::vector<float>>(x.size()));
    VIGIL_RETURN_IF_ERROR(ParallelFor(nc * folds, options.threads, [&](size_t job) -> Status {
      const size_t ci = job / folds;
      const int f = static_cast<int>(job % folds);
      std::vector<int> tr, te;
      for (size_t i = 0; i < x.size(); ++i) (fold_of[i] == f ? te : tr).push_back(static_cast<int>(i));
      VIGIL_ASSIGN_OR_RETURN(Weights w, Fit(z, y, tr, num_classes, options, options.c_grid[ci]));
      for (int i : te) oof[ci][i] = RawLogits(w, z[i], num_classes);
      return Status::Ok();
    }));
    double best_f1 = -1;
    size_t best_ci = 0;
    for (size_t ci = 0; ci < nc; ++ci) {
      std::vector<int> pred(x.size());
      int correct = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        pred[i] = ArgMax(oof[ci][i]);
        correct += pred[i] == y[i];
      }
      CrossValidationPoint p{options.c_grid[ci], static_cast<double>(correct) / x.size(),
                             MacroF1(y, pred, num_classes)};
      fit.cv.push_back(p);
      if (p.macro_f1 > best_f1 + 1e-12) {
        best_f1 = p.macro_f1;
        best_ci = ci;
      }
    }
    best_c = options.c_grid[best_ci];
    fit.oof_logits = std::move(oof[best_ci]);
  }
  std::vector<int> all(x.size());
  std::iota(all.begin(), all.end(), 0);
  VIGIL_ASSIGN_OR_RETURN(Weights w, Fit(z, y, all, num_classes, options, best_c));
  head.c = best_c;
  head.weights.assign(w.w.begin(), w.w.end());
  head.bias.assign(w.b.begin(), w.b.end());
  return fit;
}

}  // namespace vigil
