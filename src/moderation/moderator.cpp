// Moderator (images): loads or borrows the policy's models, decodes each item once, runs every
// model the policy needs concurrently on the worker pool with the policy's deadline, runs cascade
// models only for categories whose first score is in the uncertain band, and combines the category
// results into one Decision. Videos: video_moderation.cpp.
#include "vigil/moderation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "moderation/moderator_impl.h"
#include "vigil/classifier.h"
#include "vigil/detector.h"
#include "vigil/model_repository.h"
#include "vigil/text_checks.h"

namespace vigil {

using moderation::CategoryPlan;
using moderation::ModelSlot;

namespace {

std::string SlotKey(const std::string& name, int version) { return name + ":" + std::to_string(version); }

// Models the moderator loaded itself, handed out like a service's.
class OwnedModels : public ModelProvider {
 public:
  std::shared_ptr<const ScoringModel> FindModel(const std::string& name, int version) const override {
    std::shared_ptr<const ScoringModel> best;
    for (const auto& m : models_) {
      if (m->name() != name) continue;
      if (version > 0 ? m->version() == version : (best == nullptr || m->version() > best->version())) best = m;
    }
    return best;
  }
  std::vector<std::shared_ptr<const ScoringModel>> models_;
};

Result<std::unique_ptr<OwnedModels>> LoadModels(const Policy& policy, const ModelSelection& common) {
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Open(common.repository));
  auto owned = std::make_unique<OwnedModels>();
  for (const std::string& text : PolicyModelRefs(policy)) {
    VIGIL_ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(text));
    Result<ModelEntry> entry = repo->Find(ref);
    if (!entry.ok()) {
      return InvalidArgumentError("policy " + policy.name + ": model '" + text + "': " + entry.status().message());
    }
    ModelSelection selection = common;
    selection.name = entry->manifest.name;
    selection.version = entry->manifest.version;
    if (entry->manifest.task == "detection") {
      DetectorOptions o;
      o.model = selection;
      VIGIL_ASSIGN_OR_RETURN(auto d, Detector::Create(o));
      owned->models_.push_back(std::move(d));
    } else {
      ClassifierOptions o;
      o.model = selection;
      o.top_k = 0;
      o.with_embedding = false;
      VIGIL_ASSIGN_OR_RETURN(auto c, ImageClassifier::Create(o));
      owned->models_.push_back(std::move(c));
    }
  }
  return owned;
}

}  // namespace

Moderator::Moderator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Moderator::~Moderator() = default;

Result<std::unique_ptr<Moderator>> Moderator::Create(const ModeratorOptions& options, const ModelProvider* models) {
  if (options.policy.categories.empty()) return InvalidArgumentError("moderator: the policy has no categories");
  if (options.workers < 0 || options.workers > 256) return InvalidArgumentError("moderator: workers must be 0..256");
  if (options.deadline_ms < 0) return InvalidArgumentError("moderator: deadline_ms must be >= 0");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::unique_ptr<OwnedModels> owned;
  if (models == nullptr) {
    VIGIL_ASSIGN_OR_RETURN(owned, LoadModels(options.policy, options.common));
    models = owned.get();
  }
  VIGIL_RETURN_IF_ERROR(CheckPolicyModels(options.policy, *models));

  // One slot per distinct model; categories point at their slots.
  std::map<std::string, int> slot_of;
  auto slot = [&](const std::string& name, int version) {
    std::shared_ptr<const ScoringModel> m = models->FindModel(name, version);
    const std::string key = SlotKey(m->name(), m->version());
    auto it = slot_of.find(key);
    if (it != slot_of.end()) return it->second;
    ModelSlot s;
    s.model = m;
    impl->slots.push_back(std::move(s));
    impl->versions.push_back({m->name(), m->version()});
    slot_of[key] = int(impl->slots.size()) - 1;
    return int(impl->slots.size()) - 1;
  };
  for (const PolicyCategory& c : options.policy.categories) {
    moderation::CategoryPlan plan;
    plan.primary = slot(c.signal.model, c.signal.version);
    if (c.cascade) plan.second = slot(c.cascade->model, c.cascade->version);
    impl->plans.push_back(plan);
  }
  // Detection signals with a min_score below the detector's threshold need that call threshold.
  int min_width = 0, min_height = 0;
  for (size_t i = 0; i < impl->slots.size(); ++i) {
    ModelSlot& s = impl->slots[i];
    const ModelManifest& m = s.model->manifest();
    min_width = std::max(min_width, m.input.width);
    min_height = std::max(min_height, m.input.height);
    if (s.model->task() != "detection") continue;
    float lowest = 1;
    for (size_t c = 0; c < options.policy.categories.size(); ++c) {
      const moderation::CategoryPlan& p = impl->plans[c];
      if (p.primary == int(i) || p.second == int(i)) {
        lowest = std::min(lowest, options.policy.categories[c].signal.min_score);
      }
    }
    // The manifest of a loaded detector holds the thresholds in effect.
    const float model_threshold = m.detection.score_threshold;
    if (lowest > 0 && lowest < model_threshold) s.params.detect.score_threshold = std::max(lowest, 0.01f);
  }
  impl->decode = options.common.decode;
  if (options.common.scaled_decode) {
    if (impl->decode.min_width == 0) impl->decode.min_width = min_width;
    if (impl->decode.min_height == 0) impl->decode.min_height = min_height;
  } else {
    impl->decode.min_width = impl->decode.min_height = 0;
  }
  int workers = options.workers;
  if (workers == 0) workers = int(std::max(1u, std::thread::hardware_concurrency()));
  impl->pool = std::make_unique<moderation::TaskPool>(workers);
  return std::unique_ptr<Moderator>(new Moderator(std::move(impl)));
}

const Policy& Moderator::policy() const { return impl_->options.policy; }
const std::vector<ModelVersion>& Moderator::models() const { return impl_->versions; }
const DecodeOptions& Moderator::decode_options() const { return impl_->decode; }
Moderator::Stats Moderator::stats() const {
  Stats s;
  s.model_runs = impl_->model_runs.load();
  s.cascade_skipped = impl_->cascade_skipped.load();
  return s;
}

std::chrono::milliseconds Moderator::Impl::deadline() const {
  return std::chrono::milliseconds(options.deadline_ms > 0 ? options.deadline_ms : options.policy.model_deadline_ms);
}

std::vector<Result<std::vector<ModelOutput>>> Moderator::Impl::RunModels(
    const std::vector<int>& slot_ids, std::shared_ptr<const std::vector<Image>> images,
    std::chrono::steady_clock::time_point deadline) const {
  std::vector<std::future<Result<std::vector<ModelOutput>>>> futures;
  for (int id : slot_ids) {
    auto promise = std::make_shared<std::promise<Result<std::vector<ModelOutput>>>>();
    futures.push_back(promise->get_future());
    std::shared_ptr<const ScoringModel> model = slots[id].model;
    ScoreParams params = slots[id].params;
    params.deadline = deadline;
    model_runs += 1;
    // The task owns what it uses: a caller that stopped waiting may already be gone.
    pool->Post([promise, model, params, images] {
      if (std::chrono::steady_clock::now() >= params.deadline) {
        promise->set_value(DeadlineExceededError("not started before the deadline"));
        return;
      }
      promise->set_value(model->ScoreBatch(*images, params));
    });
  }
  std::vector<Result<std::vector<ModelOutput>>> out;
  for (size_t i = 0; i < futures.size(); ++i) {
    if (futures[i].wait_until(deadline) != std::future_status::ready) {
      out.push_back(DeadlineExceededError("no answer within " + std::to_string(this->deadline().count()) + " ms"));
      continue;
    }
    Result<std::vector<ModelOutput>> r = futures[i].get();
    if (r.ok() && r->size() != images->size()) {
      r = InternalError("returned " + std::to_string(r->size()) + " outputs for " +
                        std::to_string(images->size()) + " images");
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<CategoryResult>> Moderator::Impl::ScoreImages(const std::vector<Image>& batch,
                                                                      const std::vector<int>& widths,
                                                                      const std::vector<int>& heights) const {
  const Policy& policy = options.policy;
  const auto deadline = std::chrono::steady_clock::now() + this->deadline();
  auto images = std::make_shared<const std::vector<Image>>(batch);
  const size_t n = batch.size();

  // Stage 1: every primary model (and, without cascades, the second models instead).
  std::vector<int> stage1;
  auto add = [](std::vector<int>* v, int id) {
    if (std::find(v->begin(), v->end(), id) == v->end()) v->push_back(id);
  };
  for (const CategoryPlan& p : plans) {
    if (p.second >= 0 && !options.cascade) add(&stage1, p.second);
    else add(&stage1, p.primary);
  }
  std::map<int, Result<std::vector<ModelOutput>>> results;
  {
    auto r = RunModels(stage1, images, deadline);
    for (size_t i = 0; i < stage1.size(); ++i) results.emplace(stage1[i], std::move(r[i]));
  }
  auto rescale = [&](std::vector<ModelOutput>* outs) {
    for (size_t k = 0; k < outs->size(); ++k) {
      if ((*outs)[k].image_width > 0) RescaleDetections(&(*outs)[k], widths[k], heights[k]);
    }
  };
  for (auto& [id, r] : results) {
    if (r.ok()) rescale(&*r);
  }

  std::vector<std::vector<CategoryResult>> out(n, std::vector<CategoryResult>(policy.categories.size()));
  // Per item, categories still waiting for their cascade model.
  std::vector<std::vector<size_t>> pending(n);
  for (size_t c = 0; c < policy.categories.size(); ++c) {
    const PolicyCategory& cat = policy.categories[c];
    const CategoryPlan& plan = plans[c];
    const int id = plan.second >= 0 && !options.cascade ? plan.second : plan.primary;
    const Result<std::vector<ModelOutput>>& r = results.at(id);
    const ScoringModel& m = *slots[id].model;
    for (size_t k = 0; k < n; ++k) {
      if (!r.ok()) {
        out[k][c] = FailedCategory(policy, cat, m.name(), m.version(), r.status());
        continue;
      }
      std::vector<CategoryEvidence> ev;
      const double raw = SignalScore(cat.signal, (*r)[k], widths[k], heights[k], &ev);
      if (plan.second >= 0 && options.cascade && raw >= cat.cascade->low && raw < cat.cascade->high) {
        pending[k].push_back(c);
        out[k][c].raw_score = raw;  // kept for the reason
        continue;
      }
      out[k][c] = DecideCategory(cat, raw);
      out[k][c].model = m.name();
      out[k][c].model_version = m.version();
      out[k][c].evidence = std::move(ev);
      if (plan.second >= 0 && options.cascade) {
        out[k][c].reason += "; " + m.name() + " score outside the cascade band, " +
                            slots[plan.second].model->name() + " not run";
      }
    }
  }

  // Stage 2: cascade models, on the items that need them.
  std::map<int, std::vector<size_t>> items_of;  // slot -> items
  for (size_t k = 0; k < n; ++k) {
    for (size_t c : pending[k]) {
      std::vector<size_t>& v = items_of[plans[c].second];
      if (v.empty() || v.back() != k) v.push_back(k);
    }
  }
  if (options.cascade) {
    std::vector<int> cascade_slots;
    for (const CategoryPlan& p : plans) {
      if (p.second >= 0) add(&cascade_slots, p.second);
    }
    for (int id : cascade_slots) {
      const size_t used = items_of.count(id) ? items_of[id].size() : 0;
      cascade_skipped += int64_t(n - used);
    }
  }
  for (auto& [id, items] : items_of) {
    std::vector<Image> subset;
    std::vector<int> w, h;
    for (size_t k : items) {
      subset.push_back(batch[k]);
      w.push_back(widths[k]);
      h.push_back(heights[k]);
    }
    auto sub = std::make_shared<const std::vector<Image>>(std::move(subset));
    Result<std::vector<ModelOutput>> r = std::move(RunModels({id}, sub, deadline)[0]);
    if (r.ok()) {
      for (size_t j = 0; j < r->size(); ++j) {
        if ((*r)[j].image_width > 0) RescaleDetections(&(*r)[j], w[j], h[j]);
      }
    }
    const ScoringModel& m = *slots[id].model;
    for (size_t j = 0; j < items.size(); ++j) {
      const size_t k = items[j];
      for (size_t c : pending[k]) {
        if (plans[c].second != id) continue;
        const PolicyCategory& cat = policy.categories[c];
        const double first = out[k][c].raw_score;
        if (!r.ok()) {
          out[k][c] = FailedCategory(policy, cat, m.name(), m.version(), r.status());
          continue;
        }
        std::vector<CategoryEvidence> ev;
        const double raw = SignalScore(cat.signal, (*r)[j], w[j], h[j], &ev);
        out[k][c] = DecideCategory(cat, raw);
        out[k][c].model = m.name();
        out[k][c].model_version = m.version();
        out[k][c].evidence = std::move(ev);
        char buf[96];
        std::snprintf(buf, sizeof buf, "; first model %.4f in the cascade band, ", first);
        out[k][c].reason += buf + m.name() + " decided";
      }
    }
  }
  return out;
}

void moderation::FinishDecision(const Policy& policy, const std::vector<ModelVersion>& models, Decision* d) {
  d->policy_name = policy.name;
  d->policy_version = policy.version;
  d->models = models;
  d->outcome = Outcome::kAllow;
  const CategoryResult* decider = nullptr;
  for (const CategoryResult& c : d->categories) {
    if (c.outcome > d->outcome || (c.outcome == d->outcome && c.outcome != Outcome::kAllow &&
                                   decider != nullptr && c.severity > decider->severity)) {
      d->outcome = c.outcome;
      decider = &c;
    }
  }
  if (decider == nullptr) {
    d->action = "none";
    d->reason = "every category below review_at";
  } else {
    d->action = decider->action;
    d->reason = decider->name + ": " + decider->reason;
  }
  d->id = DecisionId(d->content_sha256, d->policy_version, d->models);
  d->created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<Decision> Moderator::ModerateImage(const Image& image, const std::string& content_sha256,
                                          const DecodeInfo* info) const {
  const auto start = std::chrono::steady_clock::now();
  if (image.empty()) return InvalidArgumentError("moderate: empty image");
  int w = image.width, h = image.height;
  if (info != nullptr) OrientedSourceSize(*info, &w, &h);
  std::vector<std::vector<CategoryResult>> r = impl_->ScoreImages({image}, {w}, {h});
  Decision d;
  d.media_type = "image";
  d.content_sha256 = content_sha256;
  d.categories = std::move(r[0]);
  moderation::FinishDecision(impl_->options.policy, impl_->versions, &d);
  d.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return d;
}

Result<Decision> Moderator::ModerateBytes(const uint8_t* data, size_t size) const {
  const auto start = std::chrono::steady_clock::now();
  DecodeInfo info;
  VIGIL_ASSIGN_OR_RETURN(Image image, DecodeImage(data, size, impl_->decode, &info));
  VIGIL_ASSIGN_OR_RETURN(Decision d, ModerateImage(image, Sha256Hex(data, size), &info));
  d.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return d;
}

Result<Decision> Moderator::ModerateFile(const std::string& path) const {
  const auto start = std::chrono::steady_clock::now();
  VIGIL_RETURN_IF_ERROR(CheckText(path, "image path"));
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path, impl_->decode.max_bytes));
  VIGIL_ASSIGN_OR_RETURN(Decision d, ModerateBytes(bytes.data(), bytes.size()));
  d.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return d;
}

}  // namespace vigil
