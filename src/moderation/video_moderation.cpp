// Moderator::ModerateVideo: sampled frames (decoded once, scaled to cover every model's input) in
// batches through the same per-image category scoring as images; per category, runs of frames at
// or above review_at become time segments; the video's outcome is its worst segment's. With
// stop_early, decoding stops at the first blocking frame (nothing can raise the outcome further).
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "moderation/moderator_impl.h"
#include "vigil/text_checks.h"
#include "vigil/video.h"

namespace vigil {
namespace {

Result<std::string> Sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return InternalError("SHA-256 unavailable");
  }
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), size_t(in.gcount()));
  }
  if (in.bad()) return DataLossError("read error in " + path);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  return moderation::HexString(digest, length);
}

// Per category: the open segment, if any.
struct OpenSegment {
  bool open = false;
  DecisionSegment segment;
  double last_time_s = 0;
};

std::string Seconds(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", t);
  return buf;
}

}  // namespace

Result<Decision> Moderator::ModerateVideo(const std::string& path, const VideoModerationOptions& options,
                                          const std::function<bool()>& cancelled) const {
  const auto start = std::chrono::steady_clock::now();
  VIGIL_RETURN_IF_ERROR(CheckText(path, "video path"));
  if (options.batch < 1 || options.batch > 256) return InvalidArgumentError("video moderation: batch must be 1..256");
  if (!(options.max_gap_s >= 0)) return InvalidArgumentError("video moderation: max_gap_s must be >= 0");
  VideoReaderOptions ro;
  VIGIL_ASSIGN_OR_RETURN(ro.sampler, ParseSampler(options.sample));
  // Frames scaled straight to the smallest size covering every model's input, aspect kept.
  {
    VIGIL_ASSIGN_OR_RETURN(auto probe, VideoReader::Open(path, ro));
    const VideoInfo& info = probe->info();
    const int need_w = std::max(1, impl_->decode.min_width), need_h = std::max(1, impl_->decode.min_height);
    if (info.width > 0 && info.height > 0 && (info.width > need_w || info.height > need_h)) {
      if (double(info.width) / info.height >= double(need_w) / need_h) {
        ro.out_height = std::min(info.height, need_h);  // width follows the aspect and covers need_w
      } else {
        ro.out_width = std::min(info.width, need_w);
      }
    }
  }
  VIGIL_ASSIGN_OR_RETURN(std::string sha, Sha256OfFile(path));
  VIGIL_ASSIGN_OR_RETURN(auto reader, VideoReader::Open(path, ro));

  const Policy& policy = impl_->options.policy;
  const size_t n_cat = policy.categories.size();
  Decision d;
  d.media_type = "video";
  d.content_sha256 = sha;
  d.duration_s = reader->info().duration_s;
  std::vector<bool> seen(n_cat, false);
  d.categories.resize(n_cat);
  std::vector<OpenSegment> open(n_cat);
  bool blocked = false;

  auto close = [&](size_t c) {
    if (!open[c].open) return;
    d.segments.push_back(std::move(open[c].segment));
    open[c] = OpenSegment{};
  };
  auto consume = [&](const std::vector<double>& times, const std::vector<std::vector<CategoryResult>>& results) {
    for (size_t k = 0; k < times.size(); ++k) {
      const double t = times[k];
      for (size_t c = 0; c < n_cat; ++c) {
        const CategoryResult& r = results[k][c];
        // The worst frame per category (outcome, then score) stands for the category.
        CategoryResult& worst = d.categories[c];
        const double s = std::isnan(r.score) ? 2.0 : r.score;  // a failed model outranks any score
        const double ws = std::isnan(worst.score) ? 2.0 : worst.score;
        if (!seen[c] || r.outcome > worst.outcome || (r.outcome == worst.outcome && s > ws)) {
          worst = r;
          worst.reason = "at " + Seconds(t) + ": " + r.reason;
          seen[c] = true;
        }
        if (r.outcome == Outcome::kAllow) {
          close(c);
          continue;
        }
        if (d.earliest_violation_s < 0) d.earliest_violation_s = t;
        if (r.outcome == Outcome::kBlock) blocked = true;
        if (open[c].open && t - open[c].last_time_s > options.max_gap_s) close(c);
        OpenSegment& o = open[c];
        if (!o.open) {
          o.open = true;
          o.segment.category = policy.categories[c].name;
          o.segment.start_s = t;
          o.segment.outcome = r.outcome;
          o.segment.peak_score = -1;
        }
        o.last_time_s = t;
        o.segment.end_s = t;
        o.segment.outcome = std::max(o.segment.outcome, r.outcome);
        if (s > o.segment.peak_score) {
          o.segment.peak_score = s > 1 ? r.score : s;
          o.segment.evidence_time_s = t;
          o.segment.evidence = r.evidence;
        }
      }
    }
  };

  std::vector<Image> batch;
  std::vector<double> times;
  std::vector<int> widths, heights;
  const int full_w = reader->info().width, full_h = reader->info().height;
  auto flush = [&] {
    if (batch.empty()) return;
    std::vector<std::vector<CategoryResult>> r = impl_->ScoreImages(batch, widths, heights);
    d.frames_scored += int(batch.size());
    consume(times, r);
    batch.clear();
    times.clear();
    widths.clear();
    heights.clear();
  };
  VideoFrame frame;
  while (true) {
    if (cancelled && cancelled()) return UnavailableError("video moderation cancelled");
    if (options.stop_early && blocked) {
      d.stopped_early = true;
      break;
    }
    VIGIL_ASSIGN_OR_RETURN(bool more, reader->Next(&frame));
    if (!more) break;
    times.push_back(frame.timestamp_s);
    // Boxes are reported in the video's display pixels.
    widths.push_back(full_w > 0 ? full_w : frame.image.width);
    heights.push_back(full_h > 0 ? full_h : frame.image.height);
    batch.push_back(std::move(frame.image));
    if (int(batch.size()) >= options.batch) flush();
  }
  if (!d.stopped_early) flush();
  for (size_t c = 0; c < n_cat; ++c) close(c);
  std::stable_sort(d.segments.begin(), d.segments.end(),
                   [](const DecisionSegment& a, const DecisionSegment& b) { return a.start_s < b.start_s; });
  if (d.frames_scored == 0) return DataLossError("video moderation: no frame could be sampled from " + path);
  for (size_t c = 0; c < n_cat; ++c) {
    if (!seen[c]) d.categories[c] = DecideCategory(policy.categories[c], 0);
  }
  moderation::FinishDecision(policy, impl_->versions, &d);
  d.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return d;
}

}  // namespace vigil
