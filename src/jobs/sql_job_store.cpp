// SqlJobStore (see sql_job_store.h): the jobs table through store::Connection. Every state change
// is one conditional UPDATE keyed by the run's run_token, so a stale run (lease lost, job no longer
// running) changes nothing; claims and lease expiry run in transactions.
#include "jobs/sql_job_store.h"

#include <sys/random.h>

#include <chrono>

namespace vigil {
namespace {

using store::QueryResult;
using store::Row;
using store::Value;

constexpr const char* kColumns =
    "id, kind, state, progress, input, options_json, result_json, error_code, error_message, "
    "callback_url, callback_state, callback_attempts, attempts, cancel_requested, run_token, "
    "created_ms, started_ms, finished_ms, updated_ms, worker_id, lease_expires_ms";

// A final state makes a pending callback when the job has a URL.
constexpr const char* kCallbackWhenFinal =
    "callback_state = CASE WHEN callback_url IS NOT NULL AND callback_url != '' THEN 'pending' ELSE 'none' END";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t filled = 0;
  while (filled < bytes) {
    const ssize_t n = getrandom(raw.data() + filled, bytes - filled, 0);
    if (n > 0) filled += size_t(n);  // EINTR: retry
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool IsJobId(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

CallbackState ParseCallbackState(const std::string& s) {
  if (s == "pending") return CallbackState::kPending;
  if (s == "delivered") return CallbackState::kDelivered;
  if (s == "failed") return CallbackState::kFailed;
  return CallbackState::kNone;
}

Value TextOrNull(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }

Job ReadJob(const Row& row) {
  Job j;
  j.id = row.Text(0);
  j.kind = row.Text(1);
  Result<JobState> state = ParseJobState(row.Text(2));
  j.state = state.ok() ? *state : JobState::kFailed;
  j.progress = row.Double(3);
  j.input = row.Text(4);
  j.options_json = row.Text(5);
  j.result_json = row.Text(6);
  j.error_code = row.Text(7);
  j.error_message = row.Text(8);
  j.callback_url = row.Text(9);
  j.callback_state = ParseCallbackState(row.Text(10));
  j.callback_attempts = int(row.Int(11));
  j.attempts = int(row.Int(12));
  j.cancel_requested = row.Int(13) != 0;
  j.run_token = row.Text(14);
  j.created_ms = row.Int(15);
  j.started_ms = row.Int(16);
  j.finished_ms = row.Int(17);
  j.updated_ms = row.Int(18);
  j.worker_id = row.Text(19);
  j.lease_expires_ms = row.Int(20);
  return j;
}

}  // namespace

std::string JobStore::NewJobId() { return RandomHex(16); }

SqlJobStore::SqlJobStore(std::unique_ptr<store::Connection> db, Dialect dialect)
    : db_(std::move(db)), dialect_(dialect) {}

Result<std::vector<Job>> SqlJobStore::SelectJobs(const std::string& where_order_limit,
                                                 const std::vector<Value>& params) const {
  VIGIL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Run(std::string("SELECT ") + kColumns + " FROM jobs " + where_order_limit, params));
  std::vector<Job> jobs;
  jobs.reserve(r.rows.size());
  for (const Row& row : r.rows) jobs.push_back(ReadJob(row));
  return jobs;
}

Result<Job> SqlJobStore::GetLocked(const std::string& id) const {
  VIGIL_ASSIGN_OR_RETURN(std::vector<Job> jobs, SelectJobs("WHERE id = $1", {id}));
  if (jobs.empty()) return NotFoundError("no job with id \"" + id + "\"");
  return jobs[0];
}

Status SqlJobStore::UpdateHeld(const Job& run, const std::string& set, std::vector<Value> params) {
  const size_t n = params.size();
  params.push_back(run.id);
  params.push_back(run.run_token);
  VIGIL_ASSIGN_OR_RETURN(QueryResult r,
                         db_->Run("UPDATE jobs SET " + set + " WHERE id = $" + std::to_string(n + 1) +
                                      " AND run_token = $" + std::to_string(n + 2) + " AND state = 'running'",
                                  params));
  if (r.changed != 1) return FailedPreconditionError("job " + run.id + " is no longer held by this run");
  return Status::Ok();
}

Status SqlJobStore::Finish(const Job& run, JobState state, const std::string& result, const std::string& code,
                           const std::string& message) {
  const std::string name = JobStateName(state);
  Status s = UpdateHeld(run,
                        "state = $1, result_json = $2, error_code = $3, error_message = $4, finished_ms = $5, "
                        "updated_ms = $5, final_token = run_token, run_token = NULL, lease_expires_ms = 0, "
                        "progress = CASE WHEN $1 = 'succeeded' THEN 1 ELSE progress END, " +
                            std::string(kCallbackWhenFinal),
                        {name, state == JobState::kSucceeded ? Value(result) : Value(nullptr), TextOrNull(code),
                         code.empty() ? Value(nullptr) : Value(message), NowMs()});
  if (s.ok() || s.code() != StatusCode::kFailedPrecondition) return s;
  // Idempotent: the same run already wrote this final state (e.g. a retry after a lost reply).
  VIGIL_ASSIGN_OR_RETURN(QueryResult r, db_->Run("SELECT state, final_token FROM jobs WHERE id = $1", {run.id}));
  if (!r.rows.empty() && !run.run_token.empty() && r.rows[0].Text(0) == name &&
      r.rows[0].Text(1) == run.run_token) {
    return Status::Ok();
  }
  return s;
}

Result<Job> SqlJobStore::Create(const NewJob& job) {
  if (job.kind.empty()) return InvalidArgumentError("a job needs a kind");
  if (!job.id.empty() && !IsJobId(job.id)) return InvalidArgumentError("job id must be 32 lower-case hex digits");
  const std::string id = job.id.empty() ? NewJobId() : job.id;
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mutex_);
  VIGIL_ASSIGN_OR_RETURN(
      QueryResult r,
      db_->Run(std::string("INSERT INTO jobs (id, kind, state, input, options_json, callback_url, created_ms, "
                           "updated_ms) VALUES ($1, $2, 'queued', $3, $4, $5, $6, $6) RETURNING ") + kColumns,
               {id, job.kind, job.input, job.options_json.empty() ? std::string("{}") : job.options_json,
                TextOrNull(job.callback_url), now}));
  if (r.rows.empty()) return InternalError("job store: INSERT returned no row");
  return ReadJob(r.rows[0]);
}

Result<Job> SqlJobStore::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return GetLocked(id);
}

Result<std::vector<Job>> SqlJobStore::List(std::optional<JobState> state, int limit) const {
  const std::string order = std::string(" ORDER BY created_ms DESC, ") + dialect_.tiebreak + " DESC LIMIT ";
  std::lock_guard<std::mutex> lock(mutex_);
  if (state) return SelectJobs("WHERE state = $1" + order + "$2", {std::string(JobStateName(*state)), int64_t(limit)});
  return SelectJobs(order + "$1", {int64_t(limit)});
}

Result<std::map<JobState, int64_t>> SqlJobStore::CountByState() const {
  std::lock_guard<std::mutex> lock(mutex_);
  VIGIL_ASSIGN_OR_RETURN(QueryResult r, db_->Run("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
  std::map<JobState, int64_t> counts;
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kFailed,
                     JobState::kCancelled}) {
    counts[s] = 0;
  }
  for (const Row& row : r.rows) {
    Result<JobState> s = ParseJobState(row.Text(0));
    if (s.ok()) counts[*s] = row.Int(1);
  }
  return counts;
}

Result<std::optional<Job>> SqlJobStore::ClaimNext(const std::vector<std::string>& kinds, const ClaimOptions& claim) {
  if (claim.lease.count() <= 0) return InvalidArgumentError("job store: a claim's lease must be > 0");
  if (kinds.empty()) return std::optional<Job>();
  const int64_t now = NowMs();
  std::vector<Value> params = {RandomHex(16), TextOrNull(claim.worker_id), now + int64_t(claim.lease.count()), now};
  std::string placeholders;
  for (const std::string& kind : kinds) {
    params.push_back(kind);
    placeholders += (placeholders.empty() ? "$" : ", $") + std::to_string(params.size());
  }
  const std::string sql =
      std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, run_token = $1, worker_id = $2, "
                  "lease_expires_ms = $3, started_ms = $4, updated_ms = $4 WHERE id = (SELECT id FROM jobs WHERE "
                  "state = 'queued' AND kind IN (") +
      placeholders + ") ORDER BY created_ms, " + dialect_.tiebreak + " LIMIT 1" + dialect_.claim_lock +
      ") AND state = 'queued' RETURNING " + kColumns;
  std::lock_guard<std::mutex> lock(mutex_);
  VIGIL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_.get()));
  VIGIL_ASSIGN_OR_RETURN(QueryResult r, db_->Run(sql, params));
  VIGIL_RETURN_IF_ERROR(tx.Commit());
  if (r.rows.empty()) return std::optional<Job>();
  return std::optional<Job>(ReadJob(r.rows[0]));
}

Status SqlJobStore::Heartbeat(const Job& run, std::chrono::milliseconds lease) {
  if (lease.count() <= 0) return InvalidArgumentError("job store: a lease must be > 0");
  const int64_t until = NowMs() + int64_t(lease.count());
  std::lock_guard<std::mutex> lock(mutex_);
  return UpdateHeld(run, "lease_expires_ms = $1", {until});
}

Status SqlJobStore::SetProgress(const Job& run, double progress) {
  progress = progress < 0 ? 0 : progress > 1 ? 1 : progress;
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mutex_);
  return UpdateHeld(run, "progress = $1, updated_ms = $2", {progress, now});
}

Status SqlJobStore::Succeed(const Job& run, const std::string& result_json) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Finish(run, JobState::kSucceeded, result_json, "", "");
}

Status SqlJobStore::Fail(const Job& run, const Status& error) {
  const Status e = error.ok() ? InternalError("the job failed without an error") : error;
  std::lock_guard<std::mutex> lock(mutex_);
  return Finish(run, JobState::kFailed, "", StatusCodeName(e.code()), e.message());
}

Status SqlJobStore::Cancelled(const Job& run) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Finish(run, JobState::kCancelled, "", "cancelled", "cancelled on request");
}

Status SqlJobStore::Requeue(const Job& run, bool count_attempt) {
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mutex_);
  return UpdateHeld(run,
                    std::string("state = 'queued', run_token = NULL, worker_id = NULL, lease_expires_ms = 0, "
                                "progress = 0, updated_ms = $1") +
                        (count_attempt ? "" : ", attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"),
                    {now});
}

Result<ExpiredLeases> SqlJobStore::ExpireLeases(int max_attempts) {
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mutex_);
  VIGIL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_.get()));
  ExpiredLeases expired;
  VIGIL_ASSIGN_OR_RETURN(
      QueryResult failed,
      db_->Run(std::string("UPDATE jobs SET state = 'failed', run_token = NULL, lease_expires_ms = 0, "
                           "finished_ms = $1, updated_ms = $1, error_code = 'unavailable', error_message = "
                           "'interrupted ' || attempts || ' times (its worker stopped while it ran)', ") +
                   kCallbackWhenFinal + " WHERE state = 'running' AND lease_expires_ms < $1 AND attempts >= $2 RETURNING id",
               {now, int64_t(max_attempts)}));
  for (const Row& row : failed.rows) expired.failed.push_back(row.Text(0));
  VIGIL_ASSIGN_OR_RETURN(
      QueryResult requeued,
      db_->Run("UPDATE jobs SET state = 'queued', run_token = NULL, worker_id = NULL, lease_expires_ms = 0, "
               "progress = 0, updated_ms = $1 WHERE state = 'running' AND lease_expires_ms < $1",
               {now}));
  expired.requeued = int(requeued.changed);
  VIGIL_RETURN_IF_ERROR(tx.Commit());
  return expired;
}

Result<Job> SqlJobStore::RequestCancel(const std::string& id) {
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mutex_);
  VIGIL_ASSIGN_OR_RETURN(Job job, GetLocked(id));
  if (IsFinal(job.state)) return FailedPreconditionError("job " + id + " is already " + JobStateName(job.state));
  VIGIL_RETURN_IF_ERROR(
      db_->Run("UPDATE jobs SET cancel_requested = 1, updated_ms = $1, "
               "state = CASE state WHEN 'queued' THEN 'cancelled' ELSE state END, "
               "finished_ms = CASE state WHEN 'queued' THEN $1 ELSE finished_ms END, "
               "error_code = CASE state WHEN 'queued' THEN 'cancelled' ELSE error_code END, "
               "error_message = CASE state WHEN 'queued' THEN 'cancelled on request' ELSE error_message END, "
               "callback_state = CASE WHEN state = 'queued' AND callback_url IS NOT NULL AND callback_url != '' "
               "THEN 'pending' ELSE callback_state END "
               "WHERE id = $2 AND state IN ('queued', 'running')",
               {now, id})
          .status());
  return GetLocked(id);
}

Result<int64_t> SqlJobStore::PurgeFinished(int64_t finished_before_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  VIGIL_ASSIGN_OR_RETURN(QueryResult r, db_->Run("DELETE FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') "
                                                 "AND finished_ms < $1 AND callback_state != 'pending'",
                                                 {finished_before_ms}));
  return r.changed;
}

Result<std::vector<Job>> SqlJobStore::PendingCallbacks(int limit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return SelectJobs(std::string("WHERE callback_state = 'pending' ORDER BY finished_ms, ") + dialect_.tiebreak +
                        " LIMIT $1",
                    {int64_t(limit)});
}

Status SqlJobStore::SetCallbackState(const std::string& id, CallbackState state, int attempts) {
  std::lock_guard<std::mutex> lock(mutex_);
  VIGIL_ASSIGN_OR_RETURN(
      QueryResult r,
      db_->Run("UPDATE jobs SET callback_state = $1, callback_attempts = $2, updated_ms = $3 WHERE id = $4",
               {std::string(CallbackStateName(state)), int64_t(attempts), NowMs(), id}));
  if (r.changed != 1) return NotFoundError("no job with id \"" + id + "\"");
  return Status::Ok();
}

}  // namespace vigil
