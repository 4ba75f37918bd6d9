// Key-frame thinning for the keyframes sampler: where key frames are denser than one per
// SamplerSpec::keyframe_min_gap_s (all-intra codecs such as MJPEG or ProRes, image sequences, short
// GOPs), keeps a key frame only when it comes at least the minimum gap after the last kept one, so
// the sampled times are spread about min_gap_s apart. The reader asks it about each key packet
// (dropped packets are never decoded) and again about each decoded key frame (codecs whose packets
// do not tell key frames apart: decoded, then not returned). Pure arithmetic, no FFmpeg types.
#pragma once

#include <cstdint>

namespace vigil::video {

class KeyframeThinner {
 public:
  // min_gap_s = 0 keeps every key frame. frame_duration_s: half of it is the tolerance, so that a
  // key frame every second of a 25 fps stream is not missed by timestamp rounding.
  KeyframeThinner(double min_gap_s, double frame_duration_s);

  // Whether the key frame presented at t seconds is kept; a kept one becomes the last kept.
  // Times must not decrease between kept frames (presentation order of key frames).
  bool Keep(double t);

  bool enabled() const { return min_gap_s_ > 0; }
  int64_t kept() const { return kept_; }
  int64_t dropped() const { return dropped_; }

 private:
  double min_gap_s_;
  double tolerance_s_;
  bool any_kept_ = false;
  double last_kept_s_ = 0;
  int64_t kept_ = 0;
  int64_t dropped_ = 0;
};

}  // namespace vigil::video
