// SQLite adapter: the only place that touches sqlite3 handles. A Database owns one connection
// (unique_ptr with sqlite3_close_v2), a Statement one prepared statement (unique_ptr with
// sqlite3_finalize); every SQLite error code becomes a vigil::Status here.
// Thread-safety: a Database and its Statements are used by one thread at a time (callers hold a
// mutex); the connection is opened in serialized mode as a second line of defence.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "vigil/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil::sqlite {

struct DatabaseCloser {
  void operator()(sqlite3* db) const;
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const;
};

class Statement {
 public:
  Statement() = default;
  // Binds by 1-based index; errors surface at Step()/Run().
  Statement& Bind(int index, const std::string& text);
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& BindNull(int index);
  // Advances: true while a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for statements that return no rows).
  Status Run();
  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Status Check(int rc, const char* what);
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt_;
  int bind_error_ = 0;
};

class Database {
 public:
  // Opens (creating if needed) the database file; WAL journal, foreign keys on, busy timeout.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, int busy_timeout_ms,
                                                bool synchronous_full);
  // Runs one or more statements without results.
  Status Exec(const std::string& sql);
  Result<Statement> Prepare(const std::string& sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path);
  std::unique_ptr<sqlite3, DatabaseCloser> db_;
  std::string path_;
};

// RAII transaction: BEGIN IMMEDIATE on Begin, ROLLBACK unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(Database* db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace vigil::sqlite
