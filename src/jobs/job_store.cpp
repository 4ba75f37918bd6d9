// JobStore's engine-independent parts: state names, the schema version, and Open(), which picks
// SqliteJobStore or PostgresJobStore from the database string.
#include "jobs/sql_job_store.h"
#include "store/migrations.h"
#include "vigil/jobs.h"

namespace vigil {

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

int JobStore::CurrentSchemaVersion() { return store::LatestVersion(store::Engine::kSqlite); }

Result<std::unique_ptr<JobStore>> JobStore::Open(const JobStoreOptions& options) {
  if (options.database.empty()) return InvalidArgumentError("job store: empty database path or URL");
  if (store::IsPostgresUrl(options.database)) return PostgresJobStore::Open(options);
  return SqliteJobStore::Open(options);
}

}  // namespace vigil
