// Model repository on disk: listing, lookup and atomic installation of model versions.
#include "vigil/model_repository.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "vigil/text_checks.h"

namespace vigil {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxManifestBytes = 4u << 20;

bool ParseVersion(const std::string& text, int* version) {
  if (text.empty() || text.size() > 9) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  *version = std::atoi(text.c_str());
  return *version >= 1;
}

Result<ModelEntry> LoadEntry(const fs::path& dir, const std::string& name, int version) {
  fs::path manifest_path = dir / "manifest.json";
  fs::path onnx_path = dir / "model.onnx";
  std::error_code ec;
  if (!fs::is_regular_file(manifest_path, ec)) {
    return NotFoundError("model " + name + ":" + std::to_string(version) + ": missing " +
                         manifest_path.string());
  }
  if (fs::file_size(manifest_path, ec) > kMaxManifestBytes) {
    return ResourceExhaustedError(manifest_path.string() + ": manifest larger than 4 MiB");
  }
  std::ifstream in(manifest_path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto manifest = ParseManifest(text.str());
  if (!manifest.ok()) return manifest.status().WithContext(manifest_path.string());
  if (manifest->name != name || manifest->version != version) {
    return InvalidArgumentError(manifest_path.string() + ": manifest says " + manifest->name + ":" +
                                std::to_string(manifest->version) + " but the folder is " + name +
                                "/" + std::to_string(version));
  }
  const bool needs_onnx = ManifestNeedsOnnx(*manifest);
  if (needs_onnx && !fs::is_regular_file(onnx_path, ec)) {
    return NotFoundError("model " + name + ":" + std::to_string(version) + ": missing " +
                         onnx_path.string());
  }
  if (!manifest->head.file.empty() && !fs::is_regular_file(dir / manifest->head.file, ec)) {
    return NotFoundError("model " + name + ":" + std::to_string(version) + ": missing head file " +
                         (dir / manifest->head.file).string());
  }
  return ModelEntry{std::move(*manifest), dir.string(), needs_onnx ? onnx_path.string() : ""};
}

}  // namespace

Result<ModelRef> ParseModelRef(const std::string& text) {
  VIGIL_RETURN_IF_ERROR(CheckText(text, "model reference"));
  ModelRef ref;
  size_t colon = text.find(':');
  ref.name = text.substr(0, colon);
  if (ref.name.empty()) return InvalidArgumentError("model reference \"" + text + "\" has no name");
  if (colon != std::string::npos) {
    std::string v = text.substr(colon + 1);
    if (v != "latest" && !ParseVersion(v, &ref.version)) {
      return InvalidArgumentError("model reference \"" + text +
                                  "\": version must be a positive integer or \"latest\"");
    }
  }
  return ref;
}

Result<std::unique_ptr<ModelRepository>> ModelRepository::Open(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return NotFoundError("model repository \"" + root + "\" is not a directory");
  }
  return std::unique_ptr<ModelRepository>(new ModelRepository(root));
}

Result<std::unique_ptr<ModelRepository>> ModelRepository::OpenOrCreate(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return InternalError("cannot create model repository \"" + root + "\": " + ec.message());
  return Open(root);
}

std::vector<ModelEntry> ModelRepository::List(std::vector<std::string>* problems) const {
  std::vector<ModelEntry> entries;
  std::error_code ec;
  for (const auto& model_dir : fs::directory_iterator(root_, ec)) {
    if (!model_dir.is_directory(ec)) continue;
    std::string name = model_dir.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    for (const auto& version_dir : fs::directory_iterator(model_dir.path(), ec)) {
      int version = 0;
      if (!version_dir.is_directory(ec) ||
          !ParseVersion(version_dir.path().filename().string(), &version)) {
        continue;
      }
      auto entry = LoadEntry(version_dir.path(), name, version);
      if (entry.ok()) {
        entries.push_back(std::move(*entry));
      } else if (problems) {
        problems->push_back(entry.status().ToString());
      }
    }
  }
  std::sort(entries.begin(), entries.end(), [](const ModelEntry& a, const ModelEntry& b) {
    return a.manifest.name != b.manifest.name ? a.manifest.name < b.manifest.name
                                              : a.manifest.version < b.manifest.version;
  });
  return entries;
}

Result<ModelEntry> ModelRepository::Find(const std::string& name, int version) const {
  VIGIL_RETURN_IF_ERROR(CheckText(name, "model name"));  // a NUL would cut the path short
  std::error_code ec;
  fs::path model_dir = fs::path(root_) / name;
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.' ||
      !fs::is_directory(model_dir, ec)) {
    std::set<std::string> names;
    for (const ModelEntry& e : List()) names.insert(e.manifest.name);
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    return NotFoundError("model \"" + name + "\" not found in " + root_ +
                         (known.empty() ? " (the repository is empty: run scripts/setup)"
                                        : " (available: " + known + ")"));
  }
  if (version == 0) {
    for (const auto& version_dir : fs::directory_iterator(model_dir, ec)) {
      int v = 0;
      if (ParseVersion(version_dir.path().filename().string(), &v) &&
          fs::is_regular_file(version_dir.path() / "manifest.json", ec)) {
        version = std::max(version, v);
      }
    }
    if (version == 0) return NotFoundError("model \"" + name + "\" has no versions in " + root_);
  }
  fs::path dir = model_dir / std::to_string(version);
  if (!fs::is_directory(dir, ec)) {
    return NotFoundError("model \"" + name + "\" has no version " + std::to_string(version));
  }
  return LoadEntry(dir, name, version);
}

int ModelRepository::NextVersion(const std::string& name) const {
  int highest = 0;
  std::error_code ec;
  fs::path model_dir = fs::path(root_) / name;
  if (fs::is_directory(model_dir, ec)) {
    for (const auto& version_dir : fs::directory_iterator(model_dir, ec)) {
      int v = 0;
      if (ParseVersion(version_dir.path().filename().string(), &v)) highest = std::max(highest, v);
    }
  }
  return highest + 1;
}

Result<ModelEntry> ModelRepository::Add(const ModelManifest& manifest, const std::string& onnx_file,
                                        bool overwrite,
                                        const std::vector<std::string>& extra_files) const {
  VIGIL_RETURN_IF_ERROR(ValidateManifest(manifest));
  std::error_code ec;
  if (!onnx_file.empty() && !fs::is_regular_file(onnx_file, ec)) {
    return NotFoundError("no ONNX file at " + onnx_file);
  }
  if (onnx_file.empty() && ManifestNeedsOnnx(manifest)) {
    return InvalidArgumentError("model " + manifest.name + " needs an ONNX file");
  }
  for (const std::string& f : extra_files) {
    const std::string base = fs::path(f).filename().string();
    if (!fs::is_regular_file(f, ec)) return NotFoundError("no file at " + f);
    if (base == "model.onnx" || base == "manifest.json") {
      return InvalidArgumentError("extra model file " + f + " would replace " + base);
    }
  }
  fs::path model_dir = fs::path(root_) / manifest.name;
  fs::path final_dir = model_dir / std::to_string(manifest.version);
  if (fs::exists(final_dir, ec) && !overwrite) {
    return FailedPreconditionError("model " + manifest.name + ":" +
                                   std::to_string(manifest.version) + " already exists in " +
                                   root_);
  }
  fs::path tmp_dir = model_dir / (".tmp-" + std::to_string(manifest.version) + "-" +
                                  std::to_string(std::rand()));
  fs::create_directories(tmp_dir, ec);
  if (ec) return InternalError("cannot create " + tmp_dir.string() + ": " + ec.message());
  std::vector<std::pair<std::string, fs::path>> copies;
  if (!onnx_file.empty()) copies.emplace_back(onnx_file, tmp_dir / "model.onnx");
  for (const std::string& f : extra_files) copies.emplace_back(f, tmp_dir / fs::path(f).filename());
  for (const auto& [from, to] : copies) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      const std::string why = ec.message();
      fs::remove_all(tmp_dir, ec);
      return InternalError("cannot copy " + from + ": " + why);
    }
  }
  {
    std::ofstream out(tmp_dir / "manifest.json", std::ios::binary);
    out << SerializeManifest(manifest);
    if (!out) {
      fs::remove_all(tmp_dir, ec);
      return InternalError("cannot write manifest in " + tmp_dir.string());
    }
  }
  if (fs::exists(final_dir, ec)) fs::remove_all(final_dir, ec);
  fs::rename(tmp_dir, final_dir, ec);
  if (ec) {
    fs::remove_all(tmp_dir, ec);
    return InternalError("cannot install " + final_dir.string() + ": " + ec.message());
  }
  return LoadEntry(final_dir, manifest.name, manifest.version);
}

}  // namespace vigil
