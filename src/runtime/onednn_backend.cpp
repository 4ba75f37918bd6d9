// oneDNN backend: Backend and Session over Plans (onednn_plan.h) of an optimized OnnxGraph,
// lowered to oneDNN primitives that choose their own memory formats (format_tag::any: on AVX-512
// the f32 kernels pick NHWC, brgemm-based); data is reordered only where a consumer wants another
// format, at the model input and at the graph outputs (see onednn_lowering.cpp).
//
// Plans: a Plan is the lowered model for one (intra-op threads, batch) pair: primitives, weights
// already reordered into the primitives' formats, value descriptors and a memory plan. Plans are
// built on first use and cached in the Backend, shared by every session with the same pair
// (primitives are thread-safe to execute concurrently; they use a user-provided scratchpad).
// An Executor owns, for one thread count, a stream, the activation arena of each plan it runs and a
// scratchpad. A Session has one Executor with SessionOptions.threads threads and, when threads > 1,
// one 1-thread Executor per thread: a batch of at least `threads` images is shared out image by
// image between the threads (no per-primitive fork/join), the remainder and batch 1 use intra-op
// threads. Batches run in micro-batches of kMicroBatch images. Work that runs with intra-op
// threads also has a 1-thread executor: IntraOpChoice (intra_op_choice.h) picks whichever has been
// faster lately, since OpenMP's fork/join per primitive collapses when other processes keep the
// cores busy.
//
// Threads: Debian's libdnnl uses the OpenMP runtime, whose thread count is the calling thread's
// OpenMP ICV (nthreads-var): omp_set_num_threads applies to the thread that calls it. A session sets
// it to SessionOptions.threads around each Run (and around plan construction, where oneDNN fixes a
// primitive's work split), then restores it, so sessions with different thread counts coexist in a
// process. A 1-thread session never starts OpenMP threads. yield_workers is not applicable: OpenMP
// workers spin briefly then sleep as OMP_WAIT_POLICY / GOMP_SPINCOUNT (read at process start) say.
#include <malloc.h>
#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <dnnl.hpp>

#include "runtime/backend.h"
#include "runtime/graph_optimize.h"
#include "runtime/intra_op_choice.h"
#include "runtime/onednn_plan.h"
#include "runtime/onnx_graph.h"
#include "vigil/log.h"

namespace vigil {
namespace onednn_internal {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMaxArenaBytesPerItem = size_t{1} << 30;  // 1 GiB of activations per image
// Images per pass through the graph: one keeps an image's activations in cache. Measured on Zen 4
// (MobileNetV2, batch 16, 1 thread, CPU time): micro-batch 1 / 2 / 4 = 264 / 266 / 258 img/s.
constexpr int kMicroBatch = 1;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<uint8_t[], FreeDeleter>;

// Zero-filled, 64-byte aligned; blocks of 2 MiB or more are 2 MiB aligned and ask for transparent
// huge pages (fewer TLB misses when a layer streams megabytes of activations).
AlignedBytes AllocateAligned(size_t bytes) {
  const bool huge = bytes >= kHugePage;
  const size_t align = huge ? kHugePage : kAlignment;
  bytes = std::max<size_t>(align, (bytes + align - 1) / align * align);
  AlignedBytes block(static_cast<uint8_t*>(std::aligned_alloc(align, bytes)));
  if (!block) return block;
  if (huge) madvise(block.get(), bytes, MADV_HUGEPAGE);
  std::memset(block.get(), 0, bytes);
  return block;
}

// Returns the heap pages freed after loading (protobuf, graph copies, weights) to the system: glibc
// keeps freed memory below its mmap threshold in the heap otherwise.
void TrimHeap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

// ---------------------------------------------------------------------------------------------

struct Model {
  std::string onnx_path;
  ShapeMap shapes;  // at batch 1
  std::vector<int64_t> input_shape;  // at batch 1
  std::string input_name;
  size_t input_floats_per_item = 0;
  std::vector<std::string> output_names;
  std::vector<std::vector<int64_t>> output_shapes;  // at batch 1
};

class OneDnnBackend;

// The memory objects of one plan for one executor.
struct SessionPlan {
  std::shared_ptr<const Plan> plan;
  AlignedBytes arena;
  std::vector<memory> values;
  std::vector<std::unordered_map<int, memory>> args;
  std::vector<int> input_values;  // values whose handle is the caller's input
  std::vector<std::vector<int>> output_values;  // per graph output: values in that output tensor
};

// Runs plans of one thread count: its own stream, activation arenas and scratchpad.
class Executor {
 public:
  Executor(const OneDnnBackend* backend, const Model* model, int threads)
      : backend_(backend), model_(model), threads_(threads), stream_(Engine()) {}

  // The plan for `batch` images, built (and its memory allocated) on first use.
  Result<SessionPlan*> PlanFor(int batch);
  // Images [start, start + count) of `input` into `outputs` (already sized), in micro-batches of
  // `micro` images. Plans for the sizes used must exist when called inside a parallel region.
  Status Run(const float* input, int start, int count, int micro, std::vector<Tensor>* outputs,
             const std::vector<size_t>& per_item);

 private:
  const OneDnnBackend* backend_;
  const Model* model_;
  int threads_;
  dnnl::stream stream_;
  std::map<int, SessionPlan> plans_;  // by batch size
  AlignedBytes scratchpad_;
  size_t scratchpad_bytes_ = 0;
  memory scratchpad_memory_;
};

class OneDnnSession : public Session {
 public:
  OneDnnSession(const OneDnnBackend* backend, std::shared_ptr<const Model> model, const SessionOptions& options)
      : model_(std::move(model)), options_(options), main_(backend, model_.get(), options.threads) {
    // With several threads, batches of at least `threads` micro-batches run whole images on each
    // thread (1-thread plans): no per-primitive fork/join, no partitioning of small layers.
    const int micro = kMicroBatch;
    if (options.threads > 1 && options.max_batch >= options.threads * micro) {
      for (int t = 0; t < options.threads; ++t) singles_.emplace_back(backend, model_.get(), 1);
    }
    if (options.threads > 1) solo_ = std::make_unique<Executor>(backend, model_.get(), 1);
  }

  Status Init();
  Status Run(const Tensor& input, std::vector<Tensor>* outputs) override;

 private:
  Status CheckInput(const Tensor& input) const;

  std::shared_ptr<const Model> model_;
  SessionOptions options_;
  Executor main_;                 // options.threads threads (OpenMP inside each primitive)
  std::vector<Executor> singles_;  // one 1-thread executor per thread, for image-parallel batches
  std::unique_ptr<Executor> solo_;  // threads > 1: the 1-thread alternative to main_ (IntraOpChoice)
  IntraOpChoice choice_;
};

class OneDnnBackend : public Backend {
 public:
  OneDnnBackend(std::shared_ptr<const Model> model, OnnxGraph graph)
      : model_(std::move(model)), graph_(std::make_unique<OnnxGraph>(std::move(graph))) {}
  BackendKind kind() const override { return BackendKind::kOneDnn; }

  Result<std::unique_ptr<Session>> CreateSession(const SessionOptions& options) const override {
    VIGIL_RETURN_IF_ERROR(ValidateSessionOptions(options));
    auto session = std::make_unique<OneDnnSession>(this, model_, options);
    VIGIL_RETURN_IF_ERROR(session->Init());
    return std::unique_ptr<Session>(std::move(session));
  }

  // The plan for (threads, batch), built on first use (on the calling thread).
  Result<std::shared_ptr<const Plan>> GetPlan(int threads, int batch) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_pair(threads, batch);
    auto it = plans_.find(key);
    if (it != plans_.end()) return it->second;
    // Once released, the graph is re-read for this plan only (the weight cache keeps the conv
    // weights already reordered: usually only small constants are reordered again).
    std::unique_ptr<OnnxGraph> reloaded;
    if (!graph_) {
      reloaded = std::make_unique<OnnxGraph>();
      auto graph = LoadOptimizedGraph(model_->onnx_path);
      if (!graph.ok()) return graph.status().WithContext("oneDNN: re-reading the model for a new plan");
      *reloaded = std::move(graph).value();
    }
    ScopedOmpThreads omp(threads);
    VIGIL_ASSIGN_OR_RETURN(Plan plan, LowerGraph(graph_ ? *graph_ : *reloaded, model_->shapes, &weights_, threads,
                                                 batch));
    if (plan.arena_bytes / batch > kMaxArenaBytesPerItem) {
      return ResourceExhaustedError("oneDNN: activations need " + std::to_string((plan.arena_bytes / batch) >> 20) +
                                    " MiB per image, above the limit");
    }
    auto shared = std::make_shared<const Plan>(std::move(plan));
    plans_[key] = shared;
    return shared;
  }

  const Model& model() const { return *model_; }

  // Frees the graph (its float weights: as many bytes as the model file) once the plans most
  // sessions use exist; those plans hold the weights in the primitives' formats. A plan for another
  // (threads, batch) pair re-reads the model file.
  void ReleaseGraph() const {
    std::lock_guard<std::mutex> lock(mu_);
    graph_.reset();
  }

  static Result<OnnxGraph> LoadOptimizedGraph(const std::string& onnx_path) {
    VIGIL_ASSIGN_OR_RETURN(OnnxGraph graph, LoadOnnxGraph(onnx_path));
    VIGIL_RETURN_IF_ERROR(OptimizeGraph(&graph, nullptr));
    return graph;
  }

 private:
  std::shared_ptr<const Model> model_;
  mutable std::unique_ptr<OnnxGraph> graph_;  // null once released
  mutable std::mutex mu_;
  mutable std::map<std::pair<int, int>, std::shared_ptr<const Plan>> plans_;
  mutable WeightCache weights_;
};

Status OneDnnSession::Init() {
  // The full micro-batch plans now (also the only ones the image-parallel path uses); a smaller
  // remainder plan on first use.
  const int micro = kMicroBatch;
  ScopedOmpThreads omp(options_.threads);
  VIGIL_RETURN_IF_ERROR(main_.PlanFor(std::min(micro, options_.max_batch)).status());
  for (Executor& e : singles_) VIGIL_RETURN_IF_ERROR(e.PlanFor(micro).status());
  if (solo_) {
    ScopedOmpThreads one(1);
    VIGIL_RETURN_IF_ERROR(solo_->PlanFor(std::min(micro, options_.max_batch)).status());
  }
  return Status::Ok();
}

Result<SessionPlan*> Executor::PlanFor(int batch) {
  auto it = plans_.find(batch);
  if (it != plans_.end()) return &it->second;
  VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<const Plan> plan, backend_->GetPlan(threads_, batch));
  try {
    SessionPlan sp;
    sp.plan = plan;
    sp.arena = AllocateAligned(plan->arena_bytes);
    if (!sp.arena) return ResourceExhaustedError("cannot allocate oneDNN activation memory");
    if (plan->scratchpad_bytes > scratchpad_bytes_) {
      scratchpad_ = AllocateAligned(plan->scratchpad_bytes);
      if (!scratchpad_) return ResourceExhaustedError("cannot allocate oneDNN scratchpad memory");
      scratchpad_bytes_ = plan->scratchpad_bytes;
      scratchpad_memory_ = memory(memory::desc({static_cast<memory::dim>(scratchpad_bytes_)}, Dt::u8, Tag::a),
                                  Engine(), scratchpad_.get());
      for (auto& other : plans_) {
        for (auto& a : other.second.args) {
          auto s = a.find(DNNL_ARG_SCRATCHPAD);
          if (s != a.end()) s->second = scratchpad_memory_;
        }
      }
    }
    sp.output_values.resize(model_->output_names.size());
    for (size_t v = 0; v < plan->values.size(); ++v) {
      const PlanValue& pv = plan->values[v];
      void* handle = DNNL_MEMORY_NONE;
      if (pv.buffer >= 0) {
        handle = sp.arena.get() + plan->buffer_offset[pv.buffer];
      } else if (pv.buffer == kExternalInput) {
        sp.input_values.push_back(static_cast<int>(v));
      } else {
        sp.output_values[pv.output_index].push_back(static_cast<int>(v));
      }
      sp.values.emplace_back(pv.desc, Engine(), handle);
    }
    for (const PlanStep& s : plan->steps) {
      std::unordered_map<int, memory> args;
      for (const auto& a : s.value_args) args[a.first] = sp.values[a.second];
      for (const auto& a : s.constant_args) args[a.first] = a.second;
      if (s.uses_scratchpad) args[DNNL_ARG_SCRATCHPAD] = scratchpad_memory_;
      sp.args.push_back(std::move(args));
    }
    return &(plans_[batch] = std::move(sp));
  } catch (const dnnl::error& e) {
    return InternalError(std::string("oneDNN session: ") + e.what());
  }
}

Status Executor::Run(const float* input, int start, int count, int micro, std::vector<Tensor>* outputs,
                     const std::vector<size_t>& per_item) {
  try {
    for (int done = 0; done < count; done += micro) {
      const int c = std::min(micro, count - done);
      const int first = start + done;
      VIGIL_ASSIGN_OR_RETURN(SessionPlan * sp, PlanFor(c));
      float* in = const_cast<float*>(input) + static_cast<size_t>(first) * model_->input_floats_per_item;
      for (int v : sp->input_values) sp->values[v].set_data_handle(in);
      for (size_t i = 0; i < sp->output_values.size(); ++i) {
        float* out = (*outputs)[i].data.data() + static_cast<size_t>(first) * per_item[i];
        for (int v : sp->output_values[i]) sp->values[v].set_data_handle(out);
      }
      const Plan& plan = *sp->plan;
      for (size_t i = 0; i < plan.steps.size(); ++i) {
        const PlanStep& s = plan.steps[i];
        if (s.fill_value >= 0) {
          float* p = static_cast<float*>(sp->values[s.fill_value].get_data_handle());
          std::fill(p, p + plan.values[s.fill_value].desc.get_size() / sizeof(float), s.fill);
        }
        if (s.has_primitive) s.primitive.execute(stream_, sp->args[i]);
        if (s.kernel) {
          stream_.wait();
          s.kernel(sp->args[i]);
        }
      }
      stream_.wait();
    }
  } catch (const dnnl::error& e) {
    return InternalError(std::string("oneDNN run: ") + e.what());
  }
  return Status::Ok();
}

Status OneDnnSession::CheckInput(const Tensor& input) const {
  const std::vector<int64_t>& want = model_->input_shape;
  bool ok = input.shape.size() == want.size() && !input.shape.empty();
  for (size_t d = 1; ok && d < want.size(); ++d) ok = input.shape[d] == want[d];
  if (!ok) {
    std::vector<int64_t> expected = want;
    expected[0] = -1;
    return InvalidArgumentError("input '" + model_->input_name + "' has shape " + ShapeToString(input.shape) +
                                ", expected " + ShapeToString(expected) + " (-1: batch)");
  }
  if (input.shape[0] < 1 || input.shape[0] > options_.max_batch) {
    return InvalidArgumentError("batch " + std::to_string(input.shape[0]) + " is outside 1.." +
                                std::to_string(options_.max_batch) + " (SessionOptions.max_batch)");
  }
  if (static_cast<int64_t>(input.data.size()) != Tensor::NumElements(input.shape)) {
    return InvalidArgumentError("input data has " + std::to_string(input.data.size()) + " floats, shape " +
                                ShapeToString(input.shape) + " needs " +
                                std::to_string(Tensor::NumElements(input.shape)));
  }
  return Status::Ok();
}

// Runs the batch in micro-batches of kMicroBatch images (activations of one image stay in cache).
// With T > 1 threads, the first floor(n / (T * micro)) * T micro-batches are shared out between
// the T threads (each running whole micro-batches on a 1-thread plan), the rest run on the
// T-thread plan.
Status OneDnnSession::Run(const Tensor& input, std::vector<Tensor>* outputs) {
  VIGIL_RETURN_IF_ERROR(CheckInput(input));
  const Model& m = *model_;
  const int n = static_cast<int>(input.shape[0]);
  outputs->assign(m.output_names.size(), Tensor());
  std::vector<size_t> per_item(m.output_names.size());
  for (size_t i = 0; i < m.output_names.size(); ++i) {
    Tensor& t = (*outputs)[i];
    t.name = m.output_names[i];
    t.shape = m.output_shapes[i];
    t.shape[0] = n;
    t.data.resize(static_cast<size_t>(Tensor::NumElements(t.shape)));
    per_item[i] = t.data.size() / n;
  }
  ScopedOmpThreads omp(options_.threads);
  const int micro = kMicroBatch;
  const int threads = static_cast<int>(singles_.size());
  const int units = threads > 0 ? n / (micro * threads) * threads : 0;  // micro-batches shared out
  if (units > 0) {
    std::atomic<int> next{0};
    std::vector<Status> status(threads);
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num();
      for (int u = next++; u < units && status[t].ok(); u = next++) {
        status[t] = singles_[t].Run(input.data.data(), u * micro, micro, micro, outputs, per_item);
      }
    }
    for (const Status& s : status) VIGIL_RETURN_IF_ERROR(s);
  }
  const int start = units * micro;
  if (start >= n) return Status::Ok();
  if (!solo_) return main_.Run(input.data.data(), start, n - start, micro, outputs, per_item);
  // Intra-op threads, or one thread when the cores are busy enough to make that faster.
  const IntraOpChoice::Choice choice = choice_.Next();
  const auto began = std::chrono::steady_clock::now();
  if (choice == IntraOpChoice::kSingleThread) {
    ScopedOmpThreads one(1);
    VIGIL_RETURN_IF_ERROR(solo_->Run(input.data.data(), start, n - start, micro, outputs, per_item));
  } else {
    VIGIL_RETURN_IF_ERROR(main_.Run(input.data.data(), start, n - start, micro, outputs, per_item));
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
  choice_.Record(choice, ms / (n - start));
  return Status::Ok();
}

}  // namespace
}  // namespace onednn_internal

bool OneDnnPreferredOnThisCpu() {
  try {
    // cpu_isa values are bit masks (avx2_vnni = 0x407 is numerically above avx512_core = 0x27).
    const unsigned isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const unsigned avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
    return (isa & avx512) == avx512;
  } catch (const dnnl::error&) {
    return false;
  }
}

Result<std::unique_ptr<Backend>> CreateOneDnnBackend(const std::string& onnx_path) {
  using onednn_internal::Model;
  using onednn_internal::OneDnnBackend;
  auto model = std::make_shared<Model>();
  model->onnx_path = onnx_path;
  VIGIL_ASSIGN_OR_RETURN(PreparedGraph prepared, LoadPreparedGraph(onnx_path, "oneDNN"));
  OnnxGraph& graph = prepared.graph;
  const OptimizeStats& stats = prepared.stats;
  const std::vector<int64_t>& input_shape = prepared.input_shape;
  model->shapes = std::move(prepared.shapes);
  model->input_shape = input_shape;
  model->input_name = graph.inputs[0].name;
  model->input_floats_per_item = static_cast<size_t>(Tensor::NumElements(input_shape));
  for (const OnnxValueInfo& o : graph.outputs) {
    auto s = model->shapes.find(o.name);
    if (s == model->shapes.end()) return UnsupportedError(onnx_path + ": graph output '" + o.name + "' has no shape");
    model->output_names.push_back(o.name);
    model->output_shapes.push_back(s->second);
  }
  auto backend = std::make_unique<OneDnnBackend>(std::move(model), std::move(graph));
  // Lower once now (1 thread, batch 1): reports unsupported ops at load time, and warms the plan
  // most sessions use.
  auto plan = backend->GetPlan(1, 1);
  if (!plan.ok()) return plan.status().WithContext(onnx_path);
  Log(LogLevel::kDebug, "onednn: " + onnx_path + ": " + std::to_string((*plan)->steps.size()) + " primitives, " +
                            std::to_string(stats.batch_norms_folded) + " BN folded, " +
                            std::to_string(stats.activations_fused) + " activations fused, " +
                            std::to_string((*plan)->arena_bytes / 1024) + " KiB activations/item");
  backend->ReleaseGraph();
  onednn_internal::TrimHeap();
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace vigil
