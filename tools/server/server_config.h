// ServerConfig: everything `vigil serve` can be told, from vigil.yaml and/or flags.
// Loaded, then normalised, then validated (ValidateServerConfig) before the server starts.
#pragma once

#include <string>
#include <vector>

#include "vigil/service.h"
#include "vigil/status.h"

namespace vigil::server {

enum class Role { kRead, kAdmin };

struct ApiKey {
  std::string key;
  Role role = Role::kRead;
};

struct ServerConfig {
  std::string host = "127.0.0.1";       // listen address
  int port = 8080;                      // 0 = any free port (printed at start)
  int http_threads = 64;                // connections served at once (each keep-alive connection
                                        // holds one while open; they only parse/validate/format)
  size_t max_body_bytes = 32u << 20;    // larger requests get 413
  int read_timeout_seconds = 10;        // a client that sends slower than this is disconnected
  int request_timeout_seconds = 30;     // a request not answered by then gets 504
  int retry_after_seconds = 1;          // Retry-After on 429/503
  int max_images_per_request = 32;      // multipart parts per classify request
  bool metrics_public = true;           // /metrics without an API key
  std::vector<ApiKey> api_keys;         // empty = no authentication
  ServiceOptions service;               // model repository, workers, batching, queue, decode limits
};

// Reads a YAML file (see docs/http-api.md for the keys) over the defaults in `config`.
Status LoadServerConfigFile(const std::string& path, ServerConfig* config);
Status ValidateServerConfig(const ServerConfig& config);

}  // namespace vigil::server
