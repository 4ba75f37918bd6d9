// Fitting a policy's thresholds to a recall or precision target on labelled data (`vigil policy
// fit`). For each category with data (DIR/<category>/positive/* and DIR/<category>/negative/*):
//   1. every item is scored as the policy would score it (the category's signal, cascade included);
//   2. a stratified split (test_fraction held out, seeded);
//   3. Platt calibration of the raw score on the fit split (score = sigmoid(a * raw + b));
//   4. thresholds on the fit split: for a recall target R, review_at is the highest threshold whose
//      recall (review or block) is still >= R, and block_at the lowest threshold whose precision
//      reaches block_precision (no block_at when none does): the review band catches what
//      auto-block misses. For a precision target P, block_at is the lowest threshold with
//      precision >= P and review_at the highest with recall >= review_recall;
//   5. the held-out split measures what the thresholds do: recall and precision of "flagged"
//      (review or block) and of "blocked", F2, AUPRC, ROC-AUC, the review rate, each with a
//      bootstrap percentile confidence interval.
//
//   vigil::PolicyFitOptions options;
//   options.data_dir = "labelled/";
//   options.target = vigil::PolicyTarget{vigil::PolicyTarget::Metric::kRecall, 0.95};
//   VIGIL_ASSIGN_OR_RETURN(vigil::PolicyFit fit, vigil::FitPolicy(policy, options));
//   // fit.policy: the policy with fitted thresholds and calibration; fit.categories[i].test.recall
//
// Thread-safety: pure functions (FitPolicy loads its own models); call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vigil/model_selection.h"
#include "vigil/policy.h"
#include "vigil/status.h"

namespace vigil {

struct PolicyFitOptions {
  std::string data_dir;
  ModelSelection models;                // repository, backend, decoding
  std::optional<PolicyTarget> target;   // overrides every category's own target
  double test_fraction = 0.3;           // held out per category and class, in [0.05, 0.9]
  double block_precision = 0.95;        // recall targets: the precision auto-block must reach
  double review_recall = 0.9;           // precision targets: the recall the review band keeps
  int bootstrap = 1000;                 // resamples for the intervals (0 = none)
  uint64_t seed = 1;
  int workers = 0;                      // 0 = one per core
  int min_items = 4;                    // per class and split
};

// "recall>=0.95" or "precision>=0.9".
Result<PolicyTarget> ParsePolicyTarget(const std::string& text);

struct Interval {
  double value = 0;
  double low = 0;   // 2.5th bootstrap percentile (= value without bootstrap)
  double high = 0;  // 97.5th
};

struct SplitMetrics {
  int positives = 0;
  int negatives = 0;
  Interval recall;        // flagged (score >= review_at) among positives
  Interval precision;     // positives among flagged
  Interval f2;
  Interval block_recall;  // blocked (score >= block_at) among positives
  Interval block_precision;
  Interval review_rate;   // share of all items in [review_at, block_at)
  Interval auprc;         // threshold-free
  double roc_auc = 0;
};

struct CategoryFit {
  std::string category;
  bool fitted = false;      // false: no data folder (thresholds kept)
  std::string note;         // why a choice was made, e.g. "no threshold reaches precision 0.95"
  PolicyTarget target;
  std::optional<PlattCalibration> calibration;
  double review_at = 0;
  std::optional<double> block_at;
  SplitMetrics fit;         // on the fit split
  SplitMetrics test;        // on the held-out split (intervals from the bootstrap)
  bool target_met = false;  // the held-out value (recall or precision) >= target
  bool target_in_interval = false;  // target <= the interval's high end
  // Held-out PR curve (calibrated scores), for the report.
  std::vector<double> pr_recall;
  std::vector<double> pr_precision;
};

struct PolicyFit {
  Policy policy;  // the input policy with fitted thresholds/calibration (new version)
  std::vector<CategoryFit> categories;
  std::string data_dir;
};

Result<PolicyFit> FitPolicy(const Policy& policy, const PolicyFitOptions& options);

std::string PolicyFitToJson(const PolicyFit& fit);
std::string PolicyFitToText(const PolicyFit& fit);
// DIR/report.html (PR curves, thresholds, intervals; the style of `vigil eval`) and DIR/fit.json.
Status WritePolicyFitReport(const PolicyFit& fit, const std::string& dir);

}  // namespace vigil
