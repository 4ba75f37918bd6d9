// TfGraphContext: the state shared by the TensorFlow graph -> ONNX op converters of the tfjs
// graph-model importer: TF nodes (GraphDef as JSON), the values they produce (constants folded at
// import time, or ONNX tensors with a static shape and a layout permutation), attribute readers
// and helpers that emit initializers and layout transposes.
//
// Layout: a dynamic value keeps TF semantics (shape in TF axis order) but its ONNX tensor may hold
// the axes permuted: onnx = Transpose(tf, perm). TF Transposes only change `perm` (no ONNX node);
// ops with a layout requirement (Conv wants NCHW) call Materialize, which emits a Transpose only
// when the stored permutation differs. So NHWC graphs run NCHW with one transpose at the input.
// Thread-safety: single-threaded, one context per import.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/onnx_builder.h"
#include "vigil/status.h"

namespace vigil {

// A constant tensor known at import time (weights, shapes, folded shape arithmetic).
struct TfConst {
  bool is_int = false;          // integer (int32/int64/bool) rather than float
  std::vector<int64_t> shape;   // TF shape; {} = scalar
  std::vector<float> f;         // values when !is_int
  std::vector<int64_t> i;       // values when is_int
  int64_t size() const;         // number of elements
  // Element k as double; 0 when k is out of range (malformed models must not crash the import).
  double At(int64_t k) const {
    if (k < 0) return 0;
    if (is_int) return size_t(k) < i.size() ? double(i[size_t(k)]) : 0;
    return size_t(k) < f.size() ? double(f[size_t(k)]) : 0;
  }
};

// A value produced by a TF node output.
struct TfValue {
  bool is_const = false;
  TfConst c;                    // when is_const
  std::string onnx;             // ONNX tensor name (dynamic values)
  std::vector<int64_t> shape;   // TF shape (dynamic values; static, batch included)
  std::vector<int> perm;        // onnx = Transpose(tf, perm); identity when empty
  int rank() const { return is_const ? int(c.shape.size()) : int(shape.size()); }
};

inline TfValue MakeConstValue(TfConst c) {
  TfValue v;
  v.is_const = true;
  v.c = std::move(c);
  return v;
}

// A GraphDef node as read from model.json.
struct TfNode {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;  // data inputs ("node" or "node:k"), control inputs dropped
  const nlohmann::json* attr = nullptr;
};

std::string DimsText(const std::vector<int64_t>& dims);
std::vector<int> IdentityPerm(int rank);
std::vector<int> InversePerm(const std::vector<int>& perm);
// Transposes a constant: result axis j = input axis perm[j].
TfConst TransposeConst(const TfConst& c, const std::vector<int>& perm);
int64_t NumElements(const std::vector<int64_t>& shape);

class TfGraphContext {
 public:
  TfGraphContext(OnnxGraphBuilder* builder, int opset) : b_(builder), opset_(opset) {}

  OnnxGraphBuilder& b() { return *b_; }
  int opset() const { return opset_; }

  // Value of a node input reference ("name", "name:k").
  Result<const TfValue*> Get(const std::string& ref) const;
  Result<const TfValue*> Input(const TfNode& node, size_t index) const;
  Result<const TfConst*> ConstInput(const TfNode& node, size_t index) const;
  bool Has(const std::string& ref) const;
  void Set(const std::string& node_name, int output, TfValue value);

  // Name of an ONNX tensor holding Transpose(tf value, perm) (emits at most one Transpose per
  // value and permutation). Constants become initializers.
  std::string Materialize(const TfValue& v, const std::vector<int>& perm);
  // ONNX initializer for a constant (float or int64), with optional replacement dims.
  std::string Initializer(const TfConst& c, const std::string& base);
  std::string FloatScalar(float value, const std::string& base);
  std::string Int64s(const std::vector<int64_t>& values, const std::string& base);

  // A new dynamic value: ONNX name (unique, derived from the node name), shape and perm.
  TfValue NewValue(const TfNode& node, const std::vector<int64_t>& shape,
                   const std::vector<int>& perm);

  // Errors naming the node.
  Status Invalid(const TfNode& node, const std::string& what) const;
  Status Unsupported(const TfNode& node, const std::string& what) const;

 private:
  OnnxGraphBuilder* b_;
  int opset_;
  std::map<std::string, TfValue> values_;                 // "name:k" -> value
  std::map<std::string, std::string> materialized_;       // "onnx|perm" -> ONNX name
};

// Attribute readers (TF AttrValue JSON: {"i": "3"}, {"f": 0.1}, {"b": true}, {"s": base64},
// {"list": {"i": [...]}}, {"type": "DT_FLOAT"}).
bool HasAttr(const TfNode& node, const std::string& name);
int64_t AttrInt(const TfNode& node, const std::string& name, int64_t fallback);
float AttrFloat(const TfNode& node, const std::string& name, float fallback);
bool AttrBool(const TfNode& node, const std::string& name, bool fallback);
std::string AttrString(const TfNode& node, const std::string& name, const std::string& fallback);
std::vector<int64_t> AttrInts(const TfNode& node, const std::string& name);
std::vector<std::string> AttrStrings(const TfNode& node, const std::string& name);
std::string AttrType(const TfNode& node, const std::string& name);
std::string Base64Decode(const std::string& text);

}  // namespace vigil
