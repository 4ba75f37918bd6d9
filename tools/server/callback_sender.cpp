// CallbackSender: callback URL policy (parse + allow-list) and the delivery thread (timeout,
// retries with backoff, no redirects, state in the JobStore).
#include "callback_sender.h"

#include <httplib.h>

#include <algorithm>

#include "job_json.h"
#include "vigil/log.h"

namespace vigil::server {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

}  // namespace

Result<CallbackUrl> ParseCallbackUrl(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("callback_url \"" + url.substr(0, 200) + "\": " + why);
  };
  if (url.size() > 2048) return bad("longer than 2048 characters");
  for (unsigned char c : url) {
    if (c <= ' ' || c >= 0x7f) return bad("contains spaces or control/non-ASCII characters");
  }
  CallbackUrl out;
  const size_t colon = url.find("://");
  if (colon == std::string::npos) return bad("not an absolute URL");
  out.scheme = Lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") return bad("the scheme must be http or https");
  const size_t authority_start = colon + 3;
  const size_t authority_end = url.find_first_of("/?#", authority_start);
  const std::string authority = url.substr(authority_start, authority_end - authority_start);
  if (authority.find('@') != std::string::npos) return bad("user info (user@host) is not allowed");
  if (authority.empty() || authority[0] == '[') return bad("needs a host name or IPv4 address");
  const size_t port_colon = authority.rfind(':');
  out.host = Lower(authority.substr(0, port_colon));
  out.port = out.scheme == "https" ? 443 : 80;
  if (port_colon != std::string::npos) {
    const std::string port = authority.substr(port_colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return bad("invalid port");
    }
    out.port = std::stoi(port);
  }
  if (out.host.empty()) return bad("needs a host");
  std::string rest = authority_end == std::string::npos ? "" : url.substr(authority_end);
  if (rest.find('#') != std::string::npos) return bad("a fragment (#...) is not allowed");
  out.path = rest.empty() ? "/" : rest[0] == '?' ? "/" + rest : rest;
  return out;
}

Result<CallbackUrl> CheckCallbackUrl(const CallbacksConfig& config, const std::string& url) {
  VIGIL_ASSIGN_OR_RETURN(CallbackUrl parsed, ParseCallbackUrl(url));
  if (config.allowed_hosts.empty()) {
    return InvalidArgumentError("callbacks are disabled on this server (no callbacks.allowed_hosts)");
  }
  for (const std::string& host : config.allowed_hosts) {
    if (Lower(host) == parsed.host) return parsed;
  }
  return InvalidArgumentError("callback host \"" + parsed.host + "\" is not in callbacks.allowed_hosts");
}

CallbackSender::CallbackSender(const CallbacksConfig& config, JobStore* store, MetricsRegistry* metrics)
    : config_(config),
      store_(store),
      sent_(metrics->Counter("vigil_job_callbacks_total", "Callback delivery attempts by outcome",
                             {"outcome"})) {}

CallbackSender::~CallbackSender() { Stop(); }

Status CallbackSender::Start() {
  VIGIL_ASSIGN_OR_RETURN(std::vector<Job> pending, store_->PendingCallbacks(100000));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Job& job : pending) queue_.push_back({job.id, job.callback_attempts, Clock::now()});
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void CallbackSender::Enqueue(const Job& job) {
  if (job.callback_url.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({job.id, job.callback_attempts, Clock::now()});
  }
  cv_.notify_one();
}

void CallbackSender::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CallbackSender::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    auto next = std::min_element(queue_.begin(), queue_.end(),
                                 [](const Item& a, const Item& b) { return a.due < b.due; });
    if (next->due > Clock::now()) {
      cv_.wait_until(lock, next->due);  // woken early by Enqueue/Stop: look again
      continue;
    }
    Item item = *next;
    queue_.erase(next);
    lock.unlock();
    Result<Job> job = store_->Get(item.job_id);
    bool requeue = false;
    if (job.ok() && job->callback_state == CallbackState::kPending) {
      // Re-check the allow-list: the configuration may have changed since the job was accepted.
      Result<CallbackUrl> allowed = CheckCallbackUrl(config_, job->callback_url);
      std::string outcome = "refused";
      const bool ok = allowed.ok() && Deliver(*job, &outcome);
      ++item.attempts;
      sent_.Add({ok ? "delivered" : outcome});
      CallbackState state = CallbackState::kDelivered;
      if (!ok) {
        requeue = allowed.ok() && item.attempts < config_.max_attempts;
        state = requeue ? CallbackState::kPending : CallbackState::kFailed;
        Log(LogLevel::kWarning, "callback for job " + item.job_id + " attempt " + std::to_string(item.attempts) +
                                    ": " + (allowed.ok() ? outcome : allowed.status().message()));
      }
      Status s = store_->SetCallbackState(item.job_id, state, item.attempts);
      if (!s.ok()) Log(LogLevel::kError, "callback state of " + item.job_id + ": " + s.ToString());
    }
    lock.lock();
    if (requeue) {
      const int64_t backoff = std::min<int64_t>(int64_t(config_.retry_backoff_ms) << std::min(item.attempts - 1, 20),
                                                60000);
      item.due = Clock::now() + std::chrono::milliseconds(backoff);
      queue_.push_back(item);
    }
  }
}

bool CallbackSender::Deliver(const Job& job, std::string* outcome) {
  Result<CallbackUrl> url = ParseCallbackUrl(job.callback_url);
  if (!url.ok()) {
    *outcome = "refused";
    return false;
  }
  httplib::Client client(url->scheme + "://" + url->host + ":" + std::to_string(url->port));
  client.set_connection_timeout(config_.timeout_seconds, 0);
  client.set_read_timeout(config_.timeout_seconds, 0);
  client.set_write_timeout(config_.timeout_seconds, 0);
  client.set_follow_location(false);  // a redirect could lead to any host: never followed
  httplib::Headers headers = {{"User-Agent", "vigil-callback/0.1"}, {"X-Vigil-Job-Id", job.id}};
  httplib::Result res = client.Post(url->path, headers, JobJson(job), "application/json");
  if (!res) {
    *outcome = "error";
    Log(LogLevel::kWarning, "callback " + job.callback_url + ": " + httplib::to_string(res.error()));
    return false;
  }
  if (res->status >= 200 && res->status < 300) return true;
  *outcome = res->status >= 300 && res->status < 400 ? "redirect" : "http_" + std::to_string(res->status / 100) + "xx";
  return false;
}

}  // namespace vigil::server
