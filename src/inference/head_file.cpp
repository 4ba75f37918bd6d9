// Head files: SaveHeadFile / LoadHeadFile (see head_file.h), and the helpers every head shares.
#include "inference/head_file.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "inference/knn_head.h"
#include "inference/linear_head.h"
#include "inference/prototype_head.h"
#include "inference/rbf_svm_head.h"
#include "models/model_files.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {
constexpr int kFormatVersion = 1;
}  // namespace

std::vector<float> Softmax(const std::vector<float>& logits) {
  std::vector<float> p(logits.size());
  if (logits.empty()) return p;
  const float mx = *std::max_element(logits.begin(), logits.end());
  std::vector<double> e(logits.size());
  double sum = 0;
  for (size_t k = 0; k < logits.size(); ++k) sum += e[k] = std::exp(static_cast<double>(logits[k]) - mx);
  for (size_t k = 0; k < logits.size(); ++k) p[k] = static_cast<float>(e[k] / sum);
  return p;
}

int ArgMax(const std::vector<float>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

Result<std::vector<std::string>> SaveHeadFile(const Head& head, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir + ": " + ec.message());
  nlohmann::json j{{"format", "vigil-head"},
                   {"format_version", kFormatVersion},
                   {"type", head.type_name()},
                   {"dim", head.input_dim()},
                   {"classes", head.class_count()},
                   {"description", head.Describe()}};
  std::vector<std::string> sidecars;
  VIGIL_RETURN_IF_ERROR(head.SaveParameters(dir, &j, &sidecars));
  const std::string path = (fs::path(dir) / kHeadFileName).string();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump() << "\n";
    if (!out) return InternalError("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return InternalError("cannot write " + path + ": " + ec.message());
  std::vector<std::string> files{path};
  files.insert(files.end(), sidecars.begin(), sidecars.end());
  return files;
}

Result<std::unique_ptr<Head>> LoadHeadFile(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(path));
  const std::string dir = fs::path(path).parent_path().string();
  std::string type;
  try {
    if (j.value("format", std::string()) != "vigil-head") {
      return InvalidArgumentError(path + ": not a vigil head file (\"format\" is not \"vigil-head\")");
    }
    if (j.at("format_version").get<int>() > kFormatVersion) {
      return UnsupportedError(path + ": head file format " + std::to_string(j.at("format_version").get<int>()) +
                              " is newer than this build reads (" + std::to_string(kFormatVersion) + ")");
    }
    type = j.at("type").get<std::string>();
    if (j.at("dim").get<int>() < 1 || j.at("classes").get<int>() < 2) {
      return InvalidArgumentError(path + ": \"dim\" must be >= 1 and \"classes\" >= 2");
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(path + ": " + e.what());
  }
  Result<std::unique_ptr<Head>> head = UnsupportedError(path + ": unknown head type \"" + type + "\"");
  if (type == "logistic" || type == "linear-svm") {
    auto h = LinearHead::FromJson(j);
    head = h.ok() ? Result<std::unique_ptr<Head>>(std::make_unique<LinearHead>(std::move(*h)))
                  : Result<std::unique_ptr<Head>>(h.status());
  } else if (type == "rbf-svm") {
    head = RbfSvmHead::Load(j, dir);
  } else if (type == "knn") {
    head = KnnHead::Load(j, dir);
  } else if (type == "prototype") {
    head = PrototypeHead::Load(j);
  }
  if (!head.ok()) return head.status().WithContext(path);
  return head;
}

}  // namespace vigil
