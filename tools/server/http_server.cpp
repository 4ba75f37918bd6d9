// HttpServer: cpp-httplib set-up (limits, timeouts, JSON errors), authentication, request metrics
// and the routes: /v1/images:classify, /v1/models, /v1/models:reload, /healthz, /readyz, /metrics,
// /openapi.json; the job routes are in job_routes.cpp.
#include "http_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "result_json.h"
#include "http_util.h"

namespace vigil::server {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

bool ParseIntParam(const httplib::Request& req, const char* name, int min, int max, int* out,
                   httplib::Response& res) {
  if (!req.has_param(name)) return true;
  const std::string text = req.get_param_value(name);
  try {
    size_t used = 0;
    long v = std::stol(text, &used);
    if (used != text.size() || v < min || v > max) throw std::out_of_range(text);
    *out = int(v);
    return true;
  } catch (const std::exception&) {
    SendError(res, 400, "invalid_argument",
              std::string("query parameter ") + name + " must be an integer in " +
                  std::to_string(min) + ".." + std::to_string(max) + ", got \"" + text + "\"");
    return false;
  }
}

// A decimal number (digits, '.', exponent; no hex, inf or nan) in [min, max], or (min, max] when
// `open_min`.
bool ParseNumberParam(const httplib::Request& req, const char* name, double min, bool open_min, double max,
                      float* out, httplib::Response& res) {
  if (!req.has_param(name)) return true;
  const std::string text = req.get_param_value(name);
  size_t used = 0;
  double v = 0;
  const bool plain = !text.empty() && text.find_first_not_of("0123456789.eE+-") == std::string::npos;
  try {
    if (plain) v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (!plain || used != text.size() || !(v >= min && v <= max) || (open_min && v == min)) {
    std::ostringstream message;
    message << "query parameter " << name << " must be a number in " << (open_min ? "(" : "[") << min << ", "
            << max << "], got \"" << text << "\"";
    SendError(res, 400, "invalid_argument", message.str());
    return false;
  }
  *out = float(v);
  return true;
}

bool IsImageContentType(const std::string& type) {
  return type.rfind("image/", 0) == 0 || type.rfind("application/octet-stream", 0) == 0;
}

}  // namespace

struct HttpServer::Routes {
  HttpServer& s;
  RequestMetrics& metrics;

  // Wraps a handler with request metrics by route, model, version and status.
  template <typename Handler>
  httplib::Server::Handler Measured(const std::string& route, Handler handler) {
    return [this, route, handler](const httplib::Request& req, httplib::Response& res) {
      const auto start = Clock::now();
      std::string model, version;
      handler(req, res, &model, &version);
      metrics.Record(route, model, version, res.status,
                     std::chrono::duration<double>(Clock::now() - start).count());
    };
  }

  void Classify(const httplib::Request& req, httplib::Response& res, std::string* model_label,
                std::string* version_label) {
    const ServerConfig& config = s.config_;
    if (!Authorize(config, req, res, Role::kRead)) return;
    if (req.body.size() > config.max_body_bytes) {  // a chunked body has no Content-Length to check early
      SendError(res, 413, "resource_exhausted", "request body larger than max_body_bytes");
      return;
    }
    // Unknown or repeated query parameters are refused: a typo ("score_treshold") must not silently
    // fall back to the defaults.
    static const char* const kClassifyParams[] = {"model",           "version",       "top_k",         "embedding",
                                                  "score_threshold", "iou_threshold", "max_detections"};
    for (const auto& [name, value] : req.params) {
      if (std::find(std::begin(kClassifyParams), std::end(kClassifyParams), name) == std::end(kClassifyParams)) {
        SendError(res, 400, "invalid_argument",
                  "unknown query parameter \"" + name +
                      "\" (accepted: model, version, top_k, embedding, score_threshold, iou_threshold, max_detections)");
        return;
      }
      if (req.params.count(name) > 1) {
        SendError(res, 400, "invalid_argument", "query parameter " + name + " given more than once");
        return;
      }
    }
    ClassifyRequest base;
    base.model = req.get_param_value("model");
    *model_label = base.model;
    if (!ParseIntParam(req, "version", 0, 1 << 30, &base.version, res)) return;
    if (!ParseIntParam(req, "top_k", 0, 1 << 20, &base.top_k, res)) return;
    if (req.has_param("embedding")) base.with_embedding = req.get_param_value("embedding") == "true";
    // Detection settings of this request (ranges of ValidateDetectParams; the server's limits below).
    if (!ParseNumberParam(req, "score_threshold", 0, false, 1, &base.detect.score_threshold, res)) return;
    if (!ParseNumberParam(req, "iou_threshold", 0, true, 1, &base.detect.iou_threshold, res)) return;
    if (!ParseIntParam(req, "max_detections", 1, kMaxDetections, &base.detect.max_detections, res)) return;
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
    // Detection models answer with boxes and tags, classifiers with labels; either way the
    // inference runs on the service's workers, never on this HTTP thread.
    const bool detector = !base.model.empty() && s.service_->IsDetector(base.model, base.version);
    const bool detect_params = req.has_param("score_threshold") || req.has_param("iou_threshold") ||
                               req.has_param("max_detections");
    const auto loaded = [&] {  // an unknown model is left to the service's 404
      for (const LoadedModel& m : s.service_->Models()) {
        if (m.manifest.name == base.model) return true;
      }
      return base.model.empty();
    };
    if (detect_params && !detector && loaded()) {
      SendError(res, 400, "invalid_argument",
                "score_threshold, iou_threshold and max_detections apply to detection models only; \"" +
                    (base.model.empty() ? std::string("(default model)") : base.model) + "\" is not one");
      return;
    }
    if (Status checked = s.service_->CheckDetectParams(base.detect); !checked.ok()) {
      SendStatus(res, checked, config.retry_after_seconds);
      return;
    }
    std::string backend;
    if (detector) {
      for (const LoadedModel& m : s.service_->Models()) {
        if (m.manifest.name == base.model && m.manifest.task == "detection") backend = m.backend;
      }
    }
    std::vector<std::future<Result<Prediction>>> futures;
    std::vector<std::future<Result<DetectionResult>>> detection_futures;
    for (const auto& [name, bytes] : images) {
      ClassifyRequest r = base;
      r.image_bytes.assign(bytes.begin(), bytes.end());
      if (detector) {
        detection_futures.push_back(s.service_->SubmitDetection(std::move(r)));
      } else {
        futures.push_back(s.service_->Submit(std::move(r)));
      }
    }
    json results = json::array();
    Status first_error;
    size_t failed = 0;
    for (size_t i = 0; i < images.size(); ++i) {
      json item;
      Status status;
      if (detector) {
        Result<DetectionResult> d =
            detection_futures[i].wait_until(base.deadline) == std::future_status::ready
                ? detection_futures[i].get()
                : Result<DetectionResult>(DeadlineExceededError("request timed out"));
        status = d.status();
        if (d.ok()) {
          item = SingleDetectorJson(*d, backend);
          *model_label = d->model;
          *version_label = std::to_string(d->version);
        }
      } else {
        Result<Prediction> p = futures[i].wait_until(base.deadline) == std::future_status::ready
                                   ? futures[i].get()
                                   : Result<Prediction>(DeadlineExceededError("request timed out"));
        status = p.status();
        if (p.ok()) {
          item = PredictionJson(*p);
          *model_label = p->model;
          *version_label = std::to_string(p->version);
        }
      }
      if (!status.ok()) {
        ++failed;
        if (first_error.ok()) first_error = status;
        item["error"] = {{"code", StatusCodeName(status.code())}, {"message", status.message()}};
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

  void Models(const httplib::Request& req, httplib::Response& res, std::string*, std::string*) {
    if (!Authorize(s.config_, req, res, Role::kRead)) return;
    json models = json::array();
    for (const LoadedModel& m : s.service_->Models()) {
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
    SendJson(res, 200, json{{"models", std::move(models)}}.dump());
  }

  void Reload(const httplib::Request& req, httplib::Response& res, std::string*, std::string*) {
    if (!Authorize(s.config_, req, res, Role::kAdmin)) return;
    Status status = s.service_->Reload();
    if (!status.ok()) {
      SendStatus(res, status, s.config_.retry_after_seconds);
      return;
    }
    Models(req, res, nullptr, nullptr);
  }
};

HttpServer::HttpServer(const ServerConfig& config, ClassificationService* service, const JobServices& jobs)
    : config_(config), service_(service), jobs_(jobs), http_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const ServerConfig& config,
                                                       ClassificationService* service,
                                                       const JobServices& jobs) {
  VIGIL_RETURN_IF_ERROR(ValidateServerConfig(config));
  std::unique_ptr<HttpServer> server(new HttpServer(config, service, jobs));
  server->RegisterRoutes();
  return server;
}

void HttpServer::RegisterRoutes() {
  httplib::Server& http = *http_;
  const int threads = config_.http_threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Video uploads stream to disk up to jobs.max_upload_bytes; every other route is held to
  // max_body_bytes before its body is read.
  http.set_payload_max_length(std::max(config_.max_body_bytes, config_.jobs.max_upload_bytes));
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/v1/videos:tag" || !req.has_header("Content-Length")) return httplib::Server::HandlerResponse::Unhandled;
    if (std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) <= config_.max_body_bytes) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    SendError(res, 413, "resource_exhausted", "HTTP 413: request body larger than max_body_bytes");
    return httplib::Server::HandlerResponse::Handled;
  });
  // A client that asks "Expect: 100-continue" for a body over the limit gets the 413 instead of
  // "100 Continue": answering 413 after it started sending and closing with its body unread can
  // reset the connection before the client reads the answer (curl then reports only the 100).
  http.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    const bool upload = req.path == "/v1/videos:tag";
    const size_t limit = upload ? config_.jobs.max_upload_bytes : config_.max_body_bytes;
    if (!req.has_header("Content-Length") ||
        std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) <= limit) {
      return 100;
    }
    SendError(res, 413, "resource_exhausted",
              std::string("request body larger than ") + (upload ? "jobs.max_upload_bytes" : "max_body_bytes"));
    return 413;
  });
  http.set_read_timeout(config_.read_timeout_seconds, 0);
  http.set_write_timeout(config_.read_timeout_seconds, 0);
  http.set_keep_alive_timeout(5);
  http.set_tcp_nodelay(true);  // small JSON answers must not wait for delayed ACKs (~40 ms)

  request_metrics_ = std::make_unique<RequestMetrics>(service_->metrics());
  auto routes = std::make_shared<Routes>(Routes{*this, *request_metrics_});

  http.Post("/v1/images:classify",
            routes->Measured("/v1/images:classify", [routes](const auto& req, auto& res, auto* m, auto* v) {
              routes->Classify(req, res, m, v);
            }));
  http.Get("/v1/models", routes->Measured("/v1/models", [routes](const auto& req, auto& res, auto* m, auto* v) {
    routes->Models(req, res, m, v);
  }));
  http.Post("/v1/models:reload",
            routes->Measured("/v1/models:reload", [routes](const auto& req, auto& res, auto* m, auto* v) {
              routes->Reload(req, res, m, v);
            }));
  RegisterJobRoutes(http, config_, jobs_, *request_metrics_);
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, R"({"status":"ok"})");
  });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (service_->Ready()) {
      SendJson(res, 200, R"({"status":"ready"})");
    } else {
      SendError(res, 503, "unavailable", "no model loaded or shutting down", config_.retry_after_seconds);
    }
  });
  http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!config_.metrics_public && !Authorize(config_, req, res, Role::kRead)) return;
    service_->metrics().Gauge("vigil_queue_depth", "").Set({}, double(service_->QueueDepth()));
    if (jobs_.runner) (void)jobs_.runner->RefreshMetrics();
    res.set_content(service_->metrics().Render(), "text/plain; version=0.0.4");
  });
  http.Get("/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, OpenApiJson());
  });
  // Every error without a body (unknown route 404, 413 from the body limit, 400 from a malformed
  // request line...) still gets a JSON body.
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const char* code = res.status == 404 ? "not_found"
                       : res.status == 413 ? "resource_exhausted"
                       : res.status == 405 ? "method_not_allowed"
                       : res.status < 500 ? "invalid_argument" : "internal";
    const char* reason = res.status == 404 ? "no such route"
                         : res.status == 413 ? "request body larger than max_body_bytes"
                         : res.status == 405 ? "method not allowed on this route"
                         : "malformed request";
    SendError(res, res.status, code, std::string("HTTP ") + std::to_string(res.status) + ": " + reason);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unexpected error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    SendError(res, 500, "internal", what);
  });
}

Result<int> HttpServer::Bind() {
  int port = config_.port == 0 ? http_->bind_to_any_port(config_.host)
                               : (http_->bind_to_port(config_.host, config_.port) ? config_.port : -1);
  if (port < 0) {
    return UnavailableError("cannot listen on " + config_.host + ":" + std::to_string(config_.port));
  }
  return port;
}

Status HttpServer::Serve() {
  if (!http_->listen_after_bind()) return InternalError("the HTTP server stopped with an error");
  return Status::Ok();
}

void HttpServer::Stop() {
  if (http_) http_->stop();
}

}  // namespace vigil::server
