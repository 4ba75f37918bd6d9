// Detector: find objects (boxes, classes, scores) with a detection model from the repository
// (manifest task "detection": NanoDet or CenterNet, see docs/detection.md).
//
//   vigil::DetectorOptions options;
//   options.model.repository = "models";
//   options.model.name = "nanodet_coco";             // options.model.version 0 = latest
//   VIGIL_ASSIGN_OR_RETURN(auto detector, vigil::Detector::Create(options));
//   VIGIL_ASSIGN_OR_RETURN(vigil::DetectionResult r, detector->DetectFile("photo.jpg"));
//   // r.detections[0]: label "cat", score 0.58, box {x_min 12, y_min 40, x_max 300, y_max 290}
//   // r.tags[0]:       label "cat", score 0.58, count 1
//   vigil::DetectionThresholds strict;               // per call, the detector is unchanged
//   strict.score_threshold = 0.6f;
//   VIGIL_ASSIGN_OR_RETURN(r, detector->DetectFile("photo.jpg", strict));
//
// A Detector is a ScoringModel (vigil/scoring_model.h); its DetectionResult is a ModelOutput.
//
// Thread-safety: a Detector is immutable after Create; every Detect* method may be called from any
// number of threads at once. Each concurrent call uses its own inference session (created on first
// use, then pooled), exactly like ImageClassifier: N threads calling Detect run N sessions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/image.h"
#include "vigil/model_manifest.h"
#include "vigil/model_selection.h"
#include "vigil/scoring_model.h"
#include "vigil/status.h"

namespace vigil {

struct DetectorOptions {
  // Repository, model name and version, backend, threads per session, decoding limits (JPEG DCT
  // scaling down to the model input unless scaled_decode is false). Its task must be "detection".
  ModelSelection model = ModelSelection::Named("nanodet_coco");
  // Largest batch passed to the model in one inference call (DetectBatch splits bigger ones).
  // Keep 1 for the detectors imported from tfjs graph models: their graphs have a fixed batch of
  // 1 (shapes are folded at import), and batching does not pay on CPU anyway.
  int max_batch = 1;
  // Overrides of the manifest's detection thresholds; a negative value keeps the manifest's
  // (checked by ValidateDetectionThresholds).
  DetectionThresholds thresholds;
};

// kInvalidArgument naming the field, its range and the value when a set value (not negative) is
// out of range or NaN.
Status ValidateDetectionThresholds(const DetectionThresholds& thresholds);

// Detect* return a DetectionResult, the ModelOutput of vigil/scoring_model.h with task
// "detection": the image size the boxes refer to, detections best score first (at most
// max_detections) and tags best score first (TagsFromDetections).

// Per class: best score and count; sorted by score (ties by label).
std::vector<DetectionTag> TagsFromDetections(const std::vector<Detection>& detections);

// Maps a result's boxes from its image size to width x height (e.g. from a DCT-scaled decode back
// to the file's full size) and updates image_width/image_height. No-op for non-positive sizes.
void RescaleDetections(DetectionResult* result, int width, int height);
// The full-resolution size of a decoded file after EXIF orientation (DecodeInfo's source size,
// swapped for orientations 5..8).
void OrientedSourceSize(const DecodeInfo& info, int* width, int* height);

// A ScoringModel: Score/ScoreBatch are DetectBatch with ScoreParams::detect.
class Detector : public ScoringModel {
 public:
  static Result<std::unique_ptr<Detector>> Create(const DetectorOptions& options);
  ~Detector() override;

  // `params` override the detector's thresholds for this call; checked first
  // (ValidateDetectionThresholds).
  Result<DetectionResult> Detect(const Image& image, const DetectionThresholds& params = {}) const;
  // One inference call per options.max_batch images; results in input order.
  Result<std::vector<DetectionResult>> DetectBatch(const std::vector<Image>& images,
                                                   const DetectionThresholds& params = {}) const;
  // Decode (with this model's decode options, possibly DCT-scaled) then detect; boxes are in the
  // file's full-resolution pixel coordinates (after EXIF orientation).
  Result<DetectionResult> DetectBytes(const uint8_t* data, size_t size, const DetectionThresholds& params = {}) const;
  Result<DetectionResult> DetectFile(const std::string& path, const DetectionThresholds& params = {}) const;

  // The decode options this detector uses (limits + the model's minimum size for DCT scaling).
  const DecodeOptions& decode_options() const override;
  // The manifest, with the option overrides applied to its detection section.
  const ModelManifest& manifest() const override;
  // The backend actually in use: "onednn", "xnnpack" or "opencv".
  std::string backend_name() const override;
  // The options it was created with.
  const DetectorOptions& options() const;

  // ScoringModel.
  const ModelSelection& selection() const override;
  ScoreParams defaults() const override;
  int max_batch() const override;
  Result<std::vector<ModelOutput>> ScoreBatch(const std::vector<Image>& images,
                                              const ScoreParams& params = {}) const override;

 private:
  struct Impl;
  explicit Detector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
