// Analyzer: resolves each requested model's task in the repository, loads it as an
// ImageClassifier or a Detector, decodes each image once (covering every model's input size) and
// runs every model on it through the ScoringModel interface.
#include "vigil/analyzer.h"

#include <algorithm>
#include <map>

#include "vigil/model_repository.h"

namespace vigil {

struct Analyzer::Impl {
  AnalyzerOptions options;
  DecodeOptions decode;
  std::vector<AnalyzerModel> models;
  std::vector<std::unique_ptr<const ScoringModel>> scorers;  // in the order of options.models
};

std::vector<DetectionTag> MergeTags(const std::vector<ModelOutput>& results) {
  std::map<std::string, DetectionTag> by_label;
  for (const ModelOutput& r : results) {
    for (const DetectionTag& t : r.tags) {
      DetectionTag& m = by_label[t.label];
      m.label = t.label;
      m.score = std::max(m.score, t.score);
      m.count = std::max(m.count, t.count);
    }
  }
  std::vector<DetectionTag> tags;
  for (auto& [label, tag] : by_label) tags.push_back(std::move(tag));
  std::stable_sort(tags.begin(), tags.end(), [](const DetectionTag& a, const DetectionTag& b) {
    return a.score > b.score;
  });
  return tags;
}

Analyzer::Analyzer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Analyzer::~Analyzer() = default;

Result<std::unique_ptr<Analyzer>> Analyzer::Create(const AnalyzerOptions& options) {
  if (options.models.empty()) return InvalidArgumentError("analyzer: no model given");
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(options.common.repository));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  int min_width = 0, min_height = 0;
  for (const std::string& text : options.models) {
    VIGIL_ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(text));
    VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, repo->Find(ref));
    const ModelManifest& m = entry.manifest;
    for (const AnalyzerModel& seen : impl->models) {
      if (seen.name == m.name && seen.version == m.version) {
        return InvalidArgumentError("analyzer: model " + m.name + ":" + std::to_string(m.version) +
                                    " is given twice");
      }
    }
    ModelSelection selection = options.common;
    selection.name = m.name;
    selection.version = m.version;
    std::unique_ptr<const ScoringModel> scorer;
    if (m.task == "detection") {
      DetectorOptions o;
      o.model = selection;
      o.thresholds = options.detection;
      VIGIL_ASSIGN_OR_RETURN(scorer, Detector::Create(o));
    } else {
      ClassifierOptions o;
      o.model = selection;
      o.max_batch = options.classifier_max_batch;
      o.top_k = options.top_k;
      o.with_embedding = options.with_embedding;
      VIGIL_ASSIGN_OR_RETURN(scorer, ImageClassifier::Create(o));
    }
    AnalyzerModel info{m.name, m.version, m.task, scorer->backend_name()};
    impl->scorers.push_back(std::move(scorer));
    min_width = std::max(min_width, m.input.width);
    min_height = std::max(min_height, m.input.height);
    impl->models.push_back(std::move(info));
  }
  impl->decode = options.common.decode;
  if (options.common.scaled_decode) {
    if (impl->decode.min_width == 0) impl->decode.min_width = min_width;
    if (impl->decode.min_height == 0) impl->decode.min_height = min_height;
  } else {
    impl->decode.min_width = impl->decode.min_height = 0;
  }
  return std::unique_ptr<Analyzer>(new Analyzer(std::move(impl)));
}

Result<std::vector<Analysis>> Analyzer::AnalyzeBatch(const std::vector<Image>& images,
                                                     const std::vector<DecodeInfo>* infos) const {
  if (infos != nullptr && infos->size() != images.size()) {
    return InvalidArgumentError("analyzer: " + std::to_string(infos->size()) + " decode infos for " +
                                std::to_string(images.size()) + " images");
  }
  std::vector<Analysis> out(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    out[i].image_width = images[i].width;
    out[i].image_height = images[i].height;
    if (infos != nullptr) OrientedSourceSize((*infos)[i], &out[i].image_width, &out[i].image_height);
  }
  for (const auto& scorer : impl_->scorers) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<ModelOutput> r, scorer->ScoreBatch(images));
    for (size_t i = 0; i < images.size(); ++i) {
      // Boxes to the size the analysis refers to (outputs without an image size have no boxes).
      if (r[i].image_width > 0) {
        RescaleDetections(&r[i], out[i].image_width, out[i].image_height);
      }
      out[i].outputs.push_back(std::move(r[i]));
    }
  }
  for (Analysis& a : out) a.tags = MergeTags(a.outputs);
  return out;
}

Result<Analysis> Analyzer::Analyze(const Image& image) const {
  VIGIL_ASSIGN_OR_RETURN(std::vector<Analysis> a, AnalyzeBatch({image}));
  return std::move(a[0]);
}

Result<Analysis> Analyzer::AnalyzeBytes(const uint8_t* data, size_t size) const {
  std::vector<DecodeInfo> info(1);
  VIGIL_ASSIGN_OR_RETURN(Image image, DecodeImage(data, size, impl_->decode, &info[0]));
  VIGIL_ASSIGN_OR_RETURN(std::vector<Analysis> a, AnalyzeBatch({image}, &info));
  return std::move(a[0]);
}

Result<Analysis> Analyzer::AnalyzeFile(const std::string& path) const {
  std::vector<DecodeInfo> info(1);
  VIGIL_ASSIGN_OR_RETURN(Image image, ReadImageFile(path, impl_->decode, &info[0]));
  VIGIL_ASSIGN_OR_RETURN(std::vector<Analysis> a, AnalyzeBatch({image}, &info));
  return std::move(a[0]);
}

const DecodeOptions& Analyzer::decode_options() const { return impl_->decode; }
const std::vector<AnalyzerModel>& Analyzer::models() const { return impl_->models; }

}  // namespace vigil
