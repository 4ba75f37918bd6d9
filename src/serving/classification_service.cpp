// ClassificationService: bounded request queue, inference worker pool with dynamic batching per
// classification model, detection models one image per call, hot model reload (copy-on-write
// model set), and serving metrics.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>
#include <thread>
#include <tuple>

#include "vigil/model_repository.h"
#include "vigil/service.h"

namespace vigil {
namespace {

using Clock = std::chrono::steady_clock;

struct ModelSet {
  std::vector<std::shared_ptr<const ImageClassifier>> classifiers;  // sorted by name, version
  std::vector<std::shared_ptr<const Detector>> detectors;
};

// One queued image: for a classifier (classifier + promise) or a detector (detector +
// detection_promise).
struct Item {
  std::shared_ptr<const ImageClassifier> classifier;
  std::shared_ptr<const Detector> detector;
  ClassifyRequest request;
  std::promise<Result<Prediction>> promise;
  std::promise<Result<DetectionResult>> detection_promise;
  Clock::time_point enqueued;
};

template <typename Model>
std::string VersionLabel(const Model& m) { return std::to_string(m.manifest().version); }

// The highest loaded version of `name` (any version when `version` is 0) among `models`.
template <typename Model>
std::shared_ptr<const Model> FindLoaded(const std::vector<std::shared_ptr<const Model>>& models,
                                        const std::string& name, int version) {
  std::shared_ptr<const Model> best;
  for (const auto& c : models) {
    const ModelManifest& m = c->manifest();
    if (m.name != name || (version != 0 && m.version != version)) continue;
    if (!best || m.version > best->manifest().version) best = c;
  }
  return best;
}

}  // namespace

struct ClassificationService::Impl {
  ServiceOptions options;
  MetricsRegistry metrics;
  MetricFamily* queue_depth = nullptr;
  MetricFamily* batch_size = nullptr;
  MetricFamily* inference_seconds = nullptr;
  MetricFamily* decode_seconds = nullptr;
  MetricFamily* queue_seconds = nullptr;
  MetricFamily* images_total = nullptr;

  mutable std::mutex models_mutex;
  std::shared_ptr<const ModelSet> models;
  std::mutex reload_mutex;  // one Reload at a time

  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<Item> queue;
  bool stopping = false;
  std::vector<std::thread> workers;

  std::shared_ptr<const ModelSet> Snapshot() const {
    std::lock_guard<std::mutex> lock(models_mutex);
    return models;
  }

  Result<std::shared_ptr<const ImageClassifier>> Resolve(const std::string& name, int version) const {
    std::shared_ptr<const ModelSet> set = Snapshot();
    // No name: the default model if loaded, else the first loaded model.
    std::string wanted = name;
    if (wanted.empty() && !set->classifiers.empty()) {
      wanted = set->classifiers[0]->manifest().name;
      for (const auto& c : set->classifiers) {
        if (c->manifest().name == options.default_model) wanted = options.default_model;
      }
    }
    std::shared_ptr<const ImageClassifier> best = FindLoaded(set->classifiers, wanted, version);
    if (!best) return NotLoaded(*set, name, version);
    return best;
  }

  Result<std::shared_ptr<const Detector>> ResolveDetector(const std::string& name, int version) const {
    std::shared_ptr<const ModelSet> set = Snapshot();
    std::shared_ptr<const Detector> best = FindLoaded(set->detectors, name, version);
    if (!best) return NotLoaded(*set, name, version);
    return best;
  }

  static Status NotLoaded(const ModelSet& set, const std::string& name, int version) {
    std::string known;
    for (const auto& c : set.classifiers) {
      known += (known.empty() ? "" : ", ") + c->manifest().name + ":" + VersionLabel(*c);
    }
    for (const auto& d : set.detectors) {
      known += (known.empty() ? "" : ", ") + d->manifest().name + ":" + VersionLabel(*d);
    }
    return NotFoundError("model \"" + name + (version ? ":" + std::to_string(version) : "") +
                         "\" is not loaded (loaded: " + (known.empty() ? "none" : known) + ")");
  }

  // See ClassificationService::CheckDetectParams.
  Status CheckDetectParams(const DetectParams& params) const {
    VIGIL_RETURN_IF_ERROR(ValidateDetectParams(params));
    const ServiceOptions& o = options;
    if (params.score_threshold >= 0 && params.score_threshold < o.detect_min_score_threshold) {
      std::ostringstream message;
      message << "score_threshold " << params.score_threshold << " is below this server's limit "
              << o.detect_min_score_threshold << " (detect_min_score_threshold)";
      return InvalidArgumentError(message.str());
    }
    if (params.max_detections > o.detect_max_detections) {
      return InvalidArgumentError("max_detections " + std::to_string(params.max_detections) +
                                  " is above this server's limit " + std::to_string(o.detect_max_detections) +
                                  " (detect_max_detections)");
    }
    return Status::Ok();
  }

  // Checks `request`, resolves its model (a classifier, or a detector when `detection`, whose
  // request.detect must pass CheckDetectParams) into `item` and queues it (Enqueue). On error
  // `item` is left for the caller to fail its promise.
  Status Accept(ClassifyRequest request, bool detection, Item* item) {
    if (detection) {
      VIGIL_ASSIGN_OR_RETURN(item->detector, ResolveDetector(request.model, request.version));
    } else {
      VIGIL_ASSIGN_OR_RETURN(item->classifier, Resolve(request.model, request.version));
      if (request.top_k < 0) return InvalidArgumentError("top_k must be >= 0");
    }
    if (request.image_bytes.empty()) return InvalidArgumentError("the image is empty");
    if (detection) VIGIL_RETURN_IF_ERROR(CheckDetectParams(request.detect));
    item->request = std::move(request);
    item->enqueued = Clock::now();
    return Enqueue(item);
  }

  // Queues `item` (moved from only on success) and wakes a worker; kUnavailable when shutting
  // down or the queue is full.
  Status Enqueue(Item* item) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stopping) return UnavailableError("the service is shutting down");
      if (queue.size() >= options.max_queue) {
        return UnavailableError("overloaded: " + std::to_string(queue.size()) +
                                " images already queued (max_queue)");
      }
      queue.push_back(std::move(*item));
      queue_depth->Set({}, double(queue.size()));
    }
    cv.notify_one();
    return Status::Ok();
  }

  // Takes queued items for `classifier` into `batch` (caller holds `mutex`).
  void TakeMatching(const ImageClassifier* classifier, std::vector<Item>* batch) {
    for (auto it = queue.begin(); it != queue.end() && batch->size() < size_t(options.max_batch);) {
      if (it->classifier && it->classifier.get() == classifier) {
        batch->push_back(std::move(*it));
        it = queue.erase(it);
      } else {
        ++it;
      }
    }
  }

  void WorkerLoop() {
    for (;;) {
      std::vector<Item> batch;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping and drained
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
        const ImageClassifier* classifier = batch[0].classifier.get();
        // Detectors have a fixed batch of 1: no batching for them.
        if (classifier) TakeMatching(classifier, &batch);
        const auto fill_until = Clock::now() + options.max_batch_delay;
        while (classifier && batch.size() < size_t(options.max_batch) &&
               options.max_batch_delay.count() > 0 && !stopping) {
          if (cv.wait_until(lock, fill_until) == std::cv_status::timeout) {
            TakeMatching(classifier, &batch);
            break;
          }
          TakeMatching(classifier, &batch);
        }
        queue_depth->Set({}, double(queue.size()));
      }
      if (batch[0].detector) {
        ProcessDetection(&batch[0]);
      } else {
        Process(&batch);
      }
    }
  }

  // One image through a detector: decode (possibly DCT-scaled), detect, map the boxes back to the
  // full-resolution image.
  void ProcessDetection(Item* item) {
    const Detector& detector = *item->detector;
    const std::vector<std::string> labels = {detector.manifest().name, VersionLabel(detector)};
    const auto start = Clock::now();
    queue_seconds->Observe(labels, std::chrono::duration<double>(start - item->enqueued).count());
    if (start > item->request.deadline) {
      item->detection_promise.set_value(DeadlineExceededError("request timed out in the queue"));
      return;
    }
    DecodeInfo info;
    auto image = DecodeImage(item->request.image_bytes.data(), item->request.image_bytes.size(),
                             detector.decode_options(), &info);
    const auto decoded = Clock::now();
    decode_seconds->Observe(labels, std::chrono::duration<double>(decoded - start).count());
    if (!image.ok()) {
      item->detection_promise.set_value(image.status());
      images_total->Add({labels[0], labels[1], "error"});
      return;
    }
    batch_size->Observe(labels, 1);
    Result<DetectionResult> result = detector.Detect(*image, item->request.detect);
    inference_seconds->Observe(labels,
                               std::chrono::duration<double>(Clock::now() - decoded).count());
    if (result.ok()) {
      int width = 0, height = 0;
      OrientedSourceSize(info, &width, &height);
      RescaleDetections(&*result, width, height);
    }
    images_total->Add({labels[0], labels[1], result.ok() ? "ok" : "error"});
    item->detection_promise.set_value(std::move(result));
  }

  void Process(std::vector<Item>* batch) {
    const ImageClassifier& classifier = *(*batch)[0].classifier;
    const std::vector<std::string> labels = {classifier.manifest().name, VersionLabel(classifier)};
    const auto start = Clock::now();
    std::vector<Image> images;
    std::vector<Item*> pending;
    for (Item& item : *batch) {
      queue_seconds->Observe(labels, std::chrono::duration<double>(start - item.enqueued).count());
      if (start > item.request.deadline) {
        item.promise.set_value(DeadlineExceededError("request timed out in the queue"));
        continue;
      }
      auto image = DecodeImage(item.request.image_bytes.data(), item.request.image_bytes.size(),
                               classifier.decode_options());
      if (!image.ok()) {
        item.promise.set_value(image.status());
        images_total->Add({labels[0], labels[1], "error"});
        continue;
      }
      images.push_back(std::move(*image));
      pending.push_back(&item);
    }
    const auto decoded = Clock::now();
    decode_seconds->Observe(labels, std::chrono::duration<double>(decoded - start).count());
    if (images.empty()) return;
    batch_size->Observe(labels, double(images.size()));
    Result<std::vector<Prediction>> predictions = classifier.ClassifyBatch(images);
    inference_seconds->Observe(labels,
                               std::chrono::duration<double>(Clock::now() - decoded).count());
    for (size_t i = 0; i < pending.size(); ++i) {
      Item& item = *pending[i];
      if (!predictions.ok()) {
        item.promise.set_value(predictions.status());
        images_total->Add({labels[0], labels[1], "error"});
        continue;
      }
      Prediction p = std::move((*predictions)[i]);
      if (item.request.top_k > 0 && size_t(item.request.top_k) < p.labels.size()) {
        p.labels.resize(item.request.top_k);
      }
      if (!item.request.with_embedding) p.embedding.clear();
      item.promise.set_value(std::move(p));
      images_total->Add({labels[0], labels[1], "ok"});
    }
  }
};

ClassificationService::ClassificationService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ClassificationService::~ClassificationService() { Shutdown(); }

Result<std::unique_ptr<ClassificationService>> ClassificationService::Create(
    const ServiceOptions& options) {
  if (options.max_batch < 1 || options.max_batch > 256) {
    return InvalidArgumentError("max_batch must be in 1..256");
  }
  if (options.workers < 0 || options.workers > 256) {
    return InvalidArgumentError("workers must be in 0..256");
  }
  if (options.max_queue < 1) return InvalidArgumentError("max_queue must be >= 1");
  if (options.max_batch_delay.count() < 0 || options.max_batch_delay > std::chrono::seconds(1)) {
    return InvalidArgumentError("max_batch_delay must be in 0..1 s");
  }
  if (!(options.detect_min_score_threshold >= 0 && options.detect_min_score_threshold <= 1)) {
    return InvalidArgumentError("detect_min_score_threshold must be in [0, 1]");
  }
  if (options.detect_max_detections < 1 || options.detect_max_detections > kMaxDetections) {
    return InvalidArgumentError("detect_max_detections must be in 1.." + std::to_string(kMaxDetections));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  MetricsRegistry& r = impl->metrics;
  impl->queue_depth = &r.Gauge("vigil_queue_depth", "Images accepted and waiting for a worker");
  impl->batch_size = &r.Histogram("vigil_batch_size", "Images per inference call",
                                  {"model", "version"}, {1, 2, 4, 8, 16, 32, 64});
  impl->inference_seconds = &r.Histogram("vigil_inference_seconds", "Inference time per batch",
                                         {"model", "version"}, MetricsRegistry::LatencyBuckets());
  impl->decode_seconds = &r.Histogram("vigil_decode_seconds", "Decode time per batch",
                                      {"model", "version"}, MetricsRegistry::LatencyBuckets());
  impl->queue_seconds = &r.Histogram("vigil_queue_seconds", "Time from accept to start",
                                     {"model", "version"}, MetricsRegistry::LatencyBuckets());
  impl->images_total = &r.Counter("vigil_images_total", "Images classified, by outcome",
                                  {"model", "version", "outcome"});
  impl->models = std::make_shared<ModelSet>();
  std::unique_ptr<ClassificationService> service(new ClassificationService(std::move(impl)));
  VIGIL_RETURN_IF_ERROR(service->Reload());
  const int workers = options.workers > 0 ? options.workers
                                          : std::max(1u, std::thread::hardware_concurrency());
  for (int w = 0; w < workers; ++w) {
    service->impl_->workers.emplace_back([impl = service->impl_.get()] { impl->WorkerLoop(); });
  }
  return service;
}

Status ClassificationService::Reload() {
  Impl& impl = *impl_;
  std::lock_guard<std::mutex> reload_lock(impl.reload_mutex);
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(impl.options.model_repository));
  std::vector<ModelRef> wanted;
  if (impl.options.models.empty()) {
    for (const ModelEntry& e : repo->List()) {
      if (e.manifest.task != "classification" && e.manifest.task != "detection") continue;
      wanted.push_back({e.manifest.name, e.manifest.version});
    }
  } else {
    for (const std::string& text : impl.options.models) {
      VIGIL_ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(text));
      VIGIL_ASSIGN_OR_RETURN(ModelEntry e, repo->Find(ref));
      wanted.push_back({e.manifest.name, e.manifest.version});
    }
  }
  // Manifest task of each wanted model.
  std::vector<bool> is_detector;
  for (const ModelRef& ref : wanted) {
    VIGIL_ASSIGN_OR_RETURN(ModelEntry e, repo->Find(ref));
    is_detector.push_back(e.manifest.task == "detection");
  }
  std::shared_ptr<const ModelSet> old = impl.Snapshot();
  auto next = std::make_shared<ModelSet>();
  std::string failures;
  for (size_t w = 0; w < wanted.size(); ++w) {
    const ModelRef& ref = wanted[w];
    ModelSelection selection;
    selection.repository = impl.options.model_repository;
    selection.name = ref.name;
    selection.version = ref.version;
    selection.decode = impl.options.decode;
    if (is_detector[w]) {
      if (auto reuse = FindLoaded(old->detectors, ref.name, ref.version)) {
        next->detectors.push_back(reuse);
        continue;
      }
      DetectorOptions dopt;
      dopt.model = selection;
      dopt.max_batch = 1;
      auto d = Detector::Create(dopt);
      if (d.ok()) {
        next->detectors.push_back(std::move(*d));
      } else {
        failures += (failures.empty() ? "" : "; ") + d.status().ToString();
      }
      continue;
    }
    if (auto reuse = FindLoaded(old->classifiers, ref.name, ref.version)) {
      next->classifiers.push_back(reuse);
      continue;
    }
    ClassifierOptions co;
    co.model = selection;
    co.max_batch = impl.options.max_batch;
    auto c = ImageClassifier::Create(co);
    if (c.ok()) {
      next->classifiers.push_back(std::move(*c));
    } else {
      failures += (failures.empty() ? "" : "; ") + c.status().ToString();
    }
  }
  if (next->classifiers.empty() && next->detectors.empty()) {
    return FailedPreconditionError("no model could be loaded from " +
                                   impl.options.model_repository +
                                   (failures.empty() ? " (the repository is empty)" : ": " + failures));
  }
  {
    std::lock_guard<std::mutex> lock(impl.models_mutex);
    impl.models = std::move(next);
  }
  if (!failures.empty()) return FailedPreconditionError("some models failed to load: " + failures);
  return Status::Ok();
}

std::future<Result<Prediction>> ClassificationService::Submit(ClassifyRequest request) {
  Item item;
  std::future<Result<Prediction>> future = item.promise.get_future();
  if (Status s = impl_->Accept(std::move(request), /*detection=*/false, &item); !s.ok()) {
    item.promise.set_value(s);
  }
  return future;
}

std::future<Result<DetectionResult>> ClassificationService::SubmitDetection(ClassifyRequest request) {
  Item item;
  std::future<Result<DetectionResult>> future = item.detection_promise.get_future();
  if (Status s = impl_->Accept(std::move(request), /*detection=*/true, &item); !s.ok()) {
    item.detection_promise.set_value(s);
  }
  return future;
}

Status ClassificationService::CheckDetectParams(const DetectParams& params) const {
  return impl_->CheckDetectParams(params);
}

bool ClassificationService::IsDetector(const std::string& model, int version) const {
  return FindDetector(model, version) != nullptr;
}

std::shared_ptr<const ImageClassifier> ClassificationService::FindClassifier(const std::string& name,
                                                                             int version) const {
  return FindLoaded(impl_->Snapshot()->classifiers, name, version);
}

std::shared_ptr<const Detector> ClassificationService::FindDetector(const std::string& name,
                                                                    int version) const {
  return FindLoaded(impl_->Snapshot()->detectors, name, version);
}

std::vector<LoadedModel> ClassificationService::Models() const {
  std::vector<LoadedModel> out;
  std::shared_ptr<const ModelSet> set = impl_->Snapshot();
  for (const auto& c : set->classifiers) out.push_back({c->manifest(), c->backend_name()});
  for (const auto& d : set->detectors) out.push_back({d->manifest(), d->backend_name()});
  std::sort(out.begin(), out.end(), [](const LoadedModel& a, const LoadedModel& b) {
    return std::tie(a.manifest.name, a.manifest.version) < std::tie(b.manifest.name, b.manifest.version);
  });
  return out;
}

bool ClassificationService::Ready() const {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopping) return false;
  }
  std::shared_ptr<const ModelSet> set = impl_->Snapshot();
  return !set->classifiers.empty() || !set->detectors.empty();
}

size_t ClassificationService::QueueDepth() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->queue.size();
}

void ClassificationService::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (std::thread& t : impl_->workers) {
    if (t.joinable()) t.join();
  }
  impl_->workers.clear();
}

MetricsRegistry& ClassificationService::metrics() { return impl_->metrics; }

}  // namespace vigil
