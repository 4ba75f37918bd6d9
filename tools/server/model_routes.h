// Route module: GET /v1/models (the loaded models, role read) and POST /v1/models:reload (re-read
// the model repository without a restart, role admin).
#pragma once

#include "router.h"
#include "server_config.h"
#include "vigil/service.h"

namespace vigil::server {

// `service` must outlive the router.
Status RegisterModelRoutes(Router& router, const ServerConfig& config, ClassificationService* service);

}  // namespace vigil::server
