// ShotDetector: per-frame features (HSV histogram, luma, edges) on 64x48 copies, a frame-to-frame
// score for cuts, a score against the frame span_ frames back for gradual transitions, and adaptive
// (local mean/std) or fixed-threshold decisions.
#include "video/shot_detector.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vigil::video {
namespace {

constexpr int kHueBins = 8, kSatBins = 4, kValBins = 4;
constexpr int kHistBins = kHueBins * kSatBins * kValBins;
constexpr int kPixels = kAnalysisWidth * kAnalysisHeight;
// Feature layout: [hist (kHistBins)] [luma (kPixels)] [edge (kPixels)].
constexpr int kLumaOffset = kHistBins;
constexpr int kEdgeOffset = kHistBins + kPixels;

std::vector<float> ComputeFeatures(const Image& img) {
  std::vector<float> f(kHistBins + 2 * kPixels, 0.f);
  const int n = std::min(kPixels, img.width * img.height);
  for (int i = 0; i < n; ++i) {
    const float r = img.pixels[i * 3] / 255.f, g = img.pixels[i * 3 + 1] / 255.f, b = img.pixels[i * 3 + 2] / 255.f;
    const float mx = std::max({r, g, b}), mn = std::min({r, g, b}), d = mx - mn;
    float h = 0;
    if (d > 1e-6f) {
      if (mx == r) h = std::fmod((g - b) / d + 6.f, 6.f);
      else if (mx == g) h = (b - r) / d + 2.f;
      else h = (r - g) / d + 4.f;
      h /= 6.f;
    }
    const float s = mx > 1e-6f ? d / mx : 0.f;
    const int hb = std::min(kHueBins - 1, static_cast<int>(h * kHueBins));
    const int sb = std::min(kSatBins - 1, static_cast<int>(s * kSatBins));
    const int vb = std::min(kValBins - 1, static_cast<int>(mx * kValBins));
    f[(hb * kSatBins + sb) * kValBins + vb] += 1.f / n;
    f[kLumaOffset + i] = 0.299f * r + 0.587f * g + 0.114f * b;
  }
  // Edges: Sobel magnitude on luma, binarised.
  const float* y = f.data() + kLumaOffset;
  for (int row = 1; row + 1 < kAnalysisHeight; ++row) {
    for (int col = 1; col + 1 < kAnalysisWidth; ++col) {
      auto at = [&](int dr, int dc) { return y[(row + dr) * kAnalysisWidth + col + dc]; };
      const float gx = at(-1, 1) + 2 * at(0, 1) + at(1, 1) - at(-1, -1) - 2 * at(0, -1) - at(1, -1);
      const float gy = at(1, -1) + 2 * at(1, 0) + at(1, 1) - at(-1, -1) - 2 * at(-1, 0) - at(-1, 1);
      f[kEdgeOffset + row * kAnalysisWidth + col] = std::sqrt(gx * gx + gy * gy) > 0.5f ? 1.f : 0.f;
    }
  }
  return f;
}

// Content distance in 0..1: histogram L1/2, mean absolute luma difference (x4, capped) and the
// share of edge pixels that changed.
double Distance(const std::vector<float>& a, const std::vector<float>& b) {
  double hist = 0;
  for (int i = 0; i < kHistBins; ++i) hist += std::fabs(a[i] - b[i]);
  hist *= 0.5;
  double luma = 0;
  for (int i = 0; i < kPixels; ++i) luma += std::fabs(a[kLumaOffset + i] - b[kLumaOffset + i]);
  luma = std::min(1.0, 4.0 * luma / kPixels);
  double changed = 0, total = 0;
  for (int i = 0; i < kPixels; ++i) {
    const float ea = a[kEdgeOffset + i], eb = b[kEdgeOffset + i];
    changed += ea != eb ? 1 : 0;
    total += (ea > 0 || eb > 0) ? 1 : 0;
  }
  const double edges = total > 0 ? changed / total : 0;
  return 0.4 * hist + 0.4 * luma + 0.2 * edges;
}

}  // namespace

ShotDetector::ShotDetector(const ShotDetectorOptions& options, double fps) : options_(options), fps_(fps) {
  span_ = std::max(2, static_cast<int>(std::lround(0.5 * fps_)));
  window_ = std::max(4, static_cast<int>(std::lround(1.0 * fps_)));
  lookahead_ = window_ + span_;
}

double ShotDetector::AddFrame(int64_t index, double time_s, const Image& small) {
  std::vector<float> f = ComputeFeatures(small);
  Entry e{index, time_s, 0, 0};
  if (!history_.empty()) e.cut_score = Distance(f, history_.back());
  if (static_cast<int>(history_.size()) >= span_) e.wide_score = Distance(f, history_[history_.size() - span_]);
  history_.push_back(std::move(f));
  while (static_cast<int>(history_.size()) > span_) history_.pop_front();
  entries_.push_back(e);
  while (decided_ + lookahead_ < entries_.size()) Decide(decided_++);
  return e.cut_score;
}

void ShotDetector::Finish() {
  if (finished_) return;
  finished_ = true;
  while (decided_ < entries_.size()) Decide(decided_++);
}

void ShotDetector::Decide(size_t i) {
  if (i == 0) return;
  const Entry& e = entries_[i];
  const double min_gap = options_.min_shot_s;
  const bool too_close = !all_.empty() && e.time_s - all_.back().time_s < min_gap;
  bool cut = false;
  if (options_.threshold > 0) {
    cut = e.cut_score >= options_.threshold;
  } else {
    // Adaptive: the score must stand out from its neighbours (excluding the frame itself).
    const size_t lo = i > static_cast<size_t>(window_) ? i - window_ : 1;
    const size_t hi = std::min(entries_.size() - 1, i + window_);
    double sum = 0, sq = 0, peak = 0;
    int n = 0;
    for (size_t j = lo; j <= hi; ++j) {
      if (j == i) continue;
      sum += entries_[j].cut_score;
      sq += entries_[j].cut_score * entries_[j].cut_score;
      peak = std::max(peak, entries_[j].cut_score);
      ++n;
    }
    const double mean = n ? sum / n : 0;
    const double sd = n ? std::sqrt(std::max(0.0, sq / n - mean * mean)) : 0;
    cut = e.cut_score > 0.08 && e.cut_score > mean + 4 * sd + 0.02 && e.cut_score >= peak;
  }
  if (cut && !too_close) {
    ShotBoundary b{e.frame, e.time_s, e.cut_score, false};
    all_.push_back(b);
    fresh_.push_back(b);
  }
}

std::vector<ShotBoundary> ShotDetector::TakeBoundaries() {
  std::vector<ShotBoundary> out;
  out.swap(fresh_);
  return out;
}

std::vector<Shot> ShotDetector::Shots(double end_time_s, int64_t last_frame) const {
  std::vector<Shot> shots;
  if (entries_.empty()) return shots;
  Shot current{entries_.front().time_s, end_time_s, entries_.front().frame, last_frame};
  for (const ShotBoundary& b : all_) {
    current.end_s = b.time_s;
    current.last_frame = b.frame - 1;
    shots.push_back(current);
    current = Shot{b.time_s, end_time_s, b.frame, last_frame};
  }
  shots.push_back(current);
  return shots;
}

}  // namespace vigil::video
