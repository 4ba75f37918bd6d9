// ShotDetector: per-frame features (HSV histogram, 8-bit luma, edge bits) on 64x48 copies, kept in a
// ring as long as contrast computations need them, multi-scale contrast scores, and fixed or
// adaptive boundary decisions (see shot_detector.h).
#include "media/shot_detector.h"

#include <algorithm>
#include <cmath>

namespace vigil::video {
namespace {

constexpr int kPixels = kAnalysisWidth * kAnalysisHeight;
// Luma 0..1 is kept as 16-bit fixed point (8 bits changed decisions near the threshold on freecol).
constexpr float kLumaScale = 65535.f;

// Adaptive decision: a boundary's contrast must exceed this floor and mean + kSigmas * std of the
// frame-to-frame change in the surrounding window (+-kWindowSeconds).
constexpr double kFloor = 0.15;
constexpr double kSigmas = 2.0;
constexpr double kWindowSeconds = 1.0;
// Two boundaries need a dip of the contrast below kValley * the later one's contrast between them.
constexpr double kValley = 0.5;

}  // namespace

void ShotDetector::ComputeFeatures(const Image& img, Features* f) {
  f->hist.fill(0.f);
  f->edge.fill(0);
  std::array<float, kPixels> y;  // luma 0..1 (pixels past n, if any, stay 0)
  if (img.width * img.height < kPixels) y.fill(0.f);
  const int n = std::min(kPixels, img.width * img.height);
  const float share = 1.f / static_cast<float>(n);
  for (int i = 0; i < n; ++i) {
    const float r = img.pixels[i * 3] / 255.f, g = img.pixels[i * 3 + 1] / 255.f, b = img.pixels[i * 3 + 2] / 255.f;
    const float mx = std::max({r, g, b}), mn = std::min({r, g, b}), d = mx - mn;
    float h = 0;
    if (d > 1e-6f) {
      if (mx == r) {
        h = (g - b) / d;
        if (h < 0) h += 6.f;
      } else if (mx == g) {
        h = (b - r) / d + 2.f;
      } else {
        h = (r - g) / d + 4.f;
      }
      h /= 6.f;
    }
    const float s = mx > 1e-6f ? d / mx : 0.f;
    const int hb = std::min(kHueBins - 1, static_cast<int>(h * kHueBins));
    const int sb = std::min(kSatBins - 1, static_cast<int>(s * kSatBins));
    const int vb = std::min(kValBins - 1, static_cast<int>(mx * kValBins));
    f->hist[(hb * kSatBins + sb) * kValBins + vb] += share;
    y[i] = 0.299f * r + 0.587f * g + 0.114f * b;
    f->luma[i] = static_cast<uint16_t>(y[i] * kLumaScale + 0.5f);
  }
  // Edges: Sobel magnitude on luma above 0.5, i.e. squared magnitude above 0.25.
  for (int row = 1; row + 1 < kAnalysisHeight; ++row) {
    for (int col = 1; col + 1 < kAnalysisWidth; ++col) {
      auto at = [&](int dr, int dc) { return y[(row + dr) * kAnalysisWidth + col + dc]; };
      const float gx = at(-1, 1) + 2 * at(0, 1) + at(1, 1) - at(-1, -1) - 2 * at(0, -1) - at(1, -1);
      const float gy = at(1, -1) + 2 * at(1, 0) + at(1, 1) - at(-1, -1) - 2 * at(-1, 0) - at(-1, 1);
      f->edge[row * kAnalysisWidth + col] = gx * gx + gy * gy > 0.25f ? 1 : 0;
    }
  }
}

// Content distance in 0..1: histogram L1/2, mean absolute luma difference (x4, capped) and the
// share of edge pixels that changed. Integer loops, which the compiler vectorises.
double ShotDetector::Distance(const Features& a, const Features& b) {
  double hist = 0;
  for (int i = 0; i < kHistBins; ++i) hist += std::fabs(a.hist[i] - b.hist[i]);
  hist *= 0.5;
  int32_t luma_sum = 0, changed = 0, total = 0;  // luma_sum <= 3072 * 65535 < 2^31
  for (int i = 0; i < kPixels; ++i) {
    const int32_t diff = static_cast<int32_t>(a.luma[i]) - static_cast<int32_t>(b.luma[i]);
    luma_sum += diff < 0 ? -diff : diff;
  }
  for (int i = 0; i < kPixels; ++i) {
    changed += a.edge[i] ^ b.edge[i];
    total += a.edge[i] | b.edge[i];
  }
  const double luma = std::min(1.0, 4.0 * static_cast<double>(luma_sum) / (kLumaScale * kPixels));
  const double edges = total > 0 ? static_cast<double>(changed) / total : 0;
  return 0.4 * hist + 0.4 * luma + 0.2 * edges;
}

ShotDetector::ShotDetector(const ShotDetectorOptions& options, double fps)
    : options_(options), fps_(fps > 0 ? fps : 25.0) {
  scales_ = {1, std::max(2, static_cast<int>(std::lround(0.3 * fps_))),
             std::max(3, static_cast<int>(std::lround(0.6 * fps_)))};
  window_ = std::max(8, static_cast<int>(std::lround(kWindowSeconds * fps_)));
  lookahead_ = 2 * scales_.back() + window_;
  // Contrast at b reads frames b - 2k .. b + 2k - 1 and is computed once frame b + 2k - 1 arrives.
  ring_.resize(4 * scales_.back() + 4);
}

double ShotDetector::FeatureDistance(size_t a, size_t b) const {
  const size_t last = entries_.size() - 1;
  a = std::min(a, last);
  b = std::min(b, last);
  if (a == b) return 0;
  return Distance(ring_[a % ring_.size()], ring_[b % ring_.size()]);
}

double ShotDetector::AddFrame(int64_t index, double time_s, const Image& small) {
  entries_.push_back({index, time_s});
  const size_t n = entries_.size();
  ComputeFeatures(small, &ring_[(n - 1) % ring_.size()]);
  cut_.push_back(n > 1 ? FeatureDistance(n - 2, n - 1) : 0.0);
  const size_t reach = 2 * scales_.back() - 1;  // frames after b that S(b) needs
  while (computed_ + reach < n) ComputeContrast(computed_++);
  while (decided_ + window_ < computed_) Decide(decided_++);
  return cut_.back();
}

void ShotDetector::ComputeContrast(size_t b) {
  double best = 0;
  int best_k = 1;
  if (b > 0) {
    for (int k : scales_) {
      const size_t before = b >= static_cast<size_t>(k) ? b - k : 0;
      const size_t before2 = b >= static_cast<size_t>(2 * k) ? b - 2 * k : 0;
      const size_t after = b + k - 1, after2 = b + 2 * k - 1;
      const double across = FeatureDistance(before, after);
      const double side = std::max(FeatureDistance(before2, before), FeatureDistance(after, after2));
      const double s = across - side;
      if (s > best) {
        best = s;
        best_k = k;
      }
    }
  }
  contrast_.push_back(best);
  best_scale_.push_back(best_k);
}

void ShotDetector::Finish() {
  if (finished_) return;
  finished_ = true;
  while (computed_ < entries_.size()) ComputeContrast(computed_++);
  while (decided_ < computed_) Decide(decided_++);
}

void ShotDetector::Accept(size_t b, double score, bool gradual) {
  if (!all_.empty() && entries_[b].time_s - all_.back().time_s < options_.min_shot_s) return;
  ShotBoundary boundary{entries_[b].frame, entries_[b].time_s, score, gradual};
  prev_boundary_ = b;
  all_.push_back(boundary);
  fresh_.push_back(boundary);
}

void ShotDetector::Decide(size_t b) {
  if (b == 0) return;
  if (options_.threshold > 0) {
    if (cut_[b] >= options_.threshold) Accept(b, cut_[b], false);
    return;
  }
  const double s = contrast_[b];
  if (s < kFloor) return;
  const size_t k = static_cast<size_t>(scales_.back());
  const size_t last = computed_ - 1;
  // A local maximum of the contrast within +-k frames (earlier ties win).
  for (size_t j = b > k ? b - k : 1; j <= std::min(last, b + k); ++j) {
    if (j != b && (contrast_[j] > s || (contrast_[j] == s && j < b))) return;
  }
  // One hump, one boundary: the contrast must have fallen below half of s since the previous
  // boundary (a long fade-in after a steady shot makes a plateau whose noise has several maxima).
  if (!all_.empty() && prev_boundary_ < b) {
    double lowest = s;
    for (size_t j = prev_boundary_ + 1; j < b; ++j) lowest = std::min(lowest, contrast_[j]);
    if (lowest >= kValley * s) return;
  }
  // Adaptive threshold: mean + kSigmas * std of the frame-to-frame change in the surrounding window
  // (outside +-k), i.e. how much the content moves here anyway (pans, flashes, action).
  const size_t w = static_cast<size_t>(window_);
  double sum = 0, sq = 0;
  int n = 0;
  for (size_t j = b > w ? b - w : 1; j <= std::min(last, b + w); ++j) {
    if (j + k >= b && j <= b + k) continue;
    sum += cut_[j];
    sq += cut_[j] * cut_[j];
    ++n;
  }
  const double mean = n ? sum / n : 0, sd = n ? std::sqrt(std::max(0.0, sq / n - mean * mean)) : 0;
  if (s > mean + kSigmas * sd) Accept(b, s, best_scale_[b] > 1);
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
