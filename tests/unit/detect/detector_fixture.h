// Shared by the Detector tests: a temporary model repository holding NanoDet (and CenterNet),
// installed from the tfjs graph models scripts/setup extracts (.vigil/tfjs/human-models) with the
// manifests under scripts/manifests, so the tests do not depend on what models/ holds.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "vigil/model_import.h"

namespace vigil::testing_detect {

inline std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
inline std::string SamplesDir() {
  return Env("VIGIL_TEST_DATA", std::string(VIGIL_SOURCE_DIR) + "/data") + "/images/samples";
}
inline std::string HumanModelsDir() {
  return Env("VIGIL_TFJS_MODELS", std::string(VIGIL_SOURCE_DIR) + "/.vigil/tfjs") + "/human-models";
}

// Installs `name` (nanodet_coco / centernet_coco) from `graph_json` into `root`.
inline Status InstallDetector(const std::string& root, const std::string& name,
                              const std::string& graph_json) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/scripts/manifests/" + name + ".json");
  std::stringstream text;
  text << in.rdbuf();
  VIGIL_ASSIGN_OR_RETURN(ModelManifest manifest, ParseManifest(text.str()));
  TfjsGraphInstallRequest request;
  request.model_json = HumanModelsDir() + "/" + graph_json;
  request.manifest = manifest;
  request.overwrite = true;
  VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, InstallTfjsGraphModel(root, request));
  (void)entry;
  return Status::Ok();
}

inline std::string ModelsDir() { return Env("VIGIL_MODELS", std::string(VIGIL_SOURCE_DIR) + "/models"); }

// A repository with nanodet_coco:1 and centernet_coco:1, made once per test binary, plus links to
// the classifiers of models/ (nsfw_mobilenet_v2, ...), for multi-model tests.
inline const std::string& DetectorRepository() {
  static const std::string root = [] {
    std::string dir = (std::filesystem::temp_directory_path() /
                       ("vigil-detect-test-" + std::to_string(::getpid())))
                          .string();
    std::filesystem::create_directories(dir);
    Status s = InstallDetector(dir, "nanodet_coco", "nanodet.json");
    if (s.ok()) s = InstallDetector(dir, "centernet_coco", "centernet.json");
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(ModelsDir(), ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_directory() && name.rfind("nsfw_", 0) == 0) {
        std::filesystem::create_directory_symlink(std::filesystem::absolute(e.path()),
                                                  std::filesystem::path(dir) / name, ec);
      }
    }
    if (!s.ok()) {
      ADD_FAILURE() << "cannot install the detectors from " << HumanModelsDir()
                    << " (run scripts/setup): " << s.ToString();
    }
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                      ("vigil-detect-test-" + std::to_string(::getpid())),
                                  ec);
    });
    return dir;
  }();
  return root;
}

}  // namespace vigil::testing_detect
