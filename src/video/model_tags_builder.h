// Internal to src/video: turns one model's per-frame results into ModelTags (smoothing, video-level
// labels, segments, first crossings, per-shot labels) with the aggregation library.
// Thread-safety: stateless.
#pragma once

#include <vector>

#include "vigil/video_tagger.h"

namespace vigil::video {

// `tags` arrives with model, version, kind, label_names and frames filled in; the rest is
// computed. end_s = end of the analysed time range.
void BuildModelTags(const VideoTaggerOptions& options, const std::vector<Shot>& shots, double end_s,
                    ModelTags* tags);

}  // namespace vigil::video
