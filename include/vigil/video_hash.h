// Video hashing and matching (the vPDQ idea): PDQ hashes of frames sampled at an interval, runs of
// near-identical consecutive frames collapsed into one hash that covers the run's time range,
// low-quality frames dropped; a query video's frame hashes matched against banks whose entries
// are frames of known videos (each entry with the time range it covers in its original), reported
// per known video as matched time ranges in the query and in the original, with the share of
// frames that matched on each side.
// Thread-safety: HashVideoFile and MatchVideo are thread-safe (no shared state; the matcher is
// immutable). A video's frames go into a bank as ordinary entries (VideoBankEntries).
//
//   VIGIL_ASSIGN_OR_RETURN(vigil::VideoHash known, vigil::HashVideoFile("original.mp4"));
//   VIGIL_RETURN_IF_ERROR(store->AddEntries("videos", vigil::VideoBankEntries(known, "vid-17", "terror", "list")).status());
//   VIGIL_ASSIGN_OR_RETURN(auto matcher, vigil::PdqMatcher::Create(*store));
//   VIGIL_ASSIGN_OR_RETURN(vigil::VideoHash upload, vigil::HashVideoFile("upload.mp4"));
//   for (const vigil::VideoMatch& m : vigil::MatchVideo(*matcher, upload))
//     ...;  // m.external_id "vid-17", m.query_ranges {{0, 6.0}}, m.original_ranges {{4.0, 10.0}}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/hash_bank.h"
#include "vigil/hashing.h"
#include "vigil/status.h"
#include "vigil/video.h"

namespace vigil {

struct VideoHashOptions {
  // Seconds between sampled frames; 0 = every frame. A query needs about one frame per second;
  // the known videos of a bank should hold every frame (deduplicated), so a query sampled at any
  // phase finds frames within a few bits (one second apart, frames of a moving scene differ by far
  // more than the threshold).
  double interval_s = 1.0;
  // A frame within this Hamming distance of the previous kept frame extends that frame's run
  // instead of starting a new one (0 = only identical hashes collapse; -1 = keep every frame).
  int dedupe_distance = 8;
  // Frames of lower quality are dropped (featureless: black, fades, flat titles).
  int quality_floor = kPdqQualityFloor;
  // Stop after this many sampled frames (0 = no cap beyond reader.sampler_limits).
  int max_frames = 0;
  // Limits, budget and cancel flag of the reader (its sampler and output size are set here).
  VideoReaderOptions reader;
};

// One kept hash: the frame at start_s, standing for every sampled frame until end_s.
struct VideoFrameHash {
  int64_t frame_index = 0;  // VideoFrame::index of the frame hashed
  double start_s = 0;       // its timestamp
  double end_s = 0;         // the next kept frame's timestamp, or the video's end
  int frames = 1;           // sampled frames this hash stands for (1 + those collapsed into it)
  PdqHash hash;
  int quality = 0;
};

struct VideoHash {
  VideoInfo info;
  std::vector<VideoFrameHash> frames;  // in time order
  int64_t sampled_frames = 0;          // frames hashed, before dedupe and the quality floor
  int64_t low_quality_frames = 0;      // dropped below quality_floor
};

// Samples `path` every interval_s, hashes each frame (scaled to 512x512 by the reader: the C++
// reference's resize), collapses runs and drops low-quality frames. Errors: those of VideoReader
// (kNotFound, kUnsupported, kResourceExhausted, kDeadlineExceeded, ...), kInvalidArgument for
// bad options.
Result<VideoHash> HashVideoFile(const std::string& path, const VideoHashOptions& options = {});

// A video's kept hashes as bank entries (one per kept frame; all with `external_id`, `category`
// and `source`; the entry's time range is the frame's).
std::vector<BankEntry> VideoBankEntries(const VideoHash& video, const std::string& external_id,
                                        const std::string& category, const std::string& source);

struct TimeRange {
  double start_s = 0;
  double end_s = 0;
};

struct VideoMatchOptions {
  // Ranges closer than this are merged into one (default: a little over one sampling interval).
  double merge_gap_s = 1.5;
  // A known video is reported when the matched share of the query's hashes (by frames they stand
  // for) is at least min_query_share, or the matched share of the original's entries is at least
  // min_original_share; 0 for both reports any match.
  double min_query_share = 0.0;
  double min_original_share = 0.0;
};

// One known video (bank + external_id) that the query matches.
struct VideoMatch {
  std::string bank;
  std::string external_id;
  std::string category;
  std::string source;
  std::vector<TimeRange> query_ranges;     // where in the query the known video appears, merged
  std::vector<TimeRange> original_ranges;  // which parts of the original appear, merged
  double query_share = 0;     // sampled query frames (of quality) that matched / all of them
  double original_share = 0;  // share of the original's length the original_ranges cover (a
                              // still image: its entries matched / its entries)
  int best_distance = 0;      // smallest distance of any matched pair
  int matched_hashes = 0;     // query hashes with at least one match in this video
};

// Matches every kept query hash against `matcher` (each bank's threshold and quality floor; no
// dihedral transforms) and groups the hits by known video; entries without a time range (still
// images) are reported with empty original_ranges. Sorted by query_share, then original_share,
// descending.
std::vector<VideoMatch> MatchVideo(const PdqMatcher& matcher, const VideoHash& query,
                                   const VideoMatchOptions& options = {});

}  // namespace vigil
