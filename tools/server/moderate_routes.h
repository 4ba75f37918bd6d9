// Route module for moderation: POST /v1/moderate (images: a decision per image, synchronous, the
// bodies of /v1/images:classify; videos: a "video.moderate" job as /v1/videos:tag), GET
// /v1/decisions/{id}, GET /v1/decisions (admin: list), GET /v1/policies (the loaded policy) and
// POST /v1/policies:reload (admin). A decision's JSON is vigil::DecisionToJson, the object
// `vigil moderate --json` prints (without its "path"). Without moderation (off, or the default
// policy's models not loaded) every route answers 503 with the reason.
#pragma once

#include <string>

#include "job_routes.h"
#include "moderation_state.h"
#include "router.h"
#include "server_config.h"

namespace vigil::server {

struct ModerationServices {
  ModerationState* state = nullptr;  // null: moderation off, the routes answer 503
  std::string off_reason;            // why it is off (in the 503 message)
  JobServices jobs;                  // video moderation jobs (runner null: 503 for videos)
};

// Registers the five routes; the state and the job services must outlive the router.
Status RegisterModerateRoutes(Router& router, const ServerConfig& config, const ModerationServices& moderation);

// The JSON of a policy as GET /v1/policies answers it: name, version, description, path,
// on_model_error, model_deadline_ms, models [{name, version}], categories [{name, severity,
// review_at, block_at, model}], yaml (the normalised policy).
std::string PolicyJson(const Moderator& moderator, const std::string& path);

}  // namespace vigil::server
