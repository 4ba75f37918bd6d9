// ModelProvider: models that are already loaded, handed out so that another front end runs the
// very same instances instead of loading its own copy of the weights. A loaded ScoringModel
// (ImageClassifier, Detector, ...) is immutable and thread-safe (each concurrent call takes its
// own session from the model's pool), so sharing one between the classification service's workers
// and video taggers costs no locking and no second copy of the weights.
//
//   // ClassificationService is a ModelProvider: the video tagger uses the service's models.
//   VIGIL_ASSIGN_OR_RETURN(auto service, vigil::ClassificationService::Create(service_options));
//   vigil::VideoTaggerOptions options;
//   options.models = {"nsfw_mobilenet_v2:2"};        // name:version; version 0 / absent = latest
//   VIGIL_ASSIGN_OR_RETURN(auto tagger, vigil::VideoTagger::Create(options, service.get()));
//
// Models are looked up by (name, version): two versions of one model loaded side by side are each
// addressable.
// Ownership: the returned shared_ptr keeps the model alive for as long as the caller holds it,
// even after the provider dropped it (e.g. a service Reload); the provider itself is only asked
// at creation time and need not outlive what it handed out.
// Thread-safety: implementations must allow FindModel from any thread.
#pragma once

#include <memory>
#include <string>

#include "vigil/scoring_model.h"

namespace vigil {

class ModelProvider {
 public:
  virtual ~ModelProvider() = default;
  // The loaded model `name` at `version` (0 = the highest loaded version), whatever its task, or
  // null if none is loaded.
  virtual std::shared_ptr<const ScoringModel> FindModel(const std::string& name, int version) const = 0;
};

}  // namespace vigil
