// Video hashing and matching (include/vigil/video_hash.h): frames sampled at an interval by
// VideoReader (scaled by swscale to 512x512, the size the C++ reference hashes large images at),
// PDQ per frame, runs of near-identical hashes collapsed, low-quality frames dropped; matching
// groups each query hash's bank hits by (bank, external_id) and merges the time ranges.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "vigil/video_hash.h"

namespace vigil {
namespace {

constexpr int kFrameSide = 512;

double FrameSeconds(const VideoInfo& info) { return info.fps > 0 ? 1.0 / info.fps : 0.04; }

std::vector<TimeRange> Merge(std::vector<TimeRange> ranges, double gap) {
  std::sort(ranges.begin(), ranges.end(),
            [](const TimeRange& a, const TimeRange& b) { return a.start_s < b.start_s; });
  std::vector<TimeRange> out;
  for (const TimeRange& r : ranges) {
    if (!out.empty() && r.start_s <= out.back().end_s + gap) {
      out.back().end_s = std::max(out.back().end_s, r.end_s);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace

Result<VideoHash> HashVideoFile(const std::string& path, const VideoHashOptions& options) {
  if (!(options.interval_s >= 0)) return InvalidArgumentError("video hash: interval_s must be >= 0");
  if (options.dedupe_distance < -1 || options.dedupe_distance > 256) {
    return InvalidArgumentError("video hash: dedupe_distance must be in -1..256");
  }
  if (options.quality_floor < 0 || options.quality_floor > 100) {
    return InvalidArgumentError("video hash: quality_floor must be in 0..100");
  }
  VideoReaderOptions reader_options = options.reader;
  reader_options.sampler = SamplerSpec{};
  if (options.interval_s > 0) {
    reader_options.sampler.kind = SamplerKind::kInterval;
    reader_options.sampler.interval_s = options.interval_s;
  } else {
    reader_options.sampler.kind = SamplerKind::kAll;
  }
  reader_options.sampler.max_frames = options.max_frames;
  reader_options.out_width = kFrameSide;
  reader_options.out_height = kFrameSide;
  reader_options.keep_aspect = false;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<VideoReader> reader, VideoReader::Open(path, reader_options));

  VideoHash out;
  out.info = reader->info();
  VideoFrame frame;
  bool last_dropped = false;  // the previous sampled frame was below the floor (ends the run)
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, reader->Next(&frame));
    if (!more) break;
    ++out.sampled_frames;
    VIGIL_ASSIGN_OR_RETURN(PdqResult h, HashImage(frame.image));
    // A run ends where the next sampled frame starts (a dropped frame ends it too).
    if (!out.frames.empty() && !last_dropped) out.frames.back().end_s = frame.timestamp_s;
    if (h.quality < options.quality_floor) {
      ++out.low_quality_frames;
      last_dropped = true;
      continue;
    }
    if (!out.frames.empty() && !last_dropped && options.dedupe_distance >= 0 &&
        out.frames.back().hash.Distance(h.hash) <= options.dedupe_distance) {
      ++out.frames.back().frames;
      last_dropped = false;
      continue;
    }
    last_dropped = false;
    VideoFrameHash kept;
    kept.frame_index = frame.index;
    kept.start_s = frame.timestamp_s;
    kept.end_s = frame.timestamp_s + (options.interval_s > 0 ? options.interval_s : FrameSeconds(out.info));
    kept.hash = h.hash;
    kept.quality = h.quality;
    out.frames.push_back(kept);
  }
  // The last run lasts until the video's end (or one interval when the duration is unknown).
  if (!out.frames.empty()) {
    VideoFrameHash& last = out.frames.back();
    const double end = out.info.duration_s > last.start_s
                           ? out.info.duration_s
                           : last.start_s + (options.interval_s > 0 ? options.interval_s : FrameSeconds(out.info));
    if (!last_dropped) last.end_s = end;
  }
  return out;
}

std::vector<BankEntry> VideoBankEntries(const VideoHash& video, const std::string& external_id,
                                        const std::string& category, const std::string& source) {
  std::vector<BankEntry> entries;
  entries.reserve(video.frames.size());
  for (const VideoFrameHash& f : video.frames) {
    BankEntry e;
    e.hash = f.hash;
    e.external_id = external_id;
    e.category = category;
    e.source = source;
    e.start_s = f.start_s;
    e.end_s = f.end_s;
    entries.push_back(std::move(e));
  }
  return entries;
}

std::vector<VideoMatch> MatchVideo(const PdqMatcher& matcher, const VideoHash& query,
                                   const VideoMatchOptions& options) {
  struct Acc {
    VideoMatch match;
    std::vector<TimeRange> query_ranges, original_ranges;
    std::set<int64_t> original_entries;
    int64_t query_frames = 0;  // sampled query frames the matched hashes stand for
  };
  std::map<std::pair<std::string, std::string>, Acc> by_video;
  int64_t query_frames = 0;
  for (const VideoFrameHash& f : query.frames) {
    query_frames += f.frames;
    std::set<std::pair<std::string, std::string>> seen;  // count this query hash once per video
    for (const BankMatch& m : matcher.Match(PdqResult{f.hash, f.quality})) {
      const auto key = std::make_pair(m.bank, m.entry.external_id);
      Acc& acc = by_video[key];
      if (acc.match.bank.empty()) {
        acc.match.bank = m.bank;
        acc.match.external_id = m.entry.external_id;
        acc.match.category = m.entry.category;
        acc.match.source = m.entry.source;
        acc.match.best_distance = m.distance;
      }
      acc.match.best_distance = std::min(acc.match.best_distance, m.distance);
      if (seen.insert(key).second) {
        ++acc.match.matched_hashes;
        acc.query_frames += f.frames;
        acc.query_ranges.push_back({f.start_s, f.end_s});
      }
      // The original's part this query hash stands for: from the matched entry on, as long as the
      // entry's run or the query hash's run, whichever is longer (the same speed on both sides).
      if (m.entry.start_s >= 0) {
        acc.original_ranges.push_back(
            {m.entry.start_s, m.entry.start_s + std::max(m.entry.end_s - m.entry.start_s, f.end_s - f.start_s)});
      }
      acc.original_entries.insert(m.entry.id);
    }
  }
  std::vector<VideoMatch> out;
  for (auto& [key, acc] : by_video) {
    VideoMatch m = std::move(acc.match);
    m.query_ranges = Merge(std::move(acc.query_ranges), options.merge_gap_s);
    m.original_ranges = Merge(std::move(acc.original_ranges), options.merge_gap_s);
    m.query_share = query_frames > 0 ? double(acc.query_frames) / double(query_frames) : 0.0;
    // A known video: the share of its length the merged ranges cover; a still image (or entries
    // without ranges): the share of its entries matched.
    const auto [span_start, span_end] = matcher.EntrySpan(key.first, key.second);
    if (span_start >= 0 && span_end > span_start && !m.original_ranges.empty()) {
      double covered = 0;
      for (const TimeRange& r : m.original_ranges) {
        covered += std::max(0.0, std::min(r.end_s, span_end) - std::max(r.start_s, span_start));
      }
      m.original_share = std::min(1.0, covered / (span_end - span_start));
    } else {
      const size_t known = matcher.CountEntries(key.first, key.second);
      m.original_share = known > 0 ? double(acc.original_entries.size()) / double(known) : 0.0;
    }
    if (m.query_share < options.min_query_share && m.original_share < options.min_original_share) continue;
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const VideoMatch& a, const VideoMatch& b) {
    return std::tie(b.query_share, b.original_share, a.bank, a.external_id) <
           std::tie(a.query_share, a.original_share, b.bank, b.external_id);
  });
  return out;
}

}  // namespace vigil
