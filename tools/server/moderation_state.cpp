// ModerationState (see moderation_state.h): policy loading and atomic reload over the service's
// models, decisions recorded in the store, moderation metrics.
#include "moderation_state.h"

#include <chrono>

namespace vigil::server {

std::string DecidingCategory(const Decision& d) {
  if (d.outcome == Outcome::kAllow) return "none";
  const CategoryResult* best = nullptr;
  for (const CategoryResult& c : d.categories) {
    if (c.outcome == d.outcome && (best == nullptr || c.severity > best->severity)) best = &c;
  }
  return best ? best->name : "none";
}

Result<std::unique_ptr<ModerationState>> ModerationState::Create(const ServerConfig& config,
                                                                 const std::string& policy_path,
                                                                 const ModelProvider* models,
                                                                 MetricsRegistry* metrics) {
  if (models == nullptr) return InvalidArgumentError("moderation: no model provider");
  std::unique_ptr<ModerationState> state(new ModerationState());
  state->base_.common = config.service.common;
  state->base_.workers = config.service.workers;
  state->policy_path_ = policy_path;
  state->models_ = models;
  VIGIL_ASSIGN_OR_RETURN(state->moderator_, state->Build(policy_path));
  VIGIL_ASSIGN_OR_RETURN(state->store_, DecisionStore::Open(config.jobs.database));
  if (metrics != nullptr) {
    state->decisions_ = &metrics->Counter("vigil_moderation_decisions_total",
                                          "Moderation decisions by media type, outcome and deciding policy category",
                                          {"media", "outcome", "category"});
    state->latency_ = &metrics->Histogram("vigil_moderation_seconds", "Time to decide one item (decode and models)",
                                          {"media"}, MetricsRegistry::LatencyBuckets());
  }
  return state;
}

Result<std::shared_ptr<const Moderator>> ModerationState::Build(const std::string& path) const {
  VIGIL_ASSIGN_OR_RETURN(Policy policy, LoadPolicyFile(path));
  ModeratorOptions options = base_;
  options.policy = std::move(policy);
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Moderator> moderator, Moderator::Create(options, models_));
  return std::shared_ptr<const Moderator>(std::move(moderator));
}

std::shared_ptr<const Moderator> ModerationState::current() const { return std::atomic_load(&moderator_); }

Result<std::shared_ptr<const Moderator>> ModerationState::Reload() {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<const Moderator> fresh, Build(policy_path_));
  std::atomic_store(&moderator_, fresh);
  return fresh;
}

Result<Decision> ModerationState::DecideImage(const std::string& bytes) {
  std::shared_ptr<const Moderator> moderator = current();
  VIGIL_ASSIGN_OR_RETURN(Decision decision,
                         moderator->ModerateBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  Count(decision);
  return store_->Record(decision);  // the stored decision when this content was decided before
}

void ModerationState::Count(const Decision& d) const {
  if (decisions_ == nullptr) return;
  const std::string media = d.media_type == "video" ? "video" : "image";
  decisions_->Add({media, OutcomeName(d.outcome), DecidingCategory(d)});
  latency_->Observe({media}, d.latency_ms / 1000.0);
}

}  // namespace vigil::server
