// `vigil serve [--config vigil.yaml]`: flags -> ServerConfig, then the server's composition root
// (tools/server/serve_app.h) builds and runs the service, job store, runner, callbacks and routes.
// SIGINT/SIGTERM stop accepting connections, finish in-flight requests and queued work, let running
// jobs finish within jobs.drain_timeout_seconds (then re-queue them), then exit.
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "../server/serve_app.h"
#include "../server/settings.h"
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
  bool print_config_docs = false;
};

int RunServe(const ServeArgs& args) {
  if (args.print_config_docs) {  // the configuration table of docs/http-api.md
    std::fputs(server::ServerSettingsMarkdown().c_str(), stdout);
    return kExitOk;
  }
  server::ServerConfig config;
  config.service.common.repository = DefaultModelRepository();
  config.moderation.default_policy = DefaultPolicyPath();  // as `vigil moderate`
  if (!args.config.empty()) {
    Status s = server::LoadServerConfigFile(args.config, &config);
    if (!s.ok()) return ReportError(s);
  }
  if (!args.host.empty()) config.host = args.host;
  if (args.port >= 0) config.port = args.port;
  if (!args.models_dir.empty()) config.service.common.repository = args.models_dir;
  if (!args.database.empty()) config.jobs.database = args.database;
  if (args.workers >= 0) config.service.workers = args.workers;
  if (args.max_batch > 0) config.service.max_batch = args.max_batch;
  server::NormalizeServerConfig(&config);
  Status valid = server::ValidateServerConfig(config);
  if (!valid.ok()) return ReportError(valid);

  // Block the stop signals in every thread (the app's threads inherit the mask); one thread waits
  // for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Every open connection is a file descriptor: raise the soft limit toward max_connections.
  rlimit files{};
  const rlim_t wanted = rlim_t(config.max_connections) + 256;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < wanted) {
    files.rlim_cur = std::min(wanted, files.rlim_max);
    setrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < wanted) {
      std::fprintf(stderr, "vigil serve: warning: max_connections %d needs %llu file descriptors; the limit is %llu\n",
                   config.max_connections, static_cast<unsigned long long>(wanted),
                   static_cast<unsigned long long>(files.rlim_cur));
    }
  }

  auto app = server::ServeApp::Create(config);
  if (!app.ok()) return ReportError(app.status());
  auto port = (*app)->Bind();
  if (!port.ok()) return ReportError(port.status());
  std::printf("vigil serve: listening on http://%s:%d with %s\n", config.host.c_str(), *port,
              (*app)->LoadedModelsText().c_str());
  std::printf("try: curl -s -H 'Content-Type: image/jpeg' --data-binary @photo.jpg "
              "'http://%s:%d/v1/images:classify?top_k=3'\n", config.host.c_str(), *port);
  if ((*app)->jobs_enabled()) {
    std::printf("     curl -s -H 'Content-Type: video/mp4' --data-binary @clip.mp4 "
                "'http://%s:%d/v1/videos:tag?sampler=keyframes'   (jobs in %s)\n",
                config.host.c_str(), *port, config.jobs.database.c_str());
  }
  std::printf("     %s\n", (*app)->ModerationText().c_str());
  std::fflush(stdout);

  server::ServeApp* app_ptr = app->get();
  std::thread stopper([&signals, app_ptr] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "vigil serve: signal %d, draining and stopping\n", sig);
    app_ptr->Stop();
  });
  Status served = (*app)->Serve();
  // Serve returned: either a signal stopped it, or it failed; make sure the stopper ends.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  (*app)->Shutdown();  // drain or re-queue running jobs, stop callbacks and inference
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
  cmd->add_flag("--print-config-docs", args->print_config_docs,
               "Print the vigil.yaml keys (type, default, range, meaning) as the Markdown table of docs/http-api.md");
  cmd->callback([args]() { throw CommandResult{RunServe(*args)}; });
}

}  // namespace vigil::cli
