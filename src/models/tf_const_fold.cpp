// Import-time constant folding for the tfjs graph-model importer: evaluates TF nodes whose inputs
// are all constants (shape arithmetic such as Shape/StridedSlice/Pack/SparseToDense/AddV2), so the
// emitted ONNX graph only holds tensor computations with static shapes.
#include "models/tf_const_fold.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace vigil {

namespace {

const std::set<std::string>& FoldableOps() {
  static const std::set<std::string> ops = {
      "Identity", "Add",    "AddV2",      "Sub",        "Mul",     "RealDiv", "FloorDiv",
      "FloorMod", "Maximum", "Minimum",   "Cast",       "SparseToDense", "Pack", "ConcatV2",
      "Reshape",  "ExpandDims", "Squeeze", "Shape",     "StridedSlice",  "GatherV2", "Transpose",
      "Equal",    "Fill",   "Prod"};
  return ops;
}

Result<std::vector<int64_t>> BroadcastShape(const std::vector<int64_t>& a,
                                            const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t k = 0; k < rank; ++k) {
    const int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    const int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      return InvalidArgumentError("shapes " + DimsText(a) + " and " + DimsText(b) +
                                  " do not broadcast");
    }
    out[k] = da == 1 ? db : da;
  }
  return out;
}

// Flat index into `shape` (right-aligned, broadcast) for the output multi-index `idx`.
int64_t BroadcastIndex(const std::vector<int64_t>& shape, const std::vector<int64_t>& idx) {
  int64_t flat = 0;
  const size_t off = idx.size() - shape.size();
  for (size_t k = 0; k < shape.size(); ++k) {
    flat = flat * shape[k] + (shape[k] == 1 ? 0 : idx[k + off]);
  }
  return flat;
}

Result<TfConst> Binary(const std::string& op, const TfConst& a, const TfConst& b) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> shape, BroadcastShape(a.shape, b.shape));
  TfConst out;
  out.shape = shape;
  out.is_int = a.is_int && b.is_int;
  const int64_t n = NumElements(shape);
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    const double x = a.At(BroadcastIndex(a.shape, idx));
    const double y = b.At(BroadcastIndex(b.shape, idx));
    double r = 0;
    if (op == "Add" || op == "AddV2") r = x + y;
    else if (op == "Sub") r = x - y;
    else if (op == "Mul") r = x * y;
    else if (op == "RealDiv") r = out.is_int ? std::trunc(x / y) : x / y;
    else if (op == "FloorDiv") r = std::floor(x / y);
    else if (op == "FloorMod") r = x - std::floor(x / y) * y;
    else if (op == "Maximum") r = std::max(x, y);
    else if (op == "Minimum") r = std::min(x, y);
    else if (op == "Equal") r = x == y ? 1 : 0;
    if (op == "Equal") out.is_int = true;
    if (out.is_int) out.i.push_back(int64_t(r)); else out.f.push_back(float(r));
    for (int j = int(shape.size()) - 1; j >= 0; --j) {
      if (++idx[size_t(j)] < shape[size_t(j)]) break;
      idx[size_t(j)] = 0;
    }
  }
  return out;
}

TfConst Flat(const TfConst& c, bool is_int) {
  TfConst out;
  out.is_int = is_int;
  out.shape = c.shape;
  for (int64_t k = 0; k < c.size(); ++k) {
    if (is_int) out.i.push_back(int64_t(c.At(k))); else out.f.push_back(float(c.At(k)));
  }
  return out;
}

Result<std::vector<int64_t>> ResolveShape(const std::vector<int64_t>& target, int64_t elements) {
  std::vector<int64_t> shape = target;
  int64_t known = 1;
  int unknown = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] < 0) {
      if (unknown >= 0) return InvalidArgumentError("reshape with two -1 dims");
      unknown = int(k);
    } else {
      known *= shape[k];
    }
  }
  if (unknown >= 0) shape[size_t(unknown)] = known == 0 ? 0 : elements / known;
  if (NumElements(shape) != elements) {
    return InvalidArgumentError("cannot reshape " + std::to_string(elements) + " elements to " +
                                DimsText(target));
  }
  return shape;
}

}  // namespace

bool IsFoldableTfOp(const std::string& op) { return FoldableOps().count(op) > 0; }

std::vector<int64_t> ResolveReshape(const std::vector<int64_t>& target, int64_t elements) {
  auto r = ResolveShape(target, elements);
  return r.ok() ? *r : target;
}

Result<StridedSliceSpec> ComputeStridedSlice(const TfNode& node, const std::vector<int64_t>& shape,
                                             const TfConst& begin, const TfConst& end,
                                             const TfConst& strides) {
  if (AttrInt(node, "ellipsis_mask", 0) != 0 || AttrInt(node, "new_axis_mask", 0) != 0) {
    return UnsupportedError("StridedSlice with ellipsis_mask/new_axis_mask");
  }
  const int64_t begin_mask = AttrInt(node, "begin_mask", 0);
  const int64_t end_mask = AttrInt(node, "end_mask", 0);
  const int64_t shrink_mask = AttrInt(node, "shrink_axis_mask", 0);
  StridedSliceSpec spec;
  const int rank = int(shape.size());
  if (begin.size() > rank || end.size() != begin.size() || strides.size() != begin.size()) {
    return InvalidArgumentError("StridedSlice begin/end/strides sizes do not match the rank");
  }
  for (int k = 0; k < rank; ++k) {
    const int64_t dim = shape[size_t(k)];
    int64_t b = 0, e = dim, s = 1;
    bool shrink = false;
    if (k < begin.size()) {
      s = int64_t(strides.At(k));
      if (s == 0) return InvalidArgumentError("StridedSlice stride 0");
      b = int64_t(begin.At(k));
      e = int64_t(end.At(k));
      shrink = (shrink_mask >> k) & 1;
      if (b < 0) b += dim;
      if (e < 0) e += dim;
      if (shrink) {
        e = b + 1;
        s = 1;
      } else {
        if ((begin_mask >> k) & 1) b = s > 0 ? 0 : dim - 1;
        if ((end_mask >> k) & 1) e = s > 0 ? dim : -1;
      }
      if (s > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
      } else {
        b = std::clamp<int64_t>(b, -1, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
      }
    }
    spec.begin.push_back(b);
    spec.end.push_back(e);
    spec.strides.push_back(s);
    const int64_t len = s > 0 ? std::max<int64_t>(0, (e - b + s - 1) / s)
                              : std::max<int64_t>(0, (b - e - s - 1) / -s);
    spec.sliced_shape.push_back(len);
    if (!shrink) spec.out_shape.push_back(len);
  }
  return spec;
}

Status FoldTfNode(TfGraphContext& ctx, const TfNode& node) {
  const std::string& op = node.op;
  if (op == "Shape") {  // static shape of any value
    VIGIL_ASSIGN_OR_RETURN(const TfValue* x, ctx.Input(node, 0));
    TfConst out;
    out.is_int = true;
    out.i = x->is_const ? x->c.shape : x->shape;
    out.shape = {int64_t(out.i.size())};
    ctx.Set(node.name, 0, MakeConstValue(out));
    return Status::Ok();
  }
  std::vector<const TfConst*> in;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    VIGIL_ASSIGN_OR_RETURN(const TfConst* c, ctx.ConstInput(node, k));
    in.push_back(c);
  }
  auto need = [&](size_t n) -> Status {
    if (in.size() < n) return ctx.Invalid(node, "expected " + std::to_string(n) + " inputs");
    return Status::Ok();
  };
  TfConst out;
  if (op == "Identity") {
    VIGIL_RETURN_IF_ERROR(need(1));
    out = *in[0];
  } else if (op == "Cast") {
    VIGIL_RETURN_IF_ERROR(need(1));
    const std::string to = AttrType(node, "DstT");
    out = Flat(*in[0], to != "DT_FLOAT" && to != "DT_HALF" && to != "DT_DOUBLE");
  } else if (op == "SparseToDense") {  // (indices, output_shape, values, default)
    VIGIL_RETURN_IF_ERROR(need(4));
    const TfConst& idx = *in[0];
    out.is_int = in[2]->is_int;
    for (int64_t k = 0; k < in[1]->size(); ++k) out.shape.push_back(int64_t(in[1]->At(k)));
    const int64_t n = NumElements(out.shape);
    const double def = in[3]->At(0);
    if (out.is_int) out.i.assign(size_t(n), int64_t(def)); else out.f.assign(size_t(n), float(def));
    const int64_t count = idx.shape.empty() ? 1 : idx.shape[0];
    const int64_t width = idx.shape.size() < 2 ? 1 : idx.shape[1];
    for (int64_t r = 0; r < count; ++r) {
      int64_t flat = 0;
      for (int64_t w = 0; w < width; ++w) {
        const int64_t d = out.shape.empty() ? 1 : out.shape[size_t(w)];
        const int64_t v = int64_t(idx.At(r * width + w));
        if (v < 0 || v >= d) return ctx.Invalid(node, "index out of range");
        flat = flat * d + v;
      }
      const double val = in[2]->size() == 1 ? in[2]->At(0) : in[2]->At(r);
      if (out.is_int) out.i[size_t(flat)] = int64_t(val); else out.f[size_t(flat)] = float(val);
    }
  } else if (op == "Pack" || op == "ConcatV2") {
    const bool pack = op == "Pack";
    size_t count = pack ? in.size() : in.size() - 1;
    if (count == 0) return ctx.Invalid(node, "no inputs");
    std::vector<TfConst> parts;
    for (size_t k = 0; k < count; ++k) {
      TfConst p = *in[k];
      if (pack) p.shape.insert(p.shape.begin(), 1);
      parts.push_back(p);
    }
    const int rank = int(parts[0].shape.size());
    int64_t axis = pack ? AttrInt(node, "axis", 0) : int64_t(in.back()->At(0));
    if (axis < 0) axis += rank;
    if (axis != 0) {
      if (!pack || rank > 1) {
        // Only axis 0 is needed for shape vectors; general case via transpose.
        std::vector<int> perm = IdentityPerm(rank);
        std::swap(perm[0], perm[size_t(axis)]);
        for (auto& p : parts) p = TransposeConst(p, perm);
        TfConst joined;
        joined.is_int = parts[0].is_int;
        joined.shape = parts[0].shape;
        joined.shape[0] = 0;
        for (auto& p : parts) {
          joined.shape[0] += p.shape[0];
          for (int64_t k = 0; k < p.size(); ++k) {
            if (joined.is_int) joined.i.push_back(int64_t(p.At(k))); else joined.f.push_back(float(p.At(k)));
          }
        }
        out = TransposeConst(joined, perm);
      }
    } else {
      out.is_int = parts[0].is_int;
      out.shape = parts[0].shape;
      out.shape[0] = 0;
      for (auto& p : parts) {
        out.shape[0] += p.shape[0];
        for (int64_t k = 0; k < p.size(); ++k) {
          if (out.is_int) out.i.push_back(int64_t(p.At(k))); else out.f.push_back(float(p.At(k)));
        }
      }
    }
  } else if (op == "Reshape") {
    VIGIL_RETURN_IF_ERROR(need(2));
    out = *in[0];
    std::vector<int64_t> target;
    for (int64_t k = 0; k < in[1]->size(); ++k) target.push_back(int64_t(in[1]->At(k)));
    auto shape = ResolveShape(target, out.size());
    if (!shape.ok()) return ctx.Invalid(node, shape.status().message());
    out.shape = *shape;
  } else if (op == "ExpandDims") {
    VIGIL_RETURN_IF_ERROR(need(2));
    out = *in[0];
    int64_t axis = int64_t(in[1]->At(0));
    if (axis < 0) axis += int64_t(out.shape.size()) + 1;
    out.shape.insert(out.shape.begin() + axis, 1);
  } else if (op == "Squeeze") {
    VIGIL_RETURN_IF_ERROR(need(1));
    out = *in[0];
    std::vector<int64_t> dims = AttrInts(node, "squeeze_dims");
    std::vector<int64_t> shape;
    for (size_t k = 0; k < out.shape.size(); ++k) {
      bool drop = dims.empty() ? out.shape[k] == 1
                               : std::count_if(dims.begin(), dims.end(), [&](int64_t d) {
                                   return (d < 0 ? d + int64_t(out.shape.size()) : d) == int64_t(k);
                                 }) > 0;
      if (!drop) shape.push_back(out.shape[k]);
    }
    out.shape = shape;
  } else if (op == "Transpose") {
    VIGIL_RETURN_IF_ERROR(need(2));
    std::vector<int> perm;
    for (int64_t k = 0; k < in[1]->size(); ++k) perm.push_back(int(in[1]->At(k)));
    std::vector<int> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    if (sorted != IdentityPerm(int(in[0]->shape.size()))) return ctx.Invalid(node, "bad perm");
    out = TransposeConst(*in[0], perm);
  } else if (op == "StridedSlice") {
    VIGIL_RETURN_IF_ERROR(need(4));
    auto spec = ComputeStridedSlice(node, in[0]->shape, *in[1], *in[2], *in[3]);
    if (!spec.ok()) return ctx.Invalid(node, spec.status().message());
    out.is_int = in[0]->is_int;
    out.shape = spec->out_shape;
    const int rank = int(in[0]->shape.size());
    std::vector<int64_t> idx(size_t(rank), 0);
    const int64_t n = NumElements(spec->sliced_shape);
    for (int64_t k = 0; k < n; ++k) {
      int64_t flat = 0;
      for (int a = 0; a < rank; ++a) {
        flat = flat * in[0]->shape[size_t(a)] + spec->begin[size_t(a)] + idx[size_t(a)] * spec->strides[size_t(a)];
      }
      if (out.is_int) out.i.push_back(int64_t(in[0]->At(flat))); else out.f.push_back(float(in[0]->At(flat)));
      for (int a = rank - 1; a >= 0; --a) {
        if (++idx[size_t(a)] < spec->sliced_shape[size_t(a)]) break;
        idx[size_t(a)] = 0;
      }
    }
  } else if (op == "GatherV2") {
    VIGIL_RETURN_IF_ERROR(need(3));
    int64_t axis = int64_t(in[2]->At(0));
    const TfConst& x = *in[0];
    if (axis < 0) axis += int64_t(x.shape.size());
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < axis; ++k) outer *= x.shape[size_t(k)];
    for (size_t k = size_t(axis) + 1; k < x.shape.size(); ++k) inner *= x.shape[k];
    out.is_int = x.is_int;
    out.shape.assign(x.shape.begin(), x.shape.begin() + axis);
    out.shape.insert(out.shape.end(), in[1]->shape.begin(), in[1]->shape.end());
    out.shape.insert(out.shape.end(), x.shape.begin() + axis + 1, x.shape.end());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < in[1]->size(); ++k) {
        int64_t g = int64_t(in[1]->At(k));
        if (g < 0) g += x.shape[size_t(axis)];
        if (g < 0 || g >= x.shape[size_t(axis)]) return ctx.Invalid(node, "index out of range");
        for (int64_t j = 0; j < inner; ++j) {
          const double v = x.At((o * x.shape[size_t(axis)] + g) * inner + j);
          if (out.is_int) out.i.push_back(int64_t(v)); else out.f.push_back(float(v));
        }
      }
    }
  } else if (op == "Fill") {
    VIGIL_RETURN_IF_ERROR(need(2));
    for (int64_t k = 0; k < in[0]->size(); ++k) out.shape.push_back(int64_t(in[0]->At(k)));
    out.is_int = in[1]->is_int;
    const int64_t n = NumElements(out.shape);
    if (out.is_int) out.i.assign(size_t(n), int64_t(in[1]->At(0)));
    else out.f.assign(size_t(n), float(in[1]->At(0)));
  } else if (op == "Prod") {
    VIGIL_RETURN_IF_ERROR(need(2));
    if (in[0]->shape.size() != 1) return ctx.Unsupported(node, "constant Prod of rank != 1");
    double p = 1;
    for (int64_t k = 0; k < in[0]->size(); ++k) p *= in[0]->At(k);
    out.is_int = in[0]->is_int;
    if (AttrBool(node, "keep_dims", false)) out.shape = {1};
    if (out.is_int) out.i = {int64_t(p)}; else out.f = {float(p)};
  } else {
    VIGIL_RETURN_IF_ERROR(need(2));
    auto r = Binary(op, *in[0], *in[1]);
    if (!r.ok()) return ctx.Invalid(node, r.status().message());
    out = std::move(*r);
  }
  ctx.Set(node.name, 0, MakeConstValue(std::move(out)));
  return Status::Ok();
}

}  // namespace vigil
