// CreateFrameModel: picks the FrameModel adapter from the model's manifest.
#include "video/frame_model.h"
#include "vigil/model_repository.h"

namespace vigil::video {

Result<std::unique_ptr<FrameModel>> CreateFrameModel(const FrameModelOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(options.model_repository));
  VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, repo->Find(options.model, options.version));
  const ModelManifest& m = entry.manifest;
  if (m.task == "classification" && m.input.frames > 1) return CreateClipFrameModel(options);
  if (m.task == "classification") return CreateClassifierFrameModel(options);
  if (m.task == "detection") return CreateDetectorFrameModel(options);
  return UnsupportedError("model " + m.name + ": task \"" + m.task +
                          "\" cannot tag videos (classification, detection and clip models can)");
}

}  // namespace vigil::video
