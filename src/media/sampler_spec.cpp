// ParseSampler / SamplerToString: the sampler's text form ("keyframes", "keyframes:0.5",
// "interval:1.5", "scene", "scene:0.3", "all"); CheckSamplerLimits: the operator's minimum interval.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "vigil/video.h"

namespace vigil {
namespace {

constexpr const char* kForms =
    "expected keyframes, keyframes:MIN_GAP_SECONDS, interval:SECONDS, scene, scene:THRESHOLD or all";

bool ParseNumber(const std::string& text, double* value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return errno == 0 && end == text.c_str() + text.size() && std::isfinite(*value);
}

}  // namespace

Result<SamplerSpec> ParseSampler(const std::string& text) {
  SamplerSpec spec;
  const size_t colon = text.find(':');
  const std::string name = text.substr(0, colon);
  const bool has_arg = colon != std::string::npos;
  const std::string arg = has_arg ? text.substr(colon + 1) : "";
  if (name == "keyframes") {
    spec.kind = SamplerKind::kKeyframes;
    if (has_arg && (!ParseNumber(arg, &spec.keyframe_min_gap_s) || spec.keyframe_min_gap_s < 0 ||
                    spec.keyframe_min_gap_s > 1e6)) {
      return InvalidArgumentError("sampler '" + text +
                                  "': keyframes needs a minimum gap in SECONDS >= 0 (0 = every key frame), "
                                  "e.g. keyframes:0.5");
    }
  } else if (name == "all" && !has_arg) {
    spec.kind = SamplerKind::kAll;
  } else if (name == "interval") {
    spec.kind = SamplerKind::kInterval;
    if (!has_arg || !ParseNumber(arg, &spec.interval_s) || spec.interval_s <= 0 ||
        spec.interval_s > 1e6) {
      return InvalidArgumentError("sampler '" + text + "': interval needs SECONDS > 0, e.g. interval:1.5");
    }
  } else if (name == "scene") {
    spec.kind = SamplerKind::kScene;
    if (has_arg && (!ParseNumber(arg, &spec.scene_threshold) || spec.scene_threshold <= 0 ||
                    spec.scene_threshold > 1)) {
      return InvalidArgumentError("sampler '" + text + "': scene threshold must be in (0, 1], e.g. scene:0.3");
    }
  } else {
    return InvalidArgumentError("unknown sampler '" + text + "': " + kForms);
  }
  return spec;
}

Status CheckSamplerLimits(const SamplerSpec& spec, const SamplerLimits& limits) {
  if (!(limits.min_interval_s > 0 && limits.min_interval_s <= 3600)) {
    return InvalidArgumentError("sampler limits: min_interval_s must be in (0, 3600] seconds");
  }
  if (limits.max_sampled_frames < 0) return InvalidArgumentError("sampler limits: max_sampled_frames must be >= 0");
  if (spec.kind == SamplerKind::kInterval && !(spec.interval_s >= limits.min_interval_s)) {
    std::ostringstream out;
    out << "sampler interval:" << spec.interval_s << " is shorter than the minimum interval of "
        << limits.min_interval_s << " s (use a longer interval, or \"all\" for every frame)";
    return InvalidArgumentError(out.str());
  }
  return Status::Ok();
}

std::string SamplerToString(const SamplerSpec& spec) {
  std::ostringstream out;
  switch (spec.kind) {
    case SamplerKind::kKeyframes:
      if (spec.keyframe_min_gap_s == SamplerSpec().keyframe_min_gap_s) return "keyframes";
      out << "keyframes:" << spec.keyframe_min_gap_s;
      return out.str();
    case SamplerKind::kAll: return "all";
    case SamplerKind::kInterval: out << "interval:" << spec.interval_s; return out.str();
    case SamplerKind::kScene:
      if (spec.scene_threshold <= 0) return "scene";
      out << "scene:" << spec.scene_threshold;
      return out.str();
  }
  return "keyframes";
}

}  // namespace vigil
