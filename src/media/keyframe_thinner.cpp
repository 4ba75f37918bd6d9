// KeyframeThinner: at most one key frame per minimum gap (see keyframe_thinner.h).
#include "media/keyframe_thinner.h"

#include <algorithm>

namespace vigil::video {

KeyframeThinner::KeyframeThinner(double min_gap_s, double frame_duration_s)
    : min_gap_s_(std::max(0.0, min_gap_s)),
      tolerance_s_(std::min(0.5 * std::max(0.0, frame_duration_s), 0.5 * std::max(0.0, min_gap_s))) {}

bool KeyframeThinner::Keep(double t) {
  if (enabled() && any_kept_ && t < last_kept_s_ + min_gap_s_ - tolerance_s_) {
    ++dropped_;
    return false;
  }
  any_kept_ = true;
  last_kept_s_ = t;
  ++kept_;
  return true;
}

}  // namespace vigil::video
