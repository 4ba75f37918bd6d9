// The "video.tag" job kind: a JobHandler that tags the job's input video with VideoTagger and
// stores VideoTagsToJson as the result. Options (the job's options JSON, all optional):
//   {"sampler": "keyframes" | "interval:1.5" | "scene[:T]" | "all", "models": ["name[:version]", ...],
//    "max_frames": N, "threshold": 0..1, "detect_shots": bool, "frames": bool (per-frame labels)}
// Taggers are cached per distinct option set, so repeated jobs do not reload models; given a
// ModelProvider (the server passes its ClassificationService), taggers run the provider's loaded
// classifiers and detectors instead of loading their own copies (see VideoTagger::Create).
//
//   vigil::VideoTagJobOptions options;                 // models/, nsfw_mobilenet_v2, keyframes
//   VIGIL_ASSIGN_OR_RETURN(auto handler, vigil::CreateVideoTagJobHandler(options));
//   VIGIL_RETURN_IF_ERROR(runner->RegisterHandler(vigil::kVideoTagJobKind, std::move(handler)));
//
// Thread-safety: the handler may run several jobs at once (JobHandler contract).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/jobs.h"
#include "vigil/metrics.h"
#include "vigil/model_provider.h"
#include "vigil/video.h"

namespace vigil {

inline constexpr const char* kVideoTagJobKind = "video.tag";

struct VideoTagJobOptions {
  // Root of the model repository.
  std::string model_repository = "models";
  // Models used when a job names none.
  std::vector<std::string> default_models = {"nsfw_mobilenet_v2"};
  // Sampler used when a job names none (ParseSampler text).
  std::string default_sampler = "keyframes";
  // Wall-clock budget per video in seconds (0 = none): a video taking longer fails kDeadlineExceeded.
  double time_budget_s = 600;
  // Minimum sampling interval and cap on sampled frames per video: a job asking for a shorter
  // interval is refused before it is queued (Validate: kInvalidArgument).
  SamplerLimits sampler_limits;
  // Distinct option sets whose taggers stay cached; the least recently used is dropped beyond.
  // A tagger holds its own copy only of the models `models` does not provide.
  int max_cached_taggers = 2;
  // Loaded models to share with the taggers (may be null: every tagger loads its own). Must
  // outlive the handler's Run calls.
  const ModelProvider* models = nullptr;
  // When set: gauge vigil_video_tagger_models{source="shared"|"loaded"}, the models held by the
  // cached taggers, shared with `models` or loaded as their own copy. Must outlive the handler.
  MetricsRegistry* metrics = nullptr;
};

// kInvalidArgument for an empty repository path, a bad default sampler or sampler limits.
Result<std::unique_ptr<JobHandler>> CreateVideoTagJobHandler(const VideoTagJobOptions& options);

}  // namespace vigil
