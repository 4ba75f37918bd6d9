// VideoTagJobHandler: job options JSON -> VideoTaggerOptions (validated before queueing), a small
// cache of taggers per option set (sharing the provider's loaded models), progress and cancellation
// passed through to VideoTagger::Tag.
#include "vigil/video_tag_job.h"

#include <filesystem>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>

#include "vigil/model_repository.h"
#include "vigil/video.h"
#include "vigil/video_tagger.h"

#include "jobs/job_messages.h"

namespace vigil {
namespace {

using nlohmann::json;
using jobs::WithoutPath;


struct ParsedOptions {
  VideoTaggerOptions tagger;
  bool frames = false;  // per-frame labels in the result
};

class VideoTagJobHandler : public JobHandler {
 public:
  explicit VideoTagJobHandler(const VideoTagJobOptions& options) : options_(options) {
    if (options_.metrics) {
      models_gauge_ = &options_.metrics->Gauge(
          "vigil_video_tagger_models",
          "Models held by the cached video taggers: shared with the classification service or loaded as their own copy",
          {"source"});
      CountModels();
    }
  }

  Status Validate(const std::string&, const std::string& options_json) const override {
    VIGIL_ASSIGN_OR_RETURN(ParsedOptions parsed, Parse(options_json));
    VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(options_.model_repository));
    for (const std::string& model : parsed.tagger.models) {
      VIGIL_ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(model));
      VIGIL_RETURN_IF_ERROR(repo->Find(ref).status());
    }
    return Status::Ok();
  }

  Result<std::string> Run(const Job& job, const JobProgressFn& progress,
                          const std::atomic<bool>& cancel) override {
    VIGIL_ASSIGN_OR_RETURN(ParsedOptions parsed, Parse(job.options_json));
    VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<const VideoTagger> tagger, Tagger(parsed.tagger));
    TagControl control;
    control.progress = progress;
    control.cancel = &cancel;
    Result<VideoTags> tagged = tagger->Tag(job.input, control);
    if (!tagged.ok()) return Status(tagged.status().code(), WithoutPath(tagged.status().message(), job.input));
    VideoTags& tags = *tagged;
    tags.path.clear();  // the stored upload's path means nothing to the client
    VideoTagsJsonOptions json_options;
    json_options.frames = parsed.frames;
    return VideoTagsToJson(tags, json_options);
  }

 private:
  Result<ParsedOptions> Parse(const std::string& options_json) const {
    json j = json::parse(options_json.empty() ? "{}" : options_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("video.tag options must be a JSON object");
    ParsedOptions p;
    VideoTaggerOptions& t = p.tagger;
    t.common.repository = options_.model_repository;
    t.models = options_.default_models;
    t.sampler = options_.default_sampler;
    t.time_budget_s = options_.time_budget_s;
    t.sampler_limits = options_.sampler_limits;
    t.keep_frames = false;
    for (const auto& item : j.items()) {
      // Named references, not a structured binding: C++17 lambdas cannot capture those (clang).
      const std::string& key = item.key();
      const json& value = item.value();
      auto bad = [&](const char* what) { return InvalidArgumentError("option " + key + " must be " + what); };
      if (key == "sampler") {
        if (!value.is_string()) return bad("a string");
        t.sampler = value.get<std::string>();
      } else if (key == "models") {
        if (!value.is_array() || value.empty()) return bad("a non-empty list of model names");
        t.models.clear();
        for (const json& m : value) {
          if (!m.is_string()) return bad("a list of model names");
          t.models.push_back(m.get<std::string>());
        }
      } else if (key == "max_frames") {
        if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 1000000) {
          return bad("an integer in 0..1000000");
        }
        t.max_frames = value.get<int>();
      } else if (key == "threshold") {
        if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 1)) return bad("a number in 0..1");
        t.threshold = value.get<float>();
      } else if (key == "detect_shots") {
        if (!value.is_boolean()) return bad("true or false");
        t.detect_shots = value.get<bool>();
      } else if (key == "frames") {
        if (!value.is_boolean()) return bad("true or false");
        p.frames = value.get<bool>();
        t.keep_frames = p.frames;
      } else {
        return InvalidArgumentError("unknown video.tag option \"" + key + "\"");
      }
    }
    VIGIL_ASSIGN_OR_RETURN(SamplerSpec spec, ParseSampler(t.sampler));
    VIGIL_RETURN_IF_ERROR(CheckSamplerLimits(spec, t.sampler_limits));
    return p;
  }

  // The cached tagger for these options, created (models loaded) on first use.
  Result<std::shared_ptr<const VideoTagger>> Tagger(const VideoTaggerOptions& t) {
    json key = {t.sampler, t.models, t.max_frames, t.threshold, t.detect_shots, t.keep_frames};
    const std::string k = key.dump();
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (it->first == k) {
        cache_.splice(cache_.begin(), cache_, it);  // most recently used first
        return cache_.front().second;
      }
    }
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<VideoTagger> created, VideoTagger::Create(t, options_.models));
    cache_.emplace_front(k, std::shared_ptr<const VideoTagger>(std::move(created)));
    while (int(cache_.size()) > std::max(1, options_.max_cached_taggers)) cache_.pop_back();
    CountModels();
    return cache_.front().second;
  }

  // Sets the vigil_video_tagger_models gauge from the cache (caller holds mutex_ or is the
  // constructor).
  void CountModels() {
    if (!models_gauge_) return;
    int shared = 0, loaded = 0;
    for (const auto& entry : cache_) {
      for (const VideoTaggerModel& m : entry.second->models()) ++(m.shared ? shared : loaded);
    }
    models_gauge_->Set({"shared"}, shared);
    models_gauge_->Set({"loaded"}, loaded);
  }

  VideoTagJobOptions options_;
  MetricFamily* models_gauge_ = nullptr;
  std::mutex mutex_;
  std::list<std::pair<std::string, std::shared_ptr<const VideoTagger>>> cache_;
};

}  // namespace

Result<std::unique_ptr<JobHandler>> CreateVideoTagJobHandler(const VideoTagJobOptions& options) {
  if (options.model_repository.empty()) return InvalidArgumentError("video.tag: empty model repository path");
  if (options.default_models.empty()) return InvalidArgumentError("video.tag: no default model");
  VIGIL_ASSIGN_OR_RETURN(SamplerSpec spec, ParseSampler(options.default_sampler));
  VIGIL_RETURN_IF_ERROR(CheckSamplerLimits(spec, options.sampler_limits));
  return std::unique_ptr<JobHandler>(new VideoTagJobHandler(options));
}

}  // namespace vigil
