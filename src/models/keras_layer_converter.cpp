// Keras layer -> ONNX nodes (NCHW), with TF "same"/"valid" padding made explicit.
#include "models/keras_layer_converter.h"

#include <array>
#include <cmath>
#include <limits>
#include <optional>

namespace vigil {

namespace {

std::string DimsString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// NCHW (or [N, D]) dims of a Keras-order value shape; -1 is the batch.
std::vector<int64_t> OnnxDims(const std::vector<int64_t>& shape) {
  if (shape.size() == 3) return {-1, shape[2], shape[0], shape[1]};
  std::vector<int64_t> dims{-1};
  dims.insert(dims.end(), shape.begin(), shape.end());
  return dims;
}

// Keras channels-last axis (batch = 0) -> ONNX NCHW axis, for a value of Keras rank `rank`
// (without batch). Returns -1 if out of range.
int64_t OnnxAxis(int64_t axis, size_t rank) {
  const int64_t full_rank = static_cast<int64_t>(rank) + 1;
  if (axis < 0) axis += full_rank;
  if (axis <= 0 || axis >= full_rank) return -1;
  if (rank != 3) return axis;
  return axis == 3 ? 1 : axis + 1;  // H (1) -> 2, W (2) -> 3, C (3) -> 1
}

struct Window {
  int64_t out = 0;
  int64_t pad_begin = 0;
  int64_t pad_end = 0;
};

}  // namespace

bool IsInferenceNoOp(const std::string& class_name) {
  return class_name == "Dropout" || class_name == "SpatialDropout2D" ||
         class_name == "GaussianDropout" || class_name == "GaussianNoise" ||
         class_name == "AlphaDropout";
}

// A layer and typed, error-reporting access to its config.
class KerasLayerConverter::Context {
 public:
  explicit Context(const KerasLayer& layer) : layer_(layer) {}

  const std::string& name() const { return layer_.name; }
  const std::string& class_name() const { return layer_.class_name; }
  std::string Prefix() const { return "layer \"" + layer_.name + "\" (" + layer_.class_name + ")"; }
  Status Unsupported(const std::string& what) const {
    return UnsupportedError(Prefix() + ": " + what);
  }
  Status Invalid(const std::string& what) const {
    return InvalidArgumentError(Prefix() + ": " + what);
  }

  bool Has(const std::string& key) const {
    return layer_.config.contains(key) && !layer_.config[key].is_null();
  }
  const nlohmann::json& Get(const std::string& key) const { return layer_.config[key]; }
  Status Missing(const std::string& key) const { return Invalid("missing field \"" + key + "\""); }
  Status Malformed(const std::string& key, const std::string& expected) const {
    return Invalid("field \"" + key + "\" must be " + expected + ", got " + Get(key).dump());
  }

  static bool IsInt(const nlohmann::json& v) {
    return v.is_number_integer() ||
           (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
            std::fabs(v.get<double>()) < 1e15);
  }

  Result<int64_t> Int(const std::string& key,
                      std::optional<int64_t> fallback = std::nullopt) const {
    if (!Has(key)) {
      if (fallback) return *fallback;
      return Missing(key);
    }
    const nlohmann::json& v = Get(key);
    if (IsInt(v)) return static_cast<int64_t>(v.get<double>());
    // Keras serialises some ints as 1-element lists (e.g. BatchNormalization axis).
    if (v.is_array() && v.size() == 1 && IsInt(v[0]))
      return static_cast<int64_t>(v[0].get<double>());
    return Malformed(key, "an integer");
  }

  Result<std::array<int64_t, 2>> IntPair(const std::string& key,
                                         std::optional<int64_t> fallback = std::nullopt) const {
    if (!Has(key)) {
      if (fallback) return std::array<int64_t, 2>{*fallback, *fallback};
      return Missing(key);
    }
    const nlohmann::json& v = Get(key);
    if (IsInt(v)) {
      const auto i = static_cast<int64_t>(v.get<double>());
      return std::array<int64_t, 2>{i, i};
    }
    if (v.is_array() && v.size() == 2 && IsInt(v[0]) && IsInt(v[1])) {
      return std::array<int64_t, 2>{static_cast<int64_t>(v[0].get<double>()),
                                    static_cast<int64_t>(v[1].get<double>())};
    }
    return Malformed(key, "an integer or a pair of integers");
  }

  // A pair of positive integers (kernel sizes, strides, dilations).
  Result<std::array<int64_t, 2>> PositivePair(
      const std::string& key, std::optional<int64_t> fallback = std::nullopt) const {
    VIGIL_ASSIGN_OR_RETURN(auto pair, IntPair(key, fallback));
    if (pair[0] < 1 || pair[1] < 1) return Malformed(key, "positive");
    return pair;
  }

  Result<std::string> String(const std::string& key,
                             std::optional<std::string> fallback = std::nullopt) const {
    if (!Has(key)) {
      if (fallback) return *fallback;
      return Missing(key);
    }
    if (!Get(key).is_string()) return Malformed(key, "a string");
    return Get(key).get<std::string>();
  }

  Result<bool> Bool(const std::string& key, bool fallback) const {
    if (!Has(key)) return fallback;
    if (!Get(key).is_boolean()) return Malformed(key, "a boolean");
    return Get(key).get<bool>();
  }

  Result<std::optional<double>> OptionalNumber(const std::string& key) const {
    if (!Has(key)) return std::optional<double>();
    if (!Get(key).is_number()) return Malformed(key, "a number or null");
    return std::optional<double>(Get(key).get<double>());
  }

  Result<double> Number(const std::string& key, double fallback) const {
    VIGIL_ASSIGN_OR_RETURN(std::optional<double> v, OptionalNumber(key));
    return v ? *v : fallback;
  }

  Status CheckChannelsLast() const {
    VIGIL_ASSIGN_OR_RETURN(std::string format, String("data_format", std::string("channels_last")));
    if (format != "channels_last") return Unsupported("data_format \"" + format + "\"");
    return Status::Ok();
  }

  // "valid" -> false, "same" -> true.
  Result<bool> SamePadding() const {
    VIGIL_ASSIGN_OR_RETURN(std::string padding, String("padding", std::string("valid")));
    if (padding == "same") return true;
    if (padding == "valid") return false;
    return Unsupported("padding \"" + padding + "\"");
  }

  Status CheckImage(const KerasValue& in) const {
    if (in.shape.size() != 3) {
      return Unsupported("input shape " + DimsString(in.shape) +
                         " (expected an image [N, H, W, C])");
    }
    return Status::Ok();
  }

  // Output size and TF-style padding of one spatial dimension.
  Result<Window> ComputeWindow(const char* dim, int64_t in, int64_t kernel, int64_t stride,
                               int64_t dilation, bool same) const {
    const int64_t effective = (kernel - 1) * dilation + 1;
    Window w;
    if (same) {
      w.out = (in + stride - 1) / stride;
      const int64_t total = std::max<int64_t>((w.out - 1) * stride + effective - in, 0);
      w.pad_begin = total / 2;
      w.pad_end = total - w.pad_begin;
    } else {
      if (in < effective) {
        return Invalid(std::string("input ") + dim + " " + std::to_string(in) +
                       " is smaller than the window " + std::to_string(effective));
      }
      w.out = (in - effective) / stride + 1;
    }
    return w;
  }

 private:
  const KerasLayer& layer_;
};

// ---------------------------------------------------------------------------------------------
// Helpers.

Result<const TfjsWeight*> KerasLayerConverter::TakeWeight(const Context& ctx,
                                                          const std::string& param,
                                                          const std::vector<int64_t>& shape) {
  const std::string exact = ctx.name() + "/" + param;
  std::string found;
  if (weights_->count(exact) > 0) {
    found = exact;
  } else {
    // Nested scopes ("model/conv/kernel") or a ":0" suffix.
    const std::string suffix = "/" + exact;
    for (const auto& entry : *weights_) {
      std::string name = entry.first;
      if (name.size() > 2 && name.compare(name.size() - 2, 2, ":0") == 0)
        name.resize(name.size() - 2);
      const bool match =
          name == exact || (name.size() > suffix.size() &&
                            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0);
      if (!match) continue;
      if (!found.empty()) {
        return ctx.Invalid("weight \"" + param + "\" is ambiguous: \"" + found + "\" and \"" +
                           entry.first + "\"");
      }
      found = entry.first;
    }
  }
  if (found.empty()) return ctx.Invalid("weight \"" + exact + "\" not found in weightsManifest");
  const TfjsWeight& weight = weights_->at(found);
  if (weight.shape != shape) {
    return ctx.Invalid("weight \"" + found + "\" has shape " + DimsString(weight.shape) +
                       ", expected " + DimsString(shape));
  }
  used_weights_.insert(found);
  return &weight;
}

Status KerasLayerConverter::CheckAllWeightsUsed() const {
  std::string unused;
  int count = 0;
  for (const auto& entry : *weights_) {
    if (used_weights_.count(entry.first) > 0) continue;
    if (count < 5) unused += std::string(count ? ", " : "") + "\"" + entry.first + "\"";
    ++count;
  }
  if (count == 0) return Status::Ok();
  return InvalidArgumentError("weightsManifest has " + std::to_string(count) +
                              " weight(s) that no layer uses: " + unused +
                              (count > 5 ? ", ..." : ""));
}

std::string KerasLayerConverter::ValueName(const Context& ctx, const std::string& suffix,
                                           bool last) {
  return builder_->UniqueName(last ? ctx.name() : ctx.name() + "/" + suffix);
}

void KerasLayerConverter::AddValueInfo(const KerasValue& value) {
  if (!value_infos_.insert(value.name).second) return;
  builder_->AddFloatValueInfo(value.name, OnnxDims(value.shape));
}

KerasValue KerasLayerConverter::EmitClip(const Context& ctx, const KerasValue& in, float lo,
                                         float hi) {
  KerasValue out{ValueName(ctx, "", true), in.shape};
  if (opset_ < 11) {  // Clip-6: min/max attributes
    onnx::NodeProto* node = builder_->AddNode("Clip", {in.name}, {out.name}, ctx.name() + "/Clip");
    SetFloatAttr(node, "min", lo);
    SetFloatAttr(node, "max", hi);
    return out;
  }
  const std::string min = builder_->AddFloatInitializer(ctx.name() + "/clip_min", {}, {lo});
  const std::string max = builder_->AddFloatInitializer(ctx.name() + "/clip_max", {}, {hi});
  builder_->AddNode("Clip", {in.name, min, max}, {out.name}, ctx.name() + "/Clip");
  return out;
}

KerasValue KerasLayerConverter::EmitSoftmax(const Context& ctx, const KerasValue& in) {
  KerasValue out{ValueName(ctx, "", true), in.shape};
  if (in.shape.size() == 1 || opset_ >= 13) {
    // Keras softmax is over the last axis: the channels, axis 1 in NCHW and in [N, D].
    onnx::NodeProto* node =
        builder_->AddNode("Softmax", {in.name}, {out.name}, ctx.name() + "/Softmax");
    SetIntAttr(node, "axis", 1);
    return out;
  }
  // Before opset 13 Softmax flattens the axes from `axis` on; over NHWC the channels are last.
  KerasValue nhwc{ValueName(ctx, "nhwc", false), in.shape};
  onnx::NodeProto* to_nhwc =
      builder_->AddNode("Transpose", {in.name}, {nhwc.name}, ctx.name() + "/to_nhwc");
  SetIntsAttr(to_nhwc, "perm", {0, 2, 3, 1});
  KerasValue softmax{ValueName(ctx, "softmax", false), in.shape};
  onnx::NodeProto* node =
      builder_->AddNode("Softmax", {nhwc.name}, {softmax.name}, ctx.name() + "/Softmax");
  SetIntAttr(node, "axis", 3);
  onnx::NodeProto* to_nchw =
      builder_->AddNode("Transpose", {softmax.name}, {out.name}, ctx.name() + "/to_nchw");
  SetIntsAttr(to_nchw, "perm", {0, 3, 1, 2});
  return out;
}

Result<KerasValue> KerasLayerConverter::EmitActivation(const Context& ctx,
                                                       const std::string& activation,
                                                       const KerasValue& in) {
  if (activation == "linear") return in;
  if (activation == "relu6") return EmitClip(ctx, in, 0.0f, 6.0f);
  if (activation == "softmax") return EmitSoftmax(ctx, in);
  std::string op;
  if (activation == "relu") {
    op = "Relu";
  } else if (activation == "sigmoid") {
    op = "Sigmoid";
  } else if (activation == "tanh") {
    op = "Tanh";
  } else {
    return ctx.Unsupported("activation \"" + activation + "\"");
  }
  KerasValue out{ValueName(ctx, "", true), in.shape};
  builder_->AddNode(op, {in.name}, {out.name}, ctx.name() + "/" + op);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Layers.

Result<KerasValue> KerasLayerConverter::Convert(const KerasLayer& layer,
                                                const std::vector<KerasValue>& inputs) {
  const Context ctx(layer);
  const std::string& type = layer.class_name;
  if (type == "InputLayer") {
    if (!inputs.empty()) return ctx.Invalid("an InputLayer with inbound nodes");
    return ConvertInput(ctx);
  }
  if (inputs.empty()) return ctx.Invalid("no inbound nodes");
  if (type == "Add") return ConvertAdd(ctx, inputs);
  if (type == "Concatenate") return ConvertConcatenate(ctx, inputs);

  static const std::set<std::string> kSingleInput = {"Conv2D",
                                                     "DepthwiseConv2D",
                                                     "SeparableConv2D",
                                                     "BatchNormalization",
                                                     "ReLU",
                                                     "LeakyReLU",
                                                     "Activation",
                                                     "Softmax",
                                                     "ZeroPadding2D",
                                                     "MaxPooling2D",
                                                     "AveragePooling2D",
                                                     "GlobalAveragePooling2D",
                                                     "Flatten",
                                                     "Dense"};
  if (kSingleInput.count(type) == 0 && !IsInferenceNoOp(type)) {
    return ctx.Unsupported("layer class not supported");
  }
  if (inputs.size() != 1) {
    return ctx.Invalid("expects 1 input, got " + std::to_string(inputs.size()));
  }
  const KerasValue& in = inputs[0];
  Result<KerasValue> out = Status(StatusCode::kInternal, "unreachable");
  if (IsInferenceNoOp(type)) return in;
  if (type == "Conv2D") out = ConvertConv2D(ctx, in);
  if (type == "DepthwiseConv2D") out = ConvertDepthwiseConv2D(ctx, in);
  if (type == "SeparableConv2D") out = ConvertSeparableConv2D(ctx, in);
  if (type == "BatchNormalization") out = ConvertBatchNormalization(ctx, in);
  if (type == "ReLU") out = ConvertReLU(ctx, in);
  if (type == "LeakyReLU") out = ConvertLeakyReLU(ctx, in);
  if (type == "Activation") out = ConvertActivation(ctx, in);
  if (type == "Softmax") out = ConvertSoftmax(ctx, in);
  if (type == "ZeroPadding2D") out = ConvertZeroPadding2D(ctx, in);
  if (type == "MaxPooling2D") out = ConvertPooling2D(ctx, in, /*max=*/true);
  if (type == "AveragePooling2D") out = ConvertPooling2D(ctx, in, /*max=*/false);
  if (type == "GlobalAveragePooling2D") out = ConvertGlobalAveragePooling2D(ctx, in);
  if (type == "Flatten") out = ConvertFlatten(ctx, in);
  if (type == "Dense") out = ConvertDense(ctx, in);
  if (out.ok()) AddValueInfo(*out);
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertInput(const Context& ctx) {
  const char* key = ctx.Has("batch_input_shape") ? "batch_input_shape" : "batch_shape";
  if (!ctx.Has(key)) return ctx.Missing("batch_input_shape");
  const nlohmann::json& shape = ctx.Get(key);
  if (!shape.is_array() || shape.size() != 4) {
    return ctx.Unsupported(std::string(key) + " " + shape.dump() +
                           " (expected an image [null, H, W, C])");
  }
  std::vector<int64_t> dims;
  for (size_t i = 1; i < 4; ++i) {
    if (!Context::IsInt(shape[i]) || shape[i].get<double>() < 1) {
      return ctx.Unsupported(std::string(key) + " " + shape.dump() +
                             " (height, width and channels must be fixed)");
    }
    dims.push_back(static_cast<int64_t>(shape[i].get<double>()));
  }
  VIGIL_ASSIGN_OR_RETURN(std::string dtype, ctx.String("dtype", std::string("float32")));
  if (dtype != "float32") return ctx.Unsupported("dtype \"" + dtype + "\"");
  if (!input_value_.empty()) return ctx.Unsupported("a second model input");
  input_value_ = builder_->UniqueName(ctx.name());
  builder_->AddFloatInput(input_value_, {-1, dims[0], dims[1], dims[2]});
  KerasValue out{ValueName(ctx, "nchw", false), dims};
  onnx::NodeProto* node =
      builder_->AddNode("Transpose", {input_value_}, {out.name}, ctx.name() + "/to_nchw");
  SetIntsAttr(node, "perm", {0, 3, 1, 2});
  AddValueInfo(out);
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertConv2D(const Context& ctx, const KerasValue& in) {
  VIGIL_RETURN_IF_ERROR(ctx.CheckImage(in));
  VIGIL_RETURN_IF_ERROR(ctx.CheckChannelsLast());
  VIGIL_ASSIGN_OR_RETURN(int64_t filters, ctx.Int("filters"));
  VIGIL_ASSIGN_OR_RETURN(auto kernel, ctx.PositivePair("kernel_size"));
  VIGIL_ASSIGN_OR_RETURN(auto strides, ctx.PositivePair("strides", 1));
  VIGIL_ASSIGN_OR_RETURN(auto dilation, ctx.PositivePair("dilation_rate", 1));
  VIGIL_ASSIGN_OR_RETURN(bool same, ctx.SamePadding());
  VIGIL_ASSIGN_OR_RETURN(std::string activation, ctx.String("activation", std::string("linear")));
  VIGIL_ASSIGN_OR_RETURN(bool use_bias, ctx.Bool("use_bias", true));
  VIGIL_ASSIGN_OR_RETURN(int64_t groups, ctx.Int("groups", 1));
  const int64_t channels = in.shape[2];
  if (filters < 1) return ctx.Malformed("filters", "positive");
  if (groups < 1 || channels % groups != 0 || filters % groups != 0) {
    return ctx.Unsupported("groups " + std::to_string(groups) + " with " +
                           std::to_string(channels) + " input channels and " +
                           std::to_string(filters) + " filters");
  }
  if ((dilation[0] > 1 || dilation[1] > 1) && (strides[0] > 1 || strides[1] > 1)) {
    return ctx.Unsupported("dilation_rate > 1 together with strides > 1");
  }
  const int64_t kh = kernel[0], kw = kernel[1], ci = channels / groups;
  VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* w, TakeWeight(ctx, "kernel", {kh, kw, ci, filters}));
  const TfjsWeight* b = nullptr;
  if (use_bias) {
    VIGIL_ASSIGN_OR_RETURN(b, TakeWeight(ctx, "bias", {filters}));
  }
  VIGIL_ASSIGN_OR_RETURN(
      Window h, ctx.ComputeWindow("height", in.shape[0], kh, strides[0], dilation[0], same));
  VIGIL_ASSIGN_OR_RETURN(
      Window x, ctx.ComputeWindow("width", in.shape[1], kw, strides[1], dilation[1], same));

  // HWIO -> OIHW.
  std::vector<float> oihw(w->values.size());
  for (int64_t y = 0; y < kh; ++y)
    for (int64_t xx = 0; xx < kw; ++xx)
      for (int64_t i = 0; i < ci; ++i)
        for (int64_t o = 0; o < filters; ++o)
          oihw[((o * ci + i) * kh + y) * kw + xx] =
              w->values[((y * kw + xx) * ci + i) * filters + o];
  std::vector<std::string> inputs{
      in.name, builder_->AddFloatInitializer(ctx.name() + "/W", {filters, ci, kh, kw}, oihw)};
  if (b != nullptr)
    inputs.push_back(builder_->AddFloatInitializer(ctx.name() + "/B", {filters}, b->values));
  KerasValue out{ValueName(ctx, "conv", activation == "linear"), {h.out, x.out, filters}};
  onnx::NodeProto* node = builder_->AddNode("Conv", inputs, {out.name}, ctx.name() + "/Conv");
  SetIntsAttr(node, "kernel_shape", {kh, kw});
  SetIntsAttr(node, "strides", {strides[0], strides[1]});
  SetIntsAttr(node, "dilations", {dilation[0], dilation[1]});
  SetIntsAttr(node, "pads", {h.pad_begin, x.pad_begin, h.pad_end, x.pad_end});
  SetIntAttr(node, "group", groups);
  return EmitActivation(ctx, activation, out);
}

// DepthwiseConv2D, and the depthwise half of SeparableConv2D: a Conv with group = C.
Result<KerasValue> KerasLayerConverter::ConvertDepthwiseConv2D(const Context& ctx,
                                                               const KerasValue& in) {
  VIGIL_RETURN_IF_ERROR(ctx.CheckImage(in));
  VIGIL_RETURN_IF_ERROR(ctx.CheckChannelsLast());
  VIGIL_ASSIGN_OR_RETURN(auto kernel, ctx.PositivePair("kernel_size"));
  VIGIL_ASSIGN_OR_RETURN(auto strides, ctx.PositivePair("strides", 1));
  VIGIL_ASSIGN_OR_RETURN(auto dilation, ctx.PositivePair("dilation_rate", 1));
  VIGIL_ASSIGN_OR_RETURN(bool same, ctx.SamePadding());
  VIGIL_ASSIGN_OR_RETURN(int64_t multiplier, ctx.Int("depth_multiplier", 1));
  VIGIL_ASSIGN_OR_RETURN(bool use_bias, ctx.Bool("use_bias", true));
  if (multiplier < 1) return ctx.Malformed("depth_multiplier", "positive");
  if ((dilation[0] > 1 || dilation[1] > 1) && (strides[0] > 1 || strides[1] > 1)) {
    return ctx.Unsupported("dilation_rate > 1 together with strides > 1");
  }
  const bool separable = ctx.class_name() == "SeparableConv2D";
  VIGIL_ASSIGN_OR_RETURN(std::string activation, ctx.String("activation", std::string("linear")));
  const int64_t kh = kernel[0], kw = kernel[1], c = in.shape[2], m = multiplier;
  VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* w, TakeWeight(ctx, "depthwise_kernel", {kh, kw, c, m}));
  VIGIL_ASSIGN_OR_RETURN(
      Window h, ctx.ComputeWindow("height", in.shape[0], kh, strides[0], dilation[0], same));
  VIGIL_ASSIGN_OR_RETURN(
      Window x, ctx.ComputeWindow("width", in.shape[1], kw, strides[1], dilation[1], same));
  const TfjsWeight* b = nullptr;
  if (use_bias && !separable) {
    VIGIL_ASSIGN_OR_RETURN(b, TakeWeight(ctx, "bias", {c * m}));
  }
  // [kh, kw, C, M] -> [C*M, 1, kh, kw]; output channel c*M + m like tf.nn.depthwise_conv2d.
  std::vector<float> weights(w->values.size());
  for (int64_t y = 0; y < kh; ++y)
    for (int64_t xx = 0; xx < kw; ++xx)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t k = 0; k < m; ++k)
          weights[((ch * m + k) * kh + y) * kw + xx] = w->values[((y * kw + xx) * c + ch) * m + k];
  std::vector<std::string> inputs{
      in.name,
      builder_->AddFloatInitializer(ctx.name() + "/depthwise_W", {c * m, 1, kh, kw}, weights)};
  if (b != nullptr)
    inputs.push_back(builder_->AddFloatInitializer(ctx.name() + "/B", {c * m}, b->values));
  KerasValue out{ValueName(ctx, "depthwise", !separable && activation == "linear"),
                 {h.out, x.out, c * m}};
  onnx::NodeProto* node =
      builder_->AddNode("Conv", inputs, {out.name}, ctx.name() + "/DepthwiseConv");
  SetIntsAttr(node, "kernel_shape", {kh, kw});
  SetIntsAttr(node, "strides", {strides[0], strides[1]});
  SetIntsAttr(node, "dilations", {dilation[0], dilation[1]});
  SetIntsAttr(node, "pads", {h.pad_begin, x.pad_begin, h.pad_end, x.pad_end});
  SetIntAttr(node, "group", c);
  if (!separable) return EmitActivation(ctx, activation, out);
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertSeparableConv2D(const Context& ctx,
                                                               const KerasValue& in) {
  VIGIL_ASSIGN_OR_RETURN(int64_t filters, ctx.Int("filters"));
  VIGIL_ASSIGN_OR_RETURN(std::string activation, ctx.String("activation", std::string("linear")));
  VIGIL_ASSIGN_OR_RETURN(bool use_bias, ctx.Bool("use_bias", true));
  if (filters < 1) return ctx.Malformed("filters", "positive");
  VIGIL_ASSIGN_OR_RETURN(KerasValue depthwise, ConvertDepthwiseConv2D(ctx, in));
  const int64_t cm = depthwise.shape[2];
  VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* w,
                         TakeWeight(ctx, "pointwise_kernel", {1, 1, cm, filters}));
  const TfjsWeight* b = nullptr;
  if (use_bias) {
    VIGIL_ASSIGN_OR_RETURN(b, TakeWeight(ctx, "bias", {filters}));
  }
  std::vector<float> oi(w->values.size());
  for (int64_t i = 0; i < cm; ++i)
    for (int64_t o = 0; o < filters; ++o) oi[o * cm + i] = w->values[i * filters + o];
  std::vector<std::string> inputs{
      depthwise.name,
      builder_->AddFloatInitializer(ctx.name() + "/pointwise_W", {filters, cm, 1, 1}, oi)};
  if (b != nullptr)
    inputs.push_back(builder_->AddFloatInitializer(ctx.name() + "/B", {filters}, b->values));
  KerasValue out{ValueName(ctx, "pointwise", activation == "linear"),
                 {depthwise.shape[0], depthwise.shape[1], filters}};
  onnx::NodeProto* node =
      builder_->AddNode("Conv", inputs, {out.name}, ctx.name() + "/PointwiseConv");
  SetIntsAttr(node, "kernel_shape", {1, 1});
  SetIntsAttr(node, "strides", {1, 1});
  SetIntsAttr(node, "dilations", {1, 1});
  SetIntsAttr(node, "pads", {0, 0, 0, 0});
  SetIntAttr(node, "group", 1);
  return EmitActivation(ctx, activation, out);
}

Result<KerasValue> KerasLayerConverter::ConvertBatchNormalization(const Context& ctx,
                                                                  const KerasValue& in) {
  VIGIL_ASSIGN_OR_RETURN(int64_t axis, ctx.Int("axis", -1));
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  if (axis != -1 && axis != rank) {
    return ctx.Unsupported("axis " + std::to_string(axis) + " (only the channel axis, -1 or " +
                           std::to_string(rank) + ")");
  }
  VIGIL_ASSIGN_OR_RETURN(bool center, ctx.Bool("center", true));
  VIGIL_ASSIGN_OR_RETURN(bool scale, ctx.Bool("scale", true));
  VIGIL_ASSIGN_OR_RETURN(double epsilon, ctx.Number("epsilon", 1e-3));
  const int64_t c = in.shape.back();
  std::vector<float> gamma(static_cast<size_t>(c), 1.0f), beta(static_cast<size_t>(c), 0.0f);
  if (scale) {
    VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* w, TakeWeight(ctx, "gamma", {c}));
    gamma = w->values;
  }
  if (center) {
    VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* w, TakeWeight(ctx, "beta", {c}));
    beta = w->values;
  }
  VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* mean, TakeWeight(ctx, "moving_mean", {c}));
  VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* var, TakeWeight(ctx, "moving_variance", {c}));
  std::vector<std::string> inputs{
      in.name, builder_->AddFloatInitializer(ctx.name() + "/gamma", {c}, gamma),
      builder_->AddFloatInitializer(ctx.name() + "/beta", {c}, beta),
      builder_->AddFloatInitializer(ctx.name() + "/mean", {c}, mean->values),
      builder_->AddFloatInitializer(ctx.name() + "/var", {c}, var->values)};
  KerasValue out{ValueName(ctx, "", true), in.shape};
  onnx::NodeProto* node = builder_->AddNode("BatchNormalization", inputs, {out.name},
                                            ctx.name() + "/BatchNormalization");
  SetFloatAttr(node, "epsilon", static_cast<float>(epsilon));
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertReLU(const Context& ctx, const KerasValue& in) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<double> max_value, ctx.OptionalNumber("max_value"));
  VIGIL_ASSIGN_OR_RETURN(double slope, ctx.Number("negative_slope", 0.0));
  VIGIL_ASSIGN_OR_RETURN(double threshold, ctx.Number("threshold", 0.0));
  if (threshold != 0.0) return ctx.Unsupported("threshold " + ctx.Get("threshold").dump());
  if (slope < 0.0) return ctx.Malformed("negative_slope", "non-negative");
  if (max_value && *max_value < 0.0) return ctx.Malformed("max_value", "non-negative");
  if (slope == 0.0) {
    if (max_value) return EmitClip(ctx, in, 0.0f, static_cast<float>(*max_value));
    KerasValue out{ValueName(ctx, "", true), in.shape};
    builder_->AddNode("Relu", {in.name}, {out.name}, ctx.name() + "/Relu");
    return out;
  }
  KerasValue out{ValueName(ctx, "leaky", !max_value), in.shape};
  onnx::NodeProto* node =
      builder_->AddNode("LeakyRelu", {in.name}, {out.name}, ctx.name() + "/LeakyRelu");
  SetFloatAttr(node, "alpha", static_cast<float>(slope));
  if (!max_value) return out;
  return EmitClip(ctx, out, std::numeric_limits<float>::lowest(), static_cast<float>(*max_value));
}

Result<KerasValue> KerasLayerConverter::ConvertLeakyReLU(const Context& ctx, const KerasValue& in) {
  // Keras 2: "alpha" (default 0.3); Keras 3: "negative_slope".
  VIGIL_ASSIGN_OR_RETURN(double alpha, ctx.Number("alpha", 0.3));
  VIGIL_ASSIGN_OR_RETURN(double slope, ctx.Number("negative_slope", alpha));
  KerasValue out{ValueName(ctx, "", true), in.shape};
  onnx::NodeProto* node =
      builder_->AddNode("LeakyRelu", {in.name}, {out.name}, ctx.name() + "/LeakyRelu");
  SetFloatAttr(node, "alpha", static_cast<float>(slope));
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertActivation(const Context& ctx,
                                                          const KerasValue& in) {
  VIGIL_ASSIGN_OR_RETURN(std::string activation, ctx.String("activation"));
  return EmitActivation(ctx, activation, in);
}

Result<KerasValue> KerasLayerConverter::ConvertSoftmax(const Context& ctx, const KerasValue& in) {
  VIGIL_ASSIGN_OR_RETURN(int64_t axis, ctx.Int("axis", -1));
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  if (axis != -1 && axis != rank) {
    return ctx.Unsupported("axis " + std::to_string(axis) + " (only the last axis, -1 or " +
                           std::to_string(rank) + ")");
  }
  return EmitSoftmax(ctx, in);
}

Result<KerasValue> KerasLayerConverter::ConvertZeroPadding2D(const Context& ctx,
                                                             const KerasValue& in) {
  VIGIL_RETURN_IF_ERROR(ctx.CheckImage(in));
  VIGIL_RETURN_IF_ERROR(ctx.CheckChannelsLast());
  // padding: int | [sym_h, sym_w] | [[top, bottom], [left, right]].
  std::array<int64_t, 4> pad{1, 1, 1, 1};  // top, bottom, left, right
  if (ctx.Has("padding")) {
    const nlohmann::json& p = ctx.Get("padding");
    if (p.is_array() && p.size() == 2 && p[0].is_array() && p[1].is_array() && p[0].size() == 2 &&
        p[1].size() == 2 && Context::IsInt(p[0][0]) && Context::IsInt(p[0][1]) &&
        Context::IsInt(p[1][0]) && Context::IsInt(p[1][1])) {
      pad = {p[0][0].get<int64_t>(), p[0][1].get<int64_t>(), p[1][0].get<int64_t>(),
             p[1][1].get<int64_t>()};
    } else {
      VIGIL_ASSIGN_OR_RETURN(auto sym, ctx.IntPair("padding"));
      pad = {sym[0], sym[0], sym[1], sym[1]};
    }
    for (int64_t v : pad) {
      if (v < 0) return ctx.Malformed("padding", "non-negative");
    }
  }
  const std::vector<int64_t> pads{0, 0, pad[0], pad[2], 0, 0, pad[1], pad[3]};  // NCHW begins, ends
  KerasValue out{ValueName(ctx, "", true),
                 {in.shape[0] + pad[0] + pad[1], in.shape[1] + pad[2] + pad[3], in.shape[2]}};
  if (opset_ < 11) {  // Pad-2: pads attribute
    onnx::NodeProto* node = builder_->AddNode("Pad", {in.name}, {out.name}, ctx.name() + "/Pad");
    SetStringAttr(node, "mode", "constant");
    SetIntsAttr(node, "pads", pads);
    SetFloatAttr(node, "value", 0.0f);
    return out;
  }
  const std::string pads_name = builder_->AddInt64Initializer(ctx.name() + "/pads", {8}, pads);
  onnx::NodeProto* node =
      builder_->AddNode("Pad", {in.name, pads_name}, {out.name}, ctx.name() + "/Pad");
  SetStringAttr(node, "mode", "constant");
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertAdd(const Context& ctx,
                                                   const std::vector<KerasValue>& inputs) {
  if (inputs.size() < 2) return ctx.Invalid("expects at least 2 inputs");
  for (const KerasValue& in : inputs) {
    if (in.shape != inputs[0].shape) {
      return ctx.Unsupported("inputs of different shapes " + DimsString(inputs[0].shape) + " and " +
                             DimsString(in.shape) + " (broadcasting)");
    }
  }
  KerasValue acc = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) {
    const bool last = i + 1 == inputs.size();
    KerasValue out{ValueName(ctx, "add" + std::to_string(i), last), acc.shape};
    builder_->AddNode("Add", {acc.name, inputs[i].name}, {out.name}, ctx.name() + "/Add");
    acc = out;
  }
  return acc;
}

Result<KerasValue> KerasLayerConverter::ConvertConcatenate(const Context& ctx,
                                                           const std::vector<KerasValue>& inputs) {
  VIGIL_ASSIGN_OR_RETURN(int64_t axis, ctx.Int("axis", -1));
  const size_t rank = inputs[0].shape.size();
  const int64_t onnx_axis = OnnxAxis(axis, rank);
  if (onnx_axis < 0) return ctx.Unsupported("axis " + std::to_string(axis));
  const size_t keras_axis =
      static_cast<size_t>((axis < 0 ? axis + static_cast<int64_t>(rank) + 1 : axis) - 1);
  std::vector<int64_t> shape = inputs[0].shape;
  shape[keras_axis] = 0;
  std::vector<std::string> names;
  for (const KerasValue& in : inputs) {
    bool compatible = in.shape.size() == rank;
    for (size_t d = 0; compatible && d < rank; ++d) {
      compatible = d == keras_axis || in.shape[d] == inputs[0].shape[d];
    }
    if (!compatible) {
      return ctx.Invalid("inputs of incompatible shapes " + DimsString(inputs[0].shape) + " and " +
                         DimsString(in.shape) + " for axis " + std::to_string(axis));
    }
    shape[keras_axis] += in.shape[keras_axis];
    names.push_back(in.name);
  }
  KerasValue out{ValueName(ctx, "", true), shape};
  onnx::NodeProto* node = builder_->AddNode("Concat", names, {out.name}, ctx.name() + "/Concat");
  SetIntAttr(node, "axis", onnx_axis);
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertPooling2D(const Context& ctx, const KerasValue& in,
                                                         bool max) {
  VIGIL_RETURN_IF_ERROR(ctx.CheckImage(in));
  VIGIL_RETURN_IF_ERROR(ctx.CheckChannelsLast());
  VIGIL_ASSIGN_OR_RETURN(auto pool, ctx.PositivePair("pool_size", 2));
  // Keras: strides default to pool_size.
  VIGIL_ASSIGN_OR_RETURN(auto strides, ctx.Has("strides") ? ctx.PositivePair("strides") : pool);
  VIGIL_ASSIGN_OR_RETURN(bool same, ctx.SamePadding());
  VIGIL_ASSIGN_OR_RETURN(Window h,
                         ctx.ComputeWindow("height", in.shape[0], pool[0], strides[0], 1, same));
  VIGIL_ASSIGN_OR_RETURN(Window x,
                         ctx.ComputeWindow("width", in.shape[1], pool[1], strides[1], 1, same));
  const std::string op = max ? "MaxPool" : "AveragePool";
  KerasValue out{ValueName(ctx, "", true), {h.out, x.out, in.shape[2]}};
  onnx::NodeProto* node = builder_->AddNode(op, {in.name}, {out.name}, ctx.name() + "/" + op);
  SetIntsAttr(node, "kernel_shape", {pool[0], pool[1]});
  SetIntsAttr(node, "strides", {strides[0], strides[1]});
  SetIntsAttr(node, "pads", {h.pad_begin, x.pad_begin, h.pad_end, x.pad_end});
  // TF averages over the valid (unpadded) elements only.
  if (!max) SetIntAttr(node, "count_include_pad", 0);
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertGlobalAveragePooling2D(const Context& ctx,
                                                                      const KerasValue& in) {
  VIGIL_RETURN_IF_ERROR(ctx.CheckImage(in));
  VIGIL_RETURN_IF_ERROR(ctx.CheckChannelsLast());
  VIGIL_ASSIGN_OR_RETURN(bool keepdims, ctx.Bool("keepdims", false));
  KerasValue pooled{ValueName(ctx, "pool", keepdims), {1, 1, in.shape[2]}};
  builder_->AddNode("GlobalAveragePool", {in.name}, {pooled.name},
                    ctx.name() + "/GlobalAveragePool");
  if (keepdims) return pooled;
  KerasValue out{ValueName(ctx, "", true), {in.shape[2]}};
  onnx::NodeProto* node =
      builder_->AddNode("Flatten", {pooled.name}, {out.name}, ctx.name() + "/Flatten");
  SetIntAttr(node, "axis", 1);
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertFlatten(const Context& ctx, const KerasValue& in) {
  VIGIL_RETURN_IF_ERROR(ctx.CheckChannelsLast());
  if (in.shape.size() == 1) return in;
  KerasValue nhwc{ValueName(ctx, "nhwc", false), in.shape};
  onnx::NodeProto* transpose =
      builder_->AddNode("Transpose", {in.name}, {nhwc.name}, ctx.name() + "/to_nhwc");
  SetIntsAttr(transpose, "perm", {0, 2, 3, 1});
  builder_->AddFloatValueInfo(nhwc.name, {-1, in.shape[0], in.shape[1], in.shape[2]});
  KerasValue out{ValueName(ctx, "", true), {in.shape[0] * in.shape[1] * in.shape[2]}};
  onnx::NodeProto* flatten =
      builder_->AddNode("Flatten", {nhwc.name}, {out.name}, ctx.name() + "/Flatten");
  SetIntAttr(flatten, "axis", 1);
  return out;
}

Result<KerasValue> KerasLayerConverter::ConvertDense(const Context& ctx, const KerasValue& in) {
  if (in.shape.size() != 1) {
    return ctx.Unsupported("input shape " + DimsString(in.shape) +
                           " (Dense needs [N, D]; add a Flatten)");
  }
  VIGIL_ASSIGN_OR_RETURN(int64_t units, ctx.Int("units"));
  VIGIL_ASSIGN_OR_RETURN(std::string activation, ctx.String("activation", std::string("linear")));
  VIGIL_ASSIGN_OR_RETURN(bool use_bias, ctx.Bool("use_bias", true));
  if (units < 1) return ctx.Malformed("units", "positive");
  const int64_t d = in.shape[0];
  VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* w, TakeWeight(ctx, "kernel", {d, units}));
  std::vector<float> bias(static_cast<size_t>(units), 0.0f);
  if (use_bias) {
    VIGIL_ASSIGN_OR_RETURN(const TfjsWeight* b, TakeWeight(ctx, "bias", {units}));
    bias = b->values;
  }
  // Gemm: Y = A * B^T + C with A [N, d], B = kernel^T [units, d] (transB = 1), C [units].
  // (OpenCV 4.6 mis-sizes Gemm with transB = 0 and a bias: "numOutput == blobs[1].total()".)
  std::vector<float> kernel_t(w->values.size());
  for (int64_t i = 0; i < d; ++i)
    for (int64_t o = 0; o < units; ++o) kernel_t[o * d + i] = w->values[i * units + o];
  const std::string kernel =
      builder_->AddFloatInitializer(ctx.name() + "/kernel_t", {units, d}, kernel_t);
  const std::string c = builder_->AddFloatInitializer(ctx.name() + "/bias", {units}, bias);
  KerasValue out{ValueName(ctx, "gemm", activation == "linear"), {units}};
  onnx::NodeProto* node =
      builder_->AddNode("Gemm", {in.name, kernel, c}, {out.name}, ctx.name() + "/Gemm");
  SetFloatAttr(node, "alpha", 1.0f);
  SetFloatAttr(node, "beta", 1.0f);
  SetIntAttr(node, "transA", 0);
  SetIntAttr(node, "transB", 1);
  return EmitActivation(ctx, activation, out);
}

}  // namespace vigil
