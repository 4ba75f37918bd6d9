// TensorFlow.js weight shards: manifest validation, shard reading, dequantization.
#include "models/tfjs_weights.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace vigil {

namespace {

namespace fs = std::filesystem;

// Upper bound on the elements of one weight (guards the products below against overflow).
constexpr int64_t kMaxWeightElements = int64_t{1} << 40;

struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  int64_t elements = 0;
  std::string storage;  // "float32", "uint8", "uint16", "float16": how the bytes are stored
  double min = 0;       // uint8/uint16: value = min + q * scale
  double scale = 1;
  int64_t byte_size = 0;
};

struct GroupSpec {
  std::vector<std::string> paths;
  std::vector<WeightSpec> weights;
  int64_t byte_size = 0;
};

std::string Where(size_t group, const std::string& weight) {
  std::string where = "weightsManifest[" + std::to_string(group) + "]";
  if (!weight.empty()) where += " weight \"" + weight + "\"";
  return where;
}

Result<WeightSpec> ParseWeightSpec(const nlohmann::json& w, size_t group, bool allow_int) {
  WeightSpec spec;
  if (!w.is_object())
    return InvalidArgumentError(Where(group, "") + ": weight entry is not an object");
  if (!w.contains("name") || !w["name"].is_string()) {
    return InvalidArgumentError(Where(group, "") + ": weight entry without a string \"name\"");
  }
  spec.name = w["name"].get<std::string>();
  const std::string where = Where(group, spec.name);
  if (!w.contains("shape") || !w["shape"].is_array()) {
    return InvalidArgumentError(where + ": missing array \"shape\"");
  }
  spec.elements = 1;
  for (const nlohmann::json& d : w["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) {
      return InvalidArgumentError(where + ": \"shape\" " + w["shape"].dump() +
                                  " must hold non-negative integers");
    }
    spec.shape.push_back(d.get<int64_t>());
    if (spec.shape.back() > 0 && spec.elements > kMaxWeightElements / spec.shape.back()) {
      return ResourceExhaustedError(where + ": shape " + w["shape"].dump() + " is too large");
    }
    spec.elements *= spec.shape.back();
  }
  const std::string dtype =
      w.contains("dtype") && w["dtype"].is_string() ? w["dtype"].get<std::string>() : std::string();
  if (allow_int && (dtype == "int32" || dtype == "bool")) {
    spec.storage = dtype;
    spec.byte_size = spec.elements * (dtype == "bool" ? 1 : 4);
    return spec;
  }
  if (dtype != "float32") {
    return UnsupportedError(where + ": dtype \"" + dtype +
                            (allow_int ? "\" (supported: float32, int32, bool)"
                                       : "\" (only float32 weights are supported)"));
  }
  spec.storage = "float32";
  if (w.contains("quantization") && !w["quantization"].is_null()) {
    const nlohmann::json& q = w["quantization"];
    if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string()) {
      return InvalidArgumentError(where + ": \"quantization\" needs a string \"dtype\"");
    }
    spec.storage = q["dtype"].get<std::string>();
    if (spec.storage == "uint8" || spec.storage == "uint16") {
      if (!q.contains("min") || !q["min"].is_number() || !q.contains("scale") ||
          !q["scale"].is_number()) {
        return InvalidArgumentError(where + ": " + spec.storage +
                                    " quantization needs numbers \"min\" and \"scale\"");
      }
      spec.min = q["min"].get<double>();
      spec.scale = q["scale"].get<double>();
    } else if (spec.storage != "float16") {
      return UnsupportedError(where + ": quantization dtype \"" + spec.storage +
                              "\" (supported: uint8, uint16, float16)");
    }
  }
  const int64_t bytes_per_value = spec.storage == "uint8" ? 1 : spec.storage == "float32" ? 4 : 2;
  spec.byte_size = spec.elements * bytes_per_value;
  return spec;
}

Status CheckShardPath(const std::string& path, size_t group) {
  const fs::path p(path);
  if (path.empty() || p.is_absolute()) {
    return InvalidArgumentError(Where(group, "") + ": shard path \"" + path +
                                "\" must be relative to model.json's folder");
  }
  for (const fs::path& part : p) {
    if (part == "..") {
      return InvalidArgumentError(Where(group, "") + ": shard path \"" + path +
                                  "\" must not leave model.json's folder");
    }
  }
  return Status::Ok();
}

Result<std::vector<GroupSpec>> ParseManifest(const nlohmann::json& manifest, bool allow_int) {
  if (!manifest.is_array()) return InvalidArgumentError("\"weightsManifest\" is not an array");
  std::vector<GroupSpec> groups;
  for (size_t g = 0; g < manifest.size(); ++g) {
    const nlohmann::json& group = manifest[g];
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() ||
        !group.contains("weights") || !group["weights"].is_array()) {
      return InvalidArgumentError(Where(g, "") +
                                  ": expected {\"paths\": [...], \"weights\": [...]}");
    }
    GroupSpec spec;
    for (const nlohmann::json& path : group["paths"]) {
      if (!path.is_string()) return InvalidArgumentError(Where(g, "") + ": non-string shard path");
      spec.paths.push_back(path.get<std::string>());
      VIGIL_RETURN_IF_ERROR(CheckShardPath(spec.paths.back(), g));
    }
    for (const nlohmann::json& w : group["weights"]) {
      VIGIL_ASSIGN_OR_RETURN(WeightSpec weight, ParseWeightSpec(w, g, allow_int));
      spec.byte_size += weight.byte_size;
      spec.weights.push_back(std::move(weight));
    }
    if (spec.paths.empty() && spec.byte_size > 0) {
      return InvalidArgumentError(Where(g, "") + ": weights but no shard paths");
    }
    groups.push_back(std::move(spec));
  }
  return groups;
}

// Reads a group's shards into one buffer after checking their sizes against the weights.
Result<std::string> ReadGroup(const GroupSpec& group, size_t g, const std::string& base_dir) {
  std::vector<int64_t> shard_end;  // cumulative end offset of each shard
  int64_t total = 0;
  for (const std::string& path : group.paths) {
    const fs::path full = fs::path(base_dir) / path;
    std::error_code ec;
    const auto size = fs::file_size(full, ec);
    if (ec) return NotFoundError(Where(g, "") + ": shard \"" + full.string() + "\" not found");
    total += static_cast<int64_t>(size);
    shard_end.push_back(total);
  }
  if (total < group.byte_size) {
    // Name the first weight that does not fit and the shard it should end in.
    int64_t offset = 0;
    for (const WeightSpec& w : group.weights) {
      if (offset + w.byte_size > total) {
        std::string shards;
        for (const std::string& path : group.paths) shards += (shards.empty() ? "" : ", ") + path;
        return DataLossError(Where(g, w.name) + " needs bytes [" + std::to_string(offset) + ", " +
                             std::to_string(offset + w.byte_size) + ") but shards " + shards +
                             " hold " + std::to_string(total) + " bytes: truncated shard");
      }
      offset += w.byte_size;
    }
  }
  if (total != group.byte_size) {
    return DataLossError(Where(g, "") + ": shards hold " + std::to_string(total) +
                         " bytes but the weights need " + std::to_string(group.byte_size));
  }
  std::string buffer(static_cast<size_t>(total), '\0');
  int64_t offset = 0;
  for (size_t i = 0; i < group.paths.size(); ++i) {
    const fs::path full = fs::path(base_dir) / group.paths[i];
    std::ifstream in(full, std::ios::binary);
    const int64_t size = shard_end[i] - offset;
    if (!in || !in.read(&buffer[static_cast<size_t>(offset)], size)) {
      return DataLossError(Where(g, "") + ": cannot read shard \"" + full.string() + "\"");
    }
    offset += size;
  }
  return buffer;
}

}  // namespace

float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400u) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mantissa & 0x3ffu) << 13;
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | mantissa << 13;
  } else {
    bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
  }
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

Result<TfjsWeightMap> ReadTfjsWeights(const nlohmann::json& manifest, const std::string& base_dir,
                                      int64_t max_weight_bytes) {
  return ReadTfjsWeights(manifest, base_dir, max_weight_bytes, false);
}

Result<TfjsWeightMap> ReadTfjsWeights(const nlohmann::json& manifest, const std::string& base_dir,
                                      int64_t max_weight_bytes, bool allow_int_weights) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<GroupSpec> groups, ParseManifest(manifest, allow_int_weights));
  // The limit applies to the decoded float32 weights (what the ONNX file will hold).
  int64_t decoded_bytes = 0;
  for (const GroupSpec& group : groups) {
    for (const WeightSpec& w : group.weights) decoded_bytes += w.elements * 4;
  }
  if (decoded_bytes > max_weight_bytes) {
    return ResourceExhaustedError("weights need " + std::to_string(decoded_bytes) +
                                  " bytes as float32, over the limit of " +
                                  std::to_string(max_weight_bytes));
  }

  TfjsWeightMap weights;
  for (size_t g = 0; g < groups.size(); ++g) {
    const GroupSpec& group = groups[g];
    VIGIL_ASSIGN_OR_RETURN(std::string buffer, ReadGroup(group, g, base_dir));
    const auto* bytes = reinterpret_cast<const unsigned char*>(buffer.data());
    size_t offset = 0;
    for (const WeightSpec& spec : group.weights) {
      if (weights.count(spec.name) > 0) {
        return InvalidArgumentError(Where(g, spec.name) + ": duplicate weight name");
      }
      TfjsWeight weight;
      weight.shape = spec.shape;
      weight.values.resize(static_cast<size_t>(spec.elements));
      const unsigned char* p = bytes + offset;
      float* out = weight.values.data();
      const size_t n = weight.values.size();
      if (spec.storage == "int32" || spec.storage == "bool") {
        weight.is_int = true;
        weight.int_values.resize(n);
        for (size_t i = 0; i < n; ++i) {
          int32_t v = p[i];
          if (spec.storage == "int32") std::memcpy(&v, p + 4 * i, 4);
          weight.int_values[i] = v;
          out[i] = static_cast<float>(v);
        }
      } else if (spec.storage == "float32") {
        std::memcpy(out, p, 4 * n);
      } else if (spec.storage == "uint8") {
        // Same arithmetic as tfjs (double, then rounded to float32).
        for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(p[i] * spec.scale + spec.min);
      } else if (spec.storage == "uint16") {
        for (size_t i = 0; i < n; ++i) {
          uint16_t q;
          std::memcpy(&q, p + 2 * i, 2);
          out[i] = static_cast<float>(q * spec.scale + spec.min);
        }
      } else {  // float16
        for (size_t i = 0; i < n; ++i) {
          uint16_t h;
          std::memcpy(&h, p + 2 * i, 2);
          out[i] = HalfToFloat(h);
        }
      }
      offset += static_cast<size_t>(spec.byte_size);
      weights.emplace(spec.name, std::move(weight));
    }
  }
  return weights;
}

}  // namespace vigil
