// VideoTagsToJson: the JSON form of VideoTags (vigil tag --json, the HTTP server), shaped after
// Google Video Intelligence's annotateVideo response; schema in docs/video.md.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "vigil/video_tagger.h"

namespace vigil {
namespace {

using nlohmann::json;

json Range(double start, double end) {
  return {{"startTimeOffset", start}, {"endTimeOffset", end}};
}

json ModelJson(const ModelTags& m, const VideoTagsJsonOptions& options) {
  json j;
  j["model"] = m.model;
  j["version"] = m.version;
  j["kind"] = m.kind;
  // Video-level labels, each with the time segments where it stays above its threshold.
  json labels = json::array();
  for (const VideoLabel& l : m.labels) {
    if (!l.present && l.confidence <= 0) continue;
    json a;
    a["entity"] = {{"description", l.label}};
    a["confidence"] = l.confidence;
    a["present"] = l.present;
    a["firstTimeOffset"] = l.first_time_s ? json(*l.first_time_s) : json(nullptr);
    a["totalDuration"] = l.total_duration_s;
    json segments = json::array();
    for (const TaggedSegment& s : m.segments) {
      if (s.label != l.label) continue;
      json seg = {{"segment", Range(s.start_s, s.end_s)},
                  {"confidence", s.confidence},
                  {"maxConfidence", s.max_confidence},
                  {"bestTimeOffset", s.best_time_s}};
      if (!s.thumbnail.empty()) seg["thumbnail"] = s.thumbnail;
      segments.push_back(std::move(seg));
    }
    a["segments"] = std::move(segments);
    labels.push_back(std::move(a));
  }
  j["segmentLabelAnnotations"] = std::move(labels);

  // Per label, the shots in which it reaches its threshold, or is the shot's best label.
  std::map<std::string, json> by_label;
  std::vector<std::string> order;
  for (size_t i = 0; i < m.shots.size(); ++i) {
    const TaggedShot& s = m.shots[i];
    for (size_t k = 0; k < s.labels.size(); ++k) {
      const auto& [label, score] = s.labels[k];
      const bool keep = (k == 0 && score > 0) ||
                        std::find(s.present.begin(), s.present.end(), label) != s.present.end();
      if (!keep) continue;
      if (!by_label.count(label)) {
        order.push_back(label);
        by_label[label] = {{"entity", {{"description", label}}}, {"segments", json::array()}};
      }
      by_label[label]["segments"].push_back(
          {{"segment", Range(s.start_s, s.end_s)}, {"confidence", score}, {"shot", i},
           {"frameCount", s.frame_count}});
    }
  }
  json shot_labels = json::array();
  for (const std::string& label : order) shot_labels.push_back(std::move(by_label[label]));
  j["shotLabelAnnotations"] = std::move(shot_labels);

  if (options.frames) {
    // Per label, the frames in which it is among the frame's top labels (score > 0).
    std::map<std::string, json> frames_by_label;
    std::vector<std::string> frame_order;
    for (const FrameTags& f : m.frames) {
      std::vector<size_t> idx(f.scores.size());
      for (size_t c = 0; c < idx.size(); ++c) idx[c] = c;
      std::stable_sort(idx.begin(), idx.end(),
                       [&](size_t a, size_t b) { return f.scores[a] > f.scores[b]; });
      const size_t keep = options.frame_top_k > 0 ? std::min(idx.size(), size_t(options.frame_top_k))
                                                  : idx.size();
      for (size_t r = 0; r < keep; ++r) {
        const size_t c = idx[r];
        if (!(f.scores[c] > 0) || c >= m.label_names.size()) continue;
        const std::string& label = m.label_names[c];
        if (!frames_by_label.count(label)) {
          frame_order.push_back(label);
          frames_by_label[label] = {{"entity", {{"description", label}}}, {"frames", json::array()}};
        }
        json fr = {{"timeOffset", f.time_s},
                   {"confidence", f.scores[c]},
                   {"frameIndex", f.frame_index},
                   {"keyFrame", f.key_frame}};
        if (f.end_s > f.time_s) fr["endTimeOffset"] = f.end_s;
        if (c < f.counts.size()) fr["count"] = f.counts[c];
        frames_by_label[label]["frames"].push_back(std::move(fr));
      }
    }
    json frame_labels = json::array();
    for (const std::string& label : frame_order) frame_labels.push_back(std::move(frames_by_label[label]));
    j["frameLabelAnnotations"] = std::move(frame_labels);
  }
  return j;
}

}  // namespace

std::string VideoTagsToJson(const VideoTags& tags, const VideoTagsJsonOptions& options) {
  json j;
  j["path"] = tags.path;
  const VideoInfo& v = tags.info;
  j["video"] = {{"container", v.container},   {"codec", v.codec},       {"width", v.width},
                {"height", v.height},         {"duration", v.duration_s}, {"fps", v.fps},
                {"rotation", v.rotation_deg}, {"hasAudio", v.has_audio}};
  j["sampler"] = tags.sampler;
  j["framesSampled"] = tags.frames_sampled;
  json shots = json::array();
  for (size_t i = 0; i < tags.shots.size(); ++i) {
    json s = Range(tags.shots[i].start_s, tags.shots[i].end_s);
    if (!tags.models.empty() && i < tags.models[0].shots.size() &&
        !tags.models[0].shots[i].thumbnail.empty()) {
      s["thumbnail"] = tags.models[0].shots[i].thumbnail;
    }
    shots.push_back(std::move(s));
  }
  j["shotAnnotations"] = std::move(shots);
  json results = json::array();
  for (const ModelTags& m : tags.models) results.push_back(ModelJson(m, options));
  j["annotationResults"] = std::move(results);
  j["notes"] = tags.notes;
  const TagTimings& t = tags.timings;
  j["timings"] = {{"open", t.open_s},           {"decode", t.decode_s}, {"inference", t.inference_s},
                  {"aggregate", t.aggregate_s}, {"total", t.total_s}};
  return j.dump(options.pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace vigil
