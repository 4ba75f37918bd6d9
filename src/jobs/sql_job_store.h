// The JobStore on the store's Connection interface: one set of portable SQL statements ($N
// placeholders) for every engine, and the two engines' differences in a Dialect (the column that
// orders jobs created in the same millisecond; the row lock of a claim). SqliteJobStore and
// PostgresJobStore are its two engines; JobStore::Open picks one by the database string.
// Thread-safety: every method takes the store's mutex (one statement at a time on its connection).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/connection.h"
#include "vigil/jobs.h"

namespace vigil {

class SqlJobStore : public JobStore {
 public:
  struct Dialect {
    const char* engine;     // "sqlite", "postgresql"
    const char* tiebreak;   // insertion order among equal created_ms: "rowid", "seq"
    const char* claim_lock; // appended to the claim's row pick, e.g. " FOR UPDATE SKIP LOCKED"
  };

  const char* engine() const override { return dialect_.engine; }
  Result<Job> Create(const NewJob& job) override;
  Result<Job> Get(const std::string& id) const override;
  Result<std::vector<Job>> List(std::optional<JobState> state, int limit) const override;
  Result<std::map<JobState, int64_t>> CountByState() const override;
  Result<std::optional<Job>> ClaimNext(const std::vector<std::string>& kinds, const ClaimOptions& claim) override;
  Status Heartbeat(const Job& run, std::chrono::milliseconds lease) override;
  Status SetProgress(const Job& run, double progress) override;
  Status Succeed(const Job& run, const std::string& result_json) override;
  Status Fail(const Job& run, const Status& error) override;
  Status Cancelled(const Job& run) override;
  Status Requeue(const Job& run, bool count_attempt) override;
  Result<ExpiredLeases> ExpireLeases(int max_attempts) override;
  Result<Job> RequestCancel(const std::string& id) override;
  Result<int64_t> PurgeFinished(int64_t finished_before_ms) override;
  Result<std::vector<Job>> PendingCallbacks(int limit) const override;
  Status SetCallbackState(const std::string& id, CallbackState state, int attempts) override;

 protected:
  // `db` is migrated already.
  SqlJobStore(std::unique_ptr<store::Connection> db, Dialect dialect);

 private:
  Result<Job> GetLocked(const std::string& id) const;
  Result<std::vector<Job>> SelectJobs(const std::string& where_order_limit, const std::vector<store::Value>& params) const;
  // Runs "UPDATE jobs SET <set> WHERE id = $a AND run_token = $b AND state = 'running'" with
  // `params` for <set> first; kFailedPrecondition unless exactly that row changed.
  Status UpdateHeld(const Job& run, const std::string& set, std::vector<store::Value> params);
  Status Finish(const Job& run, JobState state, const std::string& result, const std::string& code,
                const std::string& message);

  mutable std::mutex mutex_;
  std::unique_ptr<store::Connection> db_;
  Dialect dialect_;
};

// SQLite (WAL, one file): claims under BEGIN IMMEDIATE, the write lock serialising processes.
class SqliteJobStore final : public SqlJobStore {
 public:
  static Result<std::unique_ptr<JobStore>> Open(const JobStoreOptions& options);

 private:
  using SqlJobStore::SqlJobStore;
};

// PostgreSQL (libpq): claims pick their row with FOR UPDATE SKIP LOCKED, so concurrent claimants
// in any number of processes skip each other's rows instead of waiting.
class PostgresJobStore final : public SqlJobStore {
 public:
  static Result<std::unique_ptr<JobStore>> Open(const JobStoreOptions& options);

 private:
  using SqlJobStore::SqlJobStore;
};

}  // namespace vigil
