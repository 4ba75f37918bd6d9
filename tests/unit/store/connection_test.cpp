// The store adapters behind store::Connection, on every engine: $N parameters of every kind,
// typed reads, changed-row counts, transactions that roll back unless committed, prepared
// statements reused, errors as Status codes; SQLite specifics (WAL, a file that is not a
// database, adopting a pre-schema_migrations job database); URL redaction.
#include <gtest/gtest.h>

#include <fstream>

#include "store/migrations.h"
#include "store/sqlite_connection.h"
#include "store_test_util.h"
#include "vigil/jobs.h"

namespace vigil {
namespace {

using testing::TestDatabase;

class StoreConnection : public ::testing::TestWithParam<store::Engine> {
 protected:
  StoreConnection() : db_(GetParam()) {
    if (GetParam() == store::Engine::kSqlite) std::filesystem::create_directories(db_.dir() / "sub");
    conn_ = db_.Connect();
  }
  TestDatabase db_;
  std::unique_ptr<store::Connection> conn_;
};

TEST_P(StoreConnection, BindsParametersAndReadsRowsBack) {
  ASSERT_TRUE(conn_);
  EXPECT_EQ(conn_->engine(), GetParam());
  ASSERT_TRUE(conn_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE PRECISION, big BIGINT)").ok());
  for (int i = 1; i <= 3; ++i) {
    auto r = conn_->Run("INSERT INTO t (id, name, score, big) VALUES ($1, $2, $3, $4)",
                        {int64_t(i), std::string("n'") + std::to_string(i), 0.25 * i, int64_t(1) << (40 + i)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->changed, 1);
  }
  ASSERT_TRUE(conn_->Run("INSERT INTO t (id, name) VALUES ($1, $2)", {int64_t(4), nullptr}).ok());
  // $2 before $1, and $1 twice: bound by number, not by position.
  auto r = conn_->Run("SELECT id, name, score, big FROM t WHERE score > $2 AND id <= $1 AND id != $1 ORDER BY id",
                      {int64_t(3), 0.3});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].Int(0), 2);
  EXPECT_EQ(r->rows[0].Text(1), "n'2");
  EXPECT_DOUBLE_EQ(r->rows[0].Double(2), 0.5);
  EXPECT_EQ(r->rows[0].Int(3), int64_t(1) << 42);
  EXPECT_EQ(r->changed, 0) << "a SELECT changes nothing";
  auto null_row = conn_->Run("SELECT name, score FROM t WHERE id = $1", {int64_t(4)});
  ASSERT_TRUE(null_row.ok());
  EXPECT_TRUE(null_row->rows.at(0).IsNull(0));
  EXPECT_EQ(null_row->rows[0].Text(0), "");
  EXPECT_EQ(null_row->rows[0].Double(1), 0);
  // The same SQL again (a reused prepared statement) with other values.
  auto update = conn_->Run("UPDATE t SET name = $1 WHERE id >= $2", {std::string("x"), int64_t(2)});
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->changed, 3);
  update = conn_->Run("UPDATE t SET name = $1 WHERE id >= $2", {std::string("y"), int64_t(4)});
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->changed, 1);
  EXPECT_EQ(conn_->Run("SELECT name FROM t WHERE id = 3")->rows.at(0).Text(0), "x");
}

TEST_P(StoreConnection, TransactionsRollBackUnlessCommitted) {
  ASSERT_TRUE(conn_);
  ASSERT_TRUE(conn_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)").ok());
  {
    auto tx = store::Transaction::Begin(conn_.get());
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    ASSERT_TRUE(conn_->Run("INSERT INTO t (id) VALUES (1)").ok());
  }  // rolled back
  {
    auto tx = store::Transaction::Begin(conn_.get());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(conn_->Run("INSERT INTO t (id) VALUES (2)").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = store::Transaction::Begin(conn_.get());
    ASSERT_TRUE(tx.ok());
    auto dup = conn_->Run("INSERT INTO t (id) VALUES (2)");
    EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument) << dup.status().ToString();
  }  // the failed transaction rolls back; the connection stays usable
  auto r = conn_->Run("SELECT id FROM t ORDER BY id");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].Int(0), 2);
}

TEST_P(StoreConnection, ErrorsBecomeStatusCodes) {
  ASSERT_TRUE(conn_);
  auto missing = conn_->Run("SELECT * FROM no_such_table");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(conn_->Exec("THIS IS NOT SQL").code(), StatusCode::kInternal);
  EXPECT_TRUE(conn_->Run("SELECT 1").ok()) << "usable after errors";
}

// PostgreSQL only (instantiated when VIGIL_TEST_POSTGRES_URL is set).
class PostgresLive : public StoreConnection {};

TEST_P(PostgresLive, ReconnectsAfterTheServerDroppedTheConnection) {
  ASSERT_TRUE(conn_);
  ASSERT_TRUE(conn_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)").ok());
  ASSERT_TRUE(conn_->Run("INSERT INTO t (id) VALUES ($1)", {int64_t(7)}).ok());  // a prepared statement
  auto pid = conn_->Run("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  auto admin = db_.Connect();
  auto killed = admin->Run("SELECT pg_terminate_backend($1)", {pid->rows.at(0).Int(0)});
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  // The first statement finds the connection gone (kUnavailable); the next one reconnects, and
  // re-prepares its statements on the new session.
  auto lost = conn_->Run("SELECT id FROM t WHERE id = $1", {int64_t(7)});
  if (!lost.ok()) EXPECT_EQ(lost.status().code(), StatusCode::kUnavailable) << lost.status().ToString();
  auto again = conn_->Run("SELECT id FROM t WHERE id = $1", {int64_t(7)});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->rows.at(0).Int(0), 7);
  EXPECT_TRUE(conn_->Run("INSERT INTO t (id) VALUES ($1)", {int64_t(8)}).ok());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConnection, ::testing::Values(store::Engine::kSqlite), testing::EngineTestName);
INSTANTIATE_TEST_SUITE_P(Postgres, StoreConnection, ::testing::ValuesIn(testing::PostgresIfConfigured()),
                         testing::EngineTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConnection);
INSTANTIATE_TEST_SUITE_P(Postgres, PostgresLive, ::testing::ValuesIn(testing::PostgresIfConfigured()),
                         testing::EngineTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PostgresLive);

TEST(PostgresConnection, RedactsPasswordsInNames) {
  using store::PostgresConnection;
  EXPECT_EQ(PostgresConnection::RedactUrl("postgresql://vigil:s3cret@db:5432/vigil"), "postgresql://vigil:***@db:5432/vigil");
  EXPECT_EQ(PostgresConnection::RedactUrl("postgresql://vigil@db/vigil?password=s3cret&sslmode=require"),
            "postgresql://vigil@db/vigil?password=***&sslmode=require");
  EXPECT_EQ(PostgresConnection::RedactUrl("postgresql://db/vigil"), "postgresql://db/vigil");
  EXPECT_TRUE(store::IsPostgresUrl("postgres://x/y"));
  EXPECT_FALSE(store::IsPostgresUrl(".vigil/postgresql.db"));
}

TEST(PostgresConnection, UnreachableServerIsUnavailableWithoutThePassword) {
  // Port 1 on loopback: nothing listens there.
  auto db = store::Connect("postgresql://vigil:s3cret@127.0.0.1:1/vigil?connect_timeout=2", {});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(db.status().message().find("s3cret"), std::string::npos) << db.status().message();
}

TEST(SqliteStore, UsesWalAndRefusesAFileThatIsNotADatabase) {
  TestDatabase db(store::Engine::kSqlite);
  JobStoreOptions options;
  options.database = db.url();
  ASSERT_TRUE(JobStore::Open(options).ok());
  auto conn = db.Connect();
  auto mode = conn->Run("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode->rows.at(0).Text(0), "wal");

  const std::string junk = (db.dir() / "junk.db").string();
  std::ofstream(junk) << std::string(4096, 'x');
  options.database = junk;
  auto store = JobStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
}

// The jobs schema as the Vigil before schema_migrations wrote it (PRAGMA user_version 1).
constexpr const char* kLegacySchema = R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
  progress REAL NOT NULL DEFAULT 0, input TEXT NOT NULL, options_json TEXT NOT NULL DEFAULT '{}',
  result_json TEXT, error_code TEXT, error_message TEXT, callback_url TEXT,
  callback_state TEXT NOT NULL DEFAULT 'none' CHECK (callback_state IN ('none','pending','delivered','failed')),
  callback_attempts INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0, run_token TEXT, created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL DEFAULT 0, finished_ms INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL);
CREATE INDEX jobs_by_state ON jobs (state, created_ms);
PRAGMA user_version = 1;
)sql";

TEST(SqliteStore, AdoptsAJobDatabaseFromBeforeSchemaMigrations) {
  TestDatabase db(store::Engine::kSqlite);
  std::filesystem::create_directories(db.dir() / "sub");
  const std::string done_id(32, 'a'), running_id(32, 'b');
  {
    auto legacy = db.Connect();
    ASSERT_TRUE(legacy->Exec(kLegacySchema).ok());
    ASSERT_TRUE(legacy->Exec("INSERT INTO jobs (id, kind, state, input, result_json, attempts, created_ms, updated_ms) "
                             "VALUES ('" + done_id + "', 'video.tag', 'succeeded', '/v/a.mp4', '{\"ok\":1}', 1, 10, 20), "
                             "('" + running_id + "', 'video.tag', 'running', '/v/b.mp4', NULL, 1, 30, 40)")
                    .ok());
  }
  JobStoreOptions options;
  options.database = db.url();
  auto store = JobStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Job done = *(*store)->Get(done_id);
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_EQ(done.result_json, "{\"ok\":1}");
  // A job the old Vigil left running (it crashed) has no lease: expired, so it runs again.
  auto expired = (*store)->ExpireLeases(3);
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  EXPECT_EQ(expired->requeued, 1);
  auto claimed = (*store)->ClaimNext({"video.tag"}, {"w", std::chrono::seconds(5)});
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  EXPECT_EQ((**claimed).id, running_id);
  EXPECT_EQ((**claimed).attempts, 2);

  auto conn = db.Connect();
  auto applied = store::AppliedVersions(conn.get());
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->size(), size_t(JobStore::CurrentSchemaVersion()));
  auto adopted = conn->Run("SELECT name FROM schema_migrations WHERE version = 1");
  EXPECT_EQ(adopted->rows.at(0).Text(0), "jobs");
  auto user_version = conn->Run("PRAGMA user_version");
  EXPECT_EQ(user_version->rows.at(0).Int(0), JobStore::CurrentSchemaVersion())
      << "kept ahead, so an older Vigil refuses the migrated file";
}

TEST(SqliteStore, RefusesALegacyUserVersionItDoesNotKnow) {
  TestDatabase db(store::Engine::kSqlite);
  std::filesystem::create_directories(db.dir() / "sub");
  ASSERT_TRUE(db.Connect()->Exec("PRAGMA user_version = 99").ok());
  JobStoreOptions options;
  options.database = db.url();
  auto newer = JobStore::Open(options);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("99"), std::string::npos) << newer.status().message();
}

}  // namespace
}  // namespace vigil
