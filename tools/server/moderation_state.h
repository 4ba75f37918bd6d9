// ModerationState: the moderation side of `vigil serve`. It holds the current Moderator (the policy
// file's policy over the service's loaded models: no second copy of the weights), swapped
// atomically by Reload(); the DecisionStore in the jobs database; and the moderation metrics
// (vigil_moderation_decisions_total{media,outcome,category}, vigil_moderation_seconds{media}),
// whose labels come only from the policy (category names) and fixed sets, never from requests.
//
//   VIGIL_ASSIGN_OR_RETURN(auto moderation, ModerationState::Create(config, service, &registry));
//   VIGIL_ASSIGN_OR_RETURN(Decision d, moderation->DecideImage(bytes));   // recorded and counted
//   Result<PolicyInfo> reloaded = moderation->Reload();   // a bad file keeps the old policy
//
// Thread-safety: every method is thread-safe; a request holds the moderator it started with
// (shared_ptr), so a reload never changes a decision half-way.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "server_config.h"
#include "vigil/decision_store.h"
#include "vigil/metrics.h"
#include "vigil/model_provider.h"
#include "vigil/moderation.h"

namespace vigil::server {

class ModerationState {
 public:
  // Loads `policy_path`, checks it against `models` (the service), creates the moderator (decode
  // limits and backend from config.service.common, as `vigil moderate`) and opens the decision
  // store on config.jobs.database. `models` and `metrics` (may be null) must outlive the state.
  static Result<std::unique_ptr<ModerationState>> Create(const ServerConfig& config, const std::string& policy_path,
                                                         const ModelProvider* models, MetricsRegistry* metrics);

  // The moderator in use now (never null).
  std::shared_ptr<const Moderator> current() const;
  const std::string& policy_path() const { return policy_path_; }
  DecisionStore& store() { return *store_; }

  // Re-reads the policy file, validates it against the loaded models and swaps it in; on any
  // error (kInvalidArgument, kNotFound) the old policy stays. Returns the moderator now in use.
  Result<std::shared_ptr<const Moderator>> Reload();

  // Moderates image bytes with the current moderator, records the decision (idempotent: the
  // stored one is returned) and counts it.
  Result<Decision> DecideImage(const std::string& bytes);
  // Counts a decision (images and videos) in the moderation metrics.
  void Count(const Decision& decision) const;

 private:
  ModerationState() = default;
  Result<std::shared_ptr<const Moderator>> Build(const std::string& path) const;

  ModeratorOptions base_;  // everything but the policy
  std::string policy_path_;
  const ModelProvider* models_ = nullptr;
  std::unique_ptr<DecisionStore> store_;
  MetricFamily* decisions_ = nullptr;
  MetricFamily* latency_ = nullptr;
  std::mutex reload_mutex_;  // one reload at a time
  std::shared_ptr<const Moderator> moderator_;  // atomic_load / atomic_store
};

// The deciding category of a decision: the most severe category whose outcome is the decision's
// ("none" when allowed or when no category decided, e.g. every model failed).
std::string DecidingCategory(const Decision& decision);

}  // namespace vigil::server
