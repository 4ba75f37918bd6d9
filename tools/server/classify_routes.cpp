// POST /v1/images:classify (see classify_routes.h): query parameters, image bodies, submission to
// the service, per-image results and errors.
#include "classify_routes.h"

#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>

#include "request_params.h"
#include "result_json.h"

namespace vigil::server {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

bool IsImageContentType(const std::string& type) {
  return type.rfind("image/", 0) == 0 || type.rfind("application/octet-stream", 0) == 0;
}

class ClassifyRoute {
 public:
  ClassifyRoute(const ServerConfig& config, ClassificationService* service) : config_(config), service_(service) {}

  void Classify(const httplib::Request& req, httplib::Response& res, RouteContext& ctx) {
    const ServerConfig& config = config_;
    auto bad = [&](const Status& s) { SendStatus(res, s, config.retry_after_seconds); };
    // Unknown or repeated query parameters are refused: a typo ("score_treshold") must not silently
    // fall back to the defaults.
    if (Status s = CheckQueryParams(req, {"model", "version", "top_k", "embedding", "score_threshold",
                                          "iou_threshold", "max_detections"});
        !s.ok()) {
      return bad(s);
    }
    ClassifyRequest base;
    if (req.has_param("model")) {
      base.model = req.get_param_value("model");
      if (Status s = CheckModelName("query parameter model", base.model); !s.ok()) return bad(s);
    }
    // Detection thresholds of this request (ranges of ValidateDetectionThresholds; the service checks
    // the server's limits).
    for (Status s : {ReadIntParam(req, "version", 0, 1 << 30, &base.version),
                     ReadIntParam(req, "top_k", 0, 1 << 20, &base.top_k),
                     ReadBoolParam(req, "embedding", &base.with_embedding),
                     ReadNumberParam(req, "score_threshold", 0, false, 1, &base.detect.score_threshold),
                     ReadNumberParam(req, "iou_threshold", 0, true, 1, &base.detect.iou_threshold),
                     ReadIntParam(req, "max_detections", 1, kMaxDetections, &base.detect.max_detections)}) {
      if (!s.ok()) return bad(s);
    }
    // The model label only for a loaded model (never a name as sent: /metrics would grow with every
    // new one); results below set it again from what actually ran.
    for (const LoadedModel& m : service_->Models()) {
      if (m.manifest.name == base.model) ctx.model_label = base.model;
    }
    base.deadline = Clock::now() + std::chrono::seconds(config.request_timeout_seconds);

    std::vector<std::pair<std::string, std::string>> images;  // filename, bytes
    const std::string content_type = req.get_header_value("Content-Type");
    if (req.is_multipart_form_data()) {
      for (const auto& [field, part] : req.files) {
        if (!part.filename.empty() || !part.content.empty()) images.emplace_back(part.filename, part.content);
      }
      if (images.empty()) {
        SendError(res, 400, "invalid_argument", "the multipart body has no image parts");
        return;
      }
    } else if (IsImageContentType(content_type)) {
      if (req.body.empty()) {
        SendError(res, 400, "invalid_argument", "the request body is empty: send the image bytes");
        return;
      }
      images.emplace_back("", req.body);
    } else {
      SendError(res, 415, "unsupported_media_type",
                "Content-Type must be image/*, application/octet-stream or multipart/form-data, got \"" +
                    content_type + "\"");
      return;
    }
    if (images.size() > size_t(config.max_images_per_request)) {
      SendError(res, 413, "resource_exhausted",
                std::to_string(images.size()) + " images in one request; the limit is " +
                    std::to_string(config.max_images_per_request));
      return;
    }
    // Whatever the model (classifier or detector, any loaded version), the service checks the
    // request once, runs each image on its workers (never on this HTTP thread) and answers with
    // the one output type.
    if (Status checked = service_->CheckRequest(base); !checked.ok()) return bad(checked);
    std::vector<std::future<Result<ModelOutput>>> futures;
    for (const auto& [name, bytes] : images) {
      ClassifyRequest r = base;
      r.image_bytes.assign(bytes.begin(), bytes.end());
      futures.push_back(service_->Submit(std::move(r)));
    }
    json results = json::array();
    Status first_error;
    size_t failed = 0;
    for (size_t i = 0; i < images.size(); ++i) {
      Result<ModelOutput> out = futures[i].wait_until(base.deadline) == std::future_status::ready
                                    ? futures[i].get()
                                    : Result<ModelOutput>(DeadlineExceededError("request timed out"));
      json item;
      if (out.ok()) {
        item = SingleModelJson(*out);
        ctx.model_label = out->model;
        ctx.version_label = std::to_string(out->version);
      } else {
        ++failed;
        if (first_error.ok()) first_error = out.status();
        item["error"] = {{"code", StatusCodeName(out.status().code())}, {"message", out.status().message()}};
      }
      if (!images[i].first.empty()) item["filename"] = images[i].first;
      results.push_back(std::move(item));
    }
    // A single image that failed is the request's failure; with several, each carries its own.
    if (failed == images.size() && (images.size() == 1 || first_error.code() == StatusCode::kUnavailable)) {
      SendStatus(res, first_error, config.retry_after_seconds);
      return;
    }
    SendJson(res, 200, json{{"results", std::move(results)}}.dump(-1, ' ', false, json::error_handler_t::replace));
  }

 private:
  const ServerConfig config_;
  ClassificationService* service_;
};

}  // namespace

Status RegisterClassifyRoutes(Router& router, const ServerConfig& config, ClassificationService* service) {
  auto route = std::make_shared<ClassifyRoute>(config, service);
  return router.Add({Method::kPost, "/v1/images:classify", Access::kRead,
                     [route](const httplib::Request& req, httplib::Response& res, RouteContext& ctx) {
                       route->Classify(req, res, ctx);
                     }});
}

}  // namespace vigil::server
