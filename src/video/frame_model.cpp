// CreateFrameModel: picks the FrameModel adapter from the model's manifest; SharedModelFits.
#include "video/frame_model.h"

#include "inference/loaded_model.h"

namespace vigil::video {

Result<std::unique_ptr<FrameModel>> CreateFrameModel(const FrameModelOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, FindSelectedModel(options.model));
  const ModelManifest& m = entry.manifest;
  FrameModelOptions resolved = options;
  resolved.model.version = m.version;
  if (m.task == "classification" && m.input.frames > 1) return CreateClipFrameModel(resolved);
  if (m.task == "classification" || m.task == "detection") return CreateScoringFrameModel(resolved);
  return UnsupportedError("model " + m.name + ": task \"" + m.task +
                          "\" cannot tag videos (classification, detection and clip models can)");
}

bool SharedModelFits(const std::string& backend_in_use, const ModelSelection& loaded,
                     const FrameModelOptions& options) {
  const ModelSelection& wanted = options.model;
  return (wanted.backend == "auto" || wanted.backend == backend_in_use) &&
         loaded.threads_per_session == wanted.threads_per_session;
}

}  // namespace vigil::video
