// LinearHead training and inference on liblinear (see linear_head.h). liblinear's C API is used
// only in this file; its console output is silenced.
#include "learn/linear_head.h"

#include <linear.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

namespace vigil {

namespace {

void SilentPrint(const char*) {}

// Normalised copy of x (the head's normalisation, parameters given).
std::vector<double> Normalise(const float* x, int dim, FeatureNorm norm, const std::vector<float>& mean,
                              const std::vector<float>& inv_std) {
  std::vector<double> z(x, x + dim);
  if (norm == FeatureNorm::kStandardize) {
    for (int i = 0; i < dim; ++i) z[i] = (z[i] - mean[i]) * inv_std[i];
  } else if (norm == FeatureNorm::kL2) {
    double s = 0;
    for (double v : z) s += v * v;
    s = std::sqrt(s);
    if (s > 0) for (double& v : z) v /= s;
  }
  return z;
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
  std::vector<int> counts(num_classes, 0);
  for (int i : indices) counts[y[i]]++;
  std::vector<int> weight_label;
  std::vector<double> weight;
  for (int k = 0; k < num_classes; ++k) {
    if (counts[k] == 0) return InvalidArgumentError("class " + std::to_string(k) + " has no training items");
    weight_label.push_back(k);
    weight.push_back(o.balance_classes ? static_cast<double>(indices.size()) / (num_classes * counts[k]) : 1.0);
  }
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

int ArgMax(const std::vector<float>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

Result<HeadKind> ParseHeadKind(const std::string& name) {
  if (name == "logistic") return HeadKind::kLogistic;
  if (name == "linear-svm") return HeadKind::kLinearSvm;
  return InvalidArgumentError("unknown head '" + name + "' (logistic, linear-svm)");
}
Result<FeatureNorm> ParseFeatureNorm(const std::string& name) {
  if (name == "none") return FeatureNorm::kNone;
  if (name == "standardize") return FeatureNorm::kStandardize;
  if (name == "l2") return FeatureNorm::kL2;
  return InvalidArgumentError("unknown normalisation '" + name + "' (none, standardize, l2)");
}
const char* HeadKindName(HeadKind kind) { return kind == HeadKind::kLogistic ? "logistic" : "linear-svm"; }
const char* FeatureNormName(FeatureNorm norm) {
  return norm == FeatureNorm::kNone ? "none" : norm == FeatureNorm::kStandardize ? "standardize" : "l2";
}

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

std::vector<float> LinearHead::Probabilities(const float* x) const {
  std::vector<float> z = Logits(x);
  const float mx = *std::max_element(z.begin(), z.end());
  double sum = 0;
  std::vector<double> e(z.size());
  for (size_t k = 0; k < z.size(); ++k) sum += e[k] = std::exp(static_cast<double>(z[k]) - mx);
  std::vector<float> p(z.size());
  for (size_t k = 0; k < z.size(); ++k) p[k] = static_cast<float>(e[k] / sum);
  return p;
}

int LinearHead::Predict(const float* x) const { return ArgMax(Logits(x)); }

Status LinearHead::Folded(std::vector<float>* w, std::vector<float>* b) const {
  if (norm == FeatureNorm::kL2) return UnsupportedError("L2 normalisation cannot be folded into a Gemm");
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

double MacroF1(const std::vector<int>& truth, const std::vector<int>& predicted, int num_classes) {
  std::vector<int> tp(num_classes, 0), fp(num_classes, 0), fn(num_classes, 0);
  std::vector<bool> present(num_classes, false);
  for (size_t i = 0; i < truth.size(); ++i) {
    present[truth[i]] = present[predicted[i]] = true;
    if (truth[i] == predicted[i]) {
      tp[truth[i]]++;
    } else {
      fp[predicted[i]]++;
      fn[truth[i]]++;
    }
  }
  double sum = 0;
  int n = 0;
  for (int k = 0; k < num_classes; ++k) {
    if (!present[k]) continue;
    ++n;
    const double denom = 2.0 * tp[k] + fp[k] + fn[k];
    sum += denom > 0 ? 2.0 * tp[k] / denom : 0.0;
  }
  return n > 0 ? sum / n : 0.0;
}

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
  if (options.norm == FeatureNorm::kStandardize) {
    std::vector<double> m(dim, 0.0), v(dim, 0.0);
    for (const auto& r : x) for (int i = 0; i < dim; ++i) m[i] += r[i];
    for (double& s : m) s /= x.size();
    for (const auto& r : x) for (int i = 0; i < dim; ++i) v[i] += (r[i] - m[i]) * (r[i] - m[i]);
    head.mean.resize(dim);
    head.inv_std.resize(dim);
    for (int i = 0; i < dim; ++i) {
      const double sd = std::sqrt(v[i] / x.size());
      head.mean[i] = static_cast<float>(m[i]);
      head.inv_std[i] = static_cast<float>(sd > 1e-8 ? 1.0 / sd : 1.0);
    }
  }
  std::vector<std::vector<double>> z(x.size());
  for (size_t i = 0; i < x.size(); ++i) z[i] = Normalise(x[i].data(), dim, head.norm, head.mean, head.inv_std);

  double best_c = options.c_grid[0];
  if (options.c_grid.size() > 1) {
    // Stratified folds over groups: shuffle the groups of each class, deal them round-robin.
    const int folds = std::max(2, options.folds);
    std::map<int, int> group_label;  // group -> label of its first item
    std::vector<int> group_of(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      group_of[i] = groups.empty() ? static_cast<int>(i) : groups[i];
      group_label.emplace(group_of[i], y[i]);
    }
    std::vector<std::vector<int>> by_class(num_classes);
    for (const auto& [g, label] : group_label) by_class[label].push_back(g);
    std::mt19937_64 rng(options.seed);
    std::map<int, int> fold_of_group;
    int next = 0;
    for (auto& gs : by_class) {
      if (static_cast<int>(gs.size()) < folds) {
        return InvalidArgumentError("cross-validation needs at least " + std::to_string(folds) +
                                    " items per class");
      }
      std::shuffle(gs.begin(), gs.end(), rng);
      for (int g : gs) fold_of_group[g] = next++ % folds;
    }
    // Every (C, fold) fit is independent: run them on options.threads threads.
    const size_t nc = options.c_grid.size();
    std::vector<std::vector<std::vector<float>>> oof(nc, std::vector<std::vector<float>>(x.size()));
    std::vector<Status> errors(nc * folds);
    std::atomic<size_t> next_job{0};
    auto worker = [&]() {
      for (size_t job; (job = next_job++) < nc * folds;) {
        const size_t ci = job / folds;
        const int f = static_cast<int>(job % folds);
        std::vector<int> tr, te;
        for (size_t i = 0; i < x.size(); ++i) (fold_of_group.at(group_of[i]) == f ? te : tr).push_back(static_cast<int>(i));
        auto w = Fit(z, y, tr, num_classes, options, options.c_grid[ci]);
        if (!w.ok()) {
          errors[job] = w.status();
          continue;
        }
        for (int i : te) oof[ci][i] = RawLogits(*w, z[i], num_classes);
      }
    };
    // fold_of_group is read-only from here on.
    std::vector<std::thread> pool;
    for (int t = 1; t < std::max(1, options.threads); ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    for (const Status& s : errors) VIGIL_RETURN_IF_ERROR(s);
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
