// Helpers for the eval unit tests: one-hot probability rows from hard predictions.
#pragma once

#include <vector>

namespace vigil_test {

// Rows that put probability 1 on pred[i] (so the argmax is pred[i]).
inline std::vector<std::vector<float>> OneHot(const std::vector<int>& pred, int k) {
  std::vector<std::vector<float>> rows;
  for (int p : pred) {
    std::vector<float> row(k, 0.0f);
    row[p] = 1.0f;
    rows.push_back(row);
  }
  return rows;
}

// Two-class rows [1 - s, s] for binary scores s of the positive class 1.
inline std::vector<std::vector<float>> Binary(const std::vector<float>& scores) {
  std::vector<std::vector<float>> rows;
  for (float s : scores) rows.push_back({1.0f - s, s});
  return rows;
}

}  // namespace vigil_test
