// Moderation policies: which signals of which models make up each policy category, and the
// thresholds that turn a category's score into allow, review or block.
//
//   VIGIL_ASSIGN_OR_RETURN(vigil::Policy policy, vigil::LoadPolicyFile("policies/default.yaml"));
//   // policy.version: "sha256:..." of the normalised policy (comments and key order do not count)
//   VIGIL_RETURN_IF_ERROR(vigil::CheckPolicyModels(policy, *provider));   // models and labels exist
//   std::vector<vigil::ModelOutput> outputs = ...;   // one per model the policy needs (ScoringModel)
//   vigil::CategoryResult r = vigil::ScoreCategory(policy.categories[0], outputs, w, h);
//   // r.score, r.outcome (kAllow / kReview / kBlock), r.evidence (the boxes that counted)
//
// A policy file (YAML; docs/moderation.md has the full reference):
//   name: default
//   on_model_error: review            # what a failed or late model means: review | block (never allow)
//   model_deadline_ms: 10000
//   categories:
//     - name: sexual
//       severity: 3                   # 1..10; the item's reason is its most severe deciding category
//       signal: {model: nsfw_mobilenet_v2, labels: [Porn, Hentai], combine: sum}
//       review_at: 0.5                # score >= review_at: review
//       block_at: 0.9                 # score >= block_at: block (absent: this category never blocks)
//       target: {recall: 0.95}        # what `vigil policy fit` aims for
//     - name: weapons
//       signal: {model: nanodet_coco, classes: [knife, scissors], min_score: 0.3, min_area: 0.001}
//       review_at: 0.4
//
// Thread-safety: Policy is a value type; every function here is pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vigil/model_provider.h"
#include "vigil/scoring_model.h"
#include "vigil/status.h"

namespace vigil {

// Ordered by severity: kAllow < kReview < kBlock.
enum class Outcome { kAllow = 0, kReview = 1, kBlock = 2 };
// "allow", "review", "block".
const char* OutcomeName(Outcome outcome);
Result<Outcome> ParseOutcome(const std::string& text);

// How a category's score is computed from one model's output.
struct PolicySignal {
  enum class Kind { kLabels, kDetections };
  enum class Combine { kSum, kMax };
  Kind kind = Kind::kLabels;
  std::string model;  // model name
  int version = 0;    // 0 = the latest loaded
  // kLabels: classifier labels (or a trained head's classes) summed or maxed.
  std::vector<std::string> labels;
  Combine combine = Combine::kSum;
  // kDetections: detector classes; the score is the best detection of any of them whose score
  // is at least min_score and whose box covers at least min_area of the image (0..1).
  std::vector<std::string> classes;
  float min_score = 0;
  float min_area = 0;
};

// Optional Platt calibration of the signal, written by `vigil policy fit`:
// score = 1 / (1 + exp(-(a * raw + b))). Absent: score = raw.
struct PlattCalibration {
  double a = 1;
  double b = 0;
};

// Run a second (usually more expensive) model only when the first model's score falls in
// [low, high): below low the item is clearly allowed, at or above high clearly flagged by the
// cheap model; in between the second model's score (same labels or classes) decides.
struct PolicyCascade {
  std::string model;
  int version = 0;
  double low = 0;
  double high = 1;
};

struct PolicyTarget {
  enum class Metric { kRecall, kPrecision };
  Metric metric = Metric::kRecall;
  double value = 0.95;  // in (0, 1]
};

struct PolicyCategory {
  std::string name;         // [a-z0-9_], unique in the policy
  std::string description;  // free text, e.g. the known weaknesses
  int severity = 1;         // 1..10
  PolicySignal signal;
  std::optional<PolicyCascade> cascade;
  std::optional<PlattCalibration> calibration;
  double review_at = 0.5;  // 0 <= review_at <= block_at <= 1
  std::optional<double> block_at;
  // Action name per outcome ([a-z0-9_], free for the caller to act on).
  std::string allow_action = "none";
  std::string review_action = "queue_for_review";
  std::string block_action = "remove";
  std::optional<PolicyTarget> target;
};

struct Policy {
  std::string name;  // [a-z0-9_-]
  std::string description;
  // "sha256:<64 hex>" of the normalised policy (Normalized YAML): the same for files that differ
  // only in comments, spacing or key order.
  std::string version;
  // What a model that fails or misses its deadline means for its categories (never kAllow).
  Outcome on_model_error = Outcome::kReview;
  int model_deadline_ms = 10000;  // per item, 1..600000
  std::vector<PolicyCategory> categories;
};

// Parsing: load → normalise → validate. Errors (kInvalidArgument) name the file, the category and
// the key: unknown keys, wrong types, thresholds out of order or outside [0, 1], duplicate
// categories, on_model_error: allow.
Result<Policy> ParsePolicy(const std::string& yaml_text, const std::string& source_name = "policy");
Result<Policy> LoadPolicyFile(const std::string& path);
// The canonical YAML of a policy (keys in a fixed order, defaults written out, no comments):
// what `version` hashes, and what `vigil policy show` prints.
std::string NormalizedPolicyYaml(const Policy& policy);

// Checks the policy against loaded models: every model (and cascade model) is loaded, label
// signals name a classification model's labels, detection signals a detection model's classes,
// a cascade model has the same task and the same labels/classes. kInvalidArgument names them.
Status CheckPolicyModels(const Policy& policy, const ModelProvider& models);
// The models a policy needs, "name" or "name:version", without duplicates, in first-use order
// (cascade models included).
std::vector<std::string> PolicyModelRefs(const Policy& policy);

// Evidence a category score rests on: a detection box (in the pixels of the image the outputs
// refer to), or for a label signal the label scores that were combined.
struct CategoryEvidence {
  std::string model;
  int version = 0;
  std::string label;
  float score = 0;
  std::optional<Box> box;
};

struct CategoryResult {
  std::string name;
  int severity = 1;
  double raw_score = 0;  // the signal before calibration
  double score = 0;      // after calibration: compared with review_at/block_at
  Outcome outcome = Outcome::kAllow;
  std::string action;  // the category's action for the outcome
  std::string reason;  // e.g. "score 0.93 >= block_at 0.90" or "model nanodet_coco failed: ..."
  std::string model;   // the model whose score decided (the cascade's second model when it ran)
  int model_version = 0;
  bool model_error = false;
  std::vector<CategoryEvidence> evidence;
};

// The raw signal of one category from one model's output (which must be that model's).
// `image_width`/`image_height` are the size detection boxes refer to (for min_area).
double SignalScore(const PolicySignal& signal, const ModelOutput& output, int image_width,
                   int image_height, std::vector<CategoryEvidence>* evidence = nullptr);
// Calibration, then thresholds: the category's result from its score.
CategoryResult DecideCategory(const PolicyCategory& category, double raw_score);
// The result when the category's model failed (policy.on_model_error, never allow).
CategoryResult FailedCategory(const Policy& policy, const PolicyCategory& category,
                              const std::string& model, int version, const Status& error);

}  // namespace vigil
