// Files shared by the model importers and exporters: reading a JSON file with clear errors, and
// writing an ONNX model atomically (temporary file + rename, so readers never see half a model).
// Thread-safety: stateless; concurrent calls must write different paths.
#pragma once

#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>
#include <string>

#include "vigil/status.h"

namespace vigil {

// kNotFound if unreadable, kInvalidArgument (naming the file) if not valid JSON.
Result<nlohmann::json> ReadJsonFile(const std::string& path);
// kResourceExhausted over protobuf's 2 GiB limit, kInternal if it cannot be written.
Status WriteOnnxModelFile(const onnx::ModelProto& model, const std::string& path);

}  // namespace vigil
