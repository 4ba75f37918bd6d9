// A ModelProvider for tests: holds at most one classifier and one detector, as the classification
// service would, and counts how often it was asked.
#pragma once

#include <memory>
#include <string>

#include "vigil/classifier.h"
#include "vigil/detector.h"
#include "vigil/model_provider.h"

namespace vigil::testing {

class FixedProvider : public ModelProvider {
 public:
  std::shared_ptr<const ScoringModel> FindModel(const std::string& name, int version) const override {
    ++asked;
    if (Matches(classifier.get(), name, version)) return classifier;
    if (Matches(detector.get(), name, version)) return detector;
    return nullptr;
  }
  std::shared_ptr<const ImageClassifier> classifier;
  std::shared_ptr<const Detector> detector;
  mutable int asked = 0;

 private:
  static bool Matches(const ScoringModel* m, const std::string& name, int version) {
    return m && m->name() == name && (version == 0 || m->version() == version);
  }
};

}  // namespace vigil::testing
