// Internal to src/video: FrameModel, what VideoTagger runs on sampled frames. Two adapters: every
// per-frame model through the ScoringModel interface (classifiers -> label scores, detectors ->
// per-class object tags), and clip classification (N x C x T x H x W ONNX models on the runtime
// backends). Scoring models come from a ModelProvider when it holds a compatible instance (same
// model and version, backend, threads, no top_k or threshold overrides), else they are loaded here.
// Thread-safety: a FrameModel is immutable after creation; Run may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/image.h"
#include "vigil/model_provider.h"
#include "vigil/model_selection.h"
#include "vigil/status.h"

namespace vigil::video {

// One model output for one frame (or one clip).
struct FrameOutput {
  std::vector<float> scores;  // per label, in FrameModel::labels() order
  std::vector<int> counts;    // detection: boxes per class; empty otherwise
};

class FrameModel {
 public:
  virtual ~FrameModel() = default;
  virtual const std::string& name() const = 0;
  virtual int version() const = 0;
  // "classification", "detection" or "clip".
  virtual const char* kind() const = 0;
  virtual const std::vector<std::string>& labels() const = 0;
  // The backend in use ("onednn", "xnnpack", "opencv") and whether the instance came from the
  // ModelProvider (true) or was loaded for this FrameModel (false).
  virtual std::string backend() const = 0;
  virtual bool shared() const { return false; }
  // The input size frames should be decoded to.
  virtual int input_width() const = 0;
  virtual int input_height() const = 0;
  // True when frames should keep their aspect ratio (fit inside the input size; the model pads),
  // false when the model stretches the whole frame to its input.
  virtual bool wants_aspect() const { return false; }
  // Frames per input: 1 for per-frame models, T for clip models.
  virtual int clip_length() const { return 1; }
  // Per-frame models: one output per image. Clip models: images.size() must be a multiple of
  // clip_length(); one output per consecutive group of clip_length() images.
  virtual Result<std::vector<FrameOutput>> Run(const std::vector<Image>& images) const = 0;
};

struct FrameModelOptions {
  // Repository, name, version (0 = latest), backend, threads per session; the decode options do
  // not apply (frames come decoded).
  ModelSelection model;
  int max_batch = 8;      // largest batch per inference call (a shared model keeps its own)
  // Models already loaded elsewhere (may be null): a compatible instance is used instead of
  // loading a copy. Only asked during creation.
  const ModelProvider* provider = nullptr;
};

// Loads the model (or takes it from options.provider) and picks the adapter from its manifest
// (task, input frames). The adapters below get options.version resolved (never 0).
Result<std::unique_ptr<FrameModel>> CreateFrameModel(const FrameModelOptions& options);

// True when a provider's instance running on `backend_in_use`, created with `loaded` (its
// options' selection), is what `options` asks for: same threads per session, same backend or
// "auto".
bool SharedModelFits(const std::string& backend_in_use, const ModelSelection& loaded,
                     const FrameModelOptions& options);

// Adapters (CreateFrameModel dispatches to these). CreateScoringFrameModel loads the model as the
// ScoringModel its manifest task asks for (ImageClassifier, Detector).
Result<std::unique_ptr<FrameModel>> CreateScoringFrameModel(const FrameModelOptions& options);
Result<std::unique_ptr<FrameModel>> CreateClipFrameModel(const FrameModelOptions& options);

}  // namespace vigil::video
