// Keras model config -> KerasTopology (functional and Sequential), with a topological sort.
#include "models/keras_topology.h"

#include <map>
#include <set>

namespace vigil {

namespace {

std::string LayerPrefix(const std::string& name, const std::string& class_name) {
  return "layer \"" + name + "\" (" + class_name + ")";
}

// A reference [layer_name, node_index, tensor_index(, kwargs)] from inbound_nodes,
// input_layers or output_layers.
Status ParseTensorRef(const nlohmann::json& ref, const std::string& where, std::string* layer) {
  if (!ref.is_array() || ref.size() < 3 || !ref[0].is_string() || !ref[1].is_number_integer() ||
      !ref[2].is_number_integer()) {
    return InvalidArgumentError(where + ": malformed tensor reference " + ref.dump());
  }
  *layer = ref[0].get<std::string>();
  if (ref[1].get<int64_t>() != 0) {
    return UnsupportedError(where + ": uses call " + std::to_string(ref[1].get<int64_t>()) +
                            " of shared layer \"" + *layer + "\" (layers must be called once)");
  }
  if (ref[2].get<int64_t>() != 0) {
    return UnsupportedError(where + ": uses output " + std::to_string(ref[2].get<int64_t>()) +
                            " of layer \"" + *layer + "\" (multi-output layers are not supported)");
  }
  return Status::Ok();
}

// Keras 3: {"class_name": "__keras_tensor__", "config": {"keras_history": [name, 0, 0]}} anywhere
// inside a node's "args" (merge layers pass a list of tensors).
Status CollectKerasHistory(const nlohmann::json& value, const std::string& where,
                           std::vector<std::string>* inbound) {
  if (value.is_object()) {
    if (value.contains("class_name") && value["class_name"] == "__keras_tensor__") {
      if (!value.contains("config") || !value["config"].is_object() ||
          !value["config"].contains("keras_history")) {
        return InvalidArgumentError(where + ": __keras_tensor__ without keras_history");
      }
      std::string layer;
      VIGIL_RETURN_IF_ERROR(ParseTensorRef(value["config"]["keras_history"], where, &layer));
      inbound->push_back(layer);
      return Status::Ok();
    }
    for (const auto& item : value.items()) {
      VIGIL_RETURN_IF_ERROR(CollectKerasHistory(item.value(), where, inbound));
    }
  } else if (value.is_array()) {
    for (const nlohmann::json& item : value) {
      VIGIL_RETURN_IF_ERROR(CollectKerasHistory(item, where, inbound));
    }
  }
  return Status::Ok();
}

Status ParseInboundNodes(const nlohmann::json& layer_json, KerasLayer* layer) {
  const std::string where = LayerPrefix(layer->name, layer->class_name);
  if (!layer_json.contains("inbound_nodes") || layer_json["inbound_nodes"].is_null()) {
    return Status::Ok();
  }
  const nlohmann::json& nodes = layer_json["inbound_nodes"];
  if (!nodes.is_array()) return InvalidArgumentError(where + ": \"inbound_nodes\" is not an array");
  if (nodes.size() > 1) {
    return UnsupportedError(where + ": called " + std::to_string(nodes.size()) +
                            " times (shared layers are not supported)");
  }
  if (nodes.empty()) return Status::Ok();
  const nlohmann::json& node = nodes[0];
  if (node.is_array()) {  // Keras 2: [[name, node_index, tensor_index, kwargs], ...]
    for (const nlohmann::json& ref : node) {
      std::string inbound;
      VIGIL_RETURN_IF_ERROR(ParseTensorRef(ref, where, &inbound));
      layer->inbound.push_back(inbound);
    }
  } else if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
    if (node.contains("args")) {
      VIGIL_RETURN_IF_ERROR(CollectKerasHistory(node["args"], where, &layer->inbound));
    }
  } else {
    return InvalidArgumentError(where + ": malformed inbound node " + node.dump());
  }
  return Status::Ok();
}

// input_layers / output_layers: [[name, 0, 0], ...] or a single [name, 0, 0].
Status ParseEndpoint(const nlohmann::json& config, const std::string& key, std::string* layer) {
  if (!config.contains(key) || !config[key].is_array() || config[key].empty()) {
    return InvalidArgumentError("model config: missing \"" + key + "\"");
  }
  const nlohmann::json& refs = config[key];
  if (refs[0].is_string()) {
    return ParseTensorRef(refs, "model config \"" + key + "\"", layer);
  }
  if (refs.size() != 1) {
    return UnsupportedError("model config: " + std::to_string(refs.size()) + " " + key +
                            " (exactly one is supported)");
  }
  return ParseTensorRef(refs[0], "model config \"" + key + "\"", layer);
}

Result<KerasLayer> ParseLayerHeader(const nlohmann::json& layer_json, size_t index) {
  const std::string where = "model config: layers[" + std::to_string(index) + "]";
  if (!layer_json.is_object() || !layer_json.contains("class_name") ||
      !layer_json["class_name"].is_string()) {
    return InvalidArgumentError(where + ": expected an object with a string \"class_name\"");
  }
  KerasLayer layer;
  layer.class_name = layer_json["class_name"].get<std::string>();
  layer.config = layer_json.contains("config") ? layer_json["config"] : nlohmann::json::object();
  if (!layer.config.is_object()) {
    return InvalidArgumentError(where + " (" + layer.class_name + "): \"config\" is not an object");
  }
  if (layer_json.contains("name") && layer_json["name"].is_string()) {
    layer.name = layer_json["name"].get<std::string>();
  } else if (layer.config.contains("name") && layer.config["name"].is_string()) {
    layer.name = layer.config["name"].get<std::string>();
  } else {
    return InvalidArgumentError(where + " (" + layer.class_name + "): layer without a name");
  }
  return layer;
}

Result<KerasTopology> ParseFunctional(const nlohmann::json& config) {
  if (!config.contains("layers") || !config["layers"].is_array()) {
    return InvalidArgumentError("model config: missing \"layers\" array");
  }
  KerasTopology topology;
  std::vector<KerasLayer> layers;
  for (size_t i = 0; i < config["layers"].size(); ++i) {
    const nlohmann::json& layer_json = config["layers"][i];
    VIGIL_ASSIGN_OR_RETURN(KerasLayer layer, ParseLayerHeader(layer_json, i));
    VIGIL_RETURN_IF_ERROR(ParseInboundNodes(layer_json, &layer));
    layers.push_back(std::move(layer));
  }
  VIGIL_RETURN_IF_ERROR(ParseEndpoint(config, "input_layers", &topology.input_layer));
  VIGIL_RETURN_IF_ERROR(ParseEndpoint(config, "output_layers", &topology.output_layer));
  topology.layers = std::move(layers);
  return topology;
}

Result<KerasTopology> ParseSequential(const nlohmann::json& config) {
  const nlohmann::json* list = &config;
  if (config.is_object()) {
    if (!config.contains("layers") || !config["layers"].is_array()) {
      return InvalidArgumentError("Sequential config: missing \"layers\" array");
    }
    list = &config["layers"];
  }
  if (!list->is_array() || list->empty()) {
    return InvalidArgumentError("Sequential config: no layers");
  }
  KerasTopology topology;
  for (size_t i = 0; i < list->size(); ++i) {
    VIGIL_ASSIGN_OR_RETURN(KerasLayer layer, ParseLayerHeader((*list)[i], i));
    if (i == 0 && layer.class_name != "InputLayer") {
      // Keras adds an implicit input "<first layer>_input" from the first layer's batch shape.
      KerasLayer input;
      input.name = layer.name + "_input";
      input.class_name = "InputLayer";
      input.config = nlohmann::json::object();
      for (const char* key : {"batch_input_shape", "batch_shape", "dtype"}) {
        if (layer.config.contains(key)) input.config[key] = layer.config[key];
      }
      if (!input.config.contains("batch_input_shape") && !input.config.contains("batch_shape")) {
        return InvalidArgumentError(LayerPrefix(layer.name, layer.class_name) +
                                    ": first layer of a Sequential model has no batch_input_shape");
      }
      topology.layers.push_back(std::move(input));
    }
    if (!topology.layers.empty()) layer.inbound.push_back(topology.layers.back().name);
    topology.layers.push_back(std::move(layer));
  }
  topology.input_layer = topology.layers.front().name;
  topology.output_layer = topology.layers.back().name;
  return topology;
}

// Kahn's algorithm, keeping the config order among ready layers.
Status SortTopologically(KerasTopology* topology) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < topology->layers.size(); ++i) {
    const KerasLayer& layer = topology->layers[i];
    if (!index.emplace(layer.name, i).second) {
      return InvalidArgumentError("model config: duplicate layer name \"" + layer.name + "\"");
    }
  }
  for (const KerasLayer& layer : topology->layers) {
    for (const std::string& in : layer.inbound) {
      if (index.count(in) == 0) {
        return InvalidArgumentError(LayerPrefix(layer.name, layer.class_name) +
                                    ": inbound layer \"" + in + "\" not found");
      }
    }
  }
  for (const std::string* name : {&topology->input_layer, &topology->output_layer}) {
    if (index.count(*name) == 0) {
      return InvalidArgumentError("model config: layer \"" + *name + "\" not found");
    }
  }
  std::vector<KerasLayer> sorted;
  std::set<std::string> done;
  std::vector<bool> placed(topology->layers.size(), false);
  while (sorted.size() < topology->layers.size()) {
    bool progress = false;
    for (size_t i = 0; i < topology->layers.size(); ++i) {
      if (placed[i]) continue;
      const KerasLayer& layer = topology->layers[i];
      bool ready = true;
      for (const std::string& in : layer.inbound) ready = ready && done.count(in) > 0;
      if (!ready) continue;
      placed[i] = true;
      done.insert(layer.name);
      sorted.push_back(layer);
      progress = true;
    }
    if (!progress) return InvalidArgumentError("model config: the layer graph has a cycle");
  }
  topology->layers = std::move(sorted);
  return Status::Ok();
}

}  // namespace

Result<KerasTopology> ParseKerasTopology(const nlohmann::json& model_topology) {
  if (!model_topology.is_object())
    return InvalidArgumentError("\"modelTopology\" is not an object");
  const nlohmann::json& model =
      model_topology.contains("model_config") ? model_topology["model_config"] : model_topology;
  if (!model.is_object() || !model.contains("class_name") || !model["class_name"].is_string()) {
    if (model_topology.contains("node")) {
      return UnsupportedError(
          "\"modelTopology\" is a TensorFlow graph (tfjs graph model); only layers models are "
          "supported");
    }
    return InvalidArgumentError("\"modelTopology\": missing model_config.class_name");
  }
  const std::string class_name = model["class_name"].get<std::string>();
  if (!model.contains("config")) {
    return InvalidArgumentError("model config (" + class_name + "): missing \"config\"");
  }
  const nlohmann::json& config = model["config"];
  KerasTopology topology;
  if (class_name == "Model" || class_name == "Functional") {
    VIGIL_ASSIGN_OR_RETURN(topology, ParseFunctional(config));
  } else if (class_name == "Sequential") {
    VIGIL_ASSIGN_OR_RETURN(topology, ParseSequential(config));
  } else {
    return UnsupportedError("model class \"" + class_name +
                            "\" (supported: Model, Functional, Sequential)");
  }
  if (config.is_object() && config.contains("name") && config["name"].is_string()) {
    topology.model_name = config["name"].get<std::string>();
  }
  VIGIL_RETURN_IF_ERROR(SortTopologically(&topology));
  const KerasLayer& first = topology.layers.front();
  if (first.name != topology.input_layer || first.class_name != "InputLayer") {
    for (const KerasLayer& layer : topology.layers) {
      if (layer.inbound.empty() && layer.name != topology.input_layer) {
        return UnsupportedError(LayerPrefix(layer.name, layer.class_name) +
                                ": a second model input (exactly one is supported)");
      }
    }
    return InvalidArgumentError("model config: input layer \"" + topology.input_layer +
                                "\" is not an InputLayer");
  }
  for (size_t i = 1; i < topology.layers.size(); ++i) {
    const KerasLayer& layer = topology.layers[i];
    if (layer.inbound.empty()) {
      return UnsupportedError(LayerPrefix(layer.name, layer.class_name) +
                              (layer.class_name == "InputLayer"
                                   ? ": a second model input (exactly one is supported)"
                                   : ": layer without inbound nodes"));
    }
  }
  return topology;
}

}  // namespace vigil
