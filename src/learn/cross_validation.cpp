// StratifiedFolds, ParallelFor, ArgMax, MacroF1 (see cross_validation.h).
#include "learn/cross_validation.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>

namespace vigil {

Result<std::vector<int>> StratifiedFolds(const std::vector<int>& y, const std::vector<int>& groups,
                                         int num_classes, int folds, uint64_t seed) {
  if (folds < 2) return InvalidArgumentError("cross-validation needs at least 2 folds");
  if (!groups.empty() && groups.size() != y.size()) return InvalidArgumentError("groups and labels differ in size");
  std::map<int, int> group_label;  // group -> label of its first item
  std::vector<int> group_of(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] < 0 || y[i] >= num_classes) return InvalidArgumentError("label out of range");
    group_of[i] = groups.empty() ? static_cast<int>(i) : groups[i];
    group_label.emplace(group_of[i], y[i]);
  }
  std::vector<std::vector<int>> by_class(num_classes);
  for (const auto& [g, label] : group_label) by_class[label].push_back(g);
  std::mt19937_64 rng(seed);
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
  std::vector<int> fold(y.size());
  for (size_t i = 0; i < y.size(); ++i) fold[i] = fold_of_group.at(group_of[i]);
  return fold;
}

Status ParallelFor(size_t count, int threads, const std::function<Status(size_t)>& job) {
  std::vector<Status> errors(count);
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i; (i = next++) < count;) errors[i] = job(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (const Status& s : errors) VIGIL_RETURN_IF_ERROR(s);
  return Status::Ok();
}

Result<std::vector<double>> ClassWeights(const std::vector<int>& y, const std::vector<int>& indices,
                                         int num_classes, bool balance) {
  std::vector<int> counts(num_classes, 0);
  for (int i : indices) counts[y[i]]++;
  std::vector<double> w(num_classes, 1.0);
  for (int k = 0; k < num_classes; ++k) {
    if (counts[k] == 0) return InvalidArgumentError("class " + std::to_string(k) + " has no training items");
    if (balance) w[k] = static_cast<double>(indices.size()) / (static_cast<double>(num_classes) * counts[k]);
  }
  return w;
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

}  // namespace vigil
