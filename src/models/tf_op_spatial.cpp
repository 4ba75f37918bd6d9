// Spatial TF ops -> ONNX for the tfjs graph-model importer: Conv2D, DepthwiseConv2dNative and
// their tfjs fused forms (_FusedConv2D, FusedDepthwiseConv2dNative: BiasAdd / FusedBatchNorm +
// activation), MaxPool, AvgPool, ResizeBilinear, ResizeNearestNeighbor. Each asks for its input
// in NCHW (Materialize) and leaves its output NCHW-stored, so chains of them need no transposes.
#include <cmath>

#include "models/tf_op_converters.h"

namespace vigil {

namespace {

struct Layout {
  std::vector<int> perm;  // onnx (NCHW) = Transpose(tf, perm)
  int h = 1, w = 2, c = 3;  // TF axes
};

Result<Layout> GetLayout(TfGraphContext& ctx, const TfNode& node, const TfValue& x) {
  if (x.rank() != 4) {
    return ctx.Unsupported(node, "input of rank " + std::to_string(x.rank()) + " (need 4)");
  }
  const std::string format = AttrString(node, "data_format", "NHWC");
  if (format == "NHWC") return Layout{{0, 3, 1, 2}, 1, 2, 3};
  if (format == "NCHW") return Layout{{0, 1, 2, 3}, 2, 3, 1};
  return ctx.Unsupported(node, "data_format \"" + format + "\"");
}

// Pads [top, left, bottom, right] and output size for one conv/pool window.
struct Window {
  int64_t kh, kw, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pads[4] = {0, 0, 0, 0};
  int64_t oh = 0, ow = 0;
};

Status ResolveWindow(TfGraphContext& ctx, const TfNode& node, const Layout& l,
                     const std::vector<int64_t>& in_shape, Window* win) {
  const std::vector<int64_t> strides = AttrInts(node, "strides");
  const std::vector<int64_t> dilations = AttrInts(node, "dilations");
  if (strides.size() == 4) {
    win->sh = strides[size_t(l.h)];
    win->sw = strides[size_t(l.w)];
  }
  if (dilations.size() == 4) {
    win->dh = dilations[size_t(l.h)];
    win->dw = dilations[size_t(l.w)];
  }
  if (win->sh <= 0 || win->sw <= 0 || win->dh <= 0 || win->dw <= 0) {
    return ctx.Invalid(node, "non-positive strides or dilations");
  }
  const int64_t ih = in_shape[size_t(l.h)], iw = in_shape[size_t(l.w)];
  const int64_t eh = (win->kh - 1) * win->dh + 1, ew = (win->kw - 1) * win->dw + 1;
  const std::string padding = AttrString(node, "padding", "VALID");
  if (padding == "SAME") {
    const int64_t oh = (ih + win->sh - 1) / win->sh, ow = (iw + win->sw - 1) / win->sw;
    const int64_t th = std::max<int64_t>(0, (oh - 1) * win->sh + eh - ih);
    const int64_t tw = std::max<int64_t>(0, (ow - 1) * win->sw + ew - iw);
    win->pads[0] = th / 2;
    win->pads[1] = tw / 2;
    win->pads[2] = th - th / 2;
    win->pads[3] = tw - tw / 2;
  } else if (padding == "EXPLICIT") {
    const std::vector<int64_t> p = AttrInts(node, "explicit_paddings");
    if (p.size() != 8) return ctx.Invalid(node, "explicit_paddings needs 8 values");
    win->pads[0] = p[size_t(2 * l.h)];
    win->pads[2] = p[size_t(2 * l.h + 1)];
    win->pads[1] = p[size_t(2 * l.w)];
    win->pads[3] = p[size_t(2 * l.w + 1)];
  } else if (padding != "VALID") {
    return ctx.Unsupported(node, "padding \"" + padding + "\"");
  }
  win->oh = (ih + win->pads[0] + win->pads[2] - eh) / win->sh + 1;
  win->ow = (iw + win->pads[1] + win->pads[3] - ew) / win->sw + 1;
  if (win->oh <= 0 || win->ow <= 0) return ctx.Invalid(node, "window larger than the input");
  return Status::Ok();
}

void SetWindowAttrs(onnx::NodeProto* n, const Window& win, bool dilations) {
  SetIntsAttr(n, "kernel_shape", {win.kh, win.kw});
  SetIntsAttr(n, "strides", {win.sh, win.sw});
  if (dilations) SetIntsAttr(n, "dilations", {win.dh, win.dw});
  SetIntsAttr(n, "pads", {win.pads[0], win.pads[1], win.pads[2], win.pads[3]});
}

// Shared tail of Conv2D / DepthwiseConv2dNative and their fused forms. `weights` is OIHW.
Status EmitConv(TfGraphContext& ctx, const TfNode& node, const TfValue& x, const Layout& l,
                Window win, std::vector<float> weights, int64_t out_channels, int64_t in_per_group,
                int64_t group) {
  std::vector<float> bias;
  std::string activation;
  if (node.op == "_FusedConv2D" || node.op == "FusedDepthwiseConv2dNative") {
    const std::vector<std::string> fused = AttrStrings(node, "fused_ops");
    size_t k = 0;
    if (k < fused.size() && fused[k] == "BiasAdd") {
      VIGIL_ASSIGN_OR_RETURN(const TfConst* b, ctx.ConstInput(node, 2));
      if (b->size() != out_channels) return ctx.Invalid(node, "bias size mismatch");
      bias = b->f;
      ++k;
    } else if (k < fused.size() && fused[k] == "FusedBatchNorm") {
      // inputs: scale, offset, mean, variance
      std::vector<const TfConst*> bn;
      for (size_t a = 2; a < 6; ++a) {
        VIGIL_ASSIGN_OR_RETURN(const TfConst* c, ctx.ConstInput(node, a));
        if (c->size() != out_channels) return ctx.Invalid(node, "batch norm size mismatch");
        bn.push_back(c);
      }
      const float eps = AttrFloat(node, "epsilon", 1e-3f);
      bias.resize(size_t(out_channels));
      const size_t per_out = weights.size() / size_t(out_channels);
      for (int64_t o = 0; o < out_channels; ++o) {
        const float s = bn[0]->f[size_t(o)] / std::sqrt(bn[3]->f[size_t(o)] + eps);
        for (size_t q = 0; q < per_out; ++q) weights[size_t(o) * per_out + q] *= s;
        bias[size_t(o)] = bn[1]->f[size_t(o)] - bn[2]->f[size_t(o)] * s;
      }
      ++k;
    }
    if (k < fused.size()) activation = fused[k++];
    if (k < fused.size() || (bias.empty() && !fused.empty() && activation.empty())) {
      std::string list;
      for (const auto& f : fused) list += (list.empty() ? "" : ",") + f;
      return ctx.Unsupported(node, "fused_ops [" + list + "]");
    }
  }
  const std::string in = ctx.Materialize(x, l.perm);
  std::vector<std::string> inputs = {
      in, ctx.b().AddFloatInitializer(node.name + "/W", {out_channels, in_per_group, win.kh, win.kw},
                                      weights)};
  if (!bias.empty()) inputs.push_back(ctx.b().AddFloatInitializer(node.name + "/B", {out_channels}, bias));
  std::vector<int64_t> shape = x.shape;
  shape[size_t(l.h)] = win.oh;
  shape[size_t(l.w)] = win.ow;
  shape[size_t(l.c)] = out_channels;
  TfValue out = ctx.NewValue(node, shape, l.perm);
  const std::string conv_out = activation.empty() ? out.onnx : ctx.b().UniqueName(node.name + "/conv");
  onnx::NodeProto* conv = ctx.b().AddNode("Conv", inputs, {conv_out}, node.name);
  SetWindowAttrs(conv, win, true);
  SetIntAttr(conv, "group", group);
  if (!activation.empty()) {
    VIGIL_ASSIGN_OR_RETURN(std::string act, EmitActivation(ctx, node, activation, conv_out,
                                                           AttrFloat(node, "leakyrelu_alpha", 0.2f)));
    out.onnx = act;
  }
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

}  // namespace

Status ConvertConv2D(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  VIGIL_ASSIGN_OR_RETURN(const TfConst* f, ctx.ConstInput(node, 1));
  VIGIL_ASSIGN_OR_RETURN(Layout l, GetLayout(ctx, node, *x));
  if (f->shape.size() != 4 || f->is_int) return ctx.Invalid(node, "filter must be float HWIO");
  const int64_t kh = f->shape[0], kw = f->shape[1], ci = f->shape[2], co = f->shape[3];
  const int64_t channels = x->shape[size_t(l.c)];
  if (ci <= 0 || channels % ci != 0) {
    return ctx.Invalid(node, "filter " + DimsText(f->shape) + " does not fit " +
                                 std::to_string(channels) + " input channels");
  }
  std::vector<float> w(size_t(co * ci * kh * kw));
  for (int64_t o = 0; o < co; ++o)
    for (int64_t i = 0; i < ci; ++i)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t xx = 0; xx < kw; ++xx)
          w[size_t(((o * ci + i) * kh + y) * kw + xx)] = f->f[size_t(((y * kw + xx) * ci + i) * co + o)];
  Window win{kh, kw};
  VIGIL_RETURN_IF_ERROR(ResolveWindow(ctx, node, l, x->shape, &win));
  return EmitConv(ctx, node, *x, l, win, std::move(w), co, ci, channels / ci);
}

Status ConvertDepthwise(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  VIGIL_ASSIGN_OR_RETURN(const TfConst* f, ctx.ConstInput(node, 1));
  VIGIL_ASSIGN_OR_RETURN(Layout l, GetLayout(ctx, node, *x));
  if (f->shape.size() != 4 || f->is_int) return ctx.Invalid(node, "filter must be float HWCM");
  const int64_t kh = f->shape[0], kw = f->shape[1], c = f->shape[2], m = f->shape[3];
  if (c != x->shape[size_t(l.c)]) return ctx.Invalid(node, "filter channels do not match input");
  std::vector<float> w(size_t(c * m * kh * kw));
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t j = 0; j < m; ++j)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t xx = 0; xx < kw; ++xx)
          w[size_t(((ch * m + j) * kh + y) * kw + xx)] = f->f[size_t(((y * kw + xx) * c + ch) * m + j)];
  Window win{kh, kw};
  VIGIL_RETURN_IF_ERROR(ResolveWindow(ctx, node, l, x->shape, &win));
  return EmitConv(ctx, node, *x, l, win, std::move(w), c * m, 1, c);
}

Status ConvertPool(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  VIGIL_ASSIGN_OR_RETURN(Layout l, GetLayout(ctx, node, *x));
  const std::vector<int64_t> ksize = AttrInts(node, "ksize");
  if (ksize.size() != 4) return ctx.Invalid(node, "ksize needs 4 values");
  if (ksize[0] != 1 || ksize[size_t(l.c)] != 1) return ctx.Unsupported(node, "pooling over batch/channels");
  Window win{ksize[size_t(l.h)], ksize[size_t(l.w)]};
  VIGIL_RETURN_IF_ERROR(ResolveWindow(ctx, node, l, x->shape, &win));
  std::vector<int64_t> shape = x->shape;
  shape[size_t(l.h)] = win.oh;
  shape[size_t(l.w)] = win.ow;
  TfValue out = ctx.NewValue(node, shape, l.perm);
  const bool max = node.op == "MaxPool";
  onnx::NodeProto* n = ctx.b().AddNode(max ? "MaxPool" : "AveragePool",
                                       {ctx.Materialize(*x, l.perm)}, {out.onnx}, node.name);
  SetWindowAttrs(n, win, false);
  if (!max) SetIntAttr(n, "count_include_pad", 0);  // TF averages over the valid cells only
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

Status ConvertResize(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  VIGIL_ASSIGN_OR_RETURN(const TfConst* size, ctx.ConstInput(node, 1));
  if (x->rank() != 4) return ctx.Unsupported(node, "input of rank != 4");
  if (size->size() != 2) return ctx.Invalid(node, "size needs 2 values");
  const bool align = AttrBool(node, "align_corners", false);
  const bool half = AttrBool(node, "half_pixel_centers", false);
  const bool bilinear = node.op == "ResizeBilinear";
  const Layout l{{0, 3, 1, 2}, 1, 2, 3};  // TF resize ops are NHWC
  std::vector<int64_t> shape = x->shape;
  shape[1] = int64_t(size->At(0));
  shape[2] = int64_t(size->At(1));
  TfValue out = ctx.NewValue(node, shape, l.perm);
  const std::string roi = ctx.b().AddFloatInitializer(node.name + "/roi", {0}, {});
  const std::string scales = ctx.b().AddFloatInitializer(node.name + "/scales", {0}, {});
  const std::string sizes = ctx.Int64s({shape[0], shape[3], shape[1], shape[2]}, node.name + "/sizes");
  onnx::NodeProto* n = ctx.b().AddNode("Resize", {ctx.Materialize(*x, l.perm), roi, scales, sizes},
                                       {out.onnx}, node.name);
  SetStringAttr(n, "mode", bilinear ? "linear" : "nearest");
  SetStringAttr(n, "coordinate_transformation_mode",
                align ? "align_corners" : half ? (bilinear ? "half_pixel" : "tf_half_pixel_for_nn")
                                               : "asymmetric");
  if (!bilinear) SetStringAttr(n, "nearest_mode", align ? "round_prefer_ceil" : "floor");
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

}  // namespace vigil
