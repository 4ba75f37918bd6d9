// LoadSplits, SampleShots, PrepareFeatureSource (see training_data.h).
#include "learn/training_data.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>

#include "vigil/features.h"
#include "vigil/model_repository.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

void SplitValidation(const Dataset& all, double fraction, uint64_t seed, Dataset* train, Dataset* val) {
  train->classes = val->classes = all.classes;
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  std::vector<std::vector<LabelledImage>> by_class(all.classes.size());
  for (const auto& item : all.items) by_class[item.label].push_back(item);
  for (auto& items : by_class) {
    std::shuffle(items.begin(), items.end(), rng);
    size_t n_val = static_cast<size_t>(items.size() * fraction + 0.5);
    if (n_val == 0 && fraction > 0 && items.size() >= 2) n_val = 1;
    if (n_val >= items.size()) n_val = items.size() - 1;
    for (size_t i = 0; i < items.size(); ++i) (i < n_val ? val : train)->items.push_back(items[i]);
  }
}

}  // namespace

Result<Splits> LoadSplits(const std::string& data, double val_split, uint64_t seed) {
  Splits s;
  Dataset train_all;
  std::error_code ec;
  const bool has_split = fs::is_directory(fs::path(data) / "train", ec) && fs::is_directory(fs::path(data) / "test", ec);
  if (has_split) {
    VIGIL_ASSIGN_OR_RETURN(train_all, LoadFolderDataset((fs::path(data) / "train").string()));
    VIGIL_ASSIGN_OR_RETURN(Dataset raw_test, LoadFolderDataset((fs::path(data) / "test").string()));
    VIGIL_ASSIGN_OR_RETURN(s.test, RemapClasses(raw_test, train_all.classes));
  } else {
    VIGIL_ASSIGN_OR_RETURN(train_all, LoadDataset(data));
    s.test.classes = train_all.classes;
  }
  if (val_split > 0) {
    SplitValidation(train_all, val_split, seed, &s.train, &s.val);
  } else {
    s.train = train_all;
    s.val.classes = train_all.classes;
  }
  return s;
}

Dataset SampleShots(const Dataset& dataset, int shots, uint64_t seed) {
  if (shots <= 0) return dataset;
  std::mt19937_64 rng(seed * 0x2545f4914f6cdd1dull + 0x5851f42d4c957f2dull);
  std::vector<std::vector<size_t>> by_class(dataset.classes.size());
  for (size_t i = 0; i < dataset.items.size(); ++i) by_class[dataset.items[i].label].push_back(i);
  std::vector<bool> keep(dataset.items.size(), false);
  for (auto& idx : by_class) {
    std::shuffle(idx.begin(), idx.end(), rng);
    for (size_t j = 0; j < idx.size() && j < static_cast<size_t>(shots); ++j) keep[idx[j]] = true;
  }
  Dataset out;
  out.classes = dataset.classes;
  for (size_t i = 0; i < dataset.items.size(); ++i) {
    if (keep[i]) out.items.push_back(dataset.items[i]);
  }
  return out;
}

Result<PreparedSource> PrepareFeatureSource(const std::string& backbones, const ModelSelection& model) {
  std::vector<std::string> parts;
  std::stringstream ss(backbones);
  for (std::string p; std::getline(ss, p, ',');) {
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    if (!p.empty()) parts.push_back(p);
  }
  if (parts.empty()) return InvalidArgumentError("no backbone given");
  PreparedSource out;
  bool classical = false;
  std::string onnx;
  for (const std::string& p : parts) {
    if (p == "classical") {
      if (classical) return InvalidArgumentError("backbone 'classical' given twice");
      classical = true;
      out.inputs.push_back("classical");
    } else {
      if (!onnx.empty()) {
        return UnsupportedError("backbones '" + onnx + "' and '" + p +
                                "': at most one ONNX backbone per model (it must be one model.onnx); "
                                "combine one with 'classical'");
      }
      onnx = p;
      out.inputs.push_back("embedding");
    }
  }
  DecodeOptions decode;
  std::vector<std::string> names(parts.size());
  const int feature_dim = classical ? FeatureDimension().value() : 0;
  int onnx_dim = 0;
  if (!onnx.empty()) {
    VIGIL_ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(onnx));
    if (ref.version == 0) ref.version = model.version;
    VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(model.repository));
    if (!repo->Find(ref.name, ref.version).ok() && repo->Find("nsfw_" + ref.name, ref.version).ok()) {
      ref.name = "nsfw_" + ref.name;  // "mobilenet_v2" -> "nsfw_mobilenet_v2"
    }
    ClassifierOptions copts;
    copts.model = model;
    copts.model.name = ref.name;
    copts.model.version = ref.version;
    copts.with_embedding = true;
    VIGIL_ASSIGN_OR_RETURN(out.classifier, ImageClassifier::Create(copts));
    const ModelManifest& m = out.classifier->manifest();
    if (m.embedding_output.empty()) {
      return FailedPreconditionError("model '" + m.name + "' has no embedding output to train on");
    }
    decode = out.classifier->decode_options();
    onnx_dim = m.embedding_size;
  } else {
    decode.min_width = decode.min_height = 0;
  }
  if (classical) {
    // As ImageClassifier decodes a model with classical inputs: at least resize_to on each side.
    const int side = FeatureOptions().resize_to;
    decode.min_width = std::max(decode.min_width, side);
    decode.min_height = std::max(decode.min_height, side);
  }
  std::string name;
  for (const std::string& in : out.inputs) {
    if (!name.empty()) name += "+";
    name += in == "classical" ? std::string("classical")
                              : out.classifier->manifest().name + ":" + std::to_string(out.classifier->manifest().version);
  }
  out.name = name;
  // The cache key of a lone ONNX backbone stays "name:version" (as before combinations existed).
  out.source.key = (classical ? name + "@" + std::to_string(decode.min_width) : name);
  out.source.decode = decode;
  out.source.dim = (onnx_dim > 0 || onnx.empty()) ? onnx_dim + feature_dim : 0;
  const ImageClassifier* classifier = out.classifier.get();
  const std::vector<std::string> inputs = out.inputs;
  out.source.compute = [classifier, inputs](const Image& image) -> Result<std::vector<float>> {
    std::vector<float> x;
    for (const std::string& in : inputs) {
      if (in == "embedding") {
        VIGIL_ASSIGN_OR_RETURN(Prediction p, classifier->Classify(image));
        if (p.embedding.empty()) return FailedPreconditionError("the backbone gives no embedding");
        x.insert(x.end(), p.embedding.begin(), p.embedding.end());
      } else {
        VIGIL_ASSIGN_OR_RETURN(std::vector<float> f, ComputeFeatureVector(image));
        x.insert(x.end(), f.begin(), f.end());
      }
    }
    return x;
  };
  return out;
}

}  // namespace vigil
