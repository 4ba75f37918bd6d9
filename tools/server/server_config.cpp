// vigil.yaml loading, normalisation and validation for `vigil serve` (keys and ranges: settings.cpp).
#include "server_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "settings.h"

#include "vigil/video.h"
#include "vigil/webhook_signature.h"

namespace vigil::server {

Status LoadServerConfigFile(const std::string& path, ServerConfig* c) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read config file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return LoadServerSettingsYaml(text.str(), path, c);
}

void NormalizeServerConfig(ServerConfig* c) {
  if (c->jobs.data_dir.empty()) {
    const std::string parent = std::filesystem::path(c->jobs.database).parent_path().string();
    c->jobs.data_dir = (parent.empty() ? std::string("jobs") : parent + "/jobs");
  }
}

Status ValidateServerConfig(const ServerConfig& c) {
  // Ranges of every numeric key come from the settings table; the checks below are the ones a
  // range cannot express.
  VIGIL_RETURN_IF_ERROR(ValidateServerSettings(c));
  const JobsConfig& j = c.jobs;
  if (j.database.empty() || j.data_dir.empty()) {
    return InvalidArgumentError("jobs.database and jobs.data_dir must not be empty");
  }
  if (j.allowed_content_types.empty()) return InvalidArgumentError("jobs.allowed_content_types must not be empty");
  const CallbacksConfig& cb = c.callbacks;
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
  if (Result<SamplerSpec> spec = ParseSampler(c.moderation.video_sampler); !spec.ok()) {
    return spec.status().WithContext("moderation.video_sampler");
  } else {
    VIGIL_RETURN_IF_ERROR(CheckSamplerLimits(*spec, j.sampler_limits).WithContext("moderation.video_sampler"));
  }
  for (const ApiKey& k : c.api_keys) {
    if (k.key.size() < 8) return InvalidArgumentError("api_keys: a key must have at least 8 characters");
  }
  return Status::Ok();
}

}  // namespace vigil::server
