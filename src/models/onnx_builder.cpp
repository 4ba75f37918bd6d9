// OnnxGraphBuilder: appends nodes, initializers and typed values to an onnx::GraphProto.
#include "models/onnx_builder.h"

#include <cstring>

namespace vigil {

namespace {

void FillTensorType(onnx::ValueInfoProto* info, const std::string& name,
                    const std::vector<int64_t>& dims) {
  info->set_name(name);
  onnx::TypeProto_Tensor* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* shape = tensor->mutable_shape();
  for (int64_t d : dims) {
    onnx::TensorShapeProto_Dimension* dim = shape->add_dim();
    if (d < 0) {
      dim->set_dim_param("N");
    } else {
      dim->set_dim_value(d);
    }
  }
}

}  // namespace

std::string OnnxGraphBuilder::UniqueName(const std::string& base) {
  std::string name = base;
  for (int i = 1; used_.count(name) > 0; ++i) name = base + "_" + std::to_string(i);
  used_.insert(name);
  return name;
}

std::string OnnxGraphBuilder::AddFloatInitializer(const std::string& base,
                                                  const std::vector<int64_t>& dims,
                                                  const std::vector<float>& values) {
  onnx::TensorProto* tensor = graph_->add_initializer();
  std::string name = UniqueName(base);
  tensor->set_name(name);
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tensor->add_dims(d);
  // raw_data is little-endian float32, like the host on every platform Vigil targets.
  std::string raw(values.size() * sizeof(float), '\0');
  if (!values.empty()) std::memcpy(&raw[0], values.data(), raw.size());
  tensor->set_raw_data(std::move(raw));
  return name;
}

std::string OnnxGraphBuilder::AddInt64Initializer(const std::string& base,
                                                  const std::vector<int64_t>& dims,
                                                  const std::vector<int64_t>& values) {
  onnx::TensorProto* tensor = graph_->add_initializer();
  std::string name = UniqueName(base);
  tensor->set_name(name);
  tensor->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) tensor->add_dims(d);
  for (int64_t v : values) tensor->add_int64_data(v);
  return name;
}

onnx::NodeProto* OnnxGraphBuilder::AddNode(const std::string& op_type,
                                           const std::vector<std::string>& inputs,
                                           const std::vector<std::string>& outputs,
                                           const std::string& name) {
  onnx::NodeProto* node = graph_->add_node();
  node->set_op_type(op_type);
  std::string node_name = name;
  for (int i = 1; node_names_.count(node_name) > 0; ++i) node_name = name + "_" + std::to_string(i);
  node_names_.insert(node_name);
  node->set_name(node_name);
  for (const std::string& in : inputs) node->add_input(in);
  for (const std::string& out : outputs) node->add_output(out);
  return node;
}

void OnnxGraphBuilder::AddFloatInput(const std::string& name, const std::vector<int64_t>& dims) {
  FillTensorType(graph_->add_input(), name, dims);
}

void OnnxGraphBuilder::AddFloatOutput(const std::string& name, const std::vector<int64_t>& dims) {
  FillTensorType(graph_->add_output(), name, dims);
}

void OnnxGraphBuilder::AddFloatValueInfo(const std::string& name,
                                         const std::vector<int64_t>& dims) {
  FillTensorType(graph_->add_value_info(), name, dims);
}

void OnnxGraphBuilder::RenameValue(const std::string& from, const std::string& to) {
  for (onnx::NodeProto& node : *graph_->mutable_node()) {
    for (std::string& in : *node.mutable_input()) {
      if (in == from) in = to;
    }
    for (std::string& out : *node.mutable_output()) {
      if (out == from) out = to;
    }
  }
  for (onnx::ValueInfoProto& out : *graph_->mutable_output()) {
    if (out.name() == from) out.set_name(to);
  }
  for (onnx::ValueInfoProto& info : *graph_->mutable_value_info()) {
    if (info.name() == from) info.set_name(to);
  }
  used_.insert(to);
}

void SetIntAttr(onnx::NodeProto* node, const std::string& name, int64_t value) {
  onnx::AttributeProto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}

void SetFloatAttr(onnx::NodeProto* node, const std::string& name, float value) {
  onnx::AttributeProto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::FLOAT);
  attr->set_f(value);
}

void SetIntsAttr(onnx::NodeProto* node, const std::string& name,
                 const std::vector<int64_t>& values) {
  onnx::AttributeProto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) attr->add_ints(v);
}

void SetStringAttr(onnx::NodeProto* node, const std::string& name, const std::string& value) {
  onnx::AttributeProto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::STRING);
  attr->set_s(value);
}

}  // namespace vigil
