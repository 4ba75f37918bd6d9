// `vigil serve [--config vigil.yaml]`: start the HTTP service on the model repository.
// SIGINT/SIGTERM stop accepting connections, finish in-flight requests and queued work, then exit.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <thread>

#include "../server/http_server.h"
#include "cli_common.h"
#include "commands.h"

namespace vigil::cli {
namespace {

struct ServeArgs {
  std::string config;
  std::string host;
  int port = -1;
  std::string models_dir;
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
  if (args.workers >= 0) config.service.workers = args.workers;
  if (args.max_batch > 0) config.service.max_batch = args.max_batch;
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
  auto http = server::HttpServer::Create(config, service->get());
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
  cmd->add_option("--workers", args->workers, "Inference workers (default: cores)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--max-batch", args->max_batch, "Dynamic batching: images per inference call")
      ->check(CLI::Range(1, 256));
  cmd->callback([args]() { throw CommandResult{RunServe(*args)}; });
}

}  // namespace vigil::cli
