// Moderator: one auditable decision per item (allow, review or block) from a policy and the
// models it names. Each image is decoded once; every model the policy needs then runs on it
// concurrently on the moderator's worker pool, each within the policy's deadline; a model that
// fails or is late sends its categories to policy.on_model_error (review by default), never to
// allow. The item's outcome is its worst category's; the reason is the most severe deciding one.
//
//   VIGIL_ASSIGN_OR_RETURN(vigil::Policy policy, vigil::LoadPolicyFile("policies/default.yaml"));
//   vigil::ModeratorOptions options;
//   options.policy = policy;
//   options.common.repository = "models";            // or pass a ModelProvider (the server's models)
//   VIGIL_ASSIGN_OR_RETURN(auto moderator, vigil::Moderator::Create(options));
//   VIGIL_ASSIGN_OR_RETURN(vigil::Decision d, moderator->ModerateFile("upload.jpg"));
//   // d.outcome, d.categories[i].score/outcome/reason, d.models, d.id (stable: content + policy
//   // version + model versions), d.latency_ms
//   std::string json = vigil::DecisionToJson(d);    // what `vigil moderate --json` and
//                                                    // POST /v1/moderate print
//
// Videos: ModerateVideo samples frames (vigil/video.h sampler specs), scores every frame's
// categories, and turns runs of frames over review_at/block_at into time segments; the video's
// outcome is its worst segment's. With stop_early, decoding stops once the outcome can no longer
// change (a block segment was found and every category that can block has blocked).
//
// Thread-safety: a Moderator is immutable after Create; Moderate* may be called from any number of
// threads at once. The models are shared (ModelProvider) and outlive the moderator's use of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vigil/image.h"
#include "vigil/model_provider.h"
#include "vigil/model_selection.h"
#include "vigil/policy.h"
#include "vigil/status.h"

namespace vigil {

struct ModeratorOptions {
  Policy policy;
  // Where models come from when no ModelProvider is passed to Create: repository, backend,
  // threads per session, decoding limits (name/version come from the policy).
  ModelSelection common;
  // Threads running models concurrently (0 = one per hardware thread).
  int workers = 0;
  // Policy deadline override for tests and benchmarks (0 = policy.model_deadline_ms).
  int deadline_ms = 0;
  // Cascades on (the policy's cascade blocks); false runs both models always (for comparison).
  bool cascade = true;
};

struct ModelVersion {
  std::string name;
  int version = 0;
  bool operator==(const ModelVersion& o) const { return name == o.name && version == o.version; }
};

// A time segment of a video where one category stayed at or above review_at.
struct DecisionSegment {
  std::string category;
  Outcome outcome = Outcome::kReview;  // worst outcome inside the segment
  double start_s = 0;
  double end_s = 0;                    // time of the last frame in the segment
  double peak_score = 0;
  double evidence_time_s = 0;          // the frame with the peak score
  std::vector<CategoryEvidence> evidence;
};

struct Decision {
  std::string id;              // "dec_" + 32 hex: SHA-256 of (content, policy version, models)
  std::string content_sha256;  // hex of the item's bytes
  std::string media_type;      // "image" or "video"
  std::string policy_name;
  std::string policy_version;
  std::vector<ModelVersion> models;  // the models that were asked (name + the version loaded)
  Outcome outcome = Outcome::kAllow;
  std::string action;  // the deciding category's action for the outcome ("none" when allowed)
  std::string reason;  // the deciding category and why, or "every category below review_at"
  std::vector<CategoryResult> categories;  // policy order; for video the worst frame per category
  double latency_ms = 0;
  int64_t created_ms = 0;  // wall clock, ms since the epoch
  // Video only.
  std::vector<DecisionSegment> segments;
  double earliest_violation_s = -1;  // first frame time at or above review_at (-1: none)
  int frames_scored = 0;
  bool stopped_early = false;
  double duration_s = 0;
};

struct VideoModerationOptions {
  // Frame sampler, as `vigil tag --sample`: "keyframes", "interval:SECONDS", "scene[:T]", "all".
  std::string sample = "interval:1";
  // Frames per model call.
  int batch = 8;
  // Stop decoding once the outcome can no longer change.
  bool stop_early = true;
  // Frames of one category further apart than this start a new segment.
  double max_gap_s = 2.0;
};

class Moderator {
 public:
  // Loads the policy's models itself (options.common), or uses `models` (not owned; only asked
  // during Create) when given. CheckPolicyModels must pass.
  static Result<std::unique_ptr<Moderator>> Create(const ModeratorOptions& options,
                                                   const ModelProvider* models = nullptr);
  ~Moderator();

  // An already decoded image; `content_sha256` names the item (its bytes' hash) for the id.
  // `info` (optional) maps detection boxes to the file's full size.
  Result<Decision> ModerateImage(const Image& image, const std::string& content_sha256,
                                 const DecodeInfo* info = nullptr) const;
  Result<Decision> ModerateBytes(const uint8_t* data, size_t size) const;
  Result<Decision> ModerateFile(const std::string& path) const;
  // `cancelled` (optional) is polled between frames.
  Result<Decision> ModerateVideo(const std::string& path, const VideoModerationOptions& options,
                                 const std::function<bool()>& cancelled = nullptr) const;

  const Policy& policy() const;
  // The models in use, in PolicyModelRefs order, with the loaded versions.
  const std::vector<ModelVersion>& models() const;
  // The decode options covering every model (smallest JPEG DCT scale that fits them all).
  const DecodeOptions& decode_options() const;
  // Counters since Create: model runs, and second-stage runs a cascade skipped.
  struct Stats {
    int64_t model_runs = 0;
    int64_t cascade_skipped = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  explicit Moderator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The decision id: "dec_" + the first 32 hex digits of SHA-256(content | policy version | models).
std::string DecisionId(const std::string& content_sha256, const std::string& policy_version,
                       const std::vector<ModelVersion>& models);
// Lower-case hex SHA-256 of bytes.
std::string Sha256Hex(const uint8_t* data, size_t size);
std::string Sha256Hex(const std::string& data);
// The JSON form of a decision (CLI --json, HTTP, the store): one object, stable key order.
std::string DecisionToJson(const Decision& decision);
Result<Decision> DecisionFromJson(const std::string& json);

}  // namespace vigil
