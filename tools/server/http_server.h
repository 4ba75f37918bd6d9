// HttpServer: the HTTP listener of `vigil serve` (cpp-httplib for parsing and routing; connections
// held by the event-driven ConnectionFront: a total deadline per request head and body, a cap on
// open connections), JSON bodies for every error, and the Router's routes installed on it. It owns the listener and
// the router only; the services behind the routes belong to the route modules and to the
// composition root (serve_app.h).
#pragma once

#include <memory>
#include <string>

#include "router.h"
#include "server_config.h"
#include "vigil/metrics.h"

namespace httplib {
class Server;
class Stream;
}

namespace vigil::server {

class HttpServer {
 public:
  // The listener for `config` (host, port, http_threads, max_connections, limits, timeouts)
  // serving `router`; connection metrics go to `metrics` (may be null; must outlive the server).
  static Result<std::unique_ptr<HttpServer>> Create(const ServerConfig& config, std::unique_ptr<Router> router,
                                                    MetricsRegistry* metrics = nullptr);
  ~HttpServer();
  // Binds the listening socket; returns the port (useful with port 0).
  Result<int> Bind();
  // Serves until Stop(); in-flight requests finish first.
  Status Serve();
  // Thread-safe; may be called from any thread (a signal waiter).
  void Stop();

  const Router& router() const { return *router_; }

  // Serves one request read from `stream` exactly as a connection's worker does (parsing, framing
  // checks, body limits, routing, error bodies), without a socket or the connection front; the
  // answer is written to `stream`. For the HTTP fuzz target (tests/fuzz/http_request_fuzz.cpp).
  bool ServeStream(httplib::Stream& stream);

 private:
  HttpServer(const ServerConfig& config, std::unique_ptr<Router> router, MetricsRegistry* metrics);
  void Install();
  ServerConfig config_;
  std::unique_ptr<Router> router_;
  MetricsRegistry* metrics_;
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace vigil::server
