// vigil.yaml loading (yaml-cpp) and validation for `vigil serve`.
#include "server_config.h"

#include <yaml-cpp/yaml.h>

namespace vigil::server {
namespace {

template <typename T>
void Read(const YAML::Node& node, const char* key, T* out) {
  if (node[key]) *out = node[key].as<T>();
}

}  // namespace

Status LoadServerConfigFile(const std::string& path, ServerConfig* c) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) return InvalidArgumentError(path + ": the top level must be a mapping");
    static const char* kKnown[] = {"host", "port", "http_threads", "max_body_bytes",
                                   "read_timeout_seconds", "request_timeout_seconds",
                                   "retry_after_seconds", "max_images_per_request",
                                   "metrics_public", "api_keys", "models", "inference", "limits"};
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
      Read(l, "max_pixels", &c->service.decode.max_pixels);
      Read(l, "max_dimension", &c->service.decode.max_dimension);
      Read(l, "max_image_bytes", &c->service.decode.max_bytes);
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
  for (const ApiKey& k : c.api_keys) {
    if (k.key.size() < 8) return InvalidArgumentError("api_keys: a key must have at least 8 characters");
  }
  return Status::Ok();
}

}  // namespace vigil::server
