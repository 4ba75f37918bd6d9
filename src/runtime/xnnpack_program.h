// XnnProgram: an optimized OnnxGraph lowered to a flat list of XNNPACK-operator steps over planned
// buffers. 4-D tensors that are NCHW in the model are stored NHWC; Concat outputs are allocated
// once and every branch writes straight into its channel slice (pixel stride = total channels).
// The program holds weights already in XNNPACK layout; sessions create operators from it.
// Contains no XNNPACK types, so it can be built and inspected without the library.
// Thread-safety: immutable after LowerToXnnpack; share it between sessions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/onnx_graph.h"
#include "vigil/status.h"

namespace vigil {

// Where a tensor lives: element (n, pixel p, channel c) is at
//   block(buffer) + n * pixels * stride + p * stride + offset + c.
struct XnnTensorRef {
  int buffer = -1;
  size_t offset = 0;    // channel offset inside a pixel (non-zero for a Concat slice)
  size_t stride = 0;    // floats between consecutive pixels
  size_t channels = 0;  // channels of this tensor
  size_t pixels = 1;    // pixels per batch item (H*W for 4-D, 1 for 2-D)
  size_t height = 1, width = 1;
  bool nhwc = false;  // true: logical NCHW [N,C,H,W] stored NHWC; false: stored as its logical shape
  std::vector<int64_t> shape;  // logical (ONNX) shape at batch 1

  size_t FloatsPerItem() const { return pixels * stride; }
  bool Dense() const { return offset == 0 && stride == channels; }
};

enum class XnnStepKind {
  kConvolution,        // also BatchNormalization as a 1x1 depthwise convolution
  kMaxPool,
  kAveragePool,
  kGlobalAveragePool,
  kFullyConnected,
  kAdd,
  kClamp,
  kLeakyRelu,
  kSigmoid,
  kSoftmax,
  kCopy,               // channel copy between strides (Concat of an input that was not aliased)
  kTanh,               // plain loop (no f32 tanh operator in this XNNPACK)
  kPad,                // plain loop: constant spatial padding of an NHWC tensor
  kNchwToNhwc,         // plain loop: layout conversion
  kNhwcToNchw,         // plain loop: layout conversion
};

struct XnnStep {
  XnnStepKind kind = XnnStepKind::kCopy;
  std::string node;  // the ONNX node it came from, for error messages
  XnnTensorRef in, in2, out;
  // Convolution / pooling window (padding order as XNNPACK: top, right, bottom, left).
  uint32_t pad_top = 0, pad_right = 0, pad_bottom = 0, pad_left = 0;
  uint32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  uint32_t groups = 1;
  size_t group_in = 0, group_out = 0;
  std::vector<float> weights;  // conv: [groups][group_out][kh][kw][group_in]; fc: [out][in]
  std::vector<float> bias;     // per output channel (may be empty)
  float out_min = -std::numeric_limits<float>::infinity();
  float out_max = std::numeric_limits<float>::infinity();
  float alpha = 0.0f;  // LeakyRelu slope; Pad value
  // Add: physical shapes (batch dimension first, set to 1 here and replaced by N at setup when
  // `in*_batched`), and an optional constant second operand.
  std::vector<size_t> in_shape, in2_shape;
  bool in2_batched = true;
  std::vector<float> in2_constant;
};

struct XnnBuffer {
  size_t floats_per_item = 0;
  int first_step = 0, last_step = 0;  // lifetime (inclusive); the input buffer starts at 0
  int block = -1;                     // memory block it is placed in
};

struct XnnProgram {
  std::vector<XnnStep> steps;
  std::vector<XnnBuffer> buffers;
  std::vector<size_t> block_floats_per_item;  // planned memory blocks (buffers share them)
  std::vector<int64_t> input_shape;           // the model input at batch 1
  std::string input_name;
  XnnTensorRef input;
  std::vector<std::string> output_names;
  std::vector<XnnTensorRef> outputs;

  // Total planned activation floats per batch item (for reporting).
  size_t PlannedFloatsPerItem() const;
};

// Lowers an optimized graph (see OptimizeGraph) with concrete shapes (InferShapes at batch 1).
// kUnsupported names the first node XNNPACK cannot express.
Result<XnnProgram> LowerToXnnpack(const OnnxGraph& graph, const ShapeMap& shapes);

}  // namespace vigil
