// The JSON form of a job, as GET /v1/jobs/{id} answers and callbacks deliver it.
#pragma once

#include <string>

#include "vigil/jobs.h"

namespace vigil::server {

// {"id","kind","state","progress","attempts","created_at",...,"options","result","error","callback"}.
std::string JobJson(const Job& job);

}  // namespace vigil::server
