// The "video.moderate" job kind: a JobHandler that moderates the job's input video with the
// current Moderator (vigil/moderation.h), records the decision in a DecisionStore (idempotent:
// the same video under the same policy and models keeps its first decision) and stores the
// decision's JSON (DecisionToJson, the form `vigil moderate --json` prints) as the job result.
// Options (the job's options JSON, all optional):
//   {"sampler": "interval:1" | "keyframes" | "scene[:T]" | "all", "stop_early": bool}
//
//   vigil::VideoModerateJobOptions options;
//   options.moderator = [&] { return current_moderator; };   // e.g. the server's, swapped on reload
//   options.store = decisions.get();
//   VIGIL_ASSIGN_OR_RETURN(auto handler, vigil::CreateVideoModerateJobHandler(options));
//   VIGIL_RETURN_IF_ERROR(runner->RegisterHandler(vigil::kVideoModerateJobKind, std::move(handler)));
//
// Thread-safety: the handler may run several jobs at once (JobHandler contract); `moderator` and
// `on_decision` are called from the runner's worker threads.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "vigil/decision_store.h"
#include "vigil/jobs.h"
#include "vigil/moderation.h"
#include "vigil/video.h"

namespace vigil {

inline constexpr const char* kVideoModerateJobKind = "video.moderate";

struct VideoModerateJobOptions {
  // The moderator a job runs with, asked once per job (a policy reload applies to the next job).
  // Returning null fails the job (kUnavailable). Required.
  std::function<std::shared_ptr<const Moderator>()> moderator;
  // Where decisions are recorded (may be null: not recorded). Must outlive the handler.
  DecisionStore* store = nullptr;
  // Sampler used when a job names none (ParseSampler text; `vigil moderate --sample`'s default).
  std::string default_sampler = "interval:1";
  // Minimum sampling interval and cap on sampled frames: a job asking for less is refused before
  // it is queued (Validate: kInvalidArgument).
  SamplerLimits sampler_limits;
  // Wall-clock budget per video in seconds (0 = none): a video taking longer fails kDeadlineExceeded.
  double time_budget_s = 600;
  // Called with each recorded decision (e.g. metrics); may be empty.
  std::function<void(const Decision&)> on_decision;
};

// kInvalidArgument without a moderator source or with a bad default sampler or sampler limits.
Result<std::unique_ptr<JobHandler>> CreateVideoModerateJobHandler(const VideoModerateJobOptions& options);

}  // namespace vigil
