// ServerConfig: everything `vigil serve` can be told, from vigil.yaml and/or flags.
// Loaded, then normalised, then validated (ValidateServerConfig) before the server starts.
#pragma once

#include <string>
#include <vector>

#include "vigil/service.h"
#include "vigil/status.h"
#include "vigil/video.h"

namespace vigil::server {

enum class Role { kRead, kAdmin };

struct ApiKey {
  std::string key;
  Role role = Role::kRead;
};

// Background jobs (POST /v1/videos:tag): where they are stored and how they run.
struct JobsConfig {
  bool enabled = true;                     // false: the job routes answer 503
  std::string database = ".vigil/vigil.db";  // SQLite job store (WAL); one server per database
  std::string data_dir;                    // uploaded videos, removed when their job ends;
                                           // "" = jobs/ beside the database (.vigil/jobs)
  int workers = 1;                         // jobs run at once (each video job uses 2 threads)
  int max_attempts = 3;                    // claims per job; a crash mid-run counts as one
  int drain_timeout_seconds = 30;          // on shutdown: wait for running jobs, then re-queue them
  size_t max_upload_bytes = 512u << 20;    // larger video uploads get 413
  // Content-Type prefixes accepted for a raw or multipart video upload.
  std::vector<std::string> allowed_content_types = {"video/", "application/octet-stream"};
  // Server-local directories a JSON request {"path": ...} may name; empty = uploads only.
  std::vector<std::string> input_dirs;
  bool keep_uploads = false;               // keep uploaded files after their job ends
  double time_budget_seconds = 600;        // wall-clock budget per video (0 = none)
  SamplerLimits sampler_limits;            // shortest interval, most sampled frames per video
  int retention_hours = 168;               // finished jobs older than this are deleted (0 = keep)
  int cached_taggers = 2;                  // option sets whose video taggers stay cached; they
                                           // share the service's loaded models and hold their own
                                           // copy only of models the service does not load
};

// Delivery of finished jobs to their callback URL.
struct CallbacksConfig {
  // Hosts (exact, case-insensitive) a callback URL may name; empty = callbacks refused (400).
  std::vector<std::string> allowed_hosts;
  int timeout_seconds = 5;                 // connect, send and receive, per attempt
  int max_attempts = 5;                    // then the callback is marked failed
  int retry_backoff_ms = 500;              // first retry delay, doubled each time (max 60 s)
  // "whsec_<base64>" secrets (include/vigil/webhook_signature.h); each callback carries one
  // Standard Webhooks signature per secret (two during a rotation). Empty = unsigned callbacks.
  // Never logged, never in a response.
  std::vector<std::string> signing_secrets;
};

// PDQ hash banks (routes /v1/images:hash|match, /v1/banks): kept in the database.
struct BanksConfig {
  bool enabled = true;             // false: the bank routes answer 503 (hashing still works)
  std::string database;            // "" = jobs.database (the same SQLite file or PostgreSQL URL)
  double refresh_seconds = 60;     // hashes other processes add become matchable within this
};

// Moderation (POST /v1/moderate, decisions, policies): the policy file and whether it is served.
// Decisions are recorded in the jobs database (jobs.database: the same SQLite file or PostgreSQL
// URL); the moderator runs the service's loaded models (no second copy of the weights).
struct ModerationConfig {
  // true: moderate with `policy` when its file exists and its models are loaded; when the
  // default policy cannot be used the server starts without moderation (its routes answer 503),
  // when an explicitly configured one cannot, the start-up fails. false: the routes answer 503.
  bool enabled = true;
  // Policy YAML; "" = default_policy.
  std::string policy;
  // The policy used when `policy` is "" (not a vigil.yaml key: `vigil serve` sets it to
  // $VIGIL_POLICY, else policies/default.yaml beside the binary, as `vigil moderate` does).
  std::string default_policy = "policies/default.yaml";
  // Frame sampler of video moderation jobs that name none (`vigil moderate --sample`'s default).
  std::string video_sampler = "interval:1";
};

struct ServerConfig {
  std::string host = "127.0.0.1";       // listen address
  int port = 8080;                      // 0 = any free port (printed at start)
  int http_threads = 64;                // requests served at once (threads; they only parse, validate
                                        // and format; idle and slow connections hold none)
  size_t max_body_bytes = 32u << 20;    // larger requests get 413
  int read_timeout_seconds = 10;        // a client that sends nothing for this long gets 400
  int header_timeout_seconds = 10;      // a request's line and headers must arrive within this
  int body_timeout_seconds = 60;        // and its body within this plus 1 s per
  int body_min_bytes_per_second = 65536;  // this many bytes (a trickling client gets 400)
  int max_connections = 2048;           // open connections; more are answered 503 and closed
  int request_timeout_seconds = 30;     // a request not answered by then gets 504
  int retry_after_seconds = 1;          // Retry-After on 429/503
  int max_images_per_request = 32;      // multipart parts per classify request
  bool metrics_public = true;           // /metrics without an API key
  std::vector<ApiKey> api_keys;         // empty = no authentication
  ServiceOptions service;               // model repository, workers, batching, queue, decode limits
  JobsConfig jobs;
  CallbacksConfig callbacks;
  BanksConfig banks;
  ModerationConfig moderation;
};

// Reads a YAML file (see docs/http-api.md for the keys) over the defaults in `config`.
Status LoadServerConfigFile(const std::string& path, ServerConfig* config);
// Fills derived defaults (jobs.data_dir beside the database). Call after loading and flags.
void NormalizeServerConfig(ServerConfig* config);
Status ValidateServerConfig(const ServerConfig& config);

}  // namespace vigil::server
