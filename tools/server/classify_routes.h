// Route module: POST /v1/images:classify (one image as the body, or several as multipart), answered
// by the ClassificationService's workers; the HTTP thread only parses, validates and formats.
#pragma once

#include "router.h"
#include "server_config.h"
#include "vigil/service.h"

namespace vigil::server {

// Registers the route (role read). `service` must outlive the router.
Status RegisterClassifyRoutes(Router& router, const ServerConfig& config, ClassificationService* service);

}  // namespace vigil::server
