// The store interface's shared parts (see connection.h): value conversions of a Row, the RAII
// Transaction, and Connect(), which picks the adapter by the database string.
#include "store/connection.h"

#include <cstdio>
#include <cstdlib>

#include "store/postgres_connection.h"
#include "store/sqlite_connection.h"

namespace vigil::store {

const char* EngineName(Engine engine) {
  switch (engine) {
    case Engine::kSqlite: return "sqlite";
    case Engine::kPostgres: return "postgresql";
  }
  return "sqlite";
}

bool Row::IsNull(size_t column) const {
  return column >= values_.size() || std::holds_alternative<std::nullptr_t>(values_[column]);
}

int64_t Row::Int(size_t column) const {
  if (column >= values_.size()) return 0;
  const Value& v = values_[column];
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return int64_t(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

double Row::Double(size_t column) const {
  if (column >= values_.size()) return 0;
  const Value& v = values_[column];
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return double(*i);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string Row::Text(size_t column) const {
  if (column >= values_.size()) return "";
  const Value& v = values_[column];
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.17g", *d);
    return buffer;
  }
  return "";
}

Result<Transaction> Transaction::Begin(Connection* connection) {
  VIGIL_RETURN_IF_ERROR(connection->Begin());
  return Transaction(connection);
}

Transaction::~Transaction() {
  if (connection_) (void)connection_->Rollback();
}

Status Transaction::Commit() {
  Status s = connection_->Commit();
  if (s.ok()) connection_ = nullptr;
  return s;
}

bool IsPostgresUrl(const std::string& database) {
  return database.rfind("postgresql://", 0) == 0 || database.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Connection>> Connect(const std::string& database, const ConnectOptions& options) {
  if (database.empty()) return InvalidArgumentError("store: empty database path or URL");
  if (IsPostgresUrl(database)) {
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<PostgresConnection> pg, PostgresConnection::Open(database));
    return std::unique_ptr<Connection>(std::move(pg));
  }
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> db, SqliteConnection::Open(database, options));
  return std::unique_ptr<Connection>(std::move(db));
}

}  // namespace vigil::store
