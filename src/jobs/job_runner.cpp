// JobRunner: a bounded pool of worker threads that claim queued jobs from the JobStore under a
// lease, run them through the handler registered for their kind, write throttled progress and the
// final state, and on shutdown drain (or cancel and re-queue) what is running. One heartbeat
// thread extends the leases of this process's running jobs; workers re-queue jobs whose lease
// expired (another process died) about once a second.
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "vigil/jobs.h"
#include "vigil/log.h"
#include "vigil/text_checks.h"

namespace vigil {
namespace {

using Clock = std::chrono::steady_clock;

// One job being run in this process.
struct RunningJob {
  explicit RunningJob(Job j) : job(std::move(j)) {}
  Job job;
  std::atomic<bool> cancel{false};   // handed to the handler
  std::atomic<bool> requeue{false};  // cancelled by Shutdown: queue again instead of "cancelled"
  std::atomic<bool> lost{false};     // the lease was lost (expired and taken over): write nothing
  std::atomic<bool> ending{false};   // the handler returned: no more heartbeats
  std::mutex progress_mutex;
  Clock::time_point last_progress_write{};
  double last_progress = -1;
};

// "<hostname>:<pid>:<4 random hex digits>": distinct per process, readable in the jobs table.
std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  unsigned short salt = 0;
  if (getrandom(&salt, sizeof(salt), 0) != ssize_t(sizeof(salt))) salt = 0;
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), "%04x", unsigned(salt));
  return std::string(host[0] ? host : "localhost") + ":" + std::to_string(getpid()) + ":" + suffix;
}

std::vector<double> JobDurationBuckets() {
  return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
}

}  // namespace

Status JobHandler::Validate(const std::string&, const std::string&) const { return Status::Ok(); }

struct JobRunner::Impl {
  JobStore* store = nullptr;
  JobRunnerOptions options;
  std::unordered_map<std::string, std::unique_ptr<JobHandler>> handlers;
  std::vector<std::string> kinds;

  MetricFamily* jobs_gauge = nullptr;
  MetricFamily* duration = nullptr;
  MetricFamily* finished = nullptr;

  mutable std::mutex mutex;
  std::condition_variable wake;      // workers: new job submitted or stopping
  std::condition_variable idle;      // Shutdown: a running job ended
  std::condition_variable beat;      // heartbeat thread: stop
  uint64_t submitted = 0;            // bumped by Submit so sleeping workers look again
  bool started = false;
  bool stopping = false;
  bool shut_down = false;
  std::unordered_map<std::string, std::shared_ptr<RunningJob>> running;
  bool heartbeat_stop = false;
  std::vector<std::thread> workers;
  std::thread heartbeat;
  Clock::time_point last_purge{};
  Clock::time_point last_expiry{};

  // Unix ms before which final jobs are past the retention.
  int64_t RetentionCutoffMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               (std::chrono::system_clock::now() - options.retention).time_since_epoch())
               .count();
  }

  // Deletes final jobs past the retention (at most once a minute; any worker may do it).
  void MaybePurge() {
    if (options.retention.count() <= 0) return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      const auto now = Clock::now();
      if (now - last_purge < std::chrono::minutes(1)) return;
      last_purge = now;
    }
    Result<int64_t> purged = store->PurgeFinished(RetentionCutoffMs());
    if (!purged.ok()) {
      Log(LogLevel::kWarning, "jobs: purging old jobs: " + purged.status().ToString());
    } else if (*purged > 0) {
      Log(LogLevel::kInfo, "jobs: deleted " + std::to_string(*purged) + " job(s) past the retention");
    }
  }

  // Re-queues (or fails, out of attempts) jobs whose lease expired, at most once a second across
  // the workers unless `force`; failed ones are reported like jobs this process finished.
  Status ExpireLeases(bool force) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      const auto now = Clock::now();
      if (!force && now - last_expiry < std::chrono::seconds(1)) return Status::Ok();
      last_expiry = now;
    }
    VIGIL_ASSIGN_OR_RETURN(ExpiredLeases expired, store->ExpireLeases(options.max_attempts));
    if (expired.requeued || !expired.failed.empty()) {
      Log(LogLevel::kInfo, "jobs: " + std::to_string(expired.requeued) + " job(s) whose lease expired queued again, " +
                               std::to_string(expired.failed.size()) + " failed after " +
                               std::to_string(options.max_attempts) + " attempts");
    }
    for (const std::string& id : expired.failed) {
      Result<Job> record = store->Get(id);
      if (!record.ok()) continue;
      if (finished) finished->Add({record->kind, JobStateName(record->state)});
      if (options.on_final) options.on_final(*record);
    }
    return Status::Ok();
  }

  // Extends the lease of every job running here every lease / 3; a run whose lease was taken
  // over is told to stop and writes nothing more.
  void HeartbeatLoop() {
    const auto period = std::max(options.lease / 3, std::chrono::milliseconds(1));
    std::unique_lock<std::mutex> lock(mutex);
    while (!heartbeat_stop) {
      beat.wait_for(lock, period, [&] { return heartbeat_stop; });
      if (heartbeat_stop) return;
      std::vector<std::shared_ptr<RunningJob>> jobs;
      for (const auto& entry : running) jobs.push_back(entry.second);
      lock.unlock();
      for (const auto& rj : jobs) {
        if (rj->ending) continue;  // its final write may already have ended the run
        Status s = store->Heartbeat(rj->job, options.lease);
        if (rj->ending) continue;
        if (s.code() == StatusCode::kFailedPrecondition) {
          Log(LogLevel::kWarning, "jobs: lost the lease of " + rj->job.id + " (" + s.message() + "): stopping it");
          rj->lost = true;
          rj->cancel = true;
        } else if (!s.ok()) {
          Log(LogLevel::kWarning, "jobs: heartbeat of " + rj->job.id + ": " + s.ToString());
        }
      }
      lock.lock();
    }
  }

  void WorkerLoop() {
    for (;;) {
      uint64_t seen;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping) return;
        seen = submitted;
      }
      MaybePurge();
      if (Status s = ExpireLeases(/*force=*/false); !s.ok()) {
        Log(LogLevel::kWarning, "jobs: expiring leases: " + s.ToString());
      }
      Result<std::optional<Job>> claimed = store->ClaimNext(kinds, ClaimOptions{options.worker_id, options.lease});
      if (!claimed.ok()) {
        Log(LogLevel::kError, "jobs: cannot claim a job: " + claimed.status().ToString());
      } else if (claimed->has_value()) {
        Run(std::move(**claimed));
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait_for(lock, options.poll_interval, [&] { return stopping || submitted != seen; });
    }
  }

  void Progress(RunningJob& rj, double p) {
    std::lock_guard<std::mutex> lock(rj.progress_mutex);
    const auto now = Clock::now();
    if (p == rj.last_progress) return;
    if (p < 1 && now - rj.last_progress_write < options.progress_interval) return;
    rj.last_progress = p;
    rj.last_progress_write = now;
    Status s = store->SetProgress(rj.job, p);
    if (!s.ok()) Log(LogLevel::kWarning, "jobs: progress of " + rj.job.id + ": " + s.ToString());
  }

  void Run(Job job) {
    auto rj = std::make_shared<RunningJob>(job);
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (stopping) {
        // Claimed while Shutdown began: give it back untouched.
        Status s = store->Requeue(job, /*count_attempt=*/false);
        if (!s.ok()) Log(LogLevel::kWarning, "jobs: requeue " + job.id + ": " + s.ToString());
        return;
      }
      running[job.id] = rj;
    }
    // A Cancel() between the claim and the line above found no running entry: it is in the store.
    if (Result<Job> fresh = store->Get(job.id); fresh.ok() && fresh->cancel_requested) job.cancel_requested = true;
    const auto start = Clock::now();
    Status stored;
    JobState final_state = JobState::kFailed;
    if (job.cancel_requested) {  // cancelled while a previous process ran it
      stored = store->Cancelled(job);
      final_state = JobState::kCancelled;
    } else {
      JobHandler& handler = *handlers.at(job.kind);
      Result<std::string> result = InternalError("the job handler did not run");
      try {
        result = handler.Run(job, [&](double p) { Progress(*rj, p); }, rj->cancel);
      } catch (const std::exception& e) {
        result = InternalError(std::string("the job handler threw: ") + e.what());
      }
      rj->ending = true;
      if (rj->lost) {
        Log(LogLevel::kWarning, "jobs: " + job.id + " ran past its lost lease: its outcome is not stored");
        final_state = JobState::kRunning;  // someone else's run now
      } else if (rj->requeue) {
        stored = store->Requeue(job, /*count_attempt=*/false);
        final_state = JobState::kQueued;
      } else if (result.ok()) {
        stored = store->Succeed(job, *result);
        final_state = JobState::kSucceeded;
      } else if (rj->cancel) {
        stored = store->Cancelled(job);
        final_state = JobState::kCancelled;
      } else {
        stored = store->Fail(job, result.status());
        final_state = JobState::kFailed;
      }
    }
    if (!stored.ok()) Log(LogLevel::kError, "jobs: storing the end of " + job.id + ": " + stored.ToString());
    if (IsFinal(final_state) && stored.ok()) {
      const std::vector<std::string> labels = {job.kind, JobStateName(final_state)};
      if (duration) duration->Observe(labels, std::chrono::duration<double>(Clock::now() - start).count());
      if (finished) finished->Add(labels);
      if (options.on_final) {
        Result<Job> record = store->Get(job.id);
        if (record.ok()) options.on_final(*record);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      running.erase(job.id);
    }
    idle.notify_all();
  }
};

JobRunner::JobRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JobRunner::~JobRunner() { Shutdown(); }

Result<std::unique_ptr<JobRunner>> JobRunner::Create(JobStore* store, const JobRunnerOptions& options) {
  if (!store) return InvalidArgumentError("job runner: no store");
  if (options.workers < 1 || options.workers > 256) {
    return InvalidArgumentError("job runner: workers must be in 1..256");
  }
  if (options.max_attempts < 1) return InvalidArgumentError("job runner: max_attempts must be >= 1");
  if (options.lease.count() < 3) return InvalidArgumentError("job runner: lease must be >= 3 ms");
  if (options.poll_interval.count() <= 0 || options.drain_timeout.count() < 0 ||
      options.progress_interval.count() < 0 || options.retention.count() < 0) {
    return InvalidArgumentError("job runner: poll_interval must be > 0, drain and progress intervals >= 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->store = store;
  impl->options = options;
  if (impl->options.worker_id.empty()) impl->options.worker_id = DefaultWorkerId();
  if (MetricsRegistry* m = options.metrics) {
    impl->jobs_gauge = &m->Gauge("vigil_jobs", "Jobs in the store by state", {"state"});
    impl->duration = &m->Histogram("vigil_job_duration_seconds", "Run time of jobs that ended, by kind and final state",
                                   {"kind", "state"}, JobDurationBuckets());
    impl->finished = &m->Counter("vigil_jobs_finished_total", "Jobs that reached a final state in this process",
                                 {"kind", "state"});
  }
  return std::unique_ptr<JobRunner>(new JobRunner(std::move(impl)));
}

Status JobRunner::RegisterHandler(const std::string& kind, std::unique_ptr<JobHandler> handler) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->started) return FailedPreconditionError("job runner: register handlers before Start()");
  if (kind.empty() || !handler) return InvalidArgumentError("job runner: a handler needs a kind");
  if (impl_->handlers.count(kind)) return InvalidArgumentError("job runner: two handlers for \"" + kind + "\"");
  impl_->handlers[kind] = std::move(handler);
  impl_->kinds.push_back(kind);
  return Status::Ok();
}

Status JobRunner::Start() {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  if (impl_->started) return FailedPreconditionError("job runner: already started");
  if (impl_->stopping) return FailedPreconditionError("job runner: shut down");
  impl_->started = true;
  impl_->last_purge = Clock::now();
  if (impl_->options.retention.count() > 0) {
    VIGIL_RETURN_IF_ERROR(impl_->store->PurgeFinished(impl_->RetentionCutoffMs()).status());
  }
  lock.unlock();  // ExpireLeases takes the mutex and may call on_final
  VIGIL_RETURN_IF_ERROR(impl_->ExpireLeases(/*force=*/true));
  lock.lock();
  impl_->heartbeat = std::thread([impl = impl_.get()] { impl->HeartbeatLoop(); });
  for (int i = 0; i < impl_->options.workers; ++i) {
    impl_->workers.emplace_back([impl = impl_.get()] { impl->WorkerLoop(); });
  }
  return Status::Ok();
}

Result<Job> JobRunner::Submit(const NewJob& job) {
  auto it = impl_->handlers.find(job.kind);
  if (it == impl_->handlers.end()) {
    return InvalidArgumentError("unknown job kind \"" + job.kind + "\"");
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopping) return UnavailableError("shutting down: not accepting jobs");
  }
  VIGIL_RETURN_IF_ERROR(CheckText(job.input, "job input"));  // never truncated at a NUL
  VIGIL_RETURN_IF_ERROR(it->second->Validate(job.input, job.options_json));
  Result<Job> created = impl_->store->Create(job);
  if (!created.ok()) {
    // The job is valid; the store could not record it (a read-only or full disk, a database that
    // went away): the caller may retry later, so kUnavailable, naming the store.
    const StatusCode code = created.status().code();
    if (code == StatusCode::kInvalidArgument) return created.status();
    return UnavailableError("the job store cannot record the job: " + created.status().message());
  }
  Job stored = std::move(*created);
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    ++impl_->submitted;
  }
  impl_->wake.notify_one();
  return stored;
}

Result<Job> JobRunner::Cancel(const std::string& id) {
  VIGIL_ASSIGN_OR_RETURN(Job job, impl_->store->RequestCancel(id));
  if (job.state == JobState::kCancelled) {
    if (impl_->finished) impl_->finished->Add({job.kind, JobStateName(job.state)});
    if (impl_->options.on_final) impl_->options.on_final(job);
    return job;
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->running.find(id);
  if (it != impl_->running.end()) it->second->cancel = true;
  return job;
}

Status JobRunner::RefreshMetrics() {
  if (!impl_->jobs_gauge) return Status::Ok();
  VIGIL_ASSIGN_OR_RETURN(auto counts, impl_->store->CountByState());
  for (const auto& [state, n] : counts) impl_->jobs_gauge->Set({JobStateName(state)}, double(n));
  return Status::Ok();
}

const std::string& JobRunner::worker_id() const { return impl_->options.worker_id; }

int JobRunner::Running() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return int(impl_->running.size());
}

void JobRunner::Shutdown() {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  impl_->stopping = true;
  impl_->wake.notify_all();
  if (!impl_->idle.wait_for(lock, impl_->options.drain_timeout, [&] { return impl_->running.empty(); })) {
    Log(LogLevel::kWarning, "jobs: " + std::to_string(impl_->running.size()) +
                                " job(s) still running after the drain timeout: cancelled, queued again");
    for (auto& [id, rj] : impl_->running) {
      rj->requeue = true;
      rj->cancel = true;
    }
  }
  lock.unlock();
  for (std::thread& t : impl_->workers) t.join();
  impl_->workers.clear();
  {
    std::lock_guard<std::mutex> stop(impl_->mutex);
    impl_->heartbeat_stop = true;
  }
  impl_->beat.notify_all();
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
}

}  // namespace vigil
