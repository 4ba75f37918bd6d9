// ScoringModel: ONE interface for every model that scores a decoded image (classifiers, detectors,
// trained heads, and later hash matchers and models served by another process), and ModelOutput,
// the one output type they all return. The classification service, the analyzer, the video tagger
// and the moderation policy engine run models only through it.
//
//   // A model loaded by the service (or an ImageClassifier / Detector you created yourself):
//   std::shared_ptr<const vigil::ScoringModel> model = service->FindModel("nanodet_coco", 0);
//   vigil::ScoreParams params;
//   params.detect.score_threshold = 0.5f;           // this call only; the model is unchanged
//   VIGIL_ASSIGN_OR_RETURN(vigil::ModelOutput out, model->Score(image, params));
//   // classifier: out.labels = [{"Neutral", 0.97}, ...]  (+ out.embedding when the model has one)
//   // detector:   out.detections = [{"cat", 0.58, box}], out.tags = [{"cat", 0.58, 1}]
//
// Contract: ScoreBatch returns exactly one output per image, in input order, or a Status; a model
// that fails (or whose ScoreParams::deadline has passed) is an error, never an empty or partial
// result. Parameters that do not apply to a model's task are ignored (a classifier ignores
// `detect`, a detector `top_k` and `with_embedding`).
// Ownership: models are handed out as shared_ptr<const ScoringModel>; holding one keeps the
// model alive after its owner (e.g. a service Reload) dropped it.
// Thread-safety: a ScoringModel is immutable after creation; every method may be called from any
// number of threads at once (each concurrent Score call takes its own inference session).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "vigil/image.h"
#include "vigil/model_manifest.h"
#include "vigil/model_selection.h"
#include "vigil/status.h"

namespace vigil {

// A classifier's score for one label.
struct LabelScore {
  std::string label;
  float score = 0;
};

// An axis-aligned box in the pixel coordinates of the image passed to Score (x right, y down;
// (0, 0) is the top-left corner of the top-left pixel), clipped to the image.
struct Box {
  float x_min = 0;
  float y_min = 0;
  float x_max = 0;
  float y_max = 0;
  float width() const { return x_max - x_min; }
  float height() const { return y_max - y_min; }
};

struct Detection {
  int class_id = 0;   // index into the manifest's labels
  std::string label;  // labels[class_id]
  float score = 0;    // detector confidence in [0, 1]
  Box box;
};

// A class present in an image: its best detection score and how many detections it has.
struct DetectionTag {
  std::string label;
  float score = 0;
  int count = 0;
};

// The detection thresholds, declared once: DetectorOptions (the detector's own, overriding its
// manifest), AnalyzerOptions, ScoreParams (one call) and the service's requests all use this. A
// negative value keeps the level below (call -> detector options -> manifest).
// Ranges: ValidateDetectionThresholds (vigil/detector.h).
struct DetectionThresholds {
  float score_threshold = -1;  // keep detections scoring at least this, in [0, 1]
  float iou_threshold = -1;    // NMS overlap threshold, in (0, 1]
  int max_detections = -1;     // per image, after NMS, in 1..10000

  // True when at least one threshold is set (not negative; NaN counts as set).
  bool any_set() const { return !(score_threshold < 0) || !(iou_threshold < 0) || max_detections >= 0; }
  bool operator==(const DetectionThresholds& o) const {
    return score_threshold == o.score_threshold && iou_threshold == o.iou_threshold &&
           max_detections == o.max_detections;
  }
  bool operator!=(const DetectionThresholds& o) const { return !(*this == o); }
};

// Per-call settings of Score/ScoreBatch. They only narrow what the model was created to return
// (ScoringModel::defaults()): top_k trims, with_embedding = false drops the embedding.
struct ScoreParams {
  // Classifiers: keep the K best labels (0 = every label the model returns).
  int top_k = 0;
  // Classifiers: keep the embedding when the model returns one.
  bool with_embedding = true;
  // Detectors: this call's thresholds (negative = the detector's own).
  DetectionThresholds detect;
  // Work not started by this time fails with kDeadlineExceeded (default: none).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// What one model says about one image, whatever its task. The fields of other tasks stay empty.
struct ModelOutput {
  std::string model;    // manifest name
  int version = 0;      // manifest version
  std::string task;     // manifest task: "classification" or "detection"
  std::string backend;  // backend that ran it: "onednn", "xnnpack", "opencv", "none" (head only)

  // Classification: every label (or the top_k), best first, and the embedding when kept.
  std::vector<LabelScore> labels;
  std::vector<float> embedding;

  // Detection: boxes in the pixels of an image image_width x image_height (the image passed to
  // Score, or the file's full size after RescaleDetections), best score first, and per class the
  // best score and count (TagsFromDetections).
  int image_width = 0;
  int image_height = 0;
  std::vector<Detection> detections;
  std::vector<DetectionTag> tags;
};

// The names ImageClassifier and Detector use for their results: the same type.
using Prediction = ModelOutput;
using DetectionResult = ModelOutput;

class ScoringModel {
 public:
  virtual ~ScoringModel() = default;

  // What the model is: name, version, task, labels (class names, output order), input size.
  // For a detector, the detection thresholds in effect (its options applied to the manifest).
  virtual const ModelManifest& manifest() const = 0;
  const std::string& name() const { return manifest().name; }
  int version() const { return manifest().version; }
  const std::string& task() const { return manifest().task; }
  const std::vector<std::string>& labels() const { return manifest().labels; }
  // The backend in use: "onednn", "xnnpack", "opencv" ("none" for a head on classical features).
  virtual std::string backend_name() const = 0;
  // How it was selected and runs: repository, name, version as asked, backend, threads per session.
  virtual const ModelSelection& selection() const = 0;
  // What it returns when ScoreParams narrow nothing: top_k (0 = all labels), with_embedding, and
  // the detection thresholds it was created with (negative = the manifest's).
  virtual ScoreParams defaults() const = 0;
  // Images per inference call; ScoreBatch splits bigger batches.
  virtual int max_batch() const = 0;
  // The decode options to use for images given as bytes or files (limits + the model's minimum
  // size for JPEG DCT scaling).
  virtual const DecodeOptions& decode_options() const = 0;

  // One output per image, in input order (see the contract above).
  virtual Result<std::vector<ModelOutput>> ScoreBatch(const std::vector<Image>& images,
                                                      const ScoreParams& params = {}) const = 0;
  Result<ModelOutput> Score(const Image& image, const ScoreParams& params = {}) const {
    Result<std::vector<ModelOutput>> out = ScoreBatch({image}, params);
    if (!out.ok()) return out.status();
    if (out->size() != 1) return InternalError("model " + name() + " returned no output for the image");
    return std::move(out->front());
  }
};

// Applies the classifier part of `params` to an output: keeps the top_k best labels (0 = all) and
// drops the embedding unless with_embedding. Outputs of other tasks are left as they are.
inline void NarrowOutput(const ScoreParams& params, ModelOutput* output) {
  if (params.top_k > 0 && size_t(params.top_k) < output->labels.size()) output->labels.resize(params.top_k);
  if (!params.with_embedding) output->embedding.clear();
}

}  // namespace vigil
