// ClassificationService: bounded request queue, inference worker pool with dynamic batching per
// model (each model's batch size: classifiers max_batch, detectors 1), hot model reload
// (copy-on-write model set), and serving metrics. Every model runs through the ScoringModel
// interface: one queue item, one promise, one output type.
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
  std::vector<std::shared_ptr<const ScoringModel>> models;  // sorted by name, version
};

// One queued image for one model.
struct Item {
  std::shared_ptr<const ScoringModel> model;
  ClassifyRequest request;
  std::promise<Result<ModelOutput>> promise;
  Clock::time_point enqueued;
};

std::string VersionLabel(const ScoringModel& m) { return std::to_string(m.version()); }

// The model `name` at `version` among `models`; version 0 = the highest loaded.
std::shared_ptr<const ScoringModel> FindLoaded(const std::vector<std::shared_ptr<const ScoringModel>>& models,
                                               const std::string& name, int version) {
  std::shared_ptr<const ScoringModel> best;
  for (const auto& m : models) {
    if (m->name() != name || (version != 0 && m->version() != version)) continue;
    if (!best || m->version() > best->version()) best = m;
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

  // The name a request without one means: the default model if loaded, else the first loaded
  // classifier, else the first loaded model.
  std::string DefaultName(const ModelSet& set) const {
    if (FindLoaded(set.models, options.default_model, 0)) return options.default_model;
    for (const auto& m : set.models) {
      if (m->task() == "classification") return m->name();
    }
    return set.models.empty() ? std::string() : set.models[0]->name();
  }

  // The model a request names (kNotFound listing what is loaded).
  Result<std::shared_ptr<const ScoringModel>> Resolve(const std::string& name, int version) const {
    std::shared_ptr<const ModelSet> set = Snapshot();
    std::shared_ptr<const ScoringModel> found =
        FindLoaded(set->models, name.empty() ? DefaultName(*set) : name, version);
    if (!found) return NotLoaded(*set, name, version);
    return found;
  }

  static Status NotLoaded(const ModelSet& set, const std::string& name, int version) {
    std::string known;
    for (const auto& m : set.models) known += (known.empty() ? "" : ", ") + m->name() + ":" + VersionLabel(*m);
    return NotFoundError("model \"" + name + (version ? ":" + std::to_string(version) : "") +
                         "\" is not loaded (loaded: " + (known.empty() ? "none" : known) + ")");
  }

  // ValidateDetectionThresholds, then this service's bounds.
  Status CheckThresholds(const DetectionThresholds& t) const {
    VIGIL_RETURN_IF_ERROR(ValidateDetectionThresholds(t));
    const ServiceOptions& o = options;
    if (t.score_threshold >= 0 && t.score_threshold < o.detect_min_score_threshold) {
      std::ostringstream message;
      message << "score_threshold " << t.score_threshold << " is below this server's limit "
              << o.detect_min_score_threshold << " (detect_min_score_threshold)";
      return InvalidArgumentError(message.str());
    }
    if (t.max_detections > o.detect_max_detections) {
      return InvalidArgumentError("max_detections " + std::to_string(t.max_detections) +
                                  " is above this server's limit " + std::to_string(o.detect_max_detections) +
                                  " (detect_max_detections)");
    }
    return Status::Ok();
  }

  // Detection thresholds only for a detection model (`model` may be null: not loaded).
  static Status CheckTask(const ClassifyRequest& request, const ScoringModel* model) {
    if (!request.detect.any_set() || model == nullptr || model->task() == "detection") return Status::Ok();
    return InvalidArgumentError(
        "score_threshold, iou_threshold and max_detections apply to detection models only; \"" +
        (request.model.empty() ? std::string("(default model)") : request.model) + "\" is not one");
  }

  // See ClassificationService::CheckRequest.
  Status CheckRequest(const ClassifyRequest& request) const {
    if (request.top_k < 0) return InvalidArgumentError("top_k must be >= 0");
    Result<std::shared_ptr<const ScoringModel>> model = Resolve(request.model, request.version);
    VIGIL_RETURN_IF_ERROR(CheckTask(request, model.ok() ? model->get() : nullptr));
    return CheckThresholds(request.detect);
  }

  // Checks `request`, resolves its model into `item` and queues it (Enqueue). On error `item` is
  // left for the caller to fail its promise.
  Status Accept(ClassifyRequest request, Item* item) {
    VIGIL_ASSIGN_OR_RETURN(item->model, Resolve(request.model, request.version));
    if (request.top_k < 0) return InvalidArgumentError("top_k must be >= 0");
    if (request.image_bytes.empty()) return InvalidArgumentError("the image is empty");
    VIGIL_RETURN_IF_ERROR(CheckTask(request, item->model.get()));
    VIGIL_RETURN_IF_ERROR(CheckThresholds(request.detect));
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

  // Images per inference call for `model`.
  size_t BatchLimit(const ScoringModel& model) const {
    return size_t(std::max(1, std::min(options.max_batch, model.max_batch())));
  }

  // Takes queued items that can share `first`'s inference call (same model, same detection
  // thresholds) into `batch`, up to `limit` (caller holds `mutex`).
  void TakeMatching(const Item& first, size_t limit, std::vector<Item>* batch) {
    for (auto it = queue.begin(); it != queue.end() && batch->size() < limit;) {
      if (it->model == first.model && it->request.detect == first.request.detect) {
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
        const size_t limit = BatchLimit(*batch[0].model);
        TakeMatching(batch[0], limit, &batch);
        const auto fill_until = Clock::now() + options.max_batch_delay;
        while (batch.size() < limit && options.max_batch_delay.count() > 0 && !stopping) {
          if (cv.wait_until(lock, fill_until) == std::cv_status::timeout) {
            TakeMatching(batch[0], limit, &batch);
            break;
          }
          TakeMatching(batch[0], limit, &batch);
        }
        queue_depth->Set({}, double(queue.size()));
      }
      Process(&batch);
    }
  }

  // Decodes the batch's images (each possibly DCT-scaled to the model input), scores them in one
  // call, maps boxes back to each image's full resolution and narrows each output to its request.
  void Process(std::vector<Item>* batch) {
    const ScoringModel& model = *(*batch)[0].model;
    const std::vector<std::string> labels = {model.name(), VersionLabel(model)};
    const auto start = Clock::now();
    std::vector<Image> images;
    std::vector<DecodeInfo> infos;
    std::vector<Item*> pending;
    for (Item& item : *batch) {
      queue_seconds->Observe(labels, std::chrono::duration<double>(start - item.enqueued).count());
      if (start > item.request.deadline) {
        item.promise.set_value(DeadlineExceededError("request timed out in the queue"));
        continue;
      }
      DecodeInfo info;
      auto image = DecodeImage(item.request.image_bytes.data(), item.request.image_bytes.size(),
                               model.decode_options(), &info);
      if (!image.ok()) {
        item.promise.set_value(image.status());
        images_total->Add({labels[0], labels[1], "error"});
        continue;
      }
      images.push_back(std::move(*image));
      infos.push_back(info);
      pending.push_back(&item);
    }
    const auto decoded = Clock::now();
    decode_seconds->Observe(labels, std::chrono::duration<double>(decoded - start).count());
    if (images.empty()) return;
    batch_size->Observe(labels, double(images.size()));
    ScoreParams params;  // every label and the embedding; each request narrows its own below
    params.detect = pending[0]->request.detect;
    Result<std::vector<ModelOutput>> outputs = model.ScoreBatch(images, params);
    inference_seconds->Observe(labels,
                               std::chrono::duration<double>(Clock::now() - decoded).count());
    for (size_t i = 0; i < pending.size(); ++i) {
      Item& item = *pending[i];
      if (!outputs.ok()) {
        item.promise.set_value(outputs.status());
        images_total->Add({labels[0], labels[1], "error"});
        continue;
      }
      ModelOutput out = std::move((*outputs)[i]);
      if (out.image_width > 0) {  // boxes: to the file's full-resolution pixels
        int width = 0, height = 0;
        OrientedSourceSize(infos[i], &width, &height);
        RescaleDetections(&out, width, height);
      }
      ScoreParams narrow;
      narrow.top_k = item.request.top_k;
      narrow.with_embedding = item.request.with_embedding;
      NarrowOutput(narrow, &out);
      item.promise.set_value(std::move(out));
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
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(impl.options.common.repository));
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
  std::shared_ptr<const ModelSet> old = impl.Snapshot();
  auto next = std::make_shared<ModelSet>();
  std::string failures;
  for (const ModelRef& ref : wanted) {
    if (auto reuse = FindLoaded(old->models, ref.name, ref.version)) {
      next->models.push_back(reuse);
      continue;
    }
    VIGIL_ASSIGN_OR_RETURN(ModelEntry e, repo->Find(ref));
    ModelSelection selection = impl.options.common;
    selection.name = ref.name;
    selection.version = ref.version;
    auto load = [&]() -> Result<std::unique_ptr<const ScoringModel>> {
      if (e.manifest.task == "detection") {
        DetectorOptions dopt;
        dopt.model = selection;
        dopt.max_batch = 1;
        VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<const ScoringModel> d, Detector::Create(dopt));
        return d;
      }
      ClassifierOptions co;
      co.model = selection;
      co.max_batch = impl.options.max_batch;
      VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<const ScoringModel> c, ImageClassifier::Create(co));
      return c;
    };
    Result<std::unique_ptr<const ScoringModel>> model = load();
    if (model.ok()) {
      next->models.push_back(std::move(*model));
    } else {
      failures += (failures.empty() ? "" : "; ") + model.status().ToString();
    }
  }
  std::sort(next->models.begin(), next->models.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a->name(), a->version()) < std::make_tuple(b->name(), b->version());
  });
  if (next->models.empty()) {
    return FailedPreconditionError("no model could be loaded from " +
                                   impl.options.common.repository +
                                   (failures.empty() ? " (the repository is empty)" : ": " + failures));
  }
  {
    std::lock_guard<std::mutex> lock(impl.models_mutex);
    impl.models = std::move(next);
  }
  if (!failures.empty()) return FailedPreconditionError("some models failed to load: " + failures);
  return Status::Ok();
}

std::future<Result<ModelOutput>> ClassificationService::Submit(ClassifyRequest request) {
  Item item;
  std::future<Result<ModelOutput>> future = item.promise.get_future();
  if (Status s = impl_->Accept(std::move(request), &item); !s.ok()) item.promise.set_value(s);
  return future;
}

Status ClassificationService::CheckRequest(const ClassifyRequest& request) const {
  return impl_->CheckRequest(request);
}

std::shared_ptr<const ScoringModel> ClassificationService::FindModel(const std::string& name, int version) const {
  return FindLoaded(impl_->Snapshot()->models, name, version);
}

std::vector<LoadedModel> ClassificationService::Models() const {
  std::vector<LoadedModel> out;
  std::shared_ptr<const ModelSet> set = impl_->Snapshot();
  for (const auto& m : set->models) out.push_back({m->manifest(), m->backend_name()});
  return out;
}

bool ClassificationService::Ready() const {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopping) return false;
  }
  std::shared_ptr<const ModelSet> set = impl_->Snapshot();
  return !set->models.empty();
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
