// PostgresJobStore::Open: a libpq connection from a postgresql:// URL, migrated schema. Claims pick
// their row with FOR UPDATE SKIP LOCKED; jobs created in the same millisecond are ordered by seq.
#include "jobs/sql_job_store.h"
#include "store/migrations.h"
#include "store/postgres_connection.h"

namespace vigil {

Result<std::unique_ptr<JobStore>> PostgresJobStore::Open(const JobStoreOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<store::PostgresConnection> db,
                         store::PostgresConnection::Open(options.database));
  VIGIL_RETURN_IF_ERROR(store::Migrate(db.get()));
  return std::unique_ptr<JobStore>(
      new PostgresJobStore(std::move(db), {"postgresql", "seq", " FOR UPDATE SKIP LOCKED"}));
}

}  // namespace vigil
