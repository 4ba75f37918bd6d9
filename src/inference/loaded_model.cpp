// FindSelectedModel, LoadModel: backend + session pool + decode options + preprocessing spec for
// one model entry.
#include "inference/loaded_model.h"

namespace vigil {

const Tensor* FindOutput(const std::vector<Tensor>& outputs, const std::string& name) {
  for (const Tensor& t : outputs) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<ModelEntry> FindSelectedModel(const ModelSelection& selection) {
  if (selection.threads_per_session < 1 || selection.threads_per_session > kMaxSessionThreads) {
    return InvalidArgumentError("threads_per_session must be in 1.." + std::to_string(kMaxSessionThreads));
  }
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(selection.repository));
  return repo->Find(selection.name, selection.version);
}

Status LoadModel(ModelEntry entry, const ModelSelection& options, int max_batch, ModelRuntime* out) {
  out->entry = std::move(entry);
  const ModelManifest& m = out->entry.manifest;
  const std::string id = m.name + ":" + std::to_string(m.version);
  if (!out->entry.onnx_path.empty()) {  // "" for a head on classical descriptors alone
    const std::string backend_name = options.backend == "auto" ? m.backend : options.backend;
    VIGIL_ASSIGN_OR_RETURN(BackendKind kind, ParseBackendKind(backend_name));
    auto backend = CreateBackend(kind, out->entry.onnx_path);
    if (!backend.ok()) return backend.status().WithContext("loading model " + id);
    out->backend = std::move(*backend);
    SessionOptions session_options;
    session_options.threads = options.threads_per_session;
    session_options.max_batch = max_batch;
    out->sessions = std::make_unique<SessionPool>(out->backend.get(), session_options);
  }

  out->decode = options.decode;
  if (options.scaled_decode) {
    if (out->decode.min_width == 0) out->decode.min_width = m.input.width;
    if (out->decode.min_height == 0) out->decode.min_height = m.input.height;
  } else {
    out->decode.min_width = out->decode.min_height = 0;
  }
  VIGIL_ASSIGN_OR_RETURN(out->spec, PreprocessSpecFromManifest(m.input, m.preprocessing));
  // Create one session now so that a model the backend cannot run fails here, not on first use.
  return out->sessions ? out->sessions->Warm() : Status::Ok();
}

}  // namespace vigil
