// SQLite adapter: the only place that touches sqlite3 handles. The connection is a unique_ptr with
// sqlite3_close_v2, prepared statements unique_ptrs with sqlite3_finalize (cached per SQL text and
// reused); every SQLite error code becomes a vigil::Status here. WAL journal, foreign keys on,
// busy timeout; $N placeholders are bound by name.
// Thread-safety: one thread at a time (callers hold a mutex); the connection is opened in
// serialized mode as a second line of defence.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "store/connection.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const;
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const;
};

class SqliteConnection final : public Connection {
 public:
  // Opens (creating if needed) the database file.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, const ConnectOptions& options);
  ~SqliteConnection() override;

  Engine engine() const override { return Engine::kSqlite; }
  const std::string& name() const override { return path_; }
  Status Exec(const std::string& sql) override;
  Result<QueryResult> Run(const std::string& sql, const std::vector<Value>& params = {}) override;
  Status Begin() override { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() override { return Exec("COMMIT"); }
  Status Rollback() override { return Exec("ROLLBACK"); }

 private:
  SqliteConnection(sqlite3* db, std::string path);
  Result<sqlite3_stmt*> Prepared(const std::string& sql);

  std::unique_ptr<sqlite3, SqliteCloser> db_;
  std::string path_;
  // Statements are finalized before the connection closes (members are destroyed in reverse).
  std::map<std::string, std::unique_ptr<sqlite3_stmt, SqliteFinalizer>> statements_;
};

}  // namespace vigil::store
