// JobStore: the jobs table in SQLite (WAL), its schema migrations, and every state transition as
// one conditional UPDATE, so a stale runner (wrong run_token, job no longer running) changes nothing.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>

#include "jobs/sqlite_db.h"
#include "vigil/jobs.h"

namespace vigil {
namespace {

// Migration N brings the schema from version N to N + 1. Append only; never edit a released one.
const char* const kMigrations[] = {
    // 0 -> 1: the jobs table.
    R"sql(
CREATE TABLE jobs (
  id                TEXT PRIMARY KEY,
  kind              TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
  progress          REAL NOT NULL DEFAULT 0,
  input             TEXT NOT NULL,
  options_json      TEXT NOT NULL DEFAULT '{}',
  result_json       TEXT,
  error_code        TEXT,
  error_message     TEXT,
  callback_url      TEXT,
  callback_state    TEXT NOT NULL DEFAULT 'none'
                    CHECK (callback_state IN ('none','pending','delivered','failed')),
  callback_attempts INTEGER NOT NULL DEFAULT 0,
  attempts          INTEGER NOT NULL DEFAULT 0,
  cancel_requested  INTEGER NOT NULL DEFAULT 0,
  run_token         TEXT,
  created_ms        INTEGER NOT NULL,
  started_ms        INTEGER NOT NULL DEFAULT 0,
  finished_ms       INTEGER NOT NULL DEFAULT 0,
  updated_ms        INTEGER NOT NULL
);
CREATE INDEX jobs_by_state ON jobs (state, created_ms);
)sql",
};
constexpr int kSchemaVersion = int(sizeof(kMigrations) / sizeof(kMigrations[0]));

constexpr const char* kColumns =
    "id, kind, state, progress, input, options_json, result_json, error_code, error_message, "
    "callback_url, callback_state, callback_attempts, attempts, cancel_requested, run_token, "
    "created_ms, started_ms, finished_ms, updated_ms";

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

Job ReadJob(const sqlite::Statement& row) {
  Job j;
  j.id = row.Text(0);
  j.kind = row.Text(1);
  j.state = ParseJobState(row.Text(2)).ok() ? *ParseJobState(row.Text(2)) : JobState::kFailed;
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
  return j;
}

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "failed";
}

Result<JobState> ParseJobState(const std::string& name) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kFailed,
                     JobState::kCancelled}) {
    if (name == JobStateName(s)) return s;
  }
  return InvalidArgumentError("unknown job state \"" + name +
                              "\" (queued, running, succeeded, failed, cancelled)");
}

bool IsFinal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed || state == JobState::kCancelled;
}

const char* CallbackStateName(CallbackState state) {
  switch (state) {
    case CallbackState::kNone: return "none";
    case CallbackState::kPending: return "pending";
    case CallbackState::kDelivered: return "delivered";
    case CallbackState::kFailed: return "failed";
  }
  return "none";
}

// An exclusive flock on "<database>.lock", released when closed.
class LockFile {
 public:
  static Result<std::unique_ptr<LockFile>> Acquire(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return FailedPreconditionError("cannot open lock file " + path);
    std::unique_ptr<LockFile> lock(new LockFile(fd));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      return FailedPreconditionError(path + " is locked: another process has this job database open");
    }
    return lock;
  }
  ~LockFile() { ::close(fd_); }  // closing releases the lock

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_;
};

struct JobStore::Impl {
  mutable std::mutex mutex;  // one statement at a time on the connection
  std::unique_ptr<LockFile> lock;
  std::unique_ptr<sqlite::Database> db;

  Status Migrate() {
    VIGIL_ASSIGN_OR_RETURN(sqlite::Statement version_query, db->Prepare("PRAGMA user_version"));
    VIGIL_ASSIGN_OR_RETURN(bool row, version_query.Step());
    const int version = row ? int(version_query.Int(0)) : 0;
    if (version > kSchemaVersion) {
      return FailedPreconditionError(db->path() + " has job schema version " + std::to_string(version) +
                                     ", newer than this Vigil's " + std::to_string(kSchemaVersion));
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      VIGIL_ASSIGN_OR_RETURN(sqlite::Transaction tx, sqlite::Transaction::Begin(db.get()));
      VIGIL_RETURN_IF_ERROR(db->Exec(kMigrations[v]));
      VIGIL_RETURN_IF_ERROR(db->Exec("PRAGMA user_version = " + std::to_string(v + 1)));
      VIGIL_RETURN_IF_ERROR(tx.Commit());
    }
    return Status::Ok();
  }

  Result<Job> GetLocked(const std::string& id) const {
    VIGIL_ASSIGN_OR_RETURN(sqlite::Statement q,
                           db->Prepare(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?"));
    q.Bind(1, id);
    VIGIL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return NotFoundError("no job with id \"" + id + "\"");
    return ReadJob(q);
  }

  // Runs an UPDATE that must change exactly the row held by `run`.
  Status UpdateHeld(const Job& run, const std::string& set_clause,
                    const std::function<void(sqlite::Statement&)>& bind_extra, int extra_count) {
    VIGIL_ASSIGN_OR_RETURN(
        sqlite::Statement u,
        db->Prepare("UPDATE jobs SET " + set_clause +
                    " WHERE id = ? AND run_token = ? AND state = 'running'"));
    bind_extra(u);
    u.Bind(extra_count + 1, run.id).Bind(extra_count + 2, run.run_token);
    VIGIL_RETURN_IF_ERROR(u.Run());
    if (db->Changes() != 1) {
      return FailedPreconditionError("job " + run.id + " is no longer held by this run");
    }
    return Status::Ok();
  }

  // Sets a final state for the held run; callbacks become pending when the job has a URL.
  // `code` "" = no error.
  Status Finish(const Job& run, JobState state, const std::string& result, const std::string& code,
                const std::string& message) {
    const int64_t now = NowMs();
    return UpdateHeld(
        run,
        "state = ?, result_json = ?, error_code = ?, error_message = ?, finished_ms = ?, "
        "updated_ms = ?, run_token = NULL, progress = CASE WHEN ? = 'succeeded' THEN 1 ELSE progress END, "
        "callback_state = CASE WHEN callback_url IS NOT NULL AND callback_url != '' THEN 'pending' "
        "ELSE 'none' END",
        [&](sqlite::Statement& u) {
          u.Bind(1, std::string(JobStateName(state)));
          if (state == JobState::kSucceeded) u.Bind(2, result); else u.BindNull(2);
          if (code.empty()) u.BindNull(3).BindNull(4);
          else u.Bind(3, code).Bind(4, message);
          u.Bind(5, now).Bind(6, now).Bind(7, std::string(JobStateName(state)));
        },
        7);
  }
};

JobStore::JobStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JobStore::~JobStore() = default;

std::string JobStore::NewJobId() { return RandomHex(16); }
int JobStore::CurrentSchemaVersion() { return kSchemaVersion; }

Result<std::unique_ptr<JobStore>> JobStore::Open(const JobStoreOptions& options) {
  if (options.path.empty()) return InvalidArgumentError("job store: empty database path");
  if (options.busy_timeout_ms < 0) return InvalidArgumentError("job store: busy_timeout_ms must be >= 0");
  const std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return FailedPreconditionError("cannot create " + parent.string() + ": " + ec.message());
  }
  auto impl = std::make_unique<Impl>();
  if (options.exclusive) {
    VIGIL_ASSIGN_OR_RETURN(impl->lock, LockFile::Acquire(options.path + ".lock"));
  }
  VIGIL_ASSIGN_OR_RETURN(impl->db, sqlite::Database::Open(options.path, options.busy_timeout_ms,
                                                          options.synchronous_full));
  VIGIL_RETURN_IF_ERROR(impl->Migrate());
  return std::unique_ptr<JobStore>(new JobStore(std::move(impl)));
}

Result<Job> JobStore::Create(const NewJob& job) {
  if (job.kind.empty()) return InvalidArgumentError("a job needs a kind");
  if (!job.id.empty() && !IsJobId(job.id)) {
    return InvalidArgumentError("job id must be 32 lower-case hex digits");
  }
  const std::string id = job.id.empty() ? NewJobId() : job.id;
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      impl_->db->Prepare("INSERT INTO jobs (id, kind, state, input, options_json, callback_url, "
                         "created_ms, updated_ms) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)"));
  insert.Bind(1, id).Bind(2, job.kind).Bind(3, job.input)
      .Bind(4, job.options_json.empty() ? std::string("{}") : job.options_json);
  if (job.callback_url.empty()) insert.BindNull(5); else insert.Bind(5, job.callback_url);
  insert.Bind(6, now).Bind(7, now);
  VIGIL_RETURN_IF_ERROR(insert.Run());
  return impl_->GetLocked(id);
}

Result<Job> JobStore::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->GetLocked(id);
}

Result<std::vector<Job>> JobStore::List(std::optional<JobState> state, int limit) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      impl_->db->Prepare(std::string("SELECT ") + kColumns + " FROM jobs" +
                         (state ? " WHERE state = ?" : "") + " ORDER BY created_ms DESC, rowid DESC LIMIT ?"));
  int index = 1;
  if (state) q.Bind(index++, std::string(JobStateName(*state)));
  q.Bind(index, int64_t(limit));
  std::vector<Job> jobs;
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    jobs.push_back(ReadJob(q));
  }
  return jobs;
}

Result<std::map<JobState, int64_t>> JobStore::CountByState() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(sqlite::Statement q,
                         impl_->db->Prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
  std::map<JobState, int64_t> counts;
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kFailed,
                     JobState::kCancelled}) {
    counts[s] = 0;
  }
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    Result<JobState> s = ParseJobState(q.Text(0));
    if (s.ok()) counts[*s] = q.Int(1);
  }
  return counts;
}

Result<std::optional<Job>> JobStore::ClaimNext(const std::vector<std::string>& kinds) {
  if (kinds.empty()) return std::optional<Job>();
  std::string placeholders;
  for (size_t i = 0; i < kinds.size(); ++i) placeholders += i ? ", ?" : "?";
  const std::string token = RandomHex(16);
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement u,
      impl_->db->Prepare("UPDATE jobs SET state = 'running', attempts = attempts + 1, run_token = ?, "
                         "started_ms = ?, updated_ms = ? WHERE id = (SELECT id FROM jobs WHERE "
                         "state = 'queued' AND kind IN (" + placeholders +
                         ") ORDER BY created_ms, rowid LIMIT 1) AND state = 'queued' "
                         "RETURNING id"));
  u.Bind(1, token).Bind(2, now).Bind(3, now);
  for (size_t i = 0; i < kinds.size(); ++i) u.Bind(int(i) + 4, kinds[i]);
  VIGIL_ASSIGN_OR_RETURN(bool row, u.Step());
  if (!row) return std::optional<Job>();
  const std::string id = u.Text(0);
  VIGIL_RETURN_IF_ERROR(u.Run());
  VIGIL_ASSIGN_OR_RETURN(Job job, impl_->GetLocked(id));
  return std::optional<Job>(std::move(job));
}

Status JobStore::SetProgress(const Job& run, double progress) {
  progress = progress < 0 ? 0 : progress > 1 ? 1 : progress;
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->UpdateHeld(run, "progress = ?, updated_ms = ?",
                           [&](sqlite::Statement& u) { u.Bind(1, progress).Bind(2, now); }, 2);
}

Status JobStore::Succeed(const Job& run, const std::string& result_json) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->Finish(run, JobState::kSucceeded, result_json, "", "");
}

Status JobStore::Fail(const Job& run, const Status& error) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const Status e = error.ok() ? InternalError("the job failed without an error") : error;
  return impl_->Finish(run, JobState::kFailed, "", StatusCodeName(e.code()), e.message());
}

Status JobStore::Cancelled(const Job& run) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->Finish(run, JobState::kCancelled, "", "cancelled", "cancelled on request");
}

Status JobStore::Requeue(const Job& run, bool count_attempt) {
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->UpdateHeld(
      run,
      std::string("state = 'queued', run_token = NULL, progress = 0, updated_ms = ?") +
          (count_attempt ? "" : ", attempts = MAX(attempts - 1, 0)"),
      [&](sqlite::Statement& u) { u.Bind(1, now); }, 1);
}

Result<RecoveredJobs> JobStore::RecoverInterrupted(int max_attempts) {
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(sqlite::Transaction tx, sqlite::Transaction::Begin(impl_->db.get()));
  RecoveredJobs recovered;
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement fail,
      impl_->db->Prepare("UPDATE jobs SET state = 'failed', run_token = NULL, finished_ms = ?1, "
                         "updated_ms = ?1, error_code = 'unavailable', error_message = "
                         "'interrupted ' || attempts || ' times (the server stopped while it ran)', "
                         "callback_state = CASE WHEN callback_url IS NOT NULL AND callback_url != '' "
                         "THEN 'pending' ELSE 'none' END "
                         "WHERE state = 'running' AND attempts >= ?2"));
  fail.Bind(1, now).Bind(2, int64_t(max_attempts));
  VIGIL_RETURN_IF_ERROR(fail.Run());
  recovered.failed = int(impl_->db->Changes());
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement requeue,
      impl_->db->Prepare("UPDATE jobs SET state = 'queued', run_token = NULL, progress = 0, "
                         "updated_ms = ? WHERE state = 'running'"));
  requeue.Bind(1, now);
  VIGIL_RETURN_IF_ERROR(requeue.Run());
  recovered.requeued = int(impl_->db->Changes());
  VIGIL_RETURN_IF_ERROR(tx.Commit());
  return recovered;
}

Result<Job> JobStore::RequestCancel(const std::string& id) {
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(Job job, impl_->GetLocked(id));
  if (IsFinal(job.state)) {
    return FailedPreconditionError("job " + id + " is already " + JobStateName(job.state));
  }
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement u,
      impl_->db->Prepare(
          "UPDATE jobs SET cancel_requested = 1, updated_ms = ?1, "
          "state = CASE state WHEN 'queued' THEN 'cancelled' ELSE state END, "
          "finished_ms = CASE state WHEN 'queued' THEN ?1 ELSE finished_ms END, "
          "error_code = CASE state WHEN 'queued' THEN 'cancelled' ELSE error_code END, "
          "error_message = CASE state WHEN 'queued' THEN 'cancelled on request' ELSE error_message END, "
          "callback_state = CASE WHEN state = 'queued' AND callback_url IS NOT NULL AND callback_url != '' "
          "THEN 'pending' ELSE callback_state END "
          "WHERE id = ?2 AND state IN ('queued', 'running')"));
  u.Bind(1, now).Bind(2, id);
  VIGIL_RETURN_IF_ERROR(u.Run());
  return impl_->GetLocked(id);
}

Result<int64_t> JobStore::PurgeFinished(int64_t finished_before_ms) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement d,
      impl_->db->Prepare("DELETE FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') "
                         "AND finished_ms < ? AND callback_state != 'pending'"));
  d.Bind(1, finished_before_ms);
  VIGIL_RETURN_IF_ERROR(d.Run());
  return impl_->db->Changes();
}

Result<std::vector<Job>> JobStore::PendingCallbacks(int limit) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      impl_->db->Prepare(std::string("SELECT ") + kColumns +
                         " FROM jobs WHERE callback_state = 'pending' ORDER BY finished_ms, rowid LIMIT ?"));
  q.Bind(1, int64_t(limit));
  std::vector<Job> jobs;
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    jobs.push_back(ReadJob(q));
  }
  return jobs;
}

Status JobStore::SetCallbackState(const std::string& id, CallbackState state, int attempts) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  VIGIL_ASSIGN_OR_RETURN(
      sqlite::Statement u,
      impl_->db->Prepare("UPDATE jobs SET callback_state = ?, callback_attempts = ?, updated_ms = ? WHERE id = ?"));
  u.Bind(1, std::string(CallbackStateName(state))).Bind(2, int64_t(attempts)).Bind(3, NowMs()).Bind(4, id);
  VIGIL_RETURN_IF_ERROR(u.Run());
  if (impl_->db->Changes() != 1) return NotFoundError("no job with id \"" + id + "\"");
  return Status::Ok();
}

}  // namespace vigil
