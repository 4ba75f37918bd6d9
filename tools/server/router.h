// Router: the table of HTTP routes of `vigil serve`. Route modules (classify_routes, model_routes,
// job_routes, health_routes, openapi) register their routes on it explicitly, each with its access
// rule (public, role read, role admin) and its body mode; the router checks the API key for that
// role, calls the handler and records the request metrics with labels the handler set from known
// values only. The HTTP listener (HttpServer) installs the table on cpp-httplib; tests call
// Dispatch() in-process, without a socket.
//
//   Router router(config.api_keys, &request_metrics);
//   router.Add({Method::kGet, "/v1/jobs/{id}", Access::kRead, [](const Request& req, Response& res,
//               RouteContext& ctx) { ... ctx.params[0] ... }});
//   for (const Route& r : router.routes()) ...   // every route with its method, pattern and access
//
// Thread-safety: Add() only before serving; Dispatch() and Invoke() are thread-safe after that
// (the table is read-only and handlers are called concurrently).
#pragma once

#include <httplib.h>

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "http_util.h"
#include "server_config.h"

namespace vigil::server {

enum class Method { kGet, kPost, kDelete };
const char* MethodName(Method method);

// Who may call a route. Every route that changes state (POST, DELETE) must need a key role
// (kRead or kAdmin); Router::Add refuses a mutating kPublic route.
enum class Access { kPublic, kRead, kAdmin };
const char* AccessName(Access access);

// How a route gets its body: kBuffered (read by the HTTP layer into Request::body and ::files,
// held to the route's max_body_bytes), kStreamed (the handler reads it with RouteContext::reader,
// e.g. a video upload streamed to disk).
enum class BodyMode { kBuffered, kStreamed };

// Per-request state a handler fills or reads.
struct RouteContext {
  std::vector<std::string> params;               // values of the pattern's {name} segments
  const httplib::ContentReader* reader = nullptr;  // kStreamed routes only
  bool body_read = false;  // kStreamed: the handler read the body (else the router drains it)
  // Metric labels. Set them only from known values (a loaded model's name and version), never
  // from the request as sent: unknown names would grow /metrics without bound.
  std::string model_label;
  std::string version_label;
};

using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&, RouteContext&)>;

struct Route {
  Route() = default;
  Route(Method method_, std::string pattern_, Access access_, RouteHandler handler_)
      : method(method_), pattern(std::move(pattern_)), access(access_), handler(std::move(handler_)) {}

  Method method = Method::kGet;
  std::string pattern;        // "/v1/jobs/{id}": literal text and {name} segments (no '/')
  Access access = Access::kRead;
  RouteHandler handler;
  BodyMode body = BodyMode::kBuffered;
  size_t max_body_bytes = 0;  // kBuffered: larger bodies get 413 (0 = ServerConfig::max_body_bytes)
  std::string metric_label;   // "route" label of the request metrics ("" = the pattern)
  bool measured = true;       // record vigil_http_requests_total / _seconds
};

class Router {
 public:
  // `metrics` may be null (no request metrics); `api_keys` empty = no authentication.
  Router(std::vector<ApiKey> api_keys, RequestMetrics* metrics, size_t default_max_body_bytes);

  // Adds a route; kInvalidArgument for a malformed pattern, a duplicate (method, pattern), or a
  // mutating route with Access::kPublic.
  Status Add(Route route);

  const std::vector<Route>& routes() const { return routes_; }
  // The regular expression cpp-httplib matches for route `i` ({name} -> ([^/]+), the rest literal).
  const std::string& regex_text(size_t i) const { return compiled_[i].text; }

  // The route for a method and path, or null (with *path_known set when another method matches).
  const Route* Find(Method method, const std::string& path, std::vector<std::string>* params = nullptr,
                    bool* path_known = nullptr) const;
  // The body limit for a request (its route's, or the default when no route matches).
  size_t BodyLimit(Method method, const std::string& path) const;

  // Checks access, runs the handler, records metrics. `reader` only for kStreamed routes.
  void Invoke(const Route& route, const httplib::Request& req, httplib::Response& res,
              std::vector<std::string> params, const httplib::ContentReader* reader = nullptr) const;
  // In-process dispatch by req.method and req.path (tests): 404 / 405 JSON errors like the server.
  void Dispatch(const httplib::Request& req, httplib::Response& res) const;

 private:
  struct Compiled {
    std::string text;
    std::regex regex;
  };
  std::vector<ApiKey> api_keys_;
  RequestMetrics* metrics_;
  size_t default_max_body_bytes_;
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

// The regular expression for a route pattern, or kInvalidArgument (empty, not starting with '/',
// unbalanced braces, an empty or nested {name}).
Result<std::string> PatternRegex(const std::string& pattern);

}  // namespace vigil::server
