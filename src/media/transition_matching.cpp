// ScoreTransitions / ReadLabelledTransitions (see transition_matching.h).
#include "media/transition_matching.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

namespace vigil::video {

Result<LabelledTransitions> ReadLabelledTransitions(const std::string& json_path) {
  std::ifstream in(json_path);
  if (!in) return NotFoundError("cannot read " + json_path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("transitions") || !j["transitions"].is_array()) {
    return InvalidArgumentError(json_path + ": expected an object with a \"transitions\" array");
  }
  LabelledTransitions out;
  auto read_spans = [&](const char* key, std::vector<TimeSpan>* spans) -> Status {
    if (!j.contains(key)) return Status::Ok();
    for (const nlohmann::json& t : j[key]) {
      if (!t.is_object() || !t.contains("start") || !t.contains("end") || !t["start"].is_number() ||
          !t["end"].is_number() || t["end"].get<double>() < t["start"].get<double>()) {
        return InvalidArgumentError(json_path + ": each entry of " + key + " needs numbers start <= end");
      }
      spans->push_back({t["start"].get<double>(), t["end"].get<double>()});
    }
    return Status::Ok();
  };
  VIGIL_RETURN_IF_ERROR(read_spans("transitions", &out.transitions));
  VIGIL_RETURN_IF_ERROR(read_spans("ambiguous", &out.ambiguous));
  if (j.contains("tolerance_s") && j["tolerance_s"].is_number()) out.tolerance_s = j["tolerance_s"].get<double>();
  return out;
}

TransitionScore ScoreTransitions(const LabelledTransitions& truth, const std::vector<double>& detections) {
  TransitionScore score;
  score.transitions = static_cast<int>(truth.transitions.size());
  std::vector<double> kept;
  for (double t : detections) {
    const bool ambiguous = std::any_of(truth.ambiguous.begin(), truth.ambiguous.end(),
                                       [&](const TimeSpan& a) { return t >= a.start_s && t <= a.end_s; });
    const bool inside_transition = std::any_of(truth.transitions.begin(), truth.transitions.end(), [&](const TimeSpan& s) {
      return t >= s.start_s - truth.tolerance_s && t <= s.end_s + truth.tolerance_s;
    });
    if (!ambiguous || inside_transition) kept.push_back(t);
  }
  score.detections = static_cast<int>(kept.size());
  // All (detection, transition) pairs within tolerance, matched greedily by distance to the span.
  struct Pair { double distance; int d, t; };
  std::vector<Pair> pairs;
  for (int d = 0; d < static_cast<int>(kept.size()); ++d) {
    for (int t = 0; t < score.transitions; ++t) {
      const TimeSpan& s = truth.transitions[t];
      const double dist = kept[d] < s.start_s ? s.start_s - kept[d] : kept[d] > s.end_s ? kept[d] - s.end_s : 0.0;
      if (dist <= truth.tolerance_s) pairs.push_back({dist, d, t});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    return a.distance != b.distance ? a.distance < b.distance : (a.t != b.t ? a.t < b.t : a.d < b.d);
  });
  std::vector<bool> used_d(kept.size(), false), used_t(truth.transitions.size(), false);
  for (const Pair& p : pairs) {
    if (used_d[p.d] || used_t[p.t]) continue;
    used_d[p.d] = used_t[p.t] = true;
    ++score.matched;
  }
  for (size_t d = 0; d < kept.size(); ++d) if (!used_d[d]) score.false_positives.push_back(kept[d]);
  for (size_t t = 0; t < used_t.size(); ++t) if (!used_t[t]) score.missed.push_back(static_cast<int>(t));
  score.recall = score.transitions ? static_cast<double>(score.matched) / score.transitions : 0;
  score.precision = score.detections ? static_cast<double>(score.matched) / score.detections : 0;
  return score;
}

}  // namespace vigil::video
