// CreateFrameModel: picks the FrameModel adapter from the model's manifest; SharedModelFits.
#include "video/frame_model.h"
#include "vigil/model_repository.h"

namespace vigil::video {

Result<std::unique_ptr<FrameModel>> CreateFrameModel(const FrameModelOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(options.model_repository));
  VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, repo->Find(options.model, options.version));
  const ModelManifest& m = entry.manifest;
  FrameModelOptions resolved = options;
  resolved.version = m.version;
  if (m.task == "classification" && m.input.frames > 1) return CreateClipFrameModel(resolved);
  if (m.task == "classification") return CreateClassifierFrameModel(resolved);
  if (m.task == "detection") return CreateDetectorFrameModel(resolved);
  return UnsupportedError("model " + m.name + ": task \"" + m.task +
                          "\" cannot tag videos (classification, detection and clip models can)");
}

bool SharedModelFits(const std::string& backend_in_use, int threads, const FrameModelOptions& options) {
  return (options.backend == "auto" || options.backend == backend_in_use) && threads == options.threads;
}

}  // namespace vigil::video
