// KerasTopology: the layer graph of a Keras model config (as stored in a tfjs layers model.json),
// normalised to one list of single-call layers in topological order with one input and one output.
// Accepts functional configs ("Model"/"Functional"; Keras 2 list-style and Keras 3 dict-style
// inbound_nodes) and "Sequential" configs.
// Thread-safety: free functions without shared state.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct KerasLayer {
  std::string name;
  std::string class_name;
  nlohmann::json config;             // the layer's "config" object
  std::vector<std::string> inbound;  // names of the layers whose outputs feed this layer, in order
};

struct KerasTopology {
  std::string model_name;
  std::vector<KerasLayer> layers;  // topological order; layers[0] is the InputLayer
  std::string input_layer;
  std::string output_layer;
};

// `model_topology` is model.json's "modelTopology": {"model_config": {...}, ...} or the model
// config itself. Errors: kInvalidArgument (malformed), kUnsupported (several inputs/outputs, shared
// layers, multi-output layers, unknown model class).
Result<KerasTopology> ParseKerasTopology(const nlohmann::json& model_topology);

}  // namespace vigil
