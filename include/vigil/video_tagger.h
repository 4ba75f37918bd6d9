// VideoTagger: tag a video file with one or more repository models. Samples frames (VideoReader),
// decodes them straight to the model input size, runs the models on batches of frames while the
// next frames decode (a decode thread feeding a bounded queue), then aggregates the per-frame
// scores into video-level labels, per-shot labels, time segments per label and first crossings.
//
//   vigil::VideoTaggerOptions options;
//   options.common.repository = "models";         // backend, threads per session too
//   options.models = {"nsfw_mobilenet_v2"};       // also detectors and clip (N x C x T x H x W) models
//   options.sampler = "interval:1";                // see ParseSampler in vigil/video.h
//   VIGIL_ASSIGN_OR_RETURN(auto tagger, vigil::VideoTagger::Create(options));
//   VIGIL_ASSIGN_OR_RETURN(vigil::VideoTags tags, tagger->Tag("clip.mp4"));
//   // tags.models[0].labels[0] = {"Neutral", 0.93, present, first at 0.0 s}
//   std::string json = vigil::VideoTagsToJson(tags);   // what `vigil tag --json` and the server print
//
// Model kinds, from the manifest: a "classification" model gives label scores per frame; a
// "detection" model gives per-frame object tags (per class: best box score, box count) that are
// aggregated like labels; a classification model whose input has frames > 1 (N x C x T x H x W)
// is a clip model: consecutive sampled frames are grouped into clips of T and scored per clip.
//
// Loaded models: by default a VideoTagger loads its own copy of every model. Created with a
// ModelProvider (e.g. the ClassificationService of `vigil serve`), it runs the provider's loaded
// classifiers and detectors instead whenever they fit (same name and version, backend "auto" or
// the one in use, common.threads_per_session equal to the instance's, all labels and
// the manifest's detection thresholds); a shared model keeps its own max_batch (batch_size frames
// are split into batches of that size). Clip models are always loaded by the tagger.
//
// Thread-safety: a VideoTagger is immutable after Create; Tag may be called from several threads
// at once (each call opens its own reader and uses its own inference sessions). Each Tag call uses
// two threads (decode, inference). TagControl callbacks run on the calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/model_provider.h"
#include "vigil/model_selection.h"
#include "vigil/status.h"
#include "vigil/video.h"
#include "vigil/video_aggregate.h"

namespace vigil {

struct VideoTaggerOptions {
  // Repository, backend ("auto", "xnnpack", "onednn", "opencv") and intra-op threads per inference
  // session (1..64) of every model; names and versions come from `models`, and the decode fields
  // do not apply (frames are decoded straight to the model input size).
  ModelSelection common;
  // Models, "name" or "name:version" (0 / absent = latest), run on every sampled frame.
  std::vector<std::string> models = {"nsfw_mobilenet_v2"};
  // Frame sampler, ParseSampler text: "keyframes", "interval:1.5", "scene", "scene:0.3", "all".
  std::string sampler = "keyframes";
  // Stop after this many sampled frames (0 = no limit besides the sampler's own).
  int max_frames = 0;
  // Operator limits: minimum interval (Create refuses a shorter one, kInvalidArgument) and cap on
  // the frames sampled per video (see SamplerLimits in vigil/video.h).
  SamplerLimits sampler_limits;
  // Video-level and per-shot aggregation of the (smoothed) frame scores.
  AggregateOptions aggregate;
  // Temporal smoothing applied to the frame scores before segments and first crossings.
  SmoothingOptions smoothing;
  // Default score threshold of every label (segments, first crossings, `present`).
  float threshold = 0.5f;
  // Per-label thresholds by label name (any model), overriding `threshold`.
  std::map<std::string, float> label_thresholds;
  // Segments of one label separated by at most this many seconds are merged.
  double merge_gap_s = 0.0;
  // Segments shorter than this many seconds (after merging) are dropped.
  double min_segment_s = 0.0;
  // Frames per inference call.
  int batch_size = 8;
  // Sampled frames held between the decode and inference threads (bounded queue), >= batch_size.
  int queue_frames = 32;
  // FFmpeg decoding threads (0 = the reader's default).
  int decode_threads = 0;
  // Run the shot detector while sampling (shots and per-shot labels in the result). It makes the
  // reader decode every frame (much slower with the keyframes/interval samplers); the scene
  // sampler finds shots anyway.
  bool detect_shots = false;
  // Keep per-frame results in VideoTags (frames); false keeps only the aggregates.
  bool keep_frames = true;
  // Load the models on a background thread: Create reads their manifests (decode size, task) and
  // returns, and the first Tag opens its file and decodes frames while the models load (about
  // 0.2 s for a MobileNetV2 on oneDNN). A load error is then returned by every Tag call instead
  // of by Create; models() waits for the load. Not used with a ModelProvider (its models are
  // loaded already).
  bool load_in_background = false;
  // When not empty: write JPEG thumbnails there (one per shot, from its first sampled frame, and
  // one per label segment, from its best frame), named <video stem>_shot<N>.jpg and
  // <video stem>_<model>_<label>_<N>.jpg; their paths are in the result.
  std::string thumbnails_dir;
  // Limits passed to the reader: wall-clock budget per file (0 = none), largest file, and largest
  // declared frame size (0 = the reader's defaults).
  double time_budget_s = 0;
  int64_t max_file_bytes = 0;
  int64_t max_pixels = 0;
};

// Per-call control: progress reports and cancellation. Both optional.
struct TagControl {
  // Called on the calling thread with the fraction done in [0, 1] (by presentation time), at
  // most about every 100 ms, and once with 1.0 at the end.
  std::function<void(double fraction)> progress;
  // When it becomes true, Tag stops soon (decoding within one packet or frame, inference within one
  // batch) and returns kUnavailable "cancelled".
  const std::atomic<bool>* cancel = nullptr;
};

// One label of one model at video level.
struct VideoLabel {
  std::string label;
  float confidence = 0;               // aggregated score (AggregateOptions)
  bool present = false;               // confidence >= the label's threshold, or any segment
  std::optional<double> first_time_s;  // first frame whose smoothed score reaches the threshold
  double total_duration_s = 0;        // sum of the label's segments
};

// One segment of one label (see LabelSegment), with its label name and optional thumbnail.
struct TaggedSegment {
  std::string label;
  double start_s = 0;
  double end_s = 0;
  float confidence = 0;     // mean (smoothed) score of its frames
  float max_confidence = 0;
  double best_time_s = 0;   // time of its highest-scoring frame (the thumbnail's frame)
  std::string thumbnail;    // path, when thumbnails are written
};

// A shot with the labels of the frames sampled inside it.
struct TaggedShot {
  double start_s = 0;
  double end_s = 0;
  int frame_count = 0;                // sampled frames inside (0: scores held from the frame before)
  std::vector<std::pair<std::string, float>> labels;  // aggregated, sorted by score
  std::vector<std::string> present;   // labels whose shot score reaches their threshold
  std::string thumbnail;
};

// The result of one model on one sampled frame (clip models: on one clip, stamped with its
// first frame).
struct FrameTags {
  double time_s = 0;
  double end_s = 0;          // clip models: last frame's time; else = time_s
  int64_t frame_index = 0;
  bool key_frame = false;
  std::vector<float> scores;  // per label of the model (ModelTags::label_names order)
  std::vector<int> counts;    // detection models: boxes per class; empty otherwise
};

struct ModelTags {
  std::string model;
  int version = 0;
  std::string kind;                      // "classification", "detection" or "clip"
  std::vector<std::string> label_names;  // the model's label set, in output order
  std::vector<VideoLabel> labels;        // every label, sorted by confidence
  std::vector<TaggedSegment> segments;   // sorted by label name, then start
  std::vector<TaggedShot> shots;         // one per shot (VideoTags::shots order)
  std::vector<FrameTags> frames;         // when keep_frames
};

struct TagTimings {
  double open_s = 0;       // opening the file
  double load_wait_s = 0;  // waiting for the models still loading (load_in_background)
  double decode_s = 0;     // decode thread busy time (sampling, decoding, scaling)
  double inference_s = 0;  // inference thread busy time (all models)
  double aggregate_s = 0;  // aggregation, thumbnails
  double total_s = 0;      // wall clock of Tag
};

struct VideoTags {
  std::string path;
  VideoInfo info;
  std::string sampler;                 // the sampler text used
  int64_t frames_sampled = 0;
  std::vector<Shot> shots;             // empty unless detect_shots (or a scene sampler)
  std::vector<ModelTags> models;       // one per VideoTaggerOptions::models entry, same order
  std::vector<std::string> notes;      // reader notes (e.g. codec fallbacks) and tagger notes
  TagTimings timings;
};

// One model of a VideoTagger.
struct VideoTaggerModel {
  std::string name;
  int version = 0;
  std::string kind;     // "classification", "detection" or "clip"
  std::string backend;  // backend in use
  bool shared = false;  // the ModelProvider's instance (true) or a copy loaded by the tagger
};

class VideoTagger {
 public:
  // Loads every model (or starts loading them: load_in_background), or takes it from `models` when
  // given and it fits (see above; `models` is only used during Create). Checks the options
  // (kInvalidArgument), the sampler text and that every model exists and can tag videos.
  static Result<std::unique_ptr<VideoTagger>> Create(const VideoTaggerOptions& options,
                                                     const ModelProvider* models = nullptr);
  ~VideoTagger();

  // Tags one file. Errors: those of VideoReader::Open/Next (kNotFound, kUnsupported, kDataLoss,
  // kResourceExhausted, kDeadlineExceeded ...), kUnavailable when cancelled.
  Result<VideoTags> Tag(const std::string& path, const TagControl& control = {}) const;

  const VideoTaggerOptions& options() const;
  // The models, in the order of options.models (waits for a background load; empty when it failed).
  const std::vector<VideoTaggerModel>& models() const;

 private:
  struct Impl;
  explicit VideoTagger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct VideoTagsJsonOptions {
  bool frames = false;     // include frameLabelAnnotations (every frame's scores)
  int frame_top_k = 5;     // labels per frame in the frame list (0 = all with score > 0)
  bool pretty = false;     // indented output
};

// The JSON form of VideoTags, shared by `vigil tag --json` and the HTTP server, in the spirit of
// Google Video Intelligence's annotateVideo response; times are seconds (numbers). See
// docs/video.md for the schema.
std::string VideoTagsToJson(const VideoTags& tags, const VideoTagsJsonOptions& options = {});

}  // namespace vigil
