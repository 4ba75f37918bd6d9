// GET /healthz, /readyz and /metrics (see health_routes.h).
#include "health_routes.h"

namespace vigil::server {

Status RegisterHealthRoutes(Router& router, const ServerConfig& config, ClassificationService* service,
                            JobRunner* runner) {
  Route healthz{Method::kGet, "/healthz", Access::kPublic,
                [](const httplib::Request&, httplib::Response& res, RouteContext&) {
                  SendJson(res, 200, R"({"status":"ok"})");
                }};
  healthz.measured = false;
  VIGIL_RETURN_IF_ERROR(router.Add(std::move(healthz)));
  const int retry_after = config.retry_after_seconds;
  Route readyz{Method::kGet, "/readyz", Access::kPublic,
               [service, retry_after](const httplib::Request&, httplib::Response& res, RouteContext&) {
                 if (service->Ready()) return SendJson(res, 200, R"({"status":"ready"})");
                 SendError(res, 503, "unavailable", "no model loaded or shutting down", retry_after);
               }};
  readyz.measured = false;
  VIGIL_RETURN_IF_ERROR(router.Add(std::move(readyz)));
  Route metrics{Method::kGet, "/metrics", config.metrics_public ? Access::kPublic : Access::kRead,
                [service, runner](const httplib::Request&, httplib::Response& res, RouteContext&) {
                  service->metrics().Gauge("vigil_queue_depth", "").Set({}, double(service->QueueDepth()));
                  if (runner) (void)runner->RefreshMetrics();
                  res.status = 200;
                  res.set_content(service->metrics().Render(), "text/plain; version=0.0.4");
                }};
  metrics.measured = false;
  return router.Add(std::move(metrics));
}

}  // namespace vigil::server
