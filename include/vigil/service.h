// ClassificationService: the serving core behind `vigil serve` (and usable in any C++ server).
// Every loaded model is a ScoringModel (vigil/scoring_model.h) looked up by (name, version):
// classifiers and detectors alike, two versions of one model side by side. Requests are queued to
// a pool of inference workers; each worker decodes, batches requests for the same model (dynamic
// batching: up to the model's batch size, max_batch for classifiers and 1 for detectors, waiting at
// most max_batch_delay for more) and runs one single-thread session per model. A full queue
// refuses new work at once (kUnavailable) instead of growing; Shutdown() drains what was accepted.
//
//   vigil::ServiceOptions options;              // models/, all models, one worker per core
//   VIGIL_ASSIGN_OR_RETURN(auto service, vigil::ClassificationService::Create(options));
//   vigil::ClassifyRequest request;
//   request.model = "nsfw_mobilenet_v2";        // or "nanodet_coco": the same call
//   request.version = 2;                        // 0 = the highest loaded version
//   request.image_bytes = ReadBytes("photo.jpg");
//   vigil::Result<vigil::ModelOutput> out = service->Submit(std::move(request)).get();
//   // out->labels (classifier) or out->detections and out->tags (detector)
//
// The service is a ModelProvider: other front ends (the video tagger of `vigil serve`) run its
// loaded models instead of loading a second copy of the weights.
//
// Thread-safety: every method is thread-safe. Reload() swaps the model set atomically; requests
// already accepted finish on the models they were accepted with, and models handed out by
// FindModel stay alive while their holders keep them.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "vigil/classifier.h"
#include "vigil/detector.h"
#include "vigil/metrics.h"
#include "vigil/model_manifest.h"
#include "vigil/model_provider.h"
#include "vigil/status.h"

namespace vigil {

struct ServiceOptions {
  // Repository, backend, threads per session and decoding limits of every model (names and
  // versions come from `models`; min_width/min_height come from each model unless
  // common.scaled_decode is false).
  ModelSelection common;
  // Models to load ("name" or "name:version"), classifiers or detectors; empty = every model in
  // the repository.
  std::vector<std::string> models;
  // Model used when a request names none (if loaded; else the first loaded classifier, else the
  // first loaded model).
  std::string default_model = "nsfw_mobilenet_v2";
  // Inference worker threads (0 = one per hardware thread).
  int workers = 0;
  // Dynamic batching: at most this many images per inference call (1 = no batching).
  int max_batch = 1;
  // How long a worker holding a partial batch waits for more requests of the same model.
  std::chrono::microseconds max_batch_delay{0};
  // Images accepted but not yet started; beyond this Submit fails fast with kUnavailable.
  size_t max_queue = 256;
  // Bounds on per-request detection thresholds (ClassifyRequest::detect), tighter than their valid
  // ranges: a low score threshold multiplies the candidates NMS compares, many detections make
  // long answers. A request's own values outside them are refused (kInvalidArgument).
  float detect_min_score_threshold = 0.05f;
  int detect_max_detections = 1000;
};

// One image for one model, whatever the model's task.
struct ClassifyRequest {
  std::string model;                // name; "" = ServiceOptions::default_model
  int version = 0;                  // 0 = the highest loaded version
  int top_k = 0;                    // classifiers: labels kept, 0 = all
  bool with_embedding = false;      // classifiers: return the embedding
  DetectionThresholds detect;       // detectors only: this request's thresholds; negative = the
                                    // model's (CheckRequest)
  std::vector<uint8_t> image_bytes;
  // Work not started by this time fails with kDeadlineExceeded (default: no deadline).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct LoadedModel {
  ModelManifest manifest;
  std::string backend;  // "xnnpack", "opencv", ...
};

class ClassificationService : public ModelProvider {
 public:
  static Result<std::unique_ptr<ClassificationService>> Create(const ServiceOptions& options);
  ~ClassificationService() override;  // Shutdown()

  // Queues one image for the model (name, version) of the request, classifier or detector. The
  // future is always valid and gives the model's ModelOutput (a detector's boxes in the image's
  // full-resolution pixels, after EXIF orientation) or an error: unknown model (kNotFound), a
  // request CheckRequest refuses, full queue, bad image, deadline. Never blocks on inference.
  std::future<Result<ModelOutput>> Submit(ClassifyRequest request);
  // The checks Submit makes that need no image, for a front end to refuse a request once before
  // submitting its images: top_k >= 0; detection thresholds valid (ValidateDetectionThresholds)
  // and within the ServiceOptions bounds (detect_min_score_threshold, detect_max_detections), and
  // set only for a detection model. An unknown model is not an error here (Submit reports it).
  Status CheckRequest(const ClassifyRequest& request) const;
  // ModelProvider: the loaded instance itself (version 0 = the highest loaded), or null.
  std::shared_ptr<const ScoringModel> FindModel(const std::string& name, int version) const override;

  // Re-reads the model repository and loads new or changed versions; keeps serving meanwhile.
  Status Reload();
  std::vector<LoadedModel> Models() const;
  // True once at least one model is loaded and the service is not shutting down.
  bool Ready() const;
  // Images queued and not yet started.
  size_t QueueDepth() const;
  // Stops accepting (Submit → kUnavailable), finishes accepted work, joins the workers.
  void Shutdown();

  // Library-side metrics (queue depth, batch sizes, decode and inference time by model/version,
  // detectors included);
  // the server registers its HTTP metrics in the same registry.
  MetricsRegistry& metrics();

 private:
  struct Impl;
  explicit ClassificationService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
