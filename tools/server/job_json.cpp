// Job -> JSON for the job routes and callbacks (timestamps RFC 3339 UTC, result/options embedded).
#include "job_json.h"

#include <ctime>
#include <nlohmann/json.hpp>

namespace vigil::server {
namespace {

using nlohmann::json;

json Timestamp(int64_t unix_ms) {
  if (unix_ms <= 0) return nullptr;
  const std::time_t seconds = std::time_t(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  const size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ", int(unix_ms % 1000));
  return buffer;
}

// Stored JSON documents are embedded as JSON; anything unparsable as a string.
json Embedded(const std::string& text) {
  if (text.empty()) return nullptr;
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? json(text) : parsed;
}

}  // namespace

std::string JobJson(const Job& job) {
  json j = {{"id", job.id},
            {"kind", job.kind},
            {"state", JobStateName(job.state)},
            {"progress", job.progress},
            {"attempts", job.attempts},
            {"cancel_requested", job.cancel_requested},
            {"created_at", Timestamp(job.created_ms)},
            {"started_at", Timestamp(job.started_ms)},
            {"finished_at", Timestamp(job.finished_ms)},
            {"updated_at", Timestamp(job.updated_ms)},
            {"options", Embedded(job.options_json)},
            {"status_url", "/v1/jobs/" + job.id}};
  if (job.state == JobState::kSucceeded) j["result"] = Embedded(job.result_json);
  if (!job.error_code.empty()) j["error"] = {{"code", job.error_code}, {"message", job.error_message}};
  if (!job.callback_url.empty()) {
    j["callback"] = {{"url", job.callback_url},
                     {"state", CallbackStateName(job.callback_state)},
                     {"attempts", job.callback_attempts}};
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace vigil::server
