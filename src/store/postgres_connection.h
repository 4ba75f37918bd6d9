// PostgreSQL adapter on Debian's libpq: the only place that touches PGconn/PGresult. The
// connection is a unique_ptr with PQfinish, results unique_ptrs with PQclear; statements are
// prepared once per connection (PQprepare, parameter types inferred by the server) and run with
// PQexecPrepared; SQLSTATEs become vigil::Status codes here. A broken connection is re-established
// (PQreset) before the next statement outside a transaction. Server notices are dropped (the
// library never prints).
// Thread-safety: one thread at a time (callers hold a mutex).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "store/connection.h"

typedef struct pg_conn PGconn;

namespace vigil::store {

struct PgFinisher {
  void operator()(PGconn* conn) const;
};

class PostgresConnection final : public Connection {
 public:
  // `url`: a libpq connection URI, e.g. "postgresql://vigil:secret@db:5432/vigil?sslmode=require".
  static Result<std::unique_ptr<PostgresConnection>> Open(const std::string& url);
  ~PostgresConnection() override;

  Engine engine() const override { return Engine::kPostgres; }
  // The URL without its password.
  const std::string& name() const override { return name_; }
  Status Exec(const std::string& sql) override;
  Result<QueryResult> Run(const std::string& sql, const std::vector<Value>& params = {}) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

  // "postgresql://user:***@host/db": the password (in the user info or a password= parameter) hidden.
  static std::string RedactUrl(const std::string& url);

 private:
  PostgresConnection(PGconn* conn, std::string name);
  // Reconnects a broken connection (not inside a transaction: its work is lost anyway).
  Status EnsureConnected();

  std::unique_ptr<PGconn, PgFinisher> conn_;
  std::string name_;
  bool in_transaction_ = false;
  std::map<std::string, std::string> prepared_;  // SQL text -> statement name on this connection
};

}  // namespace vigil::store
