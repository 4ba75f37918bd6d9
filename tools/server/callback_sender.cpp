// CallbackSender: the delivery thread (allow-list re-checked, timeout, retries with backoff, no
// redirects, state in the JobStore, Standard Webhooks signature per attempt).
#include "callback_sender.h"

#include <httplib.h>

#include <algorithm>
#include <ctime>

#include "vigil/callback_url.h"

#include "job_json.h"
#include "vigil/log.h"

namespace vigil::server {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

CallbackSender::CallbackSender(const CallbacksConfig& config, JobStore* store, MetricsRegistry* metrics)
    : config_(config),
      store_(store),
      sent_(metrics->Counter("vigil_job_callbacks_total", "Callback delivery attempts by outcome",
                             {"outcome"})) {}

CallbackSender::~CallbackSender() { Stop(); }

Status CallbackSender::Start() {
  if (!config_.signing_secrets.empty()) {
    Result<WebhookSigner> signer = WebhookSigner::Create(config_.signing_secrets);
    if (!signer.ok()) return signer.status().WithContext("callbacks.signing_secrets");
    signer_ = std::move(*signer);
  } else if (!config_.allowed_hosts.empty()) {
    Log(LogLevel::kWarning, "callbacks are not signed: set callbacks.signing_secrets so receivers can verify them");
  }
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
      Result<CallbackUrl> allowed = CheckCallbackUrl(config_.allowed_hosts, job->callback_url);
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
  // The job id is the delivery id: one callback per job, the same id on every retry, so a receiver
  // can drop duplicates. The timestamp and signature are fresh for each attempt.
  const std::string body = JobJson(job);
  const int64_t now = int64_t(std::time(nullptr));
  httplib::Headers headers = {{"User-Agent", "vigil-callback/0.1"}, {"X-Vigil-Job-Id", job.id},
                              {"webhook-id", job.id}, {"webhook-timestamp", std::to_string(now)}};
  if (signer_) headers.emplace("webhook-signature", signer_->Sign(job.id, now, body));
  httplib::Result res = client.Post(url->path, headers, body, "application/json");
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
