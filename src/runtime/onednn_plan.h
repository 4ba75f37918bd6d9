// oneDNN plans, internal to src/runtime: a Plan is an optimized OnnxGraph lowered to oneDNN
// primitives for one (intra-op threads, batch) pair, with weights already reordered into the
// primitives' formats, value descriptors and a memory plan (onednn_lowering.cpp builds it,
// onednn_plan.cpp plans its memory); plus the helpers the lowering and the backend share (the CPU
// engine, the OpenMP thread-count scope, plain descriptors). Not part of the public API.
// Thread-safety: a built Plan is immutable; a WeightCache is used under the Backend's lock.
#pragma once

#include <omp.h>

#include <cstddef>
#include <functional>
#include <map>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

#include <dnnl.hpp>

#include "runtime/onnx_graph.h"
#include "vigil/status.h"

namespace vigil {
namespace onednn_internal {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

constexpr size_t kAlignment = 64;  // of every planned buffer and arena block

// Sets the calling thread's OpenMP thread count for the lifetime of the object.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()) {
    if (threads != previous_) omp_set_num_threads(threads);
  }
  ~ScopedOmpThreads() {
    if (omp_get_max_threads() != previous_) omp_set_num_threads(previous_);
  }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_;
};

const dnnl::engine& Engine();

// The plain (abcd...) f32 descriptor of `dims` (ranks 1-5).
memory::desc PlainDesc(const memory::dims& dims);

// ---------------------------------------------------------------------------------------------
// Plan

constexpr int kExternalInput = -1;   // value lives in the caller's input tensor
constexpr int kExternalOutput = -2;  // value lives in a caller's output tensor (see output_index)

struct PlanValue {
  memory::desc desc;
  int buffer = kExternalInput;  // >= 0: a planned buffer; or kExternal*
  int output_index = -1;        // for kExternalOutput
};

struct PlanStep {
  std::string node;  // for error messages
  dnnl::primitive primitive;
  bool has_primitive = false;
  std::vector<std::pair<int, int>> value_args;        // DNNL_ARG_* → value id
  std::vector<std::pair<int, memory>> constant_args;  // weights, bias, constants (shared, read-only)
  bool uses_scratchpad = false;
  int fill_value = -1;  // >= 0: fill this value's bytes with `fill` (before the primitive, if any)
  float fill = 0.0f;
  // Instead of a primitive: Vigil's own code for an op oneDNN has no primitive for, called with the
  // step's memories (value_args, keyed by DNNL_ARG_*) after the earlier steps have finished.
  std::function<void(const std::unordered_map<int, memory>& args)> kernel;
};

struct Plan {
  int threads = 1;
  int batch = 1;
  std::vector<PlanValue> values;
  std::vector<size_t> buffer_bytes;
  std::vector<size_t> buffer_offset;  // into the session arena
  size_t arena_bytes = 0;
  size_t scratchpad_bytes = 0;
  std::vector<PlanStep> steps;
  std::vector<int> output_values;  // the kExternalOutput value of each graph output
};

// `data` (in `plain` layout) reordered into a new memory in `want`. Runs on the calling thread
// alone: an OpenMP team started here would stay alive (idle) on the thread that builds plans, and
// while libgomp manages more threads than there are CPUs it stops spinning between parallel regions
// (GOMP "throttled" spin count), so every primitive of a multi-threaded session running on another
// thread would pay a futex wake-up (measured: MobileNetV2, 2 threads, batch 1: ~230 vs ~550 img/s).
memory ReorderConstant(const memory::desc& plain, const float* data, const memory::desc& want,
                       dnnl::stream& stream);

// Model weights already reordered into a primitive's format, shared by the plans of one Backend
// (plans for other thread counts or batch sizes usually want the same formats). Keyed by the
// initializer's name and the format, so that a plan lowered from a re-read graph (the Backend
// drops its float weights once its first plan is built) finds the weights already reordered.
// Used under the Backend's lock.
class WeightCache {
 public:
  // `data` (initializer `name`) in `want`, reordered from `plain` on first request.
  memory Get(const std::string& name, const memory::desc& plain, const float* data, const memory::desc& want,
             dnnl::stream& stream) {
    for (const Entry& e : entries_[name]) {
      if (e.plain == plain && e.want == want) return e.reordered;
    }
    memory dst = ReorderConstant(plain, data, want, stream);
    entries_[name].push_back(Entry{plain, want, dst});
    return dst;
  }

 private:
  struct Entry {
    memory::desc plain, want;
    memory reordered;
  };
  std::map<std::string, std::vector<Entry>> entries_;
};

// The graph lowered to a Plan for `batch` images (on the calling thread, whose OpenMP thread count
// must be `threads`). The plan does not refer to the graph once built (constants are copied).
Result<Plan> LowerGraph(const OnnxGraph& graph, const ShapeMap& shapes, WeightCache* weights, int threads,
                        int batch);

// Memory: buffer lifetimes from the steps, then greedy best-fit placement in blocks (sets
// plan->arena_bytes and plan->buffer_offset).
void PlanMemory(Plan* plan);

}  // namespace onednn_internal
}  // namespace vigil
