// Scoring detected shot boundaries against hand-labelled transitions (time spans): one-to-one
// matching with a tolerance, detections inside "ambiguous" spans ignored. Used by the scene-quality
// test and the video benchmark.
#pragma once

#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil::video {

struct TimeSpan {
  double start_s = 0;
  double end_s = 0;
};

struct LabelledTransitions {
  std::vector<TimeSpan> transitions;
  std::vector<TimeSpan> ambiguous;  // detections here count neither as right nor as wrong
  double tolerance_s = 0.2;
};

struct TransitionScore {
  int transitions = 0;        // labelled transitions
  int detections = 0;         // detections outside ambiguous spans
  int matched = 0;            // one-to-one matches
  double recall = 0;          // matched / transitions
  double precision = 0;       // matched / detections
  std::vector<double> false_positives;  // detection times that matched nothing
  std::vector<int> missed;              // indices of unmatched transitions
};

// Reads {"tolerance_s": .., "transitions": [{"start": s, "end": e}, ..], "ambiguous": [..]}.
Result<LabelledTransitions> ReadLabelledTransitions(const std::string& json_path);
// A detection at time t matches transition i when start_i - tol <= t <= end_i + tol; each
// transition and each detection is matched at most once (nearest first).
TransitionScore ScoreTransitions(const LabelledTransitions& truth, const std::vector<double>& detections);

}  // namespace vigil::video
