// Route module for jobs: POST /v1/videos:tag (upload or server-local path -> 202 + job),
// GET /v1/jobs/{id}, DELETE /v1/jobs/{id} (cancel), GET /v1/jobs (admin: list). HTTP threads only
// stream the upload to disk, validate and store the job; the JobRunner's workers do the work.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "router.h"
#include "server_config.h"
#include "vigil/jobs.h"
#include "vigil/video_tag_job.h"

namespace vigil::server {

struct JobServices {
  JobStore* store = nullptr;
  JobRunner* runner = nullptr;  // null: jobs disabled, the routes answer 503
};

// Adds one request parameter (a query parameter, or a field of a JSON request) to a job's options
// JSON, or refuses it (kInvalidArgument naming the parameter and the accepted ones).
using JobOptionFn =
    std::function<Status(const std::string& name, const nlohmann::json& value, nlohmann::json* options)>;

// Submits a video job of `kind` the way POST /v1/videos:tag does: the video uploaded raw or as
// multipart (streamed to jobs.data_dir, held to jobs.max_upload_bytes), or a JSON request
// {"path": ...} inside jobs.input_dirs; callback_url; 202 + the job (Location: /v1/jobs/{id}).
// Every other parameter goes through `add_option`. For a kStreamed route (ctx.reader set).
void SubmitVideoJob(const ServerConfig& config, const JobServices& jobs, const std::string& kind,
                    const JobOptionFn& add_option, const httplib::Request& req, httplib::Response& res,
                    RouteContext& ctx);

// Registers the four job routes; the store and runner must outlive the router.
Status RegisterJobRoutes(Router& router, const ServerConfig& config, const JobServices& jobs);

}  // namespace vigil::server
