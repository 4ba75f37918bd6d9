// Video: open a file with FFmpeg's libraries, sample frames (key frames, fixed interval, scene
// changes, or all), get them as RGB images at the size a model needs, and find shot boundaries.
// Thread-safety: a VideoReader is used by one thread at a time (different readers may run in
// parallel on different threads); ParseSampler is thread-safe.
//
//   vigil::VideoReaderOptions opts;
//   VIGIL_ASSIGN_OR_RETURN(opts.sampler, vigil::ParseSampler("interval:1"));
//   opts.out_width = opts.out_height = 224;     // scaled straight to the model size
//   opts.time_budget_s = 30;                     // give up on this file after 30 s
//   VIGIL_ASSIGN_OR_RETURN(auto reader, vigil::VideoReader::Open("clip.mp4", opts));
//   vigil::VideoFrame frame;
//   while (true) {
//     VIGIL_ASSIGN_OR_RETURN(bool more, reader->Next(&frame));
//     if (!more) break;
//     Use(frame.timestamp_s, frame.image);
//   }
//   for (const vigil::Shot& s : reader->shots()) ...   // when sampler is scene or detect_shots
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vigil/image.h"
#include "vigil/status.h"

namespace vigil {

enum class SamplerKind {
  kKeyframes,  // key frames, at most one per keyframe_min_gap_s (frames not returned are not decoded
               // when the codec allows it)
  kInterval,   // the frame nearest each multiple of interval_s (seeks or drops unneeded frames)
  kScene,      // the first frame of each shot found by the content-change detector
  kAll,        // every frame
};

struct SamplerSpec {
  SamplerKind kind = SamplerKind::kKeyframes;
  double interval_s = 1.0;       // kInterval: seconds between requested times (> 0)
  // kKeyframes: key frames denser than this (all-intra codecs such as MJPEG, ProRes, image
  // sequences: every frame is a key frame) are thinned to at most one per keyframe_min_gap_s
  // seconds; a key frame is kept when it is at least this long (less half a frame) after the last
  // kept one. 0 = every key frame.
  double keyframe_min_gap_s = 1.0;
  double scene_threshold = 0.0;  // kScene: fixed score threshold in (0, 1]; 0 = adaptive detector
  int max_frames = 0;            // stop after this many output frames; 0 = unlimited
};

// Parses "keyframes" (at most one key frame per second), "keyframes:MIN_GAP_SECONDS" (0 = every key
// frame), "interval:SECONDS", "scene", "scene:THRESHOLD" or "all" (max_frames = 0).
// Errors: kInvalidArgument with the accepted forms in the message.
Result<SamplerSpec> ParseSampler(const std::string& text);
// The canonical text of a spec, e.g. "interval:1.5", "keyframes:0" (inverse of ParseSampler).
std::string SamplerToString(const SamplerSpec& spec);

// Operator limits on sampling, so one request cannot ask for unbounded work (interval:1e-300).
struct SamplerLimits {
  // Shortest accepted interval of the interval sampler, in seconds (100 frames per second); "all"
  // samples every frame. A shorter interval is refused with kInvalidArgument.
  double min_interval_s = 0.01;
  // Most frames sampled from one video; 0 = no cap. The interval sampler is refused up front
  // (kInvalidArgument) when the declared duration / interval exceeds it; any sampler stops there
  // (the stream ends normally, with a note) when it is reached.
  int64_t max_sampled_frames = 100000;
};

// kInvalidArgument when `spec` breaks `limits` (interval shorter than min_interval_s) or the limits
// themselves are out of range; the message names the limit.
Status CheckSamplerLimits(const SamplerSpec& spec, const SamplerLimits& limits);

struct VideoInfo {
  std::string container;             // FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;                 // decoder name, e.g. "h264", "theora"
  int width = 0;                     // display size after rotation
  int height = 0;
  double duration_s = 0;             // 0 when unknown
  double fps = 0;                    // average frame rate, 0 when unknown
  int rotation_deg = 0;              // clockwise rotation applied to frames: 0, 90, 180 or 270
  int64_t frame_count_estimate = 0;  // from the stream header or duration * fps; 0 when unknown
  bool has_audio = false;
};

struct VideoFrame {
  int64_t index = 0;         // index in presentation order: the decoder's count when every frame is
                             // decoded (all, scene, detect_shots), else round(timestamp_s * fps)
  double timestamp_s = 0;    // presentation time, seconds from the start of the stream
  bool key_frame = false;    // the decoder marked this frame as a key (intra) frame
  double scene_score = 0;    // scene sampler: the boundary's detector score; all with detect_shots: change
                             // vs the previous frame, 0..1; otherwise 0
  Image image;               // RGB8, rotation applied, scaled as requested
};

struct Shot {
  double start_s = 0;       // timestamp of the shot's first frame
  double end_s = 0;         // timestamp of its last frame plus one frame duration
  int64_t first_frame = 0;  // decoded-frame indices (VideoFrame::index), inclusive
  int64_t last_frame = 0;
};

// Shot-detector options (used by the scene sampler and by detect_shots).
struct ShotDetectorOptions {
  // Fixed threshold on the per-frame score (0..1; the scene sampler's scene_threshold overrides it
  // when non-zero); 0 = adaptive: a frame is a cut when its score
  // stands out from the local mean/std of its neighbours, and a gradual transition (dissolve, fade)
  // when the change over a window of frames stands out likewise.
  double threshold = 0.0;
  // Minimum shot length in seconds (boundaries closer than this to the previous one are merged).
  double min_shot_s = 0.6;
};

struct VideoReaderOptions {
  SamplerSpec sampler;
  // Output size. 0,0 = native display size (after rotation). Otherwise each frame is scaled by
  // swscale straight from the decoded picture to this size (only frames that are returned).
  int out_width = 0;
  int out_height = 0;
  // When true, keep the aspect ratio: the frame is scaled to fit inside out_width x out_height (one
  // side may be smaller); a 0 side is derived from the other. When false, stretch to the exact size.
  bool keep_aspect = false;
  // FFmpeg decoding threads (frame and slice threading); 0 = min(2, hardware threads).
  int decode_threads = 0;
  // Wall-clock budget for the whole file (open + every Next call); 0 = none. When exceeded, I/O is
  // interrupted and Next returns kDeadlineExceeded.
  double time_budget_s = 0;
  // Streams whose declared width * height exceeds this are refused at Open (kResourceExhausted).
  int64_t max_pixels = 8192LL * 8192;
  // Largest accepted width or height (declared), checked at Open.
  int max_dimension = 16384;
  // Files larger than this are refused at Open (kResourceExhausted).
  int64_t max_file_bytes = 4LL << 30;
  // Files declaring a longer duration are refused at Open; 0 = no limit.
  double max_duration_s = 6 * 3600.0;
  // Stop decoding after this many decoded frames (a cap on work, independent of the sampler);
  // 0 = no limit. Reaching it ends the stream normally and adds a note.
  int64_t max_decoded_frames = 0;
  // Minimum sampling interval and cap on sampled frames (see SamplerLimits), checked at Open.
  SamplerLimits sampler_limits;
  // When set and it becomes true, decoding stops within one packet or frame (also inside FFmpeg's
  // I/O, through AVIOInterruptCB): Open/Next return kUnavailable "cancelled". Must outlive the reader.
  const std::atomic<bool>* cancel = nullptr;
  // Also run the shot detector (on a small internal copy of every frame) while sampling. Implied by
  // the scene sampler. Forces every frame to be decoded.
  bool detect_shots = false;
  ShotDetectorOptions shot_detector;
};

class VideoReader {
 public:
  // Opens the file, finds the best video stream, checks limits and prepares the decoder.
  // Errors: kNotFound (missing file), kInvalidArgument (bad options, sampler limits, empty file,
  // an interval sampler asking for more than max_sampled_frames), kUnsupported (not
  // a video FFmpeg can read, no video stream, audio only), kResourceExhausted (limits), kDataLoss
  // (corrupt header), kDeadlineExceeded (budget spent while opening).
  static Result<std::unique_ptr<VideoReader>> Open(const std::string& path,
                                                   const VideoReaderOptions& options);
  virtual ~VideoReader() = default;

  virtual const VideoInfo& info() const = 0;
  // Next sampled frame; returns false at the end of the stream (or after sampler.max_frames).
  // Errors: kDeadlineExceeded (budget), kUnavailable (options.cancel set), kDataLoss (stream
  // unreadable from the start; damage later in the stream is skipped and counted in notes()).
  virtual Result<bool> Next(VideoFrame* frame) = 0;
  // Human-readable notes, e.g. "theora: key-frame skipping unavailable, decoded every frame".
  virtual const std::vector<std::string>& notes() const = 0;
  // Shot boundaries found so far (complete after Next() returned false) when the sampler is kScene
  // or options.detect_shots is true; empty otherwise.
  virtual const std::vector<Shot>& shots() const = 0;
  // Number of frames the decoder produced so far (for statistics and benchmarks).
  virtual int64_t decoded_frames() const = 0;
};

}  // namespace vigil
