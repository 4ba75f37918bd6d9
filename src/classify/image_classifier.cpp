// ImageClassifier: decode -> preprocess (per manifest) -> backend session -> labels + embedding.
// Owns a pool of inference sessions so that concurrent callers each run their own session.
// Models with a head file (manifest "head", docs/model-repository.md) run model.onnx (if the head
// reads its embedding) and/or the classical descriptors, then the head (learn/head_file.h).
#include "vigil/classifier.h"

#include <algorithm>
#include <chrono>

#include "inference/head_file.h"
#include "inference/loaded_model.h"
#include "vigil/features.h"

namespace vigil {

// The loaded model (entry, decode options, preprocessing spec, backend, sessions) + options.
struct ImageClassifier::Impl : ModelRuntime {
  ClassifierOptions options;
  std::string backend_name;  // stamped on every output
  std::unique_ptr<Head> head;  // null when model.onnx gives the probabilities

  Result<std::vector<Prediction>> RunChunk(const Image* images, size_t count) const;
  // The head's probabilities from model.onnx's outputs and/or the descriptors of the images.
  Result<std::vector<Prediction>> RunHead(const Image* images, size_t count,
                                          const std::vector<Tensor>& outputs) const;
};

Result<std::vector<Prediction>> ImageClassifier::Impl::RunChunk(const Image* images,
                                                                size_t count) const {
  const ModelManifest& m = entry.manifest;
  for (size_t i = 0; i < count; ++i) {
    if (images[i].empty() || images[i].pixels.size() != size_t(images[i].width) * images[i].height * 3) {
      return InvalidArgumentError("image " + std::to_string(i) +
                                  " is empty or its pixel buffer does not match its size");
    }
  }
  std::vector<Tensor> outputs;
  if (sessions) {
    const int64_t per_image = int64_t{m.input.width} * m.input.height * 3;
    Tensor input;
    input.shape = spec.nchw ? std::vector<int64_t>{int64_t(count), 3, m.input.height, m.input.width}
                            : std::vector<int64_t>{int64_t(count), m.input.height, m.input.width, 3};
    input.data.resize(per_image * count);
    for (size_t i = 0; i < count; ++i) {
      VIGIL_RETURN_IF_ERROR(PreprocessInto(images[i], spec, input.data.data() + per_image * i));
    }
    VIGIL_RETURN_IF_ERROR(sessions->Run(input, &outputs));
  }
  if (head) return RunHead(images, count, outputs);

  const Tensor* probs = FindOutput(outputs, m.probabilities_output);
  if (!probs) {
    return InternalError("model " + m.name + " produced no output \"" + m.probabilities_output +
                         "\"");
  }
  const size_t num_labels = m.labels.size();
  if (probs->data.size() != count * num_labels) {
    return InternalError("model " + m.name + " output \"" + m.probabilities_output + "\" has " +
                         std::to_string(probs->data.size() / std::max<size_t>(count, 1)) +
                         " values per image but the manifest lists " +
                         std::to_string(num_labels) + " labels");
  }
  const Tensor* embedding = nullptr;
  if (options.with_embedding && !m.embedding_output.empty()) {
    embedding = FindOutput(outputs, m.embedding_output);
  }

  std::vector<Prediction> predictions(count);
  for (size_t i = 0; i < count; ++i) {
    Prediction& p = predictions[i];
    p.model = m.name;
    p.version = m.version;
    p.task = m.task;
    p.backend = backend_name;
    p.labels.resize(num_labels);
    for (size_t c = 0; c < num_labels; ++c) {
      p.labels[c] = {m.labels[c], probs->data[i * num_labels + c]};
    }
    std::stable_sort(p.labels.begin(), p.labels.end(),
                     [](const LabelScore& a, const LabelScore& b) { return a.score > b.score; });
    if (options.top_k > 0 && size_t(options.top_k) < p.labels.size()) p.labels.resize(options.top_k);
    if (embedding && count > 0 && embedding->data.size() % count == 0) {
      size_t dim = embedding->data.size() / count;
      p.embedding.assign(embedding->data.begin() + i * dim, embedding->data.begin() + (i + 1) * dim);
    }
  }
  return predictions;
}

Result<std::vector<Prediction>> ImageClassifier::Impl::RunHead(const Image* images, size_t count,
                                                               const std::vector<Tensor>& outputs) const {
  const ModelManifest& m = entry.manifest;
  const Tensor* embedding = m.embedding_output.empty() ? nullptr : FindOutput(outputs, m.embedding_output);
  const size_t emb_dim = embedding && count > 0 ? embedding->data.size() / count : 0;
  const size_t num_labels = m.labels.size();
  std::vector<Prediction> predictions(count);
  for (size_t i = 0; i < count; ++i) {
    // Head input: the manifest's inputs, concatenated in order.
    std::vector<float> x;
    for (const std::string& in : m.head.inputs) {
      if (in == "embedding") {
        if (!embedding) return InternalError("model " + m.name + " produced no embedding for its head");
        x.insert(x.end(), embedding->data.begin() + i * emb_dim, embedding->data.begin() + (i + 1) * emb_dim);
      } else {
        VIGIL_ASSIGN_OR_RETURN(std::vector<float> f, ComputeFeatureVector(images[i]));
        x.insert(x.end(), f.begin(), f.end());
      }
    }
    if (static_cast<int>(x.size()) != head->input_dim()) {
      return InternalError("model " + m.name + ": the head expects " + std::to_string(head->input_dim()) +
                           " values, its inputs give " + std::to_string(x.size()));
    }
    VIGIL_ASSIGN_OR_RETURN(const std::vector<float> probs, head->Probabilities(x.data()));
    Prediction& p = predictions[i];
    p.model = m.name;
    p.version = m.version;
    p.task = m.task;
    p.backend = backend_name;
    p.labels.resize(num_labels);
    for (size_t c = 0; c < num_labels; ++c) p.labels[c] = {m.labels[c], probs[c]};
    std::stable_sort(p.labels.begin(), p.labels.end(),
                     [](const LabelScore& a, const LabelScore& b) { return a.score > b.score; });
    if (options.top_k > 0 && size_t(options.top_k) < p.labels.size()) p.labels.resize(options.top_k);
    if (options.with_embedding) p.embedding = std::move(x);
  }
  return predictions;
}

ImageClassifier::ImageClassifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ImageClassifier::~ImageClassifier() = default;

Result<std::unique_ptr<ImageClassifier>> ImageClassifier::Create(const ClassifierOptions& options) {
  if (options.max_batch < 1 || options.max_batch > 1024) {
    return InvalidArgumentError("max_batch must be in 1..1024");
  }
  if (options.top_k < 0) return InvalidArgumentError("top_k must be >= 0");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, FindSelectedModel(options.model));
  const ModelManifest& m = entry.manifest;
  if (m.task != "classification") {
    return InvalidArgumentError("model " + m.name + ":" + std::to_string(m.version) + " is a " +
                                m.task + " model, not a classifier (use a Detector / vigil::Analyzer)");
  }
  if (m.input.frames > 1) {
    return UnsupportedError("model " + m.name + " is a clip model (input N x C x T x H x W, T = " +
                            std::to_string(m.input.frames) +
                            "): it classifies videos (VideoTagger, vigil tag), not images");
  }
  VIGIL_RETURN_IF_ERROR(LoadModel(std::move(entry), options.model, options.max_batch, impl.get()));
  impl->backend_name = impl->backend ? BackendKindName(impl->backend->kind()) : "none";
  const ModelManifest& loaded = impl->entry.manifest;
  if (!loaded.head.file.empty()) {
    auto head = LoadHeadFile(impl->entry.directory + "/" + loaded.head.file);
    if (!head.ok()) {
      return head.status().WithContext("loading model " + loaded.name + ":" + std::to_string(loaded.version));
    }
    if (static_cast<int>(loaded.labels.size()) != (*head)->class_count()) {
      return InvalidArgumentError("model " + loaded.name + ": the head has " +
                                  std::to_string((*head)->class_count()) + " classes, the manifest " +
                                  std::to_string(loaded.labels.size()) + " labels");
    }
    impl->head = std::move(*head);
  }
  if (impl->decode.min_width > 0 && ManifestUsesClassicalFeatures(loaded)) {
    // The descriptors see the image at FeatureOptions::resize_to on its longest side.
    const int side = FeatureOptions().resize_to;
    impl->decode.min_width = std::max(impl->decode.min_width, side);
    impl->decode.min_height = std::max(impl->decode.min_height, side);
  }
  return std::unique_ptr<ImageClassifier>(new ImageClassifier(std::move(impl)));
}

Result<Prediction> ImageClassifier::Classify(const Image& image) const {
  VIGIL_ASSIGN_OR_RETURN(std::vector<Prediction> p, impl_->RunChunk(&image, 1));
  return std::move(p[0]);
}

Result<std::vector<Prediction>> ImageClassifier::ClassifyBatch(
    const std::vector<Image>& images) const {
  std::vector<Prediction> all;
  all.reserve(images.size());
  const size_t max_batch = size_t(impl_->options.max_batch);
  for (size_t start = 0; start < images.size(); start += max_batch) {
    size_t n = std::min(max_batch, images.size() - start);
    VIGIL_ASSIGN_OR_RETURN(std::vector<Prediction> chunk, impl_->RunChunk(&images[start], n));
    for (Prediction& p : chunk) all.push_back(std::move(p));
  }
  return all;
}

Result<Prediction> ImageClassifier::ClassifyBytes(const uint8_t* data, size_t size) const {
  VIGIL_ASSIGN_OR_RETURN(Image image, DecodeImage(data, size, impl_->decode));
  return Classify(image);
}

Result<Prediction> ImageClassifier::ClassifyFile(const std::string& path) const {
  VIGIL_ASSIGN_OR_RETURN(Image image, ReadImageFile(path, impl_->decode));
  return Classify(image);
}

const DecodeOptions& ImageClassifier::decode_options() const { return impl_->decode; }
const ModelManifest& ImageClassifier::manifest() const { return impl_->entry.manifest; }
const ClassifierOptions& ImageClassifier::options() const { return impl_->options; }
std::string ImageClassifier::backend_name() const { return impl_->backend_name; }
const ModelSelection& ImageClassifier::selection() const { return impl_->options.model; }
int ImageClassifier::max_batch() const { return impl_->options.max_batch; }

ScoreParams ImageClassifier::defaults() const {
  ScoreParams params;
  params.top_k = impl_->options.top_k;
  params.with_embedding = impl_->options.with_embedding;
  return params;
}

Result<std::vector<ModelOutput>> ImageClassifier::ScoreBatch(const std::vector<Image>& images,
                                                             const ScoreParams& params) const {
  if (params.top_k < 0) return InvalidArgumentError("top_k must be >= 0");
  if (std::chrono::steady_clock::now() > params.deadline) {
    return DeadlineExceededError("model " + name() + " not started before its deadline");
  }
  VIGIL_ASSIGN_OR_RETURN(std::vector<ModelOutput> outputs, ClassifyBatch(images));
  for (ModelOutput& out : outputs) NarrowOutput(params, &out);
  return outputs;
}

}  // namespace vigil
