// Layout-agnostic TF ops -> ONNX for the tfjs graph-model importer (Identity, Transpose, Pad,
// activations, element-wise arithmetic, ConcatV2, Split/SplitV, Reshape/Squeeze/ExpandDims, Mean)
// and the converter table. These ops work on whatever axis permutation their input is stored in
// (see tf_graph_context.h); only Reshape needs the TF order.
#include <algorithm>
#include <map>
#include <set>

#include "models/tf_const_fold.h"
#include "models/tf_op_converters.h"

namespace vigil {

namespace {

// Position of TF axis `axis` in a value stored with `perm`.
int64_t StoredAxis(const std::vector<int>& perm, int64_t axis) {
  for (size_t j = 0; j < perm.size(); ++j) {
    if (perm[j] == axis) return int64_t(j);
  }
  return axis;
}

Result<int64_t> NormAxis(TfGraphContext& ctx, const TfNode& node, int64_t axis, int rank) {
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return ctx.Invalid(node, "axis out of range");
  return axis;
}

Status ConvertIdentity(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  ctx.Set(node.name, 0, *x);
  return Status::Ok();
}

Status ConvertTranspose(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  VIGIL_ASSIGN_OR_RETURN(const TfConst* p, ctx.ConstInput(node, 1));
  if (p->size() != x->rank()) return ctx.Invalid(node, "perm size does not match the rank");
  std::vector<int> perm;
  for (int64_t k = 0; k < p->size(); ++k) perm.push_back(int(p->At(k)));
  std::vector<int> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != IdentityPerm(x->rank())) return ctx.Invalid(node, "perm is not a permutation");
  // No ONNX node: the stored tensor is unchanged, only the TF view of it.
  TfValue out = *x;
  const std::vector<int> inv = InversePerm(perm);
  for (size_t j = 0; j < out.perm.size(); ++j) out.perm[j] = inv[size_t(x->perm[j])];
  for (size_t i = 0; i < perm.size(); ++i) out.shape[i] = x->shape[size_t(perm[i])];
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

Status ConvertPad(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  VIGIL_ASSIGN_OR_RETURN(const TfConst* p, ctx.ConstInput(node, 1));
  const int rank = x->rank();
  if (p->size() != 2 * rank) return ctx.Invalid(node, "paddings must be [rank, 2]");
  float value = 0;
  if (node.op == "PadV2") {
    VIGIL_ASSIGN_OR_RETURN(const TfConst* v, ctx.ConstInput(node, 2));
    value = float(v->At(0));
  }
  std::string mode = "constant";
  if (node.op == "MirrorPad") {
    const std::string m = AttrString(node, "mode", "REFLECT");
    if (m != "REFLECT") return ctx.Unsupported(node, "mode \"" + m + "\"");
    mode = "reflect";
  }
  std::vector<int64_t> pads(size_t(2 * rank));
  std::vector<int64_t> shape = x->shape;
  for (int j = 0; j < rank; ++j) {
    const int a = x->perm[size_t(j)];
    pads[size_t(j)] = int64_t(p->At(2 * a));
    pads[size_t(j + rank)] = int64_t(p->At(2 * a + 1));
    shape[size_t(a)] += int64_t(p->At(2 * a)) + int64_t(p->At(2 * a + 1));
  }
  TfValue out = ctx.NewValue(node, shape, x->perm);
  std::vector<std::string> inputs = {x->onnx, ctx.Int64s(pads, node.name + "/pads")};
  if (mode == "constant") inputs.push_back(ctx.FloatScalar(value, node.name + "/value"));
  onnx::NodeProto* n = ctx.b().AddNode("Pad", inputs, {out.onnx}, node.name);
  SetStringAttr(n, "mode", mode);
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

Status ConvertActivation(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  TfValue out = *x;
  VIGIL_ASSIGN_OR_RETURN(out.onnx,
                         EmitActivation(ctx, node, node.op, x->onnx, AttrFloat(node, "alpha", 0.2f)));
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

std::vector<int64_t> Broadcast(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t k = 0; k < rank; ++k) {
    const int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    const int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    out[k] = da == 1 ? db : da;
  }
  return out;
}

Status ConvertBinary(TfGraphContext& ctx, const TfNode& node) {
  static const std::map<std::string, std::string> kOps = {
      {"Add", "Add"}, {"AddV2", "Add"}, {"BiasAdd", "Add"}, {"Sub", "Sub"}, {"Mul", "Mul"},
      {"RealDiv", "Div"}, {"Maximum", "Max"}, {"Minimum", "Min"}};
  VIGIL_ASSIGN_OR_RETURN(const TfValue* a, ctx.Input(node, 0));
  VIGIL_ASSIGN_OR_RETURN(const TfValue* b, ctx.Input(node, 1));
  if (node.op == "BiasAdd" && AttrString(node, "data_format", "NHWC") != "NHWC") {
    return ctx.Unsupported(node, "data_format NCHW");
  }
  const TfValue* dyn = a->is_const ? b : a;
  const std::vector<int64_t>& sa = a->is_const ? a->c.shape : a->shape;
  const std::vector<int64_t>& sb = b->is_const ? b->c.shape : b->shape;
  const std::vector<int64_t> shape = Broadcast(sa, sb);
  std::vector<int> perm;
  if (int(shape.size()) == dyn->rank() && a->rank() <= dyn->rank() && b->rank() <= dyn->rank() &&
      (a->is_const || b->is_const || a->rank() == b->rank())) {
    perm = dyn->perm;  // operate in the stored layout
  } else {
    perm = IdentityPerm(int(shape.size()));
  }
  // A constant that varies along one axis only (per-channel scale/offset) goes on stored axis 1:
  // OpenCV 4.6 broadcasts constants of rank >= 3 only along axis 1 ([1, C, 1, 1]), not the last.
  const TfValue* c = a->is_const ? a : b->is_const ? b : nullptr;
  if (c != nullptr && !dyn->is_const && perm.size() >= 3 && perm == dyn->perm) {
    const int rank = int(perm.size());
    const int offset = rank - int(c->c.shape.size());
    int varying = -1, count = 0;
    for (size_t k = 0; k < c->c.shape.size(); ++k) {
      if (c->c.shape[k] != 1) {
        varying = int(k) + offset;
        ++count;
      }
    }
    if (count == 1 && varying > 0 && perm[1] != varying) {
      std::vector<int> moved = {perm[0], varying};
      for (size_t j = 1; j < perm.size(); ++j) {
        if (perm[j] != varying) moved.push_back(perm[j]);
      }
      if (moved[0] != varying) perm = moved;
    }
  }
  auto operand = [&](const TfValue* v) -> std::string {
    if (!v->is_const) {
      return ctx.Materialize(*v, v->rank() == int(perm.size()) ? perm : IdentityPerm(v->rank()));
    }
    // Align the constant's rank, then permute it like the dynamic operand.
    TfValue c = *v;
    while (c.c.shape.size() < perm.size()) c.c.shape.insert(c.c.shape.begin(), 1);
    if (c.c.is_int) {  // arithmetic on float tensors only
      c.c.f.assign(c.c.i.begin(), c.c.i.end());
      c.c.i.clear();
      c.c.is_int = false;
    }
    return ctx.Initializer(TransposeConst(c.c, perm), node.name + "/const");
  };
  const std::string ia = operand(a), ib = operand(b);
  TfValue out = ctx.NewValue(node, shape, perm);
  ctx.b().AddNode(kOps.at(node.op), {ia, ib}, {out.onnx}, node.name);
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

Status ConvertConcat(TfGraphContext& ctx, const TfNode& node) {
  if (node.inputs.size() < 2) return ctx.Invalid(node, "needs values and an axis");
  VIGIL_ASSIGN_OR_RETURN(const TfConst* axis_c, ctx.ConstInput(node, node.inputs.size() - 1));
  const TfValue* first_dyn = nullptr;
  std::vector<const TfValue*> parts;
  for (size_t k = 0; k + 1 < node.inputs.size(); ++k) {
    VIGIL_ASSIGN_OR_RETURN(const TfValue* v, ctx.Input(node, k));
    parts.push_back(v);
    if (!v->is_const && first_dyn == nullptr) first_dyn = v;
  }
  if (first_dyn == nullptr) return ctx.Unsupported(node, "all inputs constant");
  const int rank = first_dyn->rank();
  VIGIL_ASSIGN_OR_RETURN(int64_t axis, NormAxis(ctx, node, int64_t(axis_c->At(0)), rank));
  std::vector<int64_t> shape = first_dyn->shape;
  shape[size_t(axis)] = 0;
  std::vector<std::string> inputs;
  for (const TfValue* v : parts) {
    const std::vector<int64_t>& s = v->is_const ? v->c.shape : v->shape;
    if (int(s.size()) != rank) return ctx.Invalid(node, "inputs of different ranks");
    shape[size_t(axis)] += s[size_t(axis)];
    inputs.push_back(ctx.Materialize(*v, first_dyn->perm));
  }
  TfValue out = ctx.NewValue(node, shape, first_dyn->perm);
  onnx::NodeProto* n = ctx.b().AddNode("Concat", inputs, {out.onnx}, node.name);
  SetIntAttr(n, "axis", StoredAxis(first_dyn->perm, axis));
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

Status ConvertSplit(TfGraphContext& ctx, const TfNode& node) {
  const bool v2 = node.op == "SplitV";
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, v2 ? 0 : 1));
  VIGIL_ASSIGN_OR_RETURN(const TfConst* axis_c, ctx.ConstInput(node, v2 ? 2 : 0));
  VIGIL_ASSIGN_OR_RETURN(int64_t axis, NormAxis(ctx, node, int64_t(axis_c->At(0)), x->rank()));
  const int64_t num = AttrInt(node, "num_split", 1);
  const int64_t dim = x->shape[size_t(axis)];
  std::vector<int64_t> sizes;
  if (v2) {
    VIGIL_ASSIGN_OR_RETURN(const TfConst* s, ctx.ConstInput(node, 1));
    int64_t known = 0, unknown = -1;
    for (int64_t k = 0; k < s->size(); ++k) {
      sizes.push_back(int64_t(s->At(k)));
      if (sizes.back() < 0) unknown = k; else known += sizes.back();
    }
    if (unknown >= 0) sizes[size_t(unknown)] = dim - known;
  } else {
    if (num <= 0 || dim % num != 0) return ctx.Invalid(node, "cannot split evenly");
    sizes.assign(size_t(num), dim / num);
  }
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  if (total != dim || int64_t(sizes.size()) != num) return ctx.Invalid(node, "split sizes do not add up");
  std::vector<std::string> outputs;
  std::vector<TfValue> values;
  for (size_t k = 0; k < sizes.size(); ++k) {
    std::vector<int64_t> shape = x->shape;
    shape[size_t(axis)] = sizes[k];
    values.push_back(ctx.NewValue(node, shape, x->perm));
    outputs.push_back(values.back().onnx);
  }
  std::vector<std::string> inputs = {x->onnx};
  if (ctx.opset() >= 13) inputs.push_back(ctx.Int64s(sizes, node.name + "/split"));
  onnx::NodeProto* n = ctx.b().AddNode("Split", inputs, outputs, node.name);
  SetIntAttr(n, "axis", StoredAxis(x->perm, axis));
  if (ctx.opset() < 13) SetIntsAttr(n, "split", sizes);
  for (size_t k = 0; k < values.size(); ++k) ctx.Set(node.name, int(k), values[k]);
  return Status::Ok();
}

Status ConvertReshape(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  std::vector<int64_t> shape;
  if (node.op == "Reshape") {
    VIGIL_ASSIGN_OR_RETURN(const TfConst* t, ctx.ConstInput(node, 1));
    for (int64_t k = 0; k < t->size(); ++k) shape.push_back(int64_t(t->At(k)));
    shape = ResolveReshape(shape, NumElements(x->shape));
    if (NumElements(shape) != NumElements(x->shape)) {
      return ctx.Invalid(node, "cannot reshape " + DimsText(x->shape) + " to " + DimsText(shape));
    }
  } else if (node.op == "ExpandDims") {
    VIGIL_ASSIGN_OR_RETURN(const TfConst* a, ctx.ConstInput(node, 1));
    VIGIL_ASSIGN_OR_RETURN(int64_t axis, NormAxis(ctx, node, int64_t(a->At(0)), x->rank() + 1));
    shape = x->shape;
    shape.insert(shape.begin() + axis, 1);
  } else {  // Squeeze
    const std::vector<int64_t> dims = AttrInts(node, "squeeze_dims");
    for (int k = 0; k < x->rank(); ++k) {
      bool drop = dims.empty() && x->shape[size_t(k)] == 1;
      for (int64_t d : dims) drop = drop || (d < 0 ? d + x->rank() : d) == k;
      if (!drop) shape.push_back(x->shape[size_t(k)]);
    }
  }
  TfValue out = ctx.NewValue(node, shape, {});
  ctx.b().AddNode("Reshape",
                  {ctx.Materialize(*x, IdentityPerm(x->rank())), ctx.Int64s(shape, node.name + "/shape")},
                  {out.onnx}, node.name);
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

Status ConvertMean(TfGraphContext& ctx, const TfNode& node) {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
  VIGIL_ASSIGN_OR_RETURN(const TfConst* a, ctx.ConstInput(node, 1));
  const bool keep = AttrBool(node, "keep_dims", false);
  std::set<int64_t> axes;
  for (int64_t k = 0; k < a->size(); ++k) {
    VIGIL_ASSIGN_OR_RETURN(int64_t axis, NormAxis(ctx, node, int64_t(a->At(k)), x->rank()));
    axes.insert(axis);
  }
  std::vector<int64_t> stored;
  for (int64_t axis : axes) stored.push_back(StoredAxis(x->perm, axis));
  std::sort(stored.begin(), stored.end());
  std::vector<int64_t> shape;
  for (int k = 0; k < x->rank(); ++k) {
    if (axes.count(k) == 0) shape.push_back(x->shape[size_t(k)]);
    else if (keep) shape.push_back(1);
  }
  std::vector<int> perm = x->perm;
  if (!keep) {  // drop the reduced axes and renumber the rest
    perm.clear();
    for (int p : x->perm) {
      if (axes.count(p) > 0) continue;
      int rank_below = 0;
      for (int q = 0; q < p; ++q) rank_below += axes.count(q) == 0 ? 1 : 0;
      perm.push_back(rank_below);
    }
  }
  TfValue out = ctx.NewValue(node, shape, perm);
  if (keep && x->rank() == 4 && stored == std::vector<int64_t>{2, 3}) {
    ctx.b().AddNode("GlobalAveragePool", {x->onnx}, {out.onnx}, node.name);
  } else {
    onnx::NodeProto* n = ctx.b().AddNode("ReduceMean", {x->onnx}, {out.onnx}, node.name);
    SetIntsAttr(n, "axes", stored);
    SetIntAttr(n, "keepdims", keep ? 1 : 0);
  }
  ctx.Set(node.name, 0, out);
  return Status::Ok();
}

}  // namespace

Result<std::string> EmitActivation(TfGraphContext& ctx, const TfNode& node, const std::string& act,
                                   const std::string& x, float leaky_alpha) {
  const std::string out = ctx.b().UniqueName(node.name + "/" + act);
  if (act == "Relu" || act == "Sigmoid" || act == "Tanh" || act == "Elu") {
    ctx.b().AddNode(act, {x}, {out}, out);
  } else if (act == "LeakyRelu") {
    onnx::NodeProto* n = ctx.b().AddNode("LeakyRelu", {x}, {out}, out);
    SetFloatAttr(n, "alpha", leaky_alpha);
  } else if (act == "Relu6") {
    ctx.b().AddNode("Clip", {x, ctx.FloatScalar(0.f, out + "/min"), ctx.FloatScalar(6.f, out + "/max")},
                    {out}, out);
  } else {
    return ctx.Unsupported(node, "activation \"" + act + "\"");
  }
  return out;
}

TfOpConverter FindTfOpConverter(const std::string& op) {
  static const std::map<std::string, TfOpConverter> kTable = {
      {"Identity", ConvertIdentity},
      {"Transpose", ConvertTranspose},
      {"Pad", ConvertPad},
      {"PadV2", ConvertPad},
      {"MirrorPad", ConvertPad},
      {"Relu", ConvertActivation},
      {"Relu6", ConvertActivation},
      {"LeakyRelu", ConvertActivation},
      {"Sigmoid", ConvertActivation},
      {"Tanh", ConvertActivation},
      {"Elu", ConvertActivation},
      {"Add", ConvertBinary},
      {"AddV2", ConvertBinary},
      {"BiasAdd", ConvertBinary},
      {"Sub", ConvertBinary},
      {"Mul", ConvertBinary},
      {"RealDiv", ConvertBinary},
      {"Maximum", ConvertBinary},
      {"Minimum", ConvertBinary},
      {"ConcatV2", ConvertConcat},
      {"Split", ConvertSplit},
      {"SplitV", ConvertSplit},
      {"Reshape", ConvertReshape},
      {"Squeeze", ConvertReshape},
      {"ExpandDims", ConvertReshape},
      {"Mean", ConvertMean},
      {"Conv2D", ConvertConv2D},
      {"_FusedConv2D", ConvertConv2D},
      {"DepthwiseConv2dNative", ConvertDepthwise},
      {"FusedDepthwiseConv2dNative", ConvertDepthwise},
      {"MaxPool", ConvertPool},
      {"AvgPool", ConvertPool},
      {"ResizeBilinear", ConvertResize},
      {"ResizeNearestNeighbor", ConvertResize},
  };
  auto it = kTable.find(op);
  return it == kTable.end() ? nullptr : it->second;
}

}  // namespace vigil
