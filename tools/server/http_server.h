// HttpServer: the REST front end of `vigil serve`. HTTP threads only parse, validate and format;
// inference runs in the ClassificationService's workers. Routes: docs/http-api.md.
#pragma once

#include <memory>
#include <string>

#include "http_util.h"
#include "job_routes.h"
#include "server_config.h"
#include "vigil/service.h"

namespace httplib {
class Server;
}

namespace vigil::server {

class HttpServer {
 public:
  // `service` (and the job store and runner, when given) must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Create(const ServerConfig& config,
                                                    ClassificationService* service,
                                                    const JobServices& jobs = {});
  ~HttpServer();
  // Binds the listening socket; returns the port (useful with port 0).
  Result<int> Bind();
  // Serves until Stop(); in-flight requests finish first.
  Status Serve();
  void Stop();

 private:
  HttpServer(const ServerConfig& config, ClassificationService* service, const JobServices& jobs);
  void RegisterRoutes();
  struct Routes;
  ServerConfig config_;
  ClassificationService* service_;
  JobServices jobs_;
  std::unique_ptr<RequestMetrics> request_metrics_;
  std::unique_ptr<httplib::Server> http_;
};

// The OpenAPI 3 description of every route (openapi.cpp).
std::string OpenApiJson();

}  // namespace vigil::server
