// Evaluation of a classifier: metrics, curves, thresholds, calibration, slices, reports.
//
//   std::vector<int> truth = ...;                       // true class index per item
//   std::vector<std::vector<float>> probs = ...;        // probability vector over K classes per item
//   VIGIL_ASSIGN_OR_RETURN(vigil::Evaluation e, vigil::Evaluate(truth, probs, {"cat", "dog"}));
//   // e.accuracy, e.classes[k].f1, e.macro.f1, e.confusion[true][pred], e.calibration.ece
//   VIGIL_RETURN_IF_ERROR(vigil::WriteHtmlReport(e, {}, "out/"));   // out/report.html, metrics.json
//
// Conventions (chosen to agree with scikit-learn, so numbers can be checked against it):
//   - The predicted class is the argmax of the probability vector (the first one on ties).
//   - Precision, recall and F-beta follow precision_recall_fscore_support with zero_division=0.
//     Macro and weighted averages run over the classes that occur in the truth or the predictions
//     (scikit-learn's default label set); weighted averages weight by support.
//   - Per-class curves are one-vs-rest on the class's probability column. Items with equal scores
//     form one curve point (scikit-learn's _binary_clf_curve). The PR curve is
//     precision_recall_curve's (all thresholds, plus the final point P=1, R=0); average precision
//     is sum_n (R_n - R_{n-1}) P_n (average_precision_score). The ROC curve is roc_curve with
//     drop_intermediate=False (a first point at threshold +inf), ROC-AUC its trapezoidal area.
//     AP and ROC-AUC of a class without positives (or, for ROC, without negatives) are undefined:
//     NaN here (null in JSON) and left out of the macro/weighted averages of those two metrics.
//   - Calibration uses the top-label confidence and M equal-width bins ((m-1)/M, m/M] (Guo et al.
//     2017, "On Calibration of Modern Neural Networks"); ECE = sum_m |B_m|/n |acc(B_m) - conf(B_m)|.
//
// Thread-safety: every function here is pure (no shared state); call any of them from any thread.
// WriteHtmlReport/WriteMlflowRun write files: do not point two concurrent calls at the same paths.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct EvalOptions {
  // Recall targets of the threshold table: the highest threshold that still reaches each recall.
  std::vector<double> recall_targets = {0.90, 0.95, 0.99};
  // Precision targets: the lowest threshold whose precision reaches each target.
  std::vector<double> precision_targets = {0.90, 0.95, 0.99};
  // The beta of the F-beta score reported beside F1 (2 = F2: recall weighs more).
  double beta = 2.0;
  // Number of equal-width confidence bins for ECE and the reliability diagram.
  int calibration_bins = 10;
  // Slices with fewer items than this are reported but left out of the gap computation.
  int min_slice_count = 1;
  // Evaluation::curves keep at most about this many points per curve (evenly thinned, the end
  // points kept), enough to plot; 0 keeps every point. Metrics always use the full curves.
  int max_curve_points = 1000;
};

// Precision-recall curve of one binary problem, in scikit-learn's layout: thresholds increase;
// precision/recall have one more element than thresholds (the last point is P=1, R=0).
struct PrCurve {
  std::vector<double> precision;
  std::vector<double> recall;
  std::vector<double> thresholds;
};

// ROC curve of one binary problem: thresholds decrease, the first is +infinity (fpr = tpr = 0).
struct RocCurve {
  std::vector<double> fpr;
  std::vector<double> tpr;
  std::vector<double> thresholds;
};

// Binary building blocks (labels: true = positive). They agree with scikit-learn's functions of
// the same name; an undefined result (no positives, or for ROC-AUC no negatives) is NaN.
PrCurve PrecisionRecallCurve(const std::vector<bool>& labels, const std::vector<double>& scores);
RocCurve RocCurveOf(const std::vector<bool>& labels, const std::vector<double>& scores);
double AveragePrecision(const PrCurve& curve);
double RocAuc(const RocCurve& curve);
// F-beta from precision and recall; 0 when both are 0.
double FBeta(double precision, double recall, double beta);

struct ClassMetrics {
  std::string name;
  int support = 0;    // items whose true class is this one
  int predicted = 0;  // items predicted as this class
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  double fbeta = 0;               // F-beta with EvalOptions::beta
  double average_precision = 0;   // PR-AUC; NaN if undefined
  double roc_auc = 0;             // one-vs-rest; NaN if undefined
};

struct AveragedMetrics {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  double fbeta = 0;
  double average_precision = 0;  // NaN if no class has it defined
  double roc_auc = 0;            // NaN if no class has it defined
};

// One row of the threshold table. `found` is false when no threshold reaches the target.
struct ThresholdPoint {
  double target = 0;
  bool found = false;
  double threshold = 0;  // predict the class when its probability >= threshold
  double precision = 0;
  double recall = 0;
};

struct ClassThresholds {
  std::vector<ThresholdPoint> at_recall;     // highest threshold with recall >= target
  std::vector<ThresholdPoint> at_precision;  // lowest threshold with precision >= target
};

// Threshold selection on a PR curve (see ClassThresholds).
std::vector<ThresholdPoint> ThresholdsForRecall(const PrCurve& curve,
                                                const std::vector<double>& targets);
std::vector<ThresholdPoint> ThresholdsForPrecision(const PrCurve& curve,
                                                   const std::vector<double>& targets);

struct ReliabilityBin {
  double lower = 0;  // bin is (lower, upper]; the first bin also holds confidence 0
  double upper = 0;
  int count = 0;
  double mean_confidence = 0;  // 0 when empty
  double accuracy = 0;         // 0 when empty
};

struct CalibrationReport {
  double ece = 0;    // expected calibration error (top label)
  double mce = 0;    // maximum calibration error over non-empty bins
  double nll = 0;    // mean negative log-likelihood of the true class (probabilities clipped at 1e-15)
  double brier = 0;  // multi-class Brier score: mean over items of sum_k (p_k - [y == k])^2
  std::vector<ReliabilityBin> bins;
};

// Calibration of probability vectors (validated like Evaluate).
Result<CalibrationReport> ComputeCalibration(const std::vector<int>& truth,
                                             const std::vector<std::vector<float>>& probs,
                                             int bins = 10);

// What FitTemperature/ApplyTemperature receive: probabilities (logits taken as log p) or logits.
enum class ScoreKind { kProbabilities, kLogits };

struct TemperatureFit {
  double temperature = 1;  // > 1 softens over-confident models
  double nll_before = 0;   // mean NLL at T = 1
  double nll_after = 0;    // mean NLL at the fitted T
};

// Temperature scaling (Guo et al. 2017): the T in [0.01, 100] minimising the mean NLL of
// softmax(z / T) on validation data, by golden-section search on log T (NLL is unimodal in log T).
Result<TemperatureFit> FitTemperature(const std::vector<int>& truth,
                                      const std::vector<std::vector<float>>& scores,
                                      ScoreKind kind = ScoreKind::kProbabilities);
// softmax(z / T) for each row, z = log p (probabilities clipped at 1e-12) or the logits.
std::vector<std::vector<float>> ApplyTemperature(const std::vector<std::vector<float>>& scores,
                                                 double temperature,
                                                 ScoreKind kind = ScoreKind::kProbabilities);

struct SliceMetrics {
  std::string slice;
  int count = 0;
  double accuracy = 0;
  double macro_f1 = 0;
  std::vector<int> support;    // per class
  std::vector<double> recall;  // per class; NaN where the slice has no item of that class
};

// The spread of one metric across slices (those with at least min_slice_count items).
struct SliceGap {
  std::string metric;  // "accuracy", "macro_f1" or "recall:<class>"
  std::string best_slice;
  std::string worst_slice;
  double best = 0;
  double worst = 0;
  double gap = 0;  // best - worst
};

struct SliceReport {
  std::vector<SliceMetrics> slices;  // sorted by slice value
  std::vector<SliceGap> gaps;        // one per metric that at least two slices define
  std::optional<SliceGap> largest;   // the largest of `gaps`
};

struct ClassCurves {
  PrCurve pr;
  RocCurve roc;
};

struct Evaluation {
  std::vector<std::string> class_names;
  int count = 0;
  double accuracy = 0;
  double beta = 2;  // the beta of ClassMetrics::fbeta
  std::vector<ClassMetrics> classes;
  AveragedMetrics macro;
  AveragedMetrics weighted;
  std::vector<std::vector<int>> confusion;  // [true][predicted], K x K
  std::vector<ClassCurves> curves;          // per class, thinned (EvalOptions::max_curve_points)
  std::vector<ClassThresholds> thresholds;  // per class
  CalibrationReport calibration;
  std::optional<TemperatureFit> temperature;  // not set by Evaluate; callers may attach a fit
  std::optional<SliceReport> slices;          // set when slice values were given
};

// Evaluates N predictions over K = class_names.size() >= 2 classes. truth[i] in [0, K),
// probs[i].size() == K with finite values; slices (optional) has N values.
Result<Evaluation> Evaluate(const std::vector<int>& truth,
                            const std::vector<std::vector<float>>& probs,
                            const std::vector<std::string>& class_names,
                            const EvalOptions& options = {},
                            const std::vector<std::string>* slices = nullptr);

// Per-slice summary and gaps (Evaluate calls this when given slices).
Result<SliceReport> ComputeSlices(const std::vector<int>& truth,
                                  const std::vector<std::vector<float>>& probs,
                                  const std::vector<std::string>& slices, int num_classes,
                                  const std::vector<std::string>& class_names,
                                  int min_slice_count = 1);

// JSON (undefined values as null); EvaluationFromJson reads what EvaluationToJson writes.
std::string EvaluationToJson(const Evaluation& evaluation);
Result<Evaluation> EvaluationFromJson(const std::string& json);

struct ReportOptions {
  std::string title = "Vigil evaluation report";
  // Free-form lines shown under the title (model, dataset, date ...), in order.
  std::vector<std::pair<std::string, std::string>> details;
  // Curves with more points are thinned to about this many points per line in the plots.
  int max_curve_points = 400;
};

// Writes dir/report.html (self-contained: inline CSS and SVG, no script) and dir/metrics.json.
// Creates dir if needed.
Status WriteHtmlReport(const Evaluation& evaluation, const ReportOptions& options,
                       const std::string& dir);

struct MlflowRunOptions {
  std::string run_name = "vigil-eval";
  std::string user = "vigil";
  // Files copied into the run's artifacts/ folder (e.g. report.html); metrics.json is always written.
  std::vector<std::string> artifact_files;
};

struct MlflowRunInfo {
  std::string experiment_id;
  std::string run_id;    // 32 hex digits
  std::string run_dir;   // mlruns_dir/<experiment_id>/<run_id>
};

// Records the evaluation as a finished run in an MLflow file store (the `mlruns/` layout of
// MLflow's FileStore: <exp>/meta.yaml, <exp>/<run>/{meta.yaml, metrics/, params/, tags/,
// artifacts/}), creating the store, the Default experiment 0 and the named experiment as needed.
// Metric names: accuracy, macro_f1, ..., and per class "<metric>.<class>" (class names sanitised).
Result<MlflowRunInfo> WriteMlflowRun(const Evaluation& evaluation,
                                     const std::map<std::string, std::string>& params,
                                     const std::string& mlruns_dir,
                                     const std::string& experiment_name,
                                     const MlflowRunOptions& options = {});

}  // namespace vigil
