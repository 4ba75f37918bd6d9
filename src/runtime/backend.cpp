// Backend factory and BackendKind names. kAuto picks oneDNN on AVX-512 CPUs, else XNNPACK, when
// it can express the model, and falls back to the next (finally OpenCV DNN) otherwise, logging why.
#include "runtime/backend.h"

#include "vigil/log.h"

namespace vigil {

const char* BackendKindName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kAuto: return "auto";
    case BackendKind::kXnnpack: return "xnnpack";
    case BackendKind::kOpenCv: return "opencv";
    case BackendKind::kOneDnn: return "onednn";
  }
  return "unknown";
}

Result<BackendKind> ParseBackendKind(const std::string& name) {
  for (BackendKind k : {BackendKind::kAuto, BackendKind::kXnnpack, BackendKind::kOpenCv, BackendKind::kOneDnn}) {
    if (name == BackendKindName(k)) return k;
  }
  return InvalidArgumentError("unknown backend '" + name + "' (expected auto, xnnpack, onednn or opencv)");
}

Result<std::unique_ptr<Backend>> CreateBackend(BackendKind kind, const std::string& onnx_path) {
  switch (kind) {
    case BackendKind::kXnnpack: return CreateXnnpackBackend(onnx_path);
    case BackendKind::kOpenCv: return CreateOpenCvBackend(onnx_path);
    case BackendKind::kOneDnn: return CreateOneDnnBackend(onnx_path);
    case BackendKind::kAuto: break;
  }
  if (OneDnnPreferredOnThisCpu()) {
    auto dnn = CreateOneDnnBackend(onnx_path);
    if (dnn.ok() || dnn.status().code() != StatusCode::kUnsupported) return dnn;
    Log(LogLevel::kInfo, "backend auto: oneDNN cannot run the model (" + dnn.status().message() +
                             "); trying XNNPACK");
  }
  auto xnn = CreateXnnpackBackend(onnx_path);
  if (xnn.ok() || xnn.status().code() != StatusCode::kUnsupported) return xnn;
  Log(LogLevel::kInfo, "backend auto: XNNPACK cannot run the model (" + xnn.status().message() +
                           "); falling back to OpenCV DNN");
  return CreateOpenCvBackend(onnx_path);
}

Status ValidateSessionOptions(const SessionOptions& options) {
  if (options.threads < 1 || options.threads > kMaxSessionThreads) {
    return InvalidArgumentError("SessionOptions.threads must be in 1.." + std::to_string(kMaxSessionThreads));
  }
  if (options.max_batch < 1 || options.max_batch > kMaxSessionBatch) {
    return InvalidArgumentError("SessionOptions.max_batch must be in 1.." + std::to_string(kMaxSessionBatch));
  }
  return Status::Ok();
}

}  // namespace vigil
