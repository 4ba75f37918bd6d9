// The job routes: POST /v1/videos:tag (upload or server-local path -> 202 + job), GET /v1/jobs/{id},
// DELETE /v1/jobs/{id} (cancel), GET /v1/jobs (admin: list). HTTP threads only stream the upload
// to disk, validate and store the job; the JobRunner's workers do the work.
#pragma once

#include <httplib.h>

#include "http_util.h"
#include "server_config.h"
#include "vigil/jobs.h"
#include "vigil/video_tag_job.h"

namespace vigil::server {

struct JobServices {
  JobStore* store = nullptr;
  JobRunner* runner = nullptr;  // null: jobs disabled, the routes answer 503
};

void RegisterJobRoutes(httplib::Server& http, const ServerConfig& config, const JobServices& jobs,
                       RequestMetrics& metrics);

}  // namespace vigil::server
