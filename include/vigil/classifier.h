// ImageClassifier: classify images with a model from the repository.
//
//   vigil::ClassifierOptions options;
//   options.model.repository = "models";
//   options.model.name = "nsfw_mobilenet_v2";     // options.model.version 0 = latest
//   VIGIL_ASSIGN_OR_RETURN(auto classifier, vigil::ImageClassifier::Create(options));
//   VIGIL_ASSIGN_OR_RETURN(vigil::Prediction p, classifier->ClassifyFile("photo.jpg"));
//   // p.labels[0].name == "Neutral", p.labels[0].score == 0.97, p.embedding.size() == 1280
//
// An ImageClassifier is a ScoringModel (vigil/scoring_model.h): the service, the analyzer and the
// video tagger run it through that interface; its Prediction is a ModelOutput.
//
// Thread-safety: an ImageClassifier is immutable after Create; every Classify* method may be called
// from any number of threads at once. Each concurrent call uses its own inference session (created
// on first use, then pooled), so N threads calling Classify run N single-thread sessions in
// parallel: the way to use several cores. `threads_per_session` > 1 instead splits one call's work.
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

struct ClassifierOptions {
  // Repository, model name and version, backend, threads per session, decoding limits. Its task
  // must be "classification" (one image per input: not a clip model).
  ModelSelection model = ModelSelection::Named("nsfw_mobilenet_v2");
  // Largest batch passed to ClassifyBatch in one inference call (bigger batches are split).
  int max_batch = 16;
  // Keep only the K best labels in each prediction (0 = all, sorted by score).
  int top_k = 0;
  // Return the penultimate embedding with each prediction (if the model has one).
  bool with_embedding = true;
};

// Classify* return a Prediction, the ModelOutput of vigil/scoring_model.h with task
// "classification": labels sorted by score, best first; embedding empty if not requested or not
// available.

// A ScoringModel: Score/ScoreBatch are ClassifyBatch narrowed by ScoreParams (top_k, embedding).
class ImageClassifier : public ScoringModel {
 public:
  static Result<std::unique_ptr<ImageClassifier>> Create(const ClassifierOptions& options);
  ~ImageClassifier() override;

  Result<Prediction> Classify(const Image& image) const;
  // One inference call per options.max_batch images; results in input order.
  Result<std::vector<Prediction>> ClassifyBatch(const std::vector<Image>& images) const;
  // Decode (with this model's decode options) then classify.
  Result<Prediction> ClassifyBytes(const uint8_t* data, size_t size) const;
  Result<Prediction> ClassifyFile(const std::string& path) const;

  // The decode options this classifier uses (limits + the model's minimum size for DCT scaling).
  const DecodeOptions& decode_options() const override;
  const ModelManifest& manifest() const override;
  // The backend actually in use: "onednn", "xnnpack", "opencv" ("none": a head on classical
  // descriptors only).
  std::string backend_name() const override;
  // The options it was created with.
  const ClassifierOptions& options() const;

  // ScoringModel.
  const ModelSelection& selection() const override;
  ScoreParams defaults() const override;
  int max_batch() const override;
  Result<std::vector<ModelOutput>> ScoreBatch(const std::vector<Image>& images,
                                              const ScoreParams& params = {}) const override;

 private:
  struct Impl;
  explicit ImageClassifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
