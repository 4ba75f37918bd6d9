// HTTP helpers for the server: Status -> HTTP code, JSON error bodies, API-key checks, request
// metrics. Only the server maps a Status to an HTTP code.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "server_config.h"
#include "vigil/metrics.h"
#include "vigil/status.h"

namespace vigil::server {

// invalid_argument 400, not_found 404, unsupported 415, data_loss 422, resource_exhausted 413,
// failed_precondition 409, deadline_exceeded 504, unavailable 503, internal 500.
int HttpStatusFor(StatusCode code);
// {"error":{"code":"...","message":"..."}} with the matching HTTP status (+ Retry-After on 503/429).
void SendError(httplib::Response& res, int http_status, const std::string& code,
               const std::string& message, int retry_after_seconds = 0);
void SendStatus(httplib::Response& res, const Status& status, int retry_after_seconds);
void SendJson(httplib::Response& res, int http_status, const std::string& json);

// The API key a request carries: "X-API-Key: KEY", else "Authorization: Bearer KEY" (the scheme
// is case-insensitive, RFC 7235: "bearer KEY" too). "" when there is none.
std::string RequestApiKey(const httplib::Request& req);

// Checks the request's API key for `needed`. Returns true if allowed (always, when `keys` is
// empty); otherwise has already sent 401 (no/unknown key) or 403 (role too low). Keys are compared
// in constant time.
bool Authorize(const std::vector<ApiKey>& keys, const httplib::Request& req, httplib::Response& res,
               Role needed);

// Request counts and latency by route, model, version and status (vigil_http_requests_total,
// vigil_http_request_seconds). Label values come from known sets only (route patterns, loaded
// models); as a last guard, a value that is too long or has a control character is recorded as
// "invalid" instead.
class RequestMetrics {
 public:
  explicit RequestMetrics(MetricsRegistry& registry);
  void Record(const std::string& route, const std::string& model, const std::string& version,
              int http_status, double seconds);

 private:
  MetricFamily& requests_;
  MetricFamily& latency_;
};

// True if `text` has a byte below 0x20 or 0x7f (NUL, newline, escape...).
bool HasControlCharacter(const std::string& text);

}  // namespace vigil::server
