// vigil_job_worker: a JobRunner in a process of its own, for the store's multi-process tests
// (tests/unit/store/multi_process_test.cpp). It runs "sleep" jobs until SIGTERM (then shuts down
// like `vigil serve`); SIGKILL is how the tests make it die mid-job.
//
//   vigil_job_worker DATABASE WORKER_ID LEASE_MS WORKERS LOG_FILE
//
// Each run appends "start|end <job id> <worker id> <unix ms> <attempt>" lines to LOG_FILE (one
// write(2) per line with O_APPEND, so the lines of several processes do not interleave). A job's
// options: {"sleep_ms": N, "first_sleep_ms": M} sleeps M ms on its first attempt (default N) and N
// ms after, stopping early when cancelled.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "vigil/jobs.h"

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The integer after "\"key\":" in a flat JSON object, or `fallback`.
int64_t JsonInt(const std::string& json, const std::string& key, int64_t fallback) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return fallback;
  return std::strtoll(json.c_str() + at + key.size() + 3, nullptr, 10);
}

class SleepHandler : public vigil::JobHandler {
 public:
  SleepHandler(std::string worker, int log_fd) : worker_(std::move(worker)), log_fd_(log_fd) {}
  vigil::Result<std::string> Run(const vigil::Job& job, const vigil::JobProgressFn& progress,
                                 const std::atomic<bool>& cancel) override {
    Log("start", job);
    const int64_t sleep_ms = JsonInt(job.options_json, "sleep_ms", 100);
    const int64_t ms = job.attempts == 1 ? JsonInt(job.options_json, "first_sleep_ms", sleep_ms) : sleep_ms;
    const int64_t until = NowMs() + ms;
    while (NowMs() < until) {
      if (cancel) return vigil::UnavailableError("cancelled");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    progress(1.0);
    Log("end", job);
    return std::string(R"({"worker":")") + worker_ + R"(","attempt":)" + std::to_string(job.attempts) + "}";
  }

 private:
  void Log(const char* what, const vigil::Job& job) {
    const std::string line = std::string(what) + " " + job.id + " " + worker_ + " " + std::to_string(NowMs()) +
                             " " + std::to_string(job.attempts) + "\n";
    if (write(log_fd_, line.data(), line.size()) != ssize_t(line.size())) std::perror("job_worker: log");
  }
  std::string worker_;
  int log_fd_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s DATABASE WORKER_ID LEASE_MS WORKERS LOG_FILE\n", argv[0]);
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const int log_fd = open(argv[5], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    std::perror(argv[5]);
    return 1;
  }
  vigil::JobStoreOptions store_options;
  store_options.database = argv[1];
  auto store = vigil::JobStore::Open(store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "job_worker: %s\n", store.status().ToString().c_str());
    return 1;
  }
  vigil::JobRunnerOptions options;
  options.worker_id = argv[2];
  options.lease = std::chrono::milliseconds(std::atoll(argv[3]));
  options.workers = std::atoi(argv[4]);
  options.poll_interval = std::chrono::milliseconds(50);
  options.drain_timeout = std::chrono::milliseconds(0);
  auto runner = vigil::JobRunner::Create(store->get(), options);
  if (!runner.ok()) {
    std::fprintf(stderr, "job_worker: %s\n", runner.status().ToString().c_str());
    return 1;
  }
  vigil::Status s = (*runner)->RegisterHandler("sleep", std::make_unique<SleepHandler>(argv[2], log_fd));
  if (s.ok()) s = (*runner)->Start();
  if (!s.ok()) {
    std::fprintf(stderr, "job_worker: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("ready %s\n", argv[2]);
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  (*runner)->Shutdown();
  close(log_fd);
  return 0;
}
