// XNNPACK backend (operator API): loads and lowers an ONNX model once (XnnProgram, shared and
// immutable); each Session creates its own XNNPACK operators (weights packed per session: this
// XNNPACK has no weights cache), 64-byte aligned activation memory for one micro-batch
// (kMicroBatch images; larger batches run in several passes) and, for threads > 1, its own
// pthreadpool. Operators are set up once per micro-batch size and re-used while it stays the same.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "runtime/backend.h"
#include "runtime/graph_optimize.h"
#include "runtime/onnx_graph.h"
#include "runtime/xnnpack_handles.h"
#include "runtime/xnnpack_program.h"
#include "vigil/log.h"

namespace vigil {

namespace {

constexpr size_t kMicroBatch = 2;  // images per pass through the graph (see Run)
constexpr size_t kAlignment = 64;
constexpr size_t kMaxActivationFloatsPerItem = size_t{1} << 28;  // 1 GiB of activations per image  // AVX-512 loads/stores must not straddle cache lines

// Zero-initialised float block aligned to kAlignment.
struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], FreeDeleter>;

AlignedFloats AllocateAligned(size_t floats) {
  const size_t bytes = (floats * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
  AlignedFloats block(static_cast<float*>(std::aligned_alloc(kAlignment, bytes)));
  if (block) std::memset(block.get(), 0, bytes);
  return block;
}

Status InitializeXnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  if (status != xnn_status_success) {
    return InternalError("xnn_initialize failed with status " + std::to_string(static_cast<int>(status)));
  }
  return Status::Ok();
}

Status XnnError(const char* what, const XnnStep& step, xnn_status status) {
  return InternalError(std::string("XNNPACK ") + what + " failed (status " +
                       std::to_string(static_cast<int>(status)) + ") for " + step.node);
}

class XnnpackSession : public Session {
 public:
  XnnpackSession(std::shared_ptr<const XnnProgram> program, const SessionOptions& options)
      : program_(std::move(program)),
        max_batch_(options.max_batch),
        micro_batch_(std::min<size_t>(options.max_batch, kMicroBatch)) {
    if (options.threads > 1) {
      pool_.reset(pthreadpool_create(static_cast<size_t>(options.threads)));
      if (options.yield_workers) flags_ = XNN_FLAG_YIELD_WORKERS;
    }
  }

  Status Init() {
    const XnnProgram& p = *program_;
    for (size_t floats : p.block_floats_per_item) {
      blocks_.push_back(AllocateAligned(floats * micro_batch_ + XNN_EXTRA_BYTES / sizeof(float)));
      if (!blocks_.back()) return ResourceExhaustedError("cannot allocate activation memory for max_batch " +
                                                         std::to_string(max_batch_));
    }
    ops_.resize(p.steps.size());
    for (size_t i = 0; i < p.steps.size(); ++i) VIGIL_RETURN_IF_ERROR(CreateOperator(p.steps[i], &ops_[i]));
    return Status::Ok();
  }

  // Runs the batch in micro-batches of at most kMicroBatch images: activations of a few images
  // stay in cache (MobileNetV2, 1 thread: batch 1-4 ~145 img/s, batch 16 ~114 img/s in one piece).
  Status Run(const Tensor& input, std::vector<Tensor>* outputs) override {
    const XnnProgram& p = *program_;
    VIGIL_RETURN_IF_ERROR(CheckInput(input));
    const size_t n = static_cast<size_t>(input.shape[0]);
    const size_t in_item = p.input.FloatsPerItem();
    outputs->assign(p.outputs.size(), Tensor());
    for (size_t i = 0; i < p.outputs.size(); ++i) {
      Tensor& t = (*outputs)[i];
      t.name = p.output_names[i];
      t.shape = p.outputs[i].shape;
      t.shape[0] = static_cast<int64_t>(n);
      t.data.resize(static_cast<size_t>(Tensor::NumElements(t.shape)));
    }
    for (size_t start = 0; start < n; start += micro_batch_) {
      const size_t c = std::min(micro_batch_, n - start);
      std::memcpy(Ptr(p.input), input.data.data() + start * in_item, c * in_item * sizeof(float));
      if (c != setup_batch_) {
        setup_batch_ = 0;
        for (size_t i = 0; i < p.steps.size(); ++i) VIGIL_RETURN_IF_ERROR(SetupOperator(p.steps[i], ops_[i].get(), c));
        setup_batch_ = c;
      }
      for (size_t i = 0; i < p.steps.size(); ++i) {
        if (ops_[i]) {
          const xnn_status s = xnn_run_operator(ops_[i].get(), pool_.get());
          if (s != xnn_status_success) return XnnError("run", p.steps[i], s);
        } else {
          RunPlainStep(p.steps[i], c);
        }
      }
      for (size_t i = 0; i < p.outputs.size(); ++i) {
        Tensor& t = (*outputs)[i];
        const size_t per_item = t.data.size() / n;
        ReadInto(p.outputs[i], c, t.data.data() + start * per_item);
      }
    }
    return Status::Ok();
  }

 private:
  float* Ptr(const XnnTensorRef& r) {
    return blocks_[program_->buffers[r.buffer].block].get() + r.offset;
  }

  Status CheckInput(const Tensor& input) const {
    const std::vector<int64_t>& want = program_->input_shape;
    bool ok = input.shape.size() == want.size() && !input.shape.empty();
    for (size_t d = 1; ok && d < want.size(); ++d) ok = input.shape[d] == want[d];
    if (!ok) {
      std::vector<int64_t> expected = want;
      expected[0] = -1;
      return InvalidArgumentError("input '" + program_->input_name + "' has shape " + ShapeToString(input.shape) +
                                  ", expected " + ShapeToString(expected) + " (-1: batch)");
    }
    if (input.shape[0] < 1 || input.shape[0] > max_batch_) {
      return InvalidArgumentError("batch " + std::to_string(input.shape[0]) + " is outside 1.." +
                                  std::to_string(max_batch_) + " (SessionOptions.max_batch)");
    }
    if (static_cast<int64_t>(input.data.size()) != Tensor::NumElements(input.shape)) {
      return InvalidArgumentError("input data has " + std::to_string(input.data.size()) + " floats, shape " +
                                  ShapeToString(input.shape) + " needs " +
                                  std::to_string(Tensor::NumElements(input.shape)));
    }
    return Status::Ok();
  }

  Status CreateOperator(const XnnStep& s, XnnOperatorPtr* out) {
    xnn_operator_t op = nullptr;
    xnn_status st = xnn_status_success;
    const float* bias = s.bias.empty() ? nullptr : s.bias.data();
    switch (s.kind) {
      case XnnStepKind::kConvolution:
        st = xnn_create_convolution2d_nhwc_f32(s.pad_top, s.pad_right, s.pad_bottom, s.pad_left, s.kernel_h,
                                               s.kernel_w, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w,
                                               s.groups, s.group_in, s.group_out, s.in.stride, s.out.stride,
                                               s.weights.data(), bias, s.out_min, s.out_max, flags_, &op);
        break;
      case XnnStepKind::kMaxPool:
        st = xnn_create_max_pooling2d_nhwc_f32(s.pad_top, s.pad_right, s.pad_bottom, s.pad_left, s.kernel_h,
                                               s.kernel_w, s.stride_h, s.stride_w, s.dilation_h, s.dilation_w,
                                               s.in.channels, s.in.stride, s.out.stride, s.out_min, s.out_max, flags_,
                                               &op);
        break;
      case XnnStepKind::kAveragePool:
        st = xnn_create_average_pooling2d_nhwc_f32(s.pad_top, s.pad_right, s.pad_bottom, s.pad_left, s.kernel_h,
                                                   s.kernel_w, s.stride_h, s.stride_w, s.in.channels, s.in.stride,
                                                   s.out.stride, s.out_min, s.out_max, flags_, &op);
        break;
      case XnnStepKind::kGlobalAveragePool:
        st = xnn_create_global_average_pooling_nwc_f32(s.in.channels, s.in.stride, s.out.stride, s.out_min,
                                                       s.out_max, flags_, &op);
        break;
      case XnnStepKind::kFullyConnected:
        st = xnn_create_fully_connected_nc_f32(s.group_in, s.group_out, s.in.stride, s.out.stride, s.weights.data(),
                                               bias, s.out_min, s.out_max, flags_, &op);
        break;
      case XnnStepKind::kAdd:
        st = xnn_create_add_nd_f32(s.out_min, s.out_max, flags_, &op);
        break;
      case XnnStepKind::kClamp:
        st = xnn_create_clamp_nc_f32(s.in.channels, s.in.stride, s.out.stride, s.out_min, s.out_max, flags_, &op);
        break;
      case XnnStepKind::kLeakyRelu:
        st = xnn_create_leaky_relu_nc_f32(s.in.channels, s.in.stride, s.out.stride, s.alpha, flags_, &op);
        break;
      case XnnStepKind::kSigmoid:
        st = xnn_create_sigmoid_nc_f32(s.in.channels, s.in.stride, s.out.stride, flags_, &op);
        break;
      case XnnStepKind::kSoftmax:
        st = xnn_create_softmax_nc_f32(s.in.channels, s.in.stride, s.out.stride, flags_, &op);
        break;
      case XnnStepKind::kCopy:
        st = xnn_create_copy_nc_x32(s.in.channels, s.in.stride, s.out.stride, flags_, &op);
        break;
      case XnnStepKind::kTanh:
      case XnnStepKind::kPad:
      case XnnStepKind::kNchwToNhwc:
      case XnnStepKind::kNhwcToNchw:
        return Status::Ok();  // plain loops
    }
    out->reset(op);
    if (st != xnn_status_success) return XnnError("create", s, st);
    return Status::Ok();
  }

  Status SetupOperator(const XnnStep& s, xnn_operator_t op, size_t n) {
    if (op == nullptr) return Status::Ok();
    const float* in = Ptr(s.in);
    float* out = Ptr(s.out);
    pthreadpool_t pool = pool_.get();
    xnn_status st = xnn_status_success;
    const size_t rows = n * s.in.pixels;
    switch (s.kind) {
      case XnnStepKind::kConvolution:
        st = xnn_setup_convolution2d_nhwc_f32(op, n, s.in.height, s.in.width, in, out, pool);
        break;
      case XnnStepKind::kMaxPool:
        st = xnn_setup_max_pooling2d_nhwc_f32(op, n, s.in.height, s.in.width, in, out, pool);
        break;
      case XnnStepKind::kAveragePool:
        st = xnn_setup_average_pooling2d_nhwc_f32(op, n, s.in.height, s.in.width, in, out, pool);
        break;
      case XnnStepKind::kGlobalAveragePool:
        st = xnn_setup_global_average_pooling_nwc_f32(op, n, s.in.pixels, in, out, pool);
        break;
      case XnnStepKind::kFullyConnected:
        st = xnn_setup_fully_connected_nc_f32(op, rows, in, out, pool);
        break;
      case XnnStepKind::kAdd: {
        std::vector<size_t> a = s.in_shape, b = s.in2_shape;
        a[0] = n;
        if (s.in2_batched) b[0] = n;
        const float* in2 = s.in2_constant.empty() ? Ptr(s.in2) : s.in2_constant.data();
        st = xnn_setup_add_nd_f32(op, a.size(), a.data(), b.size(), b.data(), in, in2, out, pool);
        break;
      }
      case XnnStepKind::kClamp:
        st = xnn_setup_clamp_nc_f32(op, rows, in, out, pool);
        break;
      case XnnStepKind::kLeakyRelu:
        st = xnn_setup_leaky_relu_nc_f32(op, rows, in, out, pool);
        break;
      case XnnStepKind::kSigmoid:
        st = xnn_setup_sigmoid_nc_f32(op, rows, in, out, pool);
        break;
      case XnnStepKind::kSoftmax:
        st = xnn_setup_softmax_nc_f32(op, rows, in, out, pool);
        break;
      case XnnStepKind::kCopy:
        st = xnn_setup_copy_nc_x32(op, rows, in, out, pool);
        break;
      default:
        break;
    }
    if (st != xnn_status_success) return XnnError("setup", s, st);
    return Status::Ok();
  }

  void RunPlainStep(const XnnStep& s, size_t n) {
    const float* in = Ptr(s.in);
    float* out = Ptr(s.out);
    switch (s.kind) {
      case XnnStepKind::kTanh:
        for (size_t p = 0; p < n * s.in.pixels; ++p)
          for (size_t c = 0; c < s.in.channels; ++c) out[p * s.out.stride + c] = std::tanh(in[p * s.in.stride + c]);
        break;
      case XnnStepKind::kPad: {
        const size_t h = s.in.height, w = s.in.width, c = s.in.channels;
        const size_t oh = s.out.height, ow = s.out.width;
        for (size_t b = 0; b < n; ++b)
          for (size_t y = 0; y < oh; ++y)
            for (size_t x = 0; x < ow; ++x) {
              float* dst = out + ((b * oh + y) * ow + x) * s.out.stride;
              const long iy = static_cast<long>(y) - s.pad_top, ix = static_cast<long>(x) - s.pad_left;
              if (iy < 0 || ix < 0 || iy >= static_cast<long>(h) || ix >= static_cast<long>(w)) {
                for (size_t k = 0; k < c; ++k) dst[k] = s.alpha;
              } else {
                std::memcpy(dst, in + ((b * h + iy) * w + ix) * s.in.stride, c * sizeof(float));
              }
            }
        break;
      }
      case XnnStepKind::kNchwToNhwc: {
        const size_t c = s.out.channels, hw = s.out.pixels;
        for (size_t b = 0; b < n; ++b)
          for (size_t k = 0; k < c; ++k)
            for (size_t p = 0; p < hw; ++p) out[(b * hw + p) * s.out.stride + k] = in[(b * c + k) * hw + p];
        break;
      }
      case XnnStepKind::kNhwcToNchw: {
        const size_t c = s.in.channels, hw = s.in.pixels;
        for (size_t b = 0; b < n; ++b)
          for (size_t k = 0; k < c; ++k)
            for (size_t p = 0; p < hw; ++p) out[(b * c + k) * hw + p] = in[(b * hw + p) * s.in.stride + k];
        break;
      }
      default:
        break;
    }
  }

  // Copies `n` items of `r` into `dst` in logical (NCHW / row-major) order.
  void ReadInto(const XnnTensorRef& r, size_t n, float* dst) {
    const float* base = Ptr(r);
    size_t i = 0;
    if (r.nhwc) {
      for (size_t b = 0; b < n; ++b)
        for (size_t c = 0; c < r.channels; ++c)
          for (size_t p = 0; p < r.pixels; ++p) dst[i++] = base[(b * r.pixels + p) * r.stride + c];
    } else {
      for (size_t b = 0; b < n; ++b)
        for (size_t p = 0; p < r.pixels; ++p)
          for (size_t c = 0; c < r.channels; ++c) dst[i++] = base[(b * r.pixels + p) * r.stride + c];
    }
  }

  std::shared_ptr<const XnnProgram> program_;
  int max_batch_;
  size_t micro_batch_;
  PthreadpoolPtr pool_;
  std::vector<AlignedFloats> blocks_;
  std::vector<XnnOperatorPtr> ops_;
  size_t setup_batch_ = 0;
  uint32_t flags_ = 0;
};

class XnnpackBackend : public Backend {
 public:
  explicit XnnpackBackend(std::shared_ptr<const XnnProgram> program) : program_(std::move(program)) {}
  BackendKind kind() const override { return BackendKind::kXnnpack; }

  Result<std::unique_ptr<Session>> CreateSession(const SessionOptions& options) const override {
    VIGIL_RETURN_IF_ERROR(ValidateSessionOptions(options));
    auto session = std::make_unique<XnnpackSession>(program_, options);
    VIGIL_RETURN_IF_ERROR(session->Init());
    return std::unique_ptr<Session>(std::move(session));
  }

 private:
  std::shared_ptr<const XnnProgram> program_;
};

}  // namespace

Result<std::unique_ptr<Backend>> CreateXnnpackBackend(const std::string& onnx_path) {
  VIGIL_RETURN_IF_ERROR(InitializeXnnpack());
  VIGIL_ASSIGN_OR_RETURN(PreparedGraph prepared, LoadPreparedGraph(onnx_path, "XNNPACK"));
  const OnnxGraph& graph = prepared.graph;
  const OptimizeStats& stats = prepared.stats;
  auto program = LowerToXnnpack(graph, prepared.shapes);
  if (!program.ok()) return program.status().WithContext(onnx_path);
  if (program->PlannedFloatsPerItem() > kMaxActivationFloatsPerItem) {
    return ResourceExhaustedError(onnx_path + ": activations need " +
                                  std::to_string(program->PlannedFloatsPerItem() * 4 >> 20) +
                                  " MiB per image, above the limit");
  }
  Log(LogLevel::kDebug, "xnnpack: " + onnx_path + ": " + std::to_string(program->steps.size()) + " steps, " +
                            std::to_string(stats.batch_norms_folded) + " BN folded, " +
                            std::to_string(stats.activations_fused) + " activations fused, " +
                            std::to_string(stats.pads_fused) + " pads fused, " +
                            std::to_string(program->PlannedFloatsPerItem() * 4 / 1024) + " KiB activations/item");
  auto shared = std::make_shared<const XnnProgram>(std::move(program).value());
  return std::unique_ptr<Backend>(std::make_unique<XnnpackBackend>(std::move(shared)));
}

}  // namespace vigil
