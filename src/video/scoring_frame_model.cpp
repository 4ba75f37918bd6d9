// FrameModel adapter for every per-frame model behind the ScoringModel interface (classifiers,
// trained heads, detectors): ScoreBatch on frames already decoded at the model input size, then
// the ModelOutput as per-label frame scores in the manifest's label order: a classifier's label
// probabilities; a detector's per-class best box score (0 when absent) and box count, object tags
// that aggregate like labels. The model is the provider's instance when it fits (all labels, the
// manifest's detection thresholds, same backend and threads), else loaded here.
#include <unordered_map>

#include "inference/loaded_model.h"
#include "video/frame_model.h"
#include "vigil/classifier.h"
#include "vigil/detector.h"

namespace vigil::video {
namespace {

class ScoringFrameModel : public FrameModel {
 public:
  ScoringFrameModel(std::shared_ptr<const ScoringModel> model, bool shared)
      : model_(std::move(model)), shared_(shared), detection_(model_->task() == "detection") {
    const std::vector<std::string>& labels = model_->labels();
    for (size_t i = 0; i < labels.size(); ++i) index_[labels[i]] = i;
  }
  const std::string& name() const override { return model_->name(); }
  int version() const override { return model_->version(); }
  const char* kind() const override { return detection_ ? "detection" : "classification"; }
  const std::vector<std::string>& labels() const override { return model_->labels(); }
  int input_width() const override { return model_->manifest().input.width; }
  int input_height() const override { return model_->manifest().input.height; }
  // Detectors letterbox: frames keep their aspect ratio.
  bool wants_aspect() const override { return detection_; }
  std::string backend() const override { return model_->backend_name(); }
  bool shared() const override { return shared_; }

  Result<std::vector<FrameOutput>> Run(const std::vector<Image>& images) const override {
    VIGIL_ASSIGN_OR_RETURN(std::vector<ModelOutput> outputs, model_->ScoreBatch(images));
    std::vector<FrameOutput> out(outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      out[i].scores.assign(index_.size(), 0.0f);
      for (const LabelScore& l : outputs[i].labels) {
        auto it = index_.find(l.label);
        if (it != index_.end()) out[i].scores[it->second] = l.score;
      }
      if (!detection_) continue;
      out[i].counts.assign(index_.size(), 0);
      for (const DetectionTag& t : outputs[i].tags) {
        auto it = index_.find(t.label);
        if (it == index_.end()) continue;
        out[i].scores[it->second] = t.score;
        out[i].counts[it->second] = t.count;
      }
    }
    return out;
  }

 private:
  std::shared_ptr<const ScoringModel> model_;
  bool shared_;
  bool detection_;
  std::unordered_map<std::string, size_t> index_;
};

// The provider's instance of the model, if it has one that gives what a frame model needs.
std::shared_ptr<const ScoringModel> SharedInstance(const FrameModelOptions& options, const std::string& task) {
  if (!options.provider) return nullptr;
  std::shared_ptr<const ScoringModel> shared = options.provider->FindModel(options.model.name, options.model.version);
  if (!shared || shared->task() != task) return nullptr;
  const ScoreParams defaults = shared->defaults();
  // Every label, and the manifest's detection thresholds.
  if (defaults.top_k != 0 || defaults.detect.any_set()) return nullptr;
  if (!SharedModelFits(shared->backend_name(), shared->selection(), options)) return nullptr;
  return shared;
}

}  // namespace

Result<std::unique_ptr<FrameModel>> CreateScoringFrameModel(const FrameModelOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, FindSelectedModel(options.model));
  const std::string& task = entry.manifest.task;
  if (auto shared = SharedInstance(options, task)) {
    return std::unique_ptr<FrameModel>(new ScoringFrameModel(std::move(shared), true));
  }
  std::unique_ptr<const ScoringModel> model;
  if (task == "detection") {
    DetectorOptions d;
    d.model = options.model;
    d.max_batch = 1;  // the imported detectors have a fixed batch of 1 (see DetectorOptions)
    VIGIL_ASSIGN_OR_RETURN(model, Detector::Create(d));
  } else {
    ClassifierOptions c;
    c.model = options.model;
    c.max_batch = options.max_batch;
    c.top_k = 0;
    c.with_embedding = false;
    VIGIL_ASSIGN_OR_RETURN(model, ImageClassifier::Create(c));
  }
  return std::unique_ptr<FrameModel>(new ScoringFrameModel(std::move(model), false));
}

}  // namespace vigil::video
