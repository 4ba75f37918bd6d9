// Versioned schema migrations: numbered .sql files per engine under src/store/migrations/<engine>/
// (NNNN_name.sql), embedded into the library at build time. Migrate() applies the missing ones in
// version order in ONE transaction and records each in schema_migrations(version, name,
// applied_ms); a database that has a version this build does not know (a newer Vigil) is refused
// with kFailedPrecondition. Adding a table is one new .sql file per engine, same number in each.
//
// An SQLite job database from before schema_migrations (PRAGMA user_version 1) is adopted: version
// 1 is recorded as applied, then the rest run. PRAGMA user_version is kept at the latest version
// as well, so an older Vigil, which only knows user_version, refuses the migrated file.
//
//   VIGIL_ASSIGN_OR_RETURN(auto db, store::Connect(path, {}));
//   VIGIL_RETURN_IF_ERROR(store::Migrate(db.get()));
//
// Thread-safety: Migrate uses the connection like any caller (one thread at a time). Concurrent
// Migrate calls from several processes are serialised by the database (SQLite's write lock,
// PostgreSQL's transaction-scoped advisory lock).
#pragma once

#include <cstddef>
#include <vector>

#include "store/connection.h"

namespace vigil::store {

struct Migration {
  int version = 0;         // 1, 2, ... (the file's NNNN)
  const char* name = "";   // the file's name part, e.g. "jobs"
  const char* sql = "";    // the file's content
};

// The embedded migrations of one engine, in version order.
const std::vector<Migration>& Migrations(Engine engine);
// The highest embedded version of an engine (the same for every engine).
int LatestVersion(Engine engine);
// Brings the schema to LatestVersion(connection->engine()).
Status Migrate(Connection* connection);
// Versions recorded in schema_migrations, ascending (empty when the table does not exist yet).
Result<std::vector<int>> AppliedVersions(Connection* connection);

namespace internal {
struct EmbeddedMigration {
  const char* engine;
  int version;
  const char* name;
  const char* sql;
};
// Defined in the generated migrations_embedded.cpp.
extern const EmbeddedMigration kEmbeddedMigrations[];
extern const size_t kEmbeddedMigrationCount;
}  // namespace internal

}  // namespace vigil::store
