// Detector: decode -> preprocess (stretch or letterbox, per manifest) -> backend session ->
// architecture decoding (detection_decode) -> NMS (nms) -> boxes in image pixels -> tags.
// Owns a pool of inference sessions so that concurrent callers each run their own session.
#include "vigil/detector.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "detect/detection_decode.h"
#include "detect/nms.h"
#include "inference/loaded_model.h"

namespace vigil {
namespace {

std::string Number(float v) {
  std::ostringstream out;
  out << v;  // shortest form: "0.5", "1e-07", "nan"
  return out.str();
}

}  // namespace

// The loaded model (entry with the option overrides applied to its manifest, decode options,
// preprocessing spec, backend, sessions) + options.
struct Detector::Impl : ModelRuntime {
  DetectorOptions options;
  std::string backend_name;  // BackendKindName of the backend, stamped on every output

  // `params` already validated; negative values keep the manifest's.
  Result<std::vector<DetectionResult>> RunChunk(const Image* images, size_t count,
                                                const DetectionThresholds& params) const;
  // Checks that `t` holds `count` images of `per_image` floats each.
  Status CheckOutput(const Tensor* t, const std::string& name, size_t count, int64_t per_image) const;
};

Status Detector::Impl::CheckOutput(const Tensor* t, const std::string& name, size_t count,
                                   int64_t per_image) const {
  const ModelManifest& m = entry.manifest;
  if (t == nullptr) {
    return InternalError("model " + m.name + " produced no output \"" + name + "\"");
  }
  if (t->data.size() != count * size_t(per_image)) {
    return InternalError("model " + m.name + " output \"" + name + "\" has " +
                         std::to_string(t->data.size() / std::max<size_t>(count, 1)) +
                         " values per image; the manifest's detection section implies " +
                         std::to_string(per_image));
  }
  return Status::Ok();
}

Result<std::vector<DetectionResult>> Detector::Impl::RunChunk(const Image* images, size_t count,
                                                              const DetectionThresholds& params) const {
  const ModelManifest& m = entry.manifest;
  const DetectionSpec& d = m.detection;
  // This call's settings: local copies, the shared manifest is never written.
  const float score_threshold = params.score_threshold >= 0 ? params.score_threshold : d.score_threshold;
  const float iou_threshold = params.iou_threshold >= 0 ? params.iou_threshold : d.iou_threshold;
  const int max_detections = params.max_detections >= 0 ? params.max_detections : d.max_detections;
  const int in_w = m.input.width, in_h = m.input.height;
  const int64_t per_image = int64_t{in_w} * in_h * 3;
  Tensor input;
  input.shape = spec.nchw ? std::vector<int64_t>{int64_t(count), 3, in_h, in_w}
                          : std::vector<int64_t>{int64_t(count), in_h, in_w, 3};
  input.data.resize(per_image * count);
  for (size_t i = 0; i < count; ++i) {
    if (images[i].empty() ||
        images[i].pixels.size() != size_t(images[i].width) * images[i].height * 3) {
      return InvalidArgumentError("image " + std::to_string(i) +
                                  " is empty or its pixel buffer does not match its size");
    }
    VIGIL_RETURN_IF_ERROR(PreprocessInto(images[i], spec, input.data.data() + per_image * i));
  }

  std::vector<Tensor> outputs;
  if (Status s = sessions->Run(input, &outputs); !s.ok()) {
    return count > 1 ? s.WithContext("batch of " + std::to_string(count) +
                                     " (does the model accept batches? try max_batch 1)")
                     : s;
  }

  const int num_classes = int(m.labels.size());
  std::vector<const Tensor*> score_t(d.strides.size()), box_t(d.strides.size());
  std::vector<int64_t> score_n(d.strides.size()), box_n(d.strides.size());
  for (size_t level = 0; level < d.strides.size(); ++level) {
    score_t[level] = FindOutput(outputs, d.score_outputs[level]);
    box_t[level] = FindOutput(outputs, d.box_outputs[level]);
    score_n[level] = ExpectedScoreElements(d, level, in_w, in_h, num_classes);
    box_n[level] = ExpectedBoxElements(d, level, in_w, in_h);
    VIGIL_RETURN_IF_ERROR(CheckOutput(score_t[level], d.score_outputs[level], count, score_n[level]));
    VIGIL_RETURN_IF_ERROR(CheckOutput(box_t[level], d.box_outputs[level], count, box_n[level]));
  }

  std::vector<DetectionResult> results(count);
  for (size_t i = 0; i < count; ++i) {
    RawDetectorOutputs raw;
    for (size_t level = 0; level < d.strides.size(); ++level) {
      raw.scores.push_back(score_t[level]->data.data() + i * score_n[level]);
      raw.boxes.push_back(box_t[level]->data.data() + i * box_n[level]);
    }
    std::vector<Candidate> candidates =
        d.architecture == "nanodet"
            ? DecodeNanoDet(d, raw, in_w, in_h, num_classes, score_threshold)
            : DecodeCenterNet(d, raw, in_w, in_h, num_classes, score_threshold);
    const std::vector<size_t> kept =
        NonMaxSuppression(candidates, iou_threshold, max_detections, d.class_agnostic_nms);

    const Image& image = images[i];
    const ResizeGeometry g = ComputeResizeGeometry(spec, image.width, image.height);
    const float img_w = float(image.width), img_h = float(image.height);
    DetectionResult& r = results[i];
    r.model = m.name;
    r.version = m.version;
    r.task = m.task;
    r.backend = backend_name;
    r.image_width = image.width;
    r.image_height = image.height;
    r.detections.reserve(kept.size());
    for (size_t k : kept) {
      const Candidate& c = candidates[k];
      Detection det;
      det.class_id = c.class_id;
      det.label = m.labels[size_t(c.class_id)];
      det.score = c.score;
      det.box.x_min = std::clamp(float((c.x1 - g.offset_x) / g.scale_x), 0.0f, img_w);
      det.box.y_min = std::clamp(float((c.y1 - g.offset_y) / g.scale_y), 0.0f, img_h);
      det.box.x_max = std::clamp(float((c.x2 - g.offset_x) / g.scale_x), 0.0f, img_w);
      det.box.y_max = std::clamp(float((c.y2 - g.offset_y) / g.scale_y), 0.0f, img_h);
      r.detections.push_back(std::move(det));
    }
    r.tags = TagsFromDetections(r.detections);
  }
  return results;
}

Status ValidateDetectionThresholds(const DetectionThresholds& p) {
  // NaN fails every comparison: "set" is !(v < 0), "in range" is written so NaN is out of it.
  if (!(p.score_threshold < 0) && !(p.score_threshold <= 1)) {
    return InvalidArgumentError("score_threshold must be in [0, 1], got " + Number(p.score_threshold));
  }
  if (!(p.iou_threshold < 0) && !(p.iou_threshold > 0 && p.iou_threshold <= 1)) {
    return InvalidArgumentError("iou_threshold must be in (0, 1], got " + Number(p.iou_threshold));
  }
  if (p.max_detections >= 0 && (p.max_detections < 1 || p.max_detections > kMaxDetections)) {
    return InvalidArgumentError("max_detections must be in 1.." + std::to_string(kMaxDetections) + ", got " +
                                std::to_string(p.max_detections));
  }
  return Status::Ok();
}

Detector::Detector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Detector::~Detector() = default;

Result<std::unique_ptr<Detector>> Detector::Create(const DetectorOptions& options) {
  if (options.max_batch < 1 || options.max_batch > 1024) {
    return InvalidArgumentError("max_batch must be in 1..1024");
  }
  VIGIL_RETURN_IF_ERROR(ValidateDetectionThresholds(options.thresholds));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, FindSelectedModel(options.model));
  ModelManifest& m = entry.manifest;
  const std::string id = m.name + ":" + std::to_string(m.version);
  if (m.task != "detection") {
    return InvalidArgumentError("model " + id + " is a " + m.task +
                                " model, not a detector (use ImageClassifier / vigil::Analyzer)");
  }
  const DetectionThresholds& t = options.thresholds;
  if (t.score_threshold >= 0) m.detection.score_threshold = t.score_threshold;
  if (t.iou_threshold >= 0) m.detection.iou_threshold = t.iou_threshold;
  if (t.max_detections >= 0) m.detection.max_detections = t.max_detections;
  if (Status s = ValidateManifest(m); !s.ok()) return s.WithContext("detector options for " + id);
  VIGIL_RETURN_IF_ERROR(LoadModel(std::move(entry), options.model, options.max_batch, impl.get()));
  impl->backend_name = BackendKindName(impl->backend->kind());
  return std::unique_ptr<Detector>(new Detector(std::move(impl)));
}

Result<DetectionResult> Detector::Detect(const Image& image, const DetectionThresholds& params) const {
  VIGIL_RETURN_IF_ERROR(ValidateDetectionThresholds(params));
  VIGIL_ASSIGN_OR_RETURN(std::vector<DetectionResult> r, impl_->RunChunk(&image, 1, params));
  return std::move(r[0]);
}

Result<std::vector<DetectionResult>> Detector::DetectBatch(const std::vector<Image>& images,
                                                           const DetectionThresholds& params) const {
  VIGIL_RETURN_IF_ERROR(ValidateDetectionThresholds(params));
  std::vector<DetectionResult> all;
  all.reserve(images.size());
  const size_t max_batch = size_t(impl_->options.max_batch);
  for (size_t start = 0; start < images.size(); start += max_batch) {
    const size_t n = std::min(max_batch, images.size() - start);
    VIGIL_ASSIGN_OR_RETURN(std::vector<DetectionResult> chunk, impl_->RunChunk(&images[start], n, params));
    for (DetectionResult& r : chunk) all.push_back(std::move(r));
  }
  return all;
}

namespace {

// Detects on a decoded image and maps the boxes to the file's full-resolution size.
Result<DetectionResult> DetectDecoded(const Detector& detector, const Image& image,
                                      const DecodeInfo& info, const DetectionThresholds& params) {
  VIGIL_ASSIGN_OR_RETURN(DetectionResult r, detector.Detect(image, params));
  int w = 0, h = 0;
  OrientedSourceSize(info, &w, &h);
  RescaleDetections(&r, w, h);
  return r;
}

}  // namespace

Result<DetectionResult> Detector::DetectBytes(const uint8_t* data, size_t size,
                                              const DetectionThresholds& params) const {
  VIGIL_RETURN_IF_ERROR(ValidateDetectionThresholds(params));  // before the decode
  DecodeInfo info;
  VIGIL_ASSIGN_OR_RETURN(Image image, DecodeImage(data, size, impl_->decode, &info));
  return DetectDecoded(*this, image, info, params);
}

Result<DetectionResult> Detector::DetectFile(const std::string& path, const DetectionThresholds& params) const {
  VIGIL_RETURN_IF_ERROR(ValidateDetectionThresholds(params));
  DecodeInfo info;
  VIGIL_ASSIGN_OR_RETURN(Image image, ReadImageFile(path, impl_->decode, &info));
  return DetectDecoded(*this, image, info, params);
}

const DecodeOptions& Detector::decode_options() const { return impl_->decode; }
const ModelManifest& Detector::manifest() const { return impl_->entry.manifest; }
const DetectorOptions& Detector::options() const { return impl_->options; }
std::string Detector::backend_name() const { return impl_->backend_name; }
const ModelSelection& Detector::selection() const { return impl_->options.model; }
int Detector::max_batch() const { return impl_->options.max_batch; }

ScoreParams Detector::defaults() const {
  ScoreParams params;
  params.detect = impl_->options.thresholds;
  return params;
}

Result<std::vector<ModelOutput>> Detector::ScoreBatch(const std::vector<Image>& images,
                                                      const ScoreParams& params) const {
  if (std::chrono::steady_clock::now() > params.deadline) {
    return DeadlineExceededError("model " + name() + " not started before its deadline");
  }
  return DetectBatch(images, params.detect);
}

}  // namespace vigil
