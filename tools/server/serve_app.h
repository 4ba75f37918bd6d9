// ServeApp: the composition root of `vigil serve`. From one validated ServerConfig it builds the
// classification service, the moderation state (policy, moderator over the service's models,
// decision store), the job store, the job runner (with the video.tag and video.moderate handlers)
// and the callback sender, registers every route module on a Router, and hands the router to the HTTP
// listener. It owns those parts and stops them in order; the routes and their state live in the
// route modules. tools/cli/cmd_serve.cpp only turns flags into the config and waits for a signal.
//
//   VIGIL_ASSIGN_OR_RETURN(auto app, ServeApp::Create(config));
//   VIGIL_ASSIGN_OR_RETURN(int port, app->Bind());
//   std::thread stopper([&] { WaitForSignal(); app->Stop(); });
//   Status served = app->Serve();   // returns after Stop()
//   app->Shutdown();                // drain jobs, stop callbacks and inference workers
//
// Thread-safety: Stop() may be called from any thread; the rest from the owning thread.
#pragma once

#include <memory>
#include <string>

#include "job_routes.h"
#include "vigil/bank_matcher.h"
#include "moderate_routes.h"
#include "router.h"
#include "server_config.h"
#include "vigil/service.h"
#include "vigil/status.h"

namespace vigil::server {

// Registers every route module on `router` (the job routes answer 503 when `jobs.runner` is null,
// the bank routes when `banks` is, the moderation routes when `moderation.state` is;
// moderation.jobs is set from `jobs`). The composition root and the server unit tests build the
// same table with it.
Status RegisterAllRoutes(Router& router, const ServerConfig& config, ClassificationService* service,
                         const JobServices& jobs, BankMatcher* banks = nullptr, ModerationServices moderation = {});

class ServeApp {
 public:
  // `config` must be normalised and valid (NormalizeServerConfig, ValidateServerConfig). Loads the
  // models, opens the job store, starts the job runner (re-queuing jobs a previous run left
  // running) and the callback sender.
  static Result<std::unique_ptr<ServeApp>> Create(const ServerConfig& config);
  ~ServeApp();  // Shutdown()

  Result<int> Bind();
  // Serves until Stop().
  Status Serve();
  // Stops accepting connections; requests in flight finish. Thread-safe.
  void Stop();
  // After Serve returned: drains or re-queues running jobs, stops callbacks and inference.
  void Shutdown();

  // "name:version (backend), ..." of the loaded models, for the start-up line.
  std::string LoadedModelsText() const;
  bool jobs_enabled() const;
  // "policy NAME VERSION" when moderating, else "moderation off: REASON", for the start-up line.
  std::string ModerationText() const;

 private:
  ServeApp();
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace vigil::server
