// SqliteJobStore::Open: the SQLite file (its directory created when missing), WAL, migrated schema.
// Claims run under BEGIN IMMEDIATE; jobs created in the same millisecond are ordered by rowid.
#include <filesystem>

#include "jobs/sql_job_store.h"
#include "store/migrations.h"
#include "store/sqlite_connection.h"

namespace vigil {

Result<std::unique_ptr<JobStore>> SqliteJobStore::Open(const JobStoreOptions& options) {
  if (options.database.empty()) return InvalidArgumentError("job store: empty database path");
  const std::filesystem::path parent = std::filesystem::path(options.database).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return FailedPreconditionError("cannot create " + parent.string() + ": " + ec.message());
  }
  store::ConnectOptions connect;
  connect.busy_timeout_ms = options.busy_timeout_ms;
  connect.synchronous_full = options.synchronous_full;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteConnection> db,
                         store::SqliteConnection::Open(options.database, connect));
  VIGIL_RETURN_IF_ERROR(store::Migrate(db.get()));
  return std::unique_ptr<JobStore>(new SqliteJobStore(std::move(db), {"sqlite", "rowid", ""}));
}

}  // namespace vigil
