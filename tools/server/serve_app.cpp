// ServeApp: builds and owns the parts of `vigil serve` (see serve_app.h).
#include "serve_app.h"

#include <filesystem>

#include "callback_sender.h"
#include "bank_routes.h"
#include "classify_routes.h"
#include "health_routes.h"
#include "http_server.h"
#include "model_routes.h"
#include "openapi.h"
#include "upload_file.h"
#include "vigil/jobs.h"
#include "vigil/video_moderate_job.h"
#include "vigil/video_tag_job.h"

namespace vigil::server {

Status RegisterAllRoutes(Router& router, const ServerConfig& config, ClassificationService* service,
                         const JobServices& jobs, BankMatcher* banks, ModerationServices moderation) {
  VIGIL_RETURN_IF_ERROR(RegisterClassifyRoutes(router, config, service));
  VIGIL_RETURN_IF_ERROR(RegisterBankRoutes(router, config, banks));
  VIGIL_RETURN_IF_ERROR(RegisterModelRoutes(router, config, service));
  VIGIL_RETURN_IF_ERROR(RegisterJobRoutes(router, config, jobs));
  moderation.jobs = jobs;
  if (moderation.state == nullptr && moderation.off_reason.empty()) moderation.off_reason = "not configured";
  VIGIL_RETURN_IF_ERROR(RegisterModerateRoutes(router, config, moderation));
  VIGIL_RETURN_IF_ERROR(RegisterHealthRoutes(router, config, service, jobs.runner));
  return RegisterOpenApiRoute(router);
}

// Destroyed in reverse order: the HTTP server before the runner, the runner before the store.
struct ServeApp::Parts {
  ServerConfig config;
  std::unique_ptr<ClassificationService> service;
  std::unique_ptr<BankMatcher> banks;
  std::unique_ptr<ModerationState> moderation;  // null: moderation off (moderation_off_reason)
  std::string moderation_off_reason;
  std::unique_ptr<JobStore> store;
  std::unique_ptr<CallbackSender> callbacks;
  std::unique_ptr<JobRunner> runner;
  std::unique_ptr<RequestMetrics> request_metrics;
  std::unique_ptr<HttpServer> http;
  bool shut_down = false;
};

ServeApp::ServeApp() : parts_(std::make_unique<Parts>()) {}

ServeApp::~ServeApp() { Shutdown(); }

namespace {

// Jobs: store, callback sender, runner with the video.tag handler (the runner re-queues jobs whose
// lease expired: a crashed run).
Status StartJobs(const ServerConfig& config, ClassificationService* service, ModerationState* moderation,
                 std::unique_ptr<JobStore>* store, std::unique_ptr<CallbackSender>* callbacks,
                 std::unique_ptr<JobRunner>* runner) {
  JobStoreOptions store_options;
  store_options.database = config.jobs.database;
  VIGIL_ASSIGN_OR_RETURN(*store, JobStore::Open(store_options));
  *callbacks = std::make_unique<CallbackSender>(config.callbacks, store->get(), &service->metrics());
  JobRunnerOptions runner_options;
  runner_options.workers = config.jobs.workers;
  runner_options.max_attempts = config.jobs.max_attempts;
  runner_options.drain_timeout = std::chrono::seconds(config.jobs.drain_timeout_seconds);
  runner_options.metrics = &service->metrics();
  runner_options.retention = std::chrono::hours(config.jobs.retention_hours);
  const std::filesystem::path uploads = std::filesystem::absolute(config.jobs.data_dir).lexically_normal();
  const bool keep_uploads = config.jobs.keep_uploads;
  CallbackSender* sender = callbacks->get();
  runner_options.on_final = [uploads, keep_uploads, sender](const Job& job) {
    const std::filesystem::path input = std::filesystem::absolute(job.input).lexically_normal();
    if (!keep_uploads && input.parent_path() == uploads) {
      std::error_code ec;
      std::filesystem::remove(input, ec);
    }
    sender->Enqueue(job);
  };
  VIGIL_ASSIGN_OR_RETURN(*runner, JobRunner::Create(store->get(), runner_options));
  VideoTagJobOptions video_options;
  video_options.model_repository = config.service.common.repository;
  video_options.default_models = {config.service.default_model};
  video_options.time_budget_s = config.jobs.time_budget_seconds;
  video_options.sampler_limits = config.jobs.sampler_limits;
  video_options.max_cached_taggers = config.jobs.cached_taggers;
  video_options.models = service;  // taggers run the service's loaded models
  video_options.metrics = &service->metrics();
  VIGIL_ASSIGN_OR_RETURN(auto video_handler, CreateVideoTagJobHandler(video_options));
  VIGIL_RETURN_IF_ERROR((*runner)->RegisterHandler(kVideoTagJobKind, std::move(video_handler)));
  if (moderation != nullptr) {
    VideoModerateJobOptions moderate_options;
    moderate_options.moderator = [moderation] { return moderation->current(); };
    moderate_options.store = &moderation->store();
    moderate_options.default_sampler = config.moderation.video_sampler;
    moderate_options.sampler_limits = config.jobs.sampler_limits;
    moderate_options.time_budget_s = config.jobs.time_budget_seconds;
    moderate_options.on_decision = [moderation](const Decision& d) { moderation->Count(d); };
    VIGIL_ASSIGN_OR_RETURN(auto moderate_handler, CreateVideoModerateJobHandler(moderate_options));
    VIGIL_RETURN_IF_ERROR((*runner)->RegisterHandler(kVideoModerateJobKind, std::move(moderate_handler)));
  }
  VIGIL_RETURN_IF_ERROR((*runner)->Start());
  // After Start: jobs that ran out of attempts while recovering are final, their uploads orphans.
  UploadFile::RemoveOrphans(config.jobs.data_dir, **store);
  return (*callbacks)->Start();
}

// Moderation: an explicitly configured policy must load (else the start-up fails); the default
// one may be missing or need models that are not loaded, which turns moderation off.
Status StartModeration(const ServerConfig& config, ClassificationService* service,
                       std::unique_ptr<ModerationState>* state, std::string* off_reason) {
  if (!config.moderation.enabled) {
    *off_reason = "moderation.enabled is false";
    return Status::Ok();
  }
  const bool explicit_policy = !config.moderation.policy.empty();
  const std::string path = explicit_policy ? config.moderation.policy : config.moderation.default_policy;
  if (!explicit_policy && !std::filesystem::exists(path)) {
    *off_reason = "no policy file (moderation.policy; default " + path + ")";
    return Status::Ok();
  }
  Result<std::unique_ptr<ModerationState>> created =
      ModerationState::Create(config, path, service, &service->metrics());
  if (created.ok()) {
    *state = std::move(*created);
    return Status::Ok();
  }
  if (explicit_policy || created.status().code() != StatusCode::kInvalidArgument) {
    return created.status().WithContext("moderation.policy " + path);
  }
  *off_reason = "the default policy " + path + " cannot be used: " + created.status().message();
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ServeApp>> ServeApp::Create(const ServerConfig& config) {
  VIGIL_RETURN_IF_ERROR(ValidateServerConfig(config));
  std::unique_ptr<ServeApp> app(new ServeApp());
  Parts& p = *app->parts_;
  p.config = config;
  VIGIL_ASSIGN_OR_RETURN(p.service, ClassificationService::Create(config.service));
  if (config.banks.enabled) {
    const std::string& database = config.banks.database.empty() ? config.jobs.database : config.banks.database;
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<BankStore> bank_store, OpenBankStore(database));
    BankMatcherOptions bank_options;
    bank_options.refresh_seconds = config.banks.refresh_seconds;
    VIGIL_ASSIGN_OR_RETURN(p.banks, BankMatcher::Create(std::move(bank_store), bank_options));
  }
  VIGIL_RETURN_IF_ERROR(StartModeration(config, p.service.get(), &p.moderation, &p.moderation_off_reason));
  if (config.jobs.enabled) {
    VIGIL_RETURN_IF_ERROR(
        StartJobs(config, p.service.get(), p.moderation.get(), &p.store, &p.callbacks, &p.runner));
  }
  p.request_metrics = std::make_unique<RequestMetrics>(p.service->metrics());
  auto router = std::make_unique<Router>(config.api_keys, p.request_metrics.get(), config.max_body_bytes);
  VIGIL_RETURN_IF_ERROR(RegisterAllRoutes(*router, config, p.service.get(), {p.store.get(), p.runner.get()},
                                          p.banks.get(), {p.moderation.get(), p.moderation_off_reason, {}}));
  VIGIL_ASSIGN_OR_RETURN(p.http, HttpServer::Create(config, std::move(router), &p.service->metrics()));
  return app;
}

Result<int> ServeApp::Bind() { return parts_->http->Bind(); }

Status ServeApp::Serve() { return parts_->http->Serve(); }

void ServeApp::Stop() {
  if (parts_->http) parts_->http->Stop();
}

void ServeApp::Shutdown() {
  Parts& p = *parts_;
  if (p.shut_down) return;
  p.shut_down = true;
  Stop();
  if (p.runner) p.runner->Shutdown();  // drain or re-queue running jobs
  if (p.callbacks) p.callbacks->Stop();
  if (p.service) p.service->Shutdown();
}

std::string ServeApp::LoadedModelsText() const {
  std::string models;
  for (const LoadedModel& m : parts_->service->Models()) {
    models += (models.empty() ? "" : ", ") + m.manifest.name + ":" + std::to_string(m.manifest.version) + " (" +
              m.backend + ")";
  }
  return models;
}

bool ServeApp::jobs_enabled() const { return parts_->runner != nullptr; }

std::string ServeApp::ModerationText() const {
  if (!parts_->moderation) return "moderation off: " + parts_->moderation_off_reason;
  const Policy& policy = parts_->moderation->current()->policy();
  return "policy " + policy.name + " " + policy.version.substr(0, 19) + " (" + parts_->moderation->policy_path() + ")";
}

}  // namespace vigil::server
