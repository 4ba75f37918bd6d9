// ShotDetector: content-change scores on small frame copies and shot boundaries from them (hard
// cuts, and gradual transitions such as dissolves and fades). No FFmpeg here: frames arrive as small
// RGB images from the reader.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "vigil/image.h"
#include "vigil/video.h"

namespace vigil::video {

// Size of the analysis copies the reader gives the detector.
constexpr int kAnalysisWidth = 64;
constexpr int kAnalysisHeight = 48;

struct ShotBoundary {
  int64_t frame = 0;     // first frame of the new shot (VideoFrame::index)
  double time_s = 0;     // its timestamp
  double score = 0;      // detector score that triggered it
  bool gradual = false;  // dissolve / fade rather than a hard cut
};

class ShotDetector {
 public:
  ShotDetector(const ShotDetectorOptions& options, double fps);

  // Feeds the next frame in presentation order; returns its change score vs the previous frame (0..1).
  double AddFrame(int64_t index, double time_s, const Image& small);
  // End of stream: decides the frames still in the look-ahead window.
  void Finish();
  // Boundaries decided since the last call, in order.
  std::vector<ShotBoundary> TakeBoundaries();
  // How many of the most recent frames may still become a boundary (callers keep that many).
  int lookahead() const { return lookahead_; }
  // Shots from all boundaries so far; the last one ends at end_time_s / last_frame.
  std::vector<Shot> Shots(double end_time_s, int64_t last_frame) const;

 private:
  struct Features;
  struct Entry {
    int64_t frame;
    double time_s;
    double cut_score;   // vs previous frame
    double wide_score;  // vs the frame `span_` frames earlier
  };
  void Decide(size_t i);

  ShotDetectorOptions options_;
  double fps_;
  int span_;       // frames between the two frames of the wide (gradual) score
  int lookahead_;  // frames kept before deciding
  int window_;     // half-width of the local statistics window
  std::deque<std::vector<float>> history_;  // features of the last span_+1 frames
  std::vector<Entry> entries_;              // every frame's scores
  size_t decided_ = 0;                      // entries_[0, decided_) are decided
  std::vector<ShotBoundary> all_, fresh_;
  bool finished_ = false;
};

}  // namespace vigil::video
