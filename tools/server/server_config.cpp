// vigil.yaml loading (yaml-cpp) and validation for `vigil serve`.
#include "server_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "vigil/webhook_signature.h"

namespace vigil::server {
namespace {

template <typename T>
void Read(const YAML::Node& node, const char* key, T* out) {
  if (node[key]) *out = node[key].as<T>();
}

// A section's keys must all be known (a typo must not silently fall back to a default).
Status CheckKeys(const std::string& path, const char* section, const YAML::Node& node,
                 std::initializer_list<const char*> known) {
  if (!node.IsMap()) return InvalidArgumentError(path + ": " + section + " must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      return InvalidArgumentError(path + ": unknown key \"" + section + "." + key + "\"");
    }
  }
  return Status::Ok();
}

}  // namespace

Status LoadServerConfigFile(const std::string& path, ServerConfig* c) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) return InvalidArgumentError(path + ": the top level must be a mapping");
    static const char* kKnown[] = {"host", "port", "http_threads", "max_body_bytes",
                                   "read_timeout_seconds", "request_timeout_seconds",
                                   "retry_after_seconds", "max_images_per_request",
                                   "metrics_public", "api_keys", "models", "inference", "limits",
                                   "jobs", "callbacks"};
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
        return InvalidArgumentError(path + ": unknown key \"" + key + "\"");
      }
    }
    Read(root, "host", &c->host);
    Read(root, "port", &c->port);
    Read(root, "http_threads", &c->http_threads);
    Read(root, "max_body_bytes", &c->max_body_bytes);
    Read(root, "read_timeout_seconds", &c->read_timeout_seconds);
    Read(root, "request_timeout_seconds", &c->request_timeout_seconds);
    Read(root, "retry_after_seconds", &c->retry_after_seconds);
    Read(root, "max_images_per_request", &c->max_images_per_request);
    Read(root, "metrics_public", &c->metrics_public);
    if (YAML::Node m = root["models"]) {
      Read(m, "repository", &c->service.model_repository);
      Read(m, "load", &c->service.models);
      Read(m, "default", &c->service.default_model);
    }
    if (YAML::Node i = root["inference"]) {
      Read(i, "workers", &c->service.workers);
      Read(i, "max_batch", &c->service.max_batch);
      int delay_us = int(c->service.max_batch_delay.count());
      Read(i, "max_batch_delay_us", &delay_us);
      c->service.max_batch_delay = std::chrono::microseconds(delay_us);
      Read(i, "max_queue", &c->service.max_queue);
    }
    if (YAML::Node l = root["limits"]) {
      VIGIL_RETURN_IF_ERROR(CheckKeys(path, "limits", l,
                                      {"max_pixels", "max_dimension", "max_image_bytes",
                                       "detect_min_score_threshold", "detect_max_detections"}));
      Read(l, "max_pixels", &c->service.decode.max_pixels);
      Read(l, "max_dimension", &c->service.decode.max_dimension);
      Read(l, "max_image_bytes", &c->service.decode.max_bytes);
      Read(l, "detect_min_score_threshold", &c->service.detect_min_score_threshold);
      Read(l, "detect_max_detections", &c->service.detect_max_detections);
    }
    if (YAML::Node j = root["jobs"]) {
      VIGIL_RETURN_IF_ERROR(CheckKeys(path, "jobs", j,
                                      {"enabled", "database", "data_dir", "workers", "max_attempts",
                                       "drain_timeout_seconds", "max_upload_bytes", "allowed_content_types",
                                       "input_dirs", "keep_uploads", "time_budget_seconds", "cached_taggers", "retention_hours"}));
      Read(j, "enabled", &c->jobs.enabled);
      Read(j, "database", &c->jobs.database);
      Read(j, "data_dir", &c->jobs.data_dir);
      Read(j, "workers", &c->jobs.workers);
      Read(j, "max_attempts", &c->jobs.max_attempts);
      Read(j, "drain_timeout_seconds", &c->jobs.drain_timeout_seconds);
      Read(j, "max_upload_bytes", &c->jobs.max_upload_bytes);
      Read(j, "allowed_content_types", &c->jobs.allowed_content_types);
      Read(j, "input_dirs", &c->jobs.input_dirs);
      Read(j, "keep_uploads", &c->jobs.keep_uploads);
      Read(j, "time_budget_seconds", &c->jobs.time_budget_seconds);
      Read(j, "cached_taggers", &c->jobs.cached_taggers);
      Read(j, "retention_hours", &c->jobs.retention_hours);
    }
    if (YAML::Node cb = root["callbacks"]) {
      VIGIL_RETURN_IF_ERROR(CheckKeys(path, "callbacks", cb,
                                      {"allowed_hosts", "timeout_seconds", "max_attempts", "retry_backoff_ms",
                                       "signing_secrets"}));
      Read(cb, "allowed_hosts", &c->callbacks.allowed_hosts);
      Read(cb, "timeout_seconds", &c->callbacks.timeout_seconds);
      Read(cb, "max_attempts", &c->callbacks.max_attempts);
      Read(cb, "retry_backoff_ms", &c->callbacks.retry_backoff_ms);
      Read(cb, "signing_secrets", &c->callbacks.signing_secrets);
    }
    if (YAML::Node keys = root["api_keys"]) {
      c->api_keys.clear();
      for (const auto& k : keys) {
        ApiKey key;
        key.key = k["key"].as<std::string>();
        const std::string role = k["role"] ? k["role"].as<std::string>() : "read";
        if (role != "read" && role != "admin") {
          return InvalidArgumentError(path + ": api_keys role must be \"read\" or \"admin\"");
        }
        key.role = role == "admin" ? Role::kAdmin : Role::kRead;
        c->api_keys.push_back(key);
      }
    }
  } catch (const YAML::BadFile&) {
    return NotFoundError("cannot read config file " + path);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(path + ": " + e.what());
  }
  return Status::Ok();
}

void NormalizeServerConfig(ServerConfig* c) {
  if (c->jobs.data_dir.empty()) {
    const std::string parent = std::filesystem::path(c->jobs.database).parent_path().string();
    c->jobs.data_dir = (parent.empty() ? std::string("jobs") : parent + "/jobs");
  }
}

Status ValidateServerConfig(const ServerConfig& c) {
  if (c.port < 0 || c.port > 65535) return InvalidArgumentError("port must be in 0..65535");
  if (c.http_threads < 1 || c.http_threads > 1024) {
    return InvalidArgumentError("http_threads must be in 1..1024");
  }
  if (c.max_body_bytes < 1024) return InvalidArgumentError("max_body_bytes must be >= 1024");
  if (c.read_timeout_seconds < 1 || c.request_timeout_seconds < 1) {
    return InvalidArgumentError("timeouts must be >= 1 second");
  }
  if (c.max_images_per_request < 1) return InvalidArgumentError("max_images_per_request must be >= 1");
  const JobsConfig& j = c.jobs;
  if (j.database.empty() || j.data_dir.empty()) {
    return InvalidArgumentError("jobs.database and jobs.data_dir must not be empty");
  }
  if (j.workers < 1 || j.workers > 64) return InvalidArgumentError("jobs.workers must be in 1..64");
  if (j.max_attempts < 1 || j.max_attempts > 100) return InvalidArgumentError("jobs.max_attempts must be in 1..100");
  if (j.drain_timeout_seconds < 0) return InvalidArgumentError("jobs.drain_timeout_seconds must be >= 0");
  if (j.max_upload_bytes < 1024) return InvalidArgumentError("jobs.max_upload_bytes must be >= 1024");
  if (j.allowed_content_types.empty()) return InvalidArgumentError("jobs.allowed_content_types must not be empty");
  if (j.time_budget_seconds < 0) return InvalidArgumentError("jobs.time_budget_seconds must be >= 0");
  if (j.retention_hours < 0) return InvalidArgumentError("jobs.retention_hours must be >= 0");
  if (j.cached_taggers < 1 || j.cached_taggers > 64) return InvalidArgumentError("jobs.cached_taggers must be in 1..64");
  const CallbacksConfig& cb = c.callbacks;
  if (cb.timeout_seconds < 1 || cb.timeout_seconds > 300) {
    return InvalidArgumentError("callbacks.timeout_seconds must be in 1..300");
  }
  if (cb.max_attempts < 1 || cb.max_attempts > 100) return InvalidArgumentError("callbacks.max_attempts must be in 1..100");
  if (cb.retry_backoff_ms < 0) return InvalidArgumentError("callbacks.retry_backoff_ms must be >= 0");
  for (const std::string& host : cb.allowed_hosts) {
    if (host.empty() || host.find_first_of("/@:? ") != std::string::npos) {
      return InvalidArgumentError("callbacks.allowed_hosts: \"" + host +
                                  "\" is not a host name or IPv4 address (no scheme, port or path)");
    }
  }
  if (!cb.signing_secrets.empty()) {
    Result<WebhookSigner> signer = WebhookSigner::Create(cb.signing_secrets);
    if (!signer.ok()) return signer.status().WithContext("callbacks.signing_secrets");
  }
  for (const ApiKey& k : c.api_keys) {
    if (k.key.size() < 8) return InvalidArgumentError("api_keys: a key must have at least 8 characters");
  }
  return Status::Ok();
}

}  // namespace vigil::server
