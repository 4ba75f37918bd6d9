// GET /v1/models and POST /v1/models:reload (see model_routes.h).
#include "model_routes.h"

#include <nlohmann/json.hpp>

namespace vigil::server {
namespace {

using nlohmann::json;

void SendModels(ClassificationService& service, httplib::Response& res) {
  json models = json::array();
  for (const LoadedModel& m : service.Models()) {
    const ModelManifest& mf = m.manifest;
    models.push_back({{"name", mf.name},
                      {"version", mf.version},
                      {"task", mf.task},
                      {"input", {{"name", mf.input.name}, {"width", mf.input.width},
                                 {"height", mf.input.height}, {"channels", mf.input.channels},
                                 {"layout", mf.input.layout}}},
                      {"labels", mf.labels},
                      {"embedding_size", mf.embedding_size},
                      {"backend", m.backend},
                      {"source", mf.source}});
  }
  SendJson(res, 200, json{{"models", std::move(models)}}.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

Status RegisterModelRoutes(Router& router, const ServerConfig& config, ClassificationService* service) {
  const int retry_after = config.retry_after_seconds;
  VIGIL_RETURN_IF_ERROR(router.Add({Method::kGet, "/v1/models", Access::kRead,
                                    [service](const httplib::Request&, httplib::Response& res, RouteContext&) {
                                      SendModels(*service, res);
                                    }}));
  return router.Add({Method::kPost, "/v1/models:reload", Access::kAdmin,
                     [service, retry_after](const httplib::Request&, httplib::Response& res, RouteContext&) {
                       Status status = service->Reload();
                       if (!status.ok()) return SendStatus(res, status, retry_after);
                       SendModels(*service, res);
                     }});
}

}  // namespace vigil::server
