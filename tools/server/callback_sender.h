// CallbackSender: POSTs a finished job (the GET /v1/jobs/{id} document) to its callback URL, only
// for hosts on callbacks.allowed_hosts, with a timeout, retries with exponential backoff, and no
// redirects. Delivery state is kept in the JobStore, so callbacks still pending when the server
// stops are sent after the next start. With callbacks.signing_secrets, every attempt is signed
// (Standard Webhooks headers webhook-id, webhook-timestamp, webhook-signature; see
// include/vigil/webhook_signature.h and docs/http-api.md).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server_config.h"
#include "vigil/jobs.h"
#include "vigil/metrics.h"
#include "vigil/webhook_signature.h"

namespace vigil::server {

class CallbackSender {
 public:
  // `store` and `metrics` must outlive the sender.
  CallbackSender(const CallbacksConfig& config, JobStore* store, MetricsRegistry* metrics);
  ~CallbackSender();  // Stop()
  // Loads the signing secrets, queues the store's pending callbacks, starts the delivery thread.
  Status Start();
  // Queues one finished job for delivery (no-op without a callback URL).
  void Enqueue(const Job& job);
  // Stops after the attempt in progress; undelivered callbacks stay pending in the store.
  void Stop();

 private:
  struct Item {
    std::string job_id;
    int attempts = 0;
    std::chrono::steady_clock::time_point due;
  };
  void Loop();
  // One POST; true on a 2xx answer.
  bool Deliver(const Job& job, std::string* outcome);

  CallbacksConfig config_;
  std::optional<WebhookSigner> signer_;  // set by Start when signing_secrets is not empty
  JobStore* store_;
  MetricFamily& sent_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vigil::server
