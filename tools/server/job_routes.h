// Route module for jobs: POST /v1/videos:tag (upload or server-local path -> 202 + job),
// GET /v1/jobs/{id}, DELETE /v1/jobs/{id} (cancel), GET /v1/jobs (admin: list). HTTP threads only
// stream the upload to disk, validate and store the job; the JobRunner's workers do the work.
#pragma once

#include "router.h"
#include "server_config.h"
#include "vigil/jobs.h"
#include "vigil/video_tag_job.h"

namespace vigil::server {

struct JobServices {
  JobStore* store = nullptr;
  JobRunner* runner = nullptr;  // null: jobs disabled, the routes answer 503
};

// Registers the four job routes; the store and runner must outlive the router.
Status RegisterJobRoutes(Router& router, const ServerConfig& config, const JobServices& jobs);

}  // namespace vigil::server
