// JSON reading and atomic ONNX writing for importers and exporters.
#include "models/model_files.h"

#include <climits>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil {
namespace fs = std::filesystem;

Result<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open \"" + path + "\"");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError("\"" + path + "\": malformed JSON: " + e.what());
  }
}

Status WriteOnnxModelFile(const onnx::ModelProto& model, const std::string& path) {
  if (model.ByteSizeLong() > static_cast<size_t>(INT_MAX)) {
    return ResourceExhaustedError("the ONNX model would be " + std::to_string(model.ByteSizeLong()) +
                                  " bytes, over protobuf's 2 GiB limit");
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return InternalError("cannot write \"" + tmp + "\"");
    if (!model.SerializeToOstream(&out)) return InternalError("cannot serialise the ONNX model");
    out.close();
    if (!out) return InternalError("cannot write \"" + tmp + "\"");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return InternalError("cannot move \"" + tmp + "\" to \"" + path + "\"");
  }
  return Status::Ok();
}

}  // namespace vigil
