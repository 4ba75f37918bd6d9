// A ModelProvider for tests: holds at most one classifier and one detector, as the classification
// service would, and counts how often it was asked.
#pragma once

#include <memory>
#include <string>

#include "vigil/model_provider.h"

namespace vigil::testing {

class FixedProvider : public ModelProvider {
 public:
  std::shared_ptr<const ImageClassifier> FindClassifier(const std::string& name,
                                                        int version) const override {
    ++asked;
    return Matches(classifier.get(), name, version) ? classifier : nullptr;
  }
  std::shared_ptr<const Detector> FindDetector(const std::string& name, int version) const override {
    ++asked;
    return Matches(detector.get(), name, version) ? detector : nullptr;
  }
  std::shared_ptr<const ImageClassifier> classifier;
  std::shared_ptr<const Detector> detector;
  mutable int asked = 0;

 private:
  template <typename Model>
  static bool Matches(const Model* m, const std::string& name, int version) {
    return m && m->manifest().name == name && (version == 0 || m->manifest().version == version);
  }
};

}  // namespace vigil::testing
