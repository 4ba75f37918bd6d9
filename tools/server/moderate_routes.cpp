// Moderation routes (see moderate_routes.h): image bodies read from the stream (raw or multipart)
// and decided synchronously, video requests handed to the job submission of job_routes, decision
// lookups, the policy and its reload.
#include "moderate_routes.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "request_params.h"
#include "vigil/text_checks.h"
#include "vigil/video_moderate_job.h"

namespace vigil::server {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool IsImageContentType(const std::string& type) {
  return StartsWith(type, "image/") || StartsWith(type, "application/octet-stream");
}

// Options of a video.moderate job from the query or a JSON request ("type" selects the route).
Status AddModerateOption(const std::string& name, const json& value, json* options) {
  auto bad = [&](const std::string& why) { return InvalidArgumentError("parameter " + name + ": " + why); };
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (HasControlCharacter(text)) return bad("has a control character");
  if (name == "type") {
    if (text != "video") return bad("must be video for a video request");
  } else if (name == "sampler") {
    if (text.empty()) return bad("must be a sampler name, e.g. interval:1");
    (*options)["sampler"] = text;
  } else if (name == "stop_early") {
    if (text != "true" && text != "false") return bad("must be true or false");
    (*options)["stop_early"] = text == "true";
  } else {
    return InvalidArgumentError("unknown parameter \"" + name + "\" (type, sampler, stop_early, callback_url)");
  }
  return Status::Ok();
}

class ModerateRoutes {
 public:
  ModerateRoutes(const ServerConfig& config, const ModerationServices& services)
      : config_(config), services_(services) {}

  void Moderate(const httplib::Request& req, httplib::Response& res, RouteContext& ctx) {
    if (!Ready(res)) return;
    const std::string content_type = req.get_header_value("Content-Type");
    const std::string type = req.has_param("type") ? req.get_param_value("type") : "";
    // A video/* upload or a JSON request {"path": ...} (images are never JSON) is a video job.
    if (type == "video" ||
        (type.empty() && (StartsWith(content_type, "video/") || StartsWith(content_type, "application/json")))) {
      return SubmitVideoJob(config_, services_.jobs, kVideoModerateJobKind, AddModerateOption, req, res, ctx);
    }
    if (!type.empty() && type != "image") {
      return SendError(res, 400, "invalid_argument", "query parameter type must be image or video");
    }
    ModerateImages(req, res, ctx);
  }

  void GetDecision(const httplib::Request&, httplib::Response& res, RouteContext& ctx) {
    if (!Ready(res)) return;
    const std::string& id = ctx.params[0];
    if (HasControlCharacter(id) || id.size() > 128) {
      return SendError(res, 400, "invalid_argument", "a decision id has no control characters and at most 128 bytes");
    }
    Result<Decision> d = services_.state->store().Find(id);
    if (!d.ok()) return SendStatus(res, d.status(), config_.retry_after_seconds);
    SendJson(res, 200, DecisionToJson(*d));
  }

  void ListDecisions(const httplib::Request& req, httplib::Response& res, RouteContext&) {
    if (!Ready(res)) return;
    if (Status s = CheckQueryParams(req, {"outcome", "limit", "content_sha256"}); !s.ok()) return Bad(res, s);
    DecisionQuery query;
    if (req.has_param("outcome")) {
      query.outcome = req.get_param_value("outcome");
      if (!ParseOutcome(query.outcome).ok()) {
        return SendError(res, 400, "invalid_argument", "query parameter outcome must be allow, review or block");
      }
    }
    if (req.has_param("content_sha256")) {
      query.content_sha256 = req.get_param_value("content_sha256");
      if (query.content_sha256.size() != 64 ||
          query.content_sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return SendError(res, 400, "invalid_argument", "query parameter content_sha256 must be 64 lower-case hex digits");
      }
    }
    if (Status s = ReadIntParam(req, "limit", 1, 1000, &query.limit); !s.ok()) return Bad(res, s);
    Result<std::vector<Decision>> list = services_.state->store().List(query);
    if (!list.ok()) return SendStatus(res, list.status(), config_.retry_after_seconds);
    std::string body = "{\"decisions\":[";
    for (size_t i = 0; i < list->size(); ++i) body += (i ? "," : "") + DecisionToJson((*list)[i]);
    SendJson(res, 200, body + "]}");
  }

  void GetPolicy(const httplib::Request& req, httplib::Response& res, RouteContext&) {
    if (!Ready(res)) return;
    if (Status s = CheckQueryParams(req, {}); !s.ok()) return Bad(res, s);
    SendJson(res, 200, PolicyJson(*services_.state->current(), services_.state->policy_path()));
  }

  void ReloadPolicy(const httplib::Request& req, httplib::Response& res, RouteContext&) {
    if (!Ready(res)) return;
    if (Status s = CheckQueryParams(req, {}); !s.ok()) return Bad(res, s);
    const std::string before = services_.state->current()->policy().version;
    Result<std::shared_ptr<const Moderator>> fresh = services_.state->Reload();
    if (!fresh.ok()) {
      // A bad file (or models it names that are not loaded) keeps the policy in use.
      return SendError(res, 400, "invalid_argument",
                       "policy not reloaded, still serving " + before + ": " + fresh.status().message());
    }
    json j = json::parse(PolicyJson(**fresh, services_.state->policy_path()));
    j["previous_version"] = before;
    j["changed"] = before != (*fresh)->policy().version;
    SendJson(res, 200, j.dump(-1, ' ', false, json::error_handler_t::replace));
  }

 private:
  bool Ready(httplib::Response& res) const {
    if (services_.state != nullptr) return true;
    SendError(res, 503, "unavailable", "moderation is off on this server: " + services_.off_reason);
    return false;
  }

  void Bad(httplib::Response& res, const Status& s) const { SendStatus(res, s, config_.retry_after_seconds); }

  // Reads image bodies from the stream: one raw image, or every file part of a multipart body.
  void ModerateImages(const httplib::Request& req, httplib::Response& res, RouteContext& ctx) {
    if (Status s = CheckQueryParams(req, {"type"}); !s.ok()) return Bad(res, s);
    const std::string content_type = req.get_header_value("Content-Type");
    const bool multipart = req.is_multipart_form_data();
    if (!multipart && !IsImageContentType(content_type)) {
      return SendError(res, 415, "unsupported_media_type",
                       "Content-Type must be image/*, application/octet-stream or multipart/form-data (images), "
                       "or video/* (a video job), got \"" + content_type + "\"");
    }
    const size_t limit = config_.max_body_bytes;
    if (req.has_header("Content-Length") &&
        std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > limit) {
      return SendError(res, 413, "resource_exhausted", "request body larger than max_body_bytes");
    }
    std::vector<std::pair<std::string, std::string>> images;  // filename, bytes
    size_t total = 0;
    bool too_big = false;
    auto append = [&](const char* data, size_t n) {
      if ((total += n) > limit) return !(too_big = true);
      images.back().second.append(data, n);
      return true;
    };
    ctx.body_read = true;
    bool read;
    if (multipart) {
      read = (*ctx.reader)(
          [&](const httplib::MultipartFormData& part) {
            images.emplace_back(part.filename, std::string());
            return true;
          },
          append);
      // Fields without a file name and without content are not images (as classify).
      images.erase(std::remove_if(images.begin(), images.end(),
                                  [](const auto& p) { return p.first.empty() && p.second.empty(); }),
                   images.end());
    } else {
      images.emplace_back("", std::string());
      read = (*ctx.reader)(append);
    }
    if (too_big) return SendError(res, 413, "resource_exhausted", "request body larger than max_body_bytes");
    if (!read) return SendError(res, 400, "invalid_argument", "the request body ended early");
    if (multipart && images.empty()) {
      return SendError(res, 400, "invalid_argument", "the multipart body has no image parts");
    }
    if (!multipart && images[0].second.empty()) {
      return SendError(res, 400, "invalid_argument", "the request body is empty: send the image bytes");
    }
    if (images.size() > size_t(config_.max_images_per_request)) {
      return SendError(res, 413, "resource_exhausted",
                       std::to_string(images.size()) + " images in one request; the limit is " +
                           std::to_string(config_.max_images_per_request));
    }
    ordered_json results = ordered_json::array();
    Status first_error;
    size_t failed = 0;
    for (const auto& [filename, bytes] : images) {
      Result<Decision> d = services_.state->DecideImage(bytes);
      ordered_json item;
      if (d.ok()) {
        item = ordered_json::parse(DecisionToJson(*d));
      } else {
        ++failed;
        if (first_error.ok()) first_error = d.status();
        item["error"] = {{"code", StatusCodeName(d.status().code())}, {"message", d.status().message()}};
      }
      if (!filename.empty()) item["filename"] = filename;
      results.push_back(std::move(item));
    }
    // A single image that failed is the request's failure; with several, each carries its own.
    if (failed == images.size() && (images.size() == 1 || first_error.code() == StatusCode::kUnavailable)) {
      return SendStatus(res, first_error, config_.retry_after_seconds);
    }
    SendJson(res, 200,
             ordered_json{{"results", std::move(results)}}.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  const ServerConfig config_;
  ModerationServices services_;
};

}  // namespace

std::string PolicyJson(const Moderator& moderator, const std::string& path) {
  const Policy& p = moderator.policy();
  ordered_json j;
  j["name"] = p.name;
  j["version"] = p.version;
  j["description"] = p.description;
  j["path"] = path;
  j["on_model_error"] = OutcomeName(p.on_model_error);
  j["model_deadline_ms"] = p.model_deadline_ms;
  j["models"] = ordered_json::array();
  for (const ModelVersion& m : moderator.models()) j["models"].push_back({{"name", m.name}, {"version", m.version}});
  j["categories"] = ordered_json::array();
  for (const PolicyCategory& c : p.categories) {
    ordered_json cj;
    cj["name"] = c.name;
    cj["severity"] = c.severity;
    cj["model"] = c.signal.model;
    if (c.cascade) cj["cascade_model"] = c.cascade->model;
    cj["review_at"] = c.review_at;
    cj["block_at"] = c.block_at ? ordered_json(*c.block_at) : ordered_json(nullptr);
    cj["actions"] = {{"allow", c.allow_action}, {"review", c.review_action}, {"block", c.block_action}};
    j["categories"].push_back(std::move(cj));
  }
  j["yaml"] = NormalizedPolicyYaml(p);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status RegisterModerateRoutes(Router& router, const ServerConfig& config, const ModerationServices& moderation) {
  auto routes = std::make_shared<ModerateRoutes>(config, moderation);
  using std::placeholders::_1, std::placeholders::_2, std::placeholders::_3;
  Route moderate{Method::kPost, "/v1/moderate", Access::kRead, std::bind(&ModerateRoutes::Moderate, routes, _1, _2, _3)};
  moderate.body = BodyMode::kStreamed;  // images are read by the handler (held to max_body_bytes), videos spooled
  moderate.max_body_bytes = std::max(config.max_body_bytes, config.jobs.max_upload_bytes);
  VIGIL_RETURN_IF_ERROR(router.Add(std::move(moderate)));
  VIGIL_RETURN_IF_ERROR(router.Add(
      {Method::kGet, "/v1/decisions", Access::kAdmin, std::bind(&ModerateRoutes::ListDecisions, routes, _1, _2, _3)}));
  VIGIL_RETURN_IF_ERROR(router.Add({Method::kGet, "/v1/decisions/{id}", Access::kRead,
                                    std::bind(&ModerateRoutes::GetDecision, routes, _1, _2, _3)}));
  VIGIL_RETURN_IF_ERROR(router.Add(
      {Method::kGet, "/v1/policies", Access::kRead, std::bind(&ModerateRoutes::GetPolicy, routes, _1, _2, _3)}));
  return router.Add({Method::kPost, "/v1/policies:reload", Access::kAdmin,
                     std::bind(&ModerateRoutes::ReloadPolicy, routes, _1, _2, _3)});
}

}  // namespace vigil::server
