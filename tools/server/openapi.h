// The OpenAPI 3.0 description of every route (openapi.cpp), and its route GET /openapi.json.
#pragma once

#include <string>

#include "router.h"

namespace vigil::server {

std::string OpenApiJson();
// Registers GET /openapi.json (public).
Status RegisterOpenApiRoute(Router& router);

}  // namespace vigil::server
