// ModelRuntime: what every model front end (ImageClassifier, Detector) loads the same way from a
// repository entry: the backend (manifest preference or the caller's choice), a session pool, the
// decode options (DCT scaling down to the model input) and the preprocessing spec. Creating it
// also creates one session, so a model the backend cannot run fails at load time.
// Thread-safety: immutable after LoadModel; `sessions` is thread-safe.
// (Not named LoadedModel: that is the service's public struct in vigil/service.h, and two classes
// of one name in one namespace share their inline destructor symbol, so the linker keeps one.)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "media/preprocess.h"
#include "runtime/backend.h"
#include "runtime/session_pool.h"
#include "vigil/image.h"
#include "vigil/model_repository.h"
#include "vigil/model_selection.h"

namespace vigil {

struct ModelRuntime {
  ModelEntry entry;
  DecodeOptions decode;
  PreprocessSpec spec;
  std::unique_ptr<Backend> backend;       // null when the entry has no model.onnx (onnx_path "")
  std::unique_ptr<SessionPool> sessions;  // null with backend
};

// The output named `name` among a session's outputs, or nullptr.
const Tensor* FindOutput(const std::vector<Tensor>& outputs, const std::string& name);

// The repository entry `selection` names (kNotFound lists what exists); checks its threads per
// session (kInvalidArgument).
Result<ModelEntry> FindSelectedModel(const ModelSelection& selection);

// Fills `out` for `entry` (whose manifest has been validated) with the backend, threads per
// session and decode options of `selection` (its repository, name and version are not read:
// `entry` is the model) and sessions of at most `max_batch` images.
Status LoadModel(ModelEntry entry, const ModelSelection& selection, int max_batch, ModelRuntime* out);

}  // namespace vigil
