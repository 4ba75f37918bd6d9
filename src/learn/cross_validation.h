// Cross-validation helpers shared by the heads: stratified k-fold assignment that keeps groups
// (the augmented views of one image) in one fold, and a small parallel-for over independent fits.
// Thread-safety: free functions without shared state; ParallelFor calls `job` from `threads`
// threads at once (each index exactly once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "vigil/status.h"

namespace vigil {

// Fold (0..folds-1) of each item: the groups of each class are shuffled with `seed` and dealt
// round-robin. groups may be empty (each item its own group); an item's class is its group's
// first item's label. kInvalidArgument if a class has fewer than `folds` groups.
Result<std::vector<int>> StratifiedFolds(const std::vector<int>& y, const std::vector<int>& groups,
                                         int num_classes, int folds, uint64_t seed);

// Runs job(0) .. job(count - 1) on `threads` threads (the caller's included); returns the first
// failing job's status (by index).
Status ParallelFor(size_t count, int threads, const std::function<Status(size_t)>& job);

// Class weights over the items `indices` of y: n / (K * n_k) when `balance`, else 1 (the scheme of
// every head). kInvalidArgument naming the class if one has no item.
Result<std::vector<double>> ClassWeights(const std::vector<int>& y, const std::vector<int>& indices,
                                         int num_classes, bool balance);

// Macro-averaged F1 over the classes that occur in truth or predictions (as scikit-learn).
double MacroF1(const std::vector<int>& truth, const std::vector<int>& predicted, int num_classes);

}  // namespace vigil
