// Job routes (see job_routes.h): request parsing and limits, upload streaming, callback policy,
// job JSON. Options are checked here and by the job handler's Validate before anything is queued.
#include "job_routes.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "job_json.h"
#include "upload_file.h"
#include "vigil/callback_url.h"
#include "vigil/text_checks.h"

namespace vigil::server {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr size_t kMaxJsonRequestBytes = 64 << 10;

// Query parameters (and JSON request fields) that become job options, with their types.
// model: comma-separated names; the rest map one to one.
Status AddOption(const std::string& name, const json& value, json* options) {
  auto bad = [&](const std::string& why) { return InvalidArgumentError("parameter " + name + ": " + why); };
  auto as_text = [&]() -> std::string { return value.is_string() ? value.get<std::string>() : value.dump(); };
  // Names and labels never carry NUL or other control characters (they reach logs, the store and
  // metric labels).
  if (value.is_string() && HasControlCharacter(value.get<std::string>())) return bad("has a control character");
  if (value.is_array()) {
    for (const json& item : value) {
      if (item.is_string() && HasControlCharacter(item.get<std::string>())) return bad("has a control character");
    }
  }
  if (name == "sampler") {
    if (!value.is_string() || value.get<std::string>().empty()) return bad("must be a sampler name, e.g. keyframes");
    (*options)["sampler"] = value;
  } else if (name == "model" || name == "models") {
    json models = json::array();
    if (value.is_array()) {
      for (const json& m : value) {
        if (!m.is_string() || m.get<std::string>().empty()) return bad("must be model names");
        models.push_back(m);
      }
    } else if (value.is_string()) {
      std::string text = value.get<std::string>(), item;
      for (size_t start = 0; start <= text.size();) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        item = text.substr(start, comma - start);
        if (item.empty()) return bad("empty model name in \"" + text + "\"");
        models.push_back(item);
        start = comma + 1;
      }
    } else {
      return bad("must be a model name or a list of names");
    }
    if (models.empty() || models.size() > 8) return bad("between 1 and 8 models");
    (*options)["models"] = models;
  } else if (name == "max_frames") {
    const std::string text = as_text();
    char* end = nullptr;
    const long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < 0 || v > 1000000) return bad("must be an integer in 0..1000000");
    (*options)["max_frames"] = v;
  } else if (name == "threshold") {
    const std::string text = as_text();
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(v >= 0 && v <= 1)) return bad("must be a number in 0..1");
    (*options)["threshold"] = v;
  } else if (name == "detect_shots" || name == "frames") {
    const std::string text = as_text();
    if (text != "true" && text != "false") return bad("must be true or false");
    (*options)[name] = text == "true";
  } else {
    return InvalidArgumentError("unknown parameter \"" + name +
                                "\" (sampler, model, max_frames, threshold, detect_shots, frames, callback_url)");
  }
  return Status::Ok();
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool AllowedContentType(const JobsConfig& jobs, const std::string& type) {
  for (const std::string& allowed : jobs.allowed_content_types) {
    if (StartsWith(type, allowed)) return true;
  }
  return false;
}

// A server-local input must resolve (symlinks included) to a regular file inside one of input_dirs.
Result<std::string> CheckLocalInput(const JobsConfig& jobs, const std::string& path) {
  if (jobs.input_dirs.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "server-local paths are disabled on this server (no jobs.input_dirs): upload the video");
  }
  VIGIL_RETURN_IF_ERROR(CheckText(path, "path"));  // a NUL would be cut off by the file system calls
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(path, ec);
  if (ec) return NotFoundError("no such file: " + path);
  for (const std::string& dir : jobs.input_dirs) {
    const std::filesystem::path root = std::filesystem::canonical(dir, ec);
    if (ec) continue;
    const std::string prefix = root.string() + "/";
    if (StartsWith(real.string(), prefix)) {
      if (!std::filesystem::is_regular_file(real, ec)) return InvalidArgumentError(path + " is not a regular file");
      return real.string();
    }
  }
  return Status(StatusCode::kFailedPrecondition, path + " is outside jobs.input_dirs");
}

class JobRoutes {
 public:
  JobRoutes(const ServerConfig& config, const JobServices& jobs) : config_(config), jobs_(jobs) {}

  void Submit(const httplib::Request& req, httplib::Response& res, RouteContext& ctx) {
    SubmitVideoJob(config_, jobs_, kVideoTagJobKind, AddOption, req, res, ctx);
  }

  void Get(const httplib::Request&, httplib::Response& res, RouteContext& ctx) {
    if (!Ready(res) || !CheckJobId(ctx.params[0], res)) return;
    Result<Job> job = jobs_.store->Get(ctx.params[0]);
    if (job.ok()) SendJson(res, 200, JobJson(*job)); else SendStatus(res, job.status(), config_.retry_after_seconds);
  }

  void Cancel(const httplib::Request&, httplib::Response& res, RouteContext& ctx) {
    if (!Ready(res) || !CheckJobId(ctx.params[0], res)) return;
    Result<Job> job = jobs_.runner->Cancel(ctx.params[0]);
    if (job.ok()) SendJson(res, 202, JobJson(*job)); else SendStatus(res, job.status(), config_.retry_after_seconds);
  }

  void List(const httplib::Request& req, httplib::Response& res, RouteContext&) { ListImpl(req, res); }

 private:
  // A job id from the path: NUL and other control characters are refused before any lookup.
  static bool CheckJobId(const std::string& id, httplib::Response& res) {
    if (!HasControlCharacter(id) && id.size() <= 128) return true;
    SendError(res, 400, "invalid_argument", "a job id has no control characters and at most 128 bytes");
    return false;
  }

  bool Ready(httplib::Response& res) {
    if (jobs_.runner) return true;
    SendError(res, 503, "unavailable", "jobs are disabled on this server (jobs.enabled: false)");
    return false;
  }

  void ListImpl(const httplib::Request& req, httplib::Response& res) {
    if (!Ready(res)) return;
    std::optional<JobState> state;
    if (req.has_param("state")) {
      Result<JobState> s = ParseJobState(req.get_param_value("state"));
      if (!s.ok()) return SendStatus(res, s.status(), 0);
      state = *s;
    }
    int limit = 100;
    if (req.has_param("limit")) {
      const std::string text = req.get_param_value("limit");
      char* end = nullptr;
      const long v = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || v < 1 || v > 1000) {
        return SendError(res, 400, "invalid_argument", "query parameter limit must be an integer in 1..1000");
      }
      limit = int(v);
    }
    Result<std::vector<Job>> jobs = jobs_.store->List(state, limit);
    if (!jobs.ok()) return SendStatus(res, jobs.status(), config_.retry_after_seconds);
    std::string body = "{\"jobs\":[";
    for (size_t i = 0; i < jobs->size(); ++i) body += (i ? "," : "") + JobJson((*jobs)[i]);
    SendJson(res, 200, body + "]}");
  }

  const ServerConfig config_;
  JobServices jobs_;
};

}  // namespace

void SubmitVideoJob(const ServerConfig& config, const JobServices& jobs, const std::string& kind,
                  const JobOptionFn& add_option, const httplib::Request& req, httplib::Response& res,
                  RouteContext& ctx) {
  if (!jobs.runner) {
    return SendError(res, 503, "unavailable", "jobs are disabled on this server (jobs.enabled: false)");
  }
  const httplib::ContentReader& reader = *ctx.reader;
  std::string* model_label = &ctx.model_label;
  bool* body_read = &ctx.body_read;
  const JobsConfig& jc = config.jobs;
  json options = json::object();
  std::string callback_url;
  for (const auto& [name, value] : req.params) {
    if (name == "callback_url") {
      callback_url = value;
      continue;
    }
    if (req.params.count(name) > 1) {
      return SendError(res, 400, "invalid_argument", "parameter " + name + " given more than once");
    }
    Status s = add_option(name, json(value), &options);
    if (!s.ok()) return SendStatus(res, s, 0);
  }
  const std::string content_type = req.get_header_value("Content-Type");
  const bool is_json = StartsWith(content_type, "application/json");
  const bool is_multipart = req.is_multipart_form_data();
  if (!is_json && !is_multipart && !AllowedContentType(jc, content_type)) {
    std::string allowed;
    for (const std::string& t : jc.allowed_content_types) allowed += (allowed.empty() ? "" : ", ") + t + "*";
    return SendError(res, 415, "unsupported_media_type",
                     "Content-Type must be one of " + allowed +
                         ", multipart/form-data or application/json, got \"" + content_type + "\"");
  }
  const size_t limit = is_json ? kMaxJsonRequestBytes : jc.max_upload_bytes;
  if (req.has_header("Content-Length") &&
      std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > limit) {
    return SendError(res, 413, "resource_exhausted",
                     "request body larger than " + std::string(is_json ? "64 KiB (JSON request)" : "jobs.max_upload_bytes") +
                         " (" + std::to_string(limit) + " bytes)");
  }
  if (!callback_url.empty()) {
    Result<CallbackUrl> cb = CheckCallbackUrl(config.callbacks.allowed_hosts, callback_url);
    if (!cb.ok()) return SendStatus(res, cb.status(), 0);
  }

  const std::string id = JobStore::NewJobId();
  std::string input;
  std::optional<UploadFile> upload;
  if (is_json) {
    std::string body;
    bool too_big = false;
    *body_read = true;
    const bool read = reader([&](const char* data, size_t n) {
      if (body.size() + n > kMaxJsonRequestBytes) return !(too_big = true);
      body.append(data, n);
      return true;
    });
    if (too_big) return SendError(res, 413, "resource_exhausted", "JSON request larger than 64 KiB");
    if (!read) return SendError(res, 400, "invalid_argument", "the request body ended early");
    json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded() || !request.is_object()) {
      return SendError(res, 400, "invalid_argument", "the body is not a JSON object: {\"path\": \"/videos/a.mp4\", ...}");
    }
    for (const auto& [name, value] : request.items()) {
      if (name == "path") continue;
      if (name == "callback_url") {
        if (!value.is_string()) return SendError(res, 400, "invalid_argument", "callback_url must be a string");
        callback_url = value.get<std::string>();
        Result<CallbackUrl> cb = CheckCallbackUrl(config.callbacks.allowed_hosts, callback_url);
        if (!cb.ok()) return SendStatus(res, cb.status(), 0);
        continue;
      }
      Status s = add_option(name, value, &options);
      if (!s.ok()) return SendStatus(res, s, 0);
    }
    if (!request.contains("path") || !request["path"].is_string()) {
      return SendError(res, 400, "invalid_argument", "the JSON request needs \"path\": a server-local video file");
    }
    Result<std::string> local = CheckLocalInput(jc, request["path"].get<std::string>());
    if (!local.ok()) {
      const int code = local.status().code() == StatusCode::kFailedPrecondition ? 403 : HttpStatusFor(local.status().code());
      return SendError(res, code, code == 403 ? "permission_denied" : StatusCodeName(local.status().code()),
                       local.status().message());
    }
    input = *local;
  } else {
    Result<UploadFile> file = UploadFile::Create(jc.data_dir, id + ".video", jc.max_upload_bytes);
    if (!file.ok()) return SendStatus(res, file.status(), config.retry_after_seconds);
    upload.emplace(std::move(*file));
    Status write_error;
    // Appends to the file. After a full or read-only disk (kUnavailable) the rest of the body is
    // read and dropped, so the client reads the 503 (closing with its body unsent can reset the
    // connection before the answer arrives); over max_upload_bytes, reading stops (413).
    auto Store = [&](const char* data, size_t n) {
      if (!write_error.ok()) return true;
      write_error = upload->Append(data, n);
      return write_error.ok() || write_error.code() == StatusCode::kUnavailable;
    };
    int file_parts = 0;
    std::string part_type;
    bool read;
    *body_read = true;
    if (is_multipart) {
      read = reader(
          [&](const httplib::MultipartFormData& part) {
            // Only the first part that carries a file is the video; other fields are refused.
            if (part.filename.empty() && part.name != "file" && part.name != "video") {
              write_error = InvalidArgumentError("unexpected multipart field \"" + part.name +
                                                 "\": send one part \"file\" with the video; options go in the query");
              return false;
            }
            if (++file_parts > 1) {
              write_error = InvalidArgumentError("one video per request: the multipart body has several files");
              return false;
            }
            part_type = part.content_type;
            return true;
          },
          [&](const char* data, size_t n) { return Store(data, n); });
    } else {
      read = reader([&](const char* data, size_t n) { return Store(data, n); });
    }
    if (!write_error.ok()) return SendStatus(res, write_error, config.retry_after_seconds);
    if (!read) {
      if (res.status == 413) return SendError(res, 413, "resource_exhausted", "request body too large");
      return SendError(res, 400, "invalid_argument", "the upload ended before its declared length");
    }
    if (is_multipart && file_parts == 0) {
      return SendError(res, 400, "invalid_argument", "the multipart body has no file part");
    }
    if (is_multipart && !part_type.empty() && !AllowedContentType(jc, part_type)) {
      return SendError(res, 415, "unsupported_media_type", "the file part's Content-Type \"" + part_type +
                                                               "\" is not an allowed video type");
    }
    if (upload->size() == 0) return SendError(res, 400, "invalid_argument", "the video is empty (0 bytes)");
    Status committed = upload->Commit();
    if (!committed.ok()) return SendStatus(res, committed, config.retry_after_seconds);
    input = upload->path();
  }
  NewJob job;
  job.id = id;
  job.kind = kind;
  job.input = input;
  job.options_json = options.dump();
  job.callback_url = callback_url;
  Result<Job> queued = jobs.runner->Submit(job);
  if (!queued.ok()) {
    if (upload) std::filesystem::remove(input);
    return SendStatus(res, queued.status(), config.retry_after_seconds);
  }
  // Queued: its models were checked (loaded or installed), so the first one may be a label.
  if (options.contains("models")) *model_label = options["models"][0].get<std::string>();
  res.set_header("Location", "/v1/jobs/" + queued->id);
  SendJson(res, 202, JobJson(*queued));
}

Status RegisterJobRoutes(Router& router, const ServerConfig& config, const JobServices& jobs) {
  auto routes = std::make_shared<JobRoutes>(config, jobs);
  using std::placeholders::_1, std::placeholders::_2, std::placeholders::_3;
  Route submit{Method::kPost, "/v1/videos:tag", Access::kRead, std::bind(&JobRoutes::Submit, routes, _1, _2, _3)};
  submit.body = BodyMode::kStreamed;
  submit.max_body_bytes = config.jobs.max_upload_bytes;
  VIGIL_RETURN_IF_ERROR(router.Add(std::move(submit)));
  VIGIL_RETURN_IF_ERROR(
      router.Add({Method::kGet, "/v1/jobs", Access::kAdmin, std::bind(&JobRoutes::List, routes, _1, _2, _3)}));
  VIGIL_RETURN_IF_ERROR(
      router.Add({Method::kGet, "/v1/jobs/{id}", Access::kRead, std::bind(&JobRoutes::Get, routes, _1, _2, _3)}));
  Route cancel{Method::kDelete, "/v1/jobs/{id}", Access::kRead, std::bind(&JobRoutes::Cancel, routes, _1, _2, _3)};
  cancel.metric_label = "/v1/jobs/{id}:cancel";
  return router.Add(std::move(cancel));
}

}  // namespace vigil::server
