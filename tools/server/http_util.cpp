// HTTP helpers: status mapping, JSON errors, API-key authorisation, request metrics.
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

std::string RequestApiKey(const httplib::Request& req) {
  std::string key = req.get_header_value("X-API-Key");
  if (!key.empty()) return key;
  const std::string auth = req.get_header_value("Authorization");
  static const std::string kScheme = "bearer";
  if (auth.size() <= kScheme.size() || auth[kScheme.size()] != ' ') return "";
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(auth[i])) != kScheme[i]) return "";
  }
  const size_t start = auth.find_first_not_of(' ', kScheme.size());
  return start == std::string::npos ? "" : auth.substr(start);
}

namespace {

// Equal strings, in time that depends only on the lengths (not on where they first differ).
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

bool Authorize(const std::vector<ApiKey>& keys, const httplib::Request& req, httplib::Response& res,
               Role needed) {
  if (keys.empty()) return true;
  const std::string key = RequestApiKey(req);
  if (key.empty()) {
    res.set_header("WWW-Authenticate", "Bearer");
    SendError(res, 401, "unauthenticated", "an API key is required (Authorization: Bearer KEY)");
    return false;
  }
  const ApiKey* found = nullptr;
  for (const ApiKey& k : keys) {
    if (ConstantTimeEquals(k.key, key) && !found) found = &k;
  }
  if (!found) {
    SendError(res, 401, "unauthenticated", "unknown API key");
    return false;
  }
  if (needed == Role::kAdmin && found->role != Role::kAdmin) {
    SendError(res, 403, "permission_denied", "this API key may not do this (needs role admin)");
    return false;
  }
  return true;
}

bool HasControlCharacter(const std::string& text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

RequestMetrics::RequestMetrics(MetricsRegistry& registry)
    : requests_(registry.Counter("vigil_http_requests_total", "HTTP requests by route, model, version, status",
                                 {"route", "model", "version", "status"})),
      latency_(registry.Histogram("vigil_http_request_seconds", "HTTP request latency",
                                  {"route", "model", "version", "status"}, MetricsRegistry::LatencyBuckets())) {}

void RequestMetrics::Record(const std::string& route, const std::string& model, const std::string& version,
                            int http_status, double seconds) {
  constexpr size_t kMaxLabelBytes = 128;
  auto safe = [](const std::string& v) {
    return v.size() > kMaxLabelBytes || HasControlCharacter(v) ? std::string("invalid") : v;
  };
  const std::vector<std::string> labels = {safe(route), safe(model), safe(version), std::to_string(http_status)};
  requests_.Add(labels);
  latency_.Observe(labels, seconds);
}

}  // namespace vigil::server
