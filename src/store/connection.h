// The store's small internal database interface: a Connection runs SQL with bound parameters and
// returns rows; a Transaction is RAII over Begin/Commit/Rollback. One adapter per engine implements
// it (sqlite_connection.h, postgres_connection.h); no SQLite or libpq type appears outside them.
//
// SQL written against this interface uses $1..$N placeholders on both engines (PostgreSQL's own
// syntax; the SQLite adapter binds them by name) and portable SQL otherwise.
//
//   VIGIL_ASSIGN_OR_RETURN(auto db, store::Connect("postgresql://vigil@db/vigil", {}));
//   VIGIL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db.get()));
//   VIGIL_ASSIGN_OR_RETURN(store::QueryResult r, db->Run("SELECT id FROM jobs WHERE kind = $1", {"video.tag"}));
//   for (const store::Row& row : r.rows) ... row.Text(0) ...
//   VIGIL_RETURN_IF_ERROR(tx.Commit());
//
// Thread-safety: a Connection (and a Transaction on it) is used by one thread at a time; callers
// that share one hold a mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "vigil/status.h"

namespace vigil::store {

enum class Engine { kSqlite, kPostgres };
// "sqlite", "postgresql" (also the folder names of the migrations).
const char* EngineName(Engine engine);

// A bound parameter or a column value: NULL, integer, real or text.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string>;

// One result row. Accessors convert between the kinds (PostgreSQL returns text, SQLite typed
// values); NULL reads as 0 or "".
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t column) const;
  int64_t Int(size_t column) const;
  double Double(size_t column) const;
  std::string Text(size_t column) const;

 private:
  std::vector<Value> values_;
};

struct QueryResult {
  std::vector<Row> rows;  // what the statement returned (SELECT, or RETURNING)
  int64_t changed = 0;    // rows an INSERT/UPDATE/DELETE changed
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Engine engine() const = 0;
  // For messages: the file path, or the URL without its password.
  virtual const std::string& name() const = 0;
  // Runs one or more statements without parameters or results (DDL, migrations).
  virtual Status Exec(const std::string& sql) = 0;
  // Runs one statement with $1..$N bound to `params` (prepared once per connection and reused).
  virtual Result<QueryResult> Run(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // SQLite: BEGIN IMMEDIATE (the write lock is taken now, so a read-then-write cannot fail
  // half-way); PostgreSQL: BEGIN (READ COMMITTED; rows are locked as statements touch them).
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
};

// RAII transaction: Begin() now, Rollback() on destruction unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(Connection* connection);
  Transaction(Transaction&& other) noexcept : connection_(other.connection_) { other.connection_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;
};

struct ConnectOptions {
  // SQLite: how long a statement waits for another connection's write lock (then kUnavailable).
  int busy_timeout_ms = 5000;
  // SQLite: false = synchronous=NORMAL (WAL; durable across process crashes), true = FULL (also
  // across power loss).
  bool synchronous_full = false;
};

// True for "postgresql://..." and "postgres://..." URLs (libpq connection URIs).
bool IsPostgresUrl(const std::string& database);
// Opens a PostgreSQL URL or else an SQLite file (created when missing; its directory must exist).
Result<std::unique_ptr<Connection>> Connect(const std::string& database, const ConnectOptions& options);

}  // namespace vigil::store
