// Analyzer: several models (classifiers and detectors) on ONE decode of each image, with all
// results together: labels per classifier, boxes per detector, and the tags of all detectors.
//
//   vigil::AnalyzerOptions options;
//   options.common.repository = "models";                     // backend, threads, decode too
//   options.models = {"nsfw_mobilenet_v2", "nanodet_coco"};   // NAME or NAME:VERSION
//   VIGIL_ASSIGN_OR_RETURN(auto analyzer, vigil::Analyzer::Create(options));
//   VIGIL_ASSIGN_OR_RETURN(vigil::Analysis a, analyzer->AnalyzeFile("photo.jpg"));
//   // a.outputs[0].labels[0] = {"Neutral", 0.97}; a.outputs[1].detections[0] = cat box;
//   // a.tags[0] = {"cat", 0.58, 1}
//
// Every model runs through the ScoringModel interface (vigil/scoring_model.h) and answers with
// its ModelOutput, one per model in the order of options.models.
//
// The image is decoded once, at the smallest JPEG DCT scale that covers every model's input (so a
// classifier may see a larger decode than it would alone: scores can differ in the last digits
// from a single-model run). Detection boxes from AnalyzeFile/AnalyzeBytes are in the file's
// full-resolution pixels.
// Thread-safety: immutable after Create; every Analyze* method may be called from any number of
// threads at once (each model keeps a pool of sessions, see ImageClassifier and Detector).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/classifier.h"
#include "vigil/detector.h"
#include "vigil/image.h"
#include "vigil/scoring_model.h"
#include "vigil/status.h"

namespace vigil {

struct AnalyzerOptions {
  // Repository, backend, threads per session and decoding limits of every model (its name and
  // version come from `models`). The image is decoded once with common.decode, whose
  // min_width/min_height default to the largest model input (JPEG DCT scaling) unless
  // common.scaled_decode is false.
  ModelSelection common;
  // Models to run, "NAME" (latest version) or "NAME:VERSION"; each manifest's task decides
  // whether it runs as a classifier or a detector. At least one; no duplicates.
  std::vector<std::string> models;
  // Classifiers: largest batch per inference call in AnalyzeBatch, labels kept (0 = all),
  // and whether to return the embedding.
  int classifier_max_batch = 16;
  int top_k = 0;
  bool with_embedding = false;
  // Detectors: overrides of the manifest's thresholds (negative = keep the manifest's).
  DetectionThresholds detection;
};

struct Analysis {
  int image_width = 0;   // size the detection boxes refer to
  int image_height = 0;
  // One per model, in the order of options.models (ModelOutput::task says which fields are set).
  std::vector<ModelOutput> outputs;
  // Tags of all detectors together: per label the best score and the largest count any one
  // detector reported; best score first.
  std::vector<DetectionTag> tags;
};

// One loaded model of an Analyzer.
struct AnalyzerModel {
  std::string name;
  int version = 0;
  std::string task;     // "classification" or "detection"
  std::string backend;  // backend in use
};

class Analyzer {
 public:
  static Result<std::unique_ptr<Analyzer>> Create(const AnalyzerOptions& options);
  ~Analyzer();

  Result<Analysis> Analyze(const Image& image) const;
  // Each model runs its batches (classifiers: classifier_max_batch). When
  // `infos` is given (one per image, from decoding), boxes are mapped to each file's full size.
  Result<std::vector<Analysis>> AnalyzeBatch(const std::vector<Image>& images,
                                             const std::vector<DecodeInfo>* infos = nullptr) const;
  Result<Analysis> AnalyzeBytes(const uint8_t* data, size_t size) const;
  Result<Analysis> AnalyzeFile(const std::string& path) const;

  // The decode options covering every model.
  const DecodeOptions& decode_options() const;
  // The models, in the order of options.models.
  const std::vector<AnalyzerModel>& models() const;

 private:
  struct Impl;
  explicit Analyzer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Merges the tags of several outputs (those of detectors; classifiers have none): per label, best
// score and largest count; best score first.
std::vector<DetectionTag> MergeTags(const std::vector<ModelOutput>& results);

}  // namespace vigil
