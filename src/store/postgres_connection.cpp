// PostgreSQL adapter (see postgres_connection.h): connect, prepared statements with text
// parameters, rows as text, transactions, SQLSTATE → Status, password redaction.
#include "store/postgres_connection.h"

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>

namespace vigil::store {
namespace {

struct PgResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultClear>;

void DropNotice(void*, const char*) {}

// Class of the SQLSTATE (its first two characters) → code; see PostgreSQL's errcodes appendix.
Status ErrorFrom(const PGresult* result, PGconn* conn, const std::string& where) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result ? PQresultErrorMessage(result) : "";
  if (message.empty()) message = conn ? PQerrorMessage(conn) : "unknown error";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  message = where + ": " + message;
  const std::string sqlstate = state ? state : "";
  if (sqlstate.empty()) return UnavailableError(message);  // no server answer: connection trouble
  const std::string cls = sqlstate.substr(0, 2);
  if (cls == "23" || cls == "22") return InvalidArgumentError(message);     // constraint, data
  if (cls == "40" || cls == "08" || cls == "57" || cls == "55") return UnavailableError(message);
  if (cls == "53") return ResourceExhaustedError(message);
  if (cls == "28" || cls == "3D" || sqlstate == "42501") return FailedPreconditionError(message);
  if (cls == "XX") return DataLossError(message);
  return InternalError(message);
}

bool CommandOk(const PGresult* r) {
  const ExecStatusType s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

}  // namespace

void PgFinisher::operator()(PGconn* conn) const { PQfinish(conn); }

PostgresConnection::PostgresConnection(PGconn* conn, std::string name) : conn_(conn), name_(std::move(name)) {}
PostgresConnection::~PostgresConnection() = default;

std::string PostgresConnection::RedactUrl(const std::string& url) {
  std::string out = url;
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at > start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  const size_t password = out.find("password=");
  if (password != std::string::npos) {
    const size_t value = password + 9;
    const size_t end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::Open(const std::string& url) {
  const std::string name = RedactUrl(url);
  std::unique_ptr<PostgresConnection> db(new PostgresConnection(PQconnectdb(url.c_str()), name));
  PGconn* conn = db->conn_.get();
  if (!conn) return ResourceExhaustedError("cannot connect to " + name + ": out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return UnavailableError("cannot connect to " + name + ": " + message);
  }
  PQsetNoticeProcessor(conn, DropNotice, nullptr);
  VIGIL_RETURN_IF_ERROR(db->Exec("SET client_min_messages = warning"));
  return db;
}

Status PostgresConnection::EnsureConnected() {
  if (PQstatus(conn_.get()) == CONNECTION_OK) return Status::Ok();
  if (in_transaction_) return UnavailableError(name_ + ": the connection was lost inside a transaction");
  PQreset(conn_.get());
  prepared_.clear();  // prepared statements died with the old session
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    return UnavailableError("cannot reconnect to " + name_ + ": " + PQerrorMessage(conn_.get()));
  }
  PQsetNoticeProcessor(conn_.get(), DropNotice, nullptr);
  return Status::Ok();
}

Status PostgresConnection::Exec(const std::string& sql) {
  VIGIL_RETURN_IF_ERROR(EnsureConnected());
  PgResult r(PQexec(conn_.get(), sql.c_str()));
  if (!r || !CommandOk(r.get())) return ErrorFrom(r.get(), conn_.get(), name_);
  return Status::Ok();
}

Result<QueryResult> PostgresConnection::Run(const std::string& sql, const std::vector<Value>& params) {
  VIGIL_RETURN_IF_ERROR(EnsureConnected());
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    const std::string statement = "vigil_" + std::to_string(prepared_.size() + 1);
    PgResult r(PQprepare(conn_.get(), statement.c_str(), sql.c_str(), int(params.size()), nullptr));
    if (!r || !CommandOk(r.get())) return ErrorFrom(r.get(), conn_.get(), name_ + ": prepare");
    it = prepared_.emplace(sql, statement).first;
  }
  std::vector<std::string> text(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (const auto* n = std::get_if<int64_t>(&v)) {
      text[i] = std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.17g", *d);
      text[i] = buffer;
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      text[i] = *s;
    } else {
      continue;  // NULL
    }
    values[i] = text[i].c_str();
  }
  PgResult r(PQexecPrepared(conn_.get(), it->second.c_str(), int(params.size()), values.data(), nullptr,
                            nullptr, /*resultFormat=text*/ 0));
  if (!r || !CommandOk(r.get())) return ErrorFrom(r.get(), conn_.get(), name_);
  QueryResult result;
  const int rows = PQntuples(r.get());
  const int columns = PQnfields(r.get());
  result.rows.reserve(size_t(rows));
  for (int i = 0; i < rows; ++i) {
    std::vector<Value> row;
    row.reserve(size_t(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(r.get(), i, c)) row.emplace_back(nullptr);
      else row.emplace_back(std::string(PQgetvalue(r.get(), i, c), size_t(PQgetlength(r.get(), i, c))));
    }
    result.rows.emplace_back(std::move(row));
  }
  const std::string command = PQcmdStatus(r.get());
  if (command.rfind("INSERT", 0) == 0 || command.rfind("UPDATE", 0) == 0 || command.rfind("DELETE", 0) == 0) {
    const char* changed = PQcmdTuples(r.get());
    result.changed = changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
  }
  return result;
}

Status PostgresConnection::Begin() {
  VIGIL_RETURN_IF_ERROR(Exec("BEGIN"));
  in_transaction_ = true;
  return Status::Ok();
}

Status PostgresConnection::Commit() {
  Status s = Exec("COMMIT");
  in_transaction_ = false;  // COMMIT ends the transaction even when it fails (it rolls back)
  return s;
}

Status PostgresConnection::Rollback() {
  in_transaction_ = false;
  if (PQstatus(conn_.get()) != CONNECTION_OK) return Status::Ok();  // the server rolled it back
  return Exec("ROLLBACK");
}

}  // namespace vigil::store
