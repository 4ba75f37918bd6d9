// Router: route table, pattern matching, access checks and request metrics (see router.h).
#include "router.h"

#include <cctype>
#include <chrono>
#include <cstdlib>

namespace vigil::server {
namespace {

// A streamed request refused before its body was read has the body drained (up to this size) so
// the connection stays in step for the client's next request; larger bodies are left unread (the
// connection then ends).
constexpr size_t kDrainLimitBytes = 4 << 20;

void Drain(const httplib::Request& req, const httplib::ContentReader& reader) {
  if (!req.has_header("Content-Length") ||
      std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > kDrainLimitBytes) {
    return;
  }
  if (req.is_multipart_form_data()) {
    reader([](const httplib::MultipartFormData&) { return true; }, [](const char*, size_t) { return true; });
  } else {
    reader([](const char*, size_t) { return true; });
  }
}

}  // namespace

const char* MethodName(Method method) {
  switch (method) {
    case Method::kGet: return "GET";
    case Method::kPost: return "POST";
    case Method::kDelete: return "DELETE";
  }
  return "?";
}

const char* AccessName(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kRead: return "read";
    case Access::kAdmin: return "admin";
  }
  return "?";
}

Result<std::string> PatternRegex(const std::string& pattern) {
  if (pattern.empty() || pattern[0] != '/') {
    return InvalidArgumentError("route pattern \"" + pattern + "\" must start with '/'");
  }
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{') {
      const size_t close = pattern.find('}', i);
      const size_t nested = pattern.find_first_of("{/", i + 1);
      if (close == std::string::npos || close == i + 1 || (nested != std::string::npos && nested < close)) {
        return InvalidArgumentError("route pattern \"" + pattern + "\": malformed {name} segment");
      }
      out += "([^/]+)";
      i = close;
    } else if (c == '}') {
      return InvalidArgumentError("route pattern \"" + pattern + "\": unbalanced '}'");
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == ':') {
      out += c;
    } else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

Router::Router(std::vector<ApiKey> api_keys, RequestMetrics* metrics, size_t default_max_body_bytes)
    : api_keys_(std::move(api_keys)), metrics_(metrics), default_max_body_bytes_(default_max_body_bytes) {}

Status Router::Add(Route route) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, PatternRegex(route.pattern));
  if (!route.handler) return InvalidArgumentError("route " + route.pattern + " has no handler");
  if (route.method != Method::kGet && route.access == Access::kPublic) {
    return InvalidArgumentError(std::string(MethodName(route.method)) + " " + route.pattern +
                                " changes state and must need an API key role (read or admin), not public");
  }
  for (const Route& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      return InvalidArgumentError(std::string("route ") + MethodName(route.method) + " " + route.pattern +
                                  " registered twice");
    }
  }
  if (route.metric_label.empty()) route.metric_label = route.pattern;
  if (route.max_body_bytes == 0) route.max_body_bytes = default_max_body_bytes_;
  compiled_.push_back({text, std::regex(text)});
  routes_.push_back(std::move(route));
  return Status::Ok();
}

const Route* Router::Find(Method method, const std::string& path, std::vector<std::string>* params,
                          bool* path_known) const {
  if (path_known) *path_known = false;
  for (size_t i = 0; i < routes_.size(); ++i) {
    std::smatch match;
    if (!std::regex_match(path, match, compiled_[i].regex)) continue;
    if (routes_[i].method != method) {
      if (path_known) *path_known = true;
      continue;
    }
    if (params) {
      params->clear();
      for (size_t g = 1; g < match.size(); ++g) params->push_back(match[g].str());
    }
    return &routes_[i];
  }
  return nullptr;
}

size_t Router::BodyLimit(Method method, const std::string& path) const {
  const Route* route = Find(method, path);
  return route ? route->max_body_bytes : default_max_body_bytes_;
}

void Router::Invoke(const Route& route, const httplib::Request& req, httplib::Response& res,
                    std::vector<std::string> params, const httplib::ContentReader* reader) const {
  const auto start = std::chrono::steady_clock::now();
  RouteContext ctx;
  ctx.params = std::move(params);
  ctx.reader = route.body == BodyMode::kStreamed ? reader : nullptr;
  const bool allowed = route.access == Access::kPublic ||
                       Authorize(api_keys_, req, res, route.access == Access::kAdmin ? Role::kAdmin : Role::kRead);
  if (allowed) {
    if (route.body == BodyMode::kBuffered && req.body.size() > route.max_body_bytes) {
      // A chunked body has no Content-Length to check before it is read.
      SendError(res, 413, "resource_exhausted", "request body larger than max_body_bytes");
    } else {
      route.handler(req, res, ctx);
    }
  }
  if (ctx.reader && !ctx.body_read) Drain(req, *ctx.reader);
  if (metrics_ && route.measured) {
    metrics_->Record(route.metric_label, ctx.model_label, ctx.version_label, res.status,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
}

void Router::Dispatch(const httplib::Request& req, httplib::Response& res) const {
  Method method;
  if (req.method == "GET") {
    method = Method::kGet;
  } else if (req.method == "POST") {
    method = Method::kPost;
  } else if (req.method == "DELETE") {
    method = Method::kDelete;
  } else {
    SendError(res, 405, "method_not_allowed", "HTTP 405: method not allowed on this route");
    return;
  }
  std::vector<std::string> params;
  bool path_known = false;
  const Route* route = Find(method, req.path, &params, &path_known);
  if (!route) {
    if (path_known) {
      SendError(res, 405, "method_not_allowed", "HTTP 405: method not allowed on this route");
    } else {
      SendError(res, 404, "not_found", "HTTP 404: no such route");
    }
    return;
  }
  if (route->body != BodyMode::kStreamed) return Invoke(*route, req, res, std::move(params));
  // A streamed route reads the body it was given, as cpp-httplib would feed it from the socket.
  httplib::ContentReader reader(
      [&req](httplib::ContentReceiver receiver) { return req.body.empty() || receiver(req.body.data(), req.body.size()); },
      [&req](httplib::MultipartContentHeader header, httplib::ContentReceiver receiver) {
        for (const auto& [name, part] : req.files) {
          if (!header(part) || !receiver(part.content.data(), part.content.size())) return false;
        }
        return true;
      });
  Invoke(*route, req, res, std::move(params), &reader);
}

}  // namespace vigil::server
