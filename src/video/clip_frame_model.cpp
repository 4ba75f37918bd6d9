// FrameModel adapter for clip-level models (input N x C x T x H x W): each group of T consecutive
// sampled frames is preprocessed per frame (manifest preprocessing, CHW) and laid out as
// C x T x H x W, then run on a runtime backend session (one per call, from the model's pool).
#include "inference/loaded_model.h"
#include "video/frame_model.h"

namespace vigil::video {
namespace {

class ClipFrameModel : public FrameModel {
 public:
  ClipFrameModel(std::unique_ptr<ModelRuntime> loaded, int max_batch)
      : loaded_(std::move(loaded)), entry_(loaded_->entry), spec_(loaded_->spec),
        max_batch_(size_t(max_batch)) {}

  const std::string& name() const override { return entry_.manifest.name; }
  int version() const override { return entry_.manifest.version; }
  const char* kind() const override { return "clip"; }
  const std::vector<std::string>& labels() const override { return entry_.manifest.labels; }
  int input_width() const override { return entry_.manifest.input.width; }
  int input_height() const override { return entry_.manifest.input.height; }
  int clip_length() const override { return entry_.manifest.input.frames; }
  std::string backend() const override { return BackendKindName(loaded_->backend->kind()); }

  Result<std::vector<FrameOutput>> Run(const std::vector<Image>& images) const override {
    const size_t t_len = size_t(clip_length());
    if (images.empty() || images.size() % t_len != 0) {
      return InvalidArgumentError("clip model " + name() + ": " + std::to_string(images.size()) +
                                  " frames is not a multiple of the clip length " +
                                  std::to_string(t_len));
    }
    const ModelManifest& m = entry_.manifest;
    const size_t plane = size_t(m.input.width) * m.input.height;
    const size_t clips = images.size() / t_len;
    std::vector<float> frame(plane * 3);
    std::vector<FrameOutput> out;
    out.reserve(clips);
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, loaded_->sessions->Acquire());
    const size_t max_batch = max_batch_;
    for (size_t first = 0; first < clips; first += max_batch) {
      const size_t n = std::min(max_batch, clips - first);
      Tensor input;
      input.shape = {int64_t(n), 3, int64_t(t_len), m.input.height, m.input.width};
      input.data.resize(n * 3 * t_len * plane);
      for (size_t c = 0; c < n; ++c) {
        for (size_t t = 0; t < t_len; ++t) {
          Status s = PreprocessInto(images[(first + c) * t_len + t], spec_, frame.data());
          if (!s.ok()) {
            loaded_->sessions->Release(std::move(session));
            return s;
          }
          // CHW of frame t -> [c][ch][t][h][w].
          for (size_t ch = 0; ch < 3; ++ch) {
            std::copy(frame.begin() + ch * plane, frame.begin() + (ch + 1) * plane,
                      input.data.begin() + ((c * 3 + ch) * t_len + t) * plane);
          }
        }
      }
      std::vector<Tensor> outputs;
      Status status = session->Run(input, &outputs);
      if (!status.ok()) {
        loaded_->sessions->Release(std::move(session));
        return status.WithContext("clip model " + name());
      }
      const Tensor* probs = nullptr;
      for (const Tensor& o : outputs) {
        if (o.name == m.probabilities_output) probs = &o;
      }
      const size_t k = m.labels.size();
      if (!probs || probs->data.size() != n * k) {
        loaded_->sessions->Release(std::move(session));
        return InternalError("clip model " + name() + ": output \"" + m.probabilities_output +
                             "\" missing or not " + std::to_string(k) + " values per clip");
      }
      for (size_t c = 0; c < n; ++c) {
        FrameOutput o;
        o.scores.assign(probs->data.begin() + c * k, probs->data.begin() + (c + 1) * k);
        out.push_back(std::move(o));
      }
    }
    loaded_->sessions->Release(std::move(session));
    return out;
  }

 private:
  std::unique_ptr<ModelRuntime> loaded_;
  const ModelEntry& entry_;
  const PreprocessSpec& spec_;
  size_t max_batch_;
};

}  // namespace

Result<std::unique_ptr<FrameModel>> CreateClipFrameModel(const FrameModelOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, FindSelectedModel(options.model));
  if (entry.manifest.input.frames < 2) {
    return InvalidArgumentError("model " + entry.manifest.name + " is not a clip model (input.frames < 2)");
  }
  auto loaded = std::make_unique<ModelRuntime>();
  Status status = LoadModel(std::move(entry), options.model, options.max_batch, loaded.get());
  if (!status.ok()) return status.WithContext("loading clip model " + options.model.name);
  return std::unique_ptr<FrameModel>(new ClipFrameModel(std::move(loaded), options.max_batch));
}

}  // namespace vigil::video
