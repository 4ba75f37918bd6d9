// ModelSelection: which repository model to load and how to run and feed it, the part of the
// options every model front end shares: ClassifierOptions::model, DetectorOptions::model,
// AnalyzerOptions::common (every model of an Analyzer) and, inside the library, the video tagger's
// per-model options. Filled once, passed whole.
//
//   vigil::ClassifierOptions options;               // options.model: models/, nsfw_mobilenet_v2
//   options.model.repository = "/srv/models";
//   options.model.name = "nsfw_inception_v3";
//   options.model.threads_per_session = 2;
//
// A plain value type: copy it freely, from any thread.
#pragma once

#include <string>
#include <utility>

#include "vigil/image.h"

namespace vigil {

struct ModelSelection {
  // Root of the model repository (models/<name>/<version>/, docs/model-repository.md).
  std::string repository = "models";
  // Model name and version (0 = the latest in the repository).
  std::string name;
  int version = 0;
  // "auto" (the manifest's preference, else the fastest backend that can run the model),
  // "onednn", "xnnpack" or "opencv".
  std::string backend = "auto";
  // Intra-op threads of each inference session (1..256).
  int threads_per_session = 1;
  // Decoding limits for the images it gets as bytes or files. min_width/min_height are set from
  // the model input when left at 0, which lets JPEGs decode with DCT scaling; scaled_decode =
  // false always decodes at full size.
  DecodeOptions decode;
  bool scaled_decode = true;

  // The model `name` (latest version) in the default repository, every other field at its default.
  static ModelSelection Named(std::string name) {
    ModelSelection s;
    s.name = std::move(name);
    return s;
  }
};

}  // namespace vigil
