// ModelRepository: the on-disk model store, a directory convention (after Triton):
//   <root>/<name>/<version>/model.onnx + manifest.json     (version = positive integer)
// Thread-safety: all methods are const and read the file system on each call; safe from any thread.
// Adding a model writes into a temporary folder and renames it, so readers never see half a model.
//
//   VIGIL_ASSIGN_OR_RETURN(auto repo, vigil::ModelRepository::Open("models"));
//   VIGIL_ASSIGN_OR_RETURN(vigil::ModelEntry entry, repo->Find("nsfw_mobilenet_v2", 0));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/model_manifest.h"
#include "vigil/status.h"

namespace vigil {

struct ModelEntry {
  ModelManifest manifest;
  std::string directory;  // <root>/<name>/<version>
  std::string onnx_path;  // <directory>/model.onnx; "" if the model needs none (ManifestNeedsOnnx)
};

// A model reference "name" or "name:version" (version 0 = latest).
struct ModelRef {
  std::string name;
  int version = 0;
};
Result<ModelRef> ParseModelRef(const std::string& text);

class ModelRepository {
 public:
  // Opens (does not create) a repository root; kNotFound if it is not a directory.
  static Result<std::unique_ptr<ModelRepository>> Open(const std::string& root);
  // Opens, creating the root directory if needed.
  static Result<std::unique_ptr<ModelRepository>> OpenOrCreate(const std::string& root);

  const std::string& root() const { return root_; }

  // Every valid model version, sorted by name then version. Folders that are not valid models are
  // skipped and described in `problems` (if given).
  std::vector<ModelEntry> List(std::vector<std::string>* problems = nullptr) const;
  // One model; version 0 = the highest version present. kNotFound lists what exists.
  Result<ModelEntry> Find(const std::string& name, int version = 0) const;
  Result<ModelEntry> Find(const ModelRef& ref) const { return Find(ref.name, ref.version); }
  // Next free version number for `name` (1 if none).
  int NextVersion(const std::string& name) const;

  // Installs a model from an ONNX file and a manifest (whose name/version say where it goes),
  // plus `extra_files` copied under their file names (a head file and its sidecars, see
  // docs/model-repository.md). `onnx_file` may be "" for a model that needs none (a head on
  // classical features). kAlreadyExists-like kFailedPrecondition if that version exists and
  // !overwrite.
  Result<ModelEntry> Add(const ModelManifest& manifest, const std::string& onnx_file,
                         bool overwrite = false,
                         const std::vector<std::string>& extra_files = {}) const;

 private:
  explicit ModelRepository(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace vigil
