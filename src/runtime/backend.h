// Backend: the contract every inference engine implements (XNNPACK, oneDNN, OpenCV DNN).
// A Backend is a loaded, immutable model: thread-safe, shared by workers.
// A Session is per-worker state (buffers, runtimes): NOT thread-safe; one per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/tensor.h"
#include "vigil/status.h"

namespace vigil {

enum class BackendKind { kAuto, kXnnpack, kOpenCv, kOneDnn };

// "auto", "xnnpack", "opencv", "onednn".
const char* BackendKindName(BackendKind kind);
Result<BackendKind> ParseBackendKind(const std::string& name);

struct SessionOptions {
  int threads = 1;    // intra-op threads for this session (1 = run on the calling thread)
  int max_batch = 1;  // largest batch Run will be called with
  // threads > 1 (XNNPACK): pool workers sleep between operators instead of spinning. On idle
  // cores this costs 5-15% (MobileNetV2, 2 threads: ~390 vs ~410 img/s); when other processes
  // use the cores a spinning pool collapses (2-50 img/s vs ~100 img/s yielding). false = spin.
  bool yield_workers = true;
};

// Checks SessionOptions: threads in 1..kMaxSessionThreads, max_batch in 1..kMaxSessionBatch.
constexpr int kMaxSessionThreads = 256;
constexpr int kMaxSessionBatch = 4096;
Status ValidateSessionOptions(const SessionOptions& options);

class Session {
 public:
  virtual ~Session() = default;
  // Runs the model on `input` (shape and layout exactly as the ONNX model's single input, with the
  // batch dimension 1..max_batch). Fills `outputs` with every ONNX graph output, in graph order,
  // each with its name and shape.
  virtual Status Run(const Tensor& input, std::vector<Tensor>* outputs) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const = 0;
  virtual Result<std::unique_ptr<Session>> CreateSession(const SessionOptions& options) const = 0;
};

// Backend factories. Each returns kUnsupported (naming the op) if it cannot express the model.
Result<std::unique_ptr<Backend>> CreateXnnpackBackend(const std::string& onnx_path);
Result<std::unique_ptr<Backend>> CreateOpenCvBackend(const std::string& onnx_path);
// oneDNN (Debian's libdnnl, OpenMP runtime): SessionOptions.threads is applied to the calling
// thread's OpenMP thread count for the duration of each Run; yield_workers does not apply.
Result<std::unique_ptr<Backend>> CreateOneDnnBackend(const std::string& onnx_path);
// True where kAuto tries oneDNN first: CPUs with AVX-512 (measured faster there than this XNNPACK).
bool OneDnnPreferredOnThisCpu();
// kAuto: oneDNN first where OneDnnPreferredOnThisCpu(), then XNNPACK, then OpenCV DNN, each if
// the previous cannot express the model.
Result<std::unique_ptr<Backend>> CreateBackend(BackendKind kind, const std::string& onnx_path);

}  // namespace vigil
