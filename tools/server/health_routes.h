// Route module: GET /healthz (liveness), GET /readyz (a model is loaded, not shutting down) and
// GET /metrics (Prometheus text; public unless metrics_public is false, then role read).
#pragma once

#include "router.h"
#include "server_config.h"
#include "vigil/jobs.h"
#include "vigil/service.h"

namespace vigil::server {

// `service` (and `runner`, which may be null when jobs are disabled) must outlive the router.
Status RegisterHealthRoutes(Router& router, const ServerConfig& config, ClassificationService* service,
                            JobRunner* runner);

}  // namespace vigil::server
