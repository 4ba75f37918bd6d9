// HTTP helpers: status mapping, JSON errors, API-key authorisation.
#include "http_util.h"

#include <nlohmann/json.hpp>

namespace vigil::server {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnsupported: return 415;
    case StatusCode::kDataLoss: return 422;
    case StatusCode::kResourceExhausted: return 413;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

void SendJson(httplib::Response& res, int http_status, const std::string& json) {
  res.status = http_status;
  res.set_content(json, "application/json");
}

void SendError(httplib::Response& res, int http_status, const std::string& code,
               const std::string& message, int retry_after_seconds) {
  nlohmann::json j = {{"error", {{"code", code}, {"message", message}}}};
  if ((http_status == 503 || http_status == 429) && retry_after_seconds > 0) {
    res.set_header("Retry-After", std::to_string(retry_after_seconds));
  }
  SendJson(res, http_status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void SendStatus(httplib::Response& res, const Status& status, int retry_after_seconds) {
  SendError(res, HttpStatusFor(status.code()), StatusCodeName(status.code()), status.message(),
            retry_after_seconds);
}

bool Authorize(const ServerConfig& config, const httplib::Request& req, httplib::Response& res,
               Role needed) {
  if (config.api_keys.empty()) return true;
  std::string key = req.get_header_value("X-API-Key");
  const std::string auth = req.get_header_value("Authorization");
  if (key.empty() && auth.rfind("Bearer ", 0) == 0) key = auth.substr(7);
  if (key.empty()) {
    res.set_header("WWW-Authenticate", "Bearer");
    SendError(res, 401, "unauthenticated", "an API key is required (Authorization: Bearer KEY)");
    return false;
  }
  for (const ApiKey& k : config.api_keys) {
    if (k.key.size() == key.size() && k.key == key) {
      if (needed == Role::kAdmin && k.role != Role::kAdmin) {
        SendError(res, 403, "permission_denied", "this API key may not do this (needs role admin)");
        return false;
      }
      return true;
    }
  }
  SendError(res, 401, "unauthenticated", "unknown API key");
  return false;
}

RequestMetrics::RequestMetrics(MetricsRegistry& registry)
    : requests_(registry.Counter("vigil_http_requests_total", "HTTP requests by route, model, version, status",
                                 {"route", "model", "version", "status"})),
      latency_(registry.Histogram("vigil_http_request_seconds", "HTTP request latency",
                                  {"route", "model", "version", "status"}, MetricsRegistry::LatencyBuckets())) {}

void RequestMetrics::Record(const std::string& route, const std::string& model, const std::string& version,
                            int http_status, double seconds) {
  const std::vector<std::string> labels = {route, model, version, std::to_string(http_status)};
  requests_.Add(labels);
  latency_.Observe(labels, seconds);
}

}  // namespace vigil::server
