// OpenCV 4.6 ONNX-dialect rewrites (Clip inputs → attributes, Gemm → transB=1 without alpha/beta,
// ReduceSum axes input → attribute, LpNormalization → ReduceL2 + Div).
#include "runtime/opencv_compat.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <vector>

namespace vigil {

namespace {

bool ReadFloats(const onnx::TensorProto& t, std::vector<float>* out) {
  if (t.data_type() != onnx::TensorProto::FLOAT) return false;
  if (!t.raw_data().empty()) {
    out->resize(t.raw_data().size() / sizeof(float));
    std::memcpy(out->data(), t.raw_data().data(), out->size() * sizeof(float));
  } else {
    out->assign(t.float_data().begin(), t.float_data().end());
  }
  return true;
}

void WriteFloats(onnx::TensorProto* t, const std::vector<float>& data) {
  t->clear_raw_data();
  t->clear_float_data();
  t->set_raw_data(std::string(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float)));
}

onnx::AttributeProto* SetAttr(onnx::NodeProto* node, const std::string& name) {
  for (auto& a : *node->mutable_attribute()) {
    if (a.name() == name) return &a;
  }
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  return a;
}

}  // namespace

Result<std::string> MakeOpenCvCompatibleOnnx(const std::string& bytes, const std::string& source, int* rewrites) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return DataLossError(source + ": not a valid ONNX model");
  onnx::GraphProto* g = model.mutable_graph();
  std::map<std::string, int> init_index;
  for (int i = 0; i < g->initializer_size(); ++i) init_index[g->initializer(i).name()] = i;
  auto floats_of = [&](const std::string& name, std::vector<float>* out) {
    auto it = init_index.find(name);
    return it != init_index.end() && ReadFloats(g->initializer(it->second), out);
  };
  int changed = 0;
  // LpNormalization (p = 2), which OpenCV lacks, becomes ReduceL2 (keepdims) and a broadcast Div.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (auto& node : *g->mutable_node()) {
    int64_t axis = -1, p = 2;
    for (const auto& a : node.attribute()) {
      if (a.name() == "axis") axis = a.i();
      if (a.name() == "p") p = a.i();
    }
    if (node.op_type() != "LpNormalization" || p != 2 || node.input_size() != 1 || node.output_size() != 1) {
      *nodes.Add() = std::move(node);
      continue;
    }
    const std::string norm = node.output(0) + "/opencv_l2norm";
    onnx::NodeProto* reduce = nodes.Add();
    reduce->set_op_type("ReduceL2");
    reduce->set_name(node.name() + "/opencv_l2norm");
    reduce->add_input(node.input(0));
    reduce->add_output(norm);
    onnx::AttributeProto* axes = SetAttr(reduce, "axes");
    axes->set_type(onnx::AttributeProto::INTS);
    axes->add_ints(axis);
    onnx::AttributeProto* keep = SetAttr(reduce, "keepdims");
    keep->set_type(onnx::AttributeProto::INT);
    keep->set_i(1);
    onnx::NodeProto* div = nodes.Add();
    div->set_op_type("Div");
    div->set_name(node.name());
    div->add_input(node.input(0));
    div->add_input(norm);
    div->add_output(node.output(0));
    ++changed;
  }
  g->mutable_node()->Swap(&nodes);
  for (auto& node : *g->mutable_node()) {
    if (node.op_type() == "ReduceSum" && node.input_size() == 2) {
      // Opset 13 moved ReduceSum's axes to an input; OpenCV reads only the attribute.
      std::vector<int64_t> axes;
      auto it = init_index.find(node.input(1));
      if (it == init_index.end() || g->initializer(it->second).data_type() != onnx::TensorProto::INT64) continue;
      const onnx::TensorProto& t = g->initializer(it->second);
      if (!t.raw_data().empty()) {
        axes.resize(t.raw_data().size() / sizeof(int64_t));
        std::memcpy(axes.data(), t.raw_data().data(), axes.size() * sizeof(int64_t));
      } else {
        axes.assign(t.int64_data().begin(), t.int64_data().end());
      }
      const std::string x = node.input(0);
      node.clear_input();
      node.add_input(x);
      onnx::AttributeProto* a = SetAttr(&node, "axes");
      a->set_type(onnx::AttributeProto::INTS);
      a->clear_ints();
      for (int64_t v : axes) a->add_ints(v);
      ++changed;
      continue;
    }
    if (node.op_type() == "Clip" && node.input_size() > 1) {
      std::vector<float> lo, hi;
      const bool has_lo = node.input(1).empty() || floats_of(node.input(1), &lo);
      const bool has_hi = node.input_size() < 3 || node.input(2).empty() || floats_of(node.input(2), &hi);
      if (!has_lo || !has_hi || lo.size() > 1 || hi.size() > 1) continue;  // leave it to OpenCV to reject
      const std::string x = node.input(0);
      node.clear_input();
      node.add_input(x);
      if (!lo.empty()) {
        auto* a = SetAttr(&node, "min");
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(lo[0]);
      }
      if (!hi.empty()) {
        auto* a = SetAttr(&node, "max");
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(hi[0]);
      }
      ++changed;
    } else if (node.op_type() == "Gemm" && node.input_size() >= 2) {
      int64_t trans_b = 0;
      float alpha = 1.0f, beta = 1.0f;
      for (const auto& a : node.attribute()) {
        if (a.name() == "transB") trans_b = a.i();
        if (a.name() == "alpha") alpha = a.f();
        if (a.name() == "beta") beta = a.f();
      }
      std::vector<float> w;
      auto wi = init_index.find(node.input(1));
      if (wi == init_index.end() || !floats_of(node.input(1), &w)) continue;
      const onnx::TensorProto& wt = g->initializer(wi->second);
      if (wt.dims_size() != 2 || (trans_b == 1 && alpha == 1.0f && beta == 1.0f)) {
        // Already in OpenCV's dialect; make transB explicit anyway.
        auto* a = SetAttr(&node, "transB");
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(trans_b);
        continue;
      }
      const int64_t rows = wt.dims(0), cols = wt.dims(1);
      std::vector<float> t(w.size());
      if (trans_b) {
        for (size_t i = 0; i < w.size(); ++i) t[i] = alpha * w[i];
      } else {  // [K, M] → [M, K]
        for (int64_t k = 0; k < rows; ++k)
          for (int64_t m = 0; m < cols; ++m) t[m * rows + k] = alpha * w[k * cols + m];
      }
      onnx::TensorProto* nw = g->add_initializer();
      nw->set_name(node.name() + "/opencv_B");
      nw->set_data_type(onnx::TensorProto::FLOAT);
      nw->add_dims(trans_b ? rows : cols);
      nw->add_dims(trans_b ? cols : rows);
      WriteFloats(nw, t);
      node.set_input(1, nw->name());
      if (node.input_size() > 2 && !node.input(2).empty() && beta != 1.0f) {
        std::vector<float> c;
        if (!floats_of(node.input(2), &c)) continue;
        for (float& v : c) v *= beta;
        onnx::TensorProto* nc = g->add_initializer();
        nc->set_name(node.name() + "/opencv_C");
        nc->set_data_type(onnx::TensorProto::FLOAT);
        nc->add_dims(static_cast<int64_t>(c.size()));
        WriteFloats(nc, c);
        node.set_input(2, nc->name());
      }
      SetAttr(&node, "transB")->set_i(1);
      SetAttr(&node, "transB")->set_type(onnx::AttributeProto::INT);
      SetAttr(&node, "alpha")->set_f(1.0f);
      SetAttr(&node, "alpha")->set_type(onnx::AttributeProto::FLOAT);
      SetAttr(&node, "beta")->set_f(1.0f);
      SetAttr(&node, "beta")->set_type(onnx::AttributeProto::FLOAT);
      ++changed;
    }
  }
  if (rewrites) *rewrites = changed;
  std::string out;
  if (!model.SerializeToString(&out)) return InternalError(source + ": cannot serialize the rewritten model");
  return out;
}

}  // namespace vigil
