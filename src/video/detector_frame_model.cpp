// FrameModel adapter for detection models: Detector::DetectBatch per frame, then per class the
// best box score (0 when absent) and the box count: object tags that aggregate like labels. The
// detector is the provider's instance when it fits (manifest thresholds), else loaded here.
#include <unordered_map>

#include "video/frame_model.h"
#include "vigil/detector.h"

namespace vigil::video {
namespace {

class DetectorFrameModel : public FrameModel {
 public:
  DetectorFrameModel(std::shared_ptr<const Detector> detector, bool shared)
      : detector_(std::move(detector)), shared_(shared) {
    const ModelManifest& m = detector_->manifest();
    for (size_t i = 0; i < m.labels.size(); ++i) index_[m.labels[i]] = i;
  }
  const std::string& name() const override { return detector_->manifest().name; }
  int version() const override { return detector_->manifest().version; }
  const char* kind() const override { return "detection"; }
  const std::vector<std::string>& labels() const override { return detector_->manifest().labels; }
  int input_width() const override { return detector_->manifest().input.width; }
  int input_height() const override { return detector_->manifest().input.height; }
  bool wants_aspect() const override { return true; }
  std::string backend() const override { return detector_->backend_name(); }
  bool shared() const override { return shared_; }

  Result<std::vector<FrameOutput>> Run(const std::vector<Image>& images) const override {
    VIGIL_ASSIGN_OR_RETURN(std::vector<DetectionResult> results, detector_->DetectBatch(images));
    std::vector<FrameOutput> out(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      out[i].scores.assign(index_.size(), 0.0f);
      out[i].counts.assign(index_.size(), 0);
      for (const DetectionTag& t : results[i].tags) {
        auto it = index_.find(t.label);
        if (it == index_.end()) continue;
        out[i].scores[it->second] = t.score;
        out[i].counts[it->second] = t.count;
      }
    }
    return out;
  }

 private:
  std::shared_ptr<const Detector> detector_;
  bool shared_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

Result<std::unique_ptr<FrameModel>> CreateDetectorFrameModel(const FrameModelOptions& options) {
  if (options.provider) {
    std::shared_ptr<const Detector> shared =
        options.provider->FindDetector(options.model.name, options.model.version);
    if (shared) {
      const DetectorOptions& o = shared->options();
      if (o.score_threshold < 0 && o.iou_threshold < 0 && o.max_detections < 0 &&
          SharedModelFits(shared->backend_name(), o.model, options)) {
        return std::unique_ptr<FrameModel>(new DetectorFrameModel(std::move(shared), true));
      }
    }
  }
  DetectorOptions d;
  d.model = options.model;
  d.max_batch = 1;  // the imported detectors have a fixed batch of 1 (see DetectorOptions)
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Detector> detector, Detector::Create(d));
  return std::unique_ptr<FrameModel>(new DetectorFrameModel(std::move(detector), false));
}

}  // namespace vigil::video
