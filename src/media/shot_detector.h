// ShotDetector: content-change scores on small frame copies and shot boundaries from them (hard
// cuts, and gradual transitions such as dissolves and fades). No FFmpeg here: frames arrive as small
// RGB images from the reader.
//
// Fixed threshold (scene:T): a boundary before frame b when d(b-1, b) >= T (d = content distance,
// 0..1, of HSV histogram, luma and edges), like ffmpeg's scene score.
// Adaptive (scene): for scales k (1 frame, ~0.3 s, ~0.6 s) the contrast
//   S_k(b) = d(b-k, b+k-1) - max(d(b-2k, b-k), d(b+k-1, b+2k-1))
// is large when the content across b differs while each side is steady (a cut at k = 1, a dissolve
// or fade of up to 2k frames at the larger k), and small for camera or object motion, which changes
// the sides as much as the middle. A boundary is a local maximum of S = max_k S_k (within the largest
// k) above a floor and above the running mean + z * std of the frame-to-frame change d(i-1, i) over
// the second around it (so busy content, such as pans, flashes and action, needs more contrast), and
// only once S has dipped below half its value since the previous boundary (a fade-in after a long
// steady shot gives a plateau of S whose noise would otherwise make a second maximum).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "vigil/image.h"
#include "vigil/video.h"

namespace vigil::video {

// Size of the analysis copies the reader gives the detector.
constexpr int kAnalysisWidth = 64;
constexpr int kAnalysisHeight = 48;
constexpr int kHueBins = 8, kSatBins = 4, kValBins = 4;
constexpr int kHistBins = kHueBins * kSatBins * kValBins;

struct ShotBoundary {
  int64_t frame = 0;     // first frame of the new shot (VideoFrame::index)
  double time_s = 0;     // its timestamp
  double score = 0;      // detector score that triggered it
  bool gradual = false;  // found at a scale above one frame (dissolve / fade)
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
  // Per-frame contrast scores so far (for tests and tuning): score[i] is S for a boundary before frame i.
  const std::vector<double>& contrast() const { return contrast_; }
  // Per-frame distance to the previous frame (0..1).
  const std::vector<double>& cut_scores() const { return cut_; }

 private:
  // One frame's features: joint HSV histogram (shares), luma and binarised Sobel edges.
  struct Features {
    std::array<float, kHistBins> hist;
    std::array<uint16_t, kAnalysisWidth * kAnalysisHeight> luma;  // 0..1 as 0..65535
    std::array<uint8_t, kAnalysisWidth * kAnalysisHeight> edge;
  };
  static void ComputeFeatures(const Image& small, Features* f);
  static double Distance(const Features& a, const Features& b);
  double FeatureDistance(size_t a, size_t b) const;  // frames by position in entries_
  void ComputeContrast(size_t b);
  void Decide(size_t b);
  void Accept(size_t b, double score, bool gradual);

  ShotDetectorOptions options_;
  double fps_;
  std::vector<int> scales_;  // k values in frames
  int lookahead_ = 0;
  int window_ = 0;  // half-width (frames) of the local statistics window

  struct Entry {
    int64_t frame;
    double time_s;
  };
  std::vector<Entry> entries_;
  std::vector<Features> ring_;  // features of frame p at ring_[p % size]: the last 4k + 4 frames
  std::vector<double> cut_;       // d(b-1, b)
  std::vector<double> contrast_;  // S(b)
  std::vector<int> best_scale_;   // argmax k of S_k(b)
  size_t computed_ = 0;           // contrast_ valid for [0, computed_)
  size_t decided_ = 0;            // boundaries decided for [0, decided_)
  std::vector<ShotBoundary> all_, fresh_;
  size_t prev_boundary_ = 0;      // position of the last accepted boundary
  bool finished_ = false;
};

}  // namespace vigil::video
