// tfjs layers model -> ONNX: reads model.json and its shards, converts each Keras layer to ONNX
// nodes (NCHW after an input Transpose), names the outputs and writes the model.
#include "models/tfjs_layers_import.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "models/keras_layer_converter.h"
#include "models/keras_topology.h"
#include "models/model_files.h"
#include "models/onnx_builder.h"
#include "models/tfjs_weights.h"

namespace vigil {

namespace {

namespace fs = std::filesystem;

constexpr int64_t kIrVersion = 7;
const char kProbabilities[] = "probabilities";
const char kEmbedding[] = "embedding";

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[N";
  for (int64_t d : shape) s += ", " + std::to_string(d);
  return s + "]";
}

// Layer classes that only pass values on (no weights) and may sit between the embedding layer and
// the trailing Dense layers.
bool IsHeadPassThrough(const std::string& class_name) {
  return IsInferenceNoOp(class_name) || class_name == "Activation" || class_name == "ReLU" ||
         class_name == "LeakyReLU" || class_name == "Softmax" || class_name == "BatchNormalization";
}

// The auto embedding layer: walk back from the output through Dense and pass-through layers; if at
// least one Dense was crossed and the walk stops at a Flatten or GlobalAveragePooling2D, use it.
std::string FindEmbeddingLayer(const KerasTopology& topology) {
  std::map<std::string, const KerasLayer*> by_name;
  for (const KerasLayer& layer : topology.layers) by_name[layer.name] = &layer;
  const KerasLayer* layer = by_name[topology.output_layer];
  bool crossed_dense = false;
  while (layer != nullptr && layer->inbound.size() == 1 &&
         (layer->class_name == "Dense" || IsHeadPassThrough(layer->class_name))) {
    crossed_dense = crossed_dense || layer->class_name == "Dense";
    layer = by_name[layer->inbound[0]];
  }
  if (layer != nullptr && crossed_dense &&
      (layer->class_name == "Flatten" || layer->class_name == "GlobalAveragePooling2D")) {
    return layer->name;
  }
  return "";
}

const onnx::NodeProto* Producer(const onnx::GraphProto& graph, const std::string& value) {
  for (const onnx::NodeProto& node : graph.node()) {
    for (const std::string& out : node.output()) {
      if (out == value) return &node;
    }
  }
  return nullptr;
}

Result<TfjsImportInfo> Import(const std::string& model_json_path, const std::string& onnx_out_path,
                              const TfjsImportOptions& options) {
  if (options.opset < 10 || options.opset > 13) {
    return InvalidArgumentError("opset " + std::to_string(options.opset) + " (supported: 10..13)");
  }
  VIGIL_ASSIGN_OR_RETURN(nlohmann::json root, ReadJsonFile(model_json_path));
  if (!root.is_object()) return InvalidArgumentError("model.json is not a JSON object");
  if (root.contains("format") && root["format"].is_string() && root["format"] != "layers-model") {
    return UnsupportedError("model.json format \"" + root["format"].get<std::string>() +
                            "\" (only tfjs \"layers-model\" is supported)");
  }
  if (!root.contains("modelTopology"))
    return InvalidArgumentError("model.json: no \"modelTopology\"");
  if (!root.contains("weightsManifest")) {
    return InvalidArgumentError("model.json: no \"weightsManifest\"");
  }
  VIGIL_ASSIGN_OR_RETURN(KerasTopology topology, ParseKerasTopology(root["modelTopology"]));

  const std::string base_dir = fs::path(model_json_path).parent_path().string();
  VIGIL_ASSIGN_OR_RETURN(TfjsWeightMap weights,
                         ReadTfjsWeights(root["weightsManifest"], base_dir.empty() ? "." : base_dir,
                                         options.max_weight_bytes));
  TfjsImportInfo info;
  info.weight_count = static_cast<int64_t>(weights.size());
  for (const auto& entry : weights) {
    info.parameter_count += static_cast<int64_t>(entry.second.values.size());
  }

  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("vigil");
  model.set_producer_version("0.1.0");
  model.set_doc_string("Imported from the TensorFlow.js layers model " +
                       fs::path(model_json_path).filename().string());
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(topology.model_name.empty() ? "tfjs_model" : topology.model_name);

  OnnxGraphBuilder builder(graph);
  builder.Reserve(kProbabilities);
  builder.Reserve(kEmbedding);
  KerasLayerConverter converter(&builder, &weights, options.opset);

  std::map<std::string, KerasValue> values;  // layer name -> its output
  std::set<std::string> seen_types;
  for (const KerasLayer& layer : topology.layers) {
    if (seen_types.insert(layer.class_name).second) info.layer_types.push_back(layer.class_name);
    std::vector<KerasValue> inputs;
    for (const std::string& in : layer.inbound) inputs.push_back(values.at(in));
    VIGIL_ASSIGN_OR_RETURN(KerasValue out, converter.Convert(layer, inputs));
    values[layer.name] = out;
  }
  VIGIL_RETURN_IF_ERROR(converter.CheckAllWeightsUsed());

  // The input.
  const KerasLayer& input_layer = topology.layers.front();
  const KerasValue& input = values.at(input_layer.name);
  info.input_name = input_layer.name;
  info.height = static_cast<int>(input.shape[0]);
  info.width = static_cast<int>(input.shape[1]);
  info.channels = static_cast<int>(input.shape[2]);

  // The probabilities output.
  const KerasValue output = values.at(topology.output_layer);
  if (output.shape.size() != 1) {
    return UnsupportedError("output layer \"" + topology.output_layer + "\" gives " +
                            ShapeString(output.shape) + "; expected [N, classes]");
  }
  info.num_classes = static_cast<int>(output.shape[0]);
  const onnx::NodeProto* producer = Producer(*graph, output.name);
  info.softmax_output = producer != nullptr && producer->op_type() == "Softmax";

  // The embedding output.
  std::string embedding_layer = options.embedding_layer;
  if (embedding_layer.empty()) embedding_layer = FindEmbeddingLayer(topology);
  KerasValue embedding;
  if (!embedding_layer.empty()) {
    auto it = values.find(embedding_layer);
    if (it == values.end()) {
      return InvalidArgumentError("embedding layer \"" + embedding_layer + "\" not found");
    }
    embedding = it->second;
    if (embedding.shape.size() != 1) {
      return InvalidArgumentError("embedding layer \"" + embedding_layer + "\" gives " +
                                  ShapeString(embedding.shape) + "; expected [N, D]");
    }
    if (embedding.name == converter.input_value()) {
      return InvalidArgumentError("embedding layer \"" + embedding_layer + "\" is the input");
    }
    info.embedding_layer = embedding_layer;
    info.embedding_output = kEmbedding;
    info.embedding_size = static_cast<int>(embedding.shape[0]);
  }

  // Name the outputs: rename the producing tensors, or add an Identity when one tensor is both.
  if (!embedding_layer.empty()) builder.RenameValue(embedding.name, kEmbedding);
  if (!embedding_layer.empty() && embedding.name == output.name) {
    builder.AddNode("Identity", {kEmbedding}, {kProbabilities}, "probabilities/Identity");
  } else {
    builder.RenameValue(output.name, kProbabilities);
  }
  builder.AddFloatOutput(kProbabilities, {-1, output.shape[0]});
  if (!embedding_layer.empty()) builder.AddFloatOutput(kEmbedding, {-1, embedding.shape[0]});
  // value_info must not repeat graph inputs or outputs.
  auto* value_info = graph->mutable_value_info();
  for (int i = value_info->size() - 1; i >= 0; --i) {
    const std::string& name = value_info->Get(i).name();
    if (name == kProbabilities || name == kEmbedding || name == info.input_name) {
      value_info->DeleteSubrange(i, 1);
    }
  }

  VIGIL_RETURN_IF_ERROR(WriteOnnxModelFile(model, onnx_out_path));
  return info;
}

}  // namespace

Result<TfjsImportInfo> ImportTfjsLayersModel(const std::string& model_json_path,
                                             const std::string& onnx_out_path,
                                             const TfjsImportOptions& options) {
  // Every JSON access is checked, but keep nlohmann's exceptions inside this adapter regardless.
  try {
    Result<TfjsImportInfo> info = Import(model_json_path, onnx_out_path, options);
    if (!info.ok()) return info.status().WithContext("tfjs import \"" + model_json_path + "\"");
    return info;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError("tfjs import \"" + model_json_path +
                                "\": malformed model.json: " + e.what());
  }
}

}  // namespace vigil
