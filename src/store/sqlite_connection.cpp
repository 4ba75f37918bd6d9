// SQLite adapter (see sqlite_connection.h): connection, cached prepared statements, $N binding,
// transactions, error mapping.
#include "store/sqlite_connection.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vigil::store {
namespace {

// SQLITE_BUSY/LOCKED mean another writer holds the database past the busy timeout.
Status ErrorFrom(int rc, const std::string& message) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLossError(message);
    case SQLITE_FULL: return ResourceExhaustedError(message);
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM: return FailedPreconditionError(message);
    case SQLITE_CONSTRAINT: return InvalidArgumentError(message);
    default: return InternalError(message);
  }
}

// Resets a cached statement when the call that used it returns.
struct ResetOnExit {
  sqlite3_stmt* stmt;
  ~ResetOnExit() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

}  // namespace

void SqliteCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void SqliteFinalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

SqliteConnection::SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
SqliteConnection::~SqliteConnection() { statements_.clear(); }

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                 const ConnectOptions& options) {
  if (options.busy_timeout_ms < 0) return InvalidArgumentError("store: busy_timeout_ms must be >= 0");
  if (!path.empty() && path[0] != ':' && path.rfind("file:", 0) != 0) {
    // SQLite writes the database, its -wal and -shm files beside it: a read-only directory (or
    // file system) would surface later as "unable to open database file"; name it here.
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    const std::string dir = parent.empty() ? "." : parent.string();
    if (::access(dir.c_str(), W_OK) != 0 && errno != ENOENT) {
      return FailedPreconditionError("cannot open database " + path + ": its directory " + dir + " is not writable (" +
                                     std::strerror(errno) + "); SQLite writes the database and its -wal and -shm files there");
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<SqliteConnection> db(new SqliteConnection(raw, path));  // owns raw even when open failed
  if (rc != SQLITE_OK) {
    return ErrorFrom(rc, "cannot open database " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes (FULL
  // also across power loss).
  VIGIL_ASSIGN_OR_RETURN(QueryResult mode, db->Run("PRAGMA journal_mode=WAL"));
  if (mode.rows.empty() || mode.rows[0].Text(0) != "wal") {
    return FailedPreconditionError(path + ": cannot switch the database to WAL mode");
  }
  VIGIL_RETURN_IF_ERROR(db->Exec(std::string("PRAGMA foreign_keys=ON; PRAGMA synchronous=") +
                                 (options.synchronous_full ? "FULL" : "NORMAL")));
  return db;
}

Status SqliteConnection::Exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string message = error ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  return ErrorFrom(rc, path_ + ": " + message);
}

Result<sqlite3_stmt*> SqliteConnection::Prepared(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), int(sql.size()), &stmt, nullptr);
  std::unique_ptr<sqlite3_stmt, SqliteFinalizer> owned(stmt);
  if (rc != SQLITE_OK) return ErrorFrom(rc, path_ + ": prepare: " + sqlite3_errmsg(db_.get()));
  if (!stmt) return InvalidArgumentError(path_ + ": prepare: no statement in \"" + sql + "\"");
  return statements_.emplace(sql, std::move(owned)).first->second.get();
}

Result<QueryResult> SqliteConnection::Run(const std::string& sql, const std::vector<Value>& params) {
  VIGIL_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepared(sql));
  ResetOnExit reset{stmt};
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != int(params.size())) {
    return InternalError(path_ + ": statement takes " + std::to_string(expected) + " parameter(s), " +
                         std::to_string(params.size()) + " given: " + sql);
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string name = "$" + std::to_string(i + 1);
    const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
    if (index == 0) return InternalError(path_ + ": no parameter " + name + " in: " + sql);
    const Value& v = params[i];
    int rc = SQLITE_OK;
    if (const auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text(stmt, index, s->data(), int(s->size()), SQLITE_TRANSIENT);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) return ErrorFrom(rc, path_ + ": bind " + name + ": " + sqlite3_errmsg(db_.get()));
  }
  QueryResult result;
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return ErrorFrom(rc, path_ + ": " + sqlite3_errmsg(db_.get()));
    const int columns = sqlite3_column_count(stmt);
    std::vector<Value> values;
    values.reserve(size_t(columns));
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER: values.emplace_back(int64_t(sqlite3_column_int64(stmt, c))); break;
        case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(stmt, c)); break;
        case SQLITE_NULL: values.emplace_back(nullptr); break;
        default: {
          const auto* text = static_cast<const char*>(sqlite3_column_blob(stmt, c));
          values.emplace_back(text ? std::string(text, size_t(sqlite3_column_bytes(stmt, c))) : std::string());
        }
      }
    }
    result.rows.emplace_back(std::move(values));
  }
  result.changed = sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes64(db_.get());
  return result;
}

}  // namespace vigil::store
