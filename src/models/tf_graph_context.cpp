// TfGraphContext: values, layout permutations, initializers and attribute readers for the tfjs
// graph-model importer.
#include "models/tf_graph_context.h"

#include <cstdlib>
#include <sstream>

namespace vigil {

int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t TfConst::size() const { return NumElements(shape); }

std::string DimsText(const std::vector<int64_t>& dims) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < dims.size(); ++i) out << (i ? ", " : "") << dims[i];
  out << "]";
  return out.str();
}

std::vector<int> IdentityPerm(int rank) {
  std::vector<int> p(static_cast<size_t>(rank), 0);
  for (int i = 0; i < rank; ++i) p[size_t(i)] = i;
  return p;
}

std::vector<int> InversePerm(const std::vector<int>& perm) {
  std::vector<int> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[size_t(perm[i])] = int(i);
  return inv;
}

TfConst TransposeConst(const TfConst& c, const std::vector<int>& perm) {
  const int rank = int(c.shape.size());
  TfConst out;
  out.is_int = c.is_int;
  for (int j = 0; j < rank; ++j) out.shape.push_back(c.shape[size_t(perm[size_t(j)])]);
  const int64_t n = c.size();
  if (c.is_int) out.i.resize(size_t(n)); else out.f.resize(size_t(n));
  std::vector<int64_t> in_strides(size_t(rank), 1);
  for (int k = rank - 2; k >= 0; --k) in_strides[size_t(k)] = in_strides[size_t(k + 1)] * c.shape[size_t(k + 1)];
  std::vector<int64_t> idx(size_t(rank), 0);  // output multi-index
  for (int64_t o = 0; o < n; ++o) {
    int64_t src = 0;
    for (int j = 0; j < rank; ++j) src += idx[size_t(j)] * in_strides[size_t(perm[size_t(j)])];
    if (c.is_int) out.i[size_t(o)] = c.i[size_t(src)]; else out.f[size_t(o)] = c.f[size_t(src)];
    for (int j = rank - 1; j >= 0; --j) {
      if (++idx[size_t(j)] < out.shape[size_t(j)]) break;
      idx[size_t(j)] = 0;
    }
  }
  return out;
}

namespace {

std::string Key(const std::string& ref) {
  return ref.find(':') == std::string::npos ? ref + ":0" : ref;
}

std::string PermKey(const std::string& onnx, const std::vector<int>& perm) {
  std::string key = onnx + "|";
  for (int p : perm) key += std::to_string(p) + ",";
  return key;
}

bool IsIdentity(const std::vector<int>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != int(i)) return false;
  }
  return true;
}

}  // namespace

Result<const TfValue*> TfGraphContext::Get(const std::string& ref) const {
  auto it = values_.find(Key(ref));
  if (it == values_.end()) return InvalidArgumentError("input \"" + ref + "\" has no value");
  return &it->second;
}

bool TfGraphContext::Has(const std::string& ref) const { return values_.count(Key(ref)) > 0; }

Result<const TfValue*> TfGraphContext::Input(const TfNode& node, size_t index) const {
  if (index >= node.inputs.size()) {
    return Invalid(node, "expected at least " + std::to_string(index + 1) + " inputs, has " +
                             std::to_string(node.inputs.size()));
  }
  auto v = Get(node.inputs[index]);
  if (!v.ok()) return Invalid(node, v.status().message());
  return v;
}

Result<const TfConst*> TfGraphContext::ConstInput(const TfNode& node, size_t index) const {
  VIGIL_ASSIGN_OR_RETURN(const TfValue* v, Input(node, index));
  if (!v->is_const) {
    return Unsupported(node, "input " + std::to_string(index) + " (\"" + node.inputs[index] +
                                 "\") must be a constant");
  }
  return &v->c;
}

void TfGraphContext::Set(const std::string& node_name, int output, TfValue value) {
  if (!value.is_const && value.perm.empty()) value.perm = IdentityPerm(int(value.shape.size()));
  values_[node_name + ":" + std::to_string(output)] = std::move(value);
}

std::string TfGraphContext::Initializer(const TfConst& c, const std::string& base) {
  if (c.is_int) return b_->AddInt64Initializer(base, c.shape, c.i);
  return b_->AddFloatInitializer(base, c.shape, c.f);
}

std::string TfGraphContext::FloatScalar(float value, const std::string& base) {
  return b_->AddFloatInitializer(base, {}, {value});
}

std::string TfGraphContext::Int64s(const std::vector<int64_t>& values, const std::string& base) {
  return b_->AddInt64Initializer(base, {int64_t(values.size())}, values);
}

std::string TfGraphContext::Materialize(const TfValue& v, const std::vector<int>& perm) {
  if (v.is_const) {
    const std::string key = PermKey("const:" + std::to_string(reinterpret_cast<uintptr_t>(&v)), perm);
    auto it = materialized_.find(key);
    if (it != materialized_.end()) return it->second;
    const std::string name =
        Initializer(IsIdentity(perm) ? v.c : TransposeConst(v.c, perm), "const");
    materialized_[key] = name;
    return name;
  }
  if (v.perm == perm) return v.onnx;
  const std::string key = PermKey(v.onnx, perm);
  auto it = materialized_.find(key);
  if (it != materialized_.end()) return it->second;
  // out axis j = tf axis perm[j] = stored axis inv(v.perm)[perm[j]].
  const std::vector<int> inv = InversePerm(v.perm);
  std::vector<int64_t> t;
  for (int p : perm) t.push_back(inv[size_t(p)]);
  const std::string out = b_->UniqueName(v.onnx + "_t");
  onnx::NodeProto* node = b_->AddNode("Transpose", {v.onnx}, {out}, out);
  SetIntsAttr(node, "perm", t);
  materialized_[key] = out;
  return out;
}

TfValue TfGraphContext::NewValue(const TfNode& node, const std::vector<int64_t>& shape,
                                 const std::vector<int>& perm) {
  TfValue v;
  v.onnx = b_->UniqueName(node.name);
  v.shape = shape;
  v.perm = perm.empty() ? IdentityPerm(int(shape.size())) : perm;
  return v;
}

Status TfGraphContext::Invalid(const TfNode& node, const std::string& what) const {
  return InvalidArgumentError("node \"" + node.name + "\" (" + node.op + "): " + what);
}

Status TfGraphContext::Unsupported(const TfNode& node, const std::string& what) const {
  return UnsupportedError("node \"" + node.name + "\" (" + node.op + "): " + what);
}

// ---- attributes ----

namespace {

const nlohmann::json* FindAttr(const TfNode& node, const std::string& name) {
  if (node.attr == nullptr || !node.attr->is_object()) return nullptr;
  auto it = node.attr->find(name);
  if (it == node.attr->end() || !it->is_object()) return nullptr;
  return &*it;
}

int64_t JsonInt(const nlohmann::json& j) {
  if (j.is_string()) return std::strtoll(j.get<std::string>().c_str(), nullptr, 10);
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number()) return static_cast<int64_t>(j.get<double>());
  return 0;
}

}  // namespace

bool HasAttr(const TfNode& node, const std::string& name) { return FindAttr(node, name) != nullptr; }

int64_t AttrInt(const TfNode& node, const std::string& name, int64_t fallback) {
  const nlohmann::json* a = FindAttr(node, name);
  if (a == nullptr || !a->contains("i")) return fallback;
  return JsonInt((*a)["i"]);
}

float AttrFloat(const TfNode& node, const std::string& name, float fallback) {
  const nlohmann::json* a = FindAttr(node, name);
  if (a == nullptr || !a->contains("f") || !(*a)["f"].is_number()) return fallback;
  return (*a)["f"].get<float>();
}

bool AttrBool(const TfNode& node, const std::string& name, bool fallback) {
  const nlohmann::json* a = FindAttr(node, name);
  if (a == nullptr || !a->contains("b") || !(*a)["b"].is_boolean()) return fallback;
  return (*a)["b"].get<bool>();
}

std::string AttrString(const TfNode& node, const std::string& name, const std::string& fallback) {
  const nlohmann::json* a = FindAttr(node, name);
  if (a == nullptr || !a->contains("s") || !(*a)["s"].is_string()) return fallback;
  return Base64Decode((*a)["s"].get<std::string>());
}

std::vector<int64_t> AttrInts(const TfNode& node, const std::string& name) {
  std::vector<int64_t> out;
  const nlohmann::json* a = FindAttr(node, name);
  if (a == nullptr || !a->contains("list")) return out;
  const nlohmann::json& list = (*a)["list"];
  if (!list.is_object() || !list.contains("i") || !list["i"].is_array()) return out;
  for (const auto& v : list["i"]) out.push_back(JsonInt(v));
  return out;
}

std::vector<std::string> AttrStrings(const TfNode& node, const std::string& name) {
  std::vector<std::string> out;
  const nlohmann::json* a = FindAttr(node, name);
  if (a == nullptr || !a->contains("list")) return out;
  const nlohmann::json& list = (*a)["list"];
  if (!list.is_object() || !list.contains("s") || !list["s"].is_array()) return out;
  for (const auto& v : list["s"]) {
    if (v.is_string()) out.push_back(Base64Decode(v.get<std::string>()));
  }
  return out;
}

std::string AttrType(const TfNode& node, const std::string& name) {
  const nlohmann::json* a = FindAttr(node, name);
  if (a == nullptr || !a->contains("type") || !(*a)["type"].is_string()) return "";
  return (*a)["type"].get<std::string>();
}

std::string Base64Decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) continue;  // '=' padding, whitespace
    buffer = (buffer << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((buffer >> bits) & 0xffu));
    }
  }
  return out;
}

}  // namespace vigil
