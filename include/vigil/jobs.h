// Durable background jobs: a JobStore keeps every job and its state (SQLite, the embedded default,
// or PostgreSQL when several processes share the work), a JobRunner runs queued jobs on a bounded
// worker pool through a JobHandler registered per kind.
// Work is claimed with LEASES: a claim records the worker and a lease expiry, the runner extends
// the lease (heartbeats) while the job runs, and a job whose lease expired (its worker died) is
// queued again for anyone to claim, up to max_attempts claims in all (at-least-once: a handler may
// see a job again after a crash). A run whose lease was lost can no longer write the job. Any
// number of processes may run jobs on one database. Shutdown() lets running jobs finish within a
// drain timeout, then cancels them and puts them back in the queue.
//
//   VIGIL_ASSIGN_OR_RETURN(auto store, vigil::JobStore::Open({/*database=*/".vigil/vigil.db"}));
//   // or {"postgresql://vigil@db.internal/vigil"}
//   vigil::JobRunnerOptions options;                       // 1 worker, 3 attempts, 30 s lease
//   VIGIL_ASSIGN_OR_RETURN(auto runner, vigil::JobRunner::Create(store.get(), options));
//   VIGIL_RETURN_IF_ERROR(runner->RegisterHandler("video.tag", std::move(handler)));
//   VIGIL_RETURN_IF_ERROR(runner->Start());
//   vigil::NewJob job{/*id=*/"", "video.tag", "/data/clip.mp4", R"({"sampler":"keyframes"})"};
//   VIGIL_ASSIGN_OR_RETURN(vigil::Job queued, runner->Submit(job));
//   ...  store->Get(queued.id)  → state, progress, result_json
//
// Thread-safety: JobStore and JobRunner methods are thread-safe. A JobHandler's Run() is called
// from several worker threads at once (one job each) and must be thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/metrics.h"
#include "vigil/status.h"

namespace vigil {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
// "queued", "running", "succeeded", "failed", "cancelled".
const char* JobStateName(JobState state);
Result<JobState> ParseJobState(const std::string& name);
// Succeeded, failed and cancelled are final.
bool IsFinal(JobState state);

// Delivery of a finished job to its callback URL (done by the application, e.g. the server).
enum class CallbackState { kNone, kPending, kDelivered, kFailed };
const char* CallbackStateName(CallbackState state);

struct Job {
  std::string id;              // 32 hex digits (128 random bits): unguessable
  std::string kind;            // handler name, e.g. "video.tag"
  JobState state = JobState::kQueued;
  double progress = 0;         // 0..1, written by the handler while running
  std::string input;           // what to work on (a file path for video.tag)
  std::string options_json;    // handler options, a JSON object
  std::string result_json;     // the handler's result (state succeeded)
  std::string error_code;      // StatusCodeName of the failure, or "cancelled"
  std::string error_message;
  std::string callback_url;    // "" = none
  CallbackState callback_state = CallbackState::kNone;
  int callback_attempts = 0;
  int attempts = 0;            // times a worker claimed the job (a lease that expired counts)
  bool cancel_requested = false;
  std::string run_token;       // identifies the current run (random per claim; "" unless running)
  std::string worker_id;       // who holds (running) or last finished the job; "" when queued
  int64_t lease_expires_ms = 0;  // running: the claim lapses then unless extended; else 0
  int64_t created_ms = 0;      // Unix milliseconds; 0 = not yet
  int64_t started_ms = 0;      // last claim
  int64_t finished_ms = 0;
  int64_t updated_ms = 0;
};

struct NewJob {
  std::string id;                   // "" = a fresh JobStore::NewJobId()
  std::string kind;
  std::string input;
  std::string options_json = "{}";
  std::string callback_url;         // non-empty: callback_state starts kPending when final
};

struct JobStoreOptions {
  // An SQLite database file (its directory is created when missing), or a PostgreSQL connection
  // URL "postgresql://[user[:password]@]host[:port]/dbname[?param=value...]" (libpq's syntax).
  std::string database = ".vigil/vigil.db";
  // SQLite: how long a statement waits for another connection's write lock (then kUnavailable).
  int busy_timeout_ms = 5000;
  // SQLite: false = synchronous=NORMAL (WAL; durable across process crashes), true = FULL (also
  // across power loss).
  bool synchronous_full = false;
};

// A claim: who claims, and for how long before the job is claimable by others again.
struct ClaimOptions {
  std::string worker_id;                    // recorded in Job::worker_id, e.g. "host:pid"
  std::chrono::milliseconds lease{30000};   // > 0
};

// What ExpireLeases did with running jobs whose lease had expired.
struct ExpiredLeases {
  int requeued = 0;                 // back to queued
  std::vector<std::string> failed;  // ids failed for good: out of attempts
};

// The job table on one database. JobStore::Open picks the engine from the database string.
class JobStore {
 public:
  // Opens or creates the database and brings its schema to the current version (versioned
  // migrations in a transaction; a database from a newer Vigil is refused with kFailedPrecondition).
  static Result<std::unique_ptr<JobStore>> Open(const JobStoreOptions& options);
  virtual ~JobStore() = default;
  // 128 bits from the OS random source, as 32 lower-case hex digits.
  static std::string NewJobId();
  // The schema version this Vigil migrates databases to (the latest migration's number).
  static int CurrentSchemaVersion();
  // "sqlite" or "postgresql".
  virtual const char* engine() const = 0;

  // Stores a queued job. kInvalidArgument on an empty kind, malformed id or duplicate id.
  virtual Result<Job> Create(const NewJob& job) = 0;
  // kNotFound when there is no such job.
  virtual Result<Job> Get(const std::string& id) const = 0;
  // Newest first; `state` filters when set; at most `limit` jobs.
  virtual Result<std::vector<Job>> List(std::optional<JobState> state, int limit) const = 0;
  virtual Result<std::map<JobState, int64_t>> CountByState() const = 0;

  // Claims the oldest queued job of one of `kinds`: running, attempts + 1, a new run_token, the
  // claimant's worker id and a lease until now + lease. Returns nullopt when there is none.
  // Concurrent claims from any number of processes never hand out one job twice.
  virtual Result<std::optional<Job>> ClaimNext(const std::vector<std::string>& kinds,
                                               const ClaimOptions& claim = {}) = 0;
  // The following change a job only while it is still held by `run` (same id, run_token, and
  // state running); otherwise they fail with kFailedPrecondition and change nothing.
  // Extends the lease to now + lease.
  virtual Status Heartbeat(const Job& run, std::chrono::milliseconds lease) = 0;
  virtual Status SetProgress(const Job& run, double progress) = 0;
  // The final writes are idempotent: repeating the same one with the same run succeeds and
  // changes nothing (the first result stays).
  virtual Status Succeed(const Job& run, const std::string& result_json) = 0;
  virtual Status Fail(const Job& run, const Status& error) = 0;
  virtual Status Cancelled(const Job& run) = 0;
  // Back to queued (shutdown): `count_attempt` false undoes this run's attempt.
  virtual Status Requeue(const Job& run, bool count_attempt) = 0;

  // Running jobs whose lease expired before now (their worker died or stalled): queued again if
  // attempts < max_attempts, else failed (kUnavailable "interrupted N times"). Their old run can
  // no longer write them.
  virtual Result<ExpiredLeases> ExpireLeases(int max_attempts) = 0;
  // A queued job is cancelled at once; a running one gets cancel_requested (its runner stops it).
  // kFailedPrecondition if the job is already final.
  virtual Result<Job> RequestCancel(const std::string& id) = 0;

  // Deletes final jobs that finished before `finished_before_ms` (Unix ms) and have no callback
  // still pending; returns how many went.
  virtual Result<int64_t> PurgeFinished(int64_t finished_before_ms) = 0;

  // Final jobs whose callback is still to be delivered (oldest first).
  virtual Result<std::vector<Job>> PendingCallbacks(int limit) const = 0;
  virtual Status SetCallbackState(const std::string& id, CallbackState state, int attempts) = 0;
};

// Reports progress in 0..1; cheap to call often (the runner throttles database writes).
using JobProgressFn = std::function<void(double progress)>;

class JobHandler {
 public:
  virtual ~JobHandler() = default;
  // Checks a job's input and options before it is queued, so a bad request fails at submission
  // instead of as a failed job. Default: accepts everything.
  virtual Status Validate(const std::string& input, const std::string& options_json) const;
  // Does the work and returns the result as a JSON document. Once `cancel` becomes true the
  // handler should return promptly (any error; the runner records the cancellation).
  virtual Result<std::string> Run(const Job& job, const JobProgressFn& progress,
                                  const std::atomic<bool>& cancel) = 0;
};

struct JobRunnerOptions {
  // Jobs run at once (each on its own thread); 1..256.
  int workers = 1;
  // Claims per job before it is failed for good (a crash or kill mid-run counts as one).
  int max_attempts = 3;
  // This runner's name in claims (Job::worker_id); "" = "<hostname>:<pid>:<4 random hex digits>".
  std::string worker_id;
  // How long a claim holds without a heartbeat; the runner extends it every lease / 3 while the
  // job runs. A job whose worker died is claimable again this long after its last heartbeat.
  std::chrono::milliseconds lease{30000};
  // Workers also look for queued jobs this often without being woken by Submit().
  std::chrono::milliseconds poll_interval{1000};
  // Shutdown() waits this long for running jobs, then cancels them and queues them again.
  std::chrono::milliseconds drain_timeout{30000};
  // Minimum time between two progress writes for one job.
  std::chrono::milliseconds progress_interval{250};
  // Final jobs older than this are deleted (checked at Start() and about once a minute);
  // 0 = keep every job.
  std::chrono::hours retention{0};
  // Optional: job metrics (vigil_jobs{state}, vigil_job_duration_seconds{kind,state},
  // vigil_jobs_finished_total{kind,state}) are registered here. Must outlive the runner.
  MetricsRegistry* metrics = nullptr;
  // Optional: called on a worker thread after a job became final (with the final record).
  std::function<void(const Job&)> on_final;
};

class JobRunner {
 public:
  // `store` must outlive the runner.
  static Result<std::unique_ptr<JobRunner>> Create(JobStore* store, const JobRunnerOptions& options);
  ~JobRunner();  // Shutdown()

  // Before Start(): the handler for jobs of `kind`.
  Status RegisterHandler(const std::string& kind, std::unique_ptr<JobHandler> handler);
  // Re-queues jobs whose lease expired (a crashed run), then starts the workers (which keep
  // doing so about once a second, and heartbeat their own jobs).
  Status Start();
  // Validates (known kind, handler's Validate), stores the job queued and wakes a worker.
  Result<Job> Submit(const NewJob& job);
  // Cancels a queued job, or asks the running job's handler to stop.
  Result<Job> Cancel(const std::string& id);
  // Sets the vigil_jobs{state} gauge from the store (call before rendering metrics).
  Status RefreshMetrics();
  // Jobs running in this process now.
  int Running() const;
  // The worker id this runner claims with (JobRunnerOptions::worker_id or the generated one).
  const std::string& worker_id() const;
  // Stops claiming; waits up to drain_timeout for running jobs, then cancels them and queues them
  // again (their attempt not counted); joins the workers. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  explicit JobRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
