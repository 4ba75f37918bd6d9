// Schema migrations (see migrations.h): the embedded .sql files per engine, applied in order in one
// transaction and recorded in schema_migrations; adoption of pre-schema_migrations SQLite files.
#include "store/migrations.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace vigil::store {
namespace {

// Legacy SQLite job databases recorded their schema in PRAGMA user_version; version 1 is the jobs
// table of migration 0001.
constexpr int kLegacyUserVersion = 1;
// Any constant: serialises concurrent Migrate() calls on one PostgreSQL database.
constexpr int64_t kMigrationLockKey = 0x76696769'6c2d6d67;  // "vigil-mg"

std::vector<Migration> Collect(Engine engine) {
  std::vector<Migration> out;
  for (size_t i = 0; i < internal::kEmbeddedMigrationCount; ++i) {
    const internal::EmbeddedMigration& m = internal::kEmbeddedMigrations[i];
    if (std::strcmp(m.engine, EngineName(engine)) == 0) out.push_back({m.version, m.name, m.sql});
  }
  std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<bool> HasMigrationsTable(Connection* db) {
  const char* sql = db->engine() == Engine::kSqlite
                        ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
                        : "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations' "
                          "AND schemaname = current_schema()";
  VIGIL_ASSIGN_OR_RETURN(QueryResult r, db->Run(sql));
  return !r.rows.empty() && r.rows[0].Int(0) > 0;
}

Result<std::vector<int>> ReadApplied(Connection* db) {
  VIGIL_ASSIGN_OR_RETURN(QueryResult r, db->Run("SELECT version FROM schema_migrations ORDER BY version"));
  std::vector<int> versions;
  for (const Row& row : r.rows) versions.push_back(int(row.Int(0)));
  return versions;
}

Status Record(Connection* db, const Migration& m) {
  return db->Run("INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
                 {int64_t(m.version), std::string(m.name), NowMs()})
      .status();
}

// Creates schema_migrations; an SQLite file from before it (user_version 1) is adopted as version 1.
Status CreateMigrationsTable(Connection* db, const std::vector<Migration>& migrations, int latest) {
  int legacy = 0;
  if (db->engine() == Engine::kSqlite) {
    VIGIL_ASSIGN_OR_RETURN(QueryResult r, db->Run("PRAGMA user_version"));
    legacy = r.rows.empty() ? 0 : int(r.rows[0].Int(0));
    if (legacy > kLegacyUserVersion) {
      return FailedPreconditionError(db->name() + " has job schema version " + std::to_string(legacy) +
                                     " (PRAGMA user_version), newer than this Vigil's " + std::to_string(latest));
    }
  }
  VIGIL_RETURN_IF_ERROR(db->Exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_ms BIGINT NOT NULL)"));
  for (const Migration& m : migrations) {
    if (m.version <= legacy) VIGIL_RETURN_IF_ERROR(Record(db, m));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<Migration>& Migrations(Engine engine) {
  static const std::vector<Migration> sqlite = Collect(Engine::kSqlite);
  static const std::vector<Migration> postgres = Collect(Engine::kPostgres);
  return engine == Engine::kSqlite ? sqlite : postgres;
}

int LatestVersion(Engine engine) {
  const std::vector<Migration>& all = Migrations(engine);
  return all.empty() ? 0 : all.back().version;
}

Result<std::vector<int>> AppliedVersions(Connection* connection) {
  VIGIL_ASSIGN_OR_RETURN(bool exists, HasMigrationsTable(connection));
  if (!exists) return std::vector<int>();
  return ReadApplied(connection);
}

Status Migrate(Connection* db) {
  const std::vector<Migration>& migrations = Migrations(db->engine());
  const int latest = LatestVersion(db->engine());
  VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  if (db->engine() == Engine::kPostgres) {
    VIGIL_RETURN_IF_ERROR(db->Run("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey}).status());
  }
  VIGIL_ASSIGN_OR_RETURN(bool exists, HasMigrationsTable(db));
  if (!exists) VIGIL_RETURN_IF_ERROR(CreateMigrationsTable(db, migrations, latest));
  VIGIL_ASSIGN_OR_RETURN(std::vector<int> applied, ReadApplied(db));
  if (!applied.empty() && applied.back() > latest) {
    return FailedPreconditionError(db->name() + " has schema version " + std::to_string(applied.back()) +
                                   ", newer than this Vigil's " + std::to_string(latest) +
                                   ": it was written by a newer Vigil");
  }
  for (const Migration& m : migrations) {
    if (std::binary_search(applied.begin(), applied.end(), m.version)) continue;
    Status s = db->Exec(m.sql);
    if (!s.ok()) {
      return s.WithContext("migration " + std::string(EngineName(db->engine())) + "/" + std::to_string(m.version) +
                           "_" + m.name);
    }
    VIGIL_RETURN_IF_ERROR(Record(db, m));
  }
  if (db->engine() == Engine::kSqlite) {
    // Older Vigils read only user_version: keep it ahead of theirs so they refuse this file.
    VIGIL_RETURN_IF_ERROR(db->Exec("PRAGMA user_version = " + std::to_string(latest)));
  }
  return tx.Commit();
}

}  // namespace vigil::store
