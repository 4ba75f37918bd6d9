// Training inputs shared by TrainClassifier and the few-shot curve: the train/validation/test
// splits of a dataset, few-shot sampling, and the feature source a backbone list describes
// ("nsfw_mobilenet_v2", "classical", "nsfw_mobilenet_v2,classical").
// Thread-safety: free functions; a PreparedSource's compute function is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "learn/dataset.h"
#include "learn/embedder.h"
#include "vigil/classifier.h"
#include "vigil/status.h"

namespace vigil {

struct Splits {
  Dataset train;  // after the validation hold-out
  Dataset val;    // empty unless val_split > 0
  Dataset test;   // <data>/test if present, else empty
};

// <data>/train + <data>/test, or everything as training data (folder or CSV); then a stratified
// validation hold-out of about `val_split` of each class (at least 1 of classes with >= 2 items).
Result<Splits> LoadSplits(const std::string& data, double val_split, uint64_t seed);

// `shots` items of each class drawn with `seed` (a class with fewer keeps all); items keep their
// dataset order. shots <= 0 returns `dataset` unchanged. Deterministic in (dataset, shots, seed).
Dataset SampleShots(const Dataset& dataset, int shots, uint64_t seed);

struct PreparedSource {
  std::unique_ptr<ImageClassifier> classifier;  // the ONNX backbone, if any
  FeatureSource source;
  std::vector<std::string> inputs;  // manifest head inputs: "embedding" and/or "classical"
  std::string name;                 // e.g. "nsfw_mobilenet_v2:1+classical"
};

// Parses a comma-separated backbone list: at most one repository model NAME[:VERSION] (version 0
// = `model.version`; "mobilenet_v2" and "inception_v3" also name the nsfw_ models) and/or
// "classical" (features.h defaults). Loads the model as `model` says (repository, backend,
// threads, decode limits; its name is the backbone's) and builds the source; images are decoded
// as an installed model on these inputs will decode them.
Result<PreparedSource> PrepareFeatureSource(const std::string& backbones, const ModelSelection& model);

}  // namespace vigil
