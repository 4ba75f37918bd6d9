// SQLite adapter (see sqlite_db.h): connection, prepared statements, transactions, error mapping.
#include "jobs/sqlite_db.h"

#include <sqlite3.h>

namespace vigil::sqlite {
namespace {

// SQLITE_BUSY/LOCKED mean another writer holds the database past the busy timeout.
Status ErrorFrom(int rc, sqlite3* db, const std::string& what) {
  std::string message = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
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

}  // namespace

void DatabaseCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void StatementFinalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, int busy_timeout_ms,
                                                 bool synchronous_full) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  std::unique_ptr<Database> db(new Database(raw, path));  // owns raw even when open failed
  if (rc != SQLITE_OK) return ErrorFrom(rc, raw, "cannot open database " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes (FULL
  // also across power loss).
  VIGIL_ASSIGN_OR_RETURN(Statement mode, db->Prepare("PRAGMA journal_mode=WAL"));
  VIGIL_ASSIGN_OR_RETURN(bool has_row, mode.Step());
  if (!has_row || mode.Text(0) != "wal") {
    return FailedPreconditionError(path + ": cannot switch the database to WAL mode");
  }
  VIGIL_RETURN_IF_ERROR(db->Exec(std::string("PRAGMA foreign_keys=ON; PRAGMA synchronous=") +
                                 (synchronous_full ? "FULL" : "NORMAL")));
  return db;
}

Status Database::Exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string message = error ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  Status s = ErrorFrom(rc, nullptr, "sqlite");
  return Status(s.code(), path_ + ": " + message);
}

Result<Statement> Database::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), int(sql.size()), &stmt, nullptr);
  Statement statement(db_.get(), stmt);
  if (rc != SQLITE_OK) return ErrorFrom(rc, db_.get(), path_ + ": prepare");
  return statement;
}

int64_t Database::Changes() const { return sqlite3_changes64(db_.get()); }

Statement& Statement::Bind(int index, const std::string& text) {
  const int rc = sqlite3_bind_text(stmt_.get(), index, text.data(), int(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Status Statement::Check(int rc, const char* what) {
  return ErrorFrom(rc, db_, what);
}

Result<bool> Statement::Step() {
  if (bind_error_ != 0) return Check(bind_error_, "sqlite bind");
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Check(rc, "sqlite step");
}

Status Statement::Run() {
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
double Statement::Double(int column) const { return sqlite3_column_double(stmt_.get(), column); }
std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  return text ? std::string(reinterpret_cast<const char*>(text), size_t(sqlite3_column_bytes(stmt_.get(), column)))
              : std::string();
}

Result<Transaction> Transaction::Begin(Database* db) {
  VIGIL_RETURN_IF_ERROR(db->Exec("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Status s = db_->Exec("COMMIT");
  if (s.ok()) db_ = nullptr;
  return s;
}

}  // namespace vigil::sqlite
