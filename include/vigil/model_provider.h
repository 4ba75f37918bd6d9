// ModelProvider: models that are already loaded, handed out so that another front end runs the
// very same instances instead of loading its own copy of the weights. A loaded ImageClassifier or
// Detector is immutable and thread-safe (each concurrent call takes its own session from the
// model's pool), so sharing one between the classification service's workers and video taggers
// costs no locking and no second copy of the weights.
//
//   // ClassificationService is a ModelProvider: the video tagger uses the service's models.
//   VIGIL_ASSIGN_OR_RETURN(auto service, vigil::ClassificationService::Create(service_options));
//   vigil::VideoTaggerOptions options;
//   options.models = {"nsfw_mobilenet_v2"};
//   VIGIL_ASSIGN_OR_RETURN(auto tagger, vigil::VideoTagger::Create(options, service.get()));
//
// Ownership: the returned shared_ptr keeps the model alive for as long as the caller holds it,
// even after the provider dropped it (e.g. a service Reload); the provider itself is only asked
// at creation time and need not outlive what it handed out.
// Thread-safety: implementations must allow the Find* methods from any thread.
#pragma once

#include <memory>
#include <string>

#include "vigil/classifier.h"
#include "vigil/detector.h"

namespace vigil {

class ModelProvider {
 public:
  virtual ~ModelProvider() = default;
  // The loaded classifier `name` at `version` (0 = the highest loaded), or null if none is loaded.
  virtual std::shared_ptr<const ImageClassifier> FindClassifier(const std::string& name,
                                                                int version) const = 0;
  // The loaded detector `name` at `version` (0 = the highest loaded), or null if none is loaded.
  virtual std::shared_ptr<const Detector> FindDetector(const std::string& name,
                                                       int version) const = 0;
};

}  // namespace vigil
