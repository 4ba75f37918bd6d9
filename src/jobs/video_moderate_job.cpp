// VideoModerateJobHandler: job options JSON -> VideoModerationOptions (validated before queueing),
// the current moderator per job, a wall-clock budget and cancellation polled between frames, the
// decision recorded in the store and returned as its JSON.
#include "vigil/video_moderate_job.h"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "jobs/job_messages.h"

namespace vigil {
namespace {

using nlohmann::json;
using jobs::WithoutPath;

class VideoModerateJobHandler : public JobHandler {
 public:
  explicit VideoModerateJobHandler(const VideoModerateJobOptions& options) : options_(options) {}

  Status Validate(const std::string&, const std::string& options_json) const override {
    return Parse(options_json).status();
  }

  Result<std::string> Run(const Job& job, const JobProgressFn& progress,
                          const std::atomic<bool>& cancel) override {
    VIGIL_ASSIGN_OR_RETURN(VideoModerationOptions video, Parse(job.options_json));
    std::shared_ptr<const Moderator> moderator = options_.moderator();
    if (moderator == nullptr) return UnavailableError("video.moderate: moderation is off on this server");
    const auto start = std::chrono::steady_clock::now();
    const double budget = options_.time_budget_s;
    bool over_budget = false;
    auto cancelled = [&]() {
      if (cancel.load()) return true;
      if (budget > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > budget) {
        over_budget = true;
        return true;
      }
      return false;
    };
    Result<Decision> decided = moderator->ModerateVideo(job.input, video, cancelled);
    if (over_budget) {
      return DeadlineExceededError("video.moderate: the video took longer than the time budget of " +
                                   std::to_string(int(budget)) + " s");
    }
    if (!decided.ok()) return Status(decided.status().code(), WithoutPath(decided.status().message(), job.input));
    Decision decision = std::move(*decided);
    if (options_.store != nullptr) {
      VIGIL_ASSIGN_OR_RETURN(decision, options_.store->Record(decision));
    }
    if (options_.on_decision) options_.on_decision(decision);
    if (progress) progress(1.0);
    return DecisionToJson(decision);
  }

 private:
  Result<VideoModerationOptions> Parse(const std::string& options_json) const {
    json j = json::parse(options_json.empty() ? "{}" : options_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("video.moderate options must be a JSON object");
    VideoModerationOptions v;
    v.sample = options_.default_sampler;
    for (const auto& [key, value] : j.items()) {
      auto bad = [&](const char* what) { return InvalidArgumentError("option " + key + " must be " + what); };
      if (key == "sampler") {
        if (!value.is_string()) return bad("a string");
        v.sample = value.get<std::string>();
      } else if (key == "stop_early") {
        if (!value.is_boolean()) return bad("true or false");
        v.stop_early = value.get<bool>();
      } else {
        return InvalidArgumentError("unknown video.moderate option \"" + key + "\" (sampler, stop_early)");
      }
    }
    VIGIL_ASSIGN_OR_RETURN(SamplerSpec spec, ParseSampler(v.sample));
    VIGIL_RETURN_IF_ERROR(CheckSamplerLimits(spec, options_.sampler_limits));
    return v;
  }

  VideoModerateJobOptions options_;
};

}  // namespace

Result<std::unique_ptr<JobHandler>> CreateVideoModerateJobHandler(const VideoModerateJobOptions& options) {
  if (!options.moderator) return InvalidArgumentError("video.moderate: no moderator source");
  VIGIL_ASSIGN_OR_RETURN(SamplerSpec spec, ParseSampler(options.default_sampler));
  VIGIL_RETURN_IF_ERROR(CheckSamplerLimits(spec, options.sampler_limits));
  return std::unique_ptr<JobHandler>(new VideoModerateJobHandler(options));
}

}  // namespace vigil
