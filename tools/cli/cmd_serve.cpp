// `vigil serve [--config vigil.yaml]`: start the HTTP service on the model repository, with the
// job store (SQLite), the job runner and the callback sender.
// SIGINT/SIGTERM stop accepting connections, finish in-flight requests and queued work, let running
// jobs finish within jobs.drain_timeout_seconds (then re-queue them), then exit.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "../server/callback_sender.h"
#include "../server/http_server.h"
#include "../server/upload_file.h"
#include "vigil/video_tag_job.h"
#include "cli_common.h"
#include "commands.h"

namespace vigil::cli {
namespace {

struct ServeArgs {
  std::string config;
  std::string host;
  int port = -1;
  std::string models_dir;
  std::string database;
  int workers = -1;
  int max_batch = -1;
};

int RunServe(const ServeArgs& args) {
  server::ServerConfig config;
  config.service.model_repository = DefaultModelRepository();
  if (!args.config.empty()) {
    Status s = server::LoadServerConfigFile(args.config, &config);
    if (!s.ok()) return ReportError(s);
  }
  if (!args.host.empty()) config.host = args.host;
  if (args.port >= 0) config.port = args.port;
  if (!args.models_dir.empty()) config.service.model_repository = args.models_dir;
  if (!args.database.empty()) config.jobs.database = args.database;
  if (args.workers >= 0) config.service.workers = args.workers;
  if (args.max_batch > 0) config.service.max_batch = args.max_batch;
  server::NormalizeServerConfig(&config);
  Status valid = server::ValidateServerConfig(config);
  if (!valid.ok()) return ReportError(valid);

  // Block the stop signals in every thread; one thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto service = ClassificationService::Create(config.service);
  if (!service.ok()) return ReportError(service.status());
  // Jobs: store, callback sender, runner (the runner re-queues jobs whose lease expired: a crashed run).
  std::unique_ptr<JobStore> store;
  std::unique_ptr<server::CallbackSender> callbacks;
  std::unique_ptr<JobRunner> runner;
  if (config.jobs.enabled) {
    JobStoreOptions store_options;
    store_options.database = config.jobs.database;
    auto opened = JobStore::Open(store_options);
    if (!opened.ok()) return ReportError(opened.status());
    store = std::move(*opened);
    callbacks = std::make_unique<server::CallbackSender>(config.callbacks, store.get(), &(*service)->metrics());
    JobRunnerOptions runner_options;
    runner_options.workers = config.jobs.workers;
    runner_options.max_attempts = config.jobs.max_attempts;
    runner_options.drain_timeout = std::chrono::seconds(config.jobs.drain_timeout_seconds);
    runner_options.metrics = &(*service)->metrics();
    runner_options.retention = std::chrono::hours(config.jobs.retention_hours);
    const std::filesystem::path uploads = std::filesystem::absolute(config.jobs.data_dir).lexically_normal();
    const bool keep_uploads = config.jobs.keep_uploads;
    server::CallbackSender* sender = callbacks.get();
    runner_options.on_final = [uploads, keep_uploads, sender](const Job& job) {
      const std::filesystem::path input = std::filesystem::absolute(job.input).lexically_normal();
      if (!keep_uploads && input.parent_path() == uploads) {
        std::error_code ec;
        std::filesystem::remove(input, ec);
      }
      sender->Enqueue(job);
    };
    auto created = JobRunner::Create(store.get(), runner_options);
    if (!created.ok()) return ReportError(created.status());
    runner = std::move(*created);
    VideoTagJobOptions video_options;
    video_options.model_repository = config.service.model_repository;
    video_options.default_models = {config.service.default_model};
    video_options.time_budget_s = config.jobs.time_budget_seconds;
    video_options.max_cached_taggers = config.jobs.cached_taggers;
    video_options.models = service->get();  // taggers run the service's loaded models
    video_options.metrics = &(*service)->metrics();
    auto video_handler = CreateVideoTagJobHandler(video_options);
    if (!video_handler.ok()) return ReportError(video_handler.status());
    Status registered = runner->RegisterHandler(kVideoTagJobKind, std::move(*video_handler));
    if (!registered.ok()) return ReportError(registered);
    Status started = runner->Start();
    if (!started.ok()) return ReportError(started);
    // After Start: jobs that ran out of attempts while recovering are final, their uploads orphans.
    server::UploadFile::RemoveOrphans(config.jobs.data_dir, *store);
    started = callbacks->Start();
    if (!started.ok()) return ReportError(started);
  }
  auto http = server::HttpServer::Create(config, service->get(), {store.get(), runner.get()});
  if (!http.ok()) return ReportError(http.status());
  auto port = (*http)->Bind();
  if (!port.ok()) return ReportError(port.status());
  std::string models;
  for (const LoadedModel& m : (*service)->Models()) {
    models += (models.empty() ? "" : ", ") + m.manifest.name + ":" + std::to_string(m.manifest.version) +
              " (" + m.backend + ")";
  }
  std::printf("vigil serve: listening on http://%s:%d with %s\n", config.host.c_str(), *port,
              models.c_str());
  std::printf("try: curl -s -H 'Content-Type: image/jpeg' --data-binary @photo.jpg "
              "'http://%s:%d/v1/images:classify?top_k=3'\n", config.host.c_str(), *port);
  if (runner) {
    std::printf("     curl -s -H 'Content-Type: video/mp4' --data-binary @clip.mp4 "
                "'http://%s:%d/v1/videos:tag?sampler=keyframes'   (jobs in %s)\n",
                config.host.c_str(), *port, config.jobs.database.c_str());
  }
  std::fflush(stdout);

  server::HttpServer* server_ptr = http->get();
  std::thread stopper([&signals, server_ptr] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "vigil serve: signal %d, draining and stopping\n", sig);
    server_ptr->Stop();
  });
  Status served = (*http)->Serve();
  // Serve returned: either a signal stopped it, or it failed; make sure the stopper ends.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  if (runner) runner->Shutdown();  // drain or re-queue running jobs
  if (callbacks) callbacks->Stop();
  (*service)->Shutdown();
  if (!served.ok()) return ReportError(served);
  std::fprintf(stderr, "vigil serve: stopped\n");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the REST API (docs/http-api.md)");
  cmd->add_option("-c,--config", args->config, "YAML configuration file");
  cmd->add_option("--host", args->host, "Listen address (default 127.0.0.1)");
  cmd->add_option("-p,--port", args->port, "Port (default 8080; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--models", args->models_dir, "Model repository");
  cmd->add_option("--database", args->database, "Job database: an SQLite file (default .vigil/vigil.db) or a postgresql:// URL");
  cmd->add_option("--workers", args->workers, "Inference workers (default: cores)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--max-batch", args->max_batch, "Dynamic batching: images per inference call")
      ->check(CLI::Range(1, 256));
  cmd->callback([args]() { throw CommandResult{RunServe(*args)}; });
}

}  // namespace vigil::cli
