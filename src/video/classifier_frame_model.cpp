// FrameModel adapter for image classification models: ImageClassifier::ClassifyBatch on frames
// already decoded at the model input size; scores re-ordered into the manifest's label order. The
// classifier is the provider's instance when it fits (all labels kept), else loaded here.
#include <unordered_map>

#include "video/frame_model.h"
#include "vigil/classifier.h"

namespace vigil::video {
namespace {

class ClassifierFrameModel : public FrameModel {
 public:
  ClassifierFrameModel(std::shared_ptr<const ImageClassifier> classifier, bool shared)
      : classifier_(std::move(classifier)), shared_(shared) {
    const ModelManifest& m = classifier_->manifest();
    for (size_t i = 0; i < m.labels.size(); ++i) index_[m.labels[i]] = i;
  }
  const std::string& name() const override { return classifier_->manifest().name; }
  int version() const override { return classifier_->manifest().version; }
  const char* kind() const override { return "classification"; }
  const std::vector<std::string>& labels() const override { return classifier_->manifest().labels; }
  int input_width() const override { return classifier_->manifest().input.width; }
  int input_height() const override { return classifier_->manifest().input.height; }
  std::string backend() const override { return classifier_->backend_name(); }
  bool shared() const override { return shared_; }

  Result<std::vector<FrameOutput>> Run(const std::vector<Image>& images) const override {
    VIGIL_ASSIGN_OR_RETURN(std::vector<Prediction> predictions, classifier_->ClassifyBatch(images));
    std::vector<FrameOutput> out(predictions.size());
    for (size_t i = 0; i < predictions.size(); ++i) {
      out[i].scores.assign(index_.size(), 0.0f);
      for (const LabelScore& l : predictions[i].labels) {
        auto it = index_.find(l.label);
        if (it != index_.end()) out[i].scores[it->second] = l.score;
      }
    }
    return out;
  }

 private:
  std::shared_ptr<const ImageClassifier> classifier_;
  bool shared_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

Result<std::unique_ptr<FrameModel>> CreateClassifierFrameModel(const FrameModelOptions& options) {
  if (options.provider) {
    std::shared_ptr<const ImageClassifier> shared =
        options.provider->FindClassifier(options.model.name, options.model.version);
    if (shared && shared->options().top_k == 0 &&
        SharedModelFits(shared->backend_name(), shared->options().model, options)) {
      return std::unique_ptr<FrameModel>(new ClassifierFrameModel(std::move(shared), true));
    }
  }
  ClassifierOptions c;
  c.model = options.model;
  c.max_batch = options.max_batch;
  c.top_k = 0;
  c.with_embedding = false;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<ImageClassifier> classifier, ImageClassifier::Create(c));
  return std::unique_ptr<FrameModel>(new ClassifierFrameModel(std::move(classifier), false));
}

}  // namespace vigil::video
