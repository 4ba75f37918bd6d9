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
//   vigil::DetectParams strict;                      // per call, the detector is unchanged
//   strict.score_threshold = 0.6f;
//   VIGIL_ASSIGN_OR_RETURN(r, detector->DetectFile("photo.jpg", strict));
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
  // Overrides of the manifest's detection settings; a negative value keeps the manifest's.
  // Same ranges as DetectParams (checked by ValidateDetectParams).
  float score_threshold = -1;  // keep detections scoring at least this, in [0, 1]
  float iou_threshold = -1;    // NMS overlap threshold, in (0, 1]
  int max_detections = -1;     // per image, after NMS, in 1..10000
};

// The most detections a model or a call may keep per image (manifest, options and DetectParams).
inline constexpr int kMaxDetections = 10000;

// Per-call detection settings (the Detect* methods' last argument): override, for one call, the
// detector's own (its manifest with the DetectorOptions overrides) without changing the detector,
// which other threads share. A negative value keeps the detector's.
struct DetectParams {
  float score_threshold = -1;  // keep detections scoring at least this, in [0, 1]
  float iou_threshold = -1;    // NMS overlap threshold, in (0, 1]
  int max_detections = -1;     // per image, after NMS, in 1..10000
};

// kInvalidArgument naming the field, its range and the value when a set value (not negative) is
// out of range or NaN.
Status ValidateDetectParams(const DetectParams& params);

// An axis-aligned box in the pixel coordinates of the image passed to Detect (x right, y down;
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

struct DetectionResult {
  std::string model;
  int version = 0;
  int image_width = 0;   // size of the image the boxes refer to
  int image_height = 0;
  std::vector<Detection> detections;  // best score first, at most max_detections
  std::vector<DetectionTag> tags;     // best score first (see TagsFromDetections)
};

// Per class: best score and count; sorted by score (ties by label).
std::vector<DetectionTag> TagsFromDetections(const std::vector<Detection>& detections);

// Maps a result's boxes from its image size to width x height (e.g. from a DCT-scaled decode back
// to the file's full size) and updates image_width/image_height. No-op for non-positive sizes.
void RescaleDetections(DetectionResult* result, int width, int height);
// The full-resolution size of a decoded file after EXIF orientation (DecodeInfo's source size,
// swapped for orientations 5..8).
void OrientedSourceSize(const DecodeInfo& info, int* width, int* height);

class Detector {
 public:
  static Result<std::unique_ptr<Detector>> Create(const DetectorOptions& options);
  ~Detector();

  // `params` are checked first (ValidateDetectParams).
  Result<DetectionResult> Detect(const Image& image, const DetectParams& params = {}) const;
  // One inference call per options.max_batch images; results in input order.
  Result<std::vector<DetectionResult>> DetectBatch(const std::vector<Image>& images,
                                                   const DetectParams& params = {}) const;
  // Decode (with this model's decode options, possibly DCT-scaled) then detect; boxes are in the
  // file's full-resolution pixel coordinates (after EXIF orientation).
  Result<DetectionResult> DetectBytes(const uint8_t* data, size_t size, const DetectParams& params = {}) const;
  Result<DetectionResult> DetectFile(const std::string& path, const DetectParams& params = {}) const;

  // The decode options this detector uses (limits + the model's minimum size for DCT scaling).
  const DecodeOptions& decode_options() const;
  // The manifest, with the option overrides applied to its detection section.
  const ModelManifest& manifest() const;
  // The backend actually in use: "onednn", "xnnpack" or "opencv".
  std::string backend_name() const;
  // The options it was created with.
  const DetectorOptions& options() const;

 private:
  struct Impl;
  explicit Detector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
